// SPDX-License-Identifier: GPL-2.0

//! EFI boot services memory on x86: the Rust replacement of the boot
//! services part of `arch/x86/platform/efi/quirks.c`
//! (`CONFIG_EFI_MEMMAP_RUST`); the rest of `quirks.c` (variable store,
//! capsules, reboot and runtime quirks) stays in C.
//!
//! Replaces [`efi_arch_mem_reserve`], [`efi_reserve_boot_services`] (with
//! [`efi_reserve_boot_services_range`], its ownership step),
//! [`efi_unmap_boot_services`] and [`efi_free_boot_services`], which
//! `quirks.c` registers as an `arch_initcall` (Rust in 6.12 cannot place
//! an initcall entry itself).
//!
//! What the seed design ("efi/x86: Avoid the need to mangle the EFI memory
//! map") changed relative to stock 6.12, kept here:
//! - **Ownership is recorded in memblock**, not in the EFI memory map:
//!   memory in a boot services region that somebody else reserved first
//!   (kernel image, initrd, setup_data, ESRT, `memblock_alloc*()`) is
//!   marked `MEMBLOCK_RSRV_KERN` and only the gaps are reserved for us;
//!   `efi_mem_reserve()` marks what it keeps `MEMBLOCK_RSRV_KERN` too.  No
//!   descriptor is tagged `EFI_MEMORY_RUNTIME`, split or reallocated;
//!   [`efi_arch_mem_reserve`] only updates E820.
//! - **Unmap stage** ([`efi_unmap_boot_services`], after
//!   `SetVirtualAddressMap()`, never on the kexec path): every boot
//!   services region is unmapped from the EFI page tables, and the parts
//!   that are ours (reserved, no memblock flag, rounded inward to pages, at
//!   or above 1 MiB) are recorded, possibly several per region.  memblock
//!   is read here and only here: by the initcall, `memblock_discard()` may
//!   have freed its arrays.
//! - **Free stage** ([`efi_free_boot_services`], `arch_initcall`, once the
//!   memory map is fully initialised): free the recorded ranges, drop the
//!   regions freed whole from the map in place (`efi_memmap_filter()`),
//!   then free the unused tail of the map's allocation.
//!
//! The range arithmetic is the `core`-only `efi_memmap_ranges.rs` of
//! `drivers/firmware/efi/`, included here as a module (the host tests it
//! against the C).

use core::cell::UnsafeCell;
use core::ptr::{addr_of, addr_of_mut, null};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

// `pub`: not every item of the shared module is used here.
#[path = "../../../../drivers/firmware/efi/efi_memmap_ranges.rs"]
pub mod efi_memmap_ranges;

// The C structures the pure module works on.
use bindings::{efi_mm_desc, efi_mm_range, efi_mm_rsv};

use efi_memmap_ranges::{free_ranges, Desc, MemoryMap, Range, Rsv, DESC_SIZE_MIN};

const __LOG_PREFIX: &[u8] = b"efi\0";

// The exported functions have exactly the C prototypes of <linux/efi.h>
// and <asm/efi.h>.
const _: [unsafe extern "C" fn(bindings::phys_addr_t, u64); 2] =
    [bindings::efi_arch_mem_reserve, efi_arch_mem_reserve];
const _: [unsafe extern "C" fn(); 4] = [
    bindings::efi_reserve_boot_services,
    efi_reserve_boot_services,
    bindings::efi_unmap_boot_services,
    efi_unmap_boot_services,
];
const _: [unsafe extern "C" fn(u64, u64, bool); 2] = [
    bindings::efi_reserve_boot_services_range,
    efi_reserve_boot_services_range,
];
const _: [unsafe extern "C" fn() -> c_int; 2] =
    [bindings::efi_free_boot_services, efi_free_boot_services];
const _: [unsafe extern "C" fn(u64, u64) -> bool; 2] =
    [bindings::efi_unreserved_is_ram, efi_unreserved_is_ram];

const SZ_1M: u64 = 1 << 20;
const EFI_PAGE_SIZE: u64 = 1 << efi_memmap_ranges::EFI_PAGE_SHIFT;
const EFI_MEMMAP: c_int = bindings::EFI_MEMMAP as c_int;
const EFI_DBG: c_int = bindings::EFI_DBG as c_int;
const MEMBLOCK_NONE: u32 = bindings::memblock_flags_MEMBLOCK_NONE;

/// `efi_enabled(feature)`.
fn efi_enabled(feature: c_int) -> bool {
    // SAFETY: Reads a bit of `efi.flags`.
    unsafe { bindings::efi_enabled(feature) }
}

/// `efi.memmap` (`m`) as a validated view, borrowed from `m`, or `None`
/// (with a warning if the map is inconsistent) if there is no usable map.
///
/// # Safety
///
/// `m` must be `efi.memmap`, during early boot: nothing may write it or
/// its descriptors while the view is alive.
unsafe fn efi_map(m: &bindings::efi_memory_map) -> Option<MemoryMap<'_>> {
    if !efi_enabled(EFI_MEMMAP) {
        return None;
    }
    let nr = usize::try_from(m.nr_map).ok()?;
    let len = nr.checked_mul(m.desc_size).filter(|&l| l <= m.map_size);
    let Some(len) = len.filter(|_| m.desc_size >= DESC_SIZE_MIN && !m.map.is_null()) else {
        pr_warn!(
            "EFI memory map with {} entries of {} bytes does not fit in {} bytes, ignoring it\n",
            m.nr_map,
            m.desc_size,
            m.map_size
        );
        return None;
    };
    // SAFETY: `map` is mapped for `map_size >= len` bytes (EFI_MEMMAP is
    // set) and not written meanwhile, by the caller's guarantee.
    let bytes = unsafe { core::slice::from_raw_parts(m.map.cast::<u8>(), len) };
    MemoryMap::new(bytes, m.desc_size, nr).ok()
}

/// `efi_arch_mem_reserve()`: `efi_mem_reserve()` has marked the range
/// `MEMBLOCK_RSRV_KERN`; all that is left is to tell E820 that the range,
/// rounded out to whole EFI pages as the memory map describes it, is no
/// longer RAM.  The EFI memory map is left alone.
///
/// # Safety
///
/// Early boot only (E820 is not locked).
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_arch_mem_reserve(addr: bindings::phys_addr_t, size: u64) {
    let mask = EFI_PAGE_SIZE - 1;
    // The C's u64 arithmetic, wrapping included: e820__range_update()
    // clamps whatever comes out.
    let size = size.wrapping_add(addr % EFI_PAGE_SIZE).wrapping_add(mask) & !mask;
    let addr = addr & !mask;
    // SAFETY: Early boot, single-threaded: nothing else updates E820.
    unsafe {
        bindings::e820__range_update(
            addr,
            size,
            bindings::e820_type_E820_TYPE_RAM,
            bindings::e820_type_E820_TYPE_RESERVED,
        )
    };
    // SAFETY: As above; `e820_table` points to the kernel's E820 table.
    unsafe { bindings::e820__update_table(bindings::e820_table) };
}

/// Region `i` of `memblock.reserved`, read afresh: `memblock_reserve()`
/// may move the array.
///
/// # Safety
///
/// Early boot, while memblock is alive.
#[link_section = ".init.text"]
unsafe fn reserved_region(i: usize) -> Option<bindings::memblock_region> {
    // SAFETY: By the caller's guarantee `memblock` is valid and not being
    // modified concurrently.
    let t = unsafe { &*addr_of!(bindings::memblock.reserved) };
    if i >= t.cnt {
        return None;
    }
    // SAFETY: `regions` holds `cnt` initialised entries.
    Some(unsafe { t.regions.add(i).read() })
}

/// `efi_first_reserved()`: the first reserved region of `[start, end)`,
/// clipped to it, as `(rbase, rend)`; `(end, end)` if there is none.
///
/// # Safety
///
/// As for [`reserved_region`].
#[link_section = ".init.text"]
unsafe fn efi_first_reserved(start: u64, end: u64) -> (u64, u64) {
    let mut i = 0;
    // SAFETY: By the caller's guarantee.
    while let Some(r) = unsafe { reserved_region(i) } {
        i += 1;
        let r_end = r.base.saturating_add(r.size);
        if r_end <= start {
            continue;
        }
        if r.base < end {
            return (r.base.max(start), r_end.min(end));
        }
        break;
    }
    (end, end)
}

/// `efi_unreserved_is_ram()`: whether E820 says RAM for all whole pages of
/// `[start, end)` that nobody has reserved yet.  What is reserved is kept
/// anyway, whatever E820 says of it: `efi_mem_reserve()` of a table in boot
/// services memory (the ESRT, the mokvar table) made its pages reserved in
/// E820, and judging the whole region by them would keep all of it.
///
/// Exported for KUnit (`efi_memmap_ownership`).
///
/// # Safety
///
/// Early boot (or KUnit's init-time suite), while memblock is alive.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_unreserved_is_ram(mut start: u64, end: u64) -> bool {
    const MASK: u64 = PAGE_SIZE as u64 - 1;
    while start < end {
        // SAFETY: By the caller's guarantee.
        let (rbase, rend) = unsafe { efi_first_reserved(start, end) };
        // PAGE_ALIGN(start), PAGE_ALIGN_DOWN(rbase): the gap's whole pages.
        let gs = start.saturating_add(MASK) & !MASK;
        let ge = rbase & !MASK;
        if gs < ge {
            // SAFETY: Early boot; reads the E820 table.
            let ram =
                unsafe { bindings::e820__mapped_all(gs, ge, bindings::e820_type_E820_TYPE_RAM) };
            if !ram {
                return false;
            }
        }
        start = rend;
    }
    true
}

/// `efi_reserve_gaps()`: reserve the parts of `[start, end)` that nobody
/// has reserved.
///
/// # Safety
///
/// As for [`reserved_region`].
#[link_section = ".init.text"]
unsafe fn efi_reserve_gaps(mut start: u64, end: u64) {
    while start < end {
        // SAFETY: By the caller's guarantee.
        let (rbase, rend) = unsafe { efi_first_reserved(start, end) };
        if rbase > start {
            // SAFETY: Early boot; memblock_reserve() copes with any range.
            unsafe { bindings::memblock_reserve(start, rbase - start) };
        }
        start = rend;
    }
}

/// `efi_reserve_bs_range()`: reserve `[start, end)` (all on one side of
/// 1 MiB), marking what somebody else reserved first, and everything if
/// `keep`, `MEMBLOCK_RSRV_KERN` (above 1 MiB only: `reserve_real_mode()`
/// reserves all of the first MiB without flags).
///
/// # Safety
///
/// As for [`reserved_region`].
#[link_section = ".init.text"]
unsafe fn efi_reserve_bs_range(start: u64, end: u64, keep: bool) {
    // As the C: memblock clamps a wrapped size.
    let size = end.wrapping_sub(start);
    // SAFETY: Early boot, memblock is alive (for all calls below).
    unsafe {
        if !bindings::memblock_is_region_reserved(start, size) {
            bindings::memblock_reserve(start, size);
        } else {
            // Somebody else's reservations: theirs, keep them for good.
            if start >= SZ_1M {
                bindings::memblock_reserved_mark_kern(start, size);
            }
            efi_reserve_gaps(start, end);
        }
        if keep && start >= SZ_1M {
            bindings::memblock_reserved_mark_kern(start, size);
        }
    }
}

/// `efi_reserve_boot_services_range()`: reserve the boot services region
/// `[start, end)`, recording ownership in memblock (see the module
/// documentation); `keep`: none of it is ever to be freed.  Exported for
/// KUnit, which runs it on a private `memblock.reserved`.
///
/// # Safety
///
/// Early boot (or KUnit's init-time suite), while memblock is alive.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_reserve_boot_services_range(start: u64, end: u64, keep: bool) {
    // SAFETY: By the caller's guarantee.
    unsafe {
        if start < SZ_1M {
            efi_reserve_bs_range(start, end.min(SZ_1M), keep);
        }
        if end > SZ_1M {
            efi_reserve_bs_range(start.max(SZ_1M), end, keep);
        }
    }
}

/// `efi_reserve_boot_services()`: reserve every boot services region so
/// that nothing is allocated there before `SetVirtualAddressMap()`.
/// Regions that are not all RAM in E820 where nobody reserved them (the
/// BIOS' own areas) and regions
/// the firmware also describes as something else (overlapping
/// descriptors) are kept for good.
///
/// # Safety
///
/// Early boot only.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_reserve_boot_services() {
    // SAFETY: Early boot: nothing writes `efi.memmap` meanwhile (memblock
    // calls do not touch it).
    let m = unsafe { &*addr_of!(bindings::efi.memmap) };
    // SAFETY: `m` is `efi.memmap`, early boot.
    let Some(map) = (unsafe { efi_map(m) }) else {
        return;
    };
    // Nothing below relies on the order, but it is a firmware bug.
    if !map.sorted() {
        pr_warn!("[Firmware Bug]: EFI memory map is not sorted\n");
    }
    for (i, d) in map.iter().enumerate() {
        if !d.ty.is_boot_services() {
            continue;
        }
        // Invalid entries were dropped by efi_clean_memmap().
        let Some(r) = d.range() else {
            continue;
        };
        // SAFETY: Early boot, memblock is alive; reads the E820 table.
        let mut keep = !unsafe { efi_unreserved_is_ram(r.start, r.end) };
        if let Some(other) = map.find_overlap(i) {
            pr_warn!(
                "[Firmware Bug]: EFI boot services region mem{:02} overlaps mem{:02}, keeping it reserved\n",
                i,
                other
            );
            keep = true;
        }
        // SAFETY: Early boot, memblock is alive.
        unsafe { efi_reserve_boot_services_range(r.start, r.end, keep) };
    }
}

/// What [`efi_unmap_boot_services`] leaves for [`efi_free_boot_services`].
struct Queued {
    /// The ranges to free, sorted within each region.
    ranges: KVec<Range>,
    /// The unmap stage ran to its end (so: free, compact, trim).
    done: bool,
}

/// The hand-over between the two stages.  Both run during boot, one after
/// the other on the boot CPU (the unmap stage from `efi_enter_virtual_mode()`,
/// the free stage from an initcall), never concurrently.
struct QueuedCell(UnsafeCell<Queued>);

// SAFETY: Accessed only by the two stages, which never run concurrently
// (see above).
unsafe impl Sync for QueuedCell {}

static QUEUED: QueuedCell = QueuedCell(UnsafeCell::new(Queued {
    ranges: KVec::new(),
    done: false,
}));

/// A snapshot of `memblock.reserved` for the range computation: `keep` is
/// any region with a flag (`MEMBLOCK_RSRV_KERN` or another).
///
/// # Safety
///
/// As for [`reserved_region`].
#[link_section = ".init.text"]
unsafe fn efi_snapshot_reserved() -> Option<KVec<Rsv>> {
    // SAFETY: By the caller's guarantee.
    let cnt = unsafe { (*addr_of!(bindings::memblock.reserved)).cnt };
    let mut rsv = KVec::with_capacity(cnt.max(1), GFP_KERNEL).ok()?;
    let mut i = 0;
    // SAFETY: By the caller's guarantee.
    while let Some(r) = unsafe { reserved_region(i) } {
        i += 1;
        rsv.push(
            Rsv {
                base: r.base,
                size: r.size,
                keep: r.flags != MEMBLOCK_NONE,
            },
            GFP_KERNEL,
        )
        .ok()?;
    }
    Some(rsv)
}

/// `efi_record_free_ranges()`: record the parts of `[start, end)` that
/// are ours to free (reserved without flags, rounded inward to pages, at
/// or above 1 MiB: below it the BIOS might clobber memory and the crash
/// kernel needs it reserved).  False if nothing more can be recorded.
#[link_section = ".init.text"]
fn efi_record_free_ranges(q: &mut Queued, start: u64, end: u64, rsv: &[Rsv]) -> bool {
    let page = PAGE_SIZE as u64;
    let mut buf = [Range { start: 0, end: 0 }; 8];
    let n = match free_ranges(start, end, rsv, SZ_1M, page, &mut buf) {
        Ok(n) => n,
        Err(_) => {
            pr_warn!("Inconsistent memblock.reserved, not freeing EFI boot services memory\n");
            return false;
        }
    };
    let stored = if let Some(r) = buf.get(..n) {
        q.ranges.extend_from_slice(r, GFP_KERNEL)
    } else {
        // More than fit on the stack: again, with room for all of them.
        match KVec::from_elem(Range { start: 0, end: 0 }, n, GFP_KERNEL) {
            Ok(mut big) => match free_ranges(start, end, rsv, SZ_1M, page, &mut big) {
                Ok(m) if m == n => q.ranges.extend_from_slice(&big, GFP_KERNEL),
                _ => Err(kernel::alloc::AllocError),
            },
            Err(e) => Err(e),
        }
    };
    if stored.is_err() {
        pr_err!("Failed to allocate storage for freeable EFI regions\n");
        return false;
    }
    true
}

/// `efi_unmap_boot_services()`: after `SetVirtualAddressMap()`, unmap
/// every boot services region from the EFI page tables (the firmware has
/// no business touching them any more, kept or not), apply the real-mode
/// trampoline quirk, and record what [`efi_free_boot_services`] will free.
/// With `efi=debug` nothing is freed.
///
/// # Safety
///
/// Early boot only, after `SetVirtualAddressMap()`, while memblock is alive.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_unmap_boot_services() {
    // SAFETY: Early boot: nothing writes `efi.memmap` meanwhile.
    let m = unsafe { &*addr_of!(bindings::efi.memmap) };
    // SAFETY: `m` is `efi.memmap`, early boot.
    let Some(map) = (unsafe { efi_map(m) }) else {
        return;
    };
    for (i, d) in map.iter().enumerate() {
        if d.ty.is_boot_services() {
            // i < nr_map, so the descriptor is inside the map.
            let md = m.map.cast::<u8>().wrapping_add(i * m.desc_size);
            // SAFETY: `md` points to descriptor `i` of the mapped map;
            // efi_unmap_pages() only reads it.
            unsafe { bindings::efi_unmap_pages(md.cast::<bindings::efi_memory_desc_t>()) };
        }
    }

    // Keep all regions for /sys/kernel/debug/efi.
    if efi_enabled(EFI_DBG) {
        return;
    }

    // SAFETY: The unmap stage; the free stage has not run yet, so this is
    // the only reference to the hand-over state.
    let q = unsafe { &mut *QUEUED.0.get() };
    // memblock must be read now: by the time efi_free_boot_services()
    // runs, memblock_discard() may have freed its arrays.
    // SAFETY: Early boot, memblock is alive.
    let rsv = unsafe { efi_snapshot_reserved() };
    let reserved = q.ranges.reserve(map.len().saturating_add(1), GFP_KERNEL);
    let (Some(rsv), Ok(())) = (rsv, reserved) else {
        pr_err!("Failed to allocate storage for freeable EFI regions\n");
        return;
    };

    for d in map.iter() {
        if !d.ty.is_boot_services() {
            continue;
        }
        let Some(r) = d.range() else {
            continue;
        };
        // Nasty quirk: if all sub-1MB memory is used for boot services,
        // we can get here without having allocated the real mode
        // trampoline.  It's too late to hand boot services memory back to
        // the memblock allocator, so instead try to manually allocate the
        // trampoline if needed.  Memory below 1 MiB is never freed, so the
        // trampoline stays reserved with the rest of the region.
        // SAFETY: Early boot; reads the real mode blob's size.
        let rm_size = unsafe { bindings::efi_real_mode_size_needed() } as u64;
        if rm_size != 0
            && r.start.checked_add(rm_size).is_some_and(|e| e < SZ_1M)
            && r.end - r.start >= rm_size
        {
            // SAFETY: The region is reserved and below 1 MiB.
            unsafe { bindings::efi_set_real_mode_mem(r.start) };
        }

        // With CONFIG_DEFERRED_STRUCT_PAGE_INIT parts of the memory map
        // are still not initialised and we can't reliably free memory
        // here: queue the ranges to free at a later point.
        if !efi_record_free_ranges(q, r.start, r.end, &rsv) {
            break;
        }
    }
    q.done = true;
}

/// `efi_md_keep()`: the `efi_memmap_filter()` predicate keeping all but
/// the boot services regions freed entirely.
///
/// # Safety
///
/// `md` must point to a descriptor; `ctx` to the `KVec<Range>` of the
/// freed ranges, as passed by [`efi_free_boot_services`].
#[link_section = ".init.text"]
unsafe extern "C" fn efi_md_keep(md: *const bindings::efi_memory_desc_t, ctx: *mut c_void) -> bool {
    // SAFETY: By the caller's guarantee `ctx` points to the freed ranges.
    let ranges = unsafe { &*ctx.cast_const().cast::<KVec<Range>>() };
    // SAFETY: `md` points to a descriptor (efi_mm_desc mirrors its layout,
    // checked in memmap_rust.rs).  A stride that is not a multiple of 8
    // leaves it unaligned, hence the unaligned read.
    let raw = unsafe { md.cast::<efi_mm_desc>().read_unaligned() };
    !efi_memmap_ranges::freed_whole(&Desc::from_raw(&raw), ranges)
}

/// `efi_free_boot_services()`, the `arch_initcall`: free what
/// [`efi_unmap_boot_services`] recorded, without looking at memblock
/// (which may be gone by now), then drop the boot services regions freed
/// entirely from the memory map in place and free the unused tail of the
/// map's allocation.  Runs before the runtime map is exposed in sysfs
/// (`subsys_initcall_sync`), so that it describes the map as it stays.
///
/// # Safety
///
/// Called once, as an initcall, after [`efi_unmap_boot_services`] (if at
/// all) and once `free_reserved_area()` may be used.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_free_boot_services() -> c_int {
    // SAFETY: The free stage; the unmap stage is over, so this is the only
    // reference to the hand-over state.
    let q = unsafe { &mut *QUEUED.0.get() };
    let mut freed: u64 = 0;
    for r in q.ranges.iter_mut() {
        // SAFETY: The range was reserved by us, below the direct map's end.
        let pages = unsafe {
            bindings::free_reserved_area(
                bindings::phys_to_virt(r.start),
                bindings::phys_to_virt(r.end),
                -1,
                null(),
            )
        } as u64;
        let bytes = pages.saturating_mul(PAGE_SIZE as u64);
        freed = freed.saturating_add(bytes);
        // Not freed entirely: its region must stay in the map.
        if bytes != r.end - r.start {
            r.end = r.start;
        }
    }
    if freed != 0 {
        pr_info!("Freeing EFI boot services memory: {}K\n", freed / 1024);
    }

    // What the kernel keeps of a region must stay described, e.g. for
    // kexec: only regions freed entirely are dropped.  Then the end of the
    // map's allocation is unused.
    if q.done && efi_enabled(EFI_MEMMAP) {
        let ranges: *const KVec<Range> = &q.ranges;
        // SAFETY: `efi.memmap` is mapped; the predicate gets `ranges`,
        // which outlives the call and is not written meanwhile.
        unsafe {
            bindings::efi_memmap_filter(
                addr_of_mut!(bindings::efi.memmap),
                Some(efi_md_keep),
                ranges.cast_mut().cast::<c_void>(),
            )
        };
        // SAFETY: Initcall time: free_reserved_area() works.
        let tail = unsafe { bindings::efi_free_memmap_tail() } as u64;
        if tail != 0 {
            pr_info!("Freeing unused EFI memory map: {}K\n", tail / 1024);
        }
    }

    q.ranges = KVec::new();
    q.done = false;
    0
}
