// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `mm/memblock_regions.rs`.
//!
//! The expected states are those `mm/memblock.c` produces (worked out from
//! the C by hand, including the stale entries its `memmove()`s leave behind
//! `cnt`); a randomised test checks the coverage semantics against a simple
//! per-unit model.  The bit-exact comparison with the C lives in
//! `tools/testing/memblock-ab`.

use bootmem_host::memblock_regions::{
    cap_size, has_room, isolate_range_slots, reserved_kern_size_checked, validate, AddRange, Check,
    Region, RegionError, RegionTable, Warnings, MEMBLOCK_RSRV_KERN, PHYS_ADDR_MAX,
};

mod common;
use common::Rng;

const KERN: u32 = MEMBLOCK_RSRV_KERN;
const NOINIT: u32 = 0x10;
const MAX_NUMNODES: i32 = 16;
const NO_NODE: i32 = -1;

/// `struct memblock_region` with `CONFIG_NUMA`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Numa {
    base: u64,
    size: u64,
    flags: u32,
    nid: i32,
}

impl Region for Numa {
    const NUMA: bool = true;
    const MAX_NUMNODES: i32 = MAX_NUMNODES;
    fn base(&self) -> u64 {
        self.base
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn flags(&self) -> u32 {
        self.flags
    }
    fn nid(&self) -> i32 {
        self.nid
    }
    fn set_base(&mut self, base: u64) {
        self.base = base;
    }
    fn set_size(&mut self, size: u64) {
        self.size = size;
    }
    fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }
    fn set_nid(&mut self, nid: i32) {
        self.nid = nid;
    }
}

/// `struct memblock_region` without `CONFIG_NUMA`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Flat {
    base: u64,
    size: u64,
    flags: u32,
}

impl Region for Flat {
    const NUMA: bool = false;
    const MAX_NUMNODES: i32 = 1;
    fn base(&self) -> u64 {
        self.base
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn flags(&self) -> u32 {
        self.flags
    }
    fn nid(&self) -> i32 {
        0
    }
    fn set_base(&mut self, base: u64) {
        self.base = base;
    }
    fn set_size(&mut self, size: u64) {
        self.size = size;
    }
    fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }
    fn set_nid(&mut self, _nid: i32) {}
}

fn r(base: u64, size: u64, flags: u32) -> Numa {
    Numa {
        base,
        size,
        flags,
        nid: MAX_NUMNODES,
    }
}

fn rn(base: u64, size: u64, flags: u32, nid: i32) -> Numa {
    Numa {
        base,
        size,
        flags,
        nid,
    }
}

/// An owned `struct memblock_type`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Type<R> {
    regions: Vec<R>,
    cnt: usize,
    total_size: u64,
}

impl<R: Region + Default> Type<R> {
    fn new(max: usize, live: &[R]) -> Self {
        let mut regions = vec![R::default(); max];
        regions[..live.len()].copy_from_slice(live);
        Self {
            regions,
            cnt: live.len(),
            total_size: live.iter().map(|r| r.size()).sum(),
        }
    }

    fn table(&mut self) -> RegionTable<'_, R> {
        RegionTable::new(
            &mut self.regions,
            &mut self.cnt,
            &mut self.total_size,
            Check::Full,
        )
        .expect("valid table")
    }

    fn live(&self) -> &[R] {
        &self.regions[..self.cnt]
    }

    /// The C's growth step (`memblock_double_array()` without the
    /// reservation of the new array).
    fn double(&mut self) {
        let max = self.regions.len();
        self.regions.resize(max * 2, R::default());
    }

    /// `memblock_add_range()` as the glue drives it.
    fn add(&mut self, base: u64, size: u64, nid: i32, flags: u32) -> Warnings {
        match self.table().add_range(base, size, nid, flags).unwrap() {
            AddRange::Done(w) => w,
            AddRange::NeedSlots {
                nr_new,
                mut warnings,
            } => {
                while !has_room(self.cnt, self.regions.len(), nr_new) {
                    self.double();
                }
                warnings.add(
                    self.table()
                        .add_range_insert(base, size, nid, flags)
                        .unwrap(),
                );
                warnings
            }
        }
    }

    /// `memblock_setclr_flag()` as the glue drives it.
    fn setclr(&mut self, base: u64, size: u64, set: bool, flag: u32) {
        while !has_room(
            self.cnt,
            self.regions.len(),
            isolate_range_slots(base, size),
        ) {
            self.double();
        }
        self.table().setclr_flag(base, size, set, flag).unwrap();
    }
}

#[test]
fn cap_size_clips_at_phys_addr_max() {
    assert_eq!(cap_size(0, PHYS_ADDR_MAX), PHYS_ADDR_MAX);
    assert_eq!(cap_size(0x1000, PHYS_ADDR_MAX), PHYS_ADDR_MAX - 0x1000);
    assert_eq!(cap_size(PHYS_ADDR_MAX - 10, 100), 10);
    assert_eq!(cap_size(PHYS_ADDR_MAX, 1), 0);
    assert_eq!(cap_size(5, 7), 7);
    assert_eq!(isolate_range_slots(PHYS_ADDR_MAX, 100), 0);
    assert_eq!(isolate_range_slots(0, 0), 0);
    assert_eq!(isolate_range_slots(0, 1), 2);
}

#[test]
fn has_room_matches_c_growth_condition() {
    assert!(has_room(126, 128, 2));
    assert!(!has_room(127, 128, 2));
    assert!(has_room(128, 128, 0));
    assert!(!has_room(usize::MAX, usize::MAX, 1));
}

#[test]
fn validate_refuses_bogus_tables() {
    let ok = [
        r(0x1000, 0x1000, 0),
        r(0x2000, 0x1000, KERN),
        Numa::default(),
    ];
    assert_eq!(validate(&ok, 2), Ok(()));
    assert_eq!(validate(&ok, 3), Err(RegionError::EmptyRegion { idx: 2 }));
    assert_eq!(validate::<Numa>(&[], 0), Err(RegionError::NoArray));
    assert_eq!(
        validate(&ok, 4),
        Err(RegionError::CntAboveMax { cnt: 4, max: 3 })
    );
    let overlap = [r(0x1000, 0x1001, 0), r(0x2000, 0x1000, 0)];
    assert_eq!(validate(&overlap, 2), Err(RegionError::Unsorted { idx: 1 }));
    let unsorted = [r(0x3000, 0x1000, 0), r(0x1000, 0x1000, 0)];
    assert_eq!(
        validate(&unsorted, 2),
        Err(RegionError::Unsorted { idx: 1 })
    );
    let wraps = [r(PHYS_ADDR_MAX - 1, 2, 0)];
    assert_eq!(validate(&wraps, 1), Err(RegionError::Overflow { idx: 0 }));
    let to_max = [r(PHYS_ADDR_MAX - 1, 1, 0)];
    assert_eq!(validate(&to_max, 1), Ok(()));
    // Entries behind cnt are not looked at.
    let stale = [r(0x1000, 0x1000, 0), r(0, 0, 0), r(5, PHYS_ADDR_MAX, 0)];
    assert_eq!(validate(&stale, 1), Ok(()));
    // The error messages are printable.
    assert_eq!(
        RegionError::NoRoom {
            cnt: 3,
            max: 4,
            needed: 2
        }
        .to_string(),
        "no room for 2 more regions (cnt 3, max 4)"
    );
}

#[test]
fn add_to_empty_array_uses_special_case() {
    let mut t = Type::<Numa>::new(4, &[]);
    let w = t.add(0x1000, 0x2000, 3, KERN);
    assert_eq!(w, Warnings::default());
    assert_eq!(t.live(), &[rn(0x1000, 0x2000, KERN, 3)]);
    assert_eq!(t.total_size, 0x2000);

    // A stale total_size draws the C's WARN_ON and is overwritten.
    let mut t = Type::<Numa>::new(4, &[]);
    t.total_size = 5;
    let w = t.add(0x1000, 0x1000, 0, 0);
    assert_eq!(w.empty_not_clean, 1);
    assert!(w.any());
    assert_eq!(t.total_size, 0x1000);
    assert_eq!(t.cnt, 1);
}

#[test]
fn zero_and_capped_sizes() {
    let mut t = Type::<Numa>::new(4, &[r(0x1000, 0x1000, 0)]);
    let before = t.clone();
    t.add(0x5000, 0, MAX_NUMNODES, KERN);
    t.add(PHYS_ADDR_MAX, 0x1000, MAX_NUMNODES, KERN);
    assert_eq!(t, before);

    // A range running past PHYS_ADDR_MAX ends at PHYS_ADDR_MAX.
    t.add(PHYS_ADDR_MAX - 0x1000, PHYS_ADDR_MAX, MAX_NUMNODES, KERN);
    assert_eq!(
        t.live(),
        &[
            r(0x1000, 0x1000, 0),
            r(PHYS_ADDR_MAX - 0x1000, 0x1000, KERN)
        ]
    );
    assert_eq!(t.total_size, 0x2000);

    // The largest possible range fills every gap.
    t.add(0, PHYS_ADDR_MAX, MAX_NUMNODES, KERN);
    assert_eq!(
        t.live(),
        &[
            r(0, 0x1000, KERN),
            r(0x1000, 0x1000, 0),
            r(0x2000, PHYS_ADDR_MAX - 0x2000, KERN)
        ]
    );
    assert_eq!(t.total_size, PHYS_ADDR_MAX);
}

#[test]
fn adjacent_ranges_merge_only_when_compatible() {
    let mut t = Type::<Numa>::new(8, &[r(0x1000, 0x1000, 0)]);
    t.add(0x2000, 0x1000, MAX_NUMNODES, 0);
    assert_eq!(t.live(), &[r(0x1000, 0x2000, 0)]);
    t.add(0x3000, 0x1000, MAX_NUMNODES, KERN);
    assert_eq!(t.live(), &[r(0x1000, 0x2000, 0), r(0x3000, 0x1000, KERN)]);
    t.add(0x4000, 0x1000, 2, KERN);
    assert_eq!(
        t.live(),
        &[
            r(0x1000, 0x2000, 0),
            r(0x3000, 0x1000, KERN),
            rn(0x4000, 0x1000, KERN, 2)
        ]
    );
    assert_eq!(t.total_size, 0x4000);
}

#[test]
fn add_spanning_several_regions_fills_gaps_and_warns() {
    let live = [
        r(0x2000, 0x1000, 0),
        r(0x4000, 0x1000, KERN),
        rn(0x6000, 0x1000, KERN, 1),
    ];
    // max 8: cnt * 2 + 1 = 7 fits, so the C inserts in a single pass.
    let mut t = Type::<Numa>::new(8, &live);
    let w = t.add(0x1000, 0x7000, MAX_NUMNODES, KERN);
    // Gaps are found before region 0 (flags differ), region 1 (same) and
    // region 2 (nid differs).
    assert_eq!(
        w,
        Warnings {
            nid_mismatch: 1,
            flags_mismatch: 1,
            empty_not_clean: 0
        }
    );
    assert_eq!(
        t.live(),
        &[
            r(0x1000, 0x1000, KERN),
            r(0x2000, 0x1000, 0),
            r(0x3000, 0x3000, KERN),
            rn(0x6000, 0x1000, KERN, 1),
            r(0x7000, 0x1000, KERN),
        ]
    );
    assert_eq!(t.total_size, 0x7000);
    // Each of the two merges moved the regions behind it down by one and
    // left the old last entry behind as a stale copy.
    assert_eq!(t.regions[5], r(0x7000, 0x1000, KERN));
    assert_eq!(t.regions[6], r(0x7000, 0x1000, KERN));
    assert_eq!(t.regions[7], Numa::default());
}

#[test]
fn full_table_counts_then_grows_then_inserts() {
    let live = [r(0x2000, 0x1000, 0), r(0x4000, 0x1000, 0)];
    // max 4: cnt * 2 + 1 = 5 > 4, so the C counts first.
    let mut t = Type::<Numa>::new(4, &live);
    let step = t
        .table()
        .add_range(0x1000, 0x5000, MAX_NUMNODES, 0)
        .unwrap();
    assert_eq!(
        step,
        AddRange::NeedSlots {
            nr_new: 3,
            warnings: Warnings::default()
        }
    );
    // The counting pass changed nothing.
    assert_eq!(t, Type::new(4, &live));
    // Without growing, the insertion refuses and changes nothing.
    assert_eq!(
        t.table().add_range_insert(0x1000, 0x5000, MAX_NUMNODES, 0),
        Err(RegionError::NoRoom {
            cnt: 2,
            max: 4,
            needed: 3
        })
    );
    assert_eq!(t, Type::new(4, &live));
    t.double();
    let w = t
        .table()
        .add_range_insert(0x1000, 0x5000, MAX_NUMNODES, 0)
        .unwrap();
    assert_eq!(w, Warnings::default());
    assert_eq!(t.live(), &[r(0x1000, 0x5000, 0)]);
    assert_eq!(t.total_size, 0x5000);
    assert_eq!(t.regions.len(), 8);

    // Counting pass with nothing to add: done without growing.
    let mut t = Type::<Numa>::new(2, &live);
    assert_eq!(
        t.table()
            .add_range(0x2000, 0x800, MAX_NUMNODES, KERN)
            .unwrap(),
        AddRange::Done(Warnings::default())
    );
    // A mismatch found by the counting pass is reported by both passes.
    let mut t = Type::<Numa>::new(4, &live);
    let w = t.add(0x1000, 0x2000, MAX_NUMNODES, KERN);
    assert_eq!(w.flags_mismatch, 2);
    assert_eq!(w.total(), 2);
}

#[test]
fn growth_through_many_reservations() {
    let mut t = Type::<Numa>::new(128, &[]);
    for i in 0..600u64 {
        t.add(
            0x10000 + i * 0x2000,
            0x1000,
            MAX_NUMNODES,
            (i as u32 & 1) * KERN,
        );
    }
    assert_eq!(t.cnt, 600);
    assert_eq!(t.regions.len(), 1024);
    // Filling all 601 gaps with the flag of the odd regions merges each odd
    // region with both its gaps; the first gap stays apart (region 0 is
    // unflagged).  Counting 601 new regions needs another doubling.
    t.add(0, PHYS_ADDR_MAX, MAX_NUMNODES, KERN);
    assert_eq!(t.cnt, 1 + 300 + 300);
    assert_eq!(t.regions.len(), 2048);
    assert_eq!(t.total_size, PHYS_ADDR_MAX);
    t.setclr(0, PHYS_ADDR_MAX, true, KERN);
    assert_eq!(t.live(), &[r(0, PHYS_ADDR_MAX, KERN)]);
}

#[test]
fn isolate_splits_at_both_edges() {
    let mut t = Type::<Numa>::new(4, &[rn(0x1000, 0x4000, NOINIT, 2)]);
    let range = t.table().isolate_range(0x2000, 0x1000).unwrap();
    assert_eq!(range, (1, 2));
    assert_eq!(
        t.live(),
        &[
            rn(0x1000, 0x1000, NOINIT, 2),
            rn(0x2000, 0x1000, NOINIT, 2),
            rn(0x3000, 0x2000, NOINIT, 2)
        ]
    );
    assert_eq!(t.total_size, 0x4000);

    // A range in a gap isolates nothing, a range across regions and gaps
    // only the regions.
    assert_eq!(
        t.table().isolate_range(0x8000, 0x1000),
        Err(RegionError::NoRoom {
            cnt: 3,
            max: 4,
            needed: 2
        })
    );
    t.double();
    assert_eq!(t.table().isolate_range(0x8000, 0x1000).unwrap(), (0, 0));
    assert_eq!(t.table().isolate_range(0, 0x2800).unwrap(), (0, 2));
    assert_eq!(t.cnt, 4);
    assert_eq!(t.regions[1], rn(0x2000, 0x800, NOINIT, 2));
    assert_eq!(t.regions[2], rn(0x2800, 0x800, NOINIT, 2));
    assert_eq!(t.table().isolate_range(0x1000, 0).unwrap(), (0, 0));
}

#[test]
fn mark_kern_splits_and_remerges() {
    let mut t = Type::<Numa>::new(4, &[r(0x1000, 0x4000, 0)]);
    t.setclr(0x2000, 0x1000, true, KERN);
    assert_eq!(
        t.live(),
        &[
            r(0x1000, 0x1000, 0),
            r(0x2000, 0x1000, KERN),
            r(0x3000, 0x2000, 0)
        ]
    );
    // Marking the rest, across a gap and beyond the last region, leaves the
    // unreserved parts unreserved and merges everything reserved.
    t.add(0x8000, 0x1000, MAX_NUMNODES, KERN);
    t.setclr(0, 0x10000, true, KERN);
    assert_eq!(
        t.live(),
        &[r(0x1000, 0x4000, KERN), r(0x8000, 0x1000, KERN)]
    );
    assert_eq!(t.total_size, 0x5000);
    // Clearing merges as well.
    t.setclr(0x1000, 0x4000, false, KERN);
    assert_eq!(t.live(), &[r(0x1000, 0x4000, 0), r(0x8000, 0x1000, KERN)]);
    assert_eq!(t.total_size, 0x5000);
    // Marking in a gap or with size 0 changes nothing.
    let before = t.clone();
    t.setclr(0x6000, 0x1000, true, KERN);
    t.setclr(0x1000, 0, true, KERN);
    assert_eq!(t, before);
}

#[test]
fn merge_regions_scans_from_start_minus_one() {
    let live = [r(0, 0x1000, 0), r(0x1000, 0x1000, 0), r(0x2000, 0x1000, 0)];
    let mut t = Type::<Numa>::new(4, &live);
    // [start - 1, end): only regions 1 and 2 may merge.
    t.table().merge_regions(2, 2).unwrap();
    assert_eq!(t.live(), &[r(0, 0x1000, 0), r(0x1000, 0x2000, 0)]);
    assert_eq!(t.regions[2], r(0x2000, 0x1000, 0));
    t.table().merge_regions(0, 5).unwrap();
    assert_eq!(t.live(), &[r(0, 0x3000, 0)]);
    // total_size is left alone by merging.
    assert_eq!(t.total_size, 0x3000);
}

#[test]
fn insert_region_checks_room_and_index() {
    let mut t = Type::<Numa>::new(2, &[r(0x1000, 0x1000, 0)]);
    assert_eq!(
        t.table().insert_region(3, 0, 1, 0, 0),
        Err(RegionError::BadIndex { idx: 3 })
    );
    t.table().insert_region(0, 0, 0x1000, 5, KERN).unwrap();
    assert_eq!(t.live(), &[rn(0, 0x1000, KERN, 5), r(0x1000, 0x1000, 0)]);
    assert_eq!(
        t.table().insert_region(0, 0, 1, 0, 0),
        Err(RegionError::NoRoom {
            cnt: 2,
            max: 2,
            needed: 1
        })
    );
}

#[test]
fn reserved_kern_size_respects_limit_and_node() {
    let live = [
        rn(0x1000, 0x1000, KERN, 0),
        rn(0x2000, 0x1000, 0, 0),
        rn(0x3000, 0x2000, KERN, 1),
        rn(0x8000, 0x1000, KERN | NOINIT, MAX_NUMNODES),
    ];
    let mut t = Type::<Numa>::new(8, &live);
    let table = t.table();
    assert_eq!(table.reserved_kern_size(PHYS_ADDR_MAX, NO_NODE), 0x4000);
    assert_eq!(
        table.reserved_kern_size(PHYS_ADDR_MAX, MAX_NUMNODES),
        0x4000
    );
    assert_eq!(table.reserved_kern_size(PHYS_ADDR_MAX, 0), 0x1000);
    assert_eq!(table.reserved_kern_size(PHYS_ADDR_MAX, 1), 0x2000);
    assert_eq!(table.reserved_kern_size(PHYS_ADDR_MAX, 2), 0);
    assert_eq!(table.reserved_kern_size(0x3800, NO_NODE), 0x1800);
    // A region starting at the limit counts with size 0.
    assert_eq!(table.reserved_kern_size(0x3000, NO_NODE), 0x1000);
    assert_eq!(table.reserved_kern_size(0, NO_NODE), 0);
    assert_eq!(table.reserved_kern_size(0x1800, i32::MIN), 0x800);
}

#[test]
fn flat_regions_have_no_node() {
    let mut t = Type::<Flat>::new(8, &[]);
    let f = |base, size, flags| Flat { base, size, flags };
    t.add(0x1000, 0x1000, 1, 0);
    // The node differs from what memblock_get_region_node() reports (0), but
    // without CONFIG_NUMA the C does not compare it.
    let w = t.add(0, 0x3000, 1, 0);
    assert_eq!(w, Warnings::default());
    assert_eq!(t.live(), &[f(0, 0x3000, 0)]);
    t.setclr(0x1000, 0x1000, true, KERN);
    assert_eq!(
        t.live(),
        &[
            f(0, 0x1000, 0),
            f(0x1000, 0x1000, KERN),
            f(0x2000, 0x1000, 0)
        ]
    );
    let table = t.table();
    assert_eq!(table.reserved_kern_size(PHYS_ADDR_MAX, 0), 0x1000);
    assert_eq!(table.reserved_kern_size(PHYS_ADDR_MAX, 1), 0x1000);
}

const UNITS: usize = 48;
const UNIT: u64 = 0x1000;

/// Expands a table into per-unit `(flags, nid)` coverage.
fn coverage(t: &Type<Numa>) -> Vec<Option<(u32, i32)>> {
    let mut cov = vec![None; UNITS];
    for rgn in t.live() {
        assert_eq!(rgn.base % UNIT, 0);
        assert_eq!(rgn.size % UNIT, 0);
        for u in rgn.base / UNIT..(rgn.base + rgn.size) / UNIT {
            assert!(cov[u as usize].is_none(), "overlap");
            cov[u as usize] = Some((rgn.flags, rgn.nid));
        }
    }
    cov
}

#[test]
fn random_ops_match_a_per_unit_model() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for _ in 0..300 {
        let mut t = Type::<Numa>::new(1 + rng.below(8) as usize, &[]);
        let mut model: Vec<Option<(u32, i32)>> = vec![None; UNITS];
        for _ in 0..60 {
            let base = rng.below(UNITS as u64);
            let len = rng.below(UNITS as u64 - base + 1);
            let flags = [0, KERN, NOINIT][rng.below(3) as usize];
            let nid = [0, 1, MAX_NUMNODES][rng.below(3) as usize];
            let (b, s) = (base * UNIT, len * UNIT);
            let range = base as usize..(base + len) as usize;
            match rng.below(3) {
                0 => {
                    let w = t.add(b, s, nid, flags);
                    let mismatches = w.flags_mismatch + w.nid_mismatch;
                    if mismatches == 0 {
                        assert_eq!(w, Warnings::default());
                    }
                    for u in &mut model[range] {
                        u.get_or_insert((flags, nid));
                    }
                }
                1 => {
                    t.setclr(b, s, true, KERN);
                    for (f, _) in model[range].iter_mut().flatten() {
                        *f |= KERN;
                    }
                }
                _ => {
                    t.setclr(b, s, false, KERN);
                    for (f, _) in model[range].iter_mut().flatten() {
                        *f &= !KERN;
                    }
                }
            }
            validate(&t.regions, t.cnt).unwrap();
            assert_eq!(coverage(&t), model);
            let sum: u64 = t.live().iter().map(|r| r.size).sum();
            assert_eq!(t.total_size, sum);
            // Every operation here merges: no two neighbours are compatible.
            for pair in t.live().windows(2) {
                assert!(
                    pair[0].base + pair[0].size != pair[1].base
                        || pair[0].flags != pair[1].flags
                        || pair[0].nid != pair[1].nid
                );
            }
            let limit = rng.below(UNITS as u64 + 1) * UNIT;
            let want: u64 = model[..(limit / UNIT) as usize]
                .iter()
                .flatten()
                .filter(|(f, _)| f & KERN != 0)
                .count() as u64
                * UNIT;
            assert_eq!(t.table().reserved_kern_size(limit, NO_NODE), want);
        }
    }
}

#[test]
fn extreme_inputs_never_panic() {
    let mut rng = Rng(0x0bad_cafe_f00d_0003);
    let pick = |rng: &mut Rng| match rng.below(6) {
        0 => 0,
        1 => PHYS_ADDR_MAX,
        2 => PHYS_ADDR_MAX - rng.below(0x3000),
        3 => rng.below(0x3000),
        4 => rng.next(),
        _ => 1 << rng.below(64),
    };
    for _ in 0..2000 {
        let mut t = Type::<Numa>::new(1 + rng.below(4) as usize, &[]);
        for _ in 0..20 {
            let (b, s) = (pick(&mut rng), pick(&mut rng));
            match rng.below(4) {
                0 => {
                    t.add(b, s, rng.next() as i32, rng.next() as u32);
                }
                1 => t.setclr(b, s, rng.below(2) == 0, rng.next() as u32),
                2 => {
                    let _ = t.table().reserved_kern_size(b, rng.next() as i32);
                }
                _ => {
                    let (lo, hi) = (rng.next() as usize % 8, rng.next() as usize % 8);
                    t.table().merge_regions(lo, hi).unwrap();
                }
            }
            validate(&t.regions, t.cnt).unwrap();
        }
        // Garbage tables: `Check::Full` refuses them; with `Check::Header`
        // every operation runs on them (as the C would) and may fail, but
        // never panics, loops or leaves `cnt` beyond `max`.
        let mut garbage: Vec<Numa> = (0..1 + rng.below(6))
            .map(|_| rn(pick(&mut rng), pick(&mut rng), rng.next() as u32, 0))
            .collect();
        let mut cnt = rng.below(8) as usize;
        let mut total = rng.next();
        let _ = validate(&garbage, cnt);
        for _ in 0..4 {
            let (b, s) = (pick(&mut rng), pick(&mut rng));
            let Ok(mut t) = RegionTable::new(&mut garbage, &mut cnt, &mut total, Check::Header)
            else {
                break;
            };
            match rng.below(4) {
                0 => {
                    let _ = t.add_range(b, s, rng.next() as i32, rng.next() as u32);
                }
                1 => {
                    if t.has_room(isolate_range_slots(b, s)) {
                        let _ = t.setclr_flag(b, s, rng.below(2) == 0, rng.next() as u32);
                    }
                }
                2 => {
                    let (lo, hi) = (rng.next() as usize % 8, rng.next() as usize % 8);
                    let _ = t.merge_regions(lo, hi);
                }
                _ => {
                    let _ = t.add_range_insert(b, s, rng.next() as i32, rng.next() as u32);
                }
            }
            assert!(cnt <= garbage.len());
            let _ = reserved_kern_size_checked(&garbage, cnt, b, -1, Check::Header);
        }
    }
}
