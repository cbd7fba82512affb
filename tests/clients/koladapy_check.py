"""Kolada's Python client koladapy (PyPI, unchanged) against a kvalitet server's /v3.

Usage: python koladapy_check.py BASE_URL   (e.g. http://127.0.0.1:8080/v3/)
The server must hold the CLI test fixtures (crates/kvalitet-cli/tests/fixtures).
Prints one line per check and a closing "N passed, N failed"; exits 1 on a failure.
"""
import sys

from koladapy import KoladaAPI

base = sys.argv[1]
api = KoladaAPI(base_url=base, max_requests_per_second=100)
passed = failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


munis = api.get_municipalities()
check("municipalities", {m["id"] for m in munis} == {"0000", "0001", "0114", "0180", "1280", "2584"}, munis)
regions = api.get_municipalities(municipality_type="L")
check("regions are type L", {m["id"] for m in regions} == {"0000", "0001"}, regions)
named = api.get_municipalities(query="malmö")
check("municipality by name", [m["id"] for m in named] == ["1280"], named)
kpis = api.search_kpis()
check("kpi catalogue", {k["id"] for k in kpis} == {"N15428", "N00003", "U07414"}, [k["id"] for k in kpis])
found = api.search_kpis(query="personalkostnader")
check("kpi search", [k["id"] for k in found] == ["N00003"], found)
listed = api.get_kpis(["N15428", "U07414"])
check("kpis by id", {k["id"] for k in listed} == {"N15428", "U07414"}, listed)
one = api.get_kpi("N15428")
check("one kpi", one and one.get("is_divided_by_gender") is True, one)
groups = api.get_municipality_groups()
check("municipality groups", {g["id"] for g in groups} == {"G92787", "G114418"}, groups)
values = api.get_values(kpi_id="N15428", municipality_id=["0000", "0180"], years=[2022])
genders = {(v["municipality"], e["gender"]): e["value"] for v in values for e in v["values"]}
check("values by gender", genders.get(("0000", "K")) == 86.094249 and genders.get(("0180", "T")) == 88.1, genders)
group = api.get_values(kpi_id="N15428", municipality_id="G92787", years=2022)
check("group mean", group and group[0]["values"][0]["value"] == 83.675, group)
many = api.get_values(kpi_id=["N15428", "N00003", "U07414"], years=[2021, 2022, 2023])
check("several kpis and years", len(many) >= 8, len(many))
since = api.get_values(kpi_id="N15428", years=2022, updated_since="2000-01-01")
check("updated_since", len(since) >= 4, len(since))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
