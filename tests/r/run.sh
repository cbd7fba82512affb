#!/usr/bin/env bash
# Checks the survey weighting against R's survey::rake (Debian's r-cran-survey, installed when
# missing) on generated respondents, at two sizes: every weight, the design effect and the
# effective n agree to 1e-6.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
if ! Rscript -e 'suppressPackageStartupMessages(library(survey))' >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-cran-survey >/dev/null
fi
cargo build --quiet -p kvalitet-cli
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for n in 300 5000; do
    Rscript tests/r/rake.R "$target/debug/kvalitet" "$work" "$n"
done
echo "ok   survey weighting agrees with R's survey::rake"
