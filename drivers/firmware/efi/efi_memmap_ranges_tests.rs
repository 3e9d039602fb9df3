// SPDX-License-Identifier: GPL-2.0

//! Unit tests of `efi_memmap_ranges.rs` that run both on the host (`cargo
//! test` in `tools/testing/bootmem-host`) and in the kernel, as the KUnit
//! suite `rust_efi_memmap_ranges` (`efi_memmap_ranges_kunit.rs`,
//! `CONFIG_BOOTMEM_RS_RUST_KUNIT_TEST`).
//!
//! `core`-only: maps are built in fixed arrays.  The randomised checks and
//! the bit-exact comparison with `memmap_ranges.c` stay on the host
//! (`tools/testing/bootmem-host/tests`, `tools/testing/efi-memmap`).

#[cfg_attr(not(test), kernel::macros::kunit_tests(rust_efi_memmap_ranges))]
mod tests {
    use crate::efi_memmap_ranges::{
        free_ranges, freed_whole, map_layout, tail_pages, BadRsv, Desc, MapError, MemoryAttribute,
        MemoryMap, MemoryMapMut, MemoryType, Range, Rsv, DESC_SIZE_MIN,
    };

    const PG: u64 = 4096;
    const MB: u64 = 1 << 20;

    /// Writes descriptor `i` of a map with stride `ds` into `b`; the
    /// padding after the descriptor is left as it was.
    fn put(b: &mut [u8], ds: usize, i: usize, ty: u32, phys: u64, pages: u64, attr: u64) {
        let fields: [(usize, &[u8]); 6] = [
            (0, &ty.to_ne_bytes()),
            (4, &0u32.to_ne_bytes()),
            (8, &phys.to_ne_bytes()),
            (16, &0u64.to_ne_bytes()),
            (24, &pages.to_ne_bytes()),
            (32, &attr.to_ne_bytes()),
        ];
        for (off, bytes) in fields {
            let at = i * ds + off;
            if let Some(dst) = b.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
    }

    /// Descriptor 0 of `put()`'s map with a stride of a page: built at
    /// compile time, as 4 KiB is too much for the kernel stack.
    static PAGE_STRIDE: [u8; 4096] = {
        let mut b = [0xa5u8; 4096];
        b = put_const(b, 0, &0x7000_0001u32.to_ne_bytes());
        b = put_const(b, 4, &0u32.to_ne_bytes());
        b = put_const(b, 8, &0x12_3000u64.to_ne_bytes());
        b = put_const(b, 16, &0u64.to_ne_bytes());
        b = put_const(b, 24, &5u64.to_ne_bytes());
        put_const(b, 32, &((1u64 << 63) | 0xf).to_ne_bytes())
    };

    /// `bytes` written into `b` at `at`, for a constant.
    const fn put_const(mut b: [u8; 4096], at: usize, bytes: &[u8]) -> [u8; 4096] {
        let mut i = 0;
        while i < bytes.len() {
            b[at + i] = bytes[i];
            i += 1;
        }
        b
    }

    fn rsv(base: u64, size: u64, keep: bool) -> Rsv {
        Rsv { base, size, keep }
    }

    /// `free_ranges()` with room for 8 ranges, as `(start, end)` pairs;
    /// `n` is how many there are.
    fn ranges(
        start: u64,
        end: u64,
        r: &[Rsv],
        floor: u64,
    ) -> Result<([(u64, u64); 8], usize), BadRsv> {
        let mut out = [Range { start: 0, end: 0 }; 8];
        let n = free_ranges(start, end, r, floor, PG, &mut out)?;
        let mut pairs = [(0, 0); 8];
        for (p, o) in pairs.iter_mut().zip(out.iter()) {
            *p = (o.start, o.end);
        }
        Ok((pairs, n))
    }

    fn desc(ty: u32, phys: u64, pages: u64) -> Desc {
        Desc {
            ty: MemoryType(ty),
            phys_addr: phys,
            virt_addr: 0,
            num_pages: pages,
            attribute: MemoryAttribute(0xf),
        }
    }

    #[test]
    fn rust_efi_memmap_layout() {
        assert_eq!(map_layout(48 * 3, 48), (3, true));
        assert_eq!(map_layout(48 * 3 + 7, 48), (3, false));
        assert_eq!(map_layout(0, 48), (0, true));
        assert_eq!(map_layout(400, 39), (0, false));
        assert_eq!(map_layout(400, 0), (0, false));
        assert_eq!(map_layout(40, DESC_SIZE_MIN), (1, true));
    }

    #[test]
    fn rust_efi_memmap_views_check_their_invariant() {
        let b = [0u8; 48 * 4];
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
    fn rust_efi_memmap_desc_range() {
        let r = |d: Desc| d.range().map(|r| (r.start, r.end));
        assert_eq!(r(desc(4, 0x1000, 2)), Some((0x1000, 0x3000)));
        assert_eq!(r(desc(4, 0x1000, 0)), None);
        // Ends exactly at 2^64: does not fit.
        assert_eq!(r(desc(4, u64::MAX - 0xfff, 1)), None);
        assert_eq!(
            r(desc(4, u64::MAX - 0x1fff, 1)),
            Some((u64::MAX - 0x1fff, u64::MAX - 0xfff))
        );
        assert_eq!(r(desc(4, 0, u64::MAX)), None);
        assert_eq!(r(desc(4, 0, 1 << 52)), None);
        assert!(r(desc(4, 0, (1 << 52) - 1)).is_some());
    }

    #[test]
    fn rust_efi_memmap_any_stride_open_types() {
        for ds in [40usize, 48, 56, 64] {
            let mut b = [0xa5u8; 64];
            put(&mut b, ds, 0, 0x7000_0001, 0x12_3000, 5, (1 << 63) | 0xf);
            let d = MemoryMap::new(&b, ds, 1).ok().and_then(|m| m.get(0));
            assert_eq!(d.map(|d| d.ty), Some(MemoryType(0x7000_0001)));
            assert_eq!(d.map(|d| d.ty.is_boot_services()), Some(false));
            assert_eq!(
                d.map(|d| d.attribute.contains(MemoryAttribute::RUNTIME)),
                Some(true)
            );
            assert_eq!(d.map(|d| (d.phys_addr, d.num_pages)), Some((0x12_3000, 5)));
            assert_eq!(MemoryMap::new(&b, ds, 1).map(|m| m.get(1)), Ok(None));
        }
        // A page per descriptor.
        let m = MemoryMap::new(&PAGE_STRIDE, 4096, 1);
        let d = m.ok().and_then(|m| m.get(0));
        assert_eq!(d.map(|d| d.ty), Some(MemoryType(0x7000_0001)));
        assert_eq!(d.map(|d| d.ty.is_boot_services()), Some(false));
        assert_eq!(
            d.map(|d| d.attribute.contains(MemoryAttribute::RUNTIME)),
            Some(true)
        );
        assert_eq!(d.map(|d| (d.phys_addr, d.num_pages)), Some((0x12_3000, 5)));
        assert_eq!(m.map(|m| m.get(1)), Ok(None));
    }

    #[test]
    fn rust_efi_memmap_overlap_and_order() {
        let mut b = [0u8; 56 * 4];
        put(&mut b, 56, 0, 4, 0x10_0000, 16, 0);
        put(&mut b, 56, 1, 7, 0x20_0000, 16, 0);
        put(&mut b, 56, 2, 3, 0x10_f000, 2, 0);
        put(&mut b, 56, 3, 4, 0x30_0000, 0, 0);
        let m = MemoryMap::new(&b, 56, 4);
        assert_eq!(m.map(|m| m.find_overlap(0)), Ok(Some(2)));
        assert_eq!(m.map(|m| m.find_overlap(2)), Ok(Some(0)));
        assert_eq!(m.map(|m| m.find_overlap(1)), Ok(None));
        assert_eq!(m.map(|m| m.find_overlap(3)), Ok(None));
        assert_eq!(m.map(|m| m.find_overlap(9)), Ok(None));
        assert_eq!(m.map(|m| m.sorted()), Ok(false));
        assert_eq!(MemoryMap::new(&b, 56, 2).map(|m| m.sorted()), Ok(true));
    }

    #[test]
    fn rust_efi_memmap_compact_moves_whole_strides() {
        for ds in [48usize, 56, 64] {
            let mut b = [0u8; 64 * 4];
            for (i, ty) in [1u32, 4, 2, 3].into_iter().enumerate() {
                put(&mut b, ds, i, ty, 0x1000 * i as u64, 1, 0);
                // Mark the padding so that whole strides are seen to move.
                if let Some(p) = b.get_mut((i + 1) * ds - 1) {
                    *p = i as u8;
                }
            }
            let before = b;
            let mut seen = [0u32; 4];
            let mut n = 0;
            let kept = MemoryMapMut::new(&mut b[..4 * ds], ds, 4).map(|mut m| {
                let kept = m.compact(|d| {
                    let ty = d.first_chunk::<4>().map_or(0, |t| u32::from_ne_bytes(*t));
                    if let Some(s) = seen.get_mut(n) {
                        *s = ty;
                    }
                    n += 1;
                    ty != 4 && ty != 3
                });
                (kept, m.len())
            });
            assert_eq!(kept, Ok((2, 2)));
            assert_eq!(seen, [1, 4, 2, 3]);
            assert_eq!(b.get(ds - 1), Some(&0));
            assert_eq!(b.get(ds..ds + 4), Some(&2u32.to_ne_bytes()[..]));
            assert_eq!(b.get(2 * ds - 1), Some(&2));
            // The bytes after the last kept descriptor are left alone.
            assert_eq!(b.get(2 * ds..2 * ds + 4), Some(&2u32.to_ne_bytes()[..]));
            assert_eq!(b.get(2 * ds..), before.get(2 * ds..));
        }
    }

    #[test]
    fn rust_efi_memmap_free_ranges_leave_kept_and_unreserved() {
        let r = [
            rsv(0x10_0000, 0x4000, false),
            rsv(0x10_4000, 0x1000, true),
            rsv(0x10_5000, 0x3000, false),
            // gap 0x10_8000..0x10_9000: nobody's, not ours
            rsv(0x10_9000, 0x7000, false),
        ];
        let got = ranges(0x10_0000, 0x11_0000, &r, MB);
        assert_eq!(got.map(|(_, n)| n), Ok(3));
        assert_eq!(
            got.map(|(p, _)| [p[0], p[1], p[2]]),
            Ok([
                (0x10_0000, 0x10_4000),
                (0x10_5000, 0x10_8000),
                (0x10_9000, 0x11_0000)
            ])
        );
        // Adjacent reservations of ours are joined before rounding.
        let r = [rsv(0x10_0800, 0x800, false), rsv(0x10_1000, 0x1800, false)];
        assert_eq!(
            ranges(0x10_0000, 0x11_0000, &r, MB).map(|(p, n)| (n, p[0])),
            Ok((1, (0x10_1000, 0x10_2000)))
        );
        // Rounded inward: a sub-page piece frees nothing.
        let r = [rsv(0x10_0100, 0xe00, false)];
        assert_eq!(ranges(0x10_0000, 0x11_0000, &r, MB).map(|(_, n)| n), Ok(0));
    }

    #[test]
    fn rust_efi_memmap_free_ranges_floor() {
        let r = [rsv(0xf_0000, 0x2_0000, false)];
        assert_eq!(
            ranges(0xf_0000, 0x11_0000, &r, MB).map(|(p, n)| (n, p[0])),
            Ok((1, (MB, 0x11_0000)))
        );
        assert_eq!(ranges(0xf_0000, 0xf_8000, &r, MB).map(|(_, n)| n), Ok(0));
        // Clamped to the region.
        assert_eq!(
            ranges(0xf_8000, 0x10_8000, &r, 0).map(|(p, n)| (n, p[0])),
            Ok((1, (0xf_8000, 0x10_8000)))
        );
        // Start past end.
        assert_eq!(ranges(0x20_0000, 0x10_0000, &r, 0).map(|(_, n)| n), Ok(0));
    }

    #[test]
    fn rust_efi_memmap_free_ranges_refuse_broken_tables() {
        let unsorted = [rsv(0x2000, 0x1000, false), rsv(0x1000, 0x1000, false)];
        assert_eq!(ranges(0, u64::MAX, &unsorted, 0).err(), Some(BadRsv));
        let overlapping = [rsv(0x1000, 0x2000, false), rsv(0x2000, 0x1000, false)];
        assert_eq!(ranges(0, u64::MAX, &overlapping, 0).err(), Some(BadRsv));
        let wraps = [rsv(u64::MAX - 0xfff, 0x1001, false)];
        assert_eq!(ranges(0, u64::MAX, &wraps, 0).err(), Some(BadRsv));
        // An end at exactly 2^64 does not fit in 64 bits either (as in the C).
        let to_2_64 = [rsv(u64::MAX - 0x1fff, 0x2000, false)];
        assert_eq!(ranges(0, u64::MAX, &to_2_64, 0).err(), Some(BadRsv));
        // Just below: fine, and the last partial page is not freed.
        let below = [rsv(u64::MAX - 0x2fff, 0x2fff, false)];
        assert_eq!(
            ranges(u64::MAX - 0x2fff, u64::MAX, &below, 0).map(|(p, n)| (n, p[0])),
            Ok((1, (u64::MAX - 0x2fff, u64::MAX - 0xfff)))
        );
        let mut out = [Range { start: 0, end: 0 }; 4];
        let one = [rsv(0, 0x1000, false)];
        assert_eq!(
            free_ranges(0, 1 << 30, &one, 0, 3000, &mut out),
            Err(BadRsv)
        );
        assert_eq!(free_ranges(0, 1 << 30, &one, 0, 0, &mut out), Err(BadRsv));
        // More ranges than room: the count says how many there are.
        let mut many = [rsv(0, 0, false); 8];
        for (i, r) in many.iter_mut().enumerate() {
            *r = rsv(MB + i as u64 * 0x2000, 0x1000, false);
        }
        assert_eq!(free_ranges(MB, 2 * MB, &many, MB, PG, &mut out[..3]), Ok(8));
        assert_eq!((out[2].start, out[2].end), (MB + 0x4000, MB + 0x5000));
        assert_eq!(free_ranges(MB, 2 * MB, &many, MB, PG, &mut []), Ok(8));
    }

    #[test]
    fn rust_efi_memmap_tail_pages() {
        assert_eq!(tail_pages(0x1000, 0x800, 0x3000, PG), Some((0x2000, 2)));
        assert_eq!(tail_pages(0x1000, 0x1000, 0x3000, PG), Some((0x2000, 2)));
        assert_eq!(tail_pages(0x1000, 0x2001, 0x3000, PG), None);
        assert_eq!(tail_pages(0x1000, 0x3001, 0x3000, PG), None);
        assert_eq!(tail_pages(u64::MAX - 0xfff, 0, 0x2000, PG), None);
        assert_eq!(tail_pages(0x1000, 0, 0x3000, 3), None);
    }

    #[test]
    fn rust_efi_memmap_freed_whole() {
        let r = |start, end| Range { start, end };
        let freed = [
            r(MB, MB + 0x3000),
            r(2 * MB, 2 * MB + 0x1000),
            r(2 * MB + 0x2000, 2 * MB + 0x4000),
        ];
        assert!(freed_whole(&desc(4, MB, 3), &freed));
        assert!(freed_whole(&desc(3, MB, 3), &freed));
        // Another type over the same range: not ours to drop.
        assert!(!freed_whole(&desc(7, MB, 3), &freed));
        assert!(!freed_whole(&desc(2, MB, 3), &freed));
        // Freed in part: the start matches, the end does not; or two pieces.
        assert!(!freed_whole(&desc(4, MB, 4), &freed));
        assert!(!freed_whole(&desc(4, MB, 2), &freed));
        assert!(!freed_whole(&desc(4, 2 * MB, 4), &freed));
        assert!(!freed_whole(&desc(4, 2 * MB + 0x2000, 3), &freed));
        // No pages, or wrapping: never dropped.
        assert!(!freed_whole(&desc(4, MB, 0), &freed));
        assert!(!freed_whole(
            &desc(4, u64::MAX - 0xfff, 1),
            &[r(u64::MAX - 0xfff, u64::MAX)]
        ));
        assert!(!freed_whole(&desc(4, MB, 3), &[]));
    }
}
