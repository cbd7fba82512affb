#!/usr/bin/env bash
# Citizen-budget counting benchmark: a generated round (bench/gen_pb.py: PROJECTS projects
# costing 20,000–1,000,000, VOTERS approval ballots of 1–10 projects with skewed popularity,
# a budget of a fifth of the total cost) counted by `kvalitet budget count` (release build,
# timed whole: reading the file and counting) by greedy, equal shares and equal shares with
# Add1 completion, RUNS times each; then by pabutools (PyPI, installed in a virtualenv when
# missing; parsing and counting timed apart) by greedy and equal shares, checking that both
# choose the same projects. pabutools' Add1 completion reruns its exact-fraction count once
# per unit added to each share (180 runs here) and is not run.
# Usage: bench/budget.sh [PROJECTS] [VOTERS] [RUNS]  (default 100, 50000 and 3)
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-100}
voters=${2:-50000}
runs=${3:-3}
target=${CARGO_TARGET_DIR:-target}
venv="$target/pabutools-venv"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pabutools' 2>/dev/null \
    || { python3 -m venv "$venv" && "$venv/bin/pip" install -q pabutools==1.2.3; }
cargo build --release --quiet -p kvalitet-cli
bin=$target/release/kvalitet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 bench/gen_pb.py "$projects" "$voters" > "$work/round.pb"
echo "round: $projects projects, $voters voters, $(du -h "$work/round.pb" | cut -f1)"
for rule in greedy mes mes-add1; do
    args=(--rule "${rule%-add1}")
    [ "$rule" = mes-add1 ] && args+=(--completion add1)
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "kvalitet $rule: %e s, peak memory %M kB" \
            "$bin" budget count "$work/round.pb" "${args[@]}" >"$work/$rule.json" 2>>"$work/time.txt"
    done
    grep "kvalitet $rule:" "$work/time.txt" | tr '\n' ' '
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("(%d projects, %d of %d, %d runs)" % (len(d["selected"]), d["cost"], d["budget"], d["runs"]))' "$work/$rule.json"
done
cat > "$work/theirs.py" <<'PY'
import json, sys, time
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
path, rule, ours = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.time()
instance, profile = parse_pabulib(path)
parsed = time.time() - t
t = time.time()
if rule == "greedy":
    out = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
else:
    out = method_of_equal_shares(instance, profile, sat_class=Cost_Sat)
counted = time.time() - t
same = sorted(p.name for p in out) == sorted(json.load(open(ours))["selected"])
print(f"pabutools {rule}: parse {parsed:.2f} s, count {counted:.2f} s, same projects: {same}")
PY
for rule in greedy mes; do
    "$venv/bin/python" "$work/theirs.py" "$work/round.pb" "$rule" "$work/$rule.json"
done
"$venv/bin/python" -c 'import importlib.metadata as m; print("pabutools", m.version("pabutools"))'
