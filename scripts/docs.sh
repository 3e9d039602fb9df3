#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# docs.sh [KDIR]: the Sphinx build of our Documentation pages, as the tree
# builds them: `make SPHINXDIRS=mm htmldocs` (Documentation/mm holds
# bootmem-rs.rst and bootmem-rs-efi-memmap.rst, indexed by patches/0026),
# into build/htmldocs.  Fails if Sphinx warns about either page or if
# either is missing from the output.  Installs Debian's Sphinx (the
# version the tree's docs build with on Debian 12) if it is not there.
# Warnings about other mm pages are counted, not failed: with SPHINXDIRS
# they point outside the directory built.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:-$top/build/linux}
out=$top/build/htmldocs
log=$top/build/logs/htmldocs.log
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$top/build/logs"

missing=()
for p in python3-sphinx python3-yaml; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "docs: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

rm -rf "$out"
if ! make -C "$kdir" O="$out" SPHINXDIRS=mm htmldocs > "$log" 2>&1; then
	tail -20 "$log"
	echo "docs: make htmldocs failed, see ${log#$top/}" >&2
	exit 1
fi
bad=0
for page in bootmem-rs bootmem-rs-efi-memmap; do
	warns=$(grep -E "/Documentation/mm/$page\.rst:.*(WARNING|ERROR)" "$log" | sort -u || true)
	if [ -n "$warns" ]; then
		echo "$warns"
		echo "docs: Documentation/mm/$page.rst: $(echo "$warns" | wc -l) warning(s)" >&2
		bad=1
	elif [ -f "$out/Documentation/output/mm/$page.html" ]; then
		echo "docs: Documentation/mm/$page.rst: built, no warning"
	else
		echo "docs: Documentation/mm/$page.rst: not in the output" >&2
		bad=1
	fi
done
echo "docs: $(grep 'WARNING' "$log" | grep -vc '/Documentation/mm/bootmem-rs' || true) warnings about other mm pages (references outside SPHINXDIRS=mm); log ${log#$top/}"
exit $bad
