#!/usr/bin/env bash
# OCR benchmarks, on documents generated here (internal/bench/ocrbench):
#  1. an 8-page image-only 300 DPI PDF: the worker's OCR (one engine per core)
#     beside the sum of single-threaded `tesseract` CLI runs on the same
#     pages, and beside `ocrmypdf --sidecar` on the same PDF;
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

# 1. Eight scanned pages. Our figure is the Document call alone (engines
# loaded, as in the running worker); the CLI loads its model for each page.
mkdir -p "$work/s8"
"$bench" scanned 8 "$work/s8"
timed "$work/ours.t" "$bench" ocr "$work/s8/scanned.pdf" >"$work/ours.s"
ours=$(cat "$work/ours.s")
for png in "$work"/s8/page-*.png; do
  timed "$work/cli.t" tesseract "$png" - >/dev/null 2>&1
done
cli=$(sum "$work/cli.t" 1)
timed "$work/omp.t" ocrmypdf -q --output-type none --sidecar "$work/s8/sidecar.txt" "$work/s8/scanned.pdf" - >/dev/null
omp=$(sum "$work/omp.t" 1)
echo "bench/ocr: CPU seconds (user+sys) for the 8 pages: ours $(sum "$work/ours.t" 2) (whole process), tesseract CLI $(sum "$work/cli.t" 2), ocrmypdf $(sum "$work/omp.t" 2)" >&2
printf '| ocr | 8-page scanned 300 DPI PDF, OCR wall time (%d cores) | %.1f s | tesseract CLI, 1 thread, sum of 8 pages | %.1f s | %.2fx | <= 0.55x on 2 cores |\n' "$cores" "$ours" "$cli" "$(ratio "$ours" "$cli")"
printf '| ocr | 8-page scanned 300 DPI PDF, OCR wall time (%d cores) | %.1f s | ocrmypdf --sidecar --output-type none | %.1f s | %.1fx faster | >= 3x faster |\n' "$cores" "$ours" "$omp" "$(ratio "$omp" "$ours")"

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
