// SPDX-License-Identifier: GPL-2.0

//! Pure bitmap logic of `drivers/firmware/efi/unaccepted_memory.c`.
//!
//! The EFI unaccepted memory table (`struct efi_unaccepted_memory`) describes
//! `size * BITS_PER_BYTE` units of `unit_size` bytes starting at `phys_base`;
//! bit `i` of its bitmap set means unit `[phys_base + i * unit_size, +unit_size)`
//! is still unaccepted.  Everything outside the bitmap counts as accepted.
//!
//! This module holds everything of `accept_memory()`,
//! `range_contains_unaccepted_memory()` and the kdump `pfn_is_ram` callback
//! that is not locking, list handling or `arch_accept_memory()`: header
//! validation, the clamp of a request to the bitmap (with the guard unit),
//! the `for_each_set_bitrange_from()` walk, `bitmap_clear()`, the query and
//! the overlap test of the `accepting_list`.  It uses `core` only, never
//! allocates, never panics and never indexes out of bounds, whatever the
//! input.
//!
//! # Use from the kernel glue
//!
//! ```text
//! accept_memory(start, size):
//!     table = efi_get_unaccepted_table()?          // NULL: return
//!     t = UnacceptedTable::new(table->unit_size, table->phys_base,
//!                              table->size, PAGE_SIZE)
//!         else { pr_err_once(...); return }        // bad table: absent
//!     range = t.accept_memory_range(start, size)?  // None: return (no lock)
//!   retry:
//!     spin_lock_irqsave()
//!     for entry in accepting_list:
//!         if range.overlaps(entry): spin_unlock_irqrestore(); goto retry
//!     list_add(range)
//!     bitmap = slice(table->bitmap, t.bitmap_words())
//!     from = range.start
//!     while let Some(run) = t.next_set_bitrange(bitmap, from, &range):
//!         spin_unlock()                            // irqs stay off
//!         arch_accept_memory(run.phys_start, run.phys_end)
//!         spin_lock()
//!         t.bitmap_clear(bitmap, &run)
//!         from = run.next_from()
//!     list_del(range); touch_softlockup_watchdog(); spin_unlock_irqrestore()
//!
//! range_contains_unaccepted_memory(start, size):
//!     table = efi_get_unaccepted_table()?          // NULL: false
//!     t = UnacceptedTable::new(...) else { pr_err_once(...); false }
//!     spin_lock_irqsave()
//!     ret = t.range_contains_unaccepted_memory(bitmap, start, size)
//!     spin_unlock_irqrestore(); ret
//!
//! unaccepted_memory_vmcore_pfn_is_ram(cb, pfn):
//!     !t.pfn_is_unaccepted_memory(bitmap, pfn, PAGE_SHIFT) (same lock dance)
//! ```
//!
//! Validation is a handful of compares, so the glue may run it on every
//! call (the table is immutable) and report an error with `pr_err_once()`.
//!
//! # Bad tables
//!
//! [`UnacceptedTable::new`] takes every version-1 header the C can use:
//! any `unit_size` that is a whole number of pages (a power of two or not)
//! and any page-aligned `phys_base` (unit aligned or not), with the C's
//! division arithmetic.  It rejects only what the C cannot survive: a zero
//! `unit_size` (the C divides by it), units that share pages (`unit_size`
//! below a page or not a multiple of it, `phys_base` not page aligned:
//! accepting two units one at a time accepts the shared page twice, which
//! TDX treats as fatal and which, on SEV-SNP, is what a malicious
//! hypervisor needs to replay a page), and a bitmap end
//! `phys_base + size * unit_size * BITS_PER_BYTE` that overflows `u64` (the
//! C's clamp then wraps, and so do the addresses it passes to
//! `arch_accept_memory()`: `[2^64 - 4 MiB, 0)` for a 1-byte bitmap 4 MiB
//! below the top).  [`TableError`] names the field.  The glue fails loudly
//! at the first use of such a table: a guest that cannot accept its memory
//! safely would otherwise die, without a word, at its first touch of
//! unaccepted memory.  Nothing here can check that `size` matches the
//! memory really reserved for the bitmap: `efi.c` reserves what the header
//! claims.
//!
//! # Differences from the C
//!
//! The clamp and the unit ranges handed to `arch_accept_memory()` are those
//! of the C, including its quirks: a request of size 0 still accepts the unit
//! holding `start` (while the query for it answers `false`), a request
//! whose `start + size` wraps around is taken with the wrapped end (and so
//! usually accepts nothing), and a request ending exactly at `phys_base`
//! accepts unit 0 as the guard unit.  Like the C with upstream commit
//! 948a013a54c4 ("efi: Align unaccepted memory range to page boundary",
//! backported by bootmem-rs), the request is first widened to whole pages
//! (`end = PAGE_ALIGN(start + size)`, `start = PAGE_ALIGN_DOWN(start)`), so
//! that a range ending inside a unit's last page gets its guard unit.  The
//! module differs from the C only where the C itself is wrong:
//!
//! - the guard unit is added with saturation: the C's `end += unit_size`
//!   wraps to 0 when the end is `2^64 - unit_size` bytes above `phys_base`
//!   (only possible with `phys_base == 0`) and then accepts nothing;
//! - [`UnacceptedTable::range_contains_unaccepted_memory`] tests every unit
//!   `[start, end)` touches: the C steps `start` by `unit_size` without
//!   aligning it down, so for an unaligned `start` it misses the last unit
//!   when `end % unit_size <= start % unit_size` (both offsets from
//!   `phys_base`), answering `false` for a range that `accept_memory()`
//!   would accept;
//! - [`UnacceptedTable::bitmap_clear`] clears exactly the run: the C's
//!   `bitmap_clear()` takes `unsigned int` start and length and
//!   `__bitmap_clear()` an `int` length, so a run starting at unit `2^32`
//!   is cleared at unit `start - 2^32` (memory that will then never be
//!   accepted), and a run of `2^31 + 64` units or more is not fully cleared
//!   and so accepted again by the next request (the kernel's wrapping signed
//!   arithmetic happens to save shorter runs).  With 2 MiB units that takes
//!   4 PiB of address space, with 4 KiB units only 8 TiB;
//! - [`UnacceptedTable::pfn_is_unaccepted_memory`] answers `false` for a pfn
//!   whose address does not fit in 64 bits instead of testing the address
//!   the C's `pfn << PAGE_SHIFT` wraps to.

#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use core::cmp::{max, min};
use core::fmt;
use core::num::NonZeroU64;

/// `BITS_PER_BYTE`.
pub const BITS_PER_BYTE: u64 = 8;

/// `BITS_PER_LONG`: the bitmap is an array of `unsigned long`, i.e. `usize`.
pub const BITS_PER_LONG: u64 = usize::BITS as u64;

/// Why [`UnacceptedTable::new`] rejected a table header.
///
/// Only headers the C cannot survive are rejected: one it divides by zero
/// for, one whose units share pages (accepting them one at a time accepts
/// a shared page twice, fatal on TDX), and one whose bitmap describes
/// memory beyond the 64-bit address space (the C accepts at wrapped
/// addresses).  The glue fails loudly at the first use of such a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableError {
    /// `unit_size` is 0 (the C divides by it).
    UnitSizeZero,
    /// `unit_size` is smaller than a page: two units would share a page, and
    /// accepting them one at a time would accept that page twice.
    UnitSizeBelowPage {
        /// The header's `unit_size`.
        unit_size: u32,
        /// The page size the glue passed.
        page_size: u64,
    },
    /// `unit_size` is not a whole number of pages: units would share pages.
    UnitSizeNotPageMultiple {
        /// The header's `unit_size`.
        unit_size: u32,
        /// The page size the glue passed.
        page_size: u64,
    },
    /// `phys_base` is not page aligned: units would share pages.
    PhysBaseNotPageAligned {
        /// The header's `phys_base`.
        phys_base: u64,
        /// The page size the glue passed.
        page_size: u64,
    },
    /// `phys_base + size * unit_size * BITS_PER_BYTE` overflows `u64`, or the
    /// bitmap does not fit in the address space (`usize` words).
    BitmapEndOverflow {
        /// The header's `phys_base`.
        phys_base: u64,
        /// The header's `unit_size`.
        unit_size: u32,
        /// The header's `size` (bitmap bytes).
        size: u64,
    },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::UnitSizeZero => write!(f, "unit_size is 0"),
            Self::UnitSizeBelowPage {
                unit_size,
                page_size,
            } => write!(
                f,
                "unit_size {unit_size:#x} is smaller than the page size {page_size:#x}"
            ),
            Self::UnitSizeNotPageMultiple {
                unit_size,
                page_size,
            } => write!(
                f,
                "unit_size {unit_size:#x} is not a multiple of the page size {page_size:#x}"
            ),
            Self::PhysBaseNotPageAligned {
                phys_base,
                page_size,
            } => write!(
                f,
                "phys_base {phys_base:#x} is not aligned to the page size {page_size:#x}"
            ),
            Self::BitmapEndOverflow {
                phys_base,
                unit_size,
                size,
            } => write!(
                f,
                "size {size:#x}: a bitmap of {size:#x} bytes of {unit_size:#x}-byte units at \
                 phys_base {phys_base:#x} ends beyond the 64-bit address space"
            ),
        }
    }
}

/// `struct accept_range` without its list head: units `[start, end)` counted
/// from `phys_base`, as the C computes them.
///
/// `start` may be `>= end` (the request lies beyond the bitmap or its end
/// wrapped); such a range has no runs but still takes part in the
/// `accepting_list` overlap test, exactly as in the C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptRange {
    /// First unit.
    pub start: u64,
    /// One past the last unit.
    pub end: u64,
}

impl AcceptRange {
    /// Whether `entry` (a range on the `accepting_list`) blocks this one:
    /// the negation of the C's two `continue` tests.
    ///
    /// This works at unit granularity on purpose: two requests for the same
    /// unit must serialise even if their byte ranges are disjoint.
    pub fn overlaps(&self, entry: &AcceptRange) -> bool {
        !(entry.end <= self.start || entry.start >= self.end)
    }
}

/// One run of set bits `[start, end)` found by
/// [`UnacceptedTable::next_set_bitrange`], with the physical range
/// `[phys_start, phys_end)` the glue hands to `arch_accept_memory()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitRange {
    /// First set bit (unit).
    pub start: u64,
    /// First clear bit after `start`, or the end of the search.
    pub end: u64,
    /// `start * unit_size + phys_base`.
    pub phys_start: u64,
    /// `end * unit_size + phys_base`.
    pub phys_end: u64,
}

impl BitRange {
    /// Where the next search starts: the C's `(b) = (e) + 1`.  Bit `end` is
    /// clear (or `end` is the end of the search), so skipping it loses nothing.
    pub fn next_from(&self) -> u64 {
        self.end.saturating_add(1)
    }
}

/// A validated `struct efi_unaccepted_memory` header.
///
/// Holding one records the invariants the C silently assumes: `unit_size`
/// is a non-zero whole number of pages, `phys_base` is page aligned (so no
/// two units share a page), and every byte the bitmap describes has a
/// 64-bit address, so no unit index below [`nbits`](Self::nbits) overflows
/// when turned into an address or a word index.  `unit_size` need not be a
/// power of two, nor `phys_base` unit aligned: the C handles both, with
/// plain division.  All methods are total: a bitmap slice shorter than
/// [`bitmap_words`](Self::bitmap_words) reads as clear beyond its end and is
/// never written there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnacceptedTable {
    unit_size: NonZeroU64,
    page_mask: u64,
    phys_base: u64,
    nbits: u64,
    span: u64,
    words: usize,
}

impl UnacceptedTable {
    /// Validates a header (`unit_size`, `phys_base`, `size` in bytes) for a
    /// kernel whose page size is `page_size` (a power of two).
    ///
    /// `version` is not checked here: `efi_config_parse_tables()` already
    /// drops a table whose version is not 1.
    #[inline]
    pub fn new(
        unit_size: u32,
        phys_base: u64,
        size: u64,
        page_size: u64,
    ) -> Result<Self, TableError> {
        let Some(unit_nz) = NonZeroU64::new(u64::from(unit_size)) else {
            return Err(TableError::UnitSizeZero);
        };
        let unit = unit_nz.get();
        if unit < page_size {
            return Err(TableError::UnitSizeBelowPage {
                unit_size,
                page_size,
            });
        }
        // A page size that is not a power of two has no mask: then no
        // header is acceptable, as no alignment can be checked.
        let page_mask = match page_size.checked_sub(1) {
            Some(mask) if page_size.is_power_of_two() => mask,
            _ => {
                return Err(TableError::UnitSizeNotPageMultiple {
                    unit_size,
                    page_size,
                })
            }
        };
        if unit & page_mask != 0 {
            return Err(TableError::UnitSizeNotPageMultiple {
                unit_size,
                page_size,
            });
        }
        if phys_base & page_mask != 0 {
            return Err(TableError::PhysBaseNotPageAligned {
                phys_base,
                page_size,
            });
        }
        let overflow = TableError::BitmapEndOverflow {
            phys_base,
            unit_size,
            size,
        };
        let nbits = size.checked_mul(BITS_PER_BYTE).ok_or(overflow)?;
        let span = nbits.checked_mul(unit).ok_or(overflow)?;
        phys_base.checked_add(span).ok_or(overflow)?;
        // Whole `unsigned long`s, as the C reads them (the table is reserved
        // up to the end of its page, so the last partial word is mapped).
        let words = nbits.div_ceil(BITS_PER_LONG);
        let words = usize::try_from(words).map_err(|_| overflow)?;
        Ok(Self {
            unit_size: unit_nz,
            page_mask,
            phys_base,
            nbits,
            span,
            words,
        })
    }

    /// Number of `unsigned long` words the glue must map as the bitmap slice.
    pub fn bitmap_words(&self) -> usize {
        self.words
    }

    /// `off / unit_size` (`unit_size` is not 0: no check).
    #[inline]
    fn unit_of(&self, off: u64) -> u64 {
        off / self.unit_size
    }

    /// The C's common prologue: offsets `[start, end)` from `phys_base`
    /// after aligning the request to whole pages, clamping it to the bitmap
    /// and adding the guard unit, with `DIV_ROUND_UP(end, unit_size)`, or
    /// `None` where the C returns early (`end < phys_base`).
    #[inline]
    fn clamp(&self, start: u64, size: u64) -> Option<(u64, u64, u64)> {
        // `end = PAGE_ALIGN(start + size); start = PAGE_ALIGN_DOWN(start);`
        // (upstream 948a013a54c4): a range ending inside a unit's last page
        // still gets its guard unit below.  Both wrap in the C, as here: a
        // wrapped request keeps its wrapped end.
        let end = start.wrapping_add(size).wrapping_add(self.page_mask) & !self.page_mask;
        let start = start & !self.page_mask;
        if end < self.phys_base {
            return None;
        }
        // Both are >= phys_base now: the subtractions cannot saturate.
        let start = max(start, self.phys_base).saturating_sub(self.phys_base);
        let mut end = end.saturating_sub(self.phys_base);
        // load_unaligned_zeropad() may touch the page after the range: if
        // the range ends on a unit boundary, the next unit counts too.  The
        // C wraps to 0 here when end is 2^64 - unit_size; saturate instead,
        // the clamp below brings it back to the bitmap.
        //
        // One division gives both the guard test and DIV_ROUND_UP(end) of
        // the C's callers: with the guard, DIV_ROUND_UP(end + unit_size) is
        // end / unit_size + 1, and so is DIV_ROUND_UP(end) without it (end
        // not on a unit boundary); clamping end to the span, a multiple of
        // unit_size, clamps that to nbits.  (`+ 1` cannot wrap: unit_size
        // is at least a page.)
        let (q, r) = (end / self.unit_size, end % self.unit_size);
        if r == 0 {
            end = end.saturating_add(self.unit_size.get());
        }
        // Do not overrun the bitmap.
        Some((
            start,
            min(end, self.span),
            min(q.saturating_add(1), self.nbits),
        ))
    }

    /// The unit range `accept_memory(start, size)` works on, or `None` when
    /// the C returns before taking the lock (the range ends below
    /// `phys_base`).
    #[inline]
    pub fn accept_memory_range(&self, start: u64, size: u64) -> Option<AcceptRange> {
        let (start, _, end_unit) = self.clamp(start, size)?;
        Some(AcceptRange {
            start: self.unit_of(start),
            end: end_unit,
        })
    }

    /// The next run of set bits at or after unit `from` and before
    /// `range.end`: one step of the C's `for_each_set_bitrange_from()`.
    ///
    /// Start with `from = range.start` and continue with
    /// [`BitRange::next_from`] after clearing the run.
    pub fn next_set_bitrange(
        &self,
        bitmap: &[usize],
        from: u64,
        range: &AcceptRange,
    ) -> Option<BitRange> {
        // range.end <= nbits for ranges of this table; the min only keeps a
        // foreign range away from the bits past nbits.
        let size = min(range.end, self.nbits);
        let start = find_next_bit(bitmap, size, from, false);
        if start >= size {
            return None;
        }
        let end = find_next_bit(bitmap, size, start.saturating_add(1), true);
        Some(BitRange {
            start,
            end,
            phys_start: self.unit_to_phys(start),
            phys_end: self.unit_to_phys(end),
        })
    }

    /// `unit * unit_size + phys_base`; `unit <= nbits`, so by the checks of
    /// `new()` this never saturates.
    fn unit_to_phys(&self, unit: u64) -> u64 {
        unit.saturating_mul(self.unit_size.get())
            .saturating_add(self.phys_base)
    }

    /// `bitmap_clear(bitmap, run.start, run.end - run.start)` after the run
    /// was accepted.  Bits at or past `nbits` are never touched.
    ///
    /// The partial words at either end are masked; the whole words between
    /// them are zeroed with one `memset()` (the C clears word by word).
    pub fn bitmap_clear(&self, bitmap: &mut [usize], run: &BitRange) {
        let end = min(run.end, self.nbits);
        if run.start >= end {
            return;
        }
        // `end - 1` does not wrap: `end > run.start >= 0`.
        let last_bit = end.saturating_sub(1);
        let (Some(first), Some(last)) = (word_index(run.start), word_index(last_bit)) else {
            return;
        };
        // BITMAP_FIRST_WORD_MASK(start) and BITMAP_LAST_WORD_MASK(end).
        let first_mask = usize::MAX
            .checked_shl(bits_u32(run.start & (BITS_PER_LONG - 1)))
            .unwrap_or(0);
        let last_mask = usize::MAX
            .checked_shr(bits_u32(
                (BITS_PER_LONG - 1).wrapping_sub(last_bit & (BITS_PER_LONG - 1)),
            ))
            .unwrap_or(0);
        // Past the end of the slice: so is the rest of the run.
        let Some(word) = bitmap.get_mut(first) else {
            return;
        };
        if first == last {
            *word &= !(first_mask & last_mask);
            return;
        }
        *word &= !first_mask;
        let inner = first.saturating_add(1)..min(last, bitmap.len());
        if let Some(words) = bitmap.get_mut(inner) {
            words.fill(0);
        }
        if let Some(word) = bitmap.get_mut(last) {
            *word &= !last_mask;
        }
    }

    /// `range_contains_unaccepted_memory(start, size)`: whether any unit the
    /// range touches, plus the guard unit when the range ends on a unit
    /// boundary, is still unaccepted.
    #[inline]
    pub fn range_contains_unaccepted_memory(
        &self,
        bitmap: &[usize],
        start: u64,
        size: u64,
    ) -> bool {
        let Some((start, end, last)) = self.clamp(start, size) else {
            return false;
        };
        if start >= end {
            return false;
        }
        // Every unit [start, end) touches, unlike the C's unaligned stepping.
        let first = self.unit_of(start);
        find_next_bit(bitmap, last, first, false) < last
    }

    /// `pfn_is_unaccepted_memory(pfn)`: the page `pfn` (pages of
    /// `1 << page_shift` bytes) or its guard unit is unaccepted.  The kdump
    /// `pfn_is_ram` callback is its negation.
    pub fn pfn_is_unaccepted_memory(&self, bitmap: &[usize], pfn: u64, page_shift: u32) -> bool {
        let Some(page_size) = 1u64.checked_shl(page_shift) else {
            return false;
        };
        // A pfn whose address does not fit in 64 bits is not in the table.
        match pfn.checked_mul(page_size) {
            Some(addr) => self.range_contains_unaccepted_memory(bitmap, addr, page_size),
            None => false,
        }
    }
}

/// Accessors the glue needs only for diagnostics; the tests use them.
#[allow(dead_code)]
impl UnacceptedTable {
    /// `unit_size` in bytes.
    pub fn unit_size(&self) -> u64 {
        self.unit_size.get()
    }

    /// `phys_base`.
    pub fn phys_base(&self) -> u64 {
        self.phys_base
    }

    /// Number of units the bitmap describes: `size * BITS_PER_BYTE`.
    pub fn nbits(&self) -> u64 {
        self.nbits
    }

    /// Physical end of the memory the bitmap describes (exclusive).
    pub fn bitmap_end(&self) -> u64 {
        // Checked in `new()`.
        self.phys_base.saturating_add(self.span)
    }
}

/// `u64` bit offset within a word to a shift amount (always < 64).
fn bits_u32(bits: u64) -> u32 {
    u32::try_from(bits).unwrap_or(u32::MAX)
}

/// The word holding `bit`, if that index fits in `usize`.
fn word_index(bit: u64) -> Option<usize> {
    usize::try_from(bit.checked_div(BITS_PER_LONG)?).ok()
}

/// `find_next_bit()` (`zero == false`) or `find_next_zero_bit()`
/// (`zero == true`) over bits `[start, size)`: the first match, or `size`.
///
/// Words beyond the slice read as 0, i.e. as accepted.
#[inline]
fn find_next_bit(bitmap: &[usize], size: u64, start: u64, zero: bool) -> u64 {
    if start >= size {
        return size;
    }
    // Words are read inverted for find_next_zero_bit().
    let flip = if zero { usize::MAX } else { 0 };
    let Some(first) = word_index(start) else {
        return size;
    };
    // The words holding bits below `size`, and those of them in the slice.
    let nwords = usize::try_from(size.div_ceil(BITS_PER_LONG)).unwrap_or(usize::MAX);
    let words = bitmap.get(first..min(nwords, bitmap.len())).unwrap_or(&[]);
    // BITMAP_FIRST_WORD_MASK(start) on the first word, then whole words.
    let first_mask = usize::MAX
        .checked_shl(bits_u32(start & (BITS_PER_LONG - 1)))
        .unwrap_or(0);
    let mut mask = first_mask;
    let mut found = None;
    for (i, &w) in words.iter().enumerate() {
        let w = (w ^ flip) & mask;
        if w != 0 {
            found = Some((i, w));
            break;
        }
        mask = usize::MAX;
    }
    let (idx, word) = match found {
        Some((i, w)) => (first.saturating_add(i), w),
        // Past the slice every word reads as 0: a zero bit right there
        // (if that word still holds bits below `size`), never a set one.
        None => {
            let idx = first.saturating_add(words.len());
            if !zero || idx >= nwords {
                return size;
            }
            (idx, mask)
        }
    };
    let bit = u64::try_from(idx)
        .unwrap_or(u64::MAX)
        .saturating_mul(BITS_PER_LONG)
        .saturating_add(u64::from(word.trailing_zeros()));
    min(bit, size)
}
