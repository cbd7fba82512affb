#!/usr/bin/env bash
# Serving benchmark for the Kolada v3 API: one KPI, all municipalities and regions, all its
# years (/v3/data/kpi/N15428/year/1998,...,2022: 7,800 rows, 690 kB of JSON) under 64
# concurrent clients (wrk, 2 threads, on the same 2-core machine), side by side with
#   - Datasette (from PyPI, in bench/.venv) serving the same rows from the same SQLite file,
#   - nginx serving kvalitet's answer as a static file: the ceiling for any server here.
# Usage: bench/api.sh [SECONDS]   (default 15). Needs ../shared/data; installs wrk and nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
data=../shared/data
out=$(mktemp -d /tmp/kvalitet-api.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT

command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -c 'import datasette' 2>/dev/null || bench/.venv/bin/pip install -q datasette

db="$out/k.db"
"$bin" --database-url "sqlite://$db" import -q "$data/kolada_meta" "$data/municipalities" \
    "$data/kolada_values/kolada_values_total_1994-2022.csv.gz" >/dev/null
years=$(seq -s, 1998 2022)
path="/v3/data/kpi/N15428/year/$years"

"$bin" --database-url "sqlite://$db" serve --addr 127.0.0.1:18181 2>"$out/serve.log" & pids+=($!)
bench/.venv/bin/datasette serve "$db" --host 127.0.0.1 --port 18182 --immutable "$db" \
    --setting max_returned_rows 10000 --setting num_sql_threads 4 >"$out/datasette.log" 2>&1 & pids+=($!)
sleep 3
curl -sf "http://127.0.0.1:18181$path" >"$out/answer.json"
# nginx's workers run as another user: let them read the answer.
chmod 755 "$out" && chmod 644 "$out/answer.json"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:18183; root $out; location / { default_type application/json; } }
}
NGINX
nginx -c "$out/nginx.conf" -p "$out"
sleep 1
pids+=("$(cat "$out/nginx.pid")")
curl -sf "http://127.0.0.1:18183/answer.json" | cmp -s - "$out/answer.json" || { echo "nginx does not serve the answer" >&2; exit 1; }

sql="select measure_id, area_id, year, gender, value, status, count from value where measure_id = 'N15428' and year between 1998 and 2022 order by area_id, year"
datasette_url="http://127.0.0.1:18182/k.json?sql=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$sql")&_shape=array"
curl -sf "$datasette_url" >"$out/datasette.json"

run() { # name url [wrk options] -> a table row
    wrk -t2 -c64 -d"${seconds}s" --latency "${@:3}" "$2" >"$out/wrk" 2>&1
    if grep -q "Non-2xx" "$out/wrk"; then
        echo "$1 answered with errors:" >&2; cat "$out/wrk" >&2; exit 1
    fi
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$out/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$out/wrk")
    echo "| $1 | $rps | $p50 | $p99 |"
}
echo
echo "64 concurrent clients, ${seconds} s each, $(nproc) cores; answer $(wc -c <"$out/answer.json") bytes (Datasette's: $(wc -c <"$out/datasette.json"))"
echo
echo "| server | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
run "kvalitet /v3 (cached answer)" "http://127.0.0.1:18181$path"
run "kvalitet /v3, gzip (as R, Python and browser clients ask)" "http://127.0.0.1:18181$path" -H "Accept-Encoding: gzip"
run "Datasette $(bench/.venv/bin/datasette --version | awk '{print $NF}') SQL query, same rows" "$datasette_url"
run "nginx $(nginx -v 2>&1 | sed 's|.*/||') static file of the same answer" "http://127.0.0.1:18183/answer.json"
