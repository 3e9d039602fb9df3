# SPDX-License-Identifier: GPL-2.0
"""Deliberate breaks of the Rust ports: each one must make a test fail.

scripts/mutants.py applies one at a time to a scratch copy of the
repository (an exact, single-occurrence text replacement, so a mutant that
no longer applies is an error, not a silent pass), rebuilds incrementally,
runs the host tests and an A/B boot, and requires something to fail.

Fields: name, file, old, new, why (the bug it models), boots (A/B boots of
the mutated kernel; more than one where a catch must not be luck).
"""

MUTANTS = [
    dict(
        name="merge-ignores-flags",
        file="mm/memblock_regions.rs",
        old="this.nid() != next.nid() || this.flags() != next.flags()",
        new="this.nid() != next.nid()",
        why="memblock_merge_regions() merges neighbours whatever their "
            "flags: an RSRV_KERN region merges into plain reservations",
        boots=1,
    ),
    dict(
        name="merge-ignores-nid",
        file="mm/memblock_regions.rs",
        old="this.nid() != next.nid() || this.flags() != next.flags()",
        new="this.flags() != next.flags()",
        why="memblock_merge_regions() merges neighbours on different NUMA "
            "nodes",
        boots=1,
    ),
    dict(
        name="mark-kern-one-page-short",
        file="mm/memblock_rsrv_kern_rust.rs",
        old="""                "memblock_reserved_mark_kern",
                addr_of_mut!(bindings::memblock.reserved),
                base,
                size,""",
        new="""                "memblock_reserved_mark_kern",
                addr_of_mut!(bindings::memblock.reserved),
                base,
                size.saturating_sub(4096),""",
        why="memblock_reserved_mark_kern() leaves the last page of the "
            "range unmarked (off by one page at the end)",
        boots=1,
    ),
    dict(
        name="warn-not-fired",
        file="mm/memblock_rsrv_kern_rust.rs",
        old="        if w.any() {",
        new="        if w.any() && w.empty_not_clean != 0 {",
        why="the WARN_ON()s of memblock_add_range() the Rust counted are "
            "not fired (only the empty-array one is)",
        boots=1,
    ),
    dict(
        name="debug-vm-check-off",
        file="mm/memblock_rsrv_kern_rust.rs",
        old="""const CHECK: Check = if cfg!(CONFIG_DEBUG_VM) {
    Check::Full""",
        new="""const CHECK: Check = if cfg!(CONFIG_DEBUG_VM) {
    Check::Header""",
        why="with CONFIG_DEBUG_VM the memblock glue no longer validates the "
            "whole table: a table memblock could not have built is used",
        boots=1,
    ),
    dict(
        name="kern-size-ignores-nid",
        file="mm/memblock_regions.rs",
        old="if (all_nodes || nid == r.nid())",
        new="if (all_nodes || nid >= 0)",
        why="memblock_reserved_kern_size() counts every node's regions",
        boots=1,
    ),
    dict(
        name="drop-guard-unit",
        file="drivers/firmware/efi/unaccepted_memory_bitmap.rs",
        old="""        if r == 0 {
            end = end.saturating_add(self.unit_size.get());
        }
        // Do not overrun the bitmap.
        Some((
            start,
            min(end, self.span),
            min(q.saturating_add(1), self.nbits),""",
        new="""        // Do not overrun the bitmap.
        Some((
            start,
            min(end, self.span),
            min(if r == 0 { q } else { q.saturating_add(1) }, self.nbits),""",
        why="accept_memory() no longer accepts the unit after a range that "
            "ends on a unit boundary (load_unaligned_zeropad() guard)",
        boots=1,
    ),
    dict(
        name="skip-accepting-list",
        file="drivers/firmware/efi/unaccepted_memory_rust.rs",
        old="let mut pos = (*head).next;",
        new="let mut pos = head;",
        why="the accepting_list walk starts at the head and never finds an "
            "overlap: two CPUs accept the same unit",
        boots=4,
    ),
    dict(
        name="accept-unit-twice",
        file="drivers/firmware/efi/unaccepted_memory_bitmap.rs",
        old="let end = min(run.end, self.nbits);\n        if run.start >= end {",
        new="let end = min(run.end, self.nbits).saturating_sub(1);\n        if run.start >= end {",
        why="bitmap_clear() leaves the last unit of each accepted run "
            "marked, so a later call accepts it again",
        boots=1,
    ),
    dict(
        name="query-misses-guard",
        file="drivers/firmware/efi/unaccepted_memory_bitmap.rs",
        old="let first = self.unit_of(start);\n        find_next_bit(bitmap, last, first, false) < last",
        new="let first = self.unit_of(start);\n        let last = last.saturating_sub(1);\n"
            "        find_next_bit(bitmap, last, first, false) < last",
        why="range_contains_unaccepted_memory() does not look at the last "
            "unit (the guard unit of an aligned range)",
        boots=1,
    ),
    dict(
        name="no-page-align",
        file="drivers/firmware/efi/unaccepted_memory_bitmap.rs",
        old="let end = start.wrapping_add(size).wrapping_add(self.page_mask) & !self.page_mask;",
        new="let end = start.wrapping_add(size);",
        why="accept_memory() without upstream 948a013a54c4: a range ending "
            "inside a unit's last page gets no guard unit",
        boots=1,
    ),
    dict(
        name="reject-non-power-of-two-unit",
        file="drivers/firmware/efi/unaccepted_memory_bitmap.rs",
        old="        if unit & page_mask != 0 {",
        new="        if unit & page_mask != 0 || !unit_size.is_power_of_two() {",
        why="a version-1 table with a page-multiple unit that is not a "
            "power of two, which the C handles, is rejected",
        boots=1,
    ),
    dict(
        name="bad-table-silent",
        file="drivers/firmware/efi/unaccepted_memory_rust.rs",
        old="    unsafe { bindings::efi_unaccepted_table_unusable() };",
        new="    let _ = bindings::efi_unaccepted_table_unusable;",
        why="an unusable table is only logged: the guest goes on and dies "
            "at its first touch of unaccepted memory, without a word",
        boots=1,
    ),
    dict(
        name="e820-judges-reserved-pages",
        file="arch/x86/platform/efi/quirks_rust.rs",
        old="let ge = rbase & !MASK;",
        new="let ge = end & !MASK;",
        why="efi_reserve_boot_services() judges E820 over the pages somebody "
            "reserved too: a region holding the ESRT is kept whole",
        boots=1,
    ),
    dict(
        name="free-below-1mib",
        file="drivers/firmware/efi/efi_memmap_ranges.rs",
        old="let start = start.max(floor);",
        new="let start = start.max(floor.min(0));",
        why="efi_mm_free_ranges() ignores the 1 MiB floor: boot services "
            "memory under 1 MiB (BIOS, crash kernel) is freed",
        boots=1,
    ),
    dict(
        name="free-kept-reservations",
        file="drivers/firmware/efi/efi_memmap_ranges.rs",
        old="        if r.keep {\n            continue;\n        }\n",
        new="",
        why="efi_mm_free_ranges() frees MEMBLOCK_RSRV_KERN (and other "
            "flagged) reservations too: memory the kernel keeps is freed",
        boots=1,
    ),
    dict(
        name="drop-kept-descriptors",
        file="drivers/firmware/efi/efi_memmap_ranges.rs",
        old=".is_some_and(|r| freed.iter().any(|x| x.start == r.start && x.end == r.end))",
        new=".is_some_and(|r| freed.iter().any(|x| x.start == r.start))",
        why="efi_free_boot_services() drops boot services regions freed "
            "only in part from the EFI memory map (what the kernel keeps "
            "is no longer described, e.g. for kexec)",
        boots=1,
    ),
    dict(
        name="foreign-reservation-not-kept",
        file="arch/x86/platform/efi/quirks_rust.rs",
        old="""            if start >= SZ_1M {
                bindings::memblock_reserved_mark_kern(start, size);
            }
            efi_reserve_gaps(start, end);""",
        new="""            efi_reserve_gaps(start, end);""",
        why="efi_reserve_boot_services() does not mark somebody else's "
            "earlier reservation in a boot services region as kept: it "
            "is freed with the region",
        boots=1,
    ),

]
