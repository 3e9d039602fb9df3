#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [KDIR]: `make fuzz`.  Builds the libFuzzer targets with cargo-fuzz
# (scripts/setup-deps.sh installs it into build/tools) and runs each for
# FUZZ_SECONDS (default 60), starting from the committed seeds in corpus/
# plus what earlier runs found (build/fuzz/corpus/).  One line per target:
#
#   PASS fuzz memblock (123456 executions, 30 s)
#   FAIL fuzz memblock (123 executions, 30 s) -- crash: build/fuzz/artifacts/memblock/crash-...
#
# and the exit status is non-zero if any target failed or did not build.
#
# Environment: FUZZ_SECONDS, FUZZ_TARGETS (default "memblock unaccepted
# efi_memmap"), FUZZ_JOBS (libFuzzer -fork= workers per target, default 1),
# FUZZ_RESULTS (a file that gets the PASS/FAIL lines too).
#
# Toolchain: Debian's (PATH=/usr/bin:/bin), stable.  cargo-fuzz runs with
# `--sanitizer none`: its default, AddressSanitizer, needs -Zsanitizer and a
# sanitizer runtime that Debian's rustc does not ship; without it cargo-fuzz
# passes only stable flags (-Cpasses=sancov-module and the sanitizer-coverage
# options), so no RUSTC_BOOTSTRAP either.  Memory errors are still caught:
# the Rust under test is safe code built with debug assertions and overflow
# checks (a panic is a crash), and the maps and tables both sides read end
# right before a PROT_NONE page.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
kdir=$(cd "${1:-${KDIR:-$top/build/linux}}" && pwd) || exit 2
secs=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-memblock unaccepted efi_memmap}
out=$top/build/fuzz
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cargo_fuzz=$top/build/tools/bin/cargo-fuzz

[[ $secs =~ ^[0-9]+$ ]] && [ "$secs" -gt 0 ] || { echo "fuzz: FUZZ_SECONDS must be a positive number" >&2; exit 2; }
[ -x "$cargo_fuzz" ] || { echo "fuzz: $cargo_fuzz missing (scripts/setup-deps.sh installs it)" >&2; exit 2; }
mkdir -p "$out/logs"
results=${FUZZ_RESULTS:-/dev/null}
line() {
	echo "$1"
	echo "$1" >> "$results"
}

echo "fuzz: kernel tree $kdir, $secs s per target"
if ! BOOTMEM_KDIR=$kdir CARGO_TARGET_DIR=$out/target \
	"$cargo_fuzz" build -s none --fuzz-dir "$here" >"$out/logs/build.log" 2>&1; then
	tail -30 "$out/logs/build.log" >&2
	for t in $targets; do
		line "FAIL fuzz $t -- the fuzz targets did not build (see build/fuzz/logs/build.log)"
	done
	exit 1
fi
bin=$out/target/x86_64-unknown-linux-gnu/release

rc=0
for t in $targets; do
	corpus=$out/corpus/$t
	art=$out/artifacts/$t
	log=$out/logs/$t.log
	mkdir -p "$corpus" "$art"
	# New inputs go to the first directory; the seeds are read only.
	"$bin/$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$art/" \
		${FUZZ_JOBS:+-fork=$FUZZ_JOBS} "$corpus" "$here/corpus/$t" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
	name="fuzz $t (${execs:-0} executions, $secs s)"
	if [ $status -eq 0 ]; then
		line "PASS $name"
	else
		crash=$(ls -t "$art" 2>/dev/null | head -1)
		grep -E "panicked|differ|deadly signal|ERROR" "$log" | head -5 >&2
		line "FAIL $name -- ${crash:+input build/fuzz/artifacts/$t/$crash, }see build/fuzz/logs/$t.log"
		rc=1
	fi
done
exit $rc
