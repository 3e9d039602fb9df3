#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [KDIR]: `make bench`.  Instruction counts of the C and the Rust on
# the same inputs, built on the host with the kernel's optimisation level
# and the kernel's code generation flags where they matter, counted with
# valgrind's callgrind (perf has no hardware counters in this VM), one call
# of the measured function at a time (see bench.h).  Prints
#
#   operation | input size | C instr | Rust instr | Rust/C
#
# and writes it to build/bench/results.txt.  A benchmark, not a test: it
# fails only if something does not build or run, never on a ratio.
#
# Environment:
#   BENCH_OPT=2|s        C -O2 / Rust opt-level=2 (default, as
#                        CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE), or -Os /
#                        opt-level=s (CONFIG_CC_OPTIMIZE_FOR_SIZE)
#   BENCH_RUST_CHECKS=y|n  -Coverflow-checks and -Cdebug-assertions (default
#                        y: CONFIG_RUST_OVERFLOW_CHECKS=y and
#                        CONFIG_RUST_DEBUG_ASSERTIONS=y in configs/base.config)
#   BENCH_OUT            build directory (default build/bench)
#   BENCH_ONLY           groups to run (default "memblock unaccepted memmap";
#                        the others' rows come from their last run)
#   BENCH_REPORT_ONLY=1  print the table of the last run again
#   BENCH_MAX_MIB        largest unaccepted memory bitmap (default 256; the
#                        C's range_contains_unaccepted_memory() at 256 MiB is
#                        3.4e10 instructions, most of a run's 4 minutes)
#
# Flags.  C (clang, as the kernel is built with LLVM=1): -O2 and those of
# the kernel's x86-64 command line that change the generated code in
# userspace: -fno-strict-aliasing -fno-strict-overflow
# -fno-delete-null-pointer-checks -fno-jump-tables -mno-sse -mno-sse2
# -mno-mmx -mno-3dnow -mno-avx -mno-red-zone -mskip-rax-setup
# -mstack-alignment=8 -fcf-protection=branch -fstack-protector-strong
# -ftrivial-auto-var-init=zero -fno-PIE -falign-functions=16
# -falign-loops=1 -funsigned-char -fno-common -fomit-frame-pointer, applied
# to the code under test (mm/memblock.c, unaccepted_memory.c, lib/find_bit.c,
# __bitmap_clear(), memmap_ranges.c, the Rust glue's C helpers).
# Rust: -Copt-level=2 -Ccodegen-units=1 -Cpanic=abort -Clto=n
# -Ctarget-feature=-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2,-avx,-avx2
# -Cjump-tables=n -Zcf-protection=branch -Cno-redzone=y
# -Crelocation-model=static -Ztune-cpu=generic -Cforce-unwind-tables=n,
# plus the two checks above (RUSTC_BOOTSTRAP=1 for the -Z flags, as the
# kernel build does).  Left out, as userspace cannot have them or they do
# not change the counted instructions: -mcmodel=kernel/-Ccode-model=kernel,
# -nostdinc/--target=target.json, -fpatchable-function-entry (padding in
# front of functions, never executed).  memmove()/memset() are glibc's on
# both sides.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
kdir=$(cd "${1:-${KDIR:-$top/build/linux}}" && pwd)
out=${BENCH_OUT:-$top/build/bench}
opt=${BENCH_OPT:-2}
checks=${BENCH_RUST_CHECKS:-y}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() { echo "bench: ERROR: $*" >&2; exit 2; }

command -v valgrind >/dev/null || die "valgrind not found (scripts/setup-deps.sh installs it)"
[ -f /usr/include/valgrind/callgrind.h ] || die "no <valgrind/callgrind.h> (package valgrind)"
command -v clang >/dev/null || die "clang not found"
[ -f "$kdir/mm/memblock.c" ] && grep -q CONFIG_MEMBLOCK_RSRV_KERN_RUST "$kdir/mm/memblock.c" ||
	die "$kdir is not a prepared tree (mm/memblock.c without patches/0002)"
[ -f "$kdir/drivers/firmware/efi/memmap_ranges.c" ] || die "$kdir lacks memmap_ranges.c"
case $opt in 2|s) ;; *) die "BENCH_OPT must be 2 or s" ;; esac
case $checks in y|n) ;; *) die "BENCH_RUST_CHECKS must be y or n" ;; esac
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/build.log
: > "$log"

kflags=(-O"$opt" -std=gnu11 -fno-strict-aliasing -fno-strict-overflow
	-fno-delete-null-pointer-checks -fno-jump-tables -mno-sse -mno-sse2
	-mno-mmx -mno-3dnow -mno-avx -mno-red-zone -mskip-rax-setup
	-mstack-alignment=8 -mtune=generic -fcf-protection=branch
	-fstack-protector-strong -ftrivial-auto-var-init=zero
	-enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang
	-fno-PIE -falign-functions=16 -falign-loops=1 -funsigned-char -fno-common
	-fomit-frame-pointer -fno-asynchronous-unwind-tables -gdwarf-4
	-D CONFIG_PHYS_ADDR_T_64BIT)
# Clang 16 and later no longer know (nor need) the trivial-auto-var-init flag.
if ! echo 'int x;' | clang -x c -c -o /dev/null "${kflags[@]}" - 2>/dev/null; then
	kflags=("${kflags[@]/-enable-trivial-auto-var-init-zero-knowing-it-will-be-removed-from-clang/}")
fi
dflags=(-O2 -gdwarf-4 -fno-PIE -D CONFIG_PHYS_ADDR_T_64BIT)	# the drivers themselves

rustflags="-Ctarget-feature=-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2,-avx,-avx2"
rustflags+=" -Cjump-tables=n -Zcf-protection=branch -Cno-redzone=y"
rustflags+=" -Crelocation-model=static -Ztune-cpu=generic -Cforce-unwind-tables=n"
rustflags+=" -Csymbol-mangling-version=v0"
bool() { [ "$1" = y ] && echo true || echo false; }

# cargo_build NAME MANIFEST [ARGS...]: a release build with the kernel's
# flags; the target is explicit so that build scripts keep the host's.
cargo_build() {
	local name=$1 manifest=$2
	shift 2
	echo "  CARGO   $name"
	if ! RUSTC_BOOTSTRAP=1 RUSTFLAGS="$rustflags" \
		CARGO_TARGET_DIR="$out/cargo-$name" \
		CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt" \
		CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
		CARGO_PROFILE_RELEASE_LTO=false \
		CARGO_PROFILE_RELEASE_PANIC=abort \
		CARGO_PROFILE_RELEASE_DEBUG=1 \
		CARGO_PROFILE_RELEASE_INCREMENTAL=false \
		CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=$(bool "$checks") \
		CARGO_PROFILE_RELEASE_DEBUG_ASSERTIONS=$(bool "$checks") \
		cargo build --offline --quiet --release --target x86_64-unknown-linux-gnu \
		--manifest-path "$manifest" "$@" >>"$log" 2>&1; then
		tail -30 "$log" >&2
		die "cargo build of $name failed (see $log)"
	fi
}

# cc OUT SRC FLAGS...: one object.
cc() {
	local o=$1 src=$2
	shift 2
	mkdir -p "$(dirname "$o")"
	clang "$@" -c -o "$o" "$src" >>"$log" 2>&1 || { tail -30 "$log" >&2; die "clang $src failed"; }
}

if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
echo "bench: kernel tree $kdir, build dir $out, C -O$opt / Rust opt-level=$opt," \
	"Rust overflow checks and debug assertions: $checks"

# ---- Rust ----
rtriple=x86_64-unknown-linux-gnu/release
cargo_build memblock "$top/tools/testing/memblock-ab/rust/Cargo.toml" --features numa
cargo_build unaccepted "$top/tools/testing/unaccepted-ab/rust/Cargo.toml"
cargo_build memmap "$top/tools/testing/bootmem-host/Cargo.toml" --lib
rustlibs=(-lgcc_s -lutil -lrt -lpthread -lm -ldl)

# ---- memblock: the simulator of KDIR, C and Rust variants (NUMA) ----
mb=$kdir/tools/testing/memblock
for variant in c rust; do
	o=$out/memblock-$variant
	vflags=(-I"$o/stub" -I"$mb" -I"$kdir/tools/include" -D CONFIG_NUMA -D CONFIG_NODES_SHIFT=4)
	[ $variant = rust ] && vflags+=(-D CONFIG_MEMBLOCK_RSRV_KERN_RUST)
	echo "  CC      memblock ($variant)"
	# The stub symlinks tools/testing/memblock-ab/Makefile makes.
	make --no-print-directory -s -f "$top/tools/testing/memblock-ab/Makefile" \
		KDIR="$kdir" O="$o" VARIANT=c \
		"$o/stub/linux/memblock.h" "$o/stub/asm/asm.h" "$o/stub/asm/cmpxchg.h" \
		"$o/src/memblock.c" >>"$log" 2>&1 || die "memblock stubs failed"
	cc "$o/memblock.o" "$o/src/memblock.c" "${kflags[@]}" "${vflags[@]}"
	cc "$o/lib-slab.o" "$mb/lib/slab.c" "${dflags[@]}" "${vflags[@]}"
	cc "$o/mmzone.o" "$mb/mmzone.c" "${dflags[@]}" "${vflags[@]}"
	cc "$o/slab.o" "$kdir/tools/lib/slab.c" "${dflags[@]}" "${vflags[@]}"
	cc "$o/cmdline.o" "$kdir/tools/lib/cmdline.c" "${dflags[@]}" "${vflags[@]}"
	cc "$o/bench.o" "$here/memblock_bench.c" "${dflags[@]}" "${vflags[@]}"
	libs=()
	[ $variant = rust ] && libs=("$out/cargo-memblock/$rtriple/libmemblock_ab_rust.a" "${rustlibs[@]}")
	clang -no-pie -o "$o/bench" "$o"/*.o "${libs[@]}" >>"$log" 2>&1 || die "link of memblock ($variant) failed"
done

# ---- unaccepted memory: the C and the Rust glue in one program ----
o=$out/unaccepted
mkdir -p "$o/gen"
# The definitions tools/testing/unaccepted-ab/run.sh copies out of the tree.
"$top/tools/testing/unaccepted-ab/gen.sh" "$kdir" "$o/gen" || die "unaccepted-ab/gen.sh failed"
echo "  CC      unaccepted memory"
uflags=(-DCONFIG_PROC_VMCORE -DCONFIG_UNACCEPTED_MEMORY -I"$top/tools/testing/unaccepted-ab/stubs"
	-I"$o/gen" -I"$kdir/tools/include" -I"$top/include")
cc "$o/unaccepted_memory.o" "$kdir/drivers/firmware/efi/unaccepted_memory.c" "${kflags[@]}" "${uflags[@]}" \
	-Daccept_memory=ab_c_accept_memory \
	-Drange_contains_unaccepted_memory=ab_c_range_contains_unaccepted_memory
cc "$o/find_bit.o" "$kdir/lib/find_bit.c" "${kflags[@]}" "${uflags[@]}" -w -ffunction-sections
cc "$o/bitmap_clear.o" "$o/gen/bitmap_clear.c" "${kflags[@]}" "${uflags[@]}"
cc "$o/state.o" "$top/drivers/firmware/efi/unaccepted_memory_state.c" "${kflags[@]}" "${uflags[@]}"
cc "$o/helpers.o" "$top/rust/helpers/bootmem_rs.c" "${kflags[@]}" "${uflags[@]}"
cc "$o/spinlock.o" "$kdir/rust/helpers/spinlock.c" "${kflags[@]}" "${uflags[@]}"
cc "$o/bench.o" "$here/unaccepted_bench.c" "${dflags[@]}" "${uflags[@]}"
clang -no-pie -Wl,--gc-sections -o "$o/bench" "$o"/*.o \
	"$out/cargo-unaccepted/$rtriple/libunaccepted_ab_rs.a" "${rustlibs[@]}" >>"$log" 2>&1 ||
	die "link of unaccepted failed"

# ---- EFI memory map: the C and the Rust in one program ----
o=$out/memmap
mkdir -p "$o/include/linux"
ln -sfn "$kdir/include/linux/efi_memmap_ranges.h" "$o/include/linux/efi_memmap_ranges.h"
echo "  CC      EFI memory map"
mflags=(-I"$o/include" -I"$kdir/tools/include")
rename=()
for f in map_layout desc_range find_overlap sorted compact free_ranges range_listed tail_pages; do
	rename+=(-Defi_mm_$f=c_efi_mm_$f)
done
cc "$o/memmap_ranges.o" "$kdir/drivers/firmware/efi/memmap_ranges.c" "${kflags[@]}" "${mflags[@]}" "${rename[@]}"
cc "$o/bench.o" "$here/memmap_bench.c" "${dflags[@]}" "${mflags[@]}"
clang -no-pie -o "$o/bench" "$o"/*.o "$out/cargo-memmap/$rtriple/libbootmem_host.a" \
	"${rustlibs[@]}" >>"$log" 2>&1 || die "link of memmap failed"

# ---- count ----
# glibc's memmove()/memset() use `rep movsb`/`rep stosb` above a size
# threshold, which callgrind counts per byte (the CPU retires one
# instruction): raise the thresholds so that both sides' memmove()/memset()
# run glibc's vector loops, whose count reflects their cost.  (The kernel's
# own are `rep movsq`/`rep stosb` on most CPUs.)
tunables=glibc.cpu.x86_rep_movsb_threshold=0x7fffffffffffffff
tunables+=:glibc.cpu.x86_rep_stosb_threshold=0x7fffffffffffffff
# run NAME: the program under callgrind, one dump per MEASURE().
run() {
	local name=$1 d=$out/cg-$1
	rm -rf "$d"
	mkdir -p "$d"
	echo "  RUN     $name (callgrind)"
	LD_BIND_NOW=1 GLIBC_TUNABLES=$tunables valgrind --tool=callgrind --collect-atstart=no --dump-instr=no \
		--callgrind-out-file="$d/cg.out" "$out/$name/bench" >"$d/stdout" 2>"$d/valgrind.log" ||
		{ tail -20 "$d/valgrind.log" >&2; die "$name failed under valgrind"; }
	# Anything the driver itself complains about is a set-up error.
	if grep -v '^==' "$d/valgrind.log" | grep -q .; then
		grep -v '^==' "$d/valgrind.log" >&2
		die "$name reported errors"
	fi
}
start=$SECONDS
for group in ${BENCH_ONLY:-memblock unaccepted memmap}; do
	case $group in
	memblock) run memblock-c; run memblock-rust ;;
	unaccepted|memmap) run "$group" ;;
	*) die "BENCH_ONLY: unknown group $group" ;;
	esac
done
echo "  time    $((SECONDS - start)) s under valgrind"
fi

# Every dump: "<op>\t<size>\t<side>\t<instructions>", in order.
dumps=$out/dumps.tsv
: > "$dumps"
for name in memblock-c memblock-rust unaccepted memmap; do
	[ -d "$out/cg-$name" ] || continue
	for f in $(ls "$out/cg-$name"/cg.out.* | sort -t. -k3 -n); do
		awk -v name="$name" '
			/^desc: Trigger: Client Request: / {
				sub(/^desc: Trigger: Client Request: /, ""); label = $0 }
			/^totals: / { total = $2 }
			END { print label "\t" total "\t" name }' "$f" >> "$dumps"
	done
done

results=$out/results.txt
awk -F'\t' '
	# The empty MEASURE() of each program: subtracted from its rows.
	$1 == "calibration" { cal[$5] = $4; next }
	{
		key = $1 "\t" $2
		if (!(key in seen)) { seen[key] = 1; order[n++] = key }
		v = $4 - cal[$5]
		if ($3 == "C") c[key] = v; else r[key] = v
	}
	END {
		fmt = "%-48s | %-17s | %13s | %13s | %7s\n"
		printf fmt, "operation", "input size", "C instr", "Rust instr", "Rust/C"
		line = sprintf(fmt, "", "", "", "", "")
		gsub(/[^|]/, "-", line); gsub(/\|/, "+", line)
		printf "%s\n", substr(line, 1, length(line) - 1)
		for (i = 0; i < n; i++) {
			split(order[i], k, "\t")
			ratio = "-"
			if (c[order[i]] > 0)
				ratio = sprintf("%.3f", r[order[i]] / c[order[i]])
			printf fmt, k[1], k[2], sprintf("%.0f", c[order[i]]),
				sprintf("%.0f", r[order[i]]), ratio
		}
	}' "$dumps" > "$results"
{
	echo
	echo "bench: C -O$opt (clang), Rust opt-level=$opt, Rust checks $checks;" \
		"instructions counted by callgrind, one call each"
	cat "$results"
} | tee -a "$results.log"
