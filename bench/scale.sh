#!/usr/bin/env bash
# Scale test (issue 20, docs/operations.md): PostgreSQL (fsync on) with one streaming replica
# on 127.0.0.1, the full dump imported, three `kvalitet serve` reading public pages from the
# replica behind nginx (retries on another server), wrk at 256 connections on public pages
# while an admin changes Stockholm's introduction through server 1 every few seconds, and
# each change is looked for on servers 2 and 3 directly (how long until it is seen). Half-way,
# server 2 is killed with kill -9 and started again. Then the same load on one server alone.
# Reports requests/s, p50, p99, failed requests at the proxy, and the change delays.
# Usage: bench/scale.sh [SECONDS]  (default 30). Needs ../shared/data; installs wrk and nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
data=../shared/data
out=$(mktemp -d /tmp/kvalitet-scale.XXXXXX)
chmod 755 "$out"
declare -A servers=()
nginx_conf=
cleanup() {
    for p in "${servers[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "$nginx_conf" ] && nginx -c "$nginx_conf" -p "$out" -s stop 2>/dev/null
    [ -n "${KVALITET_PG_DIR:-}" ] && .ci/postgres.sh stop "$KVALITET_PG_DIR"
    rm -rf "$out"
}
trap cleanup EXIT

command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet

eval "$(KVALITET_PG_FSYNC=on KVALITET_PG_REPLICA=1 KVALITET_PG_OPTS='-c shared_buffers=512MB' .ci/postgres.sh start)"
psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE scale"
primary=${TEST_POSTGRES_URL%/*}/scale
replica=${TEST_POSTGRES_READ_URL%/*}/scale
t0=$(date +%s.%N)
"$bin" --database-url "$primary" import -q "$data/kolada_meta" "$data/municipalities" \
    "$data/kolada_values/kolada_values_total_1994-2022.csv.gz" "$data/geo/kommuner_wgs84.geojson" >/dev/null
import_s=$(echo "$(date +%s.%N) - $t0" | bc)
"$bin" --database-url "$primary" import -q data/measure-sets >/dev/null
password='ett långt bänklösenord'
printf '%s\n' "$password" | "$bin" --database-url "$primary" user add skala@kommun.se --name Skala \
    --municipality 0180 --role admin --password-stdin >/dev/null 2>&1

port0=$((18300 + RANDOM % 500))
start_server() {
    local i=$1
    KVALITET_DATABASE_READ_URL="$replica" "$bin" --database-url "$primary" serve \
        --addr "127.0.0.1:$((port0 + i))" 2>>"$out/serve$i.log" &
    servers[$i]=$!
    for _ in $(seq 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$((port0 + i))/" && return 0
        sleep 0.1
    done
    echo "server $i did not start" >&2; cat "$out/serve$i.log" >&2; exit 1
}
for i in 1 2 3; do start_server "$i"; done

# nginx as a national instance would run it: the three servers, a failed one skipped, an
# idempotent request that meets a dead server tried on the next.
nport=$((port0 + 10))
nginx_conf="$out/nginx.conf"
write_nginx() {
    local upstreams=""
    for i in "$@"; do upstreams+="        server 127.0.0.1:$((port0 + i)) max_fails=1 fail_timeout=2s;"$'\n'; done
    cat >"$nginx_conf" <<NGINX
worker_processes 1;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 4096; }
http {
    # Only answers that were not 2xx are logged, to say what failed.
    map \$status \$failed { ~^2 0; default 1; }
    log_format failed '\$status \$upstream_status \$request_uri';
    access_log $out/failed.log failed if=\$failed;
    upstream kvalitet {
$upstreams        # As many idle connections to the servers as wrk has to nginx: few new ones.
        keepalive 256;
    }
    server {
        listen 127.0.0.1:$nport;
        location / {
            proxy_pass http://kvalitet;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
        }
    }
}
NGINX
}
write_nginx 1 2 3
nginx -c "$nginx_conf" -p "$out"

# Public pages in turn: the start page, municipality pages, a measure page, a comparison
# and the API.
cat >"$out/pages.lua" <<'LUA'
local pages = { "/", "/kommun/0180", "/kommun/1480", "/kommun/1280/matt/N15428",
                "/jamfor?measure=N15428", "/api/v1/compare?measure=N15428&year=2022",
                "/kommun/2480", "/kommun/0114" }
local i = 0
request = function()
    i = i % #pages + 1
    return wrk.format("GET", pages[i])
end
LUA
# Every page answers 200 on every server and through nginx (this also warms the caches, as
# on a real instance).
for where in "127.0.0.1:$((port0 + 1))" "127.0.0.1:$((port0 + 2))" "127.0.0.1:$((port0 + 3))" "127.0.0.1:$nport"; do
    for p in / /kommun/0180 /kommun/1480 "/kommun/1280/matt/N15428" "/jamfor?measure=N15428" \
        "/api/v1/compare?measure=N15428&year=2022" /kommun/2480 /kommun/0114; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://$where$p")
        [ "$code" = 200 ] || { echo "http://$where$p answered $code" >&2; exit 1; }
    done
done

# The admin's session on server 1.
base1="http://127.0.0.1:$((port0 + 1))"
jar="$out/jar"
csrf=$(curl -s -c "$jar" "$base1/logga-in" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "email=skala@kommun.se" \
    --data-urlencode "password=$password" --data-urlencode "next=/konto" "$base1/logga-in"
session=$(grep kv_session "$jar" | awk '{print $7}')
[ -n "$session" ] || { echo "the admin could not log in" >&2; exit 1; }
csrf=$(curl -s -b "kv_session=$session" "$base1/konto" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')

# Changes Stockholm's introduction through server 1 and measures, on each watched server
# directly and on all of them at once, how long until /kommun/0180 shows it (ms; "lost"
# after 10 s). Each line says too how long it was since the last restart of a server.
publish_and_watch() {
    local n=$1 watchers=$2 run=$3 mark="skalprov-$1-$RANDOM" start code
    start=$(date +%s%N)
    code=$(curl -s -o /dev/null -w '%{http_code}' -b "kv_session=$session" --data-urlencode "csrf=$csrf" \
        --data-urlencode "body=Inledning $mark." --data-urlencode "body_en=Introduction $mark." \
        "$base1/admin/kommun/0180/inledning")
    [ "$code" = 303 ] || { echo "change $n answered $code" >&2; return; }
    local watching=()
    for i in $watchers; do
        (
            seen=lost
            for _ in $(seq 1000); do
                page=$(curl -s --max-time 2 "http://127.0.0.1:$((port0 + i))/kommun/0180" || true)
                if [[ $page == *"$mark"* ]]; then
                    seen=$(( ($(date +%s%N) - start) / 1000000 ))
                    break
                fi
                sleep 0.01
            done
            echo "$n server$i $seen $(( $(date +%s) - restarted ))s-after-restart" >>"$out/seen-$run"
        ) &
        watching+=($!)
    done
    # Only the watchers: wrk runs in the background too.
    wait "${watching[@]}"
}
# Runs wrk on the public pages through nginx while changes go through server 1 every two
# seconds and are watched for on the servers $2 ($3 = kill: server 2 is killed half-way).
load_run() {
    local file=$1 watchers=$2 kill=${3:-} n=0 killed=0 tstart
    wrk -t2 -c256 -d"${seconds}s" --latency -s "$out/pages.lua" "http://127.0.0.1:$nport" >"$out/$file" 2>&1 &
    local load=$!
    tstart=$(date +%s)
    while kill -0 "$load" 2>/dev/null; do
        n=$((n + 1))
        publish_and_watch "$n" "$watchers" "$file"
        if [ "$kill" = kill ] && [ "$killed" = 0 ] && [ $(($(date +%s) - tstart)) -ge $((seconds / 2)) ]; then
            kill -9 "${servers[2]}"
            killed=1
            sleep 2
            start_server 2
            restarted=$(date +%s)
        fi
        sleep 2
    done
    wait "$load" || true
    if [ "$kill" = kill ] && [ "$killed" = 0 ]; then echo "note: the run ended before server 2 was killed" >&2; fi
}

summary() {
    local f=$1 what=$2
    local rps p50 p99 errors non2xx total
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/$f")
    p50=$(awk '$1 == "50%" {print $2}' "$out/$f")
    p99=$(awk '$1 == "99%" {print $2}' "$out/$f")
    total=$(awk '/requests in/ {print $1}' "$out/$f")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$out/$f")
    errors=$(awk '/Socket errors/ {s = 0; for (i = 4; i <= NF; i += 2) s += $i; print s}' "$out/$f" | tr -d ',')
    echo "| $what | $total | $rps | $p50 | $p99 | ${non2xx:-0} | ${errors:-0} |"
}

restarted=$(date +%s)
load_run wrk3 "2 3" kill
# The same load on one server alone (behind the same nginx, so that the proxy's cost is in
# both), its own changes watched on itself.
kill -9 "${servers[2]}" "${servers[3]}"
unset 'servers[2]' 'servers[3]'
write_nginx 1
nginx -c "$nginx_conf" -p "$out" -s reload
sleep 1
load_run wrk1 "1"

echo "## Three servers behind nginx with a replica, against one server"
echo
echo "| run | requests | requests/s | p50 | p99 | failed (non-2xx) | socket errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
summary wrk3 "3 servers + replica behind nginx, server 2 killed (kill -9) and restarted"
summary wrk1 "1 server behind nginx"
echo
echo "Changes through server 1 (ms from sending the POST to the page showing the change, looked"
echo "for on the other servers directly, not through nginx):"
echo
echo "| run | changes looked for | median ms | max ms | over 1000 ms | not seen in 10 s |"
echo "|---|---:|---:|---:|---:|---:|"
for run in wrk3 wrk1; do
    sort -n -k3 "$out/seen-$run" | awk -v run="$run" '
        $3 == "lost" { lost++; next }
        { v[n++] = $3 }
        END {
            over = 0; for (i = 0; i < n; i++) if (v[i] > 1000) over++
            label = run == "wrk3" ? "3 servers, seen on servers 2 and 3" : "1 server, seen on itself"
            if (n == 0) { printf "| %s | %d | - | - | - | %d |\n", label, lost, lost; exit }
            printf "| %s | %d | %d | %d | %d | %d |\n", label, n + lost, v[int((n - 1) / 2)], v[n - 1], over, lost + 0
        }'
done
echo
echo "Changes seen after more than 1000 ms (change, server, ms, time since a server restarted):"
cat "$out"/seen-* | awk '$3 == "lost" || $3 > 1000' | sed 's/^/    /'
echo
# 499 is nginx's word for a client that hung up before its answer: wrk closing the
# connections it has in flight when its time is up. They are counted, not listed.
closed=$(awk '$1 == 499' "$out/failed.log" 2>/dev/null | wc -l)
echo "Requests wrk left unanswered when it stopped (nginx 499): $closed."
if awk '$1 != 499' "$out/failed.log" 2>/dev/null | grep -q .; then
    echo
    echo "Answers that were not 2xx at the proxy (status, upstream statuses, address; count):"
    awk '$1 != 499' "$out/failed.log" | sort | uniq -c | sort -rn | head -20
    echo "What the servers logged as errors:"
    cat "$out"/serve*.log | grep -iE 'warn|error' | cut -c1-300 | sed 's/[0-9:.T-]*Z//' | sort | uniq -c | sort -rn | head -10 || true
    echo "What nginx logged:"
    sed 's/^[0-9/: ]*//; s/, client.*//' "$out/nginx-error.log" | sort | uniq -c | sort -rn | head -10
fi
echo
echo "Import of the full dump into the primary (fsync on, replica streaming): ${import_s%??????} s."
