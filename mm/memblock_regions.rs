// SPDX-License-Identifier: GPL-2.0

//! Pure region-table logic behind the `MEMBLOCK_RSRV_KERN` API.
//!
//! This is a line-by-line port of the parts of `mm/memblock.c` that the
//! `MEMBLOCK_RSRV_KERN` functions need (`memblock_cap_size()`,
//! `memblock_insert_region()`, `memblock_merge_regions()`,
//! `memblock_add_range()`, `memblock_isolate_range()`,
//! `memblock_setclr_flag()` and the summing loop of
//! `memblock_reserved_kern_size()`).  For every valid table and every input it
//! leaves the regions, `cnt` and `total_size` exactly as the C does, including
//! the stale entries the C's `memmove()`s leave behind `cnt`.
//!
//! The module uses `core` only: no allocation, no kernel APIs and no panics on
//! any input (no indexing, no unchecked arithmetic, no `copy_within()`: the
//! object code has no panicking path of its own).  The `memmove()`s of the C
//! are `ptr::copy()`s of ranges checked first; with
//! `CONFIG_RUST_DEBUG_ASSERTIONS` core adds its alignment and null-pointer
//! precondition checks to them, which slices always meet.  It is generic over [`Region`]
//! because the layout of `struct memblock_region` depends on the
//! configuration (`nid` exists only with `CONFIG_NUMA`).
//!
//! It never calls back into its user: `memblock_double_array()` lives in init
//! text, and generic code in `.text` calling it would be a section mismatch.
//! Operations that may need a bigger array are therefore split in two, as the
//! C is: first ask how many free slots are needed ([`isolate_range_slots`],
//! [`RegionTable::add_range`] returning [`AddRange::NeedSlots`]), let the
//! caller grow the array until [`has_room`] says it suffices, then run the
//! mutating step, which re-checks the capacity and fails without touching the
//! table rather than overrunning it.
//!
//! Address arithmetic deliberately wraps like the C's `phys_addr_t`
//! arithmetic does; on a table accepted by [`validate`] it never actually
//! wraps.
//!
//! How much of a table is checked is the caller's choice ([`Check`]).  The
//! tables are built only by memblock itself, so in production only what the
//! C needs to stay in bounds is checked ([`Check::Header`]), each operation
//! costs what the C's does, and on every table, valid or not, the result is
//! the C's, except that where the C would `BUG_ON()` or overrun the array
//! the operation stops with an error instead.  [`Check::Full`] (the kernel
//! uses it with `CONFIG_DEBUG_VM`) validates the whole table first and
//! refuses, untouched, one the C could not have built.

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

use core::cmp::min;
use core::fmt;

/// `PHYS_ADDR_MAX`: this module assumes a 64-bit `phys_addr_t`
/// (`CONFIG_PHYS_ADDR_T_64BIT`); its users hand it `u64` fields directly, so a
/// 32-bit `phys_addr_t` fails to compile instead of silently misbehaving.
pub const PHYS_ADDR_MAX: u64 = u64::MAX;

/// `MEMBLOCK_RSRV_KERN` of `enum memblock_flags`.
pub const MEMBLOCK_RSRV_KERN: u32 = 0x20;

/// Accessors for one `struct memblock_region`.
///
/// Implemented by the glue for the C structure, whose layout depends on the
/// configuration, and by tests for their own types.  The getters and setters
/// mirror the C's field accesses and `memblock_{get,set}_region_node()`
/// exactly, so that a port written against this trait behaves like the C.
pub trait Region: Copy {
    /// Whether regions record a node id (`CONFIG_NUMA`).
    ///
    /// Without it `memblock_add_range()` does not compare node ids, and
    /// [`Region::nid`] must return 0 like `memblock_get_region_node()`.
    const NUMA: bool;

    /// `MAX_NUMNODES` of the configuration, for `numa_valid_node()`.
    const MAX_NUMNODES: i32;

    /// The region's base address (`base`).
    fn base(&self) -> u64;

    /// The region's size in bytes (`size`).
    fn size(&self) -> u64;

    /// The region's `enum memblock_flags` (`flags`).
    fn flags(&self) -> u32;

    /// `memblock_get_region_node()`: the node id, or 0 without `CONFIG_NUMA`.
    fn nid(&self) -> i32;

    /// Sets `base`.
    fn set_base(&mut self, base: u64);

    /// Sets `size`.
    fn set_size(&mut self, size: u64);

    /// Sets `flags`.
    fn set_flags(&mut self, flags: u32);

    /// `memblock_set_region_node()`: sets the node id; a no-op without
    /// `CONFIG_NUMA`.
    fn set_nid(&mut self, nid: i32);
}

/// Why an operation refused to run or stopped.
///
/// Apart from [`RegionError::NoRoom`] after a failed growth, none of these can
/// happen on a table accepted by [`validate`]: they are the cases in which the
/// C would read or write out of bounds or hit a `BUG_ON()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// The array has no entries at all (`max == 0` or no array).
    NoArray,
    /// `cnt` exceeds `max`.
    CntAboveMax {
        /// The table's `cnt`.
        cnt: usize,
        /// The table's `max`.
        max: usize,
    },
    /// A live region has size 0 (the C never creates one).
    EmptyRegion {
        /// Index of the region.
        idx: usize,
    },
    /// A live region's `base + size` overflows `phys_addr_t`.
    Overflow {
        /// Index of the region.
        idx: usize,
    },
    /// A live region starts below the end of its predecessor: the table is
    /// not sorted or has overlapping regions.
    Unsorted {
        /// Index of the region.
        idx: usize,
    },
    /// Not enough free entries for the operation (the C would `BUG_ON()` or
    /// overrun the array).
    NoRoom {
        /// The table's `cnt`.
        cnt: usize,
        /// The table's `max`.
        max: usize,
        /// Free entries the operation needs.
        needed: usize,
    },
    /// An index outside the live table was passed.
    BadIndex {
        /// The index.
        idx: usize,
    },
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NoArray => write!(f, "no region array"),
            Self::CntAboveMax { cnt, max } => write!(f, "cnt {} exceeds max {}", cnt, max),
            Self::EmptyRegion { idx } => write!(f, "region {} has size 0", idx),
            Self::Overflow { idx } => write!(f, "region {} ends beyond PHYS_ADDR_MAX", idx),
            Self::Unsorted { idx } => {
                write!(f, "region {} overlaps or precedes its predecessor", idx)
            }
            Self::NoRoom { cnt, max, needed } => write!(
                f,
                "no room for {} more regions (cnt {}, max {})",
                needed, cnt, max
            ),
            Self::BadIndex { idx } => write!(f, "index {} outside the table", idx),
        }
    }
}

/// The C's `WARN_ON()`s that fired during an operation, by condition.
///
/// The C warns once per pass over the table, so when `memblock_add_range()`
/// runs its counting pass and then its inserting pass, each mismatching
/// region is counted twice, exactly as often as the C warns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    /// `WARN_ON(nid != memblock_get_region_node(rgn))` in
    /// `memblock_add_range()` (`CONFIG_NUMA` only).
    pub nid_mismatch: u32,
    /// `WARN_ON(flags != rgn->flags)` in `memblock_add_range()`.
    pub flags_mismatch: u32,
    /// `WARN_ON(type->cnt != 0 || type->total_size)` in the empty-array case of
    /// `memblock_add_range()`.
    pub empty_not_clean: u32,
}

impl Warnings {
    /// Whether any warning fired.
    pub fn any(&self) -> bool {
        self.nid_mismatch != 0 || self.flags_mismatch != 0 || self.empty_not_clean != 0
    }

    /// Total number of `WARN_ON()`s that fired.
    pub fn total(&self) -> u32 {
        self.nid_mismatch
            .saturating_add(self.flags_mismatch)
            .saturating_add(self.empty_not_clean)
    }

    /// Adds the counts of `other` to `self`.
    pub fn add(&mut self, other: Warnings) {
        self.nid_mismatch = self.nid_mismatch.saturating_add(other.nid_mismatch);
        self.flags_mismatch = self.flags_mismatch.saturating_add(other.flags_mismatch);
        self.empty_not_clean = self.empty_not_clean.saturating_add(other.empty_not_clean);
    }
}

/// How much of a table [`RegionTable::new`] and [`reserved_kern_size_checked`]
/// check before running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Only what keeps every access in bounds: an array exists and
    /// `cnt <= max`.  O(1); operations then behave as the C on any table.
    Header,
    /// [`validate`]: the whole table, O(cnt).  A table the C could not have
    /// built is refused before anything changes.
    Full,
}

/// Outcome of [`RegionTable::add_range`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddRange {
    /// The C's `memblock_add_range()` would have returned 0 without growing
    /// the array; the table is in its final state.
    Done(Warnings),
    /// The C's counting pass found that `nr_new` new regions are needed and
    /// the array has not that many free entries; nothing was changed.
    ///
    /// The caller must call `memblock_double_array()` while
    /// `!has_room(cnt, max, nr_new)` (returning `-ENOMEM` if it fails), then
    /// [`RegionTable::add_range_insert`].
    NeedSlots {
        /// New regions the counting pass found.
        nr_new: usize,
        /// Warnings of the counting pass.
        warnings: Warnings,
    },
}

/// `memblock_cap_size()`: `size` clipped so that `base + size` does not
/// overflow `phys_addr_t`.
pub fn cap_size(base: u64, size: u64) -> u64 {
    // `base <= PHYS_ADDR_MAX` always holds for a `u64`, so this never
    // saturates; saturating keeps it panic-free should that ever change.
    min(size, PHYS_ADDR_MAX.saturating_sub(base))
}

/// Free entries `memblock_isolate_range()` makes room for before walking the
/// table: 2 (a range splits at most two regions), or 0 for an empty range,
/// for which the C returns before growing the array.
pub fn isolate_range_slots(base: u64, size: u64) -> usize {
    if cap_size(base, size) == 0 {
        0
    } else {
        2
    }
}

/// Whether a table with `cnt` of `max` entries in use has `slots` free
/// entries: the negation of the C's `while (type->cnt + n > type->max)`
/// growth condition.
pub fn has_room(cnt: usize, max: usize, slots: usize) -> bool {
    cnt.checked_add(slots).is_some_and(|needed| needed <= max)
}

/// `numa_valid_node()` for the configuration of `R`.
fn numa_valid_node<R: Region>(nid: i32) -> bool {
    nid >= 0 && nid < R::MAX_NUMNODES
}

/// `memmove(&w[1], &w[0], (w.len() - 1) * sizeof(*w))`: moves every entry
/// of `w` but the last up by one, leaving `w[0]` as it was.
///
/// A `memmove()`, as in the C: an element loop costs several times the
/// instructions, and `copy_within()` would bring bounds checks (and so
/// panicking paths) into the object code.
fn shift_up<R: Copy>(w: &mut [R]) {
    let Some(n) = w.len().checked_sub(1) else {
        return;
    };
    let p = w.as_mut_ptr();
    // SAFETY: `w` has `n + 1` entries: reading `n` of them from index 0
    // and writing `n` from index 1 stays inside it; `ptr::copy()` allows
    // the overlap, and `R: Copy` has no destructor to run or skip.
    unsafe { core::ptr::copy(p, p.add(1), n) };
}

/// `memmove(&w[0], &w[1], (w.len() - 1) * sizeof(*w))`: moves every entry
/// of `w` but the first down by one, leaving the last as it was.
fn shift_down<R: Copy>(w: &mut [R]) {
    let Some(n) = w.len().checked_sub(1) else {
        return;
    };
    let p = w.as_mut_ptr();
    // SAFETY: As in `shift_up()`, reading from index 1 and writing from 0.
    unsafe { core::ptr::copy(p.add(1), p, n) };
}

/// Checks that `regions[..cnt]` is a table the C could have built.
///
/// `regions` is the whole array (`max` entries).  Accepted: a non-empty
/// array, `cnt <= max`, every live region non-empty and not wrapping past
/// `PHYS_ADDR_MAX`, and the live regions sorted and non-overlapping.  On such
/// a table none of the C's `BUG_ON()`s can fire and no index goes out of
/// bounds; entries behind `cnt` are not looked at.
pub fn validate<R: Region>(regions: &[R], cnt: usize) -> Result<(), RegionError> {
    if regions.is_empty() {
        return Err(RegionError::NoArray);
    }
    let live = regions.get(..cnt).ok_or(RegionError::CntAboveMax {
        cnt,
        max: regions.len(),
    })?;
    // Every operation validates the whole table first, so this is the
    // fast path: one pass without branches in its body, which only says
    // whether something is wrong.  `end <= base` is an empty region or an
    // end past PHYS_ADDR_MAX; the first region has no predecessor, and no
    // base is below the initial 0.  The loop below then names the culprit.
    let mut bad = false;
    let mut prev_end: u64 = 0;
    for r in live {
        let (base, size) = (r.base(), r.size());
        let end = base.wrapping_add(size);
        bad |= end <= base;
        bad |= base < prev_end;
        prev_end = end;
    }
    if !bad {
        return Ok(());
    }
    let mut prev_end: Option<u64> = None;
    for (idx, r) in live.iter().enumerate() {
        if r.size() == 0 {
            return Err(RegionError::EmptyRegion { idx });
        }
        let end = r
            .base()
            .checked_add(r.size())
            .ok_or(RegionError::Overflow { idx })?;
        if prev_end.is_some_and(|prev| r.base() < prev) {
            return Err(RegionError::Unsorted { idx });
        }
        prev_end = Some(end);
    }
    Ok(())
}

/// Checks the header of a table: an array exists and `cnt <= max`
/// (`regions` is the whole array), which is all the operations need to stay
/// in bounds.
pub fn validate_header<R: Region>(regions: &[R], cnt: usize) -> Result<(), RegionError> {
    if regions.is_empty() {
        return Err(RegionError::NoArray);
    }
    if cnt > regions.len() {
        return Err(RegionError::CntAboveMax {
            cnt,
            max: regions.len(),
        });
    }
    Ok(())
}

/// `memblock_reserved_kern_size()` on the array `regions` (`max` entries)
/// with `cnt` in use: the size of the `MEMBLOCK_RSRV_KERN` regions below
/// `limit` on node `nid` (all nodes if `nid` is not a valid node id), or
/// why the table was refused.
///
/// With [`Check::Header`] this is the C's loop, on any table.  With
/// [`Check::Full`] it validates the table as [`validate`] does in the same
/// pass: on a valid table the regions are sorted, so skipping those above
/// `limit` is the C's `break`, and the walk goes on only to finish the
/// validation.
pub fn reserved_kern_size_checked<R: Region>(
    regions: &[R],
    cnt: usize,
    limit: u64,
    nid: i32,
    check: Check,
) -> Result<u64, RegionError> {
    validate_header(regions, cnt)?;
    let live = regions.get(..cnt).unwrap_or(&[]);
    if check == Check::Header {
        return Ok(reserved_kern_size(live, limit, nid));
    }
    let all_nodes = !numa_valid_node::<R>(nid);
    let mut total: u64 = 0;
    let mut bad = false;
    let mut prev_end: u64 = 0;
    for r in live {
        let (base, size) = (r.base(), r.size());
        let end = base.wrapping_add(size);
        // As in `validate()`.
        bad |= end <= base;
        bad |= base < prev_end;
        prev_end = end;
        if base <= limit && r.flags() & MEMBLOCK_RSRV_KERN != 0 && (all_nodes || nid == r.nid()) {
            let size = if end > limit {
                limit.wrapping_sub(base)
            } else {
                size
            };
            total = total.wrapping_add(size);
        }
    }
    if bad {
        validate(regions, cnt)?;
    }
    Ok(total)
}

/// Index of the first region in `live` that the C's walks over the table
/// act on for the range `[base, end)`: the first one that does not end at
/// or below `base`, or that starts at or above `end` (where they stop).
///
/// The regions before it are the ones `memblock_add_range()` and
/// `memblock_isolate_range()` skip with their `continue`: nothing changes
/// on the way, so the walk may start here.  A slice walk without index
/// checks, as the C's pointer walk.
fn first_reaching<R: Region>(live: &[R], base: u64, end: u64) -> usize {
    live.iter()
        .take_while(|r| r.base() < end && r.base().wrapping_add(r.size()) <= base)
        .count()
}

/// Result of one pass of `memblock_add_range()`.
struct AddPass {
    /// New regions found (counting pass) or inserted (inserting pass).
    nr_new: usize,
    /// Index of the first inserted region (the C's `start_rgn`).
    start_rgn: usize,
    /// Index after the last inserted region (the C's `end_rgn`).
    end_rgn: usize,
    /// `WARN_ON()`s of this pass.
    warnings: Warnings,
}

/// A checked view of one `struct memblock_type`.
///
/// Borrows the whole region array (`max` entries) and the `cnt` and
/// `total_size` fields, so that every operation updates the C structure in
/// place; only `regions` and `max` stay untouched (growing the array is the
/// caller's business).
pub struct RegionTable<'a, R: Region> {
    regions: &'a mut [R],
    cnt: &'a mut usize,
    total_size: &'a mut u64,
}

impl<'a, R: Region> RegionTable<'a, R> {
    /// Wraps a table after checking it as `check` says: its header
    /// ([`validate_header`]) or all of it ([`validate`]).
    ///
    /// `regions` must be the whole array, i.e. `regions.len()` is the C's
    /// `max`.
    pub fn new(
        regions: &'a mut [R],
        cnt: &'a mut usize,
        total_size: &'a mut u64,
        check: Check,
    ) -> Result<Self, RegionError> {
        match check {
            Check::Header => validate_header(regions, *cnt)?,
            Check::Full => validate(regions, *cnt)?,
        }
        Ok(Self {
            regions,
            cnt,
            total_size,
        })
    }

    /// Number of regions in use (`cnt`).
    pub fn cnt(&self) -> usize {
        *self.cnt
    }

    /// Capacity of the array (`max`).
    pub fn max(&self) -> usize {
        self.regions.len()
    }

    /// Sum of the region sizes as the C maintains it (`total_size`).
    pub fn total_size(&self) -> u64 {
        *self.total_size
    }

    /// The regions in use (`regions[0..cnt]`).
    pub fn regions(&self) -> &[R] {
        self.regions.get(..*self.cnt).unwrap_or(&[])
    }

    /// Whether `slots` more regions fit without growing; see [`has_room`].
    pub fn has_room(&self, slots: usize) -> bool {
        has_room(*self.cnt, self.regions.len(), slots)
    }

    /// A copy of live region `idx`.
    fn live(&self, idx: usize) -> Result<R, RegionError> {
        self.regions()
            .get(idx)
            .copied()
            .ok_or(RegionError::BadIndex { idx })
    }

    /// Live region `idx`, mutably.
    fn live_mut(&mut self, idx: usize) -> Result<&mut R, RegionError> {
        if idx >= *self.cnt {
            return Err(RegionError::BadIndex { idx });
        }
        self.regions
            .get_mut(idx)
            .ok_or(RegionError::BadIndex { idx })
    }

    /// `memblock_insert_region()`: inserts `[base, base + size)` at `idx`,
    /// moving regions `idx..cnt` up by one, and adds `size` to `total_size`.
    ///
    /// Fails without changing anything when the array is full (the C's
    /// `BUG_ON(type->cnt >= type->max)`) or `idx > cnt`.
    pub fn insert_region(
        &mut self,
        idx: usize,
        base: u64,
        size: u64,
        nid: i32,
        flags: u32,
    ) -> Result<(), RegionError> {
        let cnt = *self.cnt;
        if !self.has_room(1) {
            return Err(RegionError::NoRoom {
                cnt,
                max: self.regions.len(),
                needed: 1,
            });
        }
        if idx > cnt {
            return Err(RegionError::BadIndex { idx });
        }
        // memmove(rgn + 1, rgn, (type->cnt - idx) * sizeof(*rgn)): the
        // window `regions[idx..=cnt]` (present, as `cnt < max`) shifts up.
        let window = self
            .regions
            .get_mut(idx..=cnt)
            .ok_or(RegionError::BadIndex { idx })?;
        shift_up(window);
        let rgn = window.first_mut().ok_or(RegionError::BadIndex { idx })?;
        rgn.set_base(base);
        rgn.set_size(size);
        rgn.set_flags(flags);
        rgn.set_nid(nid);
        *self.cnt = cnt.saturating_add(1);
        *self.total_size = self.total_size.wrapping_add(size);
        Ok(())
    }

    /// `memblock_merge_regions()`: merges neighbouring compatible regions
    /// (adjacent, same node, same flags) in `[start_rgn - 1, end_rgn)`.
    ///
    /// `total_size` is unchanged, as in the C.  Where the C would
    /// `BUG_ON()` (a region overlapping its successor) this stops with
    /// [`RegionError::Unsorted`] instead.
    pub fn merge_regions(&mut self, start_rgn: usize, end_rgn: usize) -> Result<(), RegionError> {
        // The C computes `type->cnt - 1` in unsigned arithmetic; with no
        // region at all there is nothing to merge (and no caller gets here).
        let Some(last) = self.cnt.checked_sub(1) else {
            return Ok(());
        };
        let mut i = start_rgn.saturating_sub(1);
        let mut end_rgn = min(end_rgn, last);
        while i < end_rgn {
            let next_idx = i.saturating_add(1);
            let this = self.live(i)?;
            let next = self.live(next_idx)?;
            let this_end = this.base().wrapping_add(this.size());

            if this_end != next.base() || this.nid() != next.nid() || this.flags() != next.flags() {
                if this_end > next.base() {
                    return Err(RegionError::Unsorted { idx: next_idx });
                }
                i = next_idx;
                continue;
            }

            self.live_mut(i)?
                .set_size(this.size().wrapping_add(next.size()));
            // memmove(next, next + 1, (type->cnt - (i + 2)) * sizeof(*next)):
            // regions[i + 2..cnt] move down by one; the last live entry
            // stays behind as a stale copy, as in the C.
            let cnt = *self.cnt;
            let window = self
                .regions
                .get_mut(next_idx..cnt)
                .ok_or(RegionError::BadIndex { idx: next_idx })?;
            shift_down(window);
            *self.cnt = cnt.saturating_sub(1);
            end_rgn = end_rgn.saturating_sub(1);
        }
        Ok(())
    }

    /// One pass of `memblock_add_range()` over the table: counts (`insert`
    /// false, nothing changes) or inserts (`insert` true) the parts of
    /// `[obase, end)` not covered by a region.
    fn add_pass(
        &mut self,
        obase: u64,
        end: u64,
        nid: i32,
        flags: u32,
        insert: bool,
    ) -> Result<AddPass, RegionError> {
        let mut pass = AddPass {
            nr_new: 0,
            start_rgn: 0,
            end_rgn: 0,
            warnings: Warnings::default(),
        };
        let mut started = false;
        let mut base = obase;
        let mut idx = first_reaching(self.regions(), base, end);

        while idx < *self.cnt {
            let rgn = self.live(idx)?;
            let rbase = rgn.base();
            let rend = rbase.wrapping_add(rgn.size());

            if rbase >= end {
                break;
            }
            if rend <= base {
                idx = idx.saturating_add(1);
                continue;
            }
            // @rgn overlaps.  If it separates the lower part of new area,
            // insert that portion.
            if rbase > base {
                if R::NUMA && nid != rgn.nid() {
                    pass.warnings.nid_mismatch = pass.warnings.nid_mismatch.saturating_add(1);
                }
                if flags != rgn.flags() {
                    pass.warnings.flags_mismatch = pass.warnings.flags_mismatch.saturating_add(1);
                }
                pass.nr_new = pass.nr_new.saturating_add(1);
                if insert {
                    if !started {
                        started = true;
                        pass.start_rgn = idx;
                    }
                    pass.end_rgn = idx.saturating_add(1);
                    self.insert_region(idx, base, rbase.wrapping_sub(base), nid, flags)?;
                    idx = idx.saturating_add(1);
                }
            }
            // Area below @rend is dealt with, forget about it.
            base = min(rend, end);
            idx = idx.saturating_add(1);
        }

        // Insert the remaining portion.
        if base < end {
            pass.nr_new = pass.nr_new.saturating_add(1);
            if insert {
                if !started {
                    pass.start_rgn = idx;
                }
                pass.end_rgn = idx.saturating_add(1);
                self.insert_region(idx, base, end.wrapping_sub(base), nid, flags)?;
            }
        }
        Ok(pass)
    }

    /// `memblock_add_range()` up to the point where the C would grow the
    /// array: adds `[base, base + size)` (capped at `PHYS_ADDR_MAX`) with
    /// `nid` and `flags`, leaving already covered parts alone.
    ///
    /// Handles the zero size, the empty array (`regions[0].size == 0`), the
    /// direct insertion when `cnt * 2 + 1 <= max`, and the counting pass
    /// followed by the inserting pass when the regions it found fit without
    /// growing, completely and returns [`AddRange::Done`] (with the warnings
    /// of both passes, as often as the C warns).  Otherwise it returns
    /// [`AddRange::NeedSlots`] after the counting pass without changing
    /// anything, unless nothing needs adding.
    pub fn add_range(
        &mut self,
        base: u64,
        size: u64,
        nid: i32,
        flags: u32,
    ) -> Result<AddRange, RegionError> {
        let size = cap_size(base, size);
        let end = base.wrapping_add(size);

        if size == 0 {
            return Ok(AddRange::Done(Warnings::default()));
        }

        // Special case for empty array.
        let cnt = *self.cnt;
        let total_size = *self.total_size;
        let first = self.regions.first_mut().ok_or(RegionError::NoArray)?;
        if first.size() == 0 {
            let mut warnings = Warnings::default();
            if cnt != 0 || total_size != 0 {
                warnings.empty_not_clean = 1;
            }
            first.set_base(base);
            first.set_size(size);
            first.set_flags(flags);
            first.set_nid(nid);
            *self.total_size = size;
            *self.cnt = 1;
            return Ok(AddRange::Done(warnings));
        }

        // The worst case is a range overlapping all regions, needing cnt + 1
        // new ones: with that much room the C inserts in its first pass.
        let insert = cnt
            .checked_mul(2)
            .and_then(|n| n.checked_add(1))
            .is_some_and(|n| n <= self.regions.len());

        let pass = self.add_pass(base, end, nid, flags, insert)?;
        if pass.nr_new == 0 {
            return Ok(AddRange::Done(pass.warnings));
        }
        if insert {
            self.merge_regions(pass.start_rgn, pass.end_rgn)?;
            return Ok(AddRange::Done(pass.warnings));
        }
        if self.has_room(pass.nr_new) {
            // The C's `while (type->cnt + nr_new > type->max)` does not
            // grow, and its `goto repeat` inserts on the unchanged table.
            let mut warnings = pass.warnings;
            let pass = self.add_pass(base, end, nid, flags, true)?;
            warnings.add(pass.warnings);
            if pass.nr_new != 0 {
                self.merge_regions(pass.start_rgn, pass.end_rgn)?;
            }
            return Ok(AddRange::Done(warnings));
        }
        Ok(AddRange::NeedSlots {
            nr_new: pass.nr_new,
            warnings: pass.warnings,
        })
    }

    /// The inserting pass of `memblock_add_range()` after the caller grew the
    /// array for [`AddRange::NeedSlots`] (the C's `goto repeat`): inserts the
    /// uncovered parts of `[base, base + size)` and merges.
    ///
    /// The C inserts without checking that the regions found now still fit
    /// (growing may itself have changed the table); this counts them first and
    /// fails with [`RegionError::NoRoom`] without changing anything if they
    /// do not.
    pub fn add_range_insert(
        &mut self,
        base: u64,
        size: u64,
        nid: i32,
        flags: u32,
    ) -> Result<Warnings, RegionError> {
        let size = cap_size(base, size);
        let end = base.wrapping_add(size);

        // Counting only: with `insert` false the pass changes nothing.  Its
        // warnings are not the C's (the C does not run this extra pass).
        let needed = self.add_pass(base, end, nid, flags, false)?.nr_new;
        if !self.has_room(needed) {
            return Err(RegionError::NoRoom {
                cnt: *self.cnt,
                max: self.regions.len(),
                needed,
            });
        }

        let pass = self.add_pass(base, end, nid, flags, true)?;
        if pass.nr_new != 0 {
            self.merge_regions(pass.start_rgn, pass.end_rgn)?;
        }
        Ok(pass.warnings)
    }

    /// `memblock_isolate_range()` once the array has room: splits the regions
    /// crossing the boundaries of `[base, base + size)` (capped at
    /// `PHYS_ADDR_MAX`) and returns `(start_rgn, end_rgn)`, the index of the
    /// first region inside the range and the index after the last one
    /// (`(0, 0)` if none).
    ///
    /// Needs [`isolate_range_slots`] free entries; fails with
    /// [`RegionError::NoRoom`] without changing anything otherwise.
    pub fn isolate_range(&mut self, base: u64, size: u64) -> Result<(usize, usize), RegionError> {
        let size = cap_size(base, size);
        let end = base.wrapping_add(size);
        let mut start_rgn = 0;
        let mut end_rgn = 0;

        if size == 0 {
            return Ok((0, 0));
        }

        // We'll create at most two more regions.
        let needed = isolate_range_slots(base, size);
        if !self.has_room(needed) {
            return Err(RegionError::NoRoom {
                cnt: *self.cnt,
                max: self.regions.len(),
                needed,
            });
        }

        let mut idx = first_reaching(self.regions(), base, end);
        while idx < *self.cnt {
            let rgn = self.live(idx)?;
            let rbase = rgn.base();
            let rend = rbase.wrapping_add(rgn.size());

            if rbase >= end {
                break;
            }
            if rend <= base {
                idx = idx.saturating_add(1);
                continue;
            }

            if rbase < base {
                // @rgn intersects from below.  Split and continue to process
                // the next region - the new top half.
                let cut = base.wrapping_sub(rbase);
                let r = self.live_mut(idx)?;
                r.set_base(base);
                r.set_size(rgn.size().wrapping_sub(cut));
                *self.total_size = self.total_size.wrapping_sub(cut);
                self.insert_region(idx, rbase, cut, rgn.nid(), rgn.flags())?;
                idx = idx.saturating_add(1);
            } else if rend > end {
                // @rgn intersects from above.  Split and redo the current
                // region - the new bottom half (so `idx` does not advance).
                let cut = end.wrapping_sub(rbase);
                let r = self.live_mut(idx)?;
                r.set_base(end);
                r.set_size(rgn.size().wrapping_sub(cut));
                *self.total_size = self.total_size.wrapping_sub(cut);
                self.insert_region(idx, rbase, cut, rgn.nid(), rgn.flags())?;
            } else {
                // @rgn is fully contained, record it.
                if end_rgn == 0 {
                    start_rgn = idx;
                }
                end_rgn = idx.saturating_add(1);
                idx = end_rgn;
            }
        }
        Ok((start_rgn, end_rgn))
    }

    /// `memblock_setclr_flag()` once the array has room: isolates
    /// `[base, base + size)`, sets (`set`) or clears `flag` on the regions
    /// inside and merges them with compatible neighbours.
    ///
    /// Needs [`isolate_range_slots`] free entries, like
    /// [`RegionTable::isolate_range`].
    pub fn setclr_flag(
        &mut self,
        base: u64,
        size: u64,
        set: bool,
        flag: u32,
    ) -> Result<(), RegionError> {
        let (start_rgn, end_rgn) = self.isolate_range(base, size)?;
        for idx in start_rgn..end_rgn {
            let r = self.live_mut(idx)?;
            let flags = if set {
                r.flags() | flag
            } else {
                r.flags() & !flag
            };
            r.set_flags(flags);
        }
        self.merge_regions(start_rgn, end_rgn)
    }

    /// The loop of `memblock_reserved_kern_size()`; see
    /// [`reserved_kern_size`].
    pub fn reserved_kern_size(&self, limit: u64, nid: i32) -> u64 {
        reserved_kern_size(self.regions(), limit, nid)
    }
}

/// The loop of `memblock_reserved_kern_size()` over the live regions
/// `live`: the size of the `MEMBLOCK_RSRV_KERN` regions below `limit` on
/// node `nid` (all nodes if `nid` is not a valid node id, e.g.
/// `NUMA_NO_NODE`).
pub fn reserved_kern_size<R: Region>(live: &[R], limit: u64, nid: i32) -> u64 {
    let all_nodes = !numa_valid_node::<R>(nid);
    let mut total: u64 = 0;
    for r in live.iter().take_while(|r| r.base() <= limit) {
        let (base, size) = (r.base(), r.size());
        let size = if base.wrapping_add(size) > limit {
            limit.wrapping_sub(base)
        } else {
            size
        };
        if (all_nodes || nid == r.nid()) && r.flags() & MEMBLOCK_RSRV_KERN != 0 {
            total = total.wrapping_add(size);
        }
    }
    total
}
