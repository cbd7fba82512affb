#!/usr/bin/env bash
# Citizen site and comparison benchmarks on the full real dump (4.5 M values), side by side
# in one run:
#   1. every (measure, year, gender) comparison of the dump: `kvalitet stats` (from its
#      SQLite file) against DuckDB computing the same statistics with window functions
#      (from its own database file);
#   2. the municipality page /kommun/1480 and /api/v1/compare under 64 concurrent clients
#      (wrk, 2 threads, same 2-core machine), against Datasette answering the equivalent
#      JSON query (one measure and year ranked with a window function) over the same SQLite
#      file, and nginx serving the same page as a static file (the ceiling);
#   3. the resident memory of `kvalitet serve` afterwards.
# Usage: bench/site.sh [SECONDS]  (default 15). Needs ../shared/data; installs wrk, nginx,
# Datasette and DuckDB (PyPI, in bench/.venv) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
data=../shared/data
out=$(mktemp -d /tmp/kvalitet-site.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT

command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
[ -x bench/.venv/bin/python ] || python3 -m venv bench/.venv
bench/.venv/bin/python -c 'import datasette, duckdb' 2>/dev/null || bench/.venv/bin/pip install -q datasette duckdb

db="$out/k.db"
"$bin" --database-url "sqlite://$db" import -q "$data/kolada_meta" "$data/municipalities" \
    "$data/kolada_values/kolada_values_total_1994-2022.csv.gz" "$data/geo/kommuner_wgs84.geojson" >/dev/null

echo "## Every comparison of the dump"
echo
t0=$(date +%s.%N)
"$bin" --database-url "sqlite://$db" stats --undirected higher -o "$out/kvalitet-stats.csv" 2>"$out/stats.log"
t1=$(date +%s.%N)
k=$(echo "$t1 - $t0" | bc)
bench/.venv/bin/python - "$data/kolada_values/kolada_values_total_1994-2022.csv.gz" "$out/d.duckdb" <<'PY'
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute(f"CREATE TABLE value AS SELECT kpi, municipality_id::VARCHAR AS municipality_id, year, 'T' AS gender, value FROM read_csv('{sys.argv[1]}', types={{'municipality_id': 'VARCHAR'}})")
con.close()
PY
d=$(bench/.venv/bin/python - "$out/d.duckdb" "$out/duckdb-stats.csv" <<'PY'
import sys, time, duckdb
t = time.perf_counter()
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute(f"""
COPY (
  WITH v AS (
    SELECT kpi, year, gender, value FROM value
    WHERE value IS NOT NULL AND municipality_id NOT LIKE '00%'
  ), r AS (
    SELECT kpi, year, gender, value,
      rank() OVER (PARTITION BY kpi, year, gender ORDER BY value DESC) AS best_rank,
      rank() OVER (PARTITION BY kpi, year, gender ORDER BY value ASC) AS worst_rank,
      count(*) OVER (PARTITION BY kpi, year, gender) AS n
    FROM v
  )
  SELECT kpi AS measure, year, gender, count(*) AS n, avg(value) AS mean,
    quantile_cont(value, 0.5) AS median, quantile_cont(value, 0.25) AS q1,
    quantile_cont(value, 0.75) AS q3, min(value) AS min, max(value) AS max,
    count(*) FILTER (WHERE n >= 4 AND best_rank <= ceil(n / 4)) AS green,
    count(*) FILTER (WHERE n >= 4 AND best_rank > ceil(n / 4) AND worst_rank > ceil(n / 4)) AS yellow,
    count(*) FILTER (WHERE n >= 4 AND best_rank > ceil(n / 4) AND worst_rank <= ceil(n / 4)) AS red
  FROM r GROUP BY kpi, year, gender ORDER BY kpi, year, gender
) TO '{sys.argv[2]}' (HEADER)""")
print(f"{time.perf_counter() - t:.2f}")
PY
)
rows_k=$(($(wc -l <"$out/kvalitet-stats.csv") - 1)); rows_d=$(($(wc -l <"$out/duckdb-stats.csv") - 1))
# Both must agree on the colour counts of every comparison.
diff <(cut -d, -f1-4,11-13 "$out/kvalitet-stats.csv" | sort) <(cut -d, -f1-4,11-13 "$out/duckdb-stats.csv" | sort) >"$out/diff" \
    && agree="identical n and colour counts" || agree="DIFFER in $(grep -c '^<' "$out/diff") rows"
echo "| tool | comparisons | time | ratio |"
echo "|---|---:|---:|---:|"
echo "| kvalitet stats (SQLite file, one process run) | $rows_k | ${k%???????} s | $(echo "scale=2; $d / $k" | bc)x |"
echo "| DuckDB $(bench/.venv/bin/python -c 'import duckdb; print(duckdb.__version__)') window functions (its own file) | $rows_d | $d s | 1.00x |"
echo
echo "Results: $agree (every measure coloured as higher-is-better on both sides)."
echo
# The KKiK sets give measures their directions for the site.
"$bin" --database-url "sqlite://$db" import -q data/measure-sets >/dev/null

"$bin" --database-url "sqlite://$db" serve --addr 127.0.0.1:18191 2>"$out/serve.log" & pids+=($!)
spid=$!
bench/.venv/bin/datasette serve "$db" --host 127.0.0.1 --port 18192 --immutable "$db" \
    --setting num_sql_threads 4 >"$out/datasette.log" 2>&1 & pids+=($!)
sleep 3
page="/kommun/1480"
api="/api/v1/compare?measure=N15428&year=2022"
curl -sf "http://127.0.0.1:18191$page" >"$out/page.html"
curl -sf "http://127.0.0.1:18191$api" >"$out/compare.json"
chmod 755 "$out" && chmod 644 "$out/page.html"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:18193; root $out; location / { default_type text/html; } }
}
NGINX
nginx -c "$out/nginx.conf" -p "$out"
sleep 1
pids+=("$(cat "$out/nginx.pid")")
sql="select area_id, value, rank() over (order by value desc) as rank from value where measure_id = 'N15428' and year = 2022 and gender = 'T' and area_id not like '00%' order by area_id"
datasette_url="http://127.0.0.1:18192/k.json?sql=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$sql")&_shape=array"
curl -sf "$datasette_url" >"$out/datasette.json"

run() { # name url -> a table row
    wrk -t2 -c64 -d"${seconds}s" --latency "$2" >"$out/wrk" 2>&1
    if grep -q "Non-2xx" "$out/wrk"; then echo "$1 answered with errors:" >&2; cat "$out/wrk" >&2; exit 1; fi
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$out/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$out/wrk")
    echo "| $1 | $rps | $p50 | $p99 |"
}
echo "## Serving, 64 concurrent clients, ${seconds} s each, $(nproc) cores"
echo
echo "Page $(wc -c <"$out/page.html") bytes; compare answer $(wc -c <"$out/compare.json") bytes; Datasette's answer $(wc -c <"$out/datasette.json") bytes."
echo
echo "| server | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
run "kvalitet municipality page $page" "http://127.0.0.1:18191$page"
run "kvalitet $api" "http://127.0.0.1:18191$api"
run "Datasette $(bench/.venv/bin/datasette --version | awk '{print $NF}'), one measure and year ranked (JSON)" "$datasette_url"
run "nginx $(nginx -v 2>&1 | sed 's|.*/||'), the same page as a static file" "http://127.0.0.1:18193/page.html"
echo
echo "kvalitet serve resident memory after the runs: $(( $(ps -o rss= -p "$spid") / 1024 )) MB"
