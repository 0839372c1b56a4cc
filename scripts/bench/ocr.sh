#!/usr/bin/env bash
# OCR benchmarks, on documents generated here (internal/ocrbench):
#  1. an 8-page image-only 300 DPI PDF: the worker's OCR (one engine per core)
#     beside the sum of single-threaded `tesseract` CLI runs on the same
#     pages, and beside `ocrmypdf --sidecar` on the same PDF;
#  2. a 50-page text-layer PDF: the text-layer path beside forced OCR;
#  3. peak RSS of OCR of a 200-page scanned PDF.
# Prints Markdown rows; notes go to stderr.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_THREAD_LIMIT=1

for tool in tesseract ocrmypdf /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/ocr: $tool missing (WITH_BENCH_TOOLS=1 scripts/deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/ocrbench" ./internal/ocrbench
bench="$work/ocrbench"
cores=$(nproc)

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
fmt() { printf '%.1f' "$1"; }

# 1. Eight scanned pages.
mkdir -p "$work/s8"
"$bench" scanned 8 "$work/s8"
ours=$("$bench" ocr "$work/s8/scanned.pdf")
cli=0
for png in "$work"/s8/page-*.png; do
  t0=$(now)
  tesseract "$png" - >/dev/null 2>&1
  cli=$(echo "$cli + $(elapsed "$t0" "$(now)")" | bc -l)
done
t0=$(now)
ocrmypdf -q --output-type none --sidecar "$work/s8/sidecar.txt" "$work/s8/scanned.pdf" - >/dev/null
omp=$(elapsed "$t0" "$(now)")
echo "| ocr | 8-page scanned 300 DPI PDF, OCR wall time ($cores cores) | $(fmt "$ours") s | tesseract CLI, 1 thread, sum of 8 pages | $(fmt "$cli") s | $(printf '%.2f' "$(echo "$ours / $cli" | bc -l)")x | <= 0.55x on 2 cores |"
echo "| ocr | 8-page scanned 300 DPI PDF, OCR wall time ($cores cores) | $(fmt "$ours") s | ocrmypdf --sidecar --output-type none | $(fmt "$omp") s | $(printf '%.1f' "$(echo "$omp / $ours" | bc -l)")x faster | >= 3x faster |"

# 2. Fifty typed pages: text layer against OCR of the same pages.
"$bench" text 50 "$work/text50.pdf"
textpath=$("$bench" ocr "$work/text50.pdf")
ocrpath=$("$bench" ocr -force-ocr "$work/text50.pdf")
echo "| ocr | 50-page text-layer PDF | $(printf '%.3f' "$textpath") s | same PDF through OCR (ours) | $(fmt "$ocrpath") s | $(printf '%.0f' "$(echo "$ocrpath / $textpath" | bc -l)")x faster | >= 50x faster |"

# 3. Peak memory on 200 scanned pages.
mkdir -p "$work/s200"
"$bench" scanned 200 "$work/s200"
/usr/bin/time -v "$bench" ocr "$work/s200/scanned.pdf" >"$work/s200/seconds" 2>"$work/s200/time"
rss=$(awk -F: '/Maximum resident set size/ {print int($2/1024)}' "$work/s200/time")
echo "| ocr | 200-page scanned 300 DPI PDF, peak RSS | $rss MB | - | - | $(fmt "$(cat "$work/s200/seconds")") s wall | < 600 MB |"
