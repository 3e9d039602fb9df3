// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `memblock_regions.rs` that run both on the host
//! (`cargo test` in `tools/testing/bootmem-host`) and in the kernel, as the
//! KUnit suite `rust_memblock_regions` (`memblock_regions_kunit.rs`,
//! `CONFIG_BOOTMEM_RS_RUST_KUNIT_TEST`), with the kernel's overflow checks.
//!
//! They are `core`-only (fixed arrays, no allocation) so that the same
//! source builds in both places.  The expected states are those
//! `mm/memblock.c` produces; the exhaustive comparison with the C is the
//! host differential test `tools/testing/memblock-ab`.

#[cfg_attr(not(test), kernel::macros::kunit_tests(rust_memblock_regions))]
mod tests {
    use crate::memblock_regions::{
        cap_size, has_room, isolate_range_slots, reserved_kern_size_checked, validate, AddRange,
        Check, Region, RegionError, RegionTable, MEMBLOCK_RSRV_KERN, PHYS_ADDR_MAX,
    };

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

    /// A region reserved as `memblock_reserve()` does (nid `MAX_NUMNODES`).
    const fn r(base: u64, size: u64, flags: u32) -> R {
        R {
            base,
            size,
            flags,
            nid: MAX_NUMNODES,
        }
    }

    /// An owned `struct memblock_type` of `N` entries.
    struct Type {
        regions: [R; N],
        cnt: usize,
        total_size: u64,
    }

    impl Type {
        fn new(live: &[R]) -> Self {
            let mut t = Type {
                regions: [R::default(); N],
                cnt: 0,
                total_size: 0,
            };
            for (slot, region) in t.regions.iter_mut().zip(live) {
                *slot = *region;
                t.cnt += 1;
                t.total_size += region.size;
            }
            t
        }

        fn table(&mut self) -> Result<RegionTable<'_, R>, RegionError> {
            self.table_checked(Check::Full)
        }

        fn table_checked(&mut self, check: Check) -> Result<RegionTable<'_, R>, RegionError> {
            RegionTable::new(
                &mut self.regions,
                &mut self.cnt,
                &mut self.total_size,
                check,
            )
        }

        /// `memblock_add_range()` into an array with room to spare.
        fn add(&mut self, base: u64, size: u64, flags: u32) -> u32 {
            match self
                .table()
                .and_then(|mut t| t.add_range(base, size, MAX_NUMNODES, flags))
            {
                Ok(AddRange::Done(w)) => w.total(),
                _ => u32::MAX,
            }
        }

        fn mark(&mut self, base: u64, size: u64) -> bool {
            self.table()
                .and_then(|mut t| t.setclr_flag(base, size, true, K))
                .is_ok()
        }

        fn live(&self) -> &[R] {
            self.regions.get(..self.cnt).unwrap_or(&[])
        }
    }

    #[test]
    fn rust_memblock_cap_size() {
        assert_eq!(cap_size(0, PHYS_ADDR_MAX), PHYS_ADDR_MAX);
        assert_eq!(cap_size(0x1000, PHYS_ADDR_MAX), PHYS_ADDR_MAX - 0x1000);
        assert_eq!(cap_size(PHYS_ADDR_MAX - 10, 100), 10);
        assert_eq!(cap_size(PHYS_ADDR_MAX, 1), 0);
        assert_eq!(isolate_range_slots(PHYS_ADDR_MAX, 100), 0);
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
    }

    #[test]
    fn rust_memblock_no_merge_across_flags() {
        let mut t = Type::new(&[r(0x10000, 0x10000, 0)]);
        assert_eq!(t.add(0x20000, 0x10000, K), 0);
        assert_eq!(t.add(0x30000, 0x10000, K), 0);
        assert_eq!(t.live(), &[r(0x10000, 0x10000, 0), r(0x20000, 0x20000, K)]);
        assert_eq!(t.total_size, 0x30000);
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
    }
}
