#!/usr/bin/env bash
# Report benchmarks: the yearly quality report as accessible PDF (Typst in the binary) for one
# kommun and for all 290, on Kolada's real KKiK values (../shared/data), beside the
# alternative a municipality has today: its page's print view printed to PDF by headless
# Chromium (bench/print-pdf.mjs, one browser for the whole run). Reports seconds, reports/s
# and peak memory (/usr/bin/time), and the first and repeated PDF over HTTP from `serve`.
# Usage: bench/reports.sh [ROUNDS]  (default 3). Needs ../shared/data; installs chromium and
# the e2e npm packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
shared=${KVALITET_SHARED:-../shared}/data
year=2022
out=$(mktemp -d /tmp/kvalitet-reports.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
[ -d tests/e2e/node_modules/playwright-core ] || (cd tests/e2e && npm ci --no-audit --no-fund --silent)
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
db="sqlite://$out/r.db"
"$bin" --database-url "$db" import -q "$shared/kolada_meta" "$shared/municipalities" \
    "$shared/kolada_values/kkik_values_total.csv" "$shared/kolada_values/kkik_values_gender.csv" \
    data/measure-sets >/dev/null
kommuner=$(python3 -c "import csv,sys; print(' '.join(r['kommun_kod'] for r in csv.DictReader(open(sys.argv[1], encoding='utf-8'))))" "$shared/municipalities/kommuner.csv")

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# seconds and peak KB of one command, as "S KB"
timed() { /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>&1; cat "$out/time"; }

one_pdf=(); all_pdf=(); one_mem=(); all_mem=()
for r in $(seq "$rounds"); do
    read -r s kb < <(timed "$bin" --database-url "$db" report --municipality 1480 --year $year --output "$out/one.pdf")
    one_pdf+=("$s"); one_mem+=("$kb")
    rm -rf "$out/all"
    read -r s kb < <(timed "$bin" --database-url "$db" report --all --year $year --output "$out/all")
    all_pdf+=("$s"); all_mem+=("$kb")
done
pages=$(pdfinfo "$out/one.pdf" | awk '/^Pages:/ {print $2}')
written=$(ls "$out/all" | wc -l)

port=18931
"$bin" --database-url "$db" serve --addr 127.0.0.1:$port >/dev/null 2>&1 &
server=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
http=()
for i in $(seq 10); do
    http+=("$(curl -fs -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/kommun/1480/rapport/$year.pdf")")
done
mkdir -p "$out/print-one" "$out/print-all"
print_one=(); print_all=()
for r in $(seq "$rounds"); do
    print_one+=("$(node bench/print-pdf.mjs "http://127.0.0.1:$port" $year "$out/print-one" 1480)")
    # shellcheck disable=SC2086
    print_all+=("$(node bench/print-pdf.mjs "http://127.0.0.1:$port" $year "$out/print-all" $kommuner)")
done
print_pages=$(pdfinfo "$out/print-one/1480.pdf" | awk '/^Pages:/ {print $2}')

m_one=$(printf '%s\n' "${one_pdf[@]}" | median); m_all=$(printf '%s\n' "${all_pdf[@]}" | median)
p_one=$(printf '%s\n' "${print_one[@]}" | median); p_all=$(printf '%s\n' "${print_all[@]}" | median)
echo "yearly report PDF, $year, median of $rounds rounds ($written kommuner written)"
printf '| what | kvalitet report (Typst) | Chromium print of the page | ratio |\n|---|---:|---:|---:|\n'
printf '| one report (1480, %s pages; Chromium %s pages), whole process | %.2f s | %.2f s (browser running) | %.2fx |\n' \
    "$pages" "$print_pages" "$m_one" "$p_one" "$(echo "$p_one / $m_one" | bc -l)"
printf '| all 290 reports | %.2f s | %.2f s | %.2fx |\n' "$m_all" "$p_all" "$(echo "$p_all / $m_all" | bc -l)"
printf '| peak memory, one / all (MB) | %d / %d | – | |\n' \
    "$(( $(printf '%s\n' "${one_mem[@]}" | median) / 1024 ))" "$(( $(printf '%s\n' "${all_mem[@]}" | median) / 1024 ))"
printf '| over HTTP, first / median of 10 (ms) | %.0f / %.0f | | |\n' \
    "$(echo "${http[0]} * 1000" | bc -l)" "$(echo "$(printf '%s\n' "${http[@]}" | median) * 1000" | bc -l)"
