// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `unaccepted_memory_bitmap.rs` that run both on the host
//! (`cargo test` in `tools/testing/bootmem-host`) and in the kernel, as the
//! KUnit suite `rust_unaccepted_memory_bitmap`
//! (`unaccepted_memory_bitmap_kunit.rs`, `CONFIG_BOOTMEM_RS_RUST_KUNIT_TEST`).
//!
//! `core`-only: `accept()` below drives the pure API the way the glue's
//! `accept_memory()` does and records the `arch_accept_memory()` calls in a
//! fixed array.  The host's glue-level tests and the differential test
//! against the C are in `tools/testing/bootmem-host` and
//! `tools/testing/unaccepted-ab`.

#[cfg_attr(not(test), kernel::macros::kunit_tests(rust_unaccepted_memory_bitmap))]
mod tests {
    use crate::unaccepted_memory_bitmap::{AcceptRange, BitRange, TableError, UnacceptedTable};

    const PAGE: u64 = 4096;
    const M2: u64 = 2 << 20;
    const BASE: u64 = 1 << 32;

    /// `arch_accept_memory()` calls, at most 8.
    struct Calls {
        calls: [(u64, u64); 8],
        n: usize,
    }

    impl Calls {
        fn get(&self) -> &[(u64, u64)] {
            self.calls.get(..self.n).unwrap_or(&[])
        }
    }

    /// `accept_memory(start, size)` on `bitmap` (updated in place), as the
    /// glue runs it with no other CPU accepting.
    fn accept(t: &UnacceptedTable, bitmap: &mut [usize], start: u64, size: u64) -> Calls {
        let mut c = Calls {
            calls: [(0, 0); 8],
            n: 0,
        };
        let Some(range) = t.accept_memory_range(start, size) else {
            return c;
        };
        let mut from = range.start;
        while let Some(run) = t.next_set_bitrange(bitmap, from, &range) {
            if let Some(slot) = c.calls.get_mut(c.n) {
                *slot = (run.phys_start, run.phys_end);
                c.n += 1;
            }
            t.bitmap_clear(bitmap, &run);
            from = run.next_from();
        }
        c
    }

    fn unit(i: u64) -> u64 {
        BASE + i * M2
    }

    /// 64 units of 2 MiB at 4 GiB.
    fn table64() -> Option<UnacceptedTable> {
        UnacceptedTable::new(M2 as u32, BASE, 8, PAGE).ok()
    }

    #[test]
    fn rust_unaccepted_validation() {
        assert_eq!(
            UnacceptedTable::new(0, 0, 8, PAGE),
            Err(TableError::UnitSizeZero)
        );
        assert_eq!(
            UnacceptedTable::new(2048, 0, 8, PAGE),
            Err(TableError::UnitSizeBelowPage {
                unit_size: 2048,
                page_size: PAGE
            })
        );
        assert_eq!(
            UnacceptedTable::new(M2 as u32, PAGE + 8, 8, PAGE),
            Err(TableError::PhysBaseNotPageAligned {
                phys_base: PAGE + 8,
                page_size: PAGE
            })
        );
        assert_eq!(
            UnacceptedTable::new(1 << 30, 1 << 63, 1 << 30, PAGE),
            Err(TableError::BitmapEndOverflow {
                phys_base: 1 << 63,
                unit_size: 1 << 30,
                size: 1 << 30
            })
        );
        // What the C handles is taken: a page multiple that is not a power
        // of two, a phys_base that is page but not unit aligned.
        let t = UnacceptedTable::new(3 << 12, 0, 8, PAGE);
        assert_eq!(t.map(|t| t.bitmap_end()), Ok(64 * (3 << 12)));
        let t = UnacceptedTable::new(M2 as u32, BASE + PAGE, 7, PAGE);
        assert_eq!(t.map(|t| (t.nbits(), t.bitmap_words())), Ok((56, 1)));
    }

    #[test]
    fn rust_unaccepted_accept_edges() {
        let t = table64();
        assert!(t.is_some());
        let Some(t) = t else {
            return;
        };
        let mut bm = [usize::MAX];
        // Unit aligned end: the guard unit is accepted too.
        assert_eq!(
            accept(&t, &mut bm, unit(0), M2).get(),
            &[(unit(0), unit(2))]
        );
        assert_eq!(bm[0], !3);
        // Already accepted: nothing, but the next guard unit is new.
        assert_eq!(
            accept(&t, &mut bm, unit(0), 2 * M2).get(),
            &[(unit(2), unit(3))]
        );
        // Unaligned end: no guard unit.
        assert_eq!(
            accept(&t, &mut bm, unit(3) + 5, M2).get(),
            &[(unit(3), unit(5))]
        );
        // Ending inside unit 5's last page: widened to whole pages first,
        // so the guard unit is accepted (upstream 948a013a54c4).
        assert_eq!(
            accept(&t, &mut bm, unit(5) + 5, M2 - 10).get(),
            &[(unit(5), unit(7))]
        );
        // Size 0 accepts the unit holding start.
        assert_eq!(
            accept(&t, &mut bm, unit(8) + PAGE, 0).get(),
            &[(unit(8), unit(9))]
        );
        // Below the bitmap: ignored; across its end: clamped.
        assert_eq!(t.accept_memory_range(0, BASE - PAGE), None);
        assert_eq!(
            accept(&t, &mut bm, unit(62), 10 * M2).get(),
            &[(unit(62), unit(64))]
        );
        // Runs split at clear bits, one call each.
        bm[0] = usize::MAX & !(1 << 10 | 1 << 11 | 1 << 20);
        assert_eq!(
            accept(&t, &mut bm, unit(8), 16 * M2 - PAGE - 1).get(),
            &[
                (unit(8), unit(10)),
                (unit(12), unit(20)),
                (unit(21), unit(24))
            ]
        );
    }

    #[test]
    fn rust_unaccepted_accept_wrap() {
        let t = table64();
        assert!(t.is_some());
        let Some(t) = t else {
            return;
        };
        let mut bm = [usize::MAX];
        assert_eq!(
            t.accept_memory_range(unit(10), u64::MAX - M2),
            Some(AcceptRange { start: 10, end: 10 })
        );
        assert!(accept(&t, &mut bm, unit(10), u64::MAX - M2)
            .get()
            .is_empty());
        assert_eq!(t.accept_memory_range(u64::MAX - PAGE, 2 * PAGE), None);
    }

    #[test]
    fn rust_unaccepted_non_power_of_two_units() {
        let u = 3 * PAGE;
        let base = BASE + PAGE;
        let t = UnacceptedTable::new(u as u32, base, 8, PAGE);
        assert!(t.is_ok());
        let Ok(t) = t else {
            return;
        };
        let mut bm = [usize::MAX];
        assert_eq!(
            accept(&t, &mut bm, base + u, u).get(),
            &[(base + u, base + 3 * u)]
        );
        assert_eq!(bm[0], !6);
        assert_eq!(
            accept(&t, &mut bm, base + 4 * u + 100, u - 200).get(),
            &[(base + 4 * u, base + 6 * u)]
        );
        assert!(t.range_contains_unaccepted_memory(&bm, base + 2 * u, 2 * u));
        assert!(!t.range_contains_unaccepted_memory(&bm, base + u, PAGE));
    }

    #[test]
    fn rust_unaccepted_contains() {
        let t = table64();
        assert!(t.is_some());
        let Some(t) = t else {
            return;
        };
        let bm = [1usize << 1];
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(0), M2 - PAGE));
        assert!(t.range_contains_unaccepted_memory(&bm, unit(0), M2 - 1));
        assert!(t.range_contains_unaccepted_memory(&bm, unit(0), M2));
        assert!(t.range_contains_unaccepted_memory(&bm, unit(1), 0));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(2), M2 - 1));
        assert!(!t.range_contains_unaccepted_memory(&bm, 0, PAGE));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(64), M2));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(2), u64::MAX));
        let bm = [1usize << 63];
        assert!(t.pfn_is_unaccepted_memory(&bm, unit(63) >> 12, 12));
        assert!(!t.pfn_is_unaccepted_memory(&bm, unit(62) >> 12, 12));
        assert!(!t.pfn_is_unaccepted_memory(&bm, 1, 64));
    }

    #[test]
    fn rust_unaccepted_overlap() {
        let r = AcceptRange { start: 4, end: 8 };
        assert!(r.overlaps(&AcceptRange { start: 7, end: 9 }));
        assert!(r.overlaps(&AcceptRange { start: 0, end: 5 }));
        assert!(!r.overlaps(&AcceptRange { start: 8, end: 9 }));
        assert!(!r.overlaps(&AcceptRange { start: 0, end: 4 }));
        assert!(AcceptRange { start: 5, end: 5 }.overlaps(&r));
    }

    #[test]
    fn rust_unaccepted_bitmap_bounds() {
        // 16 units: the bits past nbits in the last word are never touched.
        let t = UnacceptedTable::new(PAGE as u32, 0, 2, PAGE);
        assert!(t.is_ok());
        let Ok(t) = t else {
            return;
        };
        let mut bm = [usize::MAX];
        assert_eq!(accept(&t, &mut bm, 0, 1 << 40).get(), &[(0, 16 * PAGE)]);
        assert_eq!(bm[0], usize::MAX << 16);
        // A foreign run past nbits only clears up to nbits.
        let t = UnacceptedTable::new(PAGE as u32, 0, 1, PAGE);
        assert!(t.is_ok());
        let Ok(t) = t else {
            return;
        };
        let mut bm = [usize::MAX];
        let run = BitRange {
            start: 4,
            end: u64::MAX,
            phys_start: 0,
            phys_end: 0,
        };
        t.bitmap_clear(&mut bm, &run);
        assert_eq!(bm[0], usize::MAX << 8 | 0xf);
        // A slice shorter than the table reads as accepted.
        assert!(!t.range_contains_unaccepted_memory(&[], 0, 1 << 40));
    }
}
