#!/usr/bin/env bash
# Checks `kvalitet budget count` against pabutools (PyPI, installed when missing) on real
# Pabulib rounds (tests/pabutools/instances): greedy and equal shares on every round, equal
# shares with Add1 completion on those pabutools completes in seconds (its exact fractions
# take minutes on rounds with large per-voter shares).
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
venv="$target/pabutools-venv"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pabutools' 2>/dev/null \
    || { python3 -m venv "$venv" && "$venv/bin/pip" install -q pabutools==1.2.3; }
cargo build --quiet -p kvalitet-cli
dir=tests/pabutools/instances
"$venv/bin/python" tests/pabutools/compare.py "$target/debug/kvalitet" greedy,mes "$dir"/*.pb
"$venv/bin/python" tests/pabutools/compare.py "$target/debug/kvalitet" mes-add1 \
    "$dir/Netherlands_Amsterdam_619.pb" \
    "$dir/Poland_Czestochowa_2020_Grabowka.pb" \
    "$dir/Poland_Gdansk_2020_Letnica.pb" \
    "$dir/Poland_Warszawa_2017_CentrumWola_GrzybowskaGroszowka.pb" \
    "$dir/Netherlands_Amsterdam_179.pb"
echo "ok   citizen-budget counting agrees with pabutools"
