#!/usr/bin/env bash
# Existing Kolada clients, unchanged, against kvalitet's /v3: installs koladapy (PyPI) in a
# virtualenv under the target directory, serves the CLI test fixtures, runs the checks.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
venv="$target/kolada-clients-venv"
[ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import koladapy' 2>/dev/null \
    || { python3 -m venv "$venv" && "$venv/bin/pip" install -q koladapy==1.0.1; }
cargo build --quiet
bin="$target/debug/kvalitet"
work=$(mktemp -d /tmp/kvalitet-clients.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
fixtures=crates/kvalitet-cli/tests/fixtures
"$bin" --database-url "sqlite://$work/c.db" import -q "$fixtures/catalogue" "$fixtures/values.csv" "$fixtures/data_page.json" >/dev/null
"$bin" --database-url "sqlite://$work/c.db" serve --addr 127.0.0.1:0 2>"$work/serve.log" & server=$!
for _ in $(seq 100); do grep -q "http://" "$work/serve.log" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*/' "$work/serve.log" | head -n 1)v3/
echo "koladapy $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("koladapy"))') against $base"
"$venv/bin/python" tests/clients/koladapy_check.py "$base"
