#!/usr/bin/env bash
# Media migration (filemigrate, as the migrate_files_batch jobs run it, with
# the worker's manifest) beside `rclone copy --transfers 16`, into the same
# versitygw, on two corpora:
#   - the bench's own: 3,000 files (2,000 of ~30 KB, 900 of ~250 KB, 100 of
#     ~1.5 MB) named by rows of a table;
#   - a Django-seeded set: the kit's test app (contrib/django/testdata) in a
#     fresh `startproject`, DJANGO_FILES files (default 2,834) of DJANGO_MB
#     MB in all (default 750) saved through FileField.save (Scan PDFs and
#     Photo images, two thirds and one third).
# CORPORA="bench" or "django" runs one of them only.
# Each against versitygw as the test bed runs it (a connection closed after
# every request, its default) and a second versitygw with --keep-alive on
# the same folder (as R2 keeps connections). Rows: the full migration and the
# re-run with nothing to copy, each the median of REPEAT runs (default 5),
# ours and rclone's, and the two servers, interleaved in every round so that
# all four see the same load and the same state of the server's disk; then
# the peak RSS while one 1 GiB file goes up. Ours runs BATCHES batch jobs side
# by side (default 1; 2 measured slower and less steady on the idle machine,
# BENCHMARKS.md), with 16 files in flight in all, as rclone's 16 transfers. Needs the test bed's TEST_*
# variables.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_DATABASE_URL:?run under scripts/testbed.sh run}"
: "${TEST_S3_DIR:?run under scripts/testbed.sh run}"
repeat="${REPEAT:-5}"
django_files="${DJANGO_FILES:-2834}"
django_mb="${DJANGO_MB:-750}"
corpora="${CORPORA:-bench django}" # which corpora to run
batches="${BATCHES:-1}"
((16 % batches == 0)) || { echo "migrate: BATCHES must divide 16" >&2; exit 2; }

work="$(mktemp -d /tmp/bench-migrate.XXXXXX)"
db="bench_migrate_$$"
run="r$$"
kapid=""
cleanup() {
  [[ -z "$kapid" ]] || kill "$kapid" 2>/dev/null || true
  psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work" "${TEST_S3_DIR:?}/${TEST_S3_BUCKET:?}/$run"-*
}
trap cleanup EXIT
go build -o "$work/migratebench" ./internal/bench/migratebench
psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE $db" >/dev/null
dburl="${TEST_DATABASE_URL%/*}/$db?sslmode=disable"

# A second versitygw on the test bed's folder, with keep-alive.
kaport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/versitygw --port "127.0.0.1:$kaport" --access "$TEST_S3_ACCESS_KEY" --secret "$TEST_S3_SECRET_KEY" \
  --region auto --keep-alive --quiet posix "$TEST_S3_DIR" >"$work/versitygw-ka.log" 2>&1 &
kapid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$kaport/" && break; sleep 0.1; done
declare -A endpoint=([closed]="$TEST_S3_ENDPOINT" [keep-alive]="http://127.0.0.1:$kaport")

now() { echo "$EPOCHREALTIME"; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$(now)"; }
median() { python3 -c "import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
field() { python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/ours.json" "$1"; }

# The worker's settings, as the daemon reads them: BATCHES batch jobs at a
# time (WORKER_QUEUE_STORAGE), each with 16 / BATCHES files in flight
# (MIGRATE_CONCURRENCY), so that 16 files are in flight as with rclone's 16
# transfers, while one batch's database reads and listings overlap another's
# uploads.
ours_cmd() { # endpoint media location command...
  local ep=$1 media=$2 location=$3
  shift 3
  env DATABASE_URL="$dburl" USE_CLOUD_STORAGE=True AWS_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" \
    AWS_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY" AWS_STORAGE_BUCKET_NAME="$TEST_S3_BUCKET" \
    AWS_S3_ENDPOINT_URL="$ep" MIGRATE_CONCURRENCY=$((16 / batches)) MEDIA_ROOT="$media" AWS_LOCATION="$location" "$@"
}
ours() { # endpoint media location fields -> seconds; the report in $work/ours.json
  local t0
  t0=$(now)
  ours_cmd "$1" "$2" "$3" "$work/migratebench" run -parallel "$batches" -fields "$4" >"$work/ours.json"
  since "$t0"
}
# rclone 1.60 cannot start with AWS_CA_BUNDLE set (LoadCustomCABundleError).
theirs() { # endpoint media prefix -> seconds
  local t0
  t0=$(now)
  env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY" \
    RCLONE_CONFIG_BENCH_ENDPOINT="$1" RCLONE_CONFIG_BENCH_REGION=auto RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true \
    rclone copy --transfers 16 "$2" "bench:$TEST_S3_BUCKET/$3" 2>>"$work/rclone.log"
  since "$t0"
}
row() { # measurement ours baseline unit target
  local ratio
  ratio=$(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}x')" "$2" "$3")
  printf '| migrate | %s | %.2f %s | rclone copy --transfers 16 | %.2f %s | %s | %s |\n' "$1" "$2" "$4" "$3" "$4" "$ratio" "$5"
}

# compare CORPUS MEDIA FIELDS: full runs then re-runs, against each
# versitygw, each into keys of its own. Every round runs both servers and
# both tools, their order rotating: a series of one server after the other
# met the disk the first one's runs left behind (its writeback, the discards
# of the keys deleted after it), which cost 0.6 s of 3 s in the idle run of
# 2026-12-07.
compare() {
  local corpus=$1 media=$2 fields=$3 files mb mode i
  files=$(find "$media" -type f | wc -l)
  mb=$(du -sm "$media" | cut -f1)
  echo "migrate: $corpus, $files files, $mb MB, versitygw closed and keep-alive, $(nproc --all) cores (load $(cut -d' ' -f1 /proc/loadavg)), median of $repeat" >&2
  declare -A runs=()
  # round KIND I: the four runs of round I, in an order of their own.
  round() {
    local kind=$1 i=$2 order
    order=(closed keep-alive)
    ((i % 2)) || order=(keep-alive closed)
    for mode in "${order[@]}"; do
      local ep=${endpoint[$mode]} key="$run-$corpus-$mode" t
      # Who goes first alternates, so that neither always meets what the
      # other left behind (dirty pages, versitygw's caches).
      if ((i % 2 == 0)); then runs[$kind-rclone-$mode]+=" $(theirs "$ep" "$media" "$key-rclone-$i")"; fi
      t=$(ours "$ep" "$media" "$key-ours-$i" "$fields")
      if [[ $kind == full ]]; then
        [[ "$(field uploaded)" == "$files" ]] || { echo "migrate: uploaded $(field uploaded) of $files: $(cat "$work/ours.json")" >&2; exit 1; }
      else
        [[ "$(field skipped)" == "$files" && "$(field uploaded)" == 0 ]] || { echo "migrate: re-run did not skip everything: $(cat "$work/ours.json")" >&2; exit 1; }
      fi
      runs[$kind-ours-$mode]+=" $t"
      if ((i % 2)); then runs[$kind-rclone-$mode]+=" $(theirs "$ep" "$media" "$key-rclone-$i")"; fi
    done
  }
  for i in $(seq "$repeat"); do round full "$i"; done
  echo "migrate: full runs done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  for i in $(seq "$repeat"); do round again "$i"; done
  echo "migrate: re-runs done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  for mode in closed keep-alive; do
    local kind
    for kind in full again; do
      # shellcheck disable=SC2086 # the lists are space-separated numbers
      echo "migrate: $corpus, versitygw $mode, $kind: ours${runs[$kind-ours-$mode]} s, rclone${runs[$kind-rclone-$mode]} s" >&2
    done
    # shellcheck disable=SC2086
    row "full migration, $corpus, $files files ($mb MB), versitygw $mode" "$(median ${runs[full-ours-$mode]})" "$(median ${runs[full-rclone-$mode]})" s "<= 0.6x"
    # shellcheck disable=SC2086
    row "re-run, nothing to copy, $corpus, $files files, versitygw $mode" "$(median ${runs[again-ours-$mode]})" "$(median ${runs[again-rclone-$mode]})" s "<= 0.3x"
  done
  rm -rf "${TEST_S3_DIR:?}/${TEST_S3_BUCKET:?}/$run-$corpus"-*
}

media="$work/media"
if [[ " $corpora " == *" bench "* ]]; then
  env DATABASE_URL="$dburl" "$work/migratebench" gen -media "$media" -table bench_document
  compare "bench corpus" "$media" bench_document.file
  rm -rf "$media"
fi

# The Django-seeded set: Django writes the files (its names, its folders).
if [[ " $corpora " == *" django "* ]]; then
proj="$work/django"
dmedia="$work/django-media"
mkdir -p "$proj" "$dmedia"
/usr/bin/python3 -m django startproject mysite "$proj"
cat contrib/django/testdata/startproject/settings_tail.py >>"$proj/mysite/settings.py"
cp -r contrib/django/testdata/startproject/papers "$proj/"
django() {
  env PYTHONPATH="$PWD/contrib/django" PYTHONDONTWRITEBYTECODE=1 DATABASE_URL="$dburl" USE_CLOUD_STORAGE=False \
    MEDIA_ROOT="$dmedia" TIME_ZONE=UTC /usr/bin/python3 "$proj/manage.py" "$@"
}
django makemigrations papers --verbosity=0
django migrate --verbosity=0
django shell -c "
import os, random
from django.core.files.base import ContentFile
from papers.models import Photo, Scan
files, total = $django_files, $django_mb * 1000 * 1000
rng = random.Random(1)
mean = total // files
for i in range(files):
    size = int(mean * rng.uniform(0.5, 1.5))
    if i % 3 == 2:
        Photo.objects.create(caption='photo %d' % i, image=ContentFile(os.urandom(size), name='IMG_%05d.jpg' % i))
    else:
        Scan.objects.create(file=ContentFile(os.urandom(size), name='scan %05d.pdf' % i))
"
# Settled, as a media folder's files are (the manifest records only those).
find "$dmedia" -type f -exec touch -d '1 hour ago' {} +
compare "Django-seeded set" "$dmedia" papers_scan.file,papers_photo.image
rm -rf "$dmedia"
fi

# Peak memory while one 1 GiB file goes up.
rm -rf "$media"
huge="$work/huge"
env DATABASE_URL="$dburl" "$work/migratebench" gen -media "$huge" -table bench_huge -huge
rss() { awk '/Maximum resident set size/ {printf "%.1f", $NF / 1024}' "$1"; }
ours_cmd "$TEST_S3_ENDPOINT" "$huge" "$run-ours-huge" /usr/bin/time -v -o "$work/ours.time" \
  "$work/migratebench" run -table bench_huge >"$work/ours.json"
[[ "$(field uploaded)" == 1 ]] || { echo "migrate: the 1 GiB file was not uploaded: $(cat "$work/ours.json")" >&2; exit 1; }
env -u AWS_CA_BUNDLE RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
  RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$TEST_S3_ACCESS_KEY" RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$TEST_S3_SECRET_KEY" \
  RCLONE_CONFIG_BENCH_ENDPOINT="$TEST_S3_ENDPOINT" RCLONE_CONFIG_BENCH_REGION=auto RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true \
  /usr/bin/time -v -o "$work/rclone.time" rclone copy --transfers 16 "$huge" "bench:$TEST_S3_BUCKET/$run-rclone-huge" 2>>"$work/rclone.log"
row "peak RSS, one 1 GiB file" "$(rss "$work/ours.time")" "$(rss "$work/rclone.time")" MB "< 100 MB"
