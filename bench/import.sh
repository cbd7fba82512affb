#!/usr/bin/env bash
# Import benchmark: the full Kolada dump (4,542,773 values, gzip CSV) into
#   - kvalitet on SQLite (WAL, synchronous=FULL: the durability it runs with),
#   - kvalitet on PostgreSQL (COPY into staging, then one upsert; fsync on),
#   - DuckDB (from PyPI, in bench/.venv) loading the same file into its own table,
# side by side in one run, several rounds each, reporting the median and ratios.
# Usage: bench/import.sh [ROUNDS]   (default 3). Needs ../shared/data beside the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
data=../shared/data
values=$data/kolada_values/kolada_values_total_1994-2022.csv.gz
[ -f "$values" ] || { echo "missing $values" >&2; exit 1; }
n=4542773
out=$(mktemp -d /tmp/kvalitet-bench.XXXXXX)
trap 'rm -rf "$out"; [ -n "${KVALITET_PG_DIR:-}" ] && .ci/postgres.sh stop "$KVALITET_PG_DIR"' EXIT

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
[ -x bench/.venv/bin/python ] || { python3 -m venv bench/.venv && bench/.venv/bin/pip install -q duckdb; }
# The SQLite floor (bench/sqlite_floor.c) needs the C headers.
[ -f /usr/include/sqlite3.h ] || { apt-get update -qq && apt-get install -y -qq libsqlite3-dev; } >&2
gcc -O2 -o "$out/sqlite_floor" bench/sqlite_floor.c -lsqlite3
zcat "$values" >"$out/values.csv"
eval "$(KVALITET_PG_FSYNC=on .ci/postgres.sh start)"

# Runs a command, prints "seconds peak_rss_kb".
measure() {
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
    cat "$out/time"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for r in $(seq "$rounds"); do
    rm -f "$out"/k.db*
    "$bin" --database-url "sqlite://$out/k.db" import -q "$data/kolada_meta" "$data/municipalities" >/dev/null
    measure "$bin" --database-url "sqlite://$out/k.db" import -q "$values" >>"$out/sqlite"

    db="bench_$r"
    psql -q "$TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    pg=${TEST_POSTGRES_URL%/*}/$db
    "$bin" --database-url "$pg" import -q "$data/kolada_meta" "$data/municipalities" >/dev/null
    measure "$bin" --database-url "$pg" import -q "$values" >>"$out/postgres"

    "$out/sqlite_floor" "$out/values.csv" "$out/floor.db" 1 >>"$out/floor"

    rm -f "$out/d.duckdb"
    measure bench/.venv/bin/python - "$values" "$out/d.duckdb" >>"$out/duckdb" <<'PY'
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("CREATE TABLE value AS SELECT * FROM read_csv(?, header=true, "
            "columns={'kpi':'VARCHAR','municipality_id':'VARCHAR','year':'INTEGER','value':'DOUBLE'})", [sys.argv[1]])
assert con.execute("SELECT count(*) FROM value").fetchone()[0] == 4542773
con.close()
PY
done

s=$(cut -d' ' -f1 "$out/sqlite" | median); sm=$(cut -d' ' -f2 "$out/sqlite" | median)
p=$(cut -d' ' -f1 "$out/postgres" | median); pm=$(cut -d' ' -f2 "$out/postgres" | median)
d=$(cut -d' ' -f1 "$out/duckdb" | median); dm=$(cut -d' ' -f2 "$out/duckdb" | median)
f=$(median <"$out/floor")
sqlite3_version() { dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null | cut -d- -f1; }
rate() { awk -v n="$n" -v t="$1" 'BEGIN {printf "%.0f", n / t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo
echo "Import of $n values, median of $rounds rounds ($(nproc) cores, $(uname -m))"
echo
echo "| loader | seconds | values/s | peak memory (MB) | time vs DuckDB |"
echo "|---|---:|---:|---:|---:|"
echo "| kvalitet, SQLite | $s | $(rate "$s") | $((sm / 1024)) | $(ratio "$s" "$d")x |"
echo "| kvalitet, PostgreSQL (COPY) | $p | $(rate "$p") | $((pm / 1024)) | $(ratio "$p" "$d")x |"
echo "| SQLite $(sqlite3_version) C API floor: prepared upsert only (no parsing, checks or revisions) | $f | $(rate "$f") | - | $(ratio "$f" "$d")x |"
echo "| DuckDB $(bench/.venv/bin/python -c 'import duckdb; print(duckdb.__version__)') read_csv into a table | $d | $(rate "$d") | $((dm / 1024)) | 1.00x |"
