#!/usr/bin/env bash
# OCR benchmarks, on documents generated here (internal/bench/ocrbench):
#  1. a 4-page image-only 300 DPI PDF (pages 2481x3507 gray), five rounds,
#     runs interleaved, each row the median of the five rounds' ratios:
#     - OCR CPU per page, one engine, on the pages as PNGs, beside the
#       tesseract CLI's CPU (user+sys of each process) on the same PNGs;
#     - the PDF with one engine per core, wall time of what the ocr_document
#       job does (the text and the first page's preview), beside the sum of
#       the single-threaded CLI runs on its pages;
#     - the same beside `ocrmypdf --sidecar` on the PDF;
#  2. a 50-page text-layer PDF: the text-layer path beside forced OCR;
#  3. peak RSS of OCR of a 200-page scanned PDF;
#  4. accuracy beside the tesseract CLI on 300 one-line job labels.
# Prints Markdown rows; notes (CPU seconds, load) go to stderr, since wall
# times mean little on a machine other work is using.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_THREAD_LIMIT=1

for tool in tesseract ocrmypdf /usr/bin/time bc; do
  command -v "$tool" >/dev/null || { echo "bench/ocr: $tool missing (WITH_BENCH_TOOLS=1 scripts/deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ocrbench" ./internal/bench/ocrbench
bench="$work/ocrbench"
cores=$(nproc --all) # plain nproc obeys OMP_THREAD_LIMIT

# timed FILE CMD...: runs CMD, appends "wall cpu" seconds to FILE.
timed() {
  local out=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$work/t" "$@"
  awk '{printf "%s %s\n", $1, $2 + $3}' "$work/t" >>"$out"
}
sum() { awk -v c="$2" '{s += $c} END {printf "%.2f", s}' "$1"; }
ratio() { echo "scale=4; $1 / $2" | bc -l; }

echo "bench/ocr: $cores cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start" >&2

# 1. Four scanned pages. Our figures are the Document calls alone
# (engines loaded, as in the running worker); the CLI loads its model for
# each page, as it does when run per file.
rounds=5
mkdir -p "$work/s4"
"$bench" scanned 4 "$work/s4"
for r in $(seq "$rounds"); do
  rm -f "$work/cli.t" "$work/omp.t" "$work/ours.t"
  ours_cpu=$("$bench" ocr -engines 1 -cpu "$work"/s4/page-*.png 2>/dev/null)
  for png in "$work"/s4/page-*.png; do
    timed "$work/cli.t" tesseract "$png" - >/dev/null 2>&1
  done
  ours_wall=$(timed "$work/ours.t" "$bench" ocr -preview "$work/s4/scanned.pdf" 2>/dev/null)
  timed "$work/omp.t" ocrmypdf -q --output-type none --sidecar "$work/s4/sidecar.txt" "$work/s4/scanned.pdf" - >/dev/null
  cli_wall=$(sum "$work/cli.t" 1)
  cli_cpu=$(sum "$work/cli.t" 2)
  omp_wall=$(sum "$work/omp.t" 1)
  echo "$ours_cpu $cli_cpu $ours_wall $cli_wall $omp_wall" >>"$work/rounds"
  echo "bench/ocr: round $r: CPU for 4 pages, one engine: ours $ours_cpu s, CLI $cli_cpu s; wall, $cores engines: ours $ours_wall s, CLI sum $cli_wall s, ocrmypdf $omp_wall s; CPU: ours $(sum "$work/ours.t" 2) s (whole process, models loaded), CLI $cli_cpu s, ocrmypdf $(sum "$work/omp.t" 2) s; load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
# median COLUMN-EXPRESSION: the median over the rounds of an awk expression.
median() { awk "{print $1}" "$work/rounds" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
printf '| ocr | OCR CPU per page, 1 engine, 2481x3507 gray PNG (median of %d) | %.2f s | tesseract CLI, 1 thread, user+sys per page | %.2f s | %.2fx | <= 1.05x |\n' \
  "$rounds" "$(median '$1 / 4')" "$(median '$2 / 4')" "$(median '$1 / $2')"
printf '| ocr | 4-page scanned 300 DPI PDF, OCR wall time with the preview, %d engines (median of %d) | %.1f s | tesseract CLI, 1 thread, sum of 4 pages | %.1f s | %.2fx | <= 0.55x on 2 cores |\n' \
  "$cores" "$rounds" "$(median '$3')" "$(median '$4')" "$(median '$3 / $4')"
printf '| ocr | 4-page scanned 300 DPI PDF, OCR wall time with the preview, %d engines (median of %d) | %.1f s | ocrmypdf --sidecar --output-type none | %.1f s | %.1fx faster | >= 3x faster |\n' \
  "$cores" "$rounds" "$(median '$3')" "$(median '$5')" "$(median '$5 / $3')"

# 2. Fifty typed pages: text layer against OCR of the same pages.
"$bench" text 50 "$work/text50.pdf"
textpath=$("$bench" ocr "$work/text50.pdf")
ocrpath=$("$bench" ocr -force-ocr "$work/text50.pdf")
printf '| ocr | 50-page text-layer PDF | %.3f s | same PDF through OCR (ours) | %.1f s | %.0fx faster | >= 50x faster |\n' "$textpath" "$ocrpath" "$(ratio "$ocrpath" "$textpath")"

# 3. Peak memory on 200 scanned pages.
mkdir -p "$work/s200"
"$bench" scanned 200 "$work/s200"
/usr/bin/time -f "%M" -o "$work/rss" "$bench" ocr "$work/s200/scanned.pdf" >"$work/s200.s"
printf '| ocr | 200-page scanned 300 DPI PDF, peak RSS | %d MB | - | - | (%.0f s wall) | < 600 MB |\n' "$(($(cat "$work/rss") / 1024))" "$(cat "$work/s200.s")"
# 4. Accuracy: the worker must read no image worse than the CLI does.
mkdir -p "$work/labels"
"$bench" labels 300 "$work/labels"
read -r n worse better ours_cer cli_cer < <("$bench" accuracy "$work/labels")
printf '| ocr | %d one-line job labels (590x95 px, DejaVu Sans Mono 40 px): images read worse than the CLI | %d (CER %s%%) | tesseract CLI, same files | CER %s%% | %d worse, %d better | 0 worse |\n' "$n" "$worse" "$ours_cer" "$cli_cer" "$worse" "$better"
echo "bench/ocr: load average $(cut -d' ' -f1-3 /proc/loadavg) at end" >&2
