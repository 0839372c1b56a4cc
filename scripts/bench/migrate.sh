#!/usr/bin/env bash
# Media migration (filemigrate, as the migrate_files_batch jobs run it)
# beside `rclone copy --transfers 16`, on the same 3,000 files (2,000 of
# ~30 KB, 900 of ~250 KB, 100 of ~1.5 MB, named by rows of a table) into the
# same versitygw, in one run: the full migration, the re-run that skips
# everything, and the peak RSS while one 1 GiB file goes up. Each timing is
# the median of REPEAT runs (default 3), ours and rclone's interleaved so
# that both see the same machine load. Needs the test bed's TEST_* variables.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_DATABASE_URL:?run under scripts/testbed.sh run}"
repeat="${REPEAT:-3}"

work="$(mktemp -d /tmp/bench-migrate.XXXXXX)"
db="bench_migrate_$$"
cleanup() {
  psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/migratebench" ./internal/bench/migratebench
psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
dburl="${TEST_DATABASE_URL%/*}/$db?sslmode=disable"

# The worker's settings, as the daemon reads them; one batch at a time, so
# that 16 files are in flight as with rclone's 16 transfers.
ours_env=(DATABASE_URL="$dburl" USE_CLOUD_STORAGE=True
  AWS_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
  AWS_STORAGE_BUCKET_NAME="$TEST_S3_BUCKET" AWS_S3_ENDPOINT_URL="$TEST_S3_ENDPOINT"
  MIGRATE_CONCURRENCY=16)
# rclone 1.60 cannot start with AWS_CA_BUNDLE set (LoadCustomCABundleError).
rclone_env=(-u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
  RCLONE_CONFIG_BENCH_ENDPOINT="$TEST_S3_ENDPOINT" RCLONE_CONFIG_BENCH_REGION=auto
  RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true)

now() { echo "$EPOCHREALTIME"; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
field() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ours.json" "$1"; }

ours() { # media table location -> seconds; the report in $work/ours.json
  local t0
  t0=$(now)
  env "${ours_env[@]}" MEDIA_ROOT="$1" AWS_LOCATION="$3" "$work/migratebench" run -table "$2" >"$work/ours.json"
  since "$t0"
}
theirs() { # media prefix -> seconds
  local t0
  t0=$(now)
  env "${rclone_env[@]}" rclone copy --transfers 16 "$1" "bench:$TEST_S3_BUCKET/$2" 2>>"$work/rclone.log"
  since "$t0"
}
row() { # measurement ours baseline unit target
  local ratio
  ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$2" "$3")
  printf '| migrate | %s | %.2f %s | rclone copy --transfers 16 | %.2f %s | %s | %s |\n' "$1" "$2" "$4" "$3" "$4" "$ratio" "$5"
}

media="$work/media"
env DATABASE_URL="$dburl" "$work/migratebench" gen -media "$media" -table bench_document
files=$(find "$media" -type f | wc -l)
mb=$(du -sm "$media" | cut -f1)
echo "migrate: $files files, $mb MB, $(nproc --all) cores (load $(cut -d' ' -f1 /proc/loadavg)), versitygw on loopback, median of $repeat" >&2

# Who goes first alternates, so that neither always meets what the other
# left behind (dirty pages, versitygw's caches).
# Keys of this run only: a bucket left by an earlier run would turn the
# full migration into a re-run.
run="r$$"
full_ours=() full_rclone=()
for i in $(seq "$repeat"); do
  ((i % 2)) || full_rclone+=("$(theirs "$media" "$run-rclone-$i")")
  full_ours+=("$(ours "$media" bench_document "$run-ours-$i")")
  [[ "$(field uploaded)" == "$files" ]] || { echo "migrate: uploaded $(field uploaded) of $files: $(cat "$work/ours.json")" >&2; exit 1; }
  ((i % 2 == 0)) || full_rclone+=("$(theirs "$media" "$run-rclone-$i")")
done
echo "migrate: full runs, ours ${full_ours[*]} s, rclone ${full_rclone[*]} s" >&2
row "full migration, $files files ($mb MB)" "$(median "${full_ours[@]}")" "$(median "${full_rclone[@]}")" s "<= 0.7x"

again_ours=() again_rclone=()
for i in $(seq "$repeat"); do
  ((i % 2)) || again_rclone+=("$(theirs "$media" "$run-rclone-$i")")
  again_ours+=("$(ours "$media" bench_document "$run-ours-$i")")
  [[ "$(field skipped)" == "$files" && "$(field uploaded)" == 0 ]] || { echo "migrate: re-run did not skip everything: $(cat "$work/ours.json")" >&2; exit 1; }
  ((i % 2 == 0)) || again_rclone+=("$(theirs "$media" "$run-rclone-$i")")
done
echo "migrate: re-runs, ours ${again_ours[*]} s, rclone ${again_rclone[*]} s" >&2
row "re-run, all $files skipped" "$(median "${again_ours[@]}")" "$(median "${again_rclone[@]}")" s "<= 1.0x"

# Peak memory while one 1 GiB file goes up.
rm -rf "$media"
huge="$work/huge"
env DATABASE_URL="$dburl" "$work/migratebench" gen -media "$huge" -table bench_huge -huge
rss() { awk '/Maximum resident set size/ {printf "%.1f", $NF / 1024}' "$1"; }
env "${ours_env[@]}" MEDIA_ROOT="$huge" AWS_LOCATION="$run-ours-huge" /usr/bin/time -v -o "$work/ours.time" \
  "$work/migratebench" run -table bench_huge >"$work/ours.json"
[[ "$(field uploaded)" == 1 ]] || { echo "migrate: the 1 GiB file was not uploaded: $(cat "$work/ours.json")" >&2; exit 1; }
env "${rclone_env[@]}" /usr/bin/time -v -o "$work/rclone.time" rclone copy --transfers 16 "$huge" "bench:$TEST_S3_BUCKET/$run-rclone-huge" 2>>"$work/rclone.log"
row "peak RSS, one 1 GiB file" "$(rss "$work/ours.time")" "$(rss "$work/rclone.time")" MB "< 100 MB"
