// SPDX-License-Identifier: GPL-2.0

//! Fuzz target (c): EFI memory maps of arbitrary bytes and stride through
//! the steps the kernel takes, on the C `drivers/firmware/efi/memmap_ranges.c`
//! (every `efi_mm_*` renamed `c_efi_mm_*`) and on the Rust
//! `efi_memmap_ranges.rs` through its C ABI (`memmap_ranges_rust.rs`):
//!
//! 1. `efi_mm_map_layout()` of the byte count and `desc_size` (any value,
//!    below a descriptor too);
//! 2. `efi_mm_sorted()`, `efi_mm_find_overlap()` of some descriptors,
//!    `efi_mm_desc_range()` of every one;
//! 3. `efi_mm_free_ranges()` of every boot services descriptor against a
//!    `memblock.reserved` snapshot from the input (sorted or not, kept
//!    entries, gaps), with a small output array so that the kernel's
//!    grow-and-retry runs;
//! 4. `efi_mm_compact()` dropping the descriptors freed whole, as
//!    `efi_free_boot_services()` does;
//! 5. `efi_mm_tail_pages()`.
//!
//! Both sides must agree exactly at every step (return values, every byte
//! of the compacted map, the predicate's calls).  Every range
//! `efi_mm_free_ranges()` returns must be page aligned, inside the region
//! and at or above the floor, sorted and disjoint, and lie entirely in
//! reserved entries not marked keep: never `MEMBLOCK_RSRV_KERN` (or other
//! flagged) memory, never memory that is not reserved at all.  Each side's
//! map ends right before a `PROT_NONE` page, so reading past the map
//! faults.

#![no_main]

use bootmem_fuzz::Input;
use libfuzzer_sys::fuzz_target;
use std::ffi::c_void;

use bootmem_host as _;

const PAGE: u64 = 4096;
const FLOOR: u64 = 1 << 20;
const MAX_MAP: usize = 8192;
const AREA: usize = MAX_MAP + 4096;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Range {
    start: u64,
    end: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Rsv {
    base: u64,
    size: u64,
    keep: bool,
}

type Keep = unsafe extern "C" fn(*const c_void, *mut c_void) -> bool;

macro_rules! both {
    ($($name:ident / $c:ident ($($a:ident: $t:ty),*) -> $r:ty;)*) => {
        extern "C" {
            $(fn $name($($a: $t),*) -> $r; fn $c($($a: $t),*) -> $r;)*
        }
    };
}

both! {
    efi_mm_map_layout / c_efi_mm_map_layout(map_size: usize, desc_size: usize, nr: *mut usize) -> bool;
    efi_mm_desc_range / c_efi_mm_desc_range(d: *const c_void, start: *mut u64, end: *mut u64) -> bool;
    efi_mm_find_overlap / c_efi_mm_find_overlap(map: *const c_void, nr: usize, ds: usize, idx: usize) -> isize;
    efi_mm_sorted / c_efi_mm_sorted(map: *const c_void, nr: usize, ds: usize) -> bool;
    efi_mm_compact / c_efi_mm_compact(map: *mut c_void, nr: usize, ds: usize, keep: Keep, ctx: *mut c_void) -> usize;
    efi_mm_free_ranges / c_efi_mm_free_ranges(start: u64, end: u64, rsv: *const Rsv, nr_rsv: usize,
        floor: u64, page_size: u64, out: *mut Range, max_out: usize, nr_out: *mut usize) -> u32;
    efi_mm_range_listed / c_efi_mm_range_listed(r: *const Range, n: usize, start: u64, end: u64) -> bool;
    efi_mm_tail_pages / c_efi_mm_tail_pages(map_phys: u64, used: u64, alloc: u64, page_size: u64,
        first: *mut u64) -> u64;
}

extern "C" {
    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn mprotect(addr: *mut u8, len: usize, prot: i32) -> i32;
}

fn area() -> *mut u8 {
    // SAFETY: A fresh private anonymous mapping whose last page is made
    // inaccessible.
    unsafe {
        let p = mmap(std::ptr::null_mut(), AREA, 3, 0x22, -1, 0);
        assert!(!p.is_null() && p as isize != -1, "mmap");
        assert_eq!(mprotect(p.add(MAX_MAP), 4096, 0), 0, "mprotect");
        p
    }
}

fn areas() -> (usize, usize) {
    use std::sync::OnceLock;
    static AREAS: OnceLock<(usize, usize)> = OnceLock::new();
    *AREAS.get_or_init(|| (area() as usize, area() as usize))
}

/// Both sides' copies of the map, each ending right before its guard page.
fn place(at: usize, bytes: &[u8]) -> &'static mut [u8] {
    // SAFETY: Our mapping has MAX_MAP writable bytes before the guard page,
    // and `bytes.len() <= MAX_MAP`.
    unsafe {
        let p = (at + MAX_MAP - bytes.len()) as *mut u8;
        let s = std::slice::from_raw_parts_mut(p, bytes.len());
        s.copy_from_slice(bytes);
        s
    }
}

/// The kernel's efi_md_keep(): drop boot services descriptors freed whole.
struct KeepCtx {
    freed: Vec<Range>,
    calls: Vec<(u32, u64)>,
    rust: bool,
}

unsafe extern "C" fn keep(desc: *const c_void, ctx: *mut c_void) -> bool {
    // SAFETY: `ctx` is the KeepCtx passed to efi_mm_compact(), `desc` a
    // descriptor of at least 40 bytes inside the map.
    let (k, ty, phys) = unsafe {
        let k = &mut *ctx.cast::<KeepCtx>();
        let d = desc.cast::<u8>();
        let ty = d.cast::<u32>().read_unaligned();
        let phys = d.add(8).cast::<u64>().read_unaligned();
        (k, ty, phys)
    };
    k.calls.push((ty, phys));
    if ty != 3 && ty != 4 {
        return true;
    }
    let (mut s, mut e) = (0, 0);
    // SAFETY: As above; the list is `freed`.
    unsafe {
        let ok = if k.rust {
            efi_mm_desc_range(desc, &mut s, &mut e)
        } else {
            c_efi_mm_desc_range(desc, &mut s, &mut e)
        };
        let listed = if k.rust {
            efi_mm_range_listed(k.freed.as_ptr(), k.freed.len(), s, e)
        } else {
            c_efi_mm_range_listed(k.freed.as_ptr(), k.freed.len(), s, e)
        };
        !(ok && listed)
    }
}

fn desc_u32(d: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes(d[off..off + 4].try_into().unwrap())
}

/// Every range of `out` must be page aligned, inside `[max(start, floor),
/// end)`, sorted and disjoint, and inside reserved entries not kept.
fn check_free(out: &[Range], start: u64, end: u64, rsv: &[Rsv]) {
    let lo = start.max(FLOOR);
    let mut prev = 0;
    for r in out {
        assert!(
            r.start % PAGE == 0 && r.end % PAGE == 0 && r.start < r.end,
            "free range {r:x?} not whole pages"
        );
        assert!(
            r.start >= lo && r.end <= end,
            "free range {r:x?} outside [{lo:#x}, {end:#x})"
        );
        assert!(
            r.start >= prev,
            "free ranges not sorted and disjoint: {out:x?}"
        );
        prev = r.end;
        // Covered by non-kept reservations, in order.
        let mut at = r.start;
        for x in rsv {
            let xe = x.base + x.size;
            if xe <= at || x.size == 0 {
                continue;
            }
            if x.base > at {
                break;
            }
            assert!(
                !x.keep,
                "free range {r:x?} frees kept (RSRV_KERN) [{:#x}+{:#x}]",
                x.base, x.size
            );
            at = xe;
            if at >= r.end {
                break;
            }
        }
        assert!(
            at >= r.end,
            "free range {r:x?} frees memory that is not reserved: {rsv:x?}"
        );
    }
}

/// `efi_mm_free_ranges()` as efi_record_free_ranges() drives it: retry with
/// more room until the ranges fit.
fn free_ranges(rust: bool, start: u64, end: u64, rsv: &[Rsv], cap0: usize) -> (u32, Vec<Range>) {
    let mut cap = cap0;
    loop {
        let mut out = vec![Range::default(); cap];
        let mut n = usize::MAX;
        // SAFETY: `rsv` and `out` hold what their counts say.
        let st = unsafe {
            let f = if rust {
                efi_mm_free_ranges
            } else {
                c_efi_mm_free_ranges
            };
            f(
                start,
                end,
                rsv.as_ptr(),
                rsv.len(),
                FLOOR,
                PAGE,
                out.as_mut_ptr(),
                cap,
                &mut n,
            )
        };
        if st != 0 || n <= cap {
            out.truncate(if st != 0 { 0 } else { n });
            return (st, out);
        }
        assert!(n < 1 << 20, "absurd range count {n}");
        cap = n;
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let ds = match inp.u8() % 8 {
        0 => 48,
        1 => 40,
        2 => 44,
        3 => 52,
        4 => 56,
        5 => 64,
        6 => inp.below(40) as usize,
        _ => 40 + inp.below(100) as usize,
    };
    let map_len = (inp.u8() as usize * 4 + inp.u8() as usize % 4).min(MAX_MAP);
    let bytes = inp.bytes(map_len).to_vec();
    let map_len = bytes.len();
    let (at_c, at_r) = areas();

    // 1. Layout.
    let (mut nc, mut nr) = (usize::MAX, usize::MAX);
    // SAFETY: Writes one usize each.
    let (wc, wr) = unsafe {
        (
            c_efi_mm_map_layout(map_len, ds, &mut nc),
            efi_mm_map_layout(map_len, ds, &mut nr),
        )
    };
    assert_eq!((wc, nc), (wr, nr), "map_layout({map_len}, {ds})");
    if ds < 40 || nr == 0 {
        return;
    }
    let n = nr;
    let mc = place(at_c, &bytes[..n * ds]);
    let mr = place(at_r, &bytes[..n * ds]);
    let (pc, pr) = (
        mc.as_mut_ptr().cast::<c_void>(),
        mr.as_mut_ptr().cast::<c_void>(),
    );

    // 2. Walks.
    // SAFETY: Each side's map holds `n` descriptors of stride `ds`.
    unsafe {
        assert_eq!(
            c_efi_mm_sorted(pc, n, ds),
            efi_mm_sorted(pr, n, ds),
            "sorted"
        );
        for idx in [0, n - 1, n, inp.below(n as u64 + 1) as usize] {
            assert_eq!(
                c_efi_mm_find_overlap(pc, n, ds, idx),
                efi_mm_find_overlap(pr, n, ds, idx),
                "find_overlap({idx}) of {n} descriptors"
            );
        }
    }
    let mut bs = Vec::new();
    for i in 0..n {
        let (mut s1, mut e1, mut s2, mut e2) = (0, 0, 0, 0);
        // SAFETY: Descriptor `i` of each map.
        let (a, b) = unsafe {
            (
                c_efi_mm_desc_range(pc.cast::<u8>().add(i * ds).cast(), &mut s1, &mut e1),
                efi_mm_desc_range(pr.cast::<u8>().add(i * ds).cast(), &mut s2, &mut e2),
            )
        };
        assert_eq!(
            (a, a.then_some((s1, e1))),
            (b, b.then_some((s2, e2))),
            "desc_range({i})"
        );
        let ty = desc_u32(&mc[i * ds..], 0);
        if a && (ty == 3 || ty == 4) {
            bs.push((s1, e1));
        }
    }

    // 3. Free ranges against a memblock.reserved snapshot.
    let mut rsv = Vec::new();
    let sorted = inp.u8() % 4 != 0;
    let mut at = bs
        .first()
        .map_or(0, |r| r.0.saturating_sub(inp.below(4) * PAGE));
    for _ in 0..inp.below(48) {
        let (base, size) = if sorted {
            let gap = match inp.u8() % 4 {
                0 => 0,
                1 => inp.below(4) * PAGE,
                2 => inp.below(PAGE),
                _ => inp.below(1 << 24),
            };
            let size = match inp.u8() % 4 {
                0 => (1 + inp.below(16)) * PAGE,
                1 => 1 + inp.below(3 * PAGE),
                2 => 0,
                _ => inp.below(1 << 26),
            };
            let base = at.saturating_add(gap);
            at = base.saturating_add(size);
            (base, size.min(u64::MAX - base))
        } else {
            (inp.u64(), inp.u64())
        };
        rsv.push(Rsv {
            base,
            size,
            keep: inp.u8() % 3 == 0,
        });
    }
    let cap = inp.below(4) as usize;
    let mut freed = Vec::new();
    for &(s, e) in &bs {
        let (sc, oc) = free_ranges(false, s, e, &rsv, cap);
        let (sr, or) = free_ranges(true, s, e, &rsv, cap);
        assert_eq!(
            (sc, &oc),
            (sr, &or),
            "free_ranges([{s:#x}, {e:#x})) against {rsv:x?}"
        );
        if sr == 0 {
            check_free(&or, s, e, &rsv);
        }
        freed.extend(or);
    }

    // 4. Compaction, as efi_free_boot_services() does it.
    let mut kc = KeepCtx {
        freed: freed.clone(),
        calls: Vec::new(),
        rust: false,
    };
    let mut kr = KeepCtx {
        freed,
        calls: Vec::new(),
        rust: true,
    };
    // SAFETY: Each side's own map and context.
    let (kept_c, kept_r) = unsafe {
        (
            c_efi_mm_compact(pc, n, ds, keep, (&raw mut kc).cast()),
            efi_mm_compact(pr, n, ds, keep, (&raw mut kr).cast()),
        )
    };
    assert_eq!(kept_c, kept_r, "compact: kept");
    assert_eq!(kc.calls, kr.calls, "compact: the predicate's calls");
    assert!(mc == mr, "compact: the maps differ");

    // 5. The tail of the map's allocation.
    let (phys, used, alloc) = (inp.u64(), inp.u64() % (1 << 20), inp.u64() % (1 << 21));
    let page = if inp.u8() % 4 == 0 { inp.u64() } else { PAGE };
    let (mut f1, mut f2) = (0, 0);
    // SAFETY: Writes one u64 each.
    unsafe {
        assert_eq!(
            (c_efi_mm_tail_pages(phys, used, alloc, page, &mut f1), f1),
            (efi_mm_tail_pages(phys, used, alloc, page, &mut f2), f2),
            "tail_pages({phys:#x}, {used:#x}, {alloc:#x}, {page:#x})"
        );
    }
});
