#!/usr/bin/env bash
# Survey weighting benchmark: 100,000 generated respondents raked over 4 margins (2, 4, 5 and
# 3 levels) by `kvalitet survey weight` (release build: reading both CSVs, raking to 1e-10,
# writing every weight) beside R's survey::rake on the same data (raking only, 1e-9 on the
# totals), each run checked to agree to 1e-6 (tests/r/rake.R), RUNS times.
# Usage: bench/weighting.sh [RESPONDENTS] [RUNS]  (default 100000 and 3). Installs r-cran-survey.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
runs=${2:-3}
if ! Rscript -e 'suppressPackageStartupMessages(library(survey))' >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-cran-survey >/dev/null
fi
cargo build --release --quiet -p kvalitet-cli
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$runs"); do
    Rscript tests/r/rake.R "$bin" "$work" "$n"
done
/usr/bin/time -f "kvalitet survey weight: %e s, peak memory %M kB" \
    "$bin" survey weight --sample "$work/sample.csv" --targets "$work/targets.csv" >/dev/null 2>"$work/time.txt" || true
tail -1 "$work/time.txt"
R --version | head -1
