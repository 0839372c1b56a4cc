#!/usr/bin/env bash
# Passport MRZ reading on generated documents (internal/mrzgen): all five
# formats in OCR-B on scanner pages, card crops and phone photos, turned by
# any quarter turn and tilted up to 15 degrees, 150-300 DPI, blurred, noised
# and JPEG-compressed, plus pages without a zone. Ours (mrzscan, the
# passport_mrz job's reader) beside the simplest thing a user would run:
# `tesseract FILE - -l mrz --psm 6` on the whole image with the same model,
# parsed by a strict parser without repair (PassportEye needs PyPI, which
# this machine cannot reach). Prints Markdown rows; notes go to stderr.
#   PASSPORT_BENCH_DOCS (default 100) documents, PASSPORT_BENCH_NEGATIVES (15).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_THREAD_LIMIT=1
command -v tesseract >/dev/null || { echo "bench/passport: tesseract missing (scripts/deps.sh)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench/passport: jq missing" >&2; exit 1; }

docs=${PASSPORT_BENCH_DOCS:-100}
negatives=${PASSPORT_BENCH_NEGATIVES:-15}
work=$(mktemp -d)
busy_pids=()
# The busy loops of the loaded run end with the script, whatever stops it.
trap 'kill "${busy_pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/mrzbench" ./internal/bench/mrzbench
"$work/mrzbench" gen -n "$docs" -negatives "$negatives" -seed 20261128 "$work/set"

ours=$("$work/mrzbench" read "$work/set" 2>"$work/ours.log")
grep -v ' ok' "$work/ours.log" >&2 || true

start=$(date +%s.%N)
for f in "$work"/set/doc*.{jpg,png}; do
  [[ -e "$f" ]] || continue
  tesseract "$f" - -l mrz --psm 6 --tessdata-dir tessdata >"$f.txt" 2>/dev/null || : >"$f.txt"
done
cli_total=$(echo "$(date +%s.%N) - $start" | bc -l)
base=$("$work/mrzbench" baseline "$work/set")

pct() { jq -r "$1" <<<"$2" | awk '{printf "%.1f%%", 100*$1}'; }
num() { jq -r "$1" <<<"$2"; }
row() { echo "| passport | $1 | $2 | tesseract -l mrz --psm 6, whole image, strict parse | $3 | $4 | $5 |"; }

n=$(num .docs "$ours")
row "documents read fully correct (every field), $n generated" \
  "$(pct '.fully_correct/.docs' "$ours")" "$(pct '.fully_correct/.docs' "$base")" \
  "$(jq -rn --argjson a "$(num .fully_correct "$ours")" --argjson b "$(num .fully_correct "$base")" 'if $b == 0 then "-" else "\($a/$b*100|round/100)x" end')" ">= 98%"
for field in document_number birth_date expiry_date surname given_names nationality issuing_country sex document_type personal_number; do
  row "field accuracy: $field" "$(pct ".field_accuracy.$field // 0" "$ours")" "$(pct ".field_accuracy.$field // 0" "$base")" "" ""
done
row "silent errors: valid check digits, a covered field wrong (documents)" \
  "$(num .silent_covered "$ours")" "$(num .silent_covered "$base")" "" "0"
row "silent errors: valid, any field wrong (documents)" \
  "$(num .silent_docs "$ours")" "$(num .silent_docs "$base")" "" ""
row "false positives on $(num .negatives "$ours") pages without a zone" \
  "$(num .false_positives "$ours")" "$(num .false_positives "$base")" "" "0"
cli_mean=$(echo "$cli_total / ($docs + $negatives)" | bc -l)
row "median wall time per document (1 engine; the cores are shared)" "$(printf '%.2f s' "$(num .median_s "$ours")")" "$(printf '%.2f s mean' "$cli_mean")" "" "< 1 s"
row "median CPU time per document (Tesseract included)" "$(printf '%.2f s' "$(num .median_cpu_s "$ours")")" "" "" "< 1 s"
row "p95 wall / CPU time per document" "$(printf '%.2f s / %.2f s' "$(num .p95_s "$ours")" "$(num .p95_cpu_s "$ours")")" "" "" ""

# The same card crops and phone photos shrunk to 400 pixels on the long edge,
# as specimen galleries show them (zone glyphs of 4-6 pixels). The CLI is
# not run on these: it reads 5% of the full-size images already.
thumbs=$("$work/mrzbench" read -shrink 400 -scenes card,photo "$work/set" 2>"$work/thumbs.log")
grep -v ' ok' "$work/thumbs.log" >&2 || true
echo "| passport | 400-px thumbnails of the $(num .docs "$thumbs") card and photo documents: fully correct / valid but wrong (covered field) / marked invalid or missed | $(pct '.fully_correct/.docs' "$thumbs") / $(num .silent_covered "$thumbs") / $(( $(num .docs "$thumbs") - $(num .valid "$thumbs") )) | | | | 0 silent |"

# The versioned evaluation set (mrzgen.EvalSet: clean pages and tight
# crops; hand-held photos with guilloche, glare, perspective, 8-10 px glyphs
# and EXIF orientations, and visa pages), clean pages and photos apart:
# exact reads and time per document idle and with every core running a
# busy loop, beside `tesseract -l mrz` on the whole image, the floor any
# reader must beat. The reader's answers must not change under load.
"$work/mrzbench" evalset "$work/eval"
version=$(grep -o 'EvalVersion = [0-9]*' internal/mrzgen/evalset.go | grep -o '[0-9]*$')
declare -A idle loaded same cli
cli_times() { # subset load: median / p95 of the CLI on the subset's files
  local sel=false times=() f s
  [[ $1 == photo ]] && sel=true
  while IFS= read -r f; do
    s=$(date +%s.%N)
    tesseract "$work/eval/$f" - -l mrz --psm 6 --tessdata-dir tessdata >/dev/null 2>&1 || true
    times+=("$(echo "$(date +%s.%N) - $s" | bc -l)")
  done < <(jq -r ".[] | select(.photo == $sel and .truth != null) | .file" "$work/eval/truth.json")
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f s / %.2f s", a[int((NR+1)/2)], a[int(NR*0.95+0.999)]}'
}
for sub in clean photo; do
  idle[$sub]=$("$work/mrzbench" read -subset "$sub" "$work/eval" 2>"$work/eval-idle-$sub.log")
  cli[$sub]=$(cli_times "$sub")
done
for _ in $(seq "$(nproc --all)"); do sh -c 'while :; do :; done' & busy_pids+=($!); done
for sub in clean photo; do
  loaded[$sub]=$("$work/mrzbench" read -subset "$sub" "$work/eval" 2>"$work/eval-loaded-$sub.log")
  cli[$sub-loaded]=$(cli_times "$sub")
done
kill "${busy_pids[@]}"; wait "${busy_pids[@]}" 2>/dev/null || true
busy_pids=()
for sub in clean photo; do
  same[$sub]=$(diff <(sed 's/ [0-9.]*s (cpu [0-9.]*s)//' "$work/eval-idle-$sub.log") <(sed 's/ [0-9.]*s (cpu [0-9.]*s)//' "$work/eval-loaded-$sub.log") >/dev/null && echo identical || echo DIFFERENT)
  grep -v ' ok' "$work/eval-idle-$sub.log" >&2 || true
  i=${idle[$sub]} l=${loaded[$sub]}
  target=""
  [[ $sub == photo ]] && target=">= 95%"
  echo "| passport | evaluation set v$version, $sub ($(num .docs "$i") documents with a zone): every field right, idle / every core busy ($(printf '%s' "${same[$sub]}") outputs) | $(num .fully_correct "$i") / $(num .fully_correct "$l") of $(num .docs "$i") ($(pct '.fully_correct/.docs' "$i") idle) | | | | $target |"
  echo "| passport | evaluation set v$version, $sub: median / p95 wall time per document, idle | $(printf '%.2f s / %.2f s' "$(num .median_s "$i")" "$(num .p95_s "$i")") | tesseract -l mrz --psm 6, whole image, idle | ${cli[$sub]} | | |"
  echo "| passport | evaluation set v$version, $sub: median / p95 wall time per document, every core busy | $(printf '%.2f s / %.2f s' "$(num .median_s "$l")" "$(num .p95_s "$l")") | same, every core busy | ${cli[$sub-loaded]} | | |"
done
