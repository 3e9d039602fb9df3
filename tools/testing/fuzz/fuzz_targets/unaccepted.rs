// SPDX-License-Identifier: GPL-2.0

//! Fuzz target (b): EFI unaccepted memory tables and sequences of
//! `accept_memory()`, `range_contains_unaccepted_memory()` and the kdump
//! `pfn_is_ram` callback, on the C `drivers/firmware/efi/unaccepted_memory.c`
//! and on the kernel's Rust glue `unaccepted_memory_rust.rs` (see
//! `c/build.sh`).  Each side has its own copy of the table, which ends
//! right before a `PROT_NONE` page: reading a word past the bitmap faults.
//!
//! Checked after every call:
//!
//! * every `arch_accept_memory()` is whole units inside the table, all
//!   still unaccepted (never a unit twice), with no lock held and irqs off
//!   (`c/unaccepted_support.c`); no lock is left held and the accepting
//!   list is empty afterwards;
//! * the Rust does what the C does: the same `arch_accept_memory()` calls,
//!   the same answers, the same bitmap (every word, the bits past the last
//!   unit included), except where `tools/testing/unaccepted-ab/expected-differences`
//!   says the C is wrong: E1 (the guard unit wraps the C's end to 0), E2
//!   (the C's query misses the last unit of an unaligned range) and E4 (the
//!   C's `pfn << PAGE_SHIFT` wraps); there the Rust is checked against the
//!   model of its documented behaviour instead, and the C's bitmap is
//!   resynchronised with the Rust's;
//! * headers the Rust rejects are exactly the bad ones (unit 0, below a
//!   page or not a multiple of it, `phys_base` not page aligned, end past
//!   2^64); with one, every call fails loudly (`panic()` via
//!   `efi_unaccepted_table_unusable()`, a counter here, once per call) and
//!   the Rust takes no lock, accepts nothing, finds nothing and calls every
//!   pfn RAM.  (The C does not validate, so it does not run on those.)
//!   Page-multiple units that are not powers of two are good tables,
//!   compared with the C.

#![no_main]

use bootmem_fuzz::Input;
use libfuzzer_sys::fuzz_target;

use unaccepted_ab_rs as _;

const PAGE: u64 = 4096;
const MAX_BYTES: u64 = 256;
const MAX_CALLS: usize = 16;
/// Bytes mapped per side: the largest table and a guard page.
const AREA: usize = 2 * 4096;

#[repr(C)]
struct Header {
    version: u32,
    unit_size: u32,
    phys_base: u64,
    size: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Accept {
    start: u64,
    end: u64,
}

extern "C" {
    static mut efi: usize;
    static mut fz_accept_log: [Accept; 4096];
    static mut fz_accept_n: u64;
    static mut fz_lock_takes: u64;
    static mut fz_panics: u64;
    fn fz_ua_reset();
    fn fz_ua_after() -> *const i8;
    fn fz_pfn_is_ram(rust: bool, pfn: u64) -> bool;

    fn ab_c_accept_memory(start: u64, size: u64);
    fn ab_c_range_contains_unaccepted_memory(start: u64, size: u64) -> bool;
    fn accept_memory(start: u64, size: u64);
    fn range_contains_unaccepted_memory(start: u64, size: u64) -> bool;
    fn ab_rs_table_error(hdr: *const Header) -> i32;
    fn ab_rs_drain_log(buf: *mut u8, cap: usize) -> usize;

    fn mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
    fn mprotect(addr: *mut u8, len: usize, prot: i32) -> i32;
}

const EFI_INVALID_TABLE_ADDR: usize = !0;

/// A table at the end of its own mapping, right before a guard page.
struct Table {
    hdr: *mut Header,
    words: usize,
}

fn area() -> *mut u8 {
    // SAFETY: A fresh private anonymous mapping whose last page is made
    // inaccessible.
    unsafe {
        let p = mmap(std::ptr::null_mut(), AREA, 3, 0x22, -1, 0);
        assert!(!p.is_null() && p as isize != -1, "mmap");
        assert_eq!(mprotect(p.add(AREA - 4096), 4096, 0), 0, "mprotect");
        p
    }
}

fn areas() -> (usize, usize) {
    use std::sync::OnceLock;
    static AREAS: OnceLock<(usize, usize)> = OnceLock::new();
    *AREAS.get_or_init(|| (area() as usize, area() as usize))
}

impl Table {
    fn new(at: usize, unit: u32, base: u64, size: u64, bits: &[u8]) -> Table {
        let words = size.div_ceil(8) as usize;
        let bytes = 24 + words * 8;
        let hdr = (at + AREA - 4096 - bytes) as *mut Header;
        // SAFETY: `bytes` bytes before the guard page of our mapping.
        unsafe {
            hdr.write(Header {
                version: 1,
                unit_size: unit,
                phys_base: base,
                size,
            });
            let bm = std::slice::from_raw_parts_mut(hdr.cast::<u8>().add(24), words * 8);
            for (k, b) in bm.iter_mut().enumerate() {
                *b = bits.get(k).copied().unwrap_or(0);
            }
        }
        Table { hdr, words }
    }

    fn bitmap(&self) -> &[u64] {
        // SAFETY: The words right after the header, in our mapping.
        unsafe { std::slice::from_raw_parts(self.hdr.cast::<u64>().add(3), self.words) }
    }

    fn bitmap_mut(&mut self) -> &mut [u64] {
        // SAFETY: As above; `&mut self` keeps other views away.
        unsafe { std::slice::from_raw_parts_mut(self.hdr.cast::<u64>().add(3), self.words) }
    }
}

#[derive(Debug, Clone, Copy)]
enum Call {
    Accept(u64, u64),
    Contains(u64, u64),
    PfnIsRam(u64),
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    answer: bool,
    accepted: Vec<Accept>,
}

fn check_after(who: &str, call: &Call) {
    // SAFETY: Plain C call returning a static string or NULL.
    let err = unsafe { fz_ua_after() };
    if !err.is_null() {
        // SAFETY: A NUL-terminated static string.
        let msg = unsafe { std::ffi::CStr::from_ptr(err) };
        panic!("{who}: {call:x?}: {}", msg.to_string_lossy());
    }
}

fn call(rust: bool, t: &Table, c: &Call) -> Outcome {
    // SAFETY: The C under test / the Rust glue on the side's own table,
    // single-threaded.
    let answer = unsafe {
        efi = t.hdr as usize;
        fz_ua_reset();
        let answer = match (*c, rust) {
            (Call::Accept(s, n), false) => {
                ab_c_accept_memory(s, n);
                false
            }
            (Call::Accept(s, n), true) => {
                accept_memory(s, n);
                false
            }
            (Call::Contains(s, n), false) => ab_c_range_contains_unaccepted_memory(s, n),
            (Call::Contains(s, n), true) => range_contains_unaccepted_memory(s, n),
            (Call::PfnIsRam(pfn), r) => fz_pfn_is_ram(r, pfn),
        };
        efi = EFI_INVALID_TABLE_ADDR;
        answer
    };
    check_after(if rust { "Rust" } else { "C" }, c);
    // SAFETY: Read after the call, single-threaded.
    let n = unsafe { fz_accept_n } as usize;
    assert!(n <= 4096, "too many arch_accept_memory() calls to compare");
    // SAFETY: The first `n` entries were written by arch_accept_memory().
    let accepted =
        unsafe { std::slice::from_raw_parts((&raw const fz_accept_log).cast::<Accept>(), n) }
            .to_vec();
    Outcome { answer, accepted }
}

/// The model of the Rust's query: any unit `[start, end)` touches, plus the
/// guard unit if `end` is on a unit boundary, set (offsets clamped to the
/// table; see unaccepted_memory_bitmap.rs).
/// The C's widening to whole pages (upstream 948a013a54c4): `PAGE_ALIGN()`
/// of the end, wrapping.
fn page_end(start: u64, size: u64) -> u64 {
    start.wrapping_add(size).wrapping_add(PAGE - 1) & !(PAGE - 1)
}

fn model_contains(t: &Table, unit: u64, base: u64, nbits: u64, start: u64, size: u64) -> bool {
    let end = page_end(start, size);
    let start = start & !(PAGE - 1);
    if end < base {
        return false;
    }
    let s = start.max(base) - base;
    let mut e = end - base;
    if e % unit == 0 {
        e = e.saturating_add(unit);
    }
    let e = e.min(nbits * unit);
    if s >= e {
        return false;
    }
    let bm = t.bitmap();
    (s / unit..e.div_ceil(unit)).any(|u| bm[(u / 64) as usize] >> (u % 64) & 1 != 0)
}

fn drain_log() -> String {
    let mut buf = vec![0u8; 4096];
    // SAFETY: `buf` holds `buf.len()` bytes.
    let len = unsafe { ab_rs_drain_log(buf.as_mut_ptr(), buf.len()) };
    String::from_utf8_lossy(&buf[..len.min(buf.len() - 1)]).into_owned()
}

fn addr(inp: &mut Input<'_>, unit: u64, base: u64, span: u64) -> u64 {
    let off = match inp.u8() % 6 {
        0 => 0,
        1 => 1,
        2 => unit - 1,
        3 => PAGE,
        4 => inp.below(unit),
        _ => unit - PAGE,
    };
    match inp.u8() % 8 {
        0..=3 => base
            .wrapping_add(inp.below(span / unit + 2) * unit)
            .wrapping_add(off),
        4 => base.wrapping_sub(inp.below(4) * unit).wrapping_sub(off),
        5 => u64::MAX - inp.below(4) * unit - off,
        6 => inp.u64(),
        _ => base.wrapping_add(span).wrapping_add(off),
    }
}

fn size(inp: &mut Input<'_>, unit: u64) -> u64 {
    match inp.u8() % 8 {
        0 => 0,
        1 => PAGE,
        2 => unit,
        3 => inp.below(16) * unit,
        4 => inp.below(16) * unit + 1,
        5 => (inp.below(16) * unit).wrapping_sub(1),
        6 => u64::MAX - inp.below(4),
        _ => inp.u64(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let (at_c, at_r) = areas();
    let kind = inp.u8();
    let shift = 12 + u32::from(inp.u8() % 19);
    // Powers of two, and (one in eight) page multiples that are not.
    let mut unit32 = if kind % 8 == 1 {
        4096 * (3 + 2 * u32::from(inp.u8()))
    } else {
        1u32 << shift
    };
    let unit = u64::from(unit32);
    let nbytes = inp.below(MAX_BYTES + 1);
    let span = nbytes * 8 * unit;
    let base = match inp.u8() % 5 {
        0 => 0,
        1 => inp.below(64) * unit,
        2 => (u64::MAX - span) / unit * unit - inp.below(3) * unit,
        _ => inp.below((u64::MAX - span) / unit) * unit,
    };
    let mut base_hdr = base;
    let mut size_hdr = nbytes;
    // One table in eight gets a header the C would misuse.
    let bad = kind % 8 == 0;
    if bad {
        match inp.u8() % 4 {
            0 => unit32 = inp.u64() as u32,
            1 => unit32 = 1 << (inp.u8() % 12),
            2 => base_hdr = base | (1 + inp.below(PAGE - 1)),
            _ => size_hdr = u64::MAX / (8 * unit) + 1 + inp.below(1 << 20),
        }
    }
    let bits = inp.bytes((nbytes.div_ceil(8) * 8) as usize).to_vec();
    let mut calls = Vec::new();
    while !inp.is_empty() && calls.len() < MAX_CALLS {
        calls.push(match inp.u8() % 3 {
            0 => Call::Accept(addr(&mut inp, unit, base, span), size(&mut inp, unit)),
            1 => Call::Contains(addr(&mut inp, unit, base, span), size(&mut inp, unit)),
            _ => Call::PfnIsRam(match inp.u8() % 3 {
                0 => addr(&mut inp, unit, base, span) >> 12,
                1 => u64::MAX - inp.below(1 << 16),
                _ => inp.u64(),
            }),
        });
    }
    drain_log();

    // What the Rust must think of the header.
    let u = u64::from(unit32);
    let expect_ok = u >= PAGE
        && u % PAGE == 0
        && base_hdr % PAGE == 0
        && size_hdr
            .checked_mul(8)
            .and_then(|b| b.checked_mul(u))
            .and_then(|s| base_hdr.checked_add(s))
            .is_some();
    if !expect_ok || bad {
        // The table is at most one page; a bad header's own size may be
        // huge, so the bitmap behind it is kept to what fits.
        let t = Table::new(at_r, unit32, base_hdr, size_hdr.min(MAX_BYTES), &bits);
        // SAFETY: `hdr` is readable.
        unsafe { (*t.hdr).size = size_hdr };
        // SAFETY: As above.
        let verdict = unsafe { ab_rs_table_error(t.hdr) };
        assert_eq!(
            verdict == 0,
            expect_ok,
            "header unit {unit32:#x} base {base_hdr:#x} size {size_hdr:#x}: Rust verdict {verdict}"
        );
        if expect_ok {
            return;
        }
        for c in &calls {
            // SAFETY: Single-threaded harness.
            unsafe { fz_panics = 0 };
            let out = call(true, &t, c);
            // SAFETY: Read after the call.
            let (takes, panics) = unsafe { (fz_lock_takes, fz_panics) };
            assert_eq!(panics, 1, "bad table: {c:x?} did not fail loudly once");
            let want = matches!(c, Call::PfnIsRam(_));
            assert!(
                takes == 0 && out.accepted.is_empty() && out.answer == want,
                "bad table (unit {unit32:#x} base {base_hdr:#x} size {size_hdr:#x}): {c:x?} -> {out:x?}, {takes} locks"
            );
        }
        drain_log();
        return;
    }

    let mut tc = Table::new(at_c, unit32, base, nbytes, &bits);
    let tr = Table::new(at_r, unit32, base, nbytes, &bits);
    let nbits = nbytes * 8;
    for c in &calls {
        // The cases of expected-differences, where the C is wrong.
        let end_off = |s: u64, n: u64| page_end(s, n).checked_sub(base);
        let e1 = |s: u64, n: u64| {
            end_off(s, n).is_some_and(|e| e % unit == 0 && e.checked_add(unit).is_none())
        };
        let e2 = |s: u64| {
            let s = s & !(PAGE - 1);
            s > base && (s - base) % unit != 0
        };
        let (skip_c, model) = match *c {
            Call::Accept(s, n) => (e1(s, n), None),
            Call::Contains(s, n) => (
                e1(s, n) || e2(s),
                Some(model_contains(&tr, unit, base, nbits, s, n)),
            ),
            Call::PfnIsRam(pfn) => match pfn.checked_mul(PAGE) {
                None => (true, Some(false)),
                Some(a) => (
                    e1(a, PAGE) || e2(a),
                    Some(model_contains(&tr, unit, base, nbits, a, PAGE)),
                ),
            },
        };
        let oc = call(false, &tc, c);
        let or = call(true, &tr, c);
        let log = drain_log();
        assert!(log.is_empty(), "Rust logged {log:?} for a good table");
        if let Some(m) = model {
            let want = if let Call::PfnIsRam(_) = c { !m } else { m };
            assert_eq!(
                or.answer, want,
                "Rust answer to {c:x?} (table unit {unit:#x} base {base:#x} bytes {nbytes})"
            );
        }
        if skip_c {
            let a = tr.bitmap().to_vec();
            tc.bitmap_mut().copy_from_slice(&a);
            continue;
        }
        assert_eq!(
            oc, or,
            "C and Rust differ on {c:x?} (table unit {unit:#x} base {base:#x} bytes {nbytes}); calls {calls:x?}"
        );
        assert!(
            tc.bitmap() == tr.bitmap(),
            "bitmaps differ after {c:x?} (table unit {unit:#x} base {base:#x} bytes {nbytes})"
        );
    }
});
