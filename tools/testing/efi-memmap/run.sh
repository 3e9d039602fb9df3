#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh KDIR [ITERATIONS] [c|rust|diff]: build the tree's pure EFI memory
# map helpers (the C of memmap_ranges.c and the Rust of
# efi_memmap_ranges.rs) in userspace, then check the C against brute-force
# oracles (c), the Rust against the same oracles (rust), and the C against
# the Rust on random maps, step by step (diff).  Default: all three.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=$(cd "${1:?usage: run.sh KDIR [ITERATIONS] [c|rust|diff]}" && pwd)
n=${2:-100000}
make -s -C "$here" KDIR="$kdir" all
case "${3:-all}" in
c)	"$here/efi_memmap_test" "$n" ;;
rust)	"$here/efi_memmap_test_rust" "$n" ;;
diff)	"$here/efi_memmap_diff" "$n" 0x2545f4914f6cdd1d "$here"/fixtures/*.txt ;;
all)	"$here/efi_memmap_test" "$n"
	"$here/efi_memmap_test_rust" "$n"
	"$here/efi_memmap_diff" "$n" 0x2545f4914f6cdd1d "$here"/fixtures/*.txt ;;
*)	echo "run.sh: unknown mode $3" >&2; exit 2 ;;
esac
