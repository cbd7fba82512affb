#!/usr/bin/env bash
# A login storm against `kvalitet serve` (SQLite), side by side with the same server at rest:
#   1. at rest: the start page / under 2 clients (wrk);
#   2. 128 attackers sending wrong passwords from ONE address (the probe's storm) for SECONDS,
#      while 2 clients read /;
#   3. 128 attackers from 128 addresses at once, each a new account name (X-Forwarded-For,
#      trusted for this run), so that no count holds them back and every attempt asks for a
#      password check: the bounded hasher is all that stands between them and the memory.
# Reported per run: the attackers' answers per second and their statuses, the median and
# 99th percentile of / for the readers, and the server's peak resident memory (VmHWM).
# Usage: bench/login-storm.sh [SECONDS] (default 20). Installs wrk when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
out=$(mktemp -d /tmp/kvalitet-storm.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
db="sqlite://$out/k.db"
if [ -d ../shared/data/municipalities ]; then
    "$bin" --database-url "$db" import -q ../shared/data/municipalities >/dev/null
fi
echo "ett långt lösenord för anna" | "$bin" --database-url "$db" user add anna@kommun.se \
    --name Anna --password-stdin >/dev/null 2>&1

# The attackers' request: a wrong password with a matching double-submit token.
cat >"$out/one-address.lua" <<'LUA'
local counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "kv_login=abc123"
wrk.body = "csrf=abc123&email=anna%40kommun.se&password=fel+gissning+igen"
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done()
  local total = {}
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do total[s] = (total[s] or 0) + n end
  end
  local parts = {}
  for s, n in pairs(total) do table.insert(parts, s .. ": " .. n) end
  table.sort(parts)
  io.write("statuses " .. table.concat(parts, ", ") .. "\n")
end
LUA
# As above, but every request from its own address and for its own account.
sed -e 's|^wrk.body = .*||' "$out/one-address.lua" >"$out/many-addresses.lua"
cat >>"$out/many-addresses.lua" <<'LUA'
function request()
  local id = math.random(1, 2000000000)
  wrk.headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", id % 250, math.floor(id / 250) % 250, math.floor(id / 62500) % 250)
  return wrk.format(nil, nil, nil, "csrf=abc123&email=u" .. id .. "%40kommun.se&password=fel+gissning+igen")
end
LUA

serve() {
    "$bin" --database-url "$db" serve --addr 127.0.0.1:0 --public-url http://127.0.0.1 "$@" \
        >"$out/serve.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do
        addr=$(grep -o 'http://127.0.0.1:[0-9]*' "$out/serve.log" | head -1 || true)
        [ -n "$addr" ] && break
        sleep 0.1
    done
    curl -sf "$addr/" >/dev/null
}

stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; }

peak() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status"; }

readers() {
    wrk -t1 -c2 -d"${seconds}s" --latency "$addr/" >"$out/readers.txt"
    awk '/^ +50%/ {m=$2} /^ +99%/ {p=$2} /Requests\/sec/ {r=$2} END {printf "%s | %s | %s", m, p, r}' "$out/readers.txt"
}

attack() {
    wrk -t2 -c128 -d"${seconds}s" -s "$out/$1.lua" "$addr/logga-in" >"$out/attack.txt" 2>&1
    local rate statuses
    rate=$(awk '/Requests\/sec/ {print $2}' "$out/attack.txt")
    statuses=$(sed -n 's/^statuses //p' "$out/attack.txt")
    printf "%s/s (%s)" "$rate" "$statuses"
}

echo "## Login storm: 128 attackers for ${seconds} s, 2 clients reading /"
echo
echo "| run | attackers' answers | / median | / p99 | / requests/s | server peak memory |"
echo "|---|---|---:|---:|---:|---:|"
serve
r=$(readers)
echo "| at rest (no attackers) | – | $r | $(peak) MB |"
stop

serve
attack one-address >"$out/a1" &
a=$!
sleep 1
r=$(readers)
wait "$a"
echo "| 128 attackers, one address | $(cat "$out/a1") | $r | $(peak) MB |"
stop

serve --trust-forwarded-for true
attack many-addresses >"$out/a2" &
a=$!
sleep 1
r=$(readers)
wait "$a"
echo "| 128 attackers, 128 addresses, new account names | $(cat "$out/a2") | $r | $(peak) MB |"
stop
echo
echo "Before the bounded hasher and the counts (the probe, issue 12): 200 concurrent attempts took the"
echo "server to 3.9 GB and 128 attackers to 7.9 GB, with / at 0.47 s median."
