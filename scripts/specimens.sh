#!/usr/bin/env bash
# Rebuild the public passport-specimen folder that `mrzbench specimens` reads
# (docs/passport-evaluation.md, "Public specimens") from the stored snapshots
# of the repositories the images come from. The images are not committed
# (their licences); docs/specimens.tsv says where each one is and what its
# zone says.
#
#   scripts/specimens.sh OUT SOURCE...
#
# SOURCE is a bare git directory of one of the repositories (as the snapshot
# tool leaves it, e.g. /work/.mirror/konstantint+PassportEye/repo) or a folder
# holding such directories (/work/.mirror). OUT must not exist yet: it is
# written whole (images, truth.tsv, SOURCES.md) or not at all. Each image is
# taken at the manifest's commit and checked against its git object id.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="${SPECIMENS_MANIFEST:-$root/docs/specimens.tsv}"

die() { echo "specimens: $*" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: $0 OUT SOURCE..." >&2; exit 2; }
out="$1"; shift
[ ! -e "$out" ] || die "$out already exists; give a folder that does not"
[ -r "$manifest" ] || die "cannot read the manifest $manifest"

is_git() { git --git-dir="$1" rev-parse --git-dir >/dev/null 2>&1; }
gitdirs=()
for s in "$@"; do
  if is_git "$s"; then gitdirs+=("$s"); continue; fi
  [ -d "$s" ] || die "$s is neither a git directory nor a folder"
  for g in "$s"/*/repo "$s"/*; do
    if [ -d "$g" ] && is_git "$g"; then gitdirs+=("$g"); fi
  done
done
[ ${#gitdirs[@]} -gt 0 ] || die "no git directory found in: $*"

# gitdir_for COMMIT prints the first source holding that commit.
declare -A found=()
gitdir_for() {
  if [ -n "${found[$1]:-}" ]; then echo "${found[$1]}"; return; fi
  local g
  for g in "${gitdirs[@]}"; do
    if git --git-dir="$g" cat-file -e "$1^{commit}" 2>/dev/null; then
      found[$1]="$g"; echo "$g"; return
    fi
  done
  return 1
}

mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d "$(dirname "$out")/.specimens.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

declare -A licence=()
n=0
{
  echo "# Sources of the public specimens (written by scripts/specimens.sh from docs/specimens.tsv)"
  echo
  echo "| file | repository | path | commit | licence |"
  echo "|---|---|---|---|---|"
} >"$tmp/SOURCES.md"
while IFS=$'\t' read -r file kind repo commit path blob lines; do
  case "$file" in
    "# licence "*) licence[${file#"# licence "}]="$kind"; continue ;;
    ""|"#"*) continue ;;
  esac
  [ -n "$lines" ] || die "$manifest: row for $file has fewer than 7 columns"
  g="$(gitdir_for "$commit")" || die "no source holds $repo at $commit (needed for $file); fetch github:$repo"
  got="$(git --git-dir="$g" rev-parse "$commit:$path" 2>/dev/null)" || die "$repo@$commit has no $path"
  [ "$got" = "$blob" ] || die "$repo@$commit:$path is object $got, the manifest says $blob"
  mkdir -p "$tmp/$(dirname "$file")"
  git --git-dir="$g" cat-file blob "$blob" >"$tmp/$file"
  printf '%s\t%s\t%s\n' "$file" "$kind" "$lines" >>"$tmp/truth.tsv"
  printf '| %s | %s | `%s` | %s | %s |\n' "$file" "$repo" "$path" "${commit:0:7}" "${licence[$repo]:-see the repository}" >>"$tmp/SOURCES.md"
  n=$((n + 1))
done <"$manifest"
[ "$n" -gt 0 ] || die "$manifest lists no image"

mv "$tmp" "$out"
trap - EXIT
echo "specimens: $n images and truth.tsv in $out"
