#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gen.sh KDIR OUTDIR: copy out of the kernel tree the definitions the
# userspace builds of drivers/firmware/efi/unaccepted_memory.c need (so
# they are built with the tree's own helpers, not look-alikes):
# for_each_set_bitrange_from(), struct efi_unaccepted_memory,
# pfn_is_unaccepted_memory(), EFI_INVALID_TABLE_ADDR,
# efi_get_unaccepted_table() and __bitmap_clear().  Used by run.sh here,
# tools/testing/bench/run.sh and tools/testing/fuzz/c/build.sh.
set -euo pipefail
kdir=${1:?usage: gen.sh KDIR OUTDIR}
out=${2:?usage: gen.sh KDIR OUTDIR}
mkdir -p "$out"

# extract NAME FILE START-REGEX END-REGEX: one definition, as in the tree.
extract() {
	S="$3" E="$4" awk '$0 ~ ENVIRON["S"] { p = 1 } p { print } p && $0 ~ ENVIRON["E"] { exit }' \
		"$kdir/$2" > "$out/$1.tmp"
	[ -s "$out/$1.tmp" ] || { echo "gen.sh: cannot find $3 in $2" >&2; exit 2; }
	{ echo "/* Extracted from $2 by gen.sh: do not edit. */"; cat "$out/$1.tmp"; } > "$out/$1"
	rm -f "$out/$1.tmp"
}
extract gen_find_bitrange.h include/linux/find.h '^#define for_each_set_bitrange_from\(' '[^\\]$'
extract gen_efi_unaccepted.h include/linux/efi.h '^struct efi_unaccepted_memory \{' '^};'
extract gen_pfn_is_unaccepted.h include/linux/mm.h '^static inline bool pfn_is_unaccepted_memory\(' '^}'
extract gen_efi_invalid_table_addr.h include/linux/efi.h '^#define EFI_INVALID_TABLE_ADDR[[:space:]]' '.'
extract gen_efi_get_unaccepted_table.h arch/x86/include/asm/unaccepted_memory.h \
	'^static inline struct efi_unaccepted_memory \*efi_get_unaccepted_table\(' '^}'
extract bitmap_clear.body lib/bitmap.c '^void __bitmap_clear\(' '^}'
{ echo '#include <linux/bitmap.h>'; cat "$out/bitmap_clear.body"; } > "$out/bitmap_clear.c"
