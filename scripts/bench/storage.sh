#!/usr/bin/env bash
# The storage layer beside rclone on the same versitygw, in one run:
# upload and download of one 256 MiB object and of 2,000 files of 30 KiB,
# 16 transfers at a time on both sides, plus the peak RSS of the 256 MiB
# upload. Each figure is the median of 3 runs, timed by /usr/bin/time.
# Runs under scripts/testbed.sh (make bench), which sets TEST_S3_*.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
: "${TEST_S3_ENDPOINT:?run under scripts/testbed.sh run (make bench)}"
runs=${BENCH_RUNS:-3}

work="$(mktemp -d /tmp/storagebench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/storagebench" "$root/internal/bench/storagebench"
"$work/storagebench" gen "$work/data"

# Ours reads the worker's own variables.
export USE_CLOUD_STORAGE=True AWS_S3_REGION_NAME=auto AWS_S3_ADDRESSING_STYLE=path
export AWS_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
export AWS_STORAGE_BUCKET_NAME="$TEST_S3_BUCKET" AWS_S3_ENDPOINT_URL="$TEST_S3_ENDPOINT"
export DATABASE_URL="${TEST_DATABASE_URL:-postgres://unused@127.0.0.1/unused}"
export AWS_LOCATION=bench-ours
# rclone is configured through its environment; it refuses to start with
# AWS_CA_BUNDLE set (LoadCustomCABundleError), so that is unset for it only.
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other RCLONE_CONFIG_BENCH_REGION=auto
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY"
export RCLONE_CONFIG_BENCH_ENDPOINT="$TEST_S3_ENDPOINT" RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true
remote="bench:$TEST_S3_BUCKET/bench-rclone"
rc=(env -u AWS_CA_BUNDLE rclone --transfers 16 --s3-no-check-bucket)

# measure KEY CMD...: appends "seconds maxrss_kib" of one run to $work/KEY.
measure() {
  local key=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time.out" "$@" >/dev/null 2>"$work/stderr" || {
    echo "storage bench: $key failed:" >&2; cat "$work/stderr" >&2; return 1; }
  cat "$work/time.out" >>"$work/$key"
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
seconds() { cut -d' ' -f1 "$work/$1" | median; }
rss_mib() { cut -d' ' -f2 "$work/$1" | median | awk '{printf "%.0f", $1/1024}'; }

# Every run writes to fresh names: rclone would otherwise skip files that
# are already there with the same size and checksum.
for run in $(seq "$runs"); do
  measure ours-up-big "$work/storagebench" upload "$work/data/big.bin" "run$run/big.bin"
  measure rclone-up-big "${rc[@]}" copyto "$work/data/big.bin" "$remote/run$run/big.bin"
  rm -rf "$work/out"
  measure ours-down-big "$work/storagebench" download "run$run/big.bin" "$work/out/big.bin"
  cmp -s "$work/data/big.bin" "$work/out/big.bin" || { echo "storage bench: our download differs" >&2; exit 1; }
  rm -rf "$work/out"
  measure rclone-down-big "${rc[@]}" copyto "$remote/run$run/big.bin" "$work/out/big.bin"
  cmp -s "$work/data/big.bin" "$work/out/big.bin" || { echo "storage bench: rclone download differs" >&2; exit 1; }
  measure ours-up-many "$work/storagebench" upload-tree "$work/data/many" "run$run/many/"
  measure rclone-up-many "${rc[@]}" copy "$work/data/many" "$remote/run$run/many"
  rm -rf "$work/out"
  measure ours-down-many "$work/storagebench" download-tree "run$run/many/" "$work/out"
  diff -rq "$work/data/many" "$work/out" >/dev/null || { echo "storage bench: our tree download differs" >&2; exit 1; }
  rm -rf "$work/out"
  measure rclone-down-many "${rc[@]}" copy "$remote/run$run/many" "$work/out"
  diff -rq "$work/data/many" "$work/out" >/dev/null || { echo "storage bench: rclone tree download differs" >&2; exit 1; }
done

# awk reads to the end: with head, rclone could die of SIGPIPE and pipefail
# would end the script without a word.
rclone_version=$(env -u AWS_CA_BUNDLE rclone version 2>/dev/null | awk 'NR == 1 {print $2}')
tool="rclone $rclone_version --transfers 16"
row() { # measurement ours baseline unit target
  local ratio
  ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "n/a" }')
  echo "| storage | $1 | $2 $4 | $tool | $3 $4 | $ratio | $5 |"
}
row "upload 1 × 256 MiB" "$(seconds ours-up-big)" "$(seconds rclone-up-big)" s "ratio ≤ 1.0"
row "download 1 × 256 MiB" "$(seconds ours-down-big)" "$(seconds rclone-down-big)" s "ratio ≤ 1.0"
row "upload 2,000 × 30 KiB" "$(seconds ours-up-many)" "$(seconds rclone-up-many)" s "ratio ≤ 1.0"
row "download 2,000 × 30 KiB" "$(seconds ours-down-many)" "$(seconds rclone-down-many)" s "ratio ≤ 1.0"
row "peak RSS, upload 1 × 256 MiB" "$(rss_mib ours-up-big)" "$(rss_mib rclone-up-big)" MiB "< 64 MiB"
