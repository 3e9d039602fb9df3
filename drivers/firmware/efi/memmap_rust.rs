// SPDX-License-Identifier: GPL-2.0

//! The EFI memory map: the Rust replacement of `drivers/firmware/efi/memmap.c`
//! and `memmap_ranges.c` (`CONFIG_EFI_MEMMAP_RUST`).
//!
//! What the seed design ("efi/x86: Avoid the need to mangle the EFI memory
//! map") changed relative to stock 6.12, and this file keeps:
//! - The map is never split, reallocated or reinstalled: it stays in the
//!   allocation the boot loader handed over, for the life of the kernel.
//!   `efi_memmap_alloc()`, `efi_memmap_install()`, the split/insert helpers
//!   and the `EFI_MEMMAP_MEMBLOCK`/`EFI_MEMMAP_SLAB` flags are gone.
//! - `nr_map` bounds every walk (there is no `map_end`); entries are dropped
//!   in place by [`efi_memmap_filter`], which lowers `nr_map`, and
//!   `map_size` stays the size of the mapping and of the allocation.
//! - [`efi_memmap_remap_late`] switches the same allocation from the early
//!   mapping to `memremap()`, keeping `nr_map`.
//!
//! The arithmetic is in [`efi_memmap_ranges`] (`core`-only, built on the
//! host too); [`memmap_ranges_rust`] (also `core`-only) exports it as
//! the helpers of `<linux/efi_memmap_ranges.h>` that C code calls.  This
//! file is the glue: it maps and unmaps, keeps `efi.memmap` and `efi.flags`, and
//! reports bad input as the C does.  Unlike the C, [`efi_memmap_filter`]
//! refuses a map whose `nr_map` descriptors do not fit in `map_size`
//! (the C would walk past the mapping); nothing else differs.

use core::ptr::{addr_of, addr_of_mut, null_mut};
use kernel::bindings;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;

pub mod efi_memmap_ranges;
pub mod memmap_ranges_rust;

// The C structures the pure module works on (see its header comment).
use bindings::{efi_mm_desc, efi_mm_range, efi_mm_rsv};

use efi_memmap_ranges::{map_layout, MemoryMapMut, DESC_SIZE_MIN};

const __LOG_PREFIX: &[u8] = b"efi\0";

// Every exported function has exactly the C prototype of <linux/efi.h> or
// <linux/efi_memmap_ranges.h>: each array only type-checks if both of its
// elements have the element type.
const _: [unsafe extern "C" fn(*mut bindings::efi_memory_map_data) -> c_int; 4] = [
    bindings::__efi_memmap_init,
    __efi_memmap_init,
    bindings::efi_memmap_init_early,
    efi_memmap_init_early,
];
const _: [unsafe extern "C" fn(); 2] = [bindings::efi_memmap_unmap, efi_memmap_unmap];
const _: [unsafe extern "C" fn(bindings::phys_addr_t, c_ulong) -> c_int; 2] =
    [bindings::efi_memmap_init_late, efi_memmap_init_late];
const _: [unsafe extern "C" fn() -> c_int; 2] =
    [bindings::efi_memmap_remap_late, efi_memmap_remap_late];
const _: [unsafe extern "C" fn(
    *mut bindings::efi_memory_map,
    bindings::efi_memmap_filter_t,
    *mut c_void,
) -> c_int; 2] = [bindings::efi_memmap_filter, efi_memmap_filter];
const _: [unsafe extern "C" fn(usize, usize, *mut usize) -> bool; 2] = [
    bindings::efi_mm_map_layout,
    memmap_ranges_rust::efi_mm_map_layout,
];
const _: [unsafe extern "C" fn(*const efi_mm_desc, *mut u64, *mut u64) -> bool; 2] = [
    bindings::efi_mm_desc_range,
    memmap_ranges_rust::efi_mm_desc_range,
];
const _: [unsafe extern "C" fn(*const c_void, usize, usize, usize) -> isize; 2] = [
    bindings::efi_mm_find_overlap,
    memmap_ranges_rust::efi_mm_find_overlap,
];
const _: [unsafe extern "C" fn(*const c_void, usize, usize) -> bool; 2] =
    [bindings::efi_mm_sorted, memmap_ranges_rust::efi_mm_sorted];
const _: [unsafe extern "C" fn(
    *mut c_void,
    usize,
    usize,
    memmap_ranges_rust::KeepFn,
    *mut c_void,
) -> usize; 2] = [bindings::efi_mm_compact, memmap_ranges_rust::efi_mm_compact];
const _: [unsafe extern "C" fn(
    u64,
    u64,
    *const efi_mm_rsv,
    usize,
    u64,
    u64,
    *mut efi_mm_range,
    usize,
    *mut usize,
) -> bindings::efi_mm_status; 2] = [
    bindings::efi_mm_free_ranges,
    memmap_ranges_rust::efi_mm_free_ranges,
];
const _: [unsafe extern "C" fn(*const efi_mm_range, usize, u64, u64) -> bool; 2] = [
    bindings::efi_mm_range_listed,
    memmap_ranges_rust::efi_mm_range_listed,
];
const _: [unsafe extern "C" fn(u64, u64, u64, u64, *mut u64) -> u64; 2] = [
    bindings::efi_mm_tail_pages,
    memmap_ranges_rust::efi_mm_tail_pages,
];

// The descriptor layout the pure module decodes (`memmap.c` has the same
// BUILD_BUG_ON()s).
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<bindings::efi_memory_desc_t>() == DESC_SIZE_MIN);
    assert!(size_of::<efi_mm_desc>() == DESC_SIZE_MIN);
    assert!(
        offset_of!(bindings::efi_memory_desc_t, phys_addr) == offset_of!(efi_mm_desc, phys_addr)
    );
    assert!(
        offset_of!(bindings::efi_memory_desc_t, virt_addr) == offset_of!(efi_mm_desc, virt_addr)
    );
    assert!(
        offset_of!(bindings::efi_memory_desc_t, num_pages) == offset_of!(efi_mm_desc, num_pages)
    );
    assert!(
        offset_of!(bindings::efi_memory_desc_t, attribute) == offset_of!(efi_mm_desc, attribute)
    );
    assert!(offset_of!(efi_mm_desc, virt_addr) == 16);
    assert!(offset_of!(efi_mm_desc, num_pages) == 24);
    assert!(offset_of!(efi_mm_desc, attribute) == 32);
};

const EFI_MEMMAP_LATE: c_ulong = bindings::EFI_MEMMAP_LATE as c_ulong;
const EFI_MEMMAP: c_int = bindings::EFI_MEMMAP as c_int;

/// `&efi.memmap`, as a raw pointer: the functions below read and write it
/// through short-lived place expressions, never through a long-lived
/// reference to the C global.
fn efi_memmap() -> *mut bindings::efi_memory_map {
    // SAFETY: Only the address of the static C object is taken.
    unsafe { addr_of_mut!(bindings::efi.memmap) }
}

/// `WARN_ON(cond)`, through C: the same taint, backtrace and
/// `panic_on_warn` as the C.
fn warn_on(cond: bool) -> bool {
    // SAFETY: No preconditions.
    unsafe { bindings::bootmem_rs_warn_on(cond) }
}

/// `__efi_memmap_init()`: map the EFI memory map described by `data`
/// (`early_memremap()` unless `EFI_MEMMAP_LATE` is set) and install it in
/// `efi.memmap`, with `nr_map` the number of whole descriptors.
///
/// A stride smaller than a descriptor or more than `INT_MAX` descriptors
/// refuse the map; trailing bytes that make no whole descriptor are
/// ignored.  Returns 0, `-EINVAL` or `-ENOMEM`.
///
/// # Safety
///
/// `data` must be valid for reads; called during early boot only.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn __efi_memmap_init(data: *mut bindings::efi_memory_map_data) -> c_int {
    // SAFETY: By the caller's guarantee.
    let data = unsafe { &*data };
    let (nr, whole) = map_layout(data.size, data.desc_size);
    if !whole {
        if nr == 0 {
            pr_warn!(
                "[Firmware Bug]: EFI memory map descriptor size {} is smaller than {}, ignoring the map\n",
                data.desc_size,
                DESC_SIZE_MIN
            );
            return -(bindings::EINVAL as c_int);
        }
        pr_warn!(
            "[Firmware Bug]: EFI memory map size {} is not a multiple of the descriptor size {}, ignoring the trailing bytes\n",
            data.size,
            data.desc_size
        );
    }
    let Ok(nr_map) = c_int::try_from(nr) else {
        pr_warn!("[Firmware Bug]: EFI memory map has too many entries, ignoring the map\n");
        return -(bindings::EINVAL as c_int);
    };

    let map = if data.flags & EFI_MEMMAP_LATE != 0 {
        // SAFETY: Maps firmware memory; a NULL result is handled below.
        unsafe { bindings::memremap(data.phys_map, data.size, bindings::MEMREMAP_WB as c_ulong) }
    } else {
        // SAFETY: As above, through the early fixmap.
        unsafe { bindings::early_memremap(data.phys_map, data.size) }
    };
    if map.is_null() {
        pr_err!("Could not map the memory map!\n");
        return -(bindings::ENOMEM as c_int);
    }

    // SAFETY: Sets a bit of `efi.flags` atomically.
    unsafe { bindings::efi_set_flag(EFI_MEMMAP) };
    // SAFETY: Early boot, by the caller's guarantee: nobody else uses
    // `efi.memmap` meanwhile.
    unsafe {
        *efi_memmap() = bindings::efi_memory_map {
            phys_map: data.phys_map,
            map,
            map_size: data.size,
            nr_map,
            desc_version: data.desc_version,
            desc_size: data.desc_size,
            flags: data.flags,
        }
    };
    0
}

/// `efi_memmap_init_early()`: map the EFI memory map with
/// `early_memremap()`.
///
/// # Safety
///
/// As for [`__efi_memmap_init`]; `data` must be valid for writes too.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_memmap_init_early(data: *mut bindings::efi_memory_map_data) -> c_int {
    // Cannot go backwards.
    // SAFETY: Early boot: nobody writes `efi.memmap` meanwhile.
    warn_on(unsafe { (*efi_memmap()).flags } & EFI_MEMMAP_LATE != 0);

    // SAFETY: By the caller's guarantee.
    unsafe { (*data).flags = 0 };
    // SAFETY: By the caller's guarantee.
    unsafe { __efi_memmap_init(data) }
}

/// `efi_memmap_unmap()`: unmap `efi.memmap` (either mapping) and clear
/// `EFI_MEMMAP`.
///
/// # Safety
///
/// Early boot only; no pointer into the map may be used afterwards.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_memmap_unmap() {
    // SAFETY: Reads a bit of `efi.flags`.
    if !unsafe { bindings::efi_enabled(EFI_MEMMAP) } {
        return;
    }
    let m = efi_memmap();
    // SAFETY: Early boot, by the caller's guarantee: nobody else uses
    // `efi.memmap` meanwhile.
    let (map, map_size, flags) = unsafe { ((*m).map, (*m).map_size, (*m).flags) };
    if flags & EFI_MEMMAP_LATE == 0 {
        // The size mapped: dropping entries since does not change it.
        // SAFETY: `map` was mapped by early_memremap() with this size.
        unsafe { bindings::early_memunmap(map, map_size) };
    } else {
        // SAFETY: `map` was mapped by memremap().
        unsafe { bindings::memunmap(map) };
    }
    // SAFETY: As above.
    unsafe { (*m).map = null_mut() };
    // SAFETY: Clears a bit of `efi.flags` atomically.
    unsafe { bindings::efi_clear_flag(EFI_MEMMAP) };
}

/// `efi_memmap_filter()`: drop descriptors from `map` in place.
///
/// `keep` is called once for each of the first `nr_map` descriptors, in
/// order; kept ones move to the front in their original order and
/// `nr_map` becomes their number.  Nothing is reallocated or remapped.
/// Returns the number of descriptors dropped.
///
/// A map whose `nr_map` descriptors would not fit in `map_size` (or with a
/// stride smaller than a descriptor) is left alone with a warning, as is
/// a NULL `keep`.  `keep` must not reach the map other than through the
/// descriptor it is given.
///
/// # Safety
///
/// `map` must point to a valid `struct efi_memory_map` whose `map` (if not
/// NULL) is mapped for `map_size` bytes, with no other user meanwhile;
/// `keep` must be safe to call with `ctx` and a descriptor of the map.
#[no_mangle]
pub unsafe extern "C" fn efi_memmap_filter(
    map: *mut bindings::efi_memory_map,
    keep: bindings::efi_memmap_filter_t,
    ctx: *mut c_void,
) -> c_int {
    // Copy the fields out: no reference to `*map` (often `efi.memmap`)
    // stays alive while `keep` runs.
    // SAFETY: By the caller's guarantee `map` is valid.
    let (base, nr_map, desc_size, map_size) =
        unsafe { ((*map).map, (*map).nr_map, (*map).desc_size, (*map).map_size) };
    let Ok(nr) = usize::try_from(nr_map) else {
        return 0;
    };
    if base.is_null() || nr == 0 {
        return 0;
    }
    let Some(keep) = keep else {
        pr_warn!("efi_memmap_filter() without a predicate, keeping the map\n");
        return 0;
    };
    if desc_size < DESC_SIZE_MIN {
        pr_warn!(
            "EFI memory map descriptor size {} is smaller than {}, not filtering it\n",
            desc_size,
            DESC_SIZE_MIN
        );
        return 0;
    }
    let fits = nr.checked_mul(desc_size).is_some_and(|len| len <= map_size);
    if !fits || isize::try_from(map_size).is_err() {
        pr_warn!(
            "EFI memory map with {} entries of {} bytes does not fit in {} bytes, not filtering it\n",
            nr,
            desc_size,
            map_size
        );
        return 0;
    }
    // SAFETY: `map` is mapped for `map_size` bytes, by the caller's
    // guarantee, and nobody else uses it meanwhile (`keep` only reads the
    // descriptor it is given, through a pointer derived from this slice).
    let bytes = unsafe { core::slice::from_raw_parts_mut(base.cast::<u8>(), map_size) };
    let Ok(mut view) = MemoryMapMut::new(bytes, desc_size, nr) else {
        return 0;
    };
    let kept = view.compact(|d| {
        // SAFETY: `d` is a descriptor of the map, which `keep` may read.
        unsafe { keep(d.as_ptr().cast::<bindings::efi_memory_desc_t>(), ctx) }
    });
    // kept <= nr, which fits in c_int.
    let kept = c_int::try_from(kept).unwrap_or(nr_map);
    // SAFETY: By the caller's guarantee `map` is valid.
    unsafe { (*map).nr_map = kept };
    nr_map - kept
}

/// `efi_memmap_init_late()`: map the EFI memory map at `addr` of `size`
/// bytes with `memremap()`, keeping the early map's descriptor size and
/// version.
///
/// # Safety
///
/// Early boot only, after [`efi_memmap_unmap`].
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_memmap_init_late(addr: bindings::phys_addr_t, size: c_ulong) -> c_int {
    // SAFETY: Early boot, by the caller's guarantee.
    let m = unsafe { &*addr_of!(bindings::efi.memmap) };
    // Did we forget to unmap the early EFI memmap?
    warn_on(!m.map.is_null());
    // Were we already called?
    warn_on(m.flags & EFI_MEMMAP_LATE != 0);

    let mut data = bindings::efi_memory_map_data {
        phys_map: addr,
        size,
        desc_version: m.desc_version,
        desc_size: m.desc_size,
        flags: EFI_MEMMAP_LATE,
    };
    // SAFETY: `data` is valid; early boot.
    unsafe { __efi_memmap_init(&mut data) }
}

/// `efi_memmap_remap_late()`: switch `efi.memmap` to a `memremap()`
/// mapping of the same allocation, keeping `nr_map` (entries may have been
/// dropped since the map was installed).
///
/// # Safety
///
/// Early boot only; no pointer into the early mapping may be used
/// afterwards.
#[no_mangle]
#[link_section = ".init.text"]
pub unsafe extern "C" fn efi_memmap_remap_late() -> c_int {
    let (mut data, nr_map) = {
        // SAFETY: Early boot, by the caller's guarantee.
        let m = unsafe { &*addr_of!(bindings::efi.memmap) };
        // Were we already called?
        warn_on(m.flags & EFI_MEMMAP_LATE != 0);
        (
            bindings::efi_memory_map_data {
                phys_map: m.phys_map,
                size: m.map_size,
                desc_version: m.desc_version,
                desc_size: m.desc_size,
                flags: EFI_MEMMAP_LATE,
            },
            m.nr_map,
        )
    };

    // SAFETY: Early boot, by the caller's guarantee.
    unsafe { efi_memmap_unmap() };
    // SAFETY: `data` is valid; early boot.
    let ret = unsafe { __efi_memmap_init(&mut data) };
    if ret == 0 {
        // SAFETY: Early boot: nobody else uses `efi.memmap` meanwhile.
        unsafe { (*efi_memmap()).nr_map = nr_map };
    }
    ret
}
