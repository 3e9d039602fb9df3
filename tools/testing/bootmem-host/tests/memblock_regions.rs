// SPDX-License-Identifier: GPL-2.0

//! Host-only tests of `mm/memblock_regions.rs`, the ones that need `std`:
//! growth by reallocating the array over many reservations, a randomised
//! test of the coverage semantics against a simple per-unit model, and
//! extreme inputs that must never panic.
//!
//! The hand-worked cases (the states `mm/memblock.c` produces, including
//! the stale entries its `memmove()`s leave behind `cnt`) are the shared
//! unit tests `mm/memblock_regions_tests.rs`, which also run in the kernel
//! as KUnit.  The bit-exact comparison with the C lives in
//! `tools/testing/memblock-ab`.

use bootmem_host::memblock_regions::{
    has_room, isolate_range_slots, reserved_kern_size_checked, validate, AddRange, Check, Region,
    RegionTable, Warnings, MEMBLOCK_RSRV_KERN, PHYS_ADDR_MAX,
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
