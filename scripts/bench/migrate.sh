#!/usr/bin/env bash
# Media migration (filemigrate) against `rclone copy --transfers 16`, on the
# same 3,000 files (2,000 of ~30 KB, 900 of ~250 KB, 100 of ~1.5 MB) in the
# same versitygw, in one run; then both re-runs, and the peak RSS of
# migrating one 1 GiB file. Needs the test bed's TEST_* variables.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_DATABASE_URL:?run under scripts/testbed.sh run}"

work="$(mktemp -d /tmp/bench-migrate.XXXXXX)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/migratebench" ./internal/migratebench

db="bench_migrate_$$"
psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS '"$db"' WITH (FORCE)" >/dev/null; rm -rf "$work"' EXIT
dburl="${TEST_DATABASE_URL%/*}/$db?sslmode=disable"

# The worker's settings, as the daemon reads them.
ours_env=(DATABASE_URL="$dburl" USE_CLOUD_STORAGE=True
  AWS_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
  AWS_STORAGE_BUCKET_NAME="$TEST_S3_BUCKET" AWS_S3_ENDPOINT_URL="$TEST_S3_ENDPOINT"
  AWS_LOCATION=bench-ours MIGRATE_CONCURRENCY=16)
# rclone 1.60 cannot start with AWS_CA_BUNDLE set (LoadCustomCABundleError).
rclone_env=(-u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
  RCLONE_CONFIG_BENCH_ENDPOINT="$TEST_S3_ENDPOINT" RCLONE_CONFIG_BENCH_REGION=auto
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true)

now() { echo "$EPOCHREALTIME"; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
ours() { # media table -> seconds
  local t0
  t0=$(now)
  env "${ours_env[@]}" MEDIA_ROOT="$1" "$work/migratebench" run -table "$2" -parallel "${PARALLEL:-1}" >"$work/ours.json"
  since "$t0"
  echo "migrate: ours: $(cat "$work/ours.json")" >&2
}
theirs() { # media prefix -> seconds
  local t0
  t0=$(now)
  env "${rclone_env[@]}" rclone copy --transfers 16 "$1" "bench:$TEST_S3_BUCKET/$2"
  since "$t0"
}
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ours.json" "$1"; }
row() { # measurement ours baseline unit target
  local ratio
  ratio=$(python3 -c "print(f'{$2/$3:.2f}x')")
  printf '| migrate | %s | %.2f %s | rclone copy --transfers 16 | %.2f %s | %s | %s |\n' "$1" "$2" "$4" "$3" "$4" "$ratio" "$5"
}

media="$work/media"
env DATABASE_URL="$dburl" "$work/migratebench" gen -media "$media" -table bench_document
files=$(find "$media" -type f | wc -l)
mb=$(du -sm "$media" | cut -f1)
echo "migrate: $files files, $mb MB, $(nproc) cores, versitygw on loopback" >&2

t_ours=$(ours "$media" bench_document)
[[ "$(field uploaded)" == "$files" ]] || { echo "migrate: uploaded $(field uploaded) of $files" >&2; exit 1; }
t_rclone=$(theirs "$media" bench-rclone)
row "full migration, $files files ($mb MB)" "$t_ours" "$t_rclone" s "<= 0.7x"

t_ours2=$(ours "$media" bench_document)
[[ "$(field skipped)" == "$files" && "$(field uploaded)" == 0 ]] || { echo "migrate: re-run did not skip everything" >&2; exit 1; }
t_rclone2=$(theirs "$media" bench-rclone)
row "re-run, all $files skipped" "$t_ours2" "$t_rclone2" s "<= 1.0x"

# Peak memory while one 1 GiB file goes up.
huge="$work/huge"
env DATABASE_URL="$dburl" "$work/migratebench" gen -media "$huge" -table bench_huge -huge
rss() { grep 'Maximum resident set size' "$1" | awk '{printf "%.1f", $NF/1024}'; }
env "${ours_env[@]}" MEDIA_ROOT="$huge" /usr/bin/time -v -o "$work/ours.time" "$work/migratebench" run -table bench_huge >"$work/ours.json"
[[ "$(field uploaded)" == 1 ]] || { echo "migrate: the 1 GiB file was not uploaded" >&2; exit 1; }
env "${rclone_env[@]}" /usr/bin/time -v -o "$work/rclone.time" rclone copy --transfers 16 "$huge" "bench:$TEST_S3_BUCKET/bench-rclone-huge"
row "peak RSS, one 1 GiB file" "$(rss "$work/ours.time")" "$(rss "$work/rclone.time")" MB "< 100 MB"
