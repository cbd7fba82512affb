#!/usr/bin/env bash
# Goals benchmarks: a plan of 300 goals (1 vision, 9 KF goals, 90 committee goals, 200 unit
# goals) with 1,000 indicators, on Kolada's real municipalities and KPI catalogue
# (../shared/data) with ten years of values for every kommun (2016-2025, generated). Times the
# import of the plan, the first (computed) request of the residents' goals page and of
# /api/v1/goals, both under 64 concurrent clients (wrk) beside nginx serving the same page as
# a static file (the ceiling; both gzipped, as browsers take them), and closing a period (the
# snapshot of the whole plan) over HTTP.
# Usage: bench/goals.sh [SECONDS]  (default 10). Needs ../shared/data; installs wrk and nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
shared=${KVALITET_SHARED:-../shared}/data
out=$(mktemp -d /tmp/kvalitet-goals.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$out"' EXIT
command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
db="sqlite://$out/g.db"

python3 - "$out" "$shared" <<'PY'
import csv, sys
out, shared = sys.argv[1], sys.argv[2]
kommuner = [r["kommun_kod"] for r in csv.DictReader(open(f"{shared}/municipalities/kommuner.csv", encoding="utf-8"))]
kpis = [r["id"] for r in csv.DictReader(open(f"{shared}/kolada_meta/kolada_kpi_catalogue_2026.csv", encoding="utf-8"))
        if "K" in r["municipality_type"]][:1000]
assert len(kpis) == 1000 and len(kommuner) == 290, (len(kpis), len(kommuner))
with open(f"{out}/values.csv", "w") as f:
    f.write("kpi,municipality_id,year,value\n")
    for i, kpi in enumerate(kpis):
        for j, m in enumerate(kommuner):
            base = 40 + (i * 7 + j * 13) % 50
            for k, year in enumerate(range(2016, 2026)):
                f.write(f"{kpi},{m},{year},{base + k * ((i + j) % 5 - 1) * 0.7:.1f}\n")
lines = ['municipality = "0180"', "", "[[goals]]", 'id = "vision"', 'level = "vision"', 'title = "Stockholm för alla"']
def goal(gid, parent, level, title):
    lines.extend(["", "[[goals]]", f'id = "{gid}"', f'parent = "{parent}"', f'level = "{level}"',
                  f'title = "{title}"', 'owner = "Förvaltningen"', "from = 2023", "to = 2026"])
n = 0
for k in range(9):
    goal(f"kf{k}", "vision", "kf", f"Fullmäktiges mål {k}")
for c in range(90):
    goal(f"n{c}", f"kf{c % 9}", "namnd", f"Nämndens mål {c}")
for u in range(200):
    goal(f"u{u}", f"n{u % 90}", "unit", f"Enhetens mål {u}")
    for _ in range(5):
        aim = ["higher", "lower", "range"][n % 3]
        targets = "{ 2024 = [45, 60], 2026 = [50, 60] }" if aim == "range" else "{ 2024 = 60, 2026 = 70 }" if aim == "higher" else "{ 2024 = 50, 2026 = 40 }"
        lines.extend(["", "[[goals.indicators]]", f'measure = "{kpis[n]}"', f'aim = "{aim}"', "baseline_year = 2019", f"targets = {targets}"])
        n += 1
open(f"{out}/plan.toml", "w").write("\n".join(lines) + "\n")
PY
"$bin" --database-url "$db" import -q "$shared/kolada_meta/kolada_municipality_2026.csv" \
    "$shared/kolada_meta/kolada_kpi_catalogue_2026.csv" "$out/values.csv" >/dev/null
t0=$(date +%s.%N)
"$bin" --database-url "$db" import -q --publish-goals "$out/plan.toml" >"$out/plan.log"
t1=$(date +%s.%N)
grep -q "(300 goals)" "$out/plan.log" || { cat "$out/plan.log" >&2; exit 1; }
printf 'ett långt bänklösenord\n' | "$bin" --database-url "$db" user add bench@kommun.se --name Bench \
    --municipality 0180 --role admin --password-stdin >/dev/null 2>&1
"$bin" --database-url "$db" serve --addr 127.0.0.1:18211 2>"$out/serve.log" & pids+=($!)
sleep 2
base=http://127.0.0.1:18211
first() { curl -s -o "$out/$2" -w '%{time_total}' "$base$1"; }
page_first=$(first /kommun/0180/mal page.html)
api_first=$(first "/api/v1/goals?municipality=0180" api.json)
grep -q "Enhetens mål 199" "$out/page.html" || { echo "the goals page lacks goals" >&2; exit 1; }
indicators=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(g["indicators"]) for g in d["goals"]), len(d["goals"]))' "$out/api.json")

# nginx serves the page gzipped as kvalitet does (compressed once, at the same level).
gzip -k -1 "$out/page.html"
chmod 755 "$out" && chmod 644 "$out/page.html" "$out/page.html.gz"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:18213; root $out; gzip_static on; location / { default_type text/html; } }
}
NGINX
nginx -c "$out/nginx.conf" -p "$out"
sleep 1
pids+=("$(cat "$out/nginx.pid")")

run() { # name url [wrk options] -> a table row
    curl -s -o /dev/null "$2" # computed once per data version, before the clients come
    # As browsers do, the clients take gzip.
    wrk -t2 -c64 -d"${seconds}s" --timeout 10s --latency -H "Accept-Encoding: gzip" "$2" >"$out/wrk" 2>&1
    if grep -q "Non-2xx" "$out/wrk"; then
        echo "$1 answered with errors:" >&2; cat "$out/wrk" >&2; exit 1
    fi
    echo "| $1 | $(awk '/Requests\/sec/ {print $2}' "$out/wrk") | $(awk '$1 == "50%" {print $2}' "$out/wrk") | $(awk '$1 == "99%" {print $2}' "$out/wrk") |"
}

# Closing a period as its administrator: log in, then one POST that follows the plan up and
# freezes the snapshot.
jar="$out/jar"
form=$(curl -s -c "$jar" "$base/logga-in")
csrf=$(echo "$form" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "email=bench@kommun.se" \
    --data-urlencode "password=ett långt bänklösenord" --data-urlencode "next=/konto" "$base/logga-in"
session=$(grep kv_session "$jar" | awk '{print $7}')
csrf=$(curl -s -b "kv_session=$session" "$base/konto" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
snapshot() { # year -> seconds
    curl -s -o /dev/null -w '%{http_code} %{time_total}' -b "kv_session=$session" --data-urlencode "csrf=$csrf" \
        --data-urlencode "kind=other" --data-urlencode "year=$1" --data-urlencode "code=bench-$1" \
        "$base/admin/kommun/0180/mal/period"
}
snap_warm=$(snapshot 2025)
snap_cold=$(snapshot 2024)
case "$snap_warm $snap_cold" in 303*303*) ;; *) echo "closing a period answered $snap_warm / $snap_cold" >&2; exit 1 ;; esac
bytes=$(python3 - "$out/g.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select max(length(snapshot)) from goal_period").fetchone()[0])
PY
)

echo "Plan: $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["goals"]))' "$out/api.json") goals, $indicators"
echo "(indicators, goals) over 2016-2025, 290 kommuner; $(nproc) cores."
echo
echo "| step | seconds |"
echo "|---|---:|"
echo "| import and publish the plan (\`kvalitet import --publish-goals\`, checked whole) | $(echo "$t1 - $t0" | bc | cut -c1-5) |"
echo "| first request of /kommun/0180/mal (computed: the plan's values in two queries, followed up, positions among 290, rendered) | $page_first |"
echo "| first request of /api/v1/goals?municipality=0180 | $api_first |"
echo "| close a period in 2025 (the plan followed up again and its snapshot written, one POST) | ${snap_warm#* } |"
echo "| close a period in 2024 (another year) | ${snap_cold#* } |"
echo
echo "Page $(wc -c <"$out/page.html") bytes ($(curl -s -H 'Accept-Encoding: gzip' "$base/kommun/0180/mal" | wc -c) gzipped), API answer $(wc -c <"$out/api.json") bytes ($(curl -s -H 'Accept-Encoding: gzip' "$base/api/v1/goals?municipality=0180" | wc -c) gzipped), snapshot $bytes bytes."
echo
echo "| server, 64 clients | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
run "kvalitet /kommun/0180/mal (kept per data version)" "$base/kommun/0180/mal"
run "kvalitet /api/v1/goals?municipality=0180" "$base/api/v1/goals?municipality=0180"
run "nginx, the same page as a static file" "http://127.0.0.1:18213/page.html"
