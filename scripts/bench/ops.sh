#!/usr/bin/env bash
# Ops benchmark, run by `make bench` under scripts/testbed.sh: the cost of
# one /metrics scrape (every collector, the river_job queries included) over
# a river_job of OPS_BENCH_JOBS rows (default 1,000,000: finished OCR jobs,
# one in a hundred waiting, one in a thousand discarded, a 10,000-batch
# migration, a month of backups). Baseline: what operators do today, the
# same questions (unfinished jobs by queue and state, the oldest waiting,
# discarded by kind, the newest backup, the migration's rows and bytes)
# asked by hand in one psql session. Target: well inside the
# collectors' 3 s query timeout, so a big table never blinds the alerts.
#
# Second row: the migrate_files plan's byte count (Plan.Measure) over
# OPS_BENCH_FILES named files (default 100,000, sparse, in 100 folders, one
# row in fifty naming a missing file), beside `du -sb MEDIA_ROOT`, what an
# operator would run to size the migration.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_DATABASE_URL:?run under scripts/testbed.sh run}"
n=${OPS_BENCH_JOBS:-1000000}
work=$(mktemp -d)
db="bench_ops_$$"
cleanup() {
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$TEST_DATABASE_URL" "$db")

go build -o "$work/worker" ./cmd/worker
DATABASE_URL=$url MEDIA_ROOT=$work "$work/worker" migrate 2>"$work/migrate.log" ||
  { echo "ops bench: worker migrate failed" >&2; cat "$work/migrate.log" >&2; exit 1; }
echo "ops bench: filling river_job with $n jobs" >&2
psql -X -q -v ON_ERROR_STOP=1 -v n="$n" "$url" <<'SQL'
INSERT INTO river_job (args, kind, max_attempts, queue, state, scheduled_at, finalized_at, metadata)
SELECT '{"name": "scans/x.pdf"}', 'ocr_document', 5, 'ocr',
       (CASE WHEN g % 1000 = 0 THEN 'discarded' WHEN g % 100 = 0 THEN 'available' ELSE 'completed' END)::river_job_state,
       now() - make_interval(secs => g), CASE WHEN g % 100 = 0 AND g % 1000 <> 0 THEN NULL ELSE now() END,
       '{"output": {"text": "..."}}'
FROM generate_series(1, :n) g;
INSERT INTO river_job (args, kind, max_attempts, queue, state, finalized_at, metadata)
VALUES ('{}', 'migrate_files', 5, 'storage', 'completed', now(),
        '{"output": {"dry_run": false, "batches": 10000, "planned_bytes": 529530880000,
                     "fields": [{"table": "crm_document", "column": "file", "rows": 10000000, "batches": 10000, "bytes": 529530880000}]}}')
RETURNING id AS plan_id \gset
-- Every batch names the plan: currval() here would follow each insert.
INSERT INTO river_job (args, kind, max_attempts, queue, state, finalized_at, metadata)
SELECT jsonb_build_object('plan_id', :plan_id), 'migrate_files_batch', 10, 'storage', 'completed', now(),
       '{"output": {"rows": 1000, "uploaded": 990, "skipped": 10, "missing": 0, "failed": 0, "bytes": 52428800, "skipped_bytes": 524288}}'
FROM generate_series(1, 10000);
INSERT INTO river_job (args, kind, max_attempts, queue, state, finalized_at, metadata)
SELECT '{}', 'backup_db', 3, 'maintenance', 'completed', now() - make_interval(days => g),
       '{"output": {"name": "backups/default-web1.psql.bin.gz"}}'
FROM generate_series(0, 30) g;
-- As autovacuum keeps a live table: statistics and visibility map set.
VACUUM ANALYZE river_job;
SQL

OPS_BENCH_DATABASE_URL=$url go test -run '^$' -bench '^BenchmarkScrape$' -benchtime 20x ./metrics/ >"$work/bench.txt"
ours_ms=$(awk '/^BenchmarkScrape/ {printf "%.0f", $3 / 1e6}' "$work/bench.txt")
[[ -n "$ours_ms" ]] || { cat "$work/bench.txt" >&2; exit 1; }

# The same questions by hand, one psql session each time.
runs=5
start=$(date +%s%N)
for _ in $(seq $runs); do
  psql -X -q -o /dev/null "$url" <<'SQL'
SELECT queue, state, count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'running', 'retryable', 'pending') GROUP BY 1, 2;
SELECT queue, now() - min(scheduled_at) FROM river_job WHERE state = 'available' GROUP BY 1;
SELECT kind, count(*) FROM river_job WHERE state = 'discarded' GROUP BY 1;
SELECT now() - max(finalized_at) FROM river_job WHERE kind = 'backup_db' AND state = 'completed';
SELECT sum((metadata->'output'->>'rows')::bigint), sum((metadata->'output'->>'bytes')::bigint + (metadata->'output'->>'skipped_bytes')::bigint)
FROM river_job WHERE kind = 'migrate_files_batch' AND state = 'completed'
  AND args->>'plan_id' = (SELECT max(id)::text FROM river_job WHERE kind = 'migrate_files');
SQL
done
psql_ms=$((($(date +%s%N) - start) / (runs * 1000000)))

ratio=$(awk -v a="$ours_ms" -v b="$psql_ms" 'BEGIN { printf "%.2f", a / b }')
echo "| ops | /metrics scrape, $n jobs in river_job | ${ours_ms} ms | psql, same questions by hand | ${psql_ms} ms | ${ratio} | < 1000 ms |"

files=${OPS_BENCH_FILES:-100000}
echo "ops bench: $files files for the plan's byte count" >&2
media="$work/media"
python3 - "$media" "$files" <<'PY'
import os, sys
media, n = sys.argv[1], int(sys.argv[2])
for d in range(100):
    os.makedirs(os.path.join(media, "documents", "%03d" % d))
for i in range(n):
    if i % 50 == 49:
        continue  # named, not on disk
    with open(os.path.join(media, "documents", "%03d" % (i % 100), "%06d.pdf" % i), "wb") as f:
        f.truncate(1000 + (i * 7919) % 200000)
PY
psql -X -q -v ON_ERROR_STOP=1 -v n="$files" "$url" <<'SQL'
CREATE TABLE bench_document (id bigserial PRIMARY KEY, file varchar(100) NOT NULL);
INSERT INTO bench_document (file)
SELECT format('documents/%s/%s.pdf', lpad((g % 100)::text, 3, '0'), lpad(g::text, 6, '0')) FROM generate_series(0, :n - 1) g;
VACUUM ANALYZE bench_document;
SQL
MEASURE_BENCH_DATABASE_URL=$url MEASURE_BENCH_MEDIA=$media go test -run '^$' -bench '^BenchmarkMeasure$' -benchtime 5x ./filemigrate/ >"$work/measure.txt"
measure_ms=$(awk '/^BenchmarkMeasure/ {printf "%.0f", $3 / 1e6}' "$work/measure.txt")
[[ -n "$measure_ms" ]] || { cat "$work/measure.txt" >&2; exit 1; }
start=$(date +%s%N)
for _ in $(seq $runs); do du -sb "$media" >"$work/du.txt"; done
du_ms=$((($(date +%s%N) - start) / (runs * 1000000)))
echo "ops bench: plan measured $(awk '/^BenchmarkMeasure/ {print $5}' "$work/measure.txt") bytes; du -sb says $(cut -f1 "$work/du.txt") (folders included)" >&2
ratio=$(awk -v a="$measure_ms" -v b="$du_ms" 'BEGIN { printf "%.2f", a / b }')
echo "| ops | migration plan's byte count, $files named files | ${measure_ms} ms | du -sb MEDIA_ROOT | ${du_ms} ms | ${ratio} | ≤ 2 × du |"
