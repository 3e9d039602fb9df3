#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [host|fmt|clippy|lint|fuzz|ab|all]
#
# The project's tests.  Every step records one line per test in
# build/results/STEP.txt ("PASS name" / "FAIL name -- why"); the last line
# printed is the sum over all of them: "N passed, N failed".
# A failing step does not stop the others; the exit status is non-zero if
# anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:-all}
kdir=${KDIR:-$top/build/linux}
res=$top/build/results
mkdir -p "$res"

# Debian's Rust 1.96 (rustc-web, rustfmt-web, rust-web-clippy) for
# everything, so host and kernel see the same compiler.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export CARGO_TARGET_DIR=$top/build/host/target
host_crates=(tools/testing/bootmem-host)

pass() { echo "PASS $1" >> "$res/$step.txt"; }
fail() { echo "FAIL $1${2:+ -- $2}" >> "$res/$step.txt"; echo "check: FAIL: $1${2:+ -- $2}" >&2; }
# Only the steps this run ran are counted: results of earlier runs of
# other steps stay in build/results but are not added in.
ran=()
begin() { step=$1; : > "$res/$step.txt"; ran+=("$res/$step.txt"); echo "== check: $1"; }

host() {
	begin host
	local c out
	local rc
	for c in "${host_crates[@]}"; do
		[ -f "$c/Cargo.toml" ] || continue
		out=$(cargo test --offline --manifest-path "$c/Cargo.toml" 2>&1)
		rc=$?
		echo "$out" | grep -E '^test result:|^test .* FAILED|panicked' || true
		# One result per test cargo ran.
		echo "$out" | grep -E '^test .+ \.\.\. ok$' | sed -E 's/^test (.+) \.\.\. ok$/\1/' |
			while read -r t; do pass "cargo ${c##*/} $t"; done
		echo "$out" | grep -E '^test .+ \.\.\. FAILED$' | sed -E 's/^test (.+) \.\.\. FAILED$/\1/' |
			while read -r t; do fail "cargo ${c##*/} $t"; done
		echo "$out" | grep -qE '^test result:' || fail "cargo test ${c##*/}" "did not build or run"
		# A test binary killed by a signal, or any other failure that
		# names no test, still fails the step.
		if [ $rc -ne 0 ]; then
			echo "$out" | tail -20 >&2
			fail "cargo test ${c##*/}" "exit status $rc"
		fi
	done
	# The A/B comparison rules themselves (scripts/bootmem_ab.py).
	out=$(python3 tools/testing/ab/test_bootmem_ab.py -v 2>&1)
	rc=$?
	echo "$out" | tail -3
	echo "$out" | sed -nE 's/^(test_[a-z0-9_]+) \(([^)]*)\) \.\.\. ok$/\2/p' |
		while read -r t; do pass "A/B rules $t"; done
	echo "$out" | sed -nE 's/^(test_[a-z0-9_]+) \(([^)]*)\) \.\.\. (FAIL|ERROR)$/\2/p' |
		while read -r t; do fail "A/B rules $t"; done
	[ $rc -eq 0 ] || fail "A/B rules unit tests" "exit status $rc"
	if [ -x tools/testing/memblock-ab/run.sh ]; then
		if tools/testing/memblock-ab/run.sh "$kdir" 2>&1 | tee "$top/build/logs/memblock-ab.log" | tail -15; then
			pass "memblock A/B differential (host, C vs Rust)"
		else
			fail "memblock A/B differential (host, C vs Rust)" "see build/logs/memblock-ab.log"
		fi
	fi
	if [ -x tools/testing/efi-memmap/run.sh ]; then
		local m name
		: > "$top/build/logs/efi-memmap.log"
		for m in c rust diff; do
			case $m in
			c)	name="EFI memory map pure helpers vs oracles (host, C)" ;;
			rust)	name="EFI memory map pure helpers vs oracles (host, Rust)" ;;
			diff)	name="EFI memory map differential (host, C vs Rust, 100000 maps)" ;;
			esac
			if tools/testing/efi-memmap/run.sh "$kdir" 100000 $m 2>&1 | tee -a "$top/build/logs/efi-memmap.log" | tail -3; then
				pass "$name"
			else
				fail "$name" "see build/logs/efi-memmap.log"
			fi
		done
	fi
	# bootmem-replay: the C and the Rust decisions on real firmware maps.
	if [ -x tools/bootmem-replay/test.sh ]; then
		out=$(tools/bootmem-replay/test.sh "$kdir" 2>&1)
		rc=$?
		echo "$out" > "$top/build/logs/bootmem-replay.log"
		echo "$out" | tail -1
		echo "$out" | sed -nE 's/^PASS (.*)$/\1/p' | while read -r t; do pass "bootmem-replay: $t"; done
		echo "$out" | sed -nE 's/^FAIL (.*)$/\1/p' | while read -r t; do fail "bootmem-replay: $t"; done
		echo "$out" | grep -qE '^(PASS|FAIL) ' || fail "bootmem-replay" "no result; see build/logs/bootmem-replay.log"
		[ $rc -eq 0 ] || echo "$out" | grep -q '^FAIL ' || fail "bootmem-replay" "exit status $rc"
	fi
	if [ -x tools/testing/unaccepted-ab/run.sh ]; then
		if tools/testing/unaccepted-ab/run.sh "$kdir" 2>&1 | tee "$top/build/logs/unaccepted-ab.log" | tail -8; then
			pass "unaccepted memory A/B differential (host, C vs Rust)"
		else
			fail "unaccepted memory A/B differential (host, C vs Rust)" "see build/logs/unaccepted-ab.log"
		fi
	fi
}

fmt() {
	begin fmt
	local files
	mapfile -t files < <(git ls-files '*.rs'; git ls-files --others --exclude-standard '*.rs')
	[ ${#files[@]} -gt 0 ] || { pass "rustfmt (no files)"; return; }
	if rustfmt --check --edition 2021 "${files[@]}"; then
		pass "rustfmt --check (${#files[@]} files)"
	else
		fail "rustfmt --check" "run rustfmt --edition 2021 on the files above"
	fi
}

clippy() {
	begin clippy
	local c
	for c in "${host_crates[@]}"; do
		[ -f "$c/Cargo.toml" ] || continue
		if cargo clippy --offline --quiet --all-targets --manifest-path "$c/Cargo.toml" -- -D warnings; then
			pass "clippy ${c##*/}"
		else
			fail "clippy ${c##*/}"
		fi
	done
	# The kernel glue itself, built for the host against a stand-in kernel
	# crate, under the lints the kernel's CLIPPY=1 build uses.
	local f
	for f in "" numa; do
		if cargo clippy --offline --quiet --release ${f:+--features $f} \
			--manifest-path tools/testing/memblock-ab/rust/Cargo.toml -- -D warnings; then
			pass "clippy memblock glue${f:+ ($f)}"
		else
			fail "clippy memblock glue${f:+ ($f)}"
		fi
	done
	if cargo clippy --offline --quiet --release \
		--manifest-path tools/testing/unaccepted-ab/rust/Cargo.toml -- -D warnings; then
		pass "clippy unaccepted memory glue"
	else
		fail "clippy unaccepted memory glue"
	fi
}

# The tree's own style checkers.  checkpatch.pl --strict on every patch:
# a finding is allowed only if scripts/checkpatch-allowed lists its patch
# and type with a reason (and a listed pair that no longer occurs is
# stale); on our C files outside tools/: no finding at all.  kernel-doc
# -Wall: no warning in our C files, and no new one in the kernel files the
# patches touch (against the pristine baseline of build/linux); rustdoc
# of our Rust with warnings as errors.
lint() {
	begin lint
	local cp=$kdir/scripts/checkpatch.pl kd=$kdir/scripts/kernel-doc
	if [ ! -x "$cp" ] || [ ! -x "$kd" ]; then
		fail "lint" "no $cp or $kd (run make tree first)"
		return
	fi
	local p f found allowed extra stale out base n0 n1
	found=$(for p in patches/0*.patch; do
		"$cp" --strict --no-tree --terse --show-types "$top/$p" 2>&1 |
			sed -nE 's|^.*/([0-9]{4})-[^:]*:[0-9]+: [A-Z]+:([A-Z_]+):.*|\1 \2|p'
	done | sort -u)
	allowed=$(awk '/^[0-9][0-9][0-9][0-9] / { print $1, $2 }' scripts/checkpatch-allowed | sort -u)
	extra=$(comm -23 <(echo "$found") <(echo "$allowed") | grep . || true)
	stale=$(comm -13 <(echo "$found") <(echo "$allowed") | grep . || true)
	if [ -z "$extra" ] && [ -z "$stale" ]; then
		pass "checkpatch --strict patches/ ($(ls patches/0*.patch | wc -l) patches, $(echo "$allowed" | grep -c .) findings allowed with reasons)"
	else
		fail "checkpatch --strict patches/" \
			"${extra:+not allowed: ${extra//$'\n'/, }; }${stale:+stale in scripts/checkpatch-allowed: ${stale//$'\n'/, }}"
	fi
	local ours=()
	mapfile -t ours < <(git ls-files '*.c' '*.h' | grep -v '^tools/')
	out=$(for f in "${ours[@]}"; do "$cp" --strict --no-tree --terse -f "$f" 2>&1 | grep -v '^total:'; done)
	if [ -z "$out" ]; then
		pass "checkpatch --strict -f on our C (${#ours[@]} files)"
	else
		echo "$out"
		fail "checkpatch --strict -f on our C" "${out%%$'\n'*}"
	fi
	out=$(for f in "${ours[@]}"; do "$kd" -none -Wall "$f" 2>&1; done)
	if [ -z "$out" ]; then
		pass "kernel-doc -Wall on our C (${#ours[@]} files)"
	else
		echo "$out"
		fail "kernel-doc -Wall on our C" "${out%%$'\n'*}"
	fi
	# The baseline prepare-tree.sh recorded.
	base=$(cat "$kdir/.git/bootmem-rs-baseline" 2>/dev/null || true)
	out=""
	for f in $(cat patches/0*.patch | sed -nE 's|^\+\+\+ b/(.*\.[ch])$|\1|p' | sort -u); do
		[ -f "$kdir/$f" ] || continue
		n1=$("$kd" -none -Wall "$kdir/$f" 2>&1 | grep -c . || true)
		n0=0
		if [ -n "$base" ] && git -C "$kdir" cat-file -e "$base:$f" 2>/dev/null; then
			n0=$(git -C "$kdir" show "$base:$f" > "$top/build/kdoc.tmp.${f##*.}" &&
				"$kd" -none -Wall "$top/build/kdoc.tmp.${f##*.}" 2>&1 | grep -c . || true)
		fi
		[ "$n1" -gt "$n0" ] && out+="$f: $n0 -> $n1 kernel-doc warnings; "
	done
	rm -f "$top/build/kdoc.tmp."*
	if [ -z "$out" ]; then
		pass "kernel-doc -Wall: no new warning in the kernel files patches/ touch"
	else
		fail "kernel-doc -Wall on patched kernel files" "$out"
	fi
	# The Sphinx build of our pages (make SPHINXDIRS=mm htmldocs): no
	# warning about them.
	if out=$(scripts/docs.sh "$kdir" 2>&1); then
		pass "Sphinx htmldocs (SPHINXDIRS=mm): our 2 pages, no warning"
	else
		echo "$out" | tail -8
		fail "Sphinx htmldocs of our pages" "$(echo "$out" | grep -m1 -E 'WARNING|failed|not in the output')"
	fi
	# rustdoc, warnings as errors, private items too: the pure modules
	# (bootmem-host) and the glue files built on the host (memblock,
	# unaccepted memory), as the kernel's rustdoc would see them.
	local c
	for c in tools/testing/bootmem-host tools/testing/memblock-ab/rust tools/testing/unaccepted-ab/rust; do
		if out=$(RUSTDOCFLAGS="-D warnings" cargo doc --offline --quiet --no-deps \
			--document-private-items --manifest-path "$c/Cargo.toml" 2>&1); then
			pass "rustdoc -D warnings ${c#tools/testing/}"
		else
			echo "$out" | tail -20
			fail "rustdoc -D warnings ${c#tools/testing/}" "$(echo "$out" | grep -m1 -E '^(warning|error)')"
		fi
	done
}

# A short libFuzzer run of each fuzz target (tools/testing/fuzz/run.sh
# writes one PASS/FAIL line per target, with its execution count);
# FUZZ_SECONDS per target, 20 by default here.
fuzz() {
	begin fuzz
	FUZZ_SECONDS=${FUZZ_SECONDS:-20} FUZZ_RESULTS="$res/fuzz.txt" \
		tools/testing/fuzz/run.sh "$kdir" 2>&1 | tee "$top/build/logs/fuzz.log" | tail -4
	grep -q . "$res/fuzz.txt" || fail "fuzz" "tools/testing/fuzz/run.sh reported nothing (see build/logs/fuzz.log)"
}

ab() {
	begin ab-build
	if make --no-print-directory kernels; then
		pass "kernel builds (stock, C and Rust)"
		# The tree's own `make rustfmtcheck` (its .rustfmt.toml, every
		# .rs of the prepared tree: ours, the kernel crate and the
		# backported macros).
		if make -s -C "$kdir" LLVM=1 O="$top/build/out-rust" RUSTFMT=/usr/bin/rustfmt \
			rustfmtcheck > "build/logs/rustfmtcheck.log" 2>&1; then
			pass "make rustfmtcheck (the whole prepared tree)"
		else
			grep -m5 '^Diff in' build/logs/rustfmtcheck.log
			fail "make rustfmtcheck" "see build/logs/rustfmtcheck.log"
		fi
		# rustdoc of our Rust objects with Kbuild's own flags (6.12's
		# `make rustdoc` covers rust/ only).
		local v
		for v in c rust; do
			if scripts/rustdoc-ours.sh "build/out-$v" "$kdir" > "build/logs/rustdoc-$v.log" 2>&1; then
				pass "rustdoc -D warnings, our Rust objects ($v): $(grep -c PASS "build/logs/rustdoc-$v.log")"
			else
				grep -E 'FAIL|^(error|warning)' "build/logs/rustdoc-$v.log" | head -10
				fail "rustdoc -D warnings, our Rust objects ($v)" "see build/logs/rustdoc-$v.log"
			fi
		done
		begin ab
		# bootmem_ab.py writes one line per test to build/results/ab.txt.
		if ! scripts/bootmem_ab.py ab; then
			grep -q '^FAIL' "$res/ab.txt" || fail "A/B" "bootmem_ab.py failed"
		fi
	else
		fail "kernel builds (stock, C and Rust)" "see the kbuild messages above and build/logs/{config,build}-*.log"
		begin ab; fail "A/B boots" "no kernels"
	fi
}

mkdir -p "$top/build/logs"
start=$SECONDS
case "$what" in
host) host ;;
fmt) fmt ;;
clippy) clippy ;;
fuzz) fuzz ;;
ab) ab ;;
lint) lint ;;
all) rm -f "$res"/*.txt; host; fmt; clippy; lint; fuzz; ab ;;
*) echo "usage: check.sh [host|fmt|clippy|lint|fuzz|ab|all]" >&2; exit 2 ;;
esac

files=("${ran[@]}")
npass=$(cat "${files[@]}" 2>/dev/null | grep -c '^PASS')
nfail=$(cat "${files[@]}" 2>/dev/null | grep -c '^FAIL')
echo "== check: $((SECONDS - start)) s"
if [ "$nfail" -gt 0 ]; then
	echo "Failed:"; grep -h '^FAIL' "${files[@]}" | sed 's/^/  /'
fi
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
