#!/usr/bin/env python3
"""Writes a generated citizen-budget round in Pabulib's .pb format to standard output.

Usage: gen_pb.py PROJECTS VOTERS [SEED]
"""
import random, sys
# A round like a large city's: 100 projects costing 20k-1M, 50,000 voters approving 1-10
# projects each, popularity skewed, with a budget of a fifth of the total cost.
random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
n_projects, n_voters = int(sys.argv[1]), int(sys.argv[2])
costs = [random.randrange(20_000, 1_000_000, 1000) for _ in range(n_projects)]
pop = [random.paretovariate(1.2) for _ in range(n_projects)]
budget = sum(costs) // 5
out = ["META", "key;value", "description;Generated round", f"num_projects;{n_projects}",
       f"num_votes;{n_voters}", f"budget;{budget}", "vote_type;approval", "rule;greedy",
       "PROJECTS", "project_id;cost;name"]
out += [f"{i+1};{c};Project {i+1}" for i, c in enumerate(costs)]
out += ["VOTES", "voter_id;vote"]
ids = list(range(n_projects))
for v in range(n_voters):
    k = random.randint(1, 10)
    chosen = set(random.choices(ids, weights=pop, k=k))
    out.append(f"{v+1};{','.join(str(p+1) for p in sorted(chosen))}")
print("\n".join(out))
