#!/usr/bin/env bash
# Queue benchmarks, run by `make bench` under scripts/testbed.sh:
#  - pickup latency: from just before Django's raw-SQL insert (with pg_notify)
#    to the start of Work in a River client configured as the daemon, p50 and
#    p95 over QUEUE_BENCH_JOBS jobs (default 1,000), inserted 105-125 ms apart;
#    baseline: the same insert without pg_notify, found by River's 1 s poll.
#  - insert rate of Django's raw-SQL route (docs/river.md), run as
#    Django would run it: Python, psycopg2, one job per transaction with its
#    unique key and pg_notify; beside River's InsertMany (Go, 1,000 per
#    batch) and River's Insert (Go, one job per transaction).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_DATABASE_URL:?run under scripts/testbed.sh run}"
jobs_n=${QUEUE_BENCH_JOBS:-1000}
insert_n=${QUEUE_BENCH_INSERTS:-3000}

work=$(mktemp -d)
db="bench_queue_$$"
cleanup() {
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$TEST_DATABASE_URL" "$db")

go build -o "$work/worker" ./cmd/worker
go build -o "$work/queuebench" ./internal/bench/queuebench
DATABASE_URL=$url MEDIA_ROOT=$work "$work/worker" migrate 2>"$work/migrate.log" ||
  { echo "queue bench: worker migrate failed" >&2; cat "$work/migrate.log" >&2; exit 1; }

echo "queue bench: pickup latency over $jobs_n jobs (about $((jobs_n / 8 + jobs_n / 20)) s)" >&2
DATABASE_URL=$url "$work/queuebench" -n "$jobs_n" pickup >"$work/pickup.json"

echo "queue bench: insert rates over $insert_n jobs" >&2
/usr/bin/python3 - "$url" "$insert_n" >"$work/django.json" <<'PY'
import hashlib, json, sys, time
import psycopg2

url, n = sys.argv[1], int(sys.argv[2])
conn = psycopg2.connect(url)

def unique_key(kind, args):
    enc = json.dumps(args, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for c, e in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        enc = enc.replace(c, e)
    return hashlib.sha256(("&kind=" + kind + "&args=" + enc).encode()).digest()

start = time.perf_counter()
for i in range(n):
    args = {"name": "bench/django-%d.png" % i}
    with conn:  # one transaction per job, as a Django view would
        with conn.cursor() as cur:
            cur.execute("""
                INSERT INTO river_job (args, kind, max_attempts, priority, queue, scheduled_at, state, tags, metadata, unique_key, unique_states)
                VALUES (%s::jsonb, 'ocr_document', 5, 1, 'ocr', now(), 'available', '{}', '{}', %s, B'11110001')
                ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND unique_states IS NOT NULL
                    AND river_job_state_in_bitmask(unique_states, state)
                DO UPDATE SET kind = river_job.kind
                RETURNING id""", (json.dumps(args), unique_key("ocr_document", args)))
            cur.fetchone()
            cur.execute("SELECT pg_notify(current_schema() || '.river_insert', '{\"queue\": \"ocr\"}')")
elapsed = time.perf_counter() - start
print(json.dumps({"django_per_s": n / elapsed}))
PY
DATABASE_URL=$url "$work/queuebench" -n "$insert_n" insert >"$work/insert.json"

python3 - "$work" "$jobs_n" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
p = json.load(open(work + "/pickup.json"))
d = json.load(open(work + "/django.json"))
i = json.load(open(work + "/insert.json"))

def row(measure, ours, tool, base, unit, target, fmt="%.1f"):
    ratio = "%.2f" % (ours / base) if base else "n/a"
    print("| queue | %s | %s %s | %s | %s %s | %s | %s |" % (measure, fmt % ours, unit, tool, fmt % base, unit, ratio, target))

poll = "same insert without pg_notify (River's 1 s poll), %d jobs" % p["poll_n"]
row("pickup latency p50, insert + pg_notify to Work start, %d jobs" % p["notify_n"], p["notify_p50_ms"], poll, p["poll_p50_ms"], "ms", "≤ 50 ms")
row("pickup latency p95, insert + pg_notify to Work start, %d jobs" % p["notify_n"], p["notify_p95_ms"], poll, p["poll_p95_ms"], "ms", "≤ 150 ms")
print("queue bench: the p95 pickup is the jobs whose pg_notify came within River's 100 ms fetch cooldown "
      "(FetchCooldown) after a fetch of the worker's own 1 s poll; the daemon runs River's defaults", file=sys.stderr)
row("insert rate, Django raw-SQL route (psycopg2, 1 job/transaction, unique key + pg_notify)", d["django_per_s"],
    "River InsertMany (Go, 1,000/batch)", i["insert_many_per_s"], "jobs/s", "≥ 500 jobs/s", "%.0f")
row("insert rate, Django raw-SQL route (psycopg2, 1 job/transaction, unique key + pg_notify)", d["django_per_s"],
    "River Insert (Go, 1 job/transaction)", i["insert_one_per_s"], "jobs/s", "ratio ≥ 0.5", "%.0f")
PY
