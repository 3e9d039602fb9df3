// SPDX-License-Identifier: GPL-2.0

//! Pure computations on the EFI memory map: the Rust replacement of
//! `drivers/firmware/efi/memmap_ranges.c`.
//!
//! This file is `core`-only: no `kernel::` items, no allocation, no
//! locking, no logging.  The host builds it unchanged
//! (`tools/testing/bootmem-host` for unit tests, `tools/testing/efi-memmap`
//! for the differential test against the C), the kernel builds it as a
//! module of `memmap_rust.rs`.
//!
//! The typed half:
//! - [`MemoryType`] and [`MemoryAttribute`] are open newtypes over the raw
//!   `u32`/`u64`: firmware sends values no list knows.
//! - [`MemoryMap`] / [`MemoryMapMut`] are views of a map with an arbitrary
//!   stride (`desc_size`, never `size_of`), validated once when made:
//!   `desc_size >= DESC_SIZE_MIN` and `nr * desc_size <= bytes.len()`, with
//!   checked arithmetic.  Iteration relies on that invariant and cannot fail.
//! - [`Desc::range`] refuses descriptors with no pages or an end past 2^64;
//!   [`free_ranges`] refuses a reserved table that is not sorted and
//!   disjoint.  A refusal frees nothing: never free memory we do not own.
//!
//! The C ABI of these functions (`<linux/efi_memmap_ranges.h>`) is in
//! `memmap_ranges_rust.rs`; this file is also included by the x86
//! boot services code (`arch/x86/platform/efi/quirks_rust.rs`), which uses
//! the typed API directly.

// The C structures of <linux/efi_memmap_ranges.h> come from the parent
// module: bindgen's in the kernel (so that the exported functions can be
// checked against the C prototypes), a `#[repr(C)]` mirror on the host.
use super::{efi_mm_desc, efi_mm_range, efi_mm_rsv};

/// `EFI_PAGE_SHIFT`: EFI pages are 4 KiB whatever the kernel's page size.
pub const EFI_PAGE_SHIFT: u32 = 12;

/// `sizeof(efi_memory_desc_t)`: the smallest usable stride.
pub const DESC_SIZE_MIN: usize = 40;

/// An EFI memory type (`efi_memory_desc_t.type`), any `u32`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemoryType(pub u32);

impl MemoryType {
    /// `EFI_RESERVED_TYPE`.
    pub const RESERVED: Self = Self(0);
    /// `EFI_BOOT_SERVICES_CODE`.
    pub const BOOT_SERVICES_CODE: Self = Self(3);
    /// `EFI_BOOT_SERVICES_DATA`.
    pub const BOOT_SERVICES_DATA: Self = Self(4);
    /// `EFI_CONVENTIONAL_MEMORY`.
    pub const CONVENTIONAL: Self = Self(7);

    /// Boot services code or data: memory the kernel may reclaim once
    /// `SetVirtualAddressMap()` has been called.
    pub fn is_boot_services(self) -> bool {
        self == Self::BOOT_SERVICES_CODE || self == Self::BOOT_SERVICES_DATA
    }
}

/// EFI memory attributes (`efi_memory_desc_t.attribute`), any `u64`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct MemoryAttribute(pub u64);

impl MemoryAttribute {
    /// `EFI_MEMORY_RUNTIME`.
    pub const RUNTIME: Self = Self(1 << 63);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A physical address range `[start, end)`: `struct efi_mm_range`.
pub type Range = efi_mm_range;

/// A region of `memblock.reserved`: `struct efi_mm_rsv` (`keep`: never to
/// be freed by the EFI code, `MEMBLOCK_RSRV_KERN` or any other flag).
pub type Rsv = efi_mm_rsv;

/// `enum efi_mm_status` (bindgen maps a C enum to `c_uint`).
pub type Status = u32;
/// `EFI_MM_OK`.
pub const EFI_MM_OK: Status = 0;
/// `EFI_MM_BAD_RSV`: the reserved table is unsorted, overlapping or wraps.
pub const EFI_MM_BAD_RSV: Status = 1;

/// The first [`DESC_SIZE_MIN`] bytes of a descriptor, as an array: the
/// fields at their fixed offsets are then read without bounds checks.
type RawDesc = [u8; DESC_SIZE_MIN];

fn raw_desc(b: &[u8]) -> Option<&RawDesc> {
    b.get(..DESC_SIZE_MIN)?.try_into().ok()
}

// The offsets are constants inside the array: `get` and `try_from` fold
// away, leaving one load.
fn field_u32<const OFF: usize>(d: &RawDesc) -> u32 {
    d.get(OFF..OFF + 4)
        .and_then(|f| <[u8; 4]>::try_from(f).ok())
        .map_or(0, u32::from_ne_bytes)
}

fn field_u64<const OFF: usize>(d: &RawDesc) -> u64 {
    d.get(OFF..OFF + 8)
        .and_then(|f| <[u8; 8]>::try_from(f).ok())
        .map_or(0, u64::from_ne_bytes)
}

/// `efi_mm_desc_range()` of `phys_addr` and `num_pages`: see [`Desc::range`].
fn range_of(phys_addr: u64, num_pages: u64) -> Option<Range> {
    let max_pages = (u64::MAX - phys_addr) >> EFI_PAGE_SHIFT;
    if num_pages == 0 || num_pages > max_pages {
        return None;
    }
    Some(Range {
        start: phys_addr,
        // Cannot wrap: num_pages <= (MAX - phys_addr) >> shift.
        end: phys_addr.wrapping_add(num_pages << EFI_PAGE_SHIFT),
    })
}

/// The range of the descriptor in `d` (only `phys_addr` and `num_pages`
/// are read).
fn raw_range(d: &RawDesc) -> Option<Range> {
    range_of(field_u64::<8>(d), field_u64::<24>(d))
}

/// One descriptor, decoded (`efi_memory_desc_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Desc {
    /// `type`.
    pub ty: MemoryType,
    /// `phys_addr`.
    pub phys_addr: u64,
    /// `virt_addr`.
    pub virt_addr: u64,
    /// `num_pages`, in EFI pages.
    pub num_pages: u64,
    /// `attribute`.
    pub attribute: MemoryAttribute,
}

impl Desc {
    /// Decodes the first [`DESC_SIZE_MIN`] bytes of `b`; `None` if `b` is
    /// shorter.
    pub fn parse(b: &[u8]) -> Option<Self> {
        let d = raw_desc(b)?;
        Some(Desc {
            ty: MemoryType(field_u32::<0>(d)),
            phys_addr: field_u64::<8>(d),
            virt_addr: field_u64::<16>(d),
            num_pages: field_u64::<24>(d),
            attribute: MemoryAttribute(field_u64::<32>(d)),
        })
    }

    /// Decodes a C descriptor.
    pub fn from_raw(d: &efi_mm_desc) -> Self {
        Desc {
            ty: MemoryType(d.type_),
            phys_addr: d.phys_addr,
            virt_addr: d.virt_addr,
            num_pages: d.num_pages,
            attribute: MemoryAttribute(d.attribute),
        }
    }

    /// The physical range the descriptor covers (`efi_mm_desc_range()`):
    /// `None` if it has no pages or its end does not fit in 64 bits (an end
    /// at exactly 2^64 does not fit either).
    pub fn range(&self) -> Option<Range> {
        range_of(self.phys_addr, self.num_pages)
    }
}

/// `efi_md_freed_whole()`: whether `d` is a boot services region that
/// was freed entirely, i.e. one of the `freed` ranges is exactly its range.
/// Only such descriptors are dropped from the map after the free stage:
/// what the kernel keeps of a region (a partly freed one) must stay
/// described, e.g. for kexec.
pub fn freed_whole(d: &Desc, freed: &[Range]) -> bool {
    d.ty.is_boot_services()
        && d.range()
            .is_some_and(|r| freed.iter().any(|x| x.start == r.start && x.end == r.end))
}

/// Why a map view could not be made.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MapError {
    /// `desc_size` is smaller than a descriptor.
    StrideTooSmall,
    /// `nr * desc_size` overflows or exceeds the bytes given.
    TooShort,
}

/// `efi_mm_map_layout()`: the number of whole descriptors in `map_size`
/// bytes, and whether there is no trailing partial one.  A stride smaller
/// than a descriptor gives `(0, false)`.
pub fn map_layout(map_size: usize, desc_size: usize) -> (usize, bool) {
    if desc_size < DESC_SIZE_MIN {
        return (0, false);
    }
    (map_size / desc_size, map_size % desc_size == 0)
}

fn check_layout(len: usize, desc_size: usize, nr: usize) -> Result<(), MapError> {
    if desc_size < DESC_SIZE_MIN {
        return Err(MapError::StrideTooSmall);
    }
    match nr.checked_mul(desc_size) {
        Some(n) if n <= len => Ok(()),
        _ => Err(MapError::TooShort),
    }
}

/// A validated, read-only view of the first `nr` descriptors of a map.
///
/// Invariant: `desc_size >= DESC_SIZE_MIN` and `nr * desc_size <=
/// bytes.len()` (without overflow).
#[derive(Clone, Copy)]
pub struct MemoryMap<'a> {
    bytes: &'a [u8],
    desc_size: usize,
    nr: usize,
}

impl<'a> MemoryMap<'a> {
    /// Makes the view, checking the invariant.
    pub fn new(bytes: &'a [u8], desc_size: usize, nr: usize) -> Result<Self, MapError> {
        check_layout(bytes.len(), desc_size, nr)?;
        Ok(MemoryMap {
            bytes,
            desc_size,
            nr,
        })
    }

    /// The number of descriptors (`nr_map`).
    pub fn len(&self) -> usize {
        self.nr
    }

    /// Whether there are no descriptors.
    pub fn is_empty(&self) -> bool {
        self.nr == 0
    }

    /// Descriptor `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Desc> {
        if i >= self.nr {
            return None;
        }
        let off = i.checked_mul(self.desc_size)?;
        Desc::parse(self.bytes.get(off..off.checked_add(self.desc_size)?)?)
    }

    /// The first `DESC_SIZE_MIN` bytes of each descriptor, in order.
    fn raw(&self) -> impl Iterator<Item = &'a RawDesc> + 'a {
        // A stride walk like the C's, without a length check per step
        // (`chunks_exact()` costs one instruction more per descriptor): the
        // invariant, checked once in `new()`, is what makes it safe.
        // (`max` changes nothing but states the invariant locally.)
        let desc_size = self.desc_size.max(DESC_SIZE_MIN);
        let base = self.bytes.as_ptr();
        // `new()` checked `nr * desc_size <= bytes.len()` (no overflow) and
        // `desc_size >= DESC_SIZE_MIN`; `RawDesc` is a byte array (align 1).
        (0..self.nr).map(move |i| {
            // SAFETY: For `i < nr` (see above), `i * desc_size` cannot wrap
            // and its `DESC_SIZE_MIN` bytes lie inside `bytes` (live for `'a`).
            unsafe { &*base.add(i.wrapping_mul(desc_size)).cast::<RawDesc>() }
        })
    }

    /// The descriptors in order, striding by `desc_size`.
    pub fn iter(&self) -> impl Iterator<Item = Desc> + 'a {
        self.raw().filter_map(|d| Desc::parse(d))
    }

    /// `efi_mm_find_overlap()`: the index of the first other descriptor
    /// whose range intersects that of descriptor `idx`.  Descriptors
    /// without a valid range are ignored; `None` if there is no overlap or
    /// `idx` has no valid range.
    pub fn find_overlap(&self, idx: usize) -> Option<usize> {
        let r = self.get(idx)?.range()?;
        // `zip(0..nr)` rather than `enumerate()`: no overflow check per step.
        for (i, d) in (0..self.nr).zip(self.raw()) {
            if let Some(r2) = raw_range(d) {
                if i != idx && r2.start < r.end && r.start < r2.end {
                    return Some(i);
                }
            }
        }
        None
    }

    /// `efi_mm_sorted()`: whether the valid descriptors are in ascending,
    /// non-overlapping order.
    pub fn sorted(&self) -> bool {
        let mut prev_end = 0;
        for r in self.raw().filter_map(raw_range) {
            if r.start < prev_end {
                return false;
            }
            prev_end = r.end;
        }
        true
    }
}

/// A validated, writable view of the first `nr` descriptors of a map.
///
/// Same invariant as [`MemoryMap`].
pub struct MemoryMapMut<'a> {
    bytes: &'a mut [u8],
    desc_size: usize,
    nr: usize,
}

impl<'a> MemoryMapMut<'a> {
    /// Makes the view, checking the invariant.
    pub fn new(bytes: &'a mut [u8], desc_size: usize, nr: usize) -> Result<Self, MapError> {
        check_layout(bytes.len(), desc_size, nr)?;
        Ok(MemoryMapMut {
            bytes,
            desc_size,
            nr,
        })
    }

    /// `efi_mm_compact()`: keeps the descriptors for which `keep` returns
    /// true, moved to the front in their original order, whole strides
    /// (extra bytes included).  `keep` sees each descriptor's `desc_size`
    /// bytes exactly once, at its original position, in ascending order.
    /// The bytes after the last kept descriptor are left as they were.
    /// Returns the number kept.
    pub fn compact(&mut self, mut keep: impl FnMut(&[u8]) -> bool) -> usize {
        let ds = self.desc_size;
        let mut out: usize = 0;
        for i in 0..self.nr {
            // In bounds by the invariant; `None` cannot happen.
            let (Some(src), Some(dst)) = (i.checked_mul(ds), out.checked_mul(ds)) else {
                break;
            };
            let Some(desc) = self.bytes.get(src..src.saturating_add(ds)) else {
                break;
            };
            if !keep(desc) {
                continue;
            }
            if dst != src && !move_stride(self.bytes, src, dst, ds) {
                break;
            }
            out += 1;
        }
        self.nr = out;
        out
    }

    /// The number of descriptors.
    pub fn len(&self) -> usize {
        self.nr
    }

    /// Whether there are no descriptors.
    pub fn is_empty(&self) -> bool {
        self.nr == 0
    }
}

/// Copies `len` bytes from `from` down to `to` (`to + len <= from`);
/// false, copying nothing, if that does not hold or `from + len` is out of
/// bounds.
fn move_stride(bytes: &mut [u8], from: usize, to: usize, len: usize) -> bool {
    let in_bounds = from.checked_add(len).is_some_and(|e| e <= bytes.len())
        && to.checked_add(len).is_some_and(|e| e <= from);
    if in_bounds {
        // Cannot panic: both ranges were just checked.
        bytes.copy_within(from..from + len, to);
    }
    in_bounds
}

/// Appends `[s, e)` rounded inward to pages to `out` (counting it even if
/// `out` is full); empty results are dropped.
fn emit(s: u64, e: u64, page_size: u64, out: &mut [Range], n: &mut usize) {
    // A power of two (checked by the caller): no wrap.
    let mask = page_size.wrapping_sub(1);
    let Some(up) = s.checked_add(mask) else {
        return;
    };
    let a = up & !mask;
    let b = e & !mask;
    if a >= b {
        return;
    }
    if let Some(slot) = out.get_mut(*n) {
        *slot = Range { start: a, end: b };
    }
    *n = n.saturating_add(1);
}

/// Why [`free_ranges`] refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BadRsv;

/// `efi_mm_free_ranges()`: the parts of the boot services region
/// `[start, end)` that may be freed.
///
/// A byte may be freed if it is at or above `floor` and lies in a region of
/// `rsv` not marked `keep`: memory that is not reserved at all is not ours.
/// Adjacent freeable regions are joined, then each range is rounded inward
/// to whole pages of `page_size` (a power of two); empty ranges are dropped.
/// The ranges are stored sorted and disjoint in `out`; the count returned
/// may exceed `out.len()`, in which case only the first `out.len()` are
/// stored and the caller retries with more room.
///
/// Fails, storing nothing, if `page_size` is not a power of two or `rsv`
/// is not sorted and disjoint or an entry's end does not fit in 64 bits.
pub fn free_ranges(
    start: u64,
    end: u64,
    rsv: &[Rsv],
    floor: u64,
    page_size: u64,
    out: &mut [Range],
) -> Result<usize, BadRsv> {
    if !page_size.is_power_of_two() {
        return Err(BadRsv);
    }
    // Validate the whole table first: a bad one frees nothing.
    // (No base is below the initial 0: the first entry is never "unsorted".)
    // One pass without early exits (which entry is bad does not matter).
    let (mut bad, mut prev_end) = (false, 0);
    for r in rsv {
        let (re, wraps) = r.base.overflowing_add(r.size);
        bad |= wraps || r.base < prev_end;
        prev_end = re;
    }
    if bad {
        return Err(BadRsv);
    }

    let start = start.max(floor);
    if start >= end {
        return Ok(0);
    }
    let mut n = 0;
    // The range being joined, `[cur_s, cur_e)`, if `have`.
    let (mut have, mut cur_s, mut cur_e) = (false, 0, 0);
    for r in rsv {
        // Validated above: cannot wrap.
        let re = r.base.wrapping_add(r.size);
        if re <= start || r.size == 0 {
            continue;
        }
        if r.base >= end {
            break;
        }
        if r.keep {
            continue;
        }
        let rs = r.base.max(start);
        let re = re.min(end);
        if have && rs == cur_e {
            cur_e = re;
            continue;
        }
        if have {
            emit(cur_s, cur_e, page_size, out, &mut n);
        }
        (have, cur_s, cur_e) = (true, rs, re);
    }
    if have {
        emit(cur_s, cur_e, page_size, out, &mut n);
    }
    Ok(n)
}

/// `efi_mm_tail_pages()`: the whole pages inside `[map_phys + used,
/// map_phys + alloc)`, as `(first, count)`; `None` if there are none or
/// the arguments are inconsistent (`used > alloc`, an end that wraps, a
/// page size that is not a power of two).
pub fn tail_pages(map_phys: u64, used: u64, alloc: u64, page_size: u64) -> Option<(u64, u64)> {
    if !page_size.is_power_of_two() || used > alloc {
        return None;
    }
    let mask = page_size - 1;
    let a = map_phys.checked_add(used)?.checked_add(mask)? & !mask;
    let b = map_phys.checked_add(alloc)? & !mask;
    if a >= b {
        return None;
    }
    Some((a, (b - a) / page_size))
}
