// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `unaccepted_memory_bitmap.rs` that run both on the host
//! (`cargo test` in `tools/testing/bootmem-host`) and in the kernel, as the
//! KUnit suite `rust_unaccepted_memory_bitmap`
//! (`unaccepted_memory_bitmap_kunit.rs`, `CONFIG_BOOTMEM_RS_RUST_KUNIT_TEST`).
//!
//! `core`-only: `accept()` below drives the pure API the way the glue's
//! `accept_memory()` does and records the `arch_accept_memory()` calls in a
//! fixed array.  The host's glue-level tests (the fixed `accept()` cases
//! through the glue itself, and a randomised check against a per-unit
//! model) and the differential test against the C are in
//! `tools/testing/bootmem-host` and `tools/testing/unaccepted-ab`.

#[cfg_attr(not(test), kernel::macros::kunit_tests(rust_unaccepted_memory_bitmap))]
mod tests {
    use crate::unaccepted_memory_bitmap::{AcceptRange, BitRange, TableError, UnacceptedTable};
    use core::fmt::{self, Write};

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

    /// What `Display` writes, in a fixed buffer.
    struct Text {
        buf: [u8; 64],
        len: usize,
    }

    impl Write for Text {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
            let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
            dst.copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    impl Text {
        fn of(x: &impl fmt::Display) -> Self {
            let mut t = Text {
                buf: [0; 64],
                len: 0,
            };
            // Too long a text shows as cut short.
            let _ = write!(t, "{x}");
            t
        }

        fn as_str(&self) -> &str {
            self.buf
                .get(..self.len)
                .and_then(|b| core::str::from_utf8(b).ok())
                .unwrap_or("")
        }
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
            UnacceptedTable::new((3 << 12) + 512, 0, 8, PAGE),
            Err(TableError::UnitSizeNotPageMultiple {
                unit_size: (3 << 12) + 512,
                page_size: PAGE
            })
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
        assert_eq!(t.map(|t| t.unit_size()), Ok(3 << 12));
        let t = UnacceptedTable::new(M2 as u32, BASE + PAGE, 7, PAGE);
        assert_eq!(t.map(|t| (t.nbits(), t.bitmap_words())), Ok((56, 1)));
        let t = UnacceptedTable::new(M2 as u32, BASE + PAGE, 8, PAGE);
        assert_eq!(t.map(|t| t.bitmap_end()), Ok(BASE + PAGE + 64 * M2));
        // size * 8 overflows, size * 8 * unit overflows.
        for (base, size) in [(0, u64::MAX / 4), (0, 1 << 40)] {
            assert_eq!(
                UnacceptedTable::new(1 << 30, base, size, PAGE),
                Err(TableError::BitmapEndOverflow {
                    phys_base: base,
                    unit_size: 1 << 30,
                    size
                })
            );
        }
        // The largest span that fits: 2^64 - 8 units of 1 GiB at 0.
        let t = UnacceptedTable::new(1 << 30, 0, (1 << 31) - 1, PAGE);
        assert_eq!(
            t.map(|t| (t.bitmap_end(), t.bitmap_words())),
            Ok((u64::MAX - (8 << 30) + 1, 1 << 28))
        );
        // Bitmap sizes that are not a whole number of words round up.
        let t = UnacceptedTable::new(M2 as u32, BASE, 7, PAGE);
        assert_eq!(t.map(|t| (t.nbits(), t.bitmap_words())), Ok((56, 1)));
        let t = UnacceptedTable::new(M2 as u32, BASE, 0, PAGE);
        assert_eq!(
            t.map(|t| (t.nbits(), t.bitmap_words(), t.bitmap_end())),
            Ok((0, 0, BASE))
        );
        assert_eq!(
            Text::of(&TableError::UnitSizeZero).as_str(),
            "unit_size is 0"
        );
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
        // Size 0 accepts the unit holding start (aligned or not).
        assert_eq!(accept(&t, &mut bm, unit(7), 0).get(), &[(unit(7), unit(8))]);
        assert_eq!(
            accept(&t, &mut bm, unit(8) + PAGE, 0).get(),
            &[(unit(8), unit(9))]
        );
        // Below the bitmap: ignored.
        assert_eq!(t.accept_memory_range(0, BASE - PAGE), None);
        // A range ending exactly at phys_base accepts unit 0 as its guard;
        // so does one a byte short, once widened to whole pages.
        let mut bm = [usize::MAX];
        assert_eq!(
            t.accept_memory_range(0, BASE - 1),
            Some(AcceptRange { start: 0, end: 1 })
        );
        assert_eq!(accept(&t, &mut bm, 0, BASE).get(), &[(unit(0), unit(1))]);
        // Across the start and the end of the bitmap: clamped.
        assert_eq!(
            accept(&t, &mut bm, 0, BASE + 3 * M2).get(),
            &[(unit(1), unit(4))]
        );
        assert_eq!(
            accept(&t, &mut bm, unit(62), 10 * M2).get(),
            &[(unit(62), unit(64))]
        );
        // Beyond the bitmap: an empty (inverted) range.
        assert_eq!(
            t.accept_memory_range(unit(70), M2),
            Some(AcceptRange { start: 70, end: 64 })
        );
        assert!(accept(&t, &mut bm, unit(70), M2).get().is_empty());
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
        // The C's guard `end += unit_size` wraps to 0 here (phys_base 0,
        // end 2^64 - unit); the Rust saturates and clamps to the bitmap.
        let t = UnacceptedTable::new(M2 as u32, 0, 8, PAGE);
        assert!(t.is_ok());
        let Ok(t) = t else {
            return;
        };
        assert_eq!(
            t.accept_memory_range(0, 0u64.wrapping_sub(M2)),
            Some(AcceptRange { start: 0, end: 64 })
        );
        let mut bm = [usize::MAX];
        assert!(t.range_contains_unaccepted_memory(&bm, 0, 0u64.wrapping_sub(M2)));
        assert_eq!(
            accept(&t, &mut bm, 0, 0u64.wrapping_sub(M2)).get(),
            &[(0, 64 * M2)]
        );
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
        // Unit 1 only.
        let bm = [1usize << 1];
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(0), M2 - PAGE));
        // Ending inside unit 0's last page: the page is whole, so its end
        // is unit aligned and the guard unit (1) counts (948a013a54c4).
        assert!(t.range_contains_unaccepted_memory(&bm, unit(0), M2 - 1));
        assert!(t.range_contains_unaccepted_memory(&bm, unit(0) + 5, M2 - PAGE - 4));
        // Aligned end: the guard unit (1) counts.
        assert!(t.range_contains_unaccepted_memory(&bm, unit(0), M2));
        assert!(t.range_contains_unaccepted_memory(&bm, unit(1) + 7, 1));
        // Size 0 at unit 1, and a range ending exactly at unit 1's start.
        assert!(t.range_contains_unaccepted_memory(&bm, unit(1), 0));
        assert!(t.range_contains_unaccepted_memory(&bm, 0, unit(1)));
        assert!(!t.range_contains_unaccepted_memory(&bm, 0, unit(1) - PAGE));
        assert!(t.range_contains_unaccepted_memory(&bm, 0, unit(1) - 1));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(2), M2 - 1));
        // The C misses unit 1 here: it steps from offset 1.5 MiB to
        // 3.5 MiB, which is past the end 2.5 MiB, although [2 MiB, 2.5 MiB)
        // is in unit 1.
        assert!(t.range_contains_unaccepted_memory(&bm, unit(0) + M2 / 4 * 3, M2 / 2));
        // Below, beyond and wrapping.
        assert!(!t.range_contains_unaccepted_memory(&bm, 0, PAGE));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(64), M2));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(2), u64::MAX));
        // The last unit, with the guard clamped away.
        let bm = [1usize << 63];
        assert!(t.range_contains_unaccepted_memory(&bm, unit(63), M2));
        assert!(!t.range_contains_unaccepted_memory(&bm, unit(62), M2 - PAGE));
        assert!(t.range_contains_unaccepted_memory(&bm, unit(62), M2 - 1));
        // pfn form: page 0 of unit 63, a page overflowing 64 bits.
        assert!(t.pfn_is_unaccepted_memory(&bm, unit(63) >> 12, 12));
        assert!(!t.pfn_is_unaccepted_memory(&bm, unit(62) >> 12, 12));
        assert!(!t.pfn_is_unaccepted_memory(&bm, (unit(63) >> 12) | 1 << 60, 12));
        assert!(!t.pfn_is_unaccepted_memory(&bm, 1, 64));
    }

    #[test]
    fn rust_unaccepted_overlap() {
        let r = AcceptRange { start: 4, end: 8 };
        assert!(r.overlaps(&AcceptRange { start: 7, end: 9 }));
        assert!(r.overlaps(&AcceptRange { start: 0, end: 5 }));
        assert!(r.overlaps(&AcceptRange { start: 5, end: 6 }));
        assert!(!r.overlaps(&AcceptRange { start: 8, end: 9 }));
        assert!(!r.overlaps(&AcceptRange { start: 0, end: 4 }));
        // As in the C, an empty range inside a listed one still waits for it.
        assert!(AcceptRange { start: 5, end: 5 }.overlaps(&r));
        assert!(!AcceptRange { start: 9, end: 3 }.overlaps(&r));
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
        // A slice shorter than bitmap_words() reads as accepted.
        let t = UnacceptedTable::new(PAGE as u32, 0, 64, PAGE);
        assert!(t.is_ok());
        let Ok(t) = t else {
            return;
        };
        assert_eq!(t.bitmap_words(), 8);
        let range = t.accept_memory_range(0, 1 << 40);
        assert_eq!(range, Some(AcceptRange { start: 0, end: 512 }));
        let Some(range) = range else {
            return;
        };
        let mut short = [usize::MAX; 2];
        let run = t.next_set_bitrange(&short, range.start, &range);
        assert_eq!(
            run.map(|r| (r.start, r.end, r.phys_end)),
            Some((0, 128, 128 * PAGE))
        );
        let Some(run) = run else {
            return;
        };
        t.bitmap_clear(&mut short, &run);
        assert_eq!(short, [0, 0]);
        assert_eq!(t.next_set_bitrange(&short, run.next_from(), &range), None);
        assert!(!t.range_contains_unaccepted_memory(&short, 0, 1 << 40));
        assert_eq!(t.next_set_bitrange(&[], 0, &range), None);
        t.bitmap_clear(&mut [], &run);
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
        let all = AcceptRange {
            start: 0,
            end: u64::MAX,
        };
        assert_eq!(t.next_set_bitrange(&bm, 0, &all).map(|r| r.end), Some(4));
        assert_eq!(t.next_set_bitrange(&bm, 5, &all), None);
        assert_eq!(t.next_set_bitrange(&bm, u64::MAX, &all), None);
        // A slice shorter than the table reads as accepted.
        assert!(!t.range_contains_unaccepted_memory(&[], 0, 1 << 40));
        // Runs at bit 2^32 or longer than 2^31: no 32-bit truncation (the
        // C's bitmap_clear() would clear word 0 for the first, bit 0 for
        // the second).
        let t = UnacceptedTable::new(M2 as u32, 0, (1 << 29) + 16, PAGE);
        assert!(t.is_ok());
        let Ok(t) = t else {
            return;
        };
        let at = |start: u64, end: u64| BitRange {
            start,
            end,
            phys_start: 0,
            phys_end: 0,
        };
        let mut bm = [usize::MAX; 2];
        t.bitmap_clear(&mut bm, &at(1 << 32, (1 << 32) + 64));
        assert_eq!(bm, [usize::MAX; 2]);
        t.bitmap_clear(&mut bm, &at(1, (1 << 32) + 1));
        assert_eq!(bm, [1, 0]);
    }
}
