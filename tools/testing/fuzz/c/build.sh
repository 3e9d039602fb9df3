#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# c/build.sh OUT KDIR: the C side of the fuzz targets, into OUT/libbootmem_fuzz_c.a
# (called by build.rs).  Everything is the tree's own C, as the host
# differential tests build it:
#
#  memblock    mm/memblock.c of KDIR on the userspace simulator
#              (tools/testing/memblock) twice: as the C reference (with its
#              own MEMBLOCK_RSRV_KERN functions), every global symbol it
#              defines renamed fzc_* (objcopy), and with
#              CONFIG_MEMBLOCK_RSRV_KERN_RUST for the Rust glue, names kept;
#              NUMA layout (CONFIG_NODES_SHIFT=4), as tools/testing/memblock-ab;
#  unaccepted  drivers/firmware/efi/unaccepted_memory.c (accept_memory() and
#              range_contains_unaccepted_memory() renamed ab_c_*), lib/find_bit.c,
#              __bitmap_clear(), and the C objects the Rust glue calls
#              (unaccepted_memory_state.c, rust/helpers), against the stubs of
#              tools/testing/unaccepted-ab plus c/unaccepted_support.c;
#  efi_memmap  drivers/firmware/efi/memmap_ranges.c, every efi_mm_* renamed
#              c_efi_mm_*.
#
# With FUZZ_C_COVERAGE=1 (the default) the C is instrumented for libFuzzer
# too (-fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp), so that
# new paths in the C count as progress.
set -euo pipefail
out=$1
kdir=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
CC=${FUZZ_CC:-clang}

die() { echo "fuzz c/build.sh: $*" >&2; exit 1; }
[ -f "$kdir/mm/memblock.c" ] && grep -q CONFIG_MEMBLOCK_RSRV_KERN_RUST "$kdir/mm/memblock.c" ||
	die "$kdir is not a prepared tree (mm/memblock.c without patches/0002)"

cflags=(-O1 -gdwarf-4 -fno-omit-frame-pointer -fno-strict-aliasing -fno-strict-overflow
	-fno-common -D CONFIG_PHYS_ADDR_T_64BIT)
[ "${FUZZ_C_COVERAGE:-1}" = 1 ] &&
	cflags+=(-fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp)

mkdir -p "$out"
rm -rf "$out/obj"
mkdir -p "$out/obj"
cc() {
	local o=$1
	shift
	"$CC" "${cflags[@]}" "$@" -c -o "$out/obj/$o" || die "$CC failed on $o"
}

# ---- memblock ----
mb=$kdir/tools/testing/memblock
s=$out/mb
mkdir -p "$s/stub/linux" "$s/stub/asm" "$s/src"
ln -sfn "$kdir/include/linux/memblock.h" "$s/stub/linux/memblock.h"
ln -sfn "$kdir/tools/arch/x86/include/asm/asm.h" "$s/stub/asm/asm.h"
ln -sfn "$kdir/tools/arch/x86/include/asm/cmpxchg.h" "$s/stub/asm/cmpxchg.h"
# Through a symlink, so that #include "internal.h" finds the simulator's.
ln -sfn "$kdir/mm/memblock.c" "$s/src/memblock.c"
mbflags=(-I"$s/stub" -I"$mb" -I"$kdir/tools/include" -D CONFIG_NUMA -D CONFIG_NODES_SHIFT=4 -w)
cc memblock-c.o "$s/src/memblock.c" "${mbflags[@]}"
nm --defined-only -g "$out/obj/memblock-c.o" | awk 'NF == 3 { print $3, "fzc_" $3 }' > "$out/mb/rename"
objcopy --redefine-syms="$out/mb/rename" "$out/obj/memblock-c.o"
cc memblock-rust.o "$s/src/memblock.c" "${mbflags[@]}" -D CONFIG_MEMBLOCK_RSRV_KERN_RUST
cc mb-lib-slab.o "$mb/lib/slab.c" "${mbflags[@]}"
cc mb-mmzone.o "$mb/mmzone.c" "${mbflags[@]}"
cc mb-slab.o "$kdir/tools/lib/slab.c" "${mbflags[@]}"
cc mb-cmdline.o "$kdir/tools/lib/cmdline.c" "${mbflags[@]}"
cc mb-support.o "$here/memblock_support.c" -Wall -Werror

# ---- unaccepted memory ----
g=$out/ua-gen
mkdir -p "$g"
# The definitions tools/testing/unaccepted-ab/run.sh copies out of the tree.
"$top/tools/testing/unaccepted-ab/gen.sh" "$kdir" "$g" || die "unaccepted-ab/gen.sh failed"
uaflags=(-DCONFIG_PROC_VMCORE -DCONFIG_UNACCEPTED_MEMORY -I"$top/tools/testing/unaccepted-ab/stubs"
	-I"$g" -I"$kdir/tools/include" -I"$top/include" -ffunction-sections)
cc ua-c.o "$kdir/drivers/firmware/efi/unaccepted_memory.c" "${uaflags[@]}" \
	-Daccept_memory=ab_c_accept_memory \
	-Drange_contains_unaccepted_memory=ab_c_range_contains_unaccepted_memory
# Uninstrumented: its coverage sections would keep the find_nth/clump
# helpers, which need more than tools/include has, from --gc-sections.
cc ua-find_bit.o "$kdir/lib/find_bit.c" "${uaflags[@]}" -w -fsanitize-coverage=0
cc ua-bitmap_clear.o "$g/bitmap_clear.c" "${uaflags[@]}"
cc ua-state.o "$top/drivers/firmware/efi/unaccepted_memory_state.c" "${uaflags[@]}"
cc ua-helpers.o "$top/rust/helpers/bootmem_rs.c" "${uaflags[@]}"
cc ua-spinlock.o "$kdir/rust/helpers/spinlock.c" "${uaflags[@]}"
cc ua-support.o "$here/unaccepted_support.c" "${uaflags[@]}" -Wall -Werror

# ---- EFI memory map ----
mkdir -p "$out/mm-include/linux"
ln -sfn "$kdir/include/linux/efi_memmap_ranges.h" "$out/mm-include/linux/efi_memmap_ranges.h"
rename=()
for f in map_layout desc_range find_overlap sorted compact free_ranges range_listed tail_pages; do
	rename+=(-Defi_mm_$f=c_efi_mm_$f)
done
cc mm-ranges.o "$kdir/drivers/firmware/efi/memmap_ranges.c" -I"$out/mm-include" \
	-I"$kdir/tools/include" "${rename[@]}"

rm -f "$out/libbootmem_fuzz_c.a"
ar rcs "$out/libbootmem_fuzz_c.a" "$out"/obj/*.o
