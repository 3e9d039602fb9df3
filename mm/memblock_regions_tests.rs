// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `memblock_regions.rs` that run both on the host
//! (`cargo test` in `tools/testing/bootmem-host`) and in the kernel, as the
//! KUnit suite `rust_memblock_regions` (`memblock_regions_kunit.rs`,
//! `CONFIG_BOOTMEM_RS_RUST_KUNIT_TEST`), with the kernel's overflow checks.
//!
//! They are `core`-only (fixed arrays, no allocation) so that the same
//! source builds in both places: the array grows (`memblock_double_array()`)
//! by using more of a fixed array.  The expected states are those
//! `mm/memblock.c` produces, worked out from the C by hand, including the
//! stale entries its `memmove()`s leave behind `cnt` and how often it warns.
//! The randomised and growth tests stay on the host
//! (`tools/testing/bootmem-host/tests`); the exhaustive comparison with the
//! C is the host differential test `tools/testing/memblock-ab`.

#[cfg_attr(not(test), kernel::macros::kunit_tests(rust_memblock_regions))]
mod tests {
    use crate::memblock_regions::{
        cap_size, has_room, isolate_range_slots, reserved_kern_size_checked, validate, AddRange,
        Check, Region, RegionError, RegionTable, Warnings, MEMBLOCK_RSRV_KERN, PHYS_ADDR_MAX,
    };
    use core::fmt::{self, Write};

    const K: u32 = MEMBLOCK_RSRV_KERN;
    const NOINIT: u32 = 0x10;
    const MAX_NUMNODES: i32 = 16;
    const N: usize = 8;

    /// `struct memblock_region` with `CONFIG_NUMA`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    struct R {
        base: u64,
        size: u64,
        flags: u32,
        nid: i32,
    }

    impl Region for R {
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

    /// A region reserved as `memblock_reserve()` does (nid `MAX_NUMNODES`).
    const fn r(base: u64, size: u64, flags: u32) -> R {
        rn(base, size, flags, MAX_NUMNODES)
    }

    /// A region on node `nid`.
    const fn rn(base: u64, size: u64, flags: u32, nid: i32) -> R {
        R {
            base,
            size,
            flags,
            nid,
        }
    }

    /// An owned `struct memblock_type`: an array of `max` entries, the
    /// first `max` of `N`.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Type<T> {
        regions: [T; N],
        max: usize,
        cnt: usize,
        total_size: u64,
    }

    impl Type<R> {
        fn new(live: &[R]) -> Self {
            Self::with_max(N, live)
        }
    }

    impl<T: Region + Default> Type<T> {
        fn with_max(max: usize, live: &[T]) -> Self {
            let mut t = Type {
                regions: [T::default(); N],
                max,
                cnt: 0,
                total_size: 0,
            };
            for (slot, region) in t.regions.iter_mut().zip(live) {
                *slot = *region;
                t.cnt += 1;
                t.total_size += region.size();
            }
            t
        }

        fn table(&mut self) -> Result<RegionTable<'_, T>, RegionError> {
            self.table_checked(Check::Full)
        }

        fn table_checked(&mut self, check: Check) -> Result<RegionTable<'_, T>, RegionError> {
            RegionTable::new(
                self.regions.get_mut(..self.max).unwrap_or_default(),
                &mut self.cnt,
                &mut self.total_size,
                check,
            )
        }

        /// `memblock_double_array()`, within the `N` entries.
        fn grow(&mut self) {
            self.max = core::cmp::min(self.max * 2, N);
        }

        /// `memblock_add_range()` into an array with room to spare.
        fn add(&mut self, base: u64, size: u64, flags: u32) -> u32 {
            self.add_nid(base, size, MAX_NUMNODES, flags)
                .map_or(u32::MAX, |w| w.total())
        }

        /// `memblock_add_range()` on node `nid`: its warnings, or `None`
        /// if the array had to grow or the table was refused.
        fn add_nid(&mut self, base: u64, size: u64, nid: i32, flags: u32) -> Option<Warnings> {
            match self
                .table()
                .and_then(|mut t| t.add_range(base, size, nid, flags))
            {
                Ok(AddRange::Done(w)) => Some(w),
                _ => None,
            }
        }

        fn mark(&mut self, base: u64, size: u64) -> bool {
            self.setclr(base, size, true)
        }

        /// `memblock_setclr_flag()` of `MEMBLOCK_RSRV_KERN`.
        fn setclr(&mut self, base: u64, size: u64, set: bool) -> bool {
            self.table()
                .and_then(|mut t| t.setclr_flag(base, size, set, K))
                .is_ok()
        }

        fn live(&self) -> &[T] {
            self.regions.get(..self.cnt).unwrap_or(&[])
        }
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

    #[test]
    fn rust_memblock_cap_size() {
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
    fn rust_memblock_has_room() {
        assert!(has_room(126, 128, 2));
        assert!(!has_room(127, 128, 2));
        assert!(has_room(128, 128, 0));
        assert!(!has_room(usize::MAX, usize::MAX, 1));
    }

    #[test]
    fn rust_memblock_validate_refuses_bad_tables() {
        let ok = [r(0x1000, 0x1000, 0), r(0x3000, 0x1000, 0)];
        assert_eq!(validate(&ok, 2), Ok(()));
        let unsorted = [r(0x3000, 0x1000, 0), r(0x1000, 0x1000, 0)];
        assert!(validate(&unsorted, 2).is_err());
        let overlapping = [r(0x1000, 0x2000, 0), r(0x2000, 0x1000, 0)];
        assert!(validate(&overlapping, 2).is_err());
        let empty = [r(0x1000, 0, 0)];
        assert!(validate(&empty, 1).is_err());
        let wraps = [r(PHYS_ADDR_MAX - 0xfff, 0x2000, 0)];
        assert!(validate(&wraps, 1).is_err());
        assert!(validate(&ok, 3).is_err());
        // Which check refuses them.
        let ok = [r(0x1000, 0x1000, 0), r(0x2000, 0x1000, K), R::default()];
        assert_eq!(validate(&ok, 2), Ok(()));
        assert_eq!(validate(&ok, 3), Err(RegionError::EmptyRegion { idx: 2 }));
        assert_eq!(validate::<R>(&[], 0), Err(RegionError::NoArray));
        assert_eq!(
            validate(&ok, 4),
            Err(RegionError::CntAboveMax { cnt: 4, max: 3 })
        );
        let overlap = [r(0x1000, 0x1001, 0), r(0x2000, 0x1000, 0)];
        assert_eq!(validate(&overlap, 2), Err(RegionError::Unsorted { idx: 1 }));
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
        let no_room = RegionError::NoRoom {
            cnt: 3,
            max: 4,
            needed: 2,
        };
        assert_eq!(
            Text::of(&no_room).as_str(),
            "no room for 2 more regions (cnt 3, max 4)"
        );
    }

    #[test]
    fn rust_memblock_header_check_acts_like_the_c() {
        // An unsorted tail behind the range: the C never reads it, and
        // neither does the Rust with `Check::Header`; `Check::Full` refuses
        // the table untouched.
        let bogus = [
            r(0x1000, 0x1000, 0),
            r(0x8000, 0x1000, 0),
            r(0x6000, 0x1000, 0),
        ];
        let mut t = Type::new(&bogus);
        assert_eq!(
            t.table()
                .and_then(|mut t| t.setclr_flag(0x1000, 0x1000, true, K)),
            Err(RegionError::Unsorted { idx: 2 })
        );
        assert_eq!(t.live(), &bogus);
        assert_eq!(
            t.table_checked(Check::Header)
                .and_then(|mut t| t.setclr_flag(0x1000, 0x1000, true, K)),
            Ok(())
        );
        assert_eq!(
            t.live(),
            &[
                r(0x1000, 0x1000, K),
                r(0x8000, 0x1000, 0),
                r(0x6000, 0x1000, 0)
            ]
        );
        assert_eq!(
            reserved_kern_size_checked(&t.regions, t.cnt, PHYS_ADDR_MAX, -1, Check::Full),
            Err(RegionError::Unsorted { idx: 2 })
        );
        assert_eq!(
            reserved_kern_size_checked(&t.regions, t.cnt, PHYS_ADDR_MAX, -1, Check::Header),
            Ok(0x1000)
        );
        // The header is checked either way: `cnt` beyond `max`, no array.
        for check in [Check::Header, Check::Full] {
            let (mut cnt, mut total) = (N + 1, 0);
            assert_eq!(
                RegionTable::new(&mut t.regions, &mut cnt, &mut total, check).err(),
                Some(RegionError::CntAboveMax { cnt: N + 1, max: N })
            );
            assert_eq!(
                reserved_kern_size_checked::<R>(&[], 0, 0, -1, check),
                Err(RegionError::NoArray)
            );
        }
    }

    #[test]
    fn rust_memblock_reserve_kern_new_range() {
        let mut t = Type::new(&[]);
        assert_eq!(t.add(0x10000, 0x10000, K), 0);
        assert_eq!(t.live(), &[r(0x10000, 0x10000, K)]);
        assert_eq!(t.total_size, 0x10000);
        // The special case of the empty array takes the node too.
        let mut t = Type::new(&[]);
        assert_eq!(t.add_nid(0x1000, 0x2000, 3, K), Some(Warnings::default()));
        assert_eq!(t.live(), &[rn(0x1000, 0x2000, K, 3)]);
        assert_eq!(t.total_size, 0x2000);
        // A stale total_size draws the C's WARN_ON and is overwritten.
        let mut t = Type::new(&[]);
        t.total_size = 5;
        let w = t.add_nid(0x1000, 0x1000, 0, 0);
        assert_eq!(w.map(|w| w.empty_not_clean), Some(1));
        assert_eq!(w.map(|w| w.any()), Some(true));
        assert_eq!(t.total_size, 0x1000);
        assert_eq!(t.cnt, 1);
    }

    #[test]
    fn rust_memblock_zero_and_capped_sizes() {
        let mut t = Type::with_max(4, &[r(0x1000, 0x1000, 0)]);
        let before = t.clone();
        t.add(0x5000, 0, K);
        t.add(PHYS_ADDR_MAX, 0x1000, K);
        assert_eq!(t, before);
        // A range running past PHYS_ADDR_MAX ends at PHYS_ADDR_MAX.
        t.add(PHYS_ADDR_MAX - 0x1000, PHYS_ADDR_MAX, K);
        assert_eq!(
            t.live(),
            &[r(0x1000, 0x1000, 0), r(PHYS_ADDR_MAX - 0x1000, 0x1000, K)]
        );
        assert_eq!(t.total_size, 0x2000);
        // The largest possible range fills every gap.
        t.add(0, PHYS_ADDR_MAX, K);
        assert_eq!(
            t.live(),
            &[
                r(0, 0x1000, K),
                r(0x1000, 0x1000, 0),
                r(0x2000, PHYS_ADDR_MAX - 0x2000, K)
            ]
        );
        assert_eq!(t.total_size, PHYS_ADDR_MAX);
    }

    #[test]
    fn rust_memblock_no_merge_across_flags() {
        let mut t = Type::new(&[r(0x10000, 0x10000, 0)]);
        assert_eq!(t.add(0x20000, 0x10000, K), 0);
        assert_eq!(t.add(0x30000, 0x10000, K), 0);
        assert_eq!(t.live(), &[r(0x10000, 0x10000, 0), r(0x20000, 0x20000, K)]);
        assert_eq!(t.total_size, 0x30000);
        // Adjacent ranges merge only with the same flags and node.
        let mut t = Type::new(&[r(0x1000, 0x1000, 0)]);
        t.add(0x2000, 0x1000, 0);
        assert_eq!(t.live(), &[r(0x1000, 0x2000, 0)]);
        t.add(0x3000, 0x1000, K);
        assert_eq!(t.live(), &[r(0x1000, 0x2000, 0), r(0x3000, 0x1000, K)]);
        t.add_nid(0x4000, 0x1000, 2, K);
        assert_eq!(
            t.live(),
            &[
                r(0x1000, 0x2000, 0),
                r(0x3000, 0x1000, K),
                rn(0x4000, 0x1000, K, 2)
            ]
        );
        assert_eq!(t.total_size, 0x4000);
    }

    #[test]
    fn rust_memblock_reserve_kern_around_existing_warns() {
        // As the C KUnit case of the same name: one WARN_ON(flags != rgn->flags).
        let mut t = Type::new(&[r(0x14000, 0x4000, 0)]);
        assert_eq!(t.add(0x10000, 0x10000, K), 1);
        assert_eq!(
            t.live(),
            &[
                r(0x10000, 0x4000, K),
                r(0x14000, 0x4000, 0),
                r(0x18000, 0x8000, K)
            ]
        );
        // Across several regions (max 8: cnt * 2 + 1 = 7 fits, so the C
        // inserts in a single pass): gaps are found before region 0 (flags
        // differ), region 1 (same) and region 2 (nid differs).
        let mut t = Type::new(&[
            r(0x2000, 0x1000, 0),
            r(0x4000, 0x1000, K),
            rn(0x6000, 0x1000, K, 1),
        ]);
        assert_eq!(
            t.add_nid(0x1000, 0x7000, MAX_NUMNODES, K),
            Some(Warnings {
                nid_mismatch: 1,
                flags_mismatch: 1,
                empty_not_clean: 0
            })
        );
        assert_eq!(
            t.live(),
            &[
                r(0x1000, 0x1000, K),
                r(0x2000, 0x1000, 0),
                r(0x3000, 0x3000, K),
                rn(0x6000, 0x1000, K, 1),
                r(0x7000, 0x1000, K),
            ]
        );
        assert_eq!(t.total_size, 0x7000);
        // Each of the two merges moved the regions behind it down by one
        // and left the old last entry behind as a stale copy.
        assert_eq!(
            t.regions.get(5..),
            Some(&[r(0x7000, 0x1000, K), r(0x7000, 0x1000, K), R::default()][..])
        );
    }

    #[test]
    fn rust_memblock_mark_kern_splits_and_merges_back() {
        let mut t = Type::new(&[r(0x10000, 0x10000, 0)]);
        assert!(t.mark(0x14000, 0x4000));
        assert_eq!(
            t.live(),
            &[
                r(0x10000, 0x4000, 0),
                r(0x14000, 0x4000, K),
                r(0x18000, 0x8000, 0)
            ]
        );
        assert!(t.mark(0x10000, 0x10000));
        assert_eq!(t.live(), &[r(0x10000, 0x10000, K)]);
        assert_eq!(t.total_size, 0x10000);
        // Marking across a gap and beyond the last region leaves the
        // unreserved parts unreserved and merges everything reserved.
        let mut t = Type::new(&[r(0x1000, 0x4000, 0)]);
        assert!(t.mark(0x2000, 0x1000));
        assert_eq!(
            t.live(),
            &[
                r(0x1000, 0x1000, 0),
                r(0x2000, 0x1000, K),
                r(0x3000, 0x2000, 0)
            ]
        );
        t.add(0x8000, 0x1000, K);
        assert!(t.mark(0, 0x10000));
        assert_eq!(t.live(), &[r(0x1000, 0x4000, K), r(0x8000, 0x1000, K)]);
        assert_eq!(t.total_size, 0x5000);
        // Clearing merges as well.
        assert!(t.setclr(0x1000, 0x4000, false));
        assert_eq!(t.live(), &[r(0x1000, 0x4000, 0), r(0x8000, 0x1000, K)]);
        assert_eq!(t.total_size, 0x5000);
        // Marking in a gap or with size 0 changes nothing.
        let before = t.clone();
        assert!(t.mark(0x6000, 0x1000));
        assert!(t.mark(0x1000, 0));
        assert_eq!(t, before);
    }

    #[test]
    fn rust_memblock_mark_kern_keeps_other_flags() {
        let mut t = Type::new(&[r(0x10000, 0x10000, NOINIT), r(0x20000, 0x10000, 0)]);
        assert!(t.mark(0x10000, 0x20000));
        assert_eq!(
            t.live(),
            &[r(0x10000, 0x10000, K | NOINIT), r(0x20000, 0x10000, K)]
        );
    }

    #[test]
    fn rust_memblock_kern_size_limit_and_node() {
        let mut t = Type::new(&[
            R {
                nid: 0,
                ..r(0x10000, 0x10000, K)
            },
            R {
                nid: 1,
                ..r(0x30000, 0x10000, K)
            },
            R {
                nid: 1,
                ..r(0x50000, 0x10000, 0)
            },
        ]);
        let sizes = t.table().map(|t| {
            [
                t.reserved_kern_size(PHYS_ADDR_MAX, -1),
                t.reserved_kern_size(0x38000, -1),
                t.reserved_kern_size(PHYS_ADDR_MAX, 1),
                t.reserved_kern_size(0x8000, -1),
            ]
        });
        assert_eq!(sizes, Ok([0x20000, 0x18000, 0x10000, 0]));
        let mut t = Type::new(&[
            rn(0x1000, 0x1000, K, 0),
            rn(0x2000, 0x1000, 0, 0),
            rn(0x3000, 0x2000, K, 1),
            rn(0x8000, 0x1000, K | NOINIT, MAX_NUMNODES),
        ]);
        let sizes = t.table().map(|t| {
            [
                t.reserved_kern_size(PHYS_ADDR_MAX, -1),
                t.reserved_kern_size(PHYS_ADDR_MAX, MAX_NUMNODES),
                t.reserved_kern_size(PHYS_ADDR_MAX, 0),
                t.reserved_kern_size(PHYS_ADDR_MAX, 1),
                t.reserved_kern_size(PHYS_ADDR_MAX, 2),
                t.reserved_kern_size(0x3800, -1),
                // A region starting at the limit counts with size 0.
                t.reserved_kern_size(0x3000, -1),
                t.reserved_kern_size(0, -1),
                t.reserved_kern_size(0x1800, i32::MIN),
            ]
        });
        assert_eq!(
            sizes,
            Ok([0x4000, 0x4000, 0x1000, 0x2000, 0, 0x1800, 0x1000, 0, 0x800])
        );
    }

    #[test]
    fn rust_memblock_full_array_needs_slots() {
        let mut live = [R::default(); N];
        for (i, slot) in live.iter_mut().enumerate() {
            *slot = r(0x100000 * (i as u64 + 1), 0x1000, 0);
        }
        let mut t = Type::new(&live);
        let step = t
            .table()
            .and_then(|mut t| t.add_range(0x1000, 0x1000, MAX_NUMNODES, K));
        assert!(matches!(step, Ok(AddRange::NeedSlots { nr_new: 1, .. })));
        // Nothing changed.
        assert_eq!(t.live(), &live);

        // max 4: cnt * 2 + 1 = 5 > 4, so the C counts first.
        let live = [r(0x2000, 0x1000, 0), r(0x4000, 0x1000, 0)];
        let mut t = Type::with_max(4, &live);
        let step = t
            .table()
            .and_then(|mut t| t.add_range(0x1000, 0x5000, MAX_NUMNODES, 0));
        assert_eq!(
            step,
            Ok(AddRange::NeedSlots {
                nr_new: 3,
                warnings: Warnings::default()
            })
        );
        // The counting pass changed nothing.
        assert_eq!(t, Type::with_max(4, &live));
        // Without growing, the insertion refuses and changes nothing.
        assert_eq!(
            t.table()
                .and_then(|mut t| t.add_range_insert(0x1000, 0x5000, MAX_NUMNODES, 0)),
            Err(RegionError::NoRoom {
                cnt: 2,
                max: 4,
                needed: 3
            })
        );
        assert_eq!(t, Type::with_max(4, &live));
        t.grow();
        assert_eq!(
            t.table()
                .and_then(|mut t| t.add_range_insert(0x1000, 0x5000, MAX_NUMNODES, 0)),
            Ok(Warnings::default())
        );
        assert_eq!(t.live(), &[r(0x1000, 0x5000, 0)]);
        assert_eq!(t.total_size, 0x5000);
        assert_eq!(t.max, 8);

        // Counting pass with nothing to add: done without growing.
        let mut t = Type::with_max(2, &live);
        assert_eq!(
            t.table()
                .and_then(|mut t| t.add_range(0x2000, 0x800, MAX_NUMNODES, K)),
            Ok(AddRange::Done(Warnings::default()))
        );
        // A mismatch found by the counting pass is reported by both passes.
        let mut t = Type::with_max(4, &live);
        let w = t.add_nid(0x1000, 0x2000, MAX_NUMNODES, K);
        assert_eq!(w.map(|w| (w.flags_mismatch, w.total())), Some((2, 2)));
    }

    #[test]
    fn rust_memblock_isolate_splits_at_both_edges() {
        let mut t = Type::with_max(4, &[rn(0x1000, 0x4000, NOINIT, 2)]);
        assert_eq!(
            t.table().and_then(|mut t| t.isolate_range(0x2000, 0x1000)),
            Ok((1, 2))
        );
        assert_eq!(
            t.live(),
            &[
                rn(0x1000, 0x1000, NOINIT, 2),
                rn(0x2000, 0x1000, NOINIT, 2),
                rn(0x3000, 0x2000, NOINIT, 2)
            ]
        );
        assert_eq!(t.total_size, 0x4000);
        // A range in a gap isolates nothing, a range across regions and
        // gaps only the regions.
        assert_eq!(
            t.table().and_then(|mut t| t.isolate_range(0x8000, 0x1000)),
            Err(RegionError::NoRoom {
                cnt: 3,
                max: 4,
                needed: 2
            })
        );
        t.grow();
        assert_eq!(
            t.table().and_then(|mut t| t.isolate_range(0x8000, 0x1000)),
            Ok((0, 0))
        );
        assert_eq!(
            t.table().and_then(|mut t| t.isolate_range(0, 0x2800)),
            Ok((0, 2))
        );
        assert_eq!(t.cnt, 4);
        assert_eq!(
            t.regions.get(1..3),
            Some(&[rn(0x2000, 0x800, NOINIT, 2), rn(0x2800, 0x800, NOINIT, 2)][..])
        );
        assert_eq!(
            t.table().and_then(|mut t| t.isolate_range(0x1000, 0)),
            Ok((0, 0))
        );
    }

    #[test]
    fn rust_memblock_merge_regions_from_start_minus_one() {
        let live = [r(0, 0x1000, 0), r(0x1000, 0x1000, 0), r(0x2000, 0x1000, 0)];
        let mut t = Type::with_max(4, &live);
        // [start - 1, end): only regions 1 and 2 may merge.
        assert_eq!(t.table().and_then(|mut t| t.merge_regions(2, 2)), Ok(()));
        assert_eq!(t.live(), &[r(0, 0x1000, 0), r(0x1000, 0x2000, 0)]);
        assert_eq!(t.regions.get(2), Some(&r(0x2000, 0x1000, 0)));
        assert_eq!(t.table().and_then(|mut t| t.merge_regions(0, 5)), Ok(()));
        assert_eq!(t.live(), &[r(0, 0x3000, 0)]);
        // total_size is left alone by merging.
        assert_eq!(t.total_size, 0x3000);
    }

    #[test]
    fn rust_memblock_insert_region_checks_room_and_index() {
        let mut t = Type::with_max(2, &[r(0x1000, 0x1000, 0)]);
        assert_eq!(
            t.table().and_then(|mut t| t.insert_region(3, 0, 1, 0, 0)),
            Err(RegionError::BadIndex { idx: 3 })
        );
        assert_eq!(
            t.table()
                .and_then(|mut t| t.insert_region(0, 0, 0x1000, 5, K)),
            Ok(())
        );
        assert_eq!(t.live(), &[rn(0, 0x1000, K, 5), r(0x1000, 0x1000, 0)]);
        assert_eq!(
            t.table().and_then(|mut t| t.insert_region(0, 0, 1, 0, 0)),
            Err(RegionError::NoRoom {
                cnt: 2,
                max: 2,
                needed: 1
            })
        );
    }

    #[test]
    fn rust_memblock_flat_regions_have_no_node() {
        let f = |base, size, flags| Flat { base, size, flags };
        let mut t = Type::<Flat>::with_max(N, &[]);
        t.add_nid(0x1000, 0x1000, 1, 0);
        // The node differs from what memblock_get_region_node() reports
        // (0), but without CONFIG_NUMA the C does not compare it.
        assert_eq!(t.add_nid(0, 0x3000, 1, 0), Some(Warnings::default()));
        assert_eq!(t.live(), &[f(0, 0x3000, 0)]);
        assert!(t.mark(0x1000, 0x1000));
        assert_eq!(
            t.live(),
            &[f(0, 0x1000, 0), f(0x1000, 0x1000, K), f(0x2000, 0x1000, 0)]
        );
        let sizes = t.table().map(|t| {
            [
                t.reserved_kern_size(PHYS_ADDR_MAX, 0),
                t.reserved_kern_size(PHYS_ADDR_MAX, 1),
            ]
        });
        assert_eq!(sizes, Ok([0x1000, 0x1000]));
    }
}
