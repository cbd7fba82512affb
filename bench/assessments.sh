#!/usr/bin/env bash
# Assessment and service-measurement benchmarks: 290 published Kommunkompassen rounds and a
# national service round of 290 municipalities x 20 test contacts, seeded straight into SQLite.
#   1. the first (uncomputed) request of a round's report, which scores all 290 rounds for the
#      average and range, timed with curl for five different rounds;
#   2. the first request of the service results page (5,800 contacts through the Swedish
#      calendar, 290 municipalities' figures);
#   3. 64 concurrent clients (wrk) on a report page, the service results page,
#      /api/v1/service, and nginx serving the same report page as a static file (the ceiling).
# Usage: bench/assessments.sh [SECONDS]  (default 10). Installs wrk and nginx when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
out=$(mktemp -d /tmp/kvalitet-assess.XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$out"' EXIT
command -v wrk >/dev/null && command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk nginx; } >&2
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/kvalitet
db="$out/a.db"
if [ -d ../shared/data/municipalities ]; then
    "$bin" --database-url "sqlite://$db" import -q ../shared/data/kolada_meta ../shared/data/municipalities data/frameworks >/dev/null
else
    "$bin" --database-url "sqlite://$db" import -q crates/kvalitet-cli/tests/fixtures/catalogue data/frameworks >/dev/null
fi
python3 - "$db" <<'PY'
import random, sqlite3, sys
random.seed(7)
con = sqlite3.connect(sys.argv[1])
kommuner = [r[0] for r in con.execute("SELECT id FROM municipality WHERE id NOT LIKE '00%' ORDER BY id")]
now = "2026-11-23T00:00:00Z"
for m in kommuner:
    cur = con.execute(
        "INSERT INTO assessment_round (municipality_id, framework_id, framework_version, kind, title, year, status, created_by, created_at)"
        " VALUES (?, 'kommunkompassen', '2020', 'external', 'Kommunkompassen', 2024, 'published', 'bench', ?)", (m, now))
    for area in range(1, 9):
        con.execute("INSERT INTO assessment_consensus (round_id, question_id, answer, reason, decided_by, decided_at) VALUES (?, ?, ?, 'skäl', 'bench', ?)",
                    (cur.lastrowid, f"kk{area}", str(random.randint(30, 90)), now))
cur = con.execute("INSERT INTO service_round (title, year, organiser_id, status, partly_counts, min_tests, closed_days, created_by, created_at)"
                  " VALUES ('Servicemätning', 2024, NULL, 'published', 1, 10, '', 'bench', ?)", (now,))
sr = cur.lastrowid
for q in range(10):
    con.execute("INSERT INTO service_question (round_id, id, area, text) VALUES (?, ?, 'bygglov', 'Fråga')", (sr, f"q{q}"))
for m in kommuner:
    con.execute("INSERT INTO service_member (round_id, municipality_id) VALUES (?, ?)", (sr, m))
    for q in range(10):
        day = 3 + q % 5
        answered = None if random.random() < 0.1 else f"2024-03-{day + random.randint(0, 4):02d}T10:00:00Z"
        con.execute("INSERT INTO service_contact (round_id, municipality_id, question_id, channel, tester, sent_at, answered_at, relevance, note, registered_by, registered_at)"
                    " VALUES (?, ?, ?, 'email', 't', ?, ?, ?, '', 'bench', ?)",
                    (sr, m, f"q{q}", f"2024-03-{day:02d}T08:00:00Z", answered, None if answered is None else "yes", now))
        con.execute("INSERT INTO service_contact (round_id, municipality_id, question_id, channel, tester, sent_at, direct_answer, wait_seconds, reception, note, registered_by, registered_at)"
                    " VALUES (?, ?, ?, 'phone', 't', ?, ?, 60, ?, '', 'bench', ?)",
                    (sr, m, f"q{q}", f"2024-03-{day:02d}T09:00:00Z", random.random() < 0.6, random.randint(0, 3), now))
con.commit()
print(f"seeded {len(kommuner)} published rounds and a service round of {len(kommuner) * 20} contacts", file=sys.stderr)
PY
"$bin" --database-url "sqlite://$db" serve --addr 127.0.0.1:18211 2>"$out/serve.log" & pids+=($!)
for _ in $(seq 100); do grep -q "http://" "$out/serve.log" && break; sleep 0.1; done
first=$(sqlite3 "$db" "SELECT municipality_id || '/bedomning/' || id FROM assessment_round ORDER BY id LIMIT 1")
echo "## Assessments and service measurements, $(nproc) cores"
echo
echo "First request of a report (scores 290 rounds for the average and range), five rounds:"
for id in 1 2 3 4 5; do
    m=$(sqlite3 "$db" "SELECT municipality_id FROM assessment_round WHERE id = $id")
    curl -sf -o /dev/null -w "  round $id: %{time_total} s\n" "http://127.0.0.1:18211/kommun/$m/bedomning/$id"
done
curl -sf -o /dev/null -w "First request of the service results (5,800 contacts through the Swedish calendar): %{time_total} s\n" "http://127.0.0.1:18211/servicematning/1"
curl -sf "http://127.0.0.1:18211/kommun/$first" >"$out/page.html"
chmod 755 "$out" && chmod 644 "$out/page.html"
cat >"$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
    access_log off;
    server { listen 127.0.0.1:18212; root $out; location / { default_type text/html; } }
}
NGINX
nginx -c "$out/nginx.conf" -p "$out"
sleep 1
pids+=("$(cat "$out/nginx.pid")")
run() { # name url -> a table row, after one request that fills the cache
    curl -sf -o /dev/null "$2"
    wrk -t2 -c64 -d"${seconds}s" --latency "$2" >"$out/wrk" 2>&1
    if grep -q "Non-2xx" "$out/wrk"; then echo "$1 answered with errors:" >&2; cat "$out/wrk" >&2; exit 1; fi
    echo "| $1 | $(awk '/Requests\/sec/ {print $2}' "$out/wrk") | $(awk '$1 == "50%" {print $2}' "$out/wrk") | $(awk '$1 == "99%" {print $2}' "$out/wrk") |"
}
echo
echo "64 concurrent clients, ${seconds} s each:"
echo
echo "| server | requests/s | p50 | p99 |"
echo "|---|---:|---:|---:|"
run "kvalitet report /kommun/$first (kept per data version)" "http://127.0.0.1:18211/kommun/$first"
run "kvalitet /servicematning/1 (kept per data version)" "http://127.0.0.1:18211/servicematning/1"
run "kvalitet /api/v1/service (kept per data version)" "http://127.0.0.1:18211/api/v1/service"
run "nginx $(nginx -v 2>&1 | sed 's|.*/||'), the report page as a static file" "http://127.0.0.1:18212/page.html"
