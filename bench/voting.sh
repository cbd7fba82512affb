#!/usr/bin/env bash
# Citizen-budget voting under load: 500 voters at once (wrk, 500 connections) each POST a
# ballot with their own one-time code to the round's public page, every ballot checked against
# the rules and cast with its code used up in one transaction, on SQLite (the default) and on
# PostgreSQL; beside them nginx serving the ballot page as a static file (the ceiling for
# handing out the page at all). Reports ballots per second, p50 and p99, and checks that
# every ballot answered was stored once (no code used twice, none refused).
# Usage: bench/voting.sh [SECONDS]  (default 10). Installs wrk, nginx and PostgreSQL when
# missing (PostgreSQL through .ci/postgres.sh, a throw-away cluster with fsync on).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
codes=${KVALITET_BENCH_CODES:-300000}
out=$(mktemp -d /tmp/kvalitet-voting.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$out"; [ -n "${KVALITET_PG_DIR:-}" ] && .ci/postgres.sh stop "$KVALITET_PG_DIR"' EXIT
command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
fixtures=crates/kvalitet-cli/tests/fixtures
port=18321

# Each wrk thread takes every other code of the file, one per ballot; the double-submit token
# is the cookie's value.
cat >"$out/vote.lua" <<'LUA'
local threads, counter = {}, 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  codes, next_code = {}, 1
  local n = 0
  for line in io.lines(os.getenv("CODES_FILE")) do
    n = n + 1
    if n % 2 == id then codes[#codes + 1] = line end
  end
end
function request()
  local code = codes[next_code]
  next_code = next_code + 1
  if code == nil then code = "UNUSED-CODES-GONE" end
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "kv_ballot=benchtoken",
  }, "csrf=benchtoken&code=" .. code .. "&p=" .. os.getenv("PROJECT_A") .. "&p=" .. os.getenv("PROJECT_B"))
end
LUA

# Starts a server on the database; sets up, fills and opens a round as an administrator
# would, makes the codes and writes them to $out/codes.
setup() { # database-url
    local db=$1 jar=$out/jar base=http://127.0.0.1:$port
    "$bin" --database-url "$db" import -q "$fixtures/catalogue" >/dev/null
    printf 'ett långt bänklösenord\n' | "$bin" --database-url "$db" user add bench@kommun.se --name Bench \
        --municipality 0180 --role admin --password-stdin >/dev/null 2>&1
    "$bin" --database-url "$db" serve --addr 127.0.0.1:$port 2>"$out/serve.log" & pids+=($!)
    for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
    rm -f "$jar"
    local login_csrf csrf made round
    login_csrf=$(curl -s -c "$jar" "$base/logga-in" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$login_csrf" \
        --data-urlencode "email=bench@kommun.se" --data-urlencode "password=ett långt bänklösenord" \
        --data-urlencode "next=/konto" "$base/logga-in"
    csrf=$(curl -s -b "$jar" "$base/konto" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    made=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url}' \
        --data "csrf=$csrf&title=Bank&code=bank&amount=1000000&ballot_kind=approval&max_projects=3&rule=mes-add1" \
        --data "first_day=$(date -u -d yesterday +%F)&last_day=$(date -u -d tomorrow +%F)" \
        "$base/admin/kommun/0180/medborgarbudget")
    round=${made%%\?*}
    for p in "lek 300000" "bank 200000" "ljus 250000" "bad 150000"; do
        set -- $p
        curl -s -b "$jar" -o /dev/null --data "csrf=$csrf&code=$1&title=Projekt+$1&cost=$2&proposed_by=resident" "$round/projekt"
    done
    for id in $(curl -s -b "$jar" "$round" | grep -o '/projekt/[0-9]*"' | grep -o '[0-9]*'); do
        curl -s -b "$jar" -o /dev/null --data "csrf=$csrf&feasible=yes" "$round/projekt/$id"
    done
    curl -s -b "$jar" -o /dev/null --data "csrf=$csrf" "$round/oppna"
    : >"$out/codes"
    local left=$codes n
    while [ "$left" -gt 0 ]; do # at most 100,000 codes a request
        n=$((left < 100000 ? left : 100000))
        curl -s -b "$jar" --data "csrf=$csrf&count=$n" "$round/koder" | tail -n +2 | cut -d, -f1 | tr -d '"\r' >>"$out/codes"
        left=$((left - n))
    done
    [ "$(wc -l <"$out/codes")" -eq "$codes" ] || { echo "the codes were not made" >&2; cat "$out/serve.log" >&2; exit 1; }
    curl -s "$base/kommun/0180/medborgarbudget/bank" >"$out/page.html"
    local ids
    ids=($(grep -o 'name="p" value="[0-9]*"' "$out/page.html" | cut -d'"' -f4))
    [ "${#ids[@]}" -ge 2 ] || { echo "the round did not open" >&2; cat "$out/serve.log" >&2; exit 1; }
    export PROJECT_A=${ids[0]} PROJECT_B=${ids[1]} CODES_FILE=$out/codes
}

row() { # name
    if grep -q "Non-2xx\|Socket errors" "$out/wrk"; then
        echo "$1 answered with errors:" >&2; cat "$out/wrk" >&2; exit 1
    fi
    echo "| $1 | $(awk '/Requests\/sec/ {print $2}' "$out/wrk") | $(awk '$1 == "50%" {print $2}' "$out/wrk") | $(awk '$1 == "99%" {print $2}' "$out/wrk") |"
}

stored() { # database-url -> "ballots codes-used"
    python3 - "$1" <<'PY'
import sqlite3, subprocess, sys
url = sys.argv[1]
q = "SELECT (SELECT COUNT(*) FROM budget_ballot) || ' ' || (SELECT COUNT(*) FROM budget_voter WHERE voted_at IS NOT NULL)"
if url.startswith("sqlite://"):
    print(sqlite3.connect(url[len("sqlite://"):]).execute(q).fetchone()[0])
else:
    print(subprocess.run(["psql", "-Atq", url, "-c", q], capture_output=True, text=True, check=True).stdout.strip())
PY
}

bench() { # name database-url
    setup "$2"
    wrk -t2 -c500 -d"${seconds}s" --timeout 10s --latency -s "$out/vote.lua" \
        "http://127.0.0.1:$port/kommun/0180/medborgarbudget/bank" >"$out/wrk" 2>&1
    row "$1"
    local sent ballots used
    sent=$(awk '/requests in/ {print $1}' "$out/wrk")
    read -r ballots used <<<"$(stored "$2")"
    [ "$sent" -le "$codes" ] || { echo "$1: more ballots sent ($sent) than codes ($codes); raise KVALITET_BENCH_CODES" >&2; exit 1; }
    [ "$ballots" -ge "$sent" ] && [ "$ballots" -eq "$used" ] || { echo "$1: $sent sent, $ballots stored, $used codes used" >&2; exit 1; }
    echo "  ($1: $sent ballots sent, $ballots stored, $used codes used)" >&2
    kill "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null || true
    unset 'pids[-1]'
}

echo "| 500 voters at once | ballots/s | p50 | p99 |"
echo "|---|---|---|---|"
bench "kvalitet on SQLite: POST a ballot" "sqlite://$out/s.db"
# A cluster of its own with fsync on, as a real server commits.
eval "$(KVALITET_PG_FSYNC=on .ci/postgres.sh start)"
pgdb=kvalitet_bench_voting_$$
psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE $pgdb" >/dev/null
bench "kvalitet on PostgreSQL: POST a ballot" "${TEST_POSTGRES_URL%/*}/$pgdb"
psql -q "$TEST_POSTGRES_URL" -c "DROP DATABASE $pgdb" >/dev/null 2>&1 || true

# The ceiling: nginx handing out the same ballot page as a file.
chmod 755 "$out" && chmod 644 "$out/page.html"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 2048; }
http {
    access_log off;
    server { listen 127.0.0.1:18322; root $out; }
}
NGINX
nginx -c "$out/nginx.conf" -p "$out"
pids+=("$(cat "$out/nginx.pid" 2>/dev/null || echo 0)")
sleep 0.5
wrk -t2 -c500 -d"${seconds}s" --timeout 10s --latency "http://127.0.0.1:18322/page.html" >"$out/wrk" 2>&1
row "nginx: GET the ballot page as a static file"
