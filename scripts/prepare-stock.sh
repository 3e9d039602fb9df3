#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare-stock.sh KDIR [STOCK]
#
# The third A/B column: stock 6.12, to show what the bootmem-rs designs
# change.  STOCK (default: KDIR-stock) is a git worktree of KDIR's
# pristine baseline with only patches/series.stock applied: the patches
# the boot-state dump needs, none that changes a decision of the memory
# code (see that file).  No overlay file and no bootmem-rs Kconfig.
# Like prepare-tree.sh, it only rewrites files whose content changed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=$(cd "${1:?usage: prepare-stock.sh KDIR [STOCK]}" && pwd)
stock=${2:-$kdir-stock}
git=(git -c user.name=bootmem-rs -c user.email=bootmem-rs@localhost
     -c core.autocrlf=false -c advice.detachedHead=false)
base=$(cat "$kdir/.git/bootmem-rs-baseline")

if [ ! -e "$stock/Makefile" ]; then
	echo "prepare-stock: adding the stock 6.12 worktree $stock"
	git -C "$kdir" worktree prune
	"${git[@]}" -C "$kdir" worktree add -q --detach "$stock" "$base"
fi
cd "$stock"

idx=$(mktemp)
trap 'rm -f "$idx" "$idx.lock"' EXIT
export GIT_INDEX_FILE=$idx
git read-tree "$base"
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	git apply --cached --whitespace=nowarn "$top/patches/$p" ||
		{ echo "prepare-stock: patches/$p does not apply" >&2; exit 1; }
done < "$top/patches/series.stock"
tree=$(git write-tree)
unset GIT_INDEX_FILE

cur=$(git rev-parse -q --verify 'HEAD^{tree}' || true)
if [ "$cur" != "$tree" ] || ! git diff --quiet HEAD; then
	commit=$(echo "bootmem-rs stock" | "${git[@]}" commit-tree "$tree" -p "$base")
	"${git[@]}" checkout -q -f --detach "$commit"
	echo "prepare-stock: stock tree ready in $stock ($(git diff --name-only "$base" HEAD | wc -l) files differ from the baseline)"
fi
