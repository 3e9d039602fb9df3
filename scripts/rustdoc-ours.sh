#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rustdoc-ours.sh OUT_DIR KDIR
#
# rustdoc of every Rust object of ours that Kbuild built in OUT_DIR (a
# build/out-VARIANT), with the exact flags Kbuild compiled it with (read
# from its .o.cmd; the clippy lints and the output options dropped, as
# rust/Makefile's own rustdoc rule drops what rustdoc does not take),
# private items included and warnings as errors.  6.12 has no `make
# rustdoc` for objects outside rust/, so this is how ours get checked.
# Prints one line per object; exits non-zero if any has a warning.
set -uo pipefail
out=$(cd "$1" && pwd)
kdir=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
doc=$out/rustdoc-ours
rm -rf "$doc"
mkdir -p "$doc"
bad=0 n=0
# Our crate roots: the overlay's .rs files that Kbuild compiled on their own.
while IFS= read -r src; do
	obj=${src%.rs}.o
	cmdf=$out/$(dirname "$obj")/.$(basename "$obj").cmd
	[ -f "$cmdf" ] || continue
	cmd=$(sed -n "s|^savedcmd_$obj := ||p" "$cmdf")
	[ -n "$cmd" ] || continue
	flags=$(echo "$cmd" | sed -e 's/^RUST_MODFILE=[^ ]* [^ ]* //' \
		-e 's/ --emit=[^ ]*//g' -e 's/ --out-dir [^ ]*//' \
		-e 's/ -[WAD]clippy::[^ ]*//g' -e 's/ -Zbinary_dep_depinfo=y//' \
		-e "s| $kdir/[^ ]*\\.rs *\$||")
	modfile=$(echo "$cmd" | grep -o '^RUST_MODFILE=[^ ]*' || true)
	n=$((n + 1))
	# shellcheck disable=SC2086 # the flags are words, some quoted.
	if log=$(cd "$out" && eval "$modfile RUSTC_BOOTSTRAP=1 ${RUSTDOC:-rustdoc} $flags \
		-Cunsafe-allow-abi-mismatch=fixed-x18 --document-private-items \
		-Dwarnings -o '$doc' '$kdir/$src'" 2>&1); then
		echo "  PASS    rustdoc $src"
	else
		echo "$log" | head -20
		echo "  FAIL    rustdoc $src"
		bad=1
	fi
done < <(cd "$top" && git ls-files 'mm/*.rs' 'drivers/*.rs' 'arch/*.rs' 'samples/*.rs' 'rust/*.rs')
echo "rustdoc: $n objects of ours in ${out#$top/}"
[ "$n" -gt 0 ] || { echo "rustdoc: no Rust object of ours was built in $out" >&2; exit 1; }
exit $bad
