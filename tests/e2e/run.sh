#!/usr/bin/env bash
# End to end in headless Chromium: visits the start page, a municipality page, a measure page
# with its map, the compare page, the method, accessibility, embed and login pages, in Swedish
# and English, requiring zero axe-core violations at WCAG 2.1 AA and that the keyboard alone
# reaches every link and control; then logs in as an administrator, defines an own measure,
# uploads a CSV of values, publishes them and finds the value on the citizen page, checking
# the admin pages with axe on the way; and runs an assessment round (Delaktighetsindex) from
# creation through answers, consensus, submission, review and publishing to its public report;
# and a national service round from set-up, contact uploads and the tester's phone form to the
# published figures. Every public page is also loaded at 360 and 1280 px wide: it must not
# scroll sideways, its chart text must be 12 px or more and its value axes count in nice
# steps; a screenshot of each is written to $CARGO_TARGET_DIR/e2e-shots. A municipality page
# and a measure page must print on at most 5 and 6 A4 pages.
# Data: the real Kolada files in ../shared/data when present (KKiK values, boundaries), else
# the CLI test fixtures. Installs Debian's chromium and the npm packages when missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
[ -d tests/e2e/node_modules/@axe-core/playwright ] || (cd tests/e2e && npm ci --no-audit --no-fund --silent)
cargo build --quiet
bin="$target/debug/kvalitet"
work=$(mktemp -d /tmp/kvalitet-e2e.XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
db="sqlite://$work/e2e.db"
# The outbox is the e-proposal flow's mailbox: the test reads its confirmation links there.
export KVALITET_E2E_DB="$work/e2e.db"
data=../shared/data
if [ -d "$data/kolada_values" ]; then
    "$bin" --database-url "$db" import -q "$data/kolada_meta" "$data/municipalities" \
        "$data/kolada_values/kkik_values_total.csv" "$data/kolada_values/kkik_values_gender.csv" \
        "$data/geo/kommuner_wgs84.geojson" data/measure-sets data/frameworks >/dev/null
    export KVALITET_E2E_KOMMUN=1480 KVALITET_E2E_OTHER=0180 KVALITET_E2E_KPI=N15428 KVALITET_E2E_MAP=1
else
    fixtures=crates/kvalitet-cli/tests/fixtures
    "$bin" --database-url "$db" import -q "$fixtures/catalogue" "$fixtures/values.csv" data/measure-sets data/frameworks >/dev/null
    export KVALITET_E2E_KOMMUN=0180 KVALITET_E2E_OTHER=1280 KVALITET_E2E_KPI=N15428 KVALITET_E2E_MAP=0
fi
# An administrator for the login, upload and publish flow.
export KVALITET_E2E_PASSWORD="e2e-lösenord-$(date +%s)"
printf '%s\n' "$KVALITET_E2E_PASSWORD" | "$bin" --database-url "$db" user add e2e@kommun.se --name "E2E Test" \
    --municipality "$KVALITET_E2E_KOMMUN" --role admin --password-stdin >/dev/null 2>&1
# A national coordinator, who reviews and publishes the assessment the first one submits.
printf '%s\n' "$KVALITET_E2E_PASSWORD" | "$bin" --database-url "$db" user add samordnare@skr.se --name "Samordnare" \
    --system-admin --password-stdin >/dev/null 2>&1
# A published goal plan for the residents' goals page.
cat >"$work/plan.toml" <<PLAN
municipality = "$KVALITET_E2E_KOMMUN"
[[goals]]
id = "vision"
level = "vision"
title = "En kommun där alla kan växa"
[[goals]]
id = "kf1"
parent = "vision"
level = "kf"
title = "Alla elever ska nå kunskapsmålen"
owner = "Kommunfullmäktige"
[[goals.indicators]]
measure = "$KVALITET_E2E_KPI"
aim = "higher"
baseline_year = 2015
targets = { 2022 = 80, 2026 = 90 }
[[goals]]
id = "a1"
parent = "kf1"
level = "activity"
title = "Läsombud på varje skola"
state = "ongoing"
due = "2025-06-30"
PLAN
"$bin" --database-url "$db" import --quiet --publish-goals "$work/plan.toml" >/dev/null
"$bin" --database-url "$db" serve --addr 127.0.0.1:0 2>"$work/serve.log" & server=$!
for _ in $(seq 100); do grep -q "http://" "$work/serve.log" && break; sleep 0.1; done
export KVALITET_E2E_URL=$(grep -o 'http://[0-9.:]*' "$work/serve.log" | head -n 1)
# Screenshots of every public page at 360 and 1280 px wide, for a reviewer to look at.
export KVALITET_E2E_SHOTS="$target/e2e-shots"
mkdir -p "$KVALITET_E2E_SHOTS"
node tests/e2e/a11y.mjs
echo "screenshots: $KVALITET_E2E_SHOTS"
