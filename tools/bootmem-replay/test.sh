#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test.sh [KDIR]: tests of tools/bootmem-replay.  Builds it against KDIR
# (default build/linux of this repository), replays every fixture of
# tools/testing/efi-memmap/fixtures and every log of logs/ (each must
# replay with 0 disagreements between C and Rust), checks numbers the
# replay must reproduce (our OVMF boots, the ZenBook's ESRT region), a raw
# map and a replay with efi=debug, then feeds malformed input (each must
# exit 2 naming the line).  One "PASS name" or "FAIL name -- why" line per
# test, then "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kdir=$(cd "${1:-$top/build/linux}" && pwd) || exit 2
fixtures=$top/tools/testing/efi-memmap/fixtures
bin=$here/bootmem-replay-bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1 -- $2"; fail=$((fail + 1)); }

if ! make -s -C "$here" KDIR="$kdir" >"$tmp/build.log" 2>&1; then
	ko build "$(tail -3 "$tmp/build.log" | tr '\n' ' ')"
	echo "$pass passed, $fail failed"
	exit 1
fi
ok build

# A replay that must succeed with C = Rust.
replay() {	# name, args...
	local name=$1 rc
	shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		ko "$name" "exit $rc: $(head -c 300 "$tmp/err") $(grep -m1 -- ' NO$' "$tmp/out")"
		return 1
	fi
	if ! grep -qx '0 disagreements' "$tmp/out"; then
		ko "$name" "no '0 disagreements' line"
		return 1
	fi
	return 0
}

# A total of the C column.
total() {	# label
	awk -v l="$1" 'index($0, "  " l) == 1 { print $(NF - 2) }' "$tmp/out"
}

for f in "$fixtures"/*.txt "$here"/logs/*.txt; do
	replay "replay $(basename "$f")" "$f" && ok "replay $(basename "$f") ($(total 'freed (KiB)')K freed, $(total 'runtime map entries after the free stage') runtime entries)"
done

# Our own OVMF q35 1G boot with memblock=debug (logs/ovmf-q35-1g-efi-debug.txt):
# the A/B table (Documentation/mm/bootmem-rs-efi-memmap.rst, q35 1G 2 CPUs)
# says 39688K freed and 9 runtime-map entries; with efi=debug nothing is
# freed and 107 entries stay.  The model must repeat the kernel's own
# memblock_reserve() calls and trampoline.
ov=$here/logs/ovmf-q35-1g-efi-debug.txt
if replay "OVMF q35-1G figures" "$ov"; then
	f=$(total 'freed (KiB)') n=$(total 'runtime map entries after the free stage')
	if [ "$f" = 39688 ] && [ "$n" = 9 ]; then
		ok "OVMF q35-1G figures (39688K freed, 9 runtime entries, as make ab measured)"
	else
		ko "OVMF q35-1G figures" "freed ${f}K, $n entries; make ab measured 39688K, 9"
	fi
	if grep -q "efi_reserve_boot_services(): 102 in the log, 102 modelled, all equal" "$tmp/out" &&
		grep -q "at 0x99000 .*; the log agrees" "$tmp/out"; then
		ok "OVMF q35-1G model against the log (102 memblock_reserve() calls, trampoline at 0x99000)"
	else
		ko "OVMF q35-1G model against the log" "$(grep -E 'calls of|trampoline:' "$tmp/out" | tr '\n' ' ')"
	fi
fi
if replay "OVMF q35-1G efi=debug" --efi-debug "$ov"; then
	f=$(total 'freed (KiB)') n=$(total 'runtime map entries after the free stage')
	if [ "$f" = 0 ] && [ "$n" = 107 ] && grep -q 'runtime memory map:" .*: 107 entries' "$tmp/out"; then
		ok "OVMF q35-1G efi=debug (nothing freed, 107 runtime entries, as the log and make ab show)"
	else
		ko "OVMF q35-1G efi=debug" "freed ${f}K, $n entries; make ab measured none, 107"
	fi
fi

# The ZenBook's ESRT lies in a 133 MB boot services region that E820 no
# longer calls RAM once efi_arch_mem_reserve() has run.  Judged only where
# nobody reserved it (patch 0029), the region is freed but for the ESRT's
# page, as stock 6.12 (which split the descriptor) did; before 0029 the
# design kept all 136928K.
zb=$here/logs/asus-zenbook-ux391fa-5.3.txt
if replay "ZenBook ESRT region" "$zb"; then
	if grep -q '^mem28 .*| freed 136924K kept 4K map *| freed 136924K kept 4K map *| yes' "$tmp/out"; then
		ok "ZenBook ESRT region (mem28: 136924K freed, the ESRT's 4K kept)"
	else
		ko "ZenBook ESRT region" "$(grep '^mem28' "$tmp/out")"
	fi
fi

# A raw map: the q35-1G fixture's descriptors, 48-byte stride, as binary.
if python3 - "$fixtures/ovmf-q35-1g.txt" "$tmp/map.bin" <<'PY'
import re, struct, sys
names = {"Reserved": 0, "Loader Code": 1, "Loader Data": 2, "Boot Code": 3, "Boot Data": 4,
         "Runtime Code": 5, "Runtime Data": 6, "Conventional": 7, "ACPI Reclaim": 9,
         "ACPI Mem NVS": 10, "MMIO": 11}
out = b""
for l in open(sys.argv[1]):
    m = re.search(r"\[(.+?)\s*\|(RUN)?.*range=\[0x([0-9a-f]+)-0x([0-9a-f]+)\]", l)
    if m:
        a, b = int(m.group(3), 16), int(m.group(4), 16) + 1
        attr = 0xf | ((1 << 63) if m.group(2) else 0)
        if "|  |  |  |UC]" in l:
            attr = (attr & (1 << 63)) | 1
        out += struct.pack("<IIQQQQQ", names[m.group(1)], 0, a, 0, (b - a) >> 12, attr, 0)
open(sys.argv[2], "wb").write(out)
PY
then
	if replay "raw map" --format=raw --desc-size=48 "$tmp/map.bin"; then
		f=$(total 'freed (KiB)') n=$(total 'runtime map entries after the free stage')
		# the same map as the fixture, so the same decisions as its replay
		"$bin" "$fixtures/ovmf-q35-1g.txt" >"$tmp/log.out" 2>&1
		if [ "$(total 'descriptors after efi_clean_memmap()')" = 129 ] &&
			[ "$f" = "$(awk 'index($0, "  freed (KiB)") == 1 { print $(NF - 2) }' "$tmp/log.out")" ] &&
			[ "$n" = "$(awk 'index($0, "  runtime map entries after the free stage") == 1 { print $(NF - 2) }' "$tmp/log.out")" ]; then
			ok "raw map (129 descriptors, ${f}K freed, $n runtime entries)"
		else
			ko "raw map" "freed ${f}K, $n entries"
		fi
	fi
	head -c 100 "$tmp/map.bin" >"$tmp/short.bin"
	"$bin" --format=raw --desc-size=48 "$tmp/short.bin" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q "short.bin:96: 4 trailing bytes" "$tmp/err"; then
		ok "raw map with trailing bytes (exit 2, offset named)"
	else
		ko "raw map with trailing bytes" "exit $rc: $(cat "$tmp/err")"
	fi
else
	ko "raw map" "could not write the map"
fi

# The comparison must see a difference: a C whose 1 MiB floor is halved
# (a mutant of memmap_ranges.c, built here) must disagree with the Rust on
# our OVMF log (its boot services page at 0x87000 is below 1 MiB).
sed 's/if (start < floor)/if (start < floor \/ 2)/; s/start = floor;/start = floor \/ 2;/' \
	"$kdir/drivers/firmware/efi/memmap_ranges.c" >"$tmp/mutant.c"
if ! grep -q 'floor / 2' "$tmp/mutant.c"; then
	ko "mutant C (floor / 2) is caught" "could not make the mutant"
elif ${CC:-cc} -O2 -I"$here/include" -I"$kdir/tools/include" \
	$(for f in map_layout desc_range find_overlap sorted compact free_ranges range_listed tail_pages; do
		echo "-Defi_mm_$f=c_efi_mm_$f"; done) -c -o "$tmp/mutant.o" "$tmp/mutant.c" &&
	${CC:-cc} -O2 -I"$here/include" -I"$top/tools/testing/efi-memmap" -I"$kdir/tools/include" \
	-o "$tmp/mutant" "$here/bootmem_replay.c" "$top/tools/testing/efi-memmap/memmap_log.c" "$tmp/mutant.o" \
	"$(make -s -C "$here" KDIR="$kdir" --no-print-directory -f Makefile print-rustlib)" -lpthread -ldl -lm; then
	"$tmp/mutant" "$here/logs/ovmf-q35-1g-efi-debug.txt" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -q '^mem02 .* NO$' "$tmp/out" && ! grep -qx '0 disagreements' "$tmp/out"; then
		ok "mutant C (floor / 2) is caught ($(tail -1 "$tmp/out"), mem02 below 1 MiB)"
	else
		ko "mutant C (floor / 2) is caught" "exit $rc, $(tail -1 "$tmp/out")"
	fi
else
	ko "mutant C (floor / 2) is caught" "could not build the mutant"
fi

# Malformed input: exit 2 and "FILE:LINE: what is wrong".
malformed() {	# name, line, expected message part, text with @@ marking the bad line
	local name=$1 line=$2 want=$3 text=$4 rc
	printf '%s\n' "$text" >"$tmp/bad.txt"
	"$bin" "$tmp/bad.txt" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -q "^$tmp/bad.txt:$line: .*$want" "$tmp/err"; then
		ok "malformed: $name (exit 2, line $line)"
	else
		ko "malformed: $name" "exit $rc, stderr: $(cat "$tmp/err")"
	fi
}
good='efi: mem00: [Boot Code   |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000000000-0x0000000000000fff] (0MB)'
malformed "size does not match" 2 "printed size 7MB" "$good
efi: mem01: [Boot Data   |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000001fffff] (7MB)"
malformed "unknown type" 3 "unknown memory type 'Boot Dat'" "# a comment
$good
efi: mem01: [Boot Dat    |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000001fffff] (1MB)"
malformed "unknown attribute" 2 "unknown attribute 'XX'" "$good
efi: mem01: [Boot Data   |   |XX|  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000001fffff] (1MB)"
malformed "out of sequence" 2 "mem03 out of sequence (expected mem01)" "$good
efi: mem03: [Boot Data   |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000001fffff] (1MB)"
malformed "second boot" 3 "mem00 again" "$good
efi: mem01: [Boot Data   |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000100000-0x00000000001fffff] (1MB)
$good"
malformed "reversed range" 2 "empty or reversed range" "$good
efi: mem01: [Boot Data   |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] range=[0x0000000000200000-0x00000000001fffff] (0MB)"
malformed "no range" 2 "no '] range=\['" "$good
efi: mem01: [Boot Data   |   |  |  |  |  |  |  |  |  |  |   |WB|WT|WC|UC] rang=[0x0000000000100000-0x00000000001fffff] (1MB)"
malformed "bad BIOS-e820" 1 "cannot read 'BIOS-e820" "BIOS-e820: [mem 0x0000000000000000-] usable
$good"
malformed "unknown E820 type" 1 "unknown E820 type" "BIOS-e820: [mem 0x0000000000000000-0x000000000009ffff] usabel
$good"
malformed "bad ESRT line" 2 "cannot read the ESRT range" "$good
esrt: Reserving ESRT space from 0x0000000074dd6f98 to nowhere."

"$bin" "$tmp/nothing.txt" >/dev/null 2>&1
[ $? -eq 2 ] && ok "missing file (exit 2)" || ko "missing file" "exit not 2"
printf 'no map here\n' >"$tmp/empty.txt"
"$bin" "$tmp/empty.txt" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "no 'efi: memNN:' lines" "$tmp/err" && ok "log without a map (exit 2)" ||
	ko "log without a map" "exit $rc: $(cat "$tmp/err")"
"$bin" --reserve=0x1000 "$fixtures/ovmf-q35-1g.txt" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "wants ADDR+SIZE" "$tmp/err" && ok "bad --reserve (exit 2)" ||
	ko "bad --reserve" "exit $rc: $(cat "$tmp/err")"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
