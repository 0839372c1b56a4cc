#!/usr/bin/env bash
# make chaos: the worker under faults, load and hostile input, end to end
# (internal/chaos, with its long tests on), run under scripts/testbed.sh.
# The figures the tests measure replace the generated part of RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."

report="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$report" "$log"' EXIT

status=0
CHAOS=1 CHAOS_REPORT="$report" go test -count=1 -timeout 60m -v ./internal/chaos/ ./internal/hostile/ >"$log" 2>&1 || status=$?
grep -E '^(=== RUN|--- |\s+--- |PASS|FAIL|ok )' "$log" | grep -v '=== RUN' >&2 || true
if [[ $status -ne 0 ]]; then
  echo "chaos: tests failed; full log:" >&2
  grep -v '^\s*{"time"' "$log" | tail -200 >&2
fi

skipped="$(grep -E -A1 -e '--- SKIP' "$log" | grep -E 'has no|works no' | sed -E 's/^ +[a-z_]+\.go:[0-9]+: //' | sort -u || true)"
{
  echo "<!-- chaos:begin (written by scripts/chaos.sh; do not edit by hand) -->"
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc --all) cores, commit $(git rev-parse --short HEAD)$([[ -n "$(git status --porcelain -- . ':!RELIABILITY.md')" ]] && echo ' plus local changes'): $([[ $status -eq 0 ]] && echo 'every test passed' || echo '**some tests failed**')."
  echo
  echo "| area | check | result |"
  echo "|---|---|---|"
  sort "$report"
  if [[ -n "$skipped" ]]; then
    echo
    echo "Not run in this build (the job kind has not landed):"
    echo
    sed 's/^/- /' <<<"$skipped"
  fi
  echo "<!-- chaos:end -->"
} >"$report.md"

# Replace the generated block of RELIABILITY.md, keeping the prose around it.
python3 - "$report.md" <<'PY'
import re, sys
block = open(sys.argv[1]).read().strip()
doc = open("RELIABILITY.md").read()
new = re.sub(r"<!-- chaos:begin.*?<!-- chaos:end -->", lambda _: block, doc, flags=re.S)
open("RELIABILITY.md", "w").write(new)
PY
rm -f "$report.md"
echo "chaos: RELIABILITY.md updated" >&2
exit $status
