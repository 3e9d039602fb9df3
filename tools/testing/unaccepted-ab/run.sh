#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A/B test of drivers/firmware/efi/unaccepted_memory.c against the kernel's
# Rust glue, drivers/firmware/efi/unaccepted_memory_rust.rs (with
# unaccepted_memory_bitmap.rs), built unchanged for the host.
#
# usage: run.sh [kernel-tree] [tables] [seed]
#   kernel-tree  default /work/main/build/linux (read only)
#   tables       default 100000
#   seed         default 0x5eed0002
# HUGE=0 skips the deterministic 2^32-bit bitmap check (E4, ~1.3 GiB of RAM).
# Builds into build/unaccepted-ab of the repository (override: UNACCEPTED_AB_OUT).
# Exit status: 0 no mismatch, 1 mismatch, 2 setup or build failure.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
KTREE=$(cd "${1:-/work/main/build/linux}" && pwd)
COUNT=${2:-100000}
SEED=${3:-0x5eed0002}
OUT=${UNACCEPTED_AB_OUT:-$ROOT/build/unaccepted-ab}
# Debian's toolchain (rustc, cargo) comes first.
export PATH=/usr/bin:/bin:$PATH

die() { echo "run.sh: $*" >&2; exit 2; }

C_SRC=$KTREE/drivers/firmware/efi/unaccepted_memory.c
[ -f "$C_SRC" ] || die "no $C_SRC"
mkdir -p "$OUT/gen"

# The definitions the C needs, copied out of the tree (gen.sh).
"$HERE/gen.sh" "$KTREE" "$OUT/gen" || die "gen.sh failed"

# The Rust side: the kernel glue, #[path]-included unchanged from this
# repository, against the stand-in kernel crate in rust/kernel.
echo "== building the Rust glue (staticlib)"
CARGO_TARGET_DIR=$OUT/target cargo build --offline --quiet --release \
	--manifest-path "$HERE/rust/Cargo.toml" || die "cargo build failed"
RLIB=$OUT/target/release/libunaccepted_ab_rs.a

# The C objects the Rust glue's bindings name, as in the kernel: the lock,
# the list head and the kdump callback registration
# (unaccepted_memory_state.c of this repository), the bootmem-rs helpers
# (rust/helpers/bootmem_rs.c of this repository) and the tree's spinlock
# helpers (rust/helpers/spinlock.c); all against stubs/.
STATE_SRC=$ROOT/drivers/firmware/efi/unaccepted_memory_state.c
HELPERS_SRC=$ROOT/rust/helpers/bootmem_rs.c
SPIN_SRC=$KTREE/rust/helpers/spinlock.c
for f in "$STATE_SRC" "$HELPERS_SRC" "$SPIN_SRC"; do [ -f "$f" ] || die "no $f"; done

# The kernel builds with -fno-strict-overflow (signed arithmetic wraps), so
# does this; UBSan's signed-overflow check would flag that intended wrap.
# The C under test and the Rust export the same accept_memory() and
# range_contains_unaccepted_memory(): the Rust keeps the kernel names, the C
# is compiled with -D renames to ab_c_*, which main.c calls.
echo "== building the C ($C_SRC) and the glue's C objects with ASan + UBSan"
CFLAGS=(-O2 -g -std=gnu11 -ffunction-sections
	-fno-strict-aliasing -fno-strict-overflow -fno-sanitize=signed-integer-overflow
	-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
	-DCONFIG_PROC_VMCORE -DCONFIG_PHYS_ADDR_T_64BIT -DCONFIG_UNACCEPTED_MEMORY
	-I"$HERE/stubs" -I"$OUT/gen" -I"$KTREE/tools/include" -I"$ROOT/include")
RENAME=(-Daccept_memory=ab_c_accept_memory
	-Drange_contains_unaccepted_memory=ab_c_range_contains_unaccepted_memory)
objs=()
for src in "$C_SRC" "$KTREE/lib/find_bit.c" "$OUT/gen/bitmap_clear.c" "$HERE/main.c" \
	"$STATE_SRC" "$HELPERS_SRC" "$SPIN_SRC"; do
	obj=$OUT/$(basename "${src%.c}").o
	# unaccepted_memory.c and our code build warning free with -Wall;
	# lib/find_bit.c warns about helpers that tools/include lacks (all in
	# functions the code under test never calls), so it builds with -w.
	extra=(-Wall -Werror)
	[ "$src" = "$KTREE/lib/find_bit.c" ] && extra=(-w)
	[ "$src" = "$C_SRC" ] && extra+=("${RENAME[@]}")
	gcc "${CFLAGS[@]}" "${extra[@]}" -c "$src" -o "$obj" &
	objs+=("$obj")
done
for _ in "${objs[@]}"; do wait -n || die "C build failed"; done
# --gc-sections drops find_bit.c's find_nth/clump helpers, which need more
# of the kernel than tools/include has and which the code under test never calls.
gcc -fsanitize=address,undefined -Wl,--gc-sections -o "$OUT/ab" "${objs[@]}" "$RLIB" -lpthread -ldl -lm \
	|| die "link failed"

echo "== running $COUNT tables (seed $SEED)"
start=$(date +%s.%N)
set +e
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	"$OUT/ab" -n "$COUNT" -s "$SEED" $([ "${HUGE:-1}" = 0 ] || echo -H)
rc=$?
set -e
printf 'run time %.1f s\n' "$(echo "$(date +%s.%N) - $start" | bc)"
exit $rc
