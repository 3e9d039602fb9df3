// SPDX-License-Identifier: GPL-2.0

//! Host-only tests of `drivers/firmware/efi/efi_memmap_ranges.rs`: a
//! randomised check of [`free_ranges`] against a per-page model.
//!
//! The hand-worked cases for each function and the bad input the kernel
//! may see (short strides, overflowing descriptors, broken reserved tables)
//! are the shared unit tests
//! `drivers/firmware/efi/efi_memmap_ranges_tests.rs`, which also run in the
//! kernel as KUnit.  The bit-exact comparison with `memmap_ranges.c` is
//! `tools/testing/efi-memmap` (`diff`).

use bootmem_host::efi_memmap_ranges::{free_ranges, BadRsv, Range, Rsv};

mod common;
use common::Rng;

const PG: u64 = 4096;

fn rsv(base: u64, size: u64, keep: bool) -> Rsv {
    Rsv { base, size, keep }
}

fn ranges(start: u64, end: u64, r: &[Rsv], floor: u64) -> Result<Vec<(u64, u64)>, BadRsv> {
    let mut out = [Range { start: 0, end: 0 }; 64];
    let n = free_ranges(start, end, r, floor, PG, &mut out)?;
    assert!(n <= out.len());
    Ok(out[..n].iter().map(|r| (r.start, r.end)).collect())
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
