// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `drivers/firmware/efi/efi_memmap_ranges.rs`.
//!
//! Hand-worked cases for each function, the bad input the kernel may see
//! (short strides, overflowing descriptors, broken reserved tables), and a
//! randomised check of [`free_ranges`] against a per-page model.  The
//! bit-exact comparison with `memmap_ranges.c` is
//! `tools/testing/efi-memmap` (`diff`).

use bootmem_host::efi_memmap_ranges::{
    free_ranges, freed_whole, map_layout, tail_pages, BadRsv, Desc, MapError, MemoryAttribute,
    MemoryMap, MemoryMapMut, MemoryType, Range, Rsv, DESC_SIZE_MIN,
};

mod common;
use common::Rng;

const PG: u64 = 4096;
const MB: u64 = 1 << 20;

fn desc_bytes(ds: usize, ty: u32, phys: u64, pages: u64, attr: u64) -> Vec<u8> {
    let mut b = vec![0xa5u8; ds];
    b[0..4].copy_from_slice(&ty.to_ne_bytes());
    b[4..8].copy_from_slice(&0u32.to_ne_bytes());
    b[8..16].copy_from_slice(&phys.to_ne_bytes());
    b[16..24].copy_from_slice(&0u64.to_ne_bytes());
    b[24..32].copy_from_slice(&pages.to_ne_bytes());
    b[32..40].copy_from_slice(&attr.to_ne_bytes());
    b
}

fn map_of(ds: usize, descs: &[(u32, u64, u64)]) -> Vec<u8> {
    descs
        .iter()
        .flat_map(|&(t, p, n)| desc_bytes(ds, t, p, n, 0))
        .collect()
}

fn rsv(base: u64, size: u64, keep: bool) -> Rsv {
    Rsv { base, size, keep }
}

fn ranges(start: u64, end: u64, r: &[Rsv], floor: u64) -> Result<Vec<(u64, u64)>, BadRsv> {
    let mut out = [Range { start: 0, end: 0 }; 64];
    let n = free_ranges(start, end, r, floor, PG, &mut out)?;
    assert!(n <= out.len());
    Ok(out[..n].iter().map(|r| (r.start, r.end)).collect())
}

#[test]
fn layout_counts_whole_descriptors() {
    assert_eq!(map_layout(48 * 3, 48), (3, true));
    assert_eq!(map_layout(48 * 3 + 7, 48), (3, false));
    assert_eq!(map_layout(0, 48), (0, true));
    assert_eq!(map_layout(400, 39), (0, false));
    assert_eq!(map_layout(400, 0), (0, false));
    assert_eq!(map_layout(40, DESC_SIZE_MIN), (1, true));
}

#[test]
fn views_check_their_invariant() {
    let b = vec![0u8; 48 * 4];
    assert_eq!(
        MemoryMap::new(&b, 39, 1).err(),
        Some(MapError::StrideTooSmall)
    );
    assert_eq!(MemoryMap::new(&b, 48, 5).err(), Some(MapError::TooShort));
    assert_eq!(
        MemoryMap::new(&b, usize::MAX / 2, 3).err(),
        Some(MapError::TooShort)
    );
    assert_eq!(MemoryMap::new(&b, 48, 4).map(|m| m.len()), Ok(4));
    assert_eq!(MemoryMap::new(&b, 64, 3).map(|m| m.iter().count()), Ok(3));
}

#[test]
fn desc_range_refuses_empty_and_wrapping() {
    let d = |p, n| Desc {
        ty: MemoryType::BOOT_SERVICES_DATA,
        phys_addr: p,
        virt_addr: 0,
        num_pages: n,
        attribute: MemoryAttribute(0),
    };
    assert_eq!(
        d(0x1000, 2).range().map(|r| (r.start, r.end)),
        Some((0x1000, 0x3000))
    );
    assert!(d(0x1000, 0).range().is_none());
    // Ends exactly at 2^64: does not fit.
    assert!(d(u64::MAX - 0xfff, 1).range().is_none());
    assert_eq!(
        d(u64::MAX - 0x1fff, 1).range().map(|r| r.end),
        Some(u64::MAX - 0xfff)
    );
    assert!(d(0, u64::MAX).range().is_none());
    assert!(d(0, 1 << 52).range().is_none());
    assert!(d(0, (1 << 52) - 1).range().is_some());
}

#[test]
fn desc_decodes_with_any_stride_and_open_types() {
    for ds in [40, 48, 56, 64, 4096] {
        let b = desc_bytes(ds, 0x7000_0001, 0x12_3000, 5, (1 << 63) | 0xf);
        let m = MemoryMap::new(&b, ds, 1).unwrap();
        let d = m.get(0).unwrap();
        assert_eq!(d.ty, MemoryType(0x7000_0001));
        assert!(!d.ty.is_boot_services());
        assert!(d.attribute.contains(MemoryAttribute::RUNTIME));
        assert_eq!((d.phys_addr, d.num_pages), (0x12_3000, 5));
        assert!(m.get(1).is_none());
    }
}

#[test]
fn overlap_and_order() {
    let b = map_of(
        56,
        &[
            (4, 0x10_0000, 16),
            (7, 0x20_0000, 16),
            (3, 0x10_f000, 2), // overlaps 0 by one page
            (4, 0x30_0000, 0), // no pages: ignored
        ],
    );
    let m = MemoryMap::new(&b, 56, 4).unwrap();
    assert_eq!(m.find_overlap(0), Some(2));
    assert_eq!(m.find_overlap(2), Some(0));
    assert_eq!(m.find_overlap(1), None);
    assert_eq!(m.find_overlap(3), None);
    assert_eq!(m.find_overlap(9), None);
    assert!(!m.sorted());
    let m = MemoryMap::new(&b, 56, 2).unwrap();
    assert!(m.sorted());
}

#[test]
fn compact_moves_whole_strides_in_order() {
    for ds in [48usize, 56, 64] {
        let mut b = map_of(
            ds,
            &[(1, 0, 1), (4, 0x1000, 1), (2, 0x2000, 1), (3, 0x3000, 1)],
        );
        // Mark the padding bytes so that whole strides are seen to move.
        for (i, c) in b.chunks_mut(ds).enumerate() {
            c[ds - 1] = i as u8;
        }
        let tail = b[2 * ds..].to_vec();
        let mut seen = Vec::new();
        let mut m = MemoryMapMut::new(&mut b, ds, 4).unwrap();
        let kept = m.compact(|d| {
            let t = u32::from_ne_bytes(d[0..4].try_into().unwrap());
            seen.push(t);
            t != 4 && t != 3
        });
        assert_eq!(kept, 2);
        assert_eq!(m.len(), 2);
        assert_eq!(seen, [1, 4, 2, 3]);
        assert_eq!(b[ds - 1], 0);
        assert_eq!(&b[ds..ds + 4], &2u32.to_ne_bytes());
        assert_eq!(b[2 * ds - 1], 2);
        // The bytes after the last kept descriptor are left alone.
        assert_eq!(&b[2 * ds..], &tail[..]);
    }
}

#[test]
fn free_ranges_leave_kept_and_unreserved_memory() {
    let r = [
        rsv(0x10_0000, 0x4000, false),
        rsv(0x10_4000, 0x1000, true),
        rsv(0x10_5000, 0x3000, false),
        // gap 0x10_8000..0x10_9000: nobody's, not ours
        rsv(0x10_9000, 0x7000, false),
    ];
    assert_eq!(
        ranges(0x10_0000, 0x11_0000, &r, MB),
        Ok(vec![
            (0x10_0000, 0x10_4000),
            (0x10_5000, 0x10_8000),
            (0x10_9000, 0x11_0000)
        ])
    );
    // Adjacent reservations of ours are joined before rounding.
    let r = [rsv(0x10_0800, 0x800, false), rsv(0x10_1000, 0x1800, false)];
    assert_eq!(
        ranges(0x10_0000, 0x11_0000, &r, MB),
        Ok(vec![(0x10_1000, 0x10_2000)])
    );
    // Rounded inward: a sub-page piece frees nothing.
    let r = [rsv(0x10_0100, 0xe00, false)];
    assert_eq!(ranges(0x10_0000, 0x11_0000, &r, MB), Ok(vec![]));
}

#[test]
fn free_ranges_floor_and_clamp() {
    let r = [rsv(0xf_0000, 0x2_0000, false)];
    assert_eq!(
        ranges(0xf_0000, 0x11_0000, &r, MB),
        Ok(vec![(MB, 0x11_0000)])
    );
    assert_eq!(ranges(0xf_0000, 0xf_8000, &r, MB), Ok(vec![]));
    assert_eq!(
        ranges(0xf_8000, 0x10_8000, &r, 0),
        Ok(vec![(0xf_8000, 0x10_8000)])
    );
    // Start past end.
    assert_eq!(ranges(0x20_0000, 0x10_0000, &r, 0), Ok(vec![]));
}

#[test]
fn free_ranges_refuse_broken_tables() {
    assert_eq!(
        ranges(
            0,
            u64::MAX,
            &[rsv(0x2000, 0x1000, false), rsv(0x1000, 0x1000, false)],
            0
        ),
        Err(BadRsv)
    );
    assert_eq!(
        ranges(
            0,
            u64::MAX,
            &[rsv(0x1000, 0x2000, false), rsv(0x2000, 0x1000, false)],
            0
        ),
        Err(BadRsv)
    );
    assert_eq!(
        ranges(0, u64::MAX, &[rsv(u64::MAX - 0xfff, 0x1001, false)], 0),
        Err(BadRsv)
    );
    let mut out = [Range { start: 0, end: 0 }; 4];
    assert_eq!(
        free_ranges(0, 1 << 30, &[rsv(0, 0x1000, false)], 0, 3000, &mut out),
        Err(BadRsv)
    );
    assert_eq!(
        free_ranges(0, 1 << 30, &[rsv(0, 0x1000, false)], 0, 0, &mut out),
        Err(BadRsv)
    );
    // An end at exactly 2^64 does not fit in 64 bits either (as in the C).
    assert_eq!(
        ranges(0, u64::MAX, &[rsv(u64::MAX - 0x1fff, 0x2000, false)], 0),
        Err(BadRsv)
    );
    // Just below: fine, and the last partial page is not freed.
    assert_eq!(
        ranges(
            u64::MAX - 0x2fff,
            u64::MAX,
            &[rsv(u64::MAX - 0x2fff, 0x2fff, false)],
            0
        ),
        Ok(vec![(u64::MAX - 0x2fff, u64::MAX - 0xfff)])
    );
}

#[test]
fn free_ranges_count_past_capacity() {
    let r: Vec<Rsv> = (0..8)
        .map(|i| rsv(MB + i * 0x2000, 0x1000, false))
        .collect();
    let mut out = [Range { start: 0, end: 0 }; 3];
    assert_eq!(free_ranges(MB, 2 * MB, &r, MB, PG, &mut out), Ok(8));
    assert_eq!((out[2].start, out[2].end), (MB + 0x4000, MB + 0x5000));
    assert_eq!(free_ranges(MB, 2 * MB, &r, MB, PG, &mut []), Ok(8));
}

#[test]
fn tail_pages_whole_pages_only() {
    assert_eq!(tail_pages(0x1000, 0x800, 0x3000, PG), Some((0x2000, 2)));
    assert_eq!(tail_pages(0x1000, 0x1000, 0x3000, PG), Some((0x2000, 2)));
    assert_eq!(tail_pages(0x1000, 0x2001, 0x3000, PG), None);
    assert_eq!(tail_pages(0x1000, 0x3001, 0x3000, PG), None);
    assert_eq!(tail_pages(u64::MAX - 0xfff, 0, 0x2000, PG), None);
    assert_eq!(tail_pages(0x1000, 0, 0x3000, 3), None);
}

/// A page of `[lo, lo + 64 pages)` is freed iff every byte of it is in the
/// region, at or above the floor, and in a reservation not marked keep.
#[test]
fn free_ranges_random_against_page_model() {
    let mut rng = Rng(0x5eed_ef10_u64 ^ 0x1234_5678);
    const UNIT: u64 = 256;
    const UNITS: u64 = 64 * PG / UNIT;
    for _ in 0..20000 {
        let lo = match rng.below(3) {
            0 => 0,
            1 => 1 << 32,
            _ => 0u64.wrapping_sub(2 * 64 * PG),
        };
        let mut r = Vec::new();
        let mut pos = rng.below(8);
        while r.len() < 24 && pos < UNITS {
            let len = (1 + rng.below(40)).min(UNITS - pos);
            r.push(rsv(lo + pos * UNIT, len * UNIT, rng.below(3) == 0));
            pos += len + if rng.below(3) > 0 { 0 } else { rng.below(20) };
        }
        let s = rng.below(UNITS);
        let e = s + rng.below(UNITS - s + 1);
        let floor = if rng.below(2) == 0 {
            0
        } else {
            rng.below(UNITS)
        };
        let mut free = vec![false; UNITS as usize];
        for x in &r {
            let a = (x.base - lo) / UNIT;
            for u in a..a + x.size / UNIT {
                free[u as usize] = !x.keep && u >= s && u < e && u >= floor;
            }
        }
        let per = (PG / UNIT) as usize;
        let mut want: Vec<(u64, u64)> = Vec::new();
        for p in 0..64usize {
            if !free[p * per..(p + 1) * per].iter().all(|&f| f) {
                continue;
            }
            let a = lo + p as u64 * PG;
            match want.last_mut() {
                Some(w) if w.1 == a => w.1 += PG,
                _ => want.push((a, a + PG)),
            }
        }
        let got = ranges(lo + s * UNIT, lo + e * UNIT, &r, lo + floor * UNIT);
        assert_eq!(got, Ok(want));
    }
}

/// Only boot services regions freed exactly and entirely are dropped; a
/// region freed in part (what the kernel keeps, e.g. a BGRT image, must
/// stay described for kexec), another type, or an invalid descriptor stays.
#[test]
fn freed_whole_only_exact_boot_services_ranges() {
    let d = |ty, phys, pages| Desc {
        ty: MemoryType(ty),
        phys_addr: phys,
        virt_addr: 0,
        num_pages: pages,
        attribute: MemoryAttribute(0xf),
    };
    let r = |start, end| Range { start, end };
    let freed = [
        r(MB, MB + 0x3000),
        r(2 * MB, 2 * MB + 0x1000),
        r(2 * MB + 0x2000, 2 * MB + 0x4000),
    ];
    assert!(freed_whole(&d(4, MB, 3), &freed));
    assert!(freed_whole(&d(3, MB, 3), &freed));
    // Another type over the same range: not ours to drop.
    assert!(!freed_whole(&d(7, MB, 3), &freed));
    assert!(!freed_whole(&d(2, MB, 3), &freed));
    // Freed in part: the start matches, the end does not; or two pieces.
    assert!(!freed_whole(&d(4, MB, 4), &freed));
    assert!(!freed_whole(&d(4, MB, 2), &freed));
    assert!(!freed_whole(&d(4, 2 * MB, 4), &freed));
    assert!(!freed_whole(&d(4, 2 * MB + 0x2000, 3), &freed));
    // No pages, or wrapping: never dropped.
    assert!(!freed_whole(&d(4, MB, 0), &freed));
    assert!(!freed_whole(
        &d(4, u64::MAX - 0xfff, 1),
        &[r(u64::MAX - 0xfff, u64::MAX)]
    ));
    assert!(!freed_whole(&d(4, MB, 3), &[]));
}
