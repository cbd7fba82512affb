#!/usr/bin/env bash
# Administration benchmarks: a 100,000-row CSV upload (checked row by row and saved as drafts,
# all or none) and publishing it, timed end to end over HTTP with curl; then the
# administration page under 64 concurrent clients (wrk) with a logged-in session.
# Usage: bench/admin.sh [SECONDS]  (default 10). Installs wrk when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
out=$(mktemp -d /tmp/kvalitet-admin.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
db="sqlite://$out/a.db"
fixtures=crates/kvalitet-cli/tests/fixtures

# 250 own measures of Stockholm x 134 years x 3 genders > 100,000 distinct keys.
python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
with open(f"{out}/own_2026.csv", "w") as f:
    f.write("id,title,owner\n")
    for i in range(250):
        f.write(f"X0180-{i},Eget mått {i},0180\n")
with open(f"{out}/upload.csv", "w") as f:
    f.write("kpi,municipality_id,year,value,gender\n")
    n = 0
    for i in range(250):
        for year in range(1960, 2094):
            for g in "TKM":
                if n == 100000:
                    break
                f.write(f"X0180-{i},0180,{year},{(n % 1000) / 10},{g}\n")
                n += 1
PY
"$bin" --database-url "$db" import -q "$fixtures/catalogue" "$out/own_2026.csv" >/dev/null
printf 'ett långt bänklösenord\n' | "$bin" --database-url "$db" user add bench@kommun.se --name Bench \
    --municipality 0180 --role admin --password-stdin >/dev/null 2>&1
"$bin" --database-url "$db" serve --addr 127.0.0.1:18201 2>"$out/serve.log" & server=$!
sleep 1.5
base=http://127.0.0.1:18201
jar="$out/jar"
form=$(curl -s -c "$jar" "$base/logga-in")
csrf=$(echo "$form" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "email=bench@kommun.se" \
    --data-urlencode "password=ett långt bänklösenord" --data-urlencode "next=/konto" "$base/logga-in"
session=$(grep kv_session "$jar" | awk '{print $7}')
csrf=$(curl -s -b "kv_session=$session" "$base/konto" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="//; s/"//')

rows=$(($(wc -l <"$out/upload.csv") - 1))
t0=$(date +%s.%N)
# An upload answers with a preview against what is published; saving it is a second POST.
curl -s -o "$out/preview.html" -w '%{http_code}' -b "kv_session=$session" -F "csrf=$csrf" -F "file=@$out/upload.csv;type=text/csv" "$base/admin/kommun/0180/fil" >"$out/code"
[ "$(cat "$out/code")" = 200 ] || { echo "upload answered $(cat "$out/code")" >&2; exit 1; }
tv=$(date +%s.%N)
preview=$(grep -o 'name="preview" value="[0-9a-f]*"' "$out/preview.html" | sed 's/.*value="//; s/"//')
code=$(curl -s -o /dev/null -w '%{http_code}' -b "kv_session=$session" --data-urlencode "csrf=$csrf" --data-urlencode "preview=$preview" "$base/admin/kommun/0180/fil/spara")
t1=$(date +%s.%N)
[ "$code" = 303 ] || { echo "saving the upload answered $code" >&2; exit 1; }
# Publishing takes exactly the drafts the page showed: the form carries their fingerprint.
drafts=$(curl -s -b "kv_session=$session" "$base/admin/kommun/0180" | grep -o 'name="drafts" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"//')
tp=$(date +%s.%N)
code=$(curl -s -o /dev/null -w '%{http_code}' -b "kv_session=$session" --data-urlencode "csrf=$csrf" --data-urlencode "drafts=$drafts" --data-urlencode "confirmed=1" "$base/admin/kommun/0180/publicera")
t2=$(date +%s.%N)
[ "$code" = 303 ] || { echo "publish answered $code" >&2; exit 1; }
curl -s -b "kv_session=$session" "$base/admin/kommun/0180" | grep -q 'name="drafts"' && { echo "drafts were left after publishing" >&2; exit 1; }
echo "| step | rows | seconds |"
echo "|---|---:|---:|"
echo "| upload: check every row and compare with what is published (the preview) | $rows | $(echo "$tv - $t0" | bc | cut -c1-5) |"
echo "| save the preview as drafts (one transaction) | $rows | $(echo "$t1 - $tv" | bc | cut -c1-5) |"
echo "| publish: drafts into values through the import path (one transaction) | $rows | $(echo "$t2 - $tp" | bc | cut -c1-5) |"
echo
echo "Page $(curl -s -b "kv_session=$session" "$base/admin/kommun/0180" | wc -c) bytes, 250 own measures."
echo
wrk -t2 -c64 -d"${seconds}s" --latency -H "Cookie: kv_session=$session" "$base/admin/kommun/0180" >"$out/wrk" 2>&1
grep -q "Non-2xx" "$out/wrk" && { cat "$out/wrk" >&2; exit 1; }
echo "| page | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
echo "| /admin/kommun/0180 (logged in, no drafts) | $(awk '/Requests\/sec/ {print $2}' "$out/wrk") | $(awk '$1 == "50%" {print $2}' "$out/wrk") | $(awk '$1 == "99%" {print $2}' "$out/wrk") |"
