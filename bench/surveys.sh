#!/usr/bin/env bash
# Survey answering under load: 200 respondents at once (wrk, 200 connections) send the short
# medborgarpanel wave through its open address, each POST a whole answer page checked and
# stored in its own transaction, on SQLite (the default) and on PostgreSQL; beside them nginx
# serving the answer page as a static file (the ceiling for handing out the page at all).
# Reports answers per second, p50 and p99, and checks that every answer sent was stored.
# Usage: bench/surveys.sh [SECONDS]  (default 10). Installs wrk, nginx and PostgreSQL when
# missing (PostgreSQL through .ci/postgres.sh, a throw-away cluster with fsync on).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
out=$(mktemp -d /tmp/kvalitet-surveys.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$out"; [ -n "${KVALITET_PG_DIR:-}" ] && .ci/postgres.sh stop "$KVALITET_PG_DIR"' EXIT
command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
fixtures=crates/kvalitet-cli/tests/fixtures
port=18311

# One answer page as a browser sends it; the double-submit token is the cookie's value.
cat >"$out/answer.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "kv_answer=benchtoken"
wrk.body = "csrf=benchtoken&version=" .. os.getenv("SURVEY_VERSION")
  .. "&rekommendera=8&trygghet=4&fortroende=3&fardmedel=cykel&fardmedel=kollektivt"
  .. "&kollektivt_nojd=4"
LUA

# Starts a server on the database, makes and opens the survey as an administrator would,
# and prints the answer page's address.
setup() { # database-url
    local db=$1 jar=$out/jar
    "$bin" --database-url "$db" import -q "$fixtures/catalogue" >/dev/null
    printf 'ett långt bänklösenord\n' | "$bin" --database-url "$db" user add bench@kommun.se --name Bench \
        --municipality 0180 --role admin --password-stdin >/dev/null 2>&1
    "$bin" --database-url "$db" serve --addr 127.0.0.1:$port 2>"$out/serve.log" & pids+=($!)
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
    local base=http://127.0.0.1:$port
    rm -f "$jar"
    local login_csrf
    login_csrf=$(curl -s -c "$jar" "$base/logga-in" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$login_csrf" \
        --data-urlencode "email=bench@kommun.se" --data-urlencode "password=ett långt bänklösenord" \
        --data-urlencode "next=/konto" "$base/logga-in"
    local csrf
    csrf=$(curl -s -b "$jar" "$base/konto" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    local made
    made=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url}' --data "csrf=$csrf&code=bank&template=medborgarpanel&retention_days=90&open_link=1" \
        "$base/admin/kommun/0180/enkater")
    local survey=${made%%\?*}
    curl -s -b "$jar" -o /dev/null --data "csrf=$csrf&to=open" "$survey/status"
    curl -s "$base/kommun/0180/enkat/bank" >"$out/page.html"
    SURVEY_VERSION=$(grep -o 'name="version" value="[^"]*"' "$out/page.html" | cut -d'"' -f4)
    export SURVEY_VERSION
    [ -n "$SURVEY_VERSION" ] || { echo "the survey did not open" >&2; cat "$out/serve.log" >&2; exit 1; }
    echo "$survey"
}

row() { # name
    if grep -q "Non-2xx\|Socket errors" "$out/wrk"; then
        echo "$1 answered with errors:" >&2; cat "$out/wrk" >&2; exit 1
    fi
    echo "| $1 | $(awk '/Requests\/sec/ {print $2}' "$out/wrk") | $(awk '$1 == "50%" {print $2}' "$out/wrk") | $(awk '$1 == "99%" {print $2}' "$out/wrk") |"
}

answers() { # database-url -> rows stored
    python3 - "$1" <<'PY'
import sqlite3, subprocess, sys
url = sys.argv[1]
if url.startswith("sqlite://"):
    print(sqlite3.connect(url[len("sqlite://"):]).execute("SELECT COUNT(*) FROM survey_response").fetchone()[0])
else:
    print(subprocess.run(["psql", "-Atq", url, "-c", "SELECT COUNT(*) FROM survey_response"],
                         capture_output=True, text=True, check=True).stdout.strip())
PY
}

bench() { # name database-url
    setup "$2" >/dev/null
    wrk -t2 -c200 -d"${seconds}s" --timeout 10s --latency -s "$out/answer.lua" \
        "http://127.0.0.1:$port/kommun/0180/enkat/bank" >"$out/wrk" 2>&1
    row "$1"
    local sent stored
    sent=$(awk '/requests in/ {print $1}' "$out/wrk")
    stored=$(answers "$2")
    [ "$stored" -ge "$sent" ] || { echo "$1: $sent answers sent, $stored stored" >&2; exit 1; }
    echo "  ($1: $sent answers sent, $stored stored)" >&2
    kill "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null || true
    unset 'pids[-1]'
}

echo "| 200 respondents at once | answers/s | p50 | p99 |"
echo "|---|---|---|---|"
bench "kvalitet on SQLite: POST an answer page" "sqlite://$out/s.db"
# A cluster of its own with fsync on, as a real server commits.
eval "$(KVALITET_PG_FSYNC=on .ci/postgres.sh start)"
pgdb=kvalitet_bench_surveys_$$
psql -q "$TEST_POSTGRES_URL" -c "CREATE DATABASE $pgdb" >/dev/null
bench "kvalitet on PostgreSQL: POST an answer page" "${TEST_POSTGRES_URL%/*}/$pgdb"
psql -q "$TEST_POSTGRES_URL" -c "DROP DATABASE $pgdb" >/dev/null 2>&1 || true

# The ceiling: nginx handing out the same answer page as a file.
chmod 755 "$out" && chmod 644 "$out/page.html"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:18312; root $out; }
}
NGINX
nginx -c "$out/nginx.conf" -p "$out"
pids+=("$(cat "$out/nginx.pid" 2>/dev/null || echo 0)")
sleep 0.5
wrk -t2 -c200 -d"${seconds}s" --timeout 10s --latency "http://127.0.0.1:18312/page.html" >"$out/wrk" 2>&1
row "nginx: GET the answer page as a static file"
nginx -c "$out/nginx.conf" -p "$out" -s stop 2>/dev/null || true
