#!/usr/bin/env bash
# Runs govulncheck against a Go vulnerability database built locally from a
# pinned snapshot of golang.org/x/vulndb, so the check needs only the Go
# module proxy, not vuln.go.dev. The snapshot is fixed on purpose: a result
# names the data it was computed from. Move VULNDB_VERSION forward to pick up
# newer reports; where vuln.go.dev is reachable, also run govulncheck against
# the live database (see SECURITY.md).
#
# Usage: scripts/vulncheck.sh [govulncheck flags] [patterns]
# With no arguments it scans ./...; with flags, name the patterns too
# (scripts/vulncheck.sh -show traces ./...).
# Exit status is govulncheck's: 0 clean, 3 if the code reaches a known
# vulnerability, anything else for a failure.
set -euo pipefail

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
GOVULNCHECK_VERSION=v1.9.0

cd "$(dirname "$0")/.."
root=$PWD
cache="$root/.cache/vulndb"
db="$cache/$VULNDB_VERSION"
bin="$cache/bin"
mkdir -p "$cache" "$bin"

# Go commands about the pinned tools run in an empty folder outside this
# module, so that they can never touch its go.mod or go.sum.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
goq() { (cd "$work" && GOWORK=off go "$@"); }

# Downloads the snapshot into the module cache if absent (checked against the
# checksum database like any module). Its commit time is the date of the data.
goq mod download "golang.org/x/vulndb@$VULNDB_VERSION"
src=$(goq list -m -f '{{.Dir}}' "golang.org/x/vulndb@$VULNDB_VERSION")
snapshot=$(goq list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "golang.org/x/vulndb@$VULNDB_VERSION")
[[ -d "$src/data/osv" ]] || { echo "vulncheck: no data/osv in golang.org/x/vulndb@$VULNDB_VERSION ($src)" >&2; exit 1; }

indexdb="$bin/indexdb-$VULNDB_VERSION"
# govulncheck type-checks the standard library of the Go that builds this
# module, so it is built by that same Go: one built by an older Go cannot
# read a newer one's sources.
goversion=$(go env GOVERSION)
govulncheck="$bin/govulncheck-$GOVULNCHECK_VERSION-$goversion"
install_tool() { # install_tool PKG@VERSION DEST
  GOTOOLCHAIN="$goversion" GOBIN="$work/bin" GOFLAGS=-buildvcs=false goq install "$1"
  mv "$work/bin/$(basename "${1%@*}")" "$2"
}

if [[ ! -f "$db/index/db.json" ]]; then
  [[ -x "$indexdb" ]] || install_tool "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" "$indexdb"
  echo "vulncheck: building the database from golang.org/x/vulndb@$VULNDB_VERSION (data/osv) into $db" >&2
  # Built beside its final place and renamed, so an interrupted build never
  # leaves a half-written database that a later run would trust.
  tmp=$(mktemp -d "$cache/.build-XXXXXX")
  trap 'rm -rf "$work" "$tmp"' EXIT
  "$indexdb" -vulns "$src/data/osv" -out "$tmp/db"
  # A concurrent run may have finished first; its database is as good.
  mv -T "$tmp/db" "$db" 2>/dev/null || [[ -f "$db/index/db.json" ]]
fi
[[ -x "$govulncheck" ]] || install_tool "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" "$govulncheck"

entries=$(find "$db/ID" -name '*.json' | wc -l)
cat <<EOF
vulncheck: govulncheck $GOVULNCHECK_VERSION, $goversion
vulncheck: database golang.org/x/vulndb@$VULNDB_VERSION, snapshot of $snapshot ($entries reports), at file://$db
vulncheck: this is a snapshot, not the live vuln.go.dev: reports published after $snapshot are not seen.
vulncheck: (govulncheck's own "DB updated" date, shown with -show version, reads 0001-01-01: the vulndb
vulncheck:  repository's OSV files carry no timestamps; vuln.go.dev fills them from git history.)

EOF

if (($# == 0)); then set -- ./...; fi
status=0
"$govulncheck" -db "file://$db" "$@" || status=$?
exit "$status"
