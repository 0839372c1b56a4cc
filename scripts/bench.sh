#!/usr/bin/env bash
# Runs every scripts/bench/*.sh against the test bed started by `make bench`
# and prints one Markdown table. Each script prints rows of
# | area | measurement | ours | baseline tool | baseline | ratio | target |
set -uo pipefail
cd "$(dirname "$0")/.."
export OMP_THREAD_LIMIT=1
echo "Benchmarks on $(nproc --all) cores, $(date -u +%Y-%m-%d), $(go version | cut -d' ' -f3)"
echo
echo "| area | measurement | ours | baseline tool | baseline | ratio | target |"
echo "|---|---|---|---|---|---|---|"
status=0
for b in scripts/bench/*.sh; do
  [[ -e "$b" ]] || continue
  if ! bash "$b"; then
    echo "| $(basename "$b" .sh) | FAILED: see stderr | | | | | |"
    status=1
  fi
done
exit $status
