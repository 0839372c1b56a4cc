#!/usr/bin/env bash
# Backup benchmark: the worker's streaming backup (pg_dump -Z0 | parallel
# gzip | S3 multipart) beside pg_dump -Fc to a file, and beside pg_dump -Fc
# followed by an rclone upload; then the worker's streaming restore beside
# pg_restore from a local file. Runs under `make bench` (scripts/testbed.sh
# run), which sets the TEST_* variables. Prints Markdown table rows.
#
# BACKUP_BENCH_ROWS sets the size of the generated database (default
# 3600000 rows, about 1 GB; use 300000 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_PG_PORT:?run through make bench (scripts/testbed.sh run)}"
rows=${BACKUP_BENCH_ROWS:-3600000}
base="postgres://postgres@127.0.0.1:$TEST_PG_PORT"
src=bench_backup_src ours_db=bench_backup_ours theirs_db=bench_backup_pgrestore
work=$(mktemp -d /tmp/backup-bench.XXXXXX)
export PGOPTIONS="-c client_min_messages=warning"
cleanup() {
  for db in $src $ours_db $theirs_db; do psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
note() { echo "backup bench: $*" >&2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1e6 }'; }

for db in $src $ours_db $theirs_db; do psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"; done
note "generating $rows rows"
# CRM-like rows: names, passport JSON, dates, free text and digests, so the
# dump compresses about as well as a real one (4-5x).
psql -q "$base/$src" <<SQL
CREATE TABLE person AS
SELECT g AS id,
       'Name ' || (g % 50000) || ' ' || md5((g % 1000)::text) AS name,
       jsonb_build_object('passport', upper(substr(md5(g::text), 1, 9)), 'country', 'IDN', 'visa', 'B211A') AS doc,
       date '1960-01-01' + (g % 20000) AS born,
       repeat('lorem ipsum dolor sit amet ', 1 + g % 5) || md5(g::text) AS notes
FROM generate_series(1, $rows) g;
ALTER TABLE person ADD PRIMARY KEY (id);
CREATE INDEX person_born ON person (born);
SQL
dbsize=$(psql -At "$base/$src" -c "SELECT pg_database_size('$src')")
note "database is $(mb "$dbsize")"

go build -o "$work/backupbench" ./internal/bench/backupbench
export USE_CLOUD_STORAGE=True AWS_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY" \
  AWS_STORAGE_BUCKET_NAME="$TEST_S3_BUCKET" AWS_S3_ENDPOINT_URL="$TEST_S3_ENDPOINT" AWS_S3_REGION_NAME=auto \
  DBBACKUP_LOCATION=bench-backups/ DBBACKUP_HOSTNAME=bench

# Ours: pg_dump straight into the bucket.
DATABASE_URL="$base/$src" "$work/backupbench" backup >"$work/ours.json"
ours_s=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])' <"$work/ours.json")
ours_bytes=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["bytes"])' <"$work/ours.json")
ours_rss=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["rss_kb"])' <"$work/ours.json")
name=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["name"])' <"$work/ours.json")

# What a user would otherwise do: pg_dump -Fc to a file, then upload it.
t0=$(now)
pg_dump --dbname="$base/$src" --format=custom --file="$work/dump.fc"
t1=$(now)
fc_bytes=$(stat -c %s "$work/dump.fc")
# rclone 1.60 cannot start with AWS_CA_BUNDLE set (docs/r2.md).
env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY" \
  RCLONE_CONFIG_BENCH_ENDPOINT="$TEST_S3_ENDPOINT" RCLONE_CONFIG_BENCH_REGION=auto RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true \
  rclone copyto "$work/dump.fc" "bench:$TEST_S3_BUCKET/bench-rclone/dump.fc"
t2=$(now)
fc_s=$(secs "$t0" "$t1")
fc_up_s=$(secs "$t0" "$t2")

# Restore: ours streams from the bucket; pg_restore reads the local file.
DATABASE_URL="$base/$ours_db" "$work/backupbench" restore "$name" >"$work/restore.json"
rs_s=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])' <"$work/restore.json")
rs_rss=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["rss_kb"])' <"$work/restore.json")
t0=$(now)
pg_restore --dbname="$base/$theirs_db" --single-transaction --clean --if-exists "$work/dump.fc"
t1=$(now)
pgr_s=$(secs "$t0" "$t1")
for db in $ours_db $theirs_db; do
  n=$(psql -At "$base/$db" -c "SELECT count(*) FROM person")
  [[ "$n" == "$rows" ]] || { note "$db has $n rows after restore, want $rows"; exit 1; }
done

size="$(mb "$dbsize") db"
ours_s1=$(awk -v s="$ours_s" 'BEGIN { printf "%.1f", s }')
rs_s1=$(awk -v s="$rs_s" 'BEGIN { printf "%.1f", s }')
echo "| backup | backup wall time, pg_dump to bucket ($size) | $ours_s1 s | pg_dump -Fc > file | $fc_s s | $(ratio "$ours_s" "$fc_s") | ≤ 0.5x |"
echo "| backup | backup wall time, pg_dump to bucket ($size) | $ours_s1 s | pg_dump -Fc + rclone copyto | $fc_up_s s | $(ratio "$ours_s" "$fc_up_s") | < 1x |"
echo "| backup | backup size ($size) | $(mb "$ours_bytes") | pg_dump -Fc | $(mb "$fc_bytes") | $(ratio "$ours_bytes" "$fc_bytes") | ≤ 1.2x |"
echo "| backup | backup peak RSS | $((ours_rss / 1024)) MB | | | | < 100 MB |"
echo "| backup | restore wall time, bucket to database ($size) | $rs_s1 s | pg_restore from local file | $pgr_s s | $(ratio "$rs_s" "$pgr_s") | ≈ 1x |"
echo "| backup | restore peak RSS | $((rs_rss / 1024)) MB | | | | < 100 MB |"
