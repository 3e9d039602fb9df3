#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare-tree.sh KDIR
#
# Make KDIR a kernel tree with the bootmem-rs overlay installed:
#  1. if KDIR does not exist, unpack Debian's linux-source-6.12 there;
#  2. if KDIR is not a git tree yet, record it as a pristine baseline commit
#     (the baseline's id is kept in KDIR/.bootmem-rs-baseline);
#  3. build "baseline + patches/series + our files" as a git tree object
#     in a scratch index (no work-tree writes) and check it out.
# Step 3 only rewrites files whose content changed, so re-running it after
# editing one overlay file rebuilds only what depends on that file.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: prepare-tree.sh KDIR}
src=/usr/src/linux-source-6.12.tar.xz
git=(git -c user.name=bootmem-rs -c user.email=bootmem-rs@localhost
     -c core.autocrlf=false -c advice.detachedHead=false)

if [ ! -e "$kdir/Makefile" ]; then
	echo "prepare-tree: unpacking $src into $kdir"
	tmp=$(mktemp -d "$(dirname "$kdir")/.unpack.XXXXXX")
	tar -C "$tmp" -xf "$src"
	mv "$tmp"/linux-source-6.12 "$kdir"
	rmdir "$tmp"
fi
cd "$kdir"
kdir=$(pwd)

base_file=.git/bootmem-rs-baseline
if [ ! -d .git ]; then
	echo "prepare-tree: recording $kdir as the pristine baseline (git)"
	"${git[@]}" init -q
	# Debian's linux-source .gitignore ignores the whole top level: force.
	"${git[@]}" add -A -f .
	"${git[@]}" commit -q -m "pristine baseline"
fi
if [ ! -f "$base_file" ]; then
	# A user's own git tree: its current HEAD is the baseline.
	git rev-parse HEAD > "$base_file"
fi
base=$(cat "$base_file")

# Our files and where they go in the tree.  The top-level Kconfig is
# sourced from the tree's own Kconfig by patches/0001.
overlay_dirs=(rust arch mm drivers samples Documentation include lib kernel tools/testing/kunit)

idx=$(mktemp)
trap 'rm -f "$idx" "$idx.lock"' EXIT
export GIT_INDEX_FILE=$idx
git read-tree "$base"
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	if ! git apply --cached --whitespace=nowarn "$top/patches/$p"; then
		echo "prepare-tree: patches/$p does not apply to $kdir" >&2
		exit 1
	fi
done < "$top/patches/series"

add_file() { # add_file SRC TREE_PATH
	local mode=100644 sha
	[ -x "$1" ] && mode=100755
	sha=$(git hash-object -w "$1")
	git update-index --add --cacheinfo "$mode,$sha,$2"
}
add_file "$top/Kconfig" Kconfig.bootmem-rs
for d in "${overlay_dirs[@]}"; do
	[ -d "$top/$d" ] || continue
	while IFS= read -r -d '' f; do
		add_file "$top/$f" "$f"
	done < <(cd "$top" && find "$d" -type f ! -name '*~' -print0)
done
tree=$(git write-tree)
unset GIT_INDEX_FILE

if ! git diff --quiet HEAD && [ "$(git log -1 --format=%s HEAD)" != "bootmem-rs overlay" ]; then
	echo "prepare-tree: $kdir has uncommitted changes; commit or stash them first" >&2
	exit 1
fi
cur=$(git rev-parse -q --verify 'HEAD^{tree}' || true)
if [ "$cur" != "$tree" ] || ! git diff --quiet HEAD; then
	commit=$(echo "bootmem-rs overlay" | "${git[@]}" commit-tree "$tree" -p "$base")
	# Switching between two overlay commits rewrites only the files that
	# differ (and restores anything edited by hand in the tree).
	"${git[@]}" checkout -q -f --detach "$commit"
	echo "prepare-tree: overlay installed in $kdir ($(git diff --name-only "$base" HEAD | wc -l) files differ from the baseline)"
fi
