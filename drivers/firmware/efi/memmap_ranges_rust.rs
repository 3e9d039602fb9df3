// SPDX-License-Identifier: GPL-2.0

//! The C ABI of `<linux/efi_memmap_ranges.h>`, implemented by
//! `efi_memmap_ranges.rs`: the Rust replacement of the functions of
//! `drivers/firmware/efi/memmap_ranges.c`, which the C (KUnit, `efi.c`)
//! keeps calling.
//!
//! `core`-only, like the logic it wraps: the host links this very file into
//! the C test programs of `tools/testing/efi-memmap` (oracles and the
//! differential test against the C).  Each function only turns raw
//! pointers into the validated views of `efi_memmap_ranges.rs` and calls
//! them; the prototypes are checked against bindgen's in `memmap_rust.rs`.
//! Where the C would read out of bounds (a stride smaller than a
//! descriptor, a map whose size overflows `usize`, a NULL predicate or
//! pointer), these do nothing instead; no caller passes such input.

use core::ffi::c_void;

use super::efi_memmap_ranges::{
    free_ranges, map_layout, tail_pages, BadRsv, Desc, MemoryMap, MemoryMapMut, Range, Rsv, Status,
    DESC_SIZE_MIN, EFI_MM_BAD_RSV, EFI_MM_OK,
};
use super::efi_mm_desc;

/// Makes a read-only view of a C map.
///
/// # Safety
///
/// If `desc_size >= DESC_SIZE_MIN` and `nr * desc_size` does not overflow,
/// `map` must be valid for reads of `nr * desc_size` bytes for `'a`, with no
/// writer meanwhile.
unsafe fn c_map<'a>(map: *const c_void, nr: usize, desc_size: usize) -> Option<MemoryMap<'a>> {
    let len = nr.checked_mul(desc_size)?;
    // A slice may not be larger than isize::MAX bytes.
    if desc_size < DESC_SIZE_MIN || map.is_null() || isize::try_from(len).is_err() {
        return None;
    }
    // SAFETY: By the caller's guarantee for this stride and length.
    let bytes = unsafe { core::slice::from_raw_parts(map.cast::<u8>(), len) };
    MemoryMap::new(bytes, desc_size, nr).ok()
}

/// `bool efi_mm_map_layout(size_t map_size, size_t desc_size, size_t *nr)`.
///
/// # Safety
///
/// `nr` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn efi_mm_map_layout(
    map_size: usize,
    desc_size: usize,
    nr: *mut usize,
) -> bool {
    let (n, whole) = map_layout(map_size, desc_size);
    // SAFETY: By the caller's guarantee.
    unsafe { nr.write(n) };
    whole
}

/// `bool efi_mm_desc_range(const struct efi_mm_desc *d, u64 *start, u64 *end)`.
///
/// # Safety
///
/// `d` must point to a readable descriptor;
/// `start` and `end` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn efi_mm_desc_range(
    d: *const efi_mm_desc,
    start: *mut u64,
    end: *mut u64,
) -> bool {
    // SAFETY: By the caller's guarantee `d` points to a descriptor; in a
    // map whose stride is not a multiple of 8 it is unaligned.
    let raw = unsafe { d.read_unaligned() };
    match Desc::from_raw(&raw).range() {
        Some(r) => {
            // SAFETY: By the caller's guarantee.
            unsafe {
                start.write(r.start);
                end.write(r.end);
            }
            true
        }
        None => false,
    }
}

/// `long efi_mm_find_overlap(const void *map, size_t nr, size_t desc_size,
/// size_t idx)`.
///
/// # Safety
///
/// `map` must hold `nr` descriptors of stride `desc_size` (as for
/// `c_map()`).
#[no_mangle]
pub unsafe extern "C" fn efi_mm_find_overlap(
    map: *const c_void,
    nr: usize,
    desc_size: usize,
    idx: usize,
) -> isize {
    // SAFETY: By the caller's guarantee.
    let found = unsafe { c_map(map, nr, desc_size) }.and_then(|m| m.find_overlap(idx));
    // `long` is `isize` in the kernel's bindings.
    match found.map(isize::try_from) {
        Some(Ok(i)) => i,
        _ => -1,
    }
}

/// `bool efi_mm_sorted(const void *map, size_t nr, size_t desc_size)`; a map
/// that cannot be viewed counts as sorted (nothing relies on the answer but
/// a warning).
///
/// # Safety
///
/// As for [`efi_mm_find_overlap`].
#[no_mangle]
pub unsafe extern "C" fn efi_mm_sorted(map: *const c_void, nr: usize, desc_size: usize) -> bool {
    // SAFETY: By the caller's guarantee.
    unsafe { c_map(map, nr, desc_size) }.map_or(true, |m| m.sorted())
}

/// The C predicate of [`efi_mm_compact`].
pub type KeepFn = Option<unsafe extern "C" fn(desc: *const c_void, ctx: *mut c_void) -> bool>;

/// `size_t efi_mm_compact(void *map, size_t nr, size_t desc_size,
/// bool (*keep)(const void *desc, void *ctx), void *ctx)`.  With no
/// predicate or a map that cannot be viewed, everything is kept.
///
/// # Safety
///
/// `map` must hold `nr` writable descriptors of stride `desc_size`, with no
/// other access meanwhile but `keep`'s reads of the descriptor it is
/// given; `keep` must be safe to call with `ctx` and such a descriptor.
#[no_mangle]
pub unsafe extern "C" fn efi_mm_compact(
    map: *mut c_void,
    nr: usize,
    desc_size: usize,
    keep: KeepFn,
    ctx: *mut c_void,
) -> usize {
    let (Some(keep), Some(len)) = (keep, nr.checked_mul(desc_size)) else {
        return nr;
    };
    // A slice may not be larger than isize::MAX bytes.
    if map.is_null() || isize::try_from(len).is_err() {
        return nr;
    }
    // SAFETY: By the caller's guarantee, for this length.
    let bytes = unsafe { core::slice::from_raw_parts_mut(map.cast::<u8>(), len) };
    let Ok(mut view) = MemoryMapMut::new(bytes, desc_size, nr) else {
        return nr;
    };
    view.compact(|d| {
        // SAFETY: `d` is a descriptor of the map; by the caller's guarantee
        // `keep` may read it and use `ctx`.
        unsafe { keep(d.as_ptr().cast(), ctx) }
    })
}

/// `enum efi_mm_status efi_mm_free_ranges(u64 start, u64 end, const struct
/// efi_mm_rsv *rsv, size_t nr_rsv, u64 floor, u64 page_size, struct
/// efi_mm_range *out, size_t max_out, size_t *nr_out)`.
///
/// # Safety
///
/// `rsv` must hold `nr_rsv` entries, `out` room for `max_out` (either may be
/// dangling if its count is 0), `nr_out` must be valid for a write, and
/// `rsv` and `out` must not overlap.
#[no_mangle]
pub unsafe extern "C" fn efi_mm_free_ranges(
    start: u64,
    end: u64,
    rsv: *const Rsv,
    nr_rsv: usize,
    floor: u64,
    page_size: u64,
    out: *mut Range,
    max_out: usize,
    nr_out: *mut usize,
) -> Status {
    let rsv: &[Rsv] = if nr_rsv == 0 || rsv.is_null() {
        &[]
    } else {
        // SAFETY: By the caller's guarantee.
        unsafe { core::slice::from_raw_parts(rsv, nr_rsv) }
    };
    let out: &mut [Range] = if max_out == 0 || out.is_null() {
        &mut []
    } else {
        // SAFETY: By the caller's guarantee; disjoint from `rsv`.
        unsafe { core::slice::from_raw_parts_mut(out, max_out) }
    };
    let (status, n) = match free_ranges(start, end, rsv, floor, page_size, out) {
        Ok(n) => (EFI_MM_OK, n),
        Err(BadRsv) => (EFI_MM_BAD_RSV, 0),
    };
    // SAFETY: By the caller's guarantee.
    unsafe { nr_out.write(n) };
    status
}

/// `bool efi_mm_range_listed(const struct efi_mm_range *r, size_t n, u64
/// start, u64 end)`.
///
/// # Safety
///
/// `r` must hold `n` entries (or be dangling if `n` is 0).
#[no_mangle]
pub unsafe extern "C" fn efi_mm_range_listed(
    r: *const Range,
    n: usize,
    start: u64,
    end: u64,
) -> bool {
    if n == 0 || r.is_null() {
        return false;
    }
    // SAFETY: By the caller's guarantee.
    let r = unsafe { core::slice::from_raw_parts(r, n) };
    r.iter().any(|x| x.start == start && x.end == end)
}

/// `u64 efi_mm_tail_pages(u64 map_phys, u64 used, u64 alloc, u64
/// page_size, u64 *first)`.
///
/// # Safety
///
/// `first` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn efi_mm_tail_pages(
    map_phys: u64,
    used: u64,
    alloc: u64,
    page_size: u64,
    first: *mut u64,
) -> u64 {
    let (a, n) = tail_pages(map_phys, used, alloc, page_size).unwrap_or((0, 0));
    // SAFETY: By the caller's guarantee.
    unsafe { first.write(a) };
    n
}
