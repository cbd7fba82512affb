#!/usr/bin/env bash
# Sync benchmark: instance B syncs the KKiK measures (shared/data/kkik/kkik_measures_compiled.csv)
# for all municipalities, regions and Riket, 1994-2022, all genders, from instance A's /v3 on
# this machine. A holds the real catalogue and the KKiK values (total and women/men). Both on
# SQLite; A's answer cache is cold at the start of each round.
# Usage: bench/sync.sh [ROUNDS]   (default 3). Needs ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
data=../shared/data
out=$(mktemp -d /tmp/kvalitet-sync.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$out"' EXIT

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
a="sqlite://$out/a.db"
"$bin" --database-url "$a" import -q "$data/kolada_meta" "$data/municipalities" \
    "$data/kolada_values/kkik_values_total.csv" "$data/kolada_values/kkik_values_gender.csv" >/dev/null
kpis=$(python3 -c "import csv, sys; print(','.join(r['kpi_id'] for r in csv.DictReader(open(sys.argv[1]))))" \
    "$data/kkik/kkik_measures_compiled.csv")

for r in $(seq "$rounds"); do
    "$bin" --database-url "$a" serve --addr 127.0.0.1:18281 2>/dev/null & server=$!
    until curl -sf -o /dev/null http://127.0.0.1:18281/healthz; do sleep 0.2; done
    rm -f "$out"/b.db*
    /usr/bin/time -f "%e %M" -o "$out/time" "$bin" --database-url "sqlite://$out/b.db" sync \
        --source http://127.0.0.1:18281/v3 --kpi "$kpis" --year 1994-2022 --rate 1000 -q >"$out/log"
    cat "$out/time" >>"$out/times"
    kill "$server"; wait "$server" 2>/dev/null || true; server=
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo
echo "KKiK sync ($(echo "$kpis" | tr ',' '\n' | wc -l) KPIs, 1994-2022, T/K/M) from a local kvalitet /v3, median of $rounds rounds:"
echo "$(tail -n 1 "$out/log")"
echo "seconds: $(cut -d' ' -f1 "$out/times" | median); peak memory of the syncing process: $(( $(cut -d' ' -f2 "$out/times" | median) / 1024 )) MB"
