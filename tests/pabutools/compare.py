"""Counts every round in tests/pabutools/instances with pabutools and with `kvalitet budget
count`, by greedy, equal shares and equal shares with Add1 completion, and fails on any
difference in the projects chosen.

Both use kvalitet's published tie-break (lowest cost, then most votes, then the lot; a .pb
file's lot is its order of projects) and its utilities: the cost of an approved project, and
points times cost on a points ballot. Projects nobody voted for are left out of pabutools'
instance, since kvalitet never funds them (pabutools' greedy would if money were left).

Usage: python3 compare.py KVALITET_BINARY RULES INSTANCE.pb...
(RULES: a comma-separated list of greedy, mes, mes-add1)
"""

import json
import subprocess
import sys

from pabutools.election import (
    AdditiveSatisfaction,
    Cost_Sat,
    parse_pabulib,
)
from pabutools.election.profile import AbstractApprovalProfile
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
from pabutools.tiebreaking import TieBreakingRule


def points_times_cost(instance, profile, ballot, project, precomputed):
    return ballot.get(project, 0) * project.cost


class PointsCostSat(AdditiveSatisfaction):
    def __init__(self, instance, profile, ballot):
        AdditiveSatisfaction.__init__(self, instance, profile, ballot, points_times_cost)


def votes_of(profile, project):
    if isinstance(profile, AbstractApprovalProfile):
        return profile.approval_score(project)
    return sum(ballot.get(project, 0) * profile.multiplicity(ballot) for ballot in profile)


RULES = ("greedy", "mes", "mes-add1")


def count_with_pabutools(path, rules=RULES):
    instance, profile = parse_pabulib(path)
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().lower() == "projects") + 2
    order = []
    for line in lines[start:]:
        if line.strip().lower() == "votes":
            break
        order.append(line.split(";")[0].strip())
    lot = {name: i for i, name in enumerate(order)}
    votes = {p.name: votes_of(profile, p) for p in instance}
    for p in [p for p in instance if votes[p.name] == 0]:
        instance.remove(p)
    tie = TieBreakingRule(lambda inst, prof, p: (p.cost, -votes[p.name], lot[p.name]))
    sat = Cost_Sat if isinstance(profile, AbstractApprovalProfile) else PointsCostSat
    counts = {
        "greedy": lambda: greedy_utilitarian_welfare(
            instance, profile, sat_class=sat, tie_breaking=tie
        ),
        "mes": lambda: method_of_equal_shares(instance, profile, sat_class=sat, tie_breaking=tie),
        "mes-add1": lambda: method_of_equal_shares(
            instance, profile, sat_class=sat, tie_breaking=tie, voter_budget_increment=1
        ),
    }
    return {rule: sorted(p.name for p in counts[rule]()) for rule in rules}


def count_with_kvalitet(binary, path, rule):
    args = [binary, "budget", "count", path, "--rule", "greedy" if rule == "greedy" else "mes"]
    if rule == "mes-add1":
        args += ["--completion", "add1"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return sorted(json.loads(out)["selected"])


def main():
    binary, rules, paths = sys.argv[1], sys.argv[2].split(","), sys.argv[3:]
    failures = 0
    for path in paths:
        theirs = count_with_pabutools(path, rules)
        for rule, chosen in theirs.items():
            ours = count_with_kvalitet(binary, path, rule)
            same = ours == chosen
            failures += not same
            print(f"{'ok  ' if same else 'DIFF'} {rule:9} {len(chosen):3} projects  {path}")
            if not same:
                print(f"     pabutools: {chosen}\n     kvalitet:  {ours}")
    if failures:
        sys.exit(f"{failures} counts differ from pabutools")


if __name__ == "__main__":
    main()
