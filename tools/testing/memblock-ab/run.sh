#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [KDIR] [SEQUENCES] [BUILD_DIR]
#
# Host A/B test of the Rust MEMBLOCK_RSRV_KERN implementation against the C,
# on the userspace memblock simulator of KDIR (tools/testing/memblock, with
# KDIR's real mm/memblock.c; patches/0002 must be applied there).
#
#  1. builds the Rust side (mm/memblock_rsrv_kern_rust.rs + mm/memblock_regions.rs
#     of this repository, as a static library) with and without NUMA;
#  2. builds the simulator four times out of tree (C / Rust x NUMA / flat):
#     the tree's own test suite (`main`) and the A/B driver (`ab`);
#  3. runs the tree's suite on all four: it must pass;
#  4. runs SEQUENCES random operation sequences (default 100000) through the
#     C and the Rust build of each layout with the same seed and compares the
#     per-sequence hashes of the complete memblock state, the return value
#     and the identities of the WARN_ON()s after every operation; on a
#     mismatch it replays the first bad sequence verbosely and prints a diff
#     of the two states;
#  5. self-test: the Rust NUMA build with -x, which reports one Rust warning
#     as another (same count), must mismatch the C on some sequences while
#     the per-operation warning counts stay equal.
#
# Defaults: KDIR=build/linux, BUILD_DIR=build/memblock-ab (of this repo).
# Environment: AB_SEED (default 1), JOBS (make -j, default 2).
# Exits non-zero on any build failure, test failure or mismatch.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
kdir=${1:-$top/build/linux}
count=${2:-100000}
build=${3:-$top/build/memblock-ab}
seed=${AB_SEED:-1}
jobs=${JOBS:-2}
start=$SECONDS

die() { echo "memblock A/B: ERROR: $*" >&2; exit 2; }

[ -d "$kdir" ] || die "no kernel tree at $kdir"
kdir=$(cd "$kdir" && pwd)
[ -f "$kdir/tools/testing/memblock/Makefile" ] || die "$kdir has no tools/testing/memblock"
grep -q CONFIG_MEMBLOCK_RSRV_KERN_RUST "$kdir/mm/memblock.c" ||
	die "$kdir/mm/memblock.c lacks MEMBLOCK_RSRV_KERN (apply patches/0002 first)"
echo '#include <urcu/uatomic.h>' | ${CC:-cc} -E -x c - >/dev/null 2>&1 ||
	die "liburcu headers missing (apt-get install liburcu-dev)"
command -v cargo >/dev/null || die "cargo not found"
[[ $count =~ ^[0-9]+$ ]] || die "SEQUENCES must be a number, not '$count'"
mkdir -p "$build"
build=$(cd "$build" && pwd)

echo "memblock A/B: kernel tree $kdir, build dir $build, seed $seed"

# 1. The Rust static libraries.
for layout in numa flat; do
	# The NUMA layout also has CONFIG_DEBUG_VM (as configs/base.config):
	# the glue validates the whole table per call there, and checks only
	# the header in the flat layout.
	features=()
	[ $layout = numa ] && features=(--features numa,debug_vm)
	echo "  CARGO   rust ($layout)"
	CARGO_TARGET_DIR=$build/cargo-$layout cargo build --offline --quiet --release \
		--manifest-path "$here/rust/Cargo.toml" "${features[@]}" ||
		die "cargo build ($layout) failed"
done

# 2. Four simulator builds.
for layout in numa flat; do
	numa=0
	[ $layout = numa ] && numa=1
	for variant in c rust; do
		make --no-print-directory -s -f "$here/Makefile" -j"$jobs" \
			KDIR="$kdir" O="$build/$variant-$layout" VARIANT=$variant NUMA=$numa \
			RUSTLIB="$build/cargo-$layout/release/libmemblock_ab_rust.a" ||
			die "build of $variant-$layout failed"
	done
done

# 3. The tree's own memblock test suite, on every build.
suite_fail=0
for b in c-numa rust-numa c-flat rust-flat; do
	log=$build/$b/main.log
	if (cd "$build/$b" && ./main -v >"$log" 2>&1); then rc=0; else rc=$?; fi
	ok=$(grep -c '^ok ' "$log" || true)
	bad=$(grep -c '^not ok ' "$log" || true)
	if [ "$rc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -gt 0 ]; then
		echo "  PASS    tools/testing/memblock main ($b): $ok ok"
	else
		echo "  FAIL    tools/testing/memblock main ($b): exit $rc, $ok ok, $bad not ok (see $log)"
		suite_fail=1
	fi
done

# 4. The differential runs, C and Rust of one layout in parallel.
total_ops=0
total_bad=0
for layout in numa flat; do
	c=$build/c-$layout
	r=$build/rust-$layout
	"$c/ab" -s "$seed" -n "$count" >"$c/ab.out" 2>"$c/ab.err" &
	cpid=$!
	"$r/ab" -s "$seed" -n "$count" >"$r/ab.out" 2>"$r/ab.err" &
	rpid=$!
	crc=0
	rrc=0
	wait $cpid || crc=$?
	wait $rpid || rrc=$?
	if [ $crc -ne 0 ] || [ $rrc -ne 0 ]; then
		echo "  FAIL    ab ($layout) exited with C $crc, Rust $rrc" >&2
		tail -5 "$c/ab.err" "$r/ab.err" >&2
		total_bad=$((total_bad + 1))
		continue
	fi

	# Sequences whose hash (or op count) differs.
	bad=$(diff <(grep '^S ' "$c/ab.out") <(grep '^S ' "$r/ab.out") | grep -c '^<' || true)
	ops=$(awk '$1 == "T" { print $3 }' "$c/ab.out")
	if ! cmp -s "$c/ab.out" "$r/ab.out" && [ "$bad" -eq 0 ]; then
		bad=1	# the totals differ
	fi
	echo "  $([ "$bad" -eq 0 ] && echo PASS || echo FAIL)    A/B $layout: $count sequences, $ops ops, $bad mismatches"
	grep '^# ' "$c/ab.out" | sed 's/^# /          /'
	total_ops=$((total_ops + ops))
	total_bad=$((total_bad + bad))

	if [ "$bad" -ne 0 ]; then
		first=$(diff <(grep '^S ' "$c/ab.out") <(grep '^S ' "$r/ab.out") |
			awk '/^</ { print $3; exit }' || true)
		[ -n "$first" ] || first=0
		echo "  first mismatching sequence: $first; replaying it (-q $first -v):"
		# States and warning identifiers on stdout; the raw warning
		# texts (C and Rust word them differently) on stderr.
		"$c/ab" -s "$seed" -q "$first" -v >"$c/replay.txt" 2>"$c/replay.err" || true
		"$r/ab" -s "$seed" -q "$first" -v >"$r/replay.txt" 2>"$r/replay.err" || true
		# The first operation whose result or state differs, with context.
		diff -u --label "C sequence $first" --label "Rust sequence $first" \
			"$c/replay.txt" "$r/replay.txt" | head -n 120 || true
		echo "  full replays: $c/replay.txt $r/replay.txt (warnings: replay.err)"
	fi
done

# 5. Negative self-test of the warning comparison: the same warnings, one
# of them relabelled in the Rust build (-x), must be a mismatch, although
# every operation's number of warnings (the '#' lines) is unchanged.
n=$((count < 2000 ? count : 2000))
c=$build/c-numa
r=$build/rust-numa
self_ok=0
if "$c/ab" -s "$seed" -n "$n" >"$c/self.out" 2>/dev/null &&
	"$r/ab" -s "$seed" -n "$n" -x >"$r/self.out" 2>/dev/null; then
	differ=$(diff <(grep '^S ' "$c/self.out") <(grep '^S ' "$r/self.out") | grep -c '^<' || true)
	if [ "$differ" -gt 0 ] &&
		cmp -s <(grep -v '^S ' "$c/self.out") <(grep -v '^S ' "$r/self.out"); then
		self_ok=1
		echo "  PASS    self-test: Rust WARN_ON(flags != rgn->flags) relabelled as the nid WARN_ON (-x):" \
			"$differ of $n sequences mismatch, warning counts equal"
	else
		echo "  FAIL    self-test: relabelled Rust warning (-x): $differ of $n sequences mismatch" \
			"(need > 0), warning counts $(cmp -s <(grep -v '^S ' "$c/self.out") \
			<(grep -v '^S ' "$r/self.out") && echo equal || echo differ) (need equal)"
	fi
else
	echo "  FAIL    self-test: ab -x did not run"
fi

echo "  time    $((SECONDS - start)) s"
echo "memblock A/B: $count sequences (x2 layouts: NUMA, flat), $total_ops ops, $total_bad mismatches"
[ "$total_bad" -eq 0 ] && [ "$suite_fail" -eq 0 ] && [ "$self_ok" -eq 1 ]
