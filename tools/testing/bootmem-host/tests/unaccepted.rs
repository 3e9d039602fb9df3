// SPDX-License-Identifier: GPL-2.0

//! Host-only tests of the kernel glue
//! `drivers/firmware/efi/unaccepted_memory_rust.rs`, for everything
//! `accept_memory()` does, and of
//! `drivers/firmware/efi/unaccepted_memory_bitmap.rs` through it.
//!
//! Requests are accepted by the glue (built for the host by
//! `tools/testing/unaccepted-ab/rust`, against its stand-in `kernel`
//! crate), whose C symbols [`c_side`] provides here in Rust, checking the
//! lock, the interrupt state and the accepting list on every call.  The
//! fixed cases, worked out by hand from the 6.12
//! `drivers/firmware/efi/unaccepted_memory.c`, are only the `accept()`
//! calls through the glue and a table the glue must refuse; a randomised
//! test checks the runs and the query against a per-unit model.  The cases
//! of the pure API (validation, the query, the ranges, bitmap bounds) are
//! the shared unit tests
//! `drivers/firmware/efi/unaccepted_memory_bitmap_tests.rs`, which also run
//! in the kernel as KUnit.  The bit-exact comparison with the C itself,
//! with the real C helpers, lives in `tools/testing/unaccepted-ab`.

use bootmem_host::unaccepted_memory_bitmap::{UnacceptedTable, BITS_PER_LONG};

mod common;
use common::Rng;

const PAGE: u64 = 4096;
const M2: u64 = 2 << 20;
const BASE: u64 = 1 << 32;

/// The C objects and helpers the glue's bindings name, for a single
/// threaded caller: a checking lock, the list, the table getter and an
/// `arch_accept_memory()` that records its calls.
mod c_side {
    use kernel::bindings::{efi_unaccepted_memory, list_head, spinlock_t};
    use std::ptr::{addr_of, addr_of_mut, null_mut};
    use std::sync::Mutex;

    /// Serialises the tests that use the glue (they share these globals).
    pub static GLUE: Mutex<()> = Mutex::new(());

    /// `efi.unaccepted`, as `efi_get_unaccepted_table()` returns it.
    static mut TABLE: *mut efi_unaccepted_memory = null_mut();
    /// `arch_accept_memory()` calls since the table was installed.
    static mut CALLS: Vec<(u64, u64)> = Vec::new();
    /// Whether "interrupts are off" (`spin_lock_irqsave()` to `..._irqrestore()`).
    static mut IRQS_OFF: bool = false;

    #[no_mangle]
    static mut efi_unaccepted_memory_lock: spinlock_t = spinlock_t { locked: 0 };
    #[no_mangle]
    static mut efi_accepting_list: list_head = list_head {
        next: null_mut(),
        prev: null_mut(),
    };

    /// Installs `table` (with an empty accepting list) and forgets the
    /// recorded calls.
    ///
    /// # Safety
    ///
    /// The caller holds [`GLUE`]; `table` stays valid until replaced.
    pub unsafe fn install(table: *mut efi_unaccepted_memory) {
        // SAFETY: Serialised by GLUE, per the caller's guarantee.
        unsafe {
            TABLE = table;
            UNUSABLE = 0;
            (*addr_of_mut!(CALLS)).clear();
            let head = addr_of_mut!(efi_accepting_list);
            (*head).next = head;
            (*head).prev = head;
        }
    }

    /// The `arch_accept_memory()` calls since [`install`]; checks that the
    /// lock is free, interrupts are back on and the list is empty.
    ///
    /// # Safety
    ///
    /// The caller holds [`GLUE`].
    pub unsafe fn calls() -> Vec<(u64, u64)> {
        // SAFETY: Serialised by GLUE, per the caller's guarantee.
        unsafe {
            assert!(!lock_held(), "lock left held");
            assert!(!IRQS_OFF, "interrupts left off");
            let head = addr_of_mut!(efi_accepting_list);
            assert_eq!((*head).next, head, "accepting list left non-empty");
            (*addr_of_mut!(CALLS)).clone()
        }
    }

    /// Whether `efi_unaccepted_memory_lock` is held.
    fn lock_held() -> bool {
        // SAFETY: A plain read of the lock word; serialised by GLUE.
        unsafe { (*addr_of!(efi_unaccepted_memory_lock)).locked != 0 }
    }

    #[no_mangle]
    extern "C" fn rust_helper_spin_lock(lock: *mut spinlock_t) {
        // SAFETY: The glue passes the lock above; serialised by GLUE.
        unsafe {
            assert_eq!((*lock).locked, 0, "spin_lock() with the lock held");
            (*lock).locked = 1;
        }
    }

    #[no_mangle]
    extern "C" fn rust_helper_spin_unlock(lock: *mut spinlock_t) {
        // SAFETY: As in rust_helper_spin_lock().
        unsafe {
            assert_eq!((*lock).locked, 1, "spin_unlock() without the lock");
            (*lock).locked = 0;
        }
    }

    #[no_mangle]
    extern "C" fn rust_helper_spin_lock_irqsave(lock: *mut spinlock_t) -> usize {
        // SAFETY: Serialised by GLUE.
        let flags = unsafe { std::mem::replace(&mut *addr_of_mut!(IRQS_OFF), true) };
        rust_helper_spin_lock(lock);
        flags.into()
    }

    #[no_mangle]
    extern "C" fn rust_helper_spin_unlock_irqrestore(lock: *mut spinlock_t, flags: usize) {
        rust_helper_spin_unlock(lock);
        // SAFETY: Serialised by GLUE.
        unsafe { IRQS_OFF = flags != 0 };
    }

    #[no_mangle]
    extern "C" fn rust_helper_list_add(new: *mut list_head, head: *mut list_head) {
        // SAFETY: The glue passes its entry and the list head above.
        unsafe {
            let next = (*head).next;
            (*next).prev = new;
            (*new).next = next;
            (*new).prev = head;
            (*head).next = new;
        }
    }

    #[no_mangle]
    extern "C" fn rust_helper_list_del(entry: *mut list_head) {
        // SAFETY: The glue passes an entry it put on the list.
        unsafe {
            (*(*entry).prev).next = (*entry).next;
            (*(*entry).next).prev = (*entry).prev;
            (*entry).next = null_mut();
            (*entry).prev = null_mut();
        }
    }

    #[no_mangle]
    extern "C" fn rust_helper_efi_touch_softlockup_watchdog() {}

    #[no_mangle]
    extern "C" fn rust_helper_efi_get_unaccepted_table() -> *mut efi_unaccepted_memory {
        // SAFETY: Serialised by GLUE.
        unsafe { TABLE }
    }

    /// `efi_unaccepted_table_unusable()` calls since the table was installed.
    static mut UNUSABLE: u32 = 0;

    /// How often the glue declared the installed table unusable.
    pub fn unusable() -> u32 {
        // SAFETY: Serialised by GLUE.
        unsafe { UNUSABLE }
    }

    /// The kernel's panics; here it counts, as under a KUnit static stub.
    #[no_mangle]
    extern "C" fn efi_unaccepted_table_unusable() {
        // SAFETY: Serialised by GLUE.
        unsafe { UNUSABLE += 1 };
    }

    #[no_mangle]
    extern "C" fn arch_accept_memory(start: u64, end: u64) {
        // SAFETY: Serialised by GLUE.
        unsafe {
            assert!(!lock_held(), "accepting under the lock");
            assert!(IRQS_OFF, "accepting with interrupts on");
            (*addr_of_mut!(CALLS)).push((start, end));
        }
    }
}

/// `accept_memory(start, size)` of the kernel glue on a table with the
/// header of `t` and the bitmap `bitmap` (updated in place); returns the
/// `arch_accept_memory()` calls it made.
fn accept(t: &UnacceptedTable, bitmap: &mut [usize], start: u64, size: u64) -> Vec<(u64, u64)> {
    assert_eq!(bitmap.len(), t.bitmap_words());
    // struct efi_unaccepted_memory: version, unit_size, phys_base, size,
    // then the bitmap.
    let mut raw = vec![0u64; 3 + bitmap.len()];
    raw[0] = 1 | (t.unit_size() << 32);
    raw[1] = t.phys_base();
    raw[2] = t.nbits() / 8;
    for (w, b) in raw[3..].iter_mut().zip(bitmap.iter()) {
        *w = *b as u64;
    }
    let _serial = c_side::GLUE.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: GLUE is held; `raw` outlives the call.
    let calls = unsafe {
        c_side::install(raw.as_mut_ptr().cast());
        unaccepted_ab_rs::unaccepted_memory_rust::accept_memory(start, size as usize);
        let calls = c_side::calls();
        c_side::install(std::ptr::null_mut());
        calls
    };
    for (b, w) in bitmap.iter_mut().zip(raw[3..].iter()) {
        *b = *w as usize;
    }
    calls
}

/// 64 units of 2 MiB at 4 GiB, all unaccepted.
fn table64() -> (UnacceptedTable, Vec<usize>) {
    let t = UnacceptedTable::new(M2 as u32, BASE, 8, PAGE).unwrap();
    (t, vec![usize::MAX; t.bitmap_words()])
}

fn unit(i: u64) -> u64 {
    BASE + i * M2
}

/// A header the C cannot survive makes every use fail loudly (the kernel
/// panics in `efi_unaccepted_table_unusable()`; here it returns), and
/// nothing is accepted or found.
#[test]
fn bad_table_fails_loudly() {
    for (unit, base, size) in [
        (0u64, BASE, 8u64),
        (2048, BASE, 8),
        (PAGE + 512, BASE, 8),
        (M2, BASE + 8, 8),
        (M2, u64::MAX - 2 * M2 + 1 - (PAGE - 1), 1),
    ] {
        let mut raw = [1 | (unit << 32), base, size, u64::MAX];
        let _serial = c_side::GLUE.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: GLUE is held; `raw` outlives the calls.
        unsafe {
            c_side::install(raw.as_mut_ptr().cast());
            unaccepted_ab_rs::unaccepted_memory_rust::accept_memory(base, M2 as usize);
            assert_eq!(c_side::unusable(), 1, "unit {unit:#x} base {base:#x}");
            assert!(c_side::calls().is_empty());
            assert!(
                !unaccepted_ab_rs::unaccepted_memory_rust::range_contains_unaccepted_memory(
                    base,
                    M2 as usize
                )
            );
            assert_eq!(c_side::unusable(), 2);
            c_side::install(std::ptr::null_mut());
        }
        assert_eq!(raw[3], u64::MAX, "the bitmap was written");
    }
}

/// Page multiples that are not powers of two, and a phys_base that is only
/// page aligned, are handled by division, exactly as the C does.
#[test]
fn non_power_of_two_units() {
    let u = 3 * PAGE;
    let base = BASE + PAGE;
    let t = UnacceptedTable::new(u as u32, base, 8, PAGE).unwrap();
    let mut bm = vec![usize::MAX];
    // Units 1 and 2 (guard): [base + u, base + 3u).
    assert_eq!(accept(&t, &mut bm, base + u, u), [(base + u, base + 3 * u)]);
    assert_eq!(bm[0], !6);
    // Inside unit 4, ending inside its last page: guard unit 5 too.
    assert_eq!(
        accept(&t, &mut bm, base + 4 * u + 100, u - 200),
        [(base + 4 * u, base + 6 * u)]
    );
}

#[test]
fn accept_edges() {
    let (t, mut bm) = table64();
    // Unit aligned end: the guard unit is accepted too.
    assert_eq!(accept(&t, &mut bm, unit(0), M2), [(unit(0), unit(2))]);
    assert_eq!(bm[0], !3);
    // Already accepted: nothing, but the next guard unit is new.
    assert_eq!(accept(&t, &mut bm, unit(0), 2 * M2), [(unit(2), unit(3))]);
    // Unaligned end: no guard unit.
    assert_eq!(accept(&t, &mut bm, unit(3) + 5, M2), [(unit(3), unit(5))]);
    // Ending inside unit 5's last page: the range is widened to whole
    // pages first, so its end is unit aligned and the guard unit is
    // accepted (upstream 948a013a54c4; without it, [5, 6) only).
    assert_eq!(
        accept(&t, &mut bm, unit(5) + 5, M2 - 10),
        [(unit(5), unit(7))]
    );
    // Size 0 accepts the unit holding start (aligned or not).
    assert_eq!(accept(&t, &mut bm, unit(7), 0), [(unit(7), unit(8))]);
    assert_eq!(accept(&t, &mut bm, unit(8) + PAGE, 0), [(unit(8), unit(9))]);
    // A range ending exactly at phys_base accepts unit 0 as its guard.
    let (t, mut bm) = table64();
    assert_eq!(accept(&t, &mut bm, 0, BASE), [(unit(0), unit(1))]);
    // Across the start and the end of the bitmap: clamped.
    assert_eq!(accept(&t, &mut bm, 0, BASE + 3 * M2), [(unit(1), unit(4))]);
    assert_eq!(
        accept(&t, &mut bm, unit(62), 10 * M2),
        [(unit(62), unit(64))]
    );
    // Beyond the bitmap: nothing.
    assert!(accept(&t, &mut bm, unit(70), M2).is_empty());
    // Runs split at clear bits, one arch call each.
    bm[0] = usize::MAX;
    bm[0] &= !(1 << 10 | 1 << 11 | 1 << 20);
    assert_eq!(
        accept(&t, &mut bm, unit(8), 16 * M2 - PAGE - 1),
        [
            (unit(8), unit(10)),
            (unit(12), unit(20)),
            (unit(21), unit(24))
        ]
    );
}

#[test]
fn accept_wrap() {
    let (t, mut bm) = table64();
    // start + size wraps: the wrapped end is used, as in the C.
    assert!(accept(&t, &mut bm, unit(10), u64::MAX - M2).is_empty());
    // The C's guard `end += unit_size` wraps to 0 here (phys_base 0, end
    // 2^64 - unit); the Rust saturates and clamps to the bitmap.
    let t = UnacceptedTable::new(M2 as u32, 0, 8, PAGE).unwrap();
    let mut bm = vec![usize::MAX];
    assert_eq!(
        accept(&t, &mut bm, 0, 0u64.wrapping_sub(M2)),
        [(0, 64 * M2)]
    );
}

#[test]
fn bitmap_bounds() {
    // 16 units: the bits past nbits in the last word are never touched.
    let t = UnacceptedTable::new(PAGE as u32, 0, 2, PAGE).unwrap();
    let mut bm = vec![usize::MAX];
    assert_eq!(accept(&t, &mut bm, 0, 1 << 40), [(0, 16 * PAGE)]);
    assert_eq!(bm[0], usize::MAX << 16);
}

/// Per-unit model of the C (with the fixes of the module): units
/// `[s / u, ceil(e / u))` of the clamped, guarded offsets `[s, e)`, and
/// whether the query looks at them at all (`s < e`: an unaligned request of
/// size 0 is accepted as its unit but contains nothing, as in the C).
fn model_units(t: &UnacceptedTable, start: u64, size: u64) -> Option<(u64, u64, bool)> {
    let (u, base) = (t.unit_size() as u128, t.phys_base() as u128);
    // 948a013a54c4: whole pages first, wrapping as the C's PAGE_ALIGN().
    let end = (start.wrapping_add(size).wrapping_add(PAGE - 1) & !(PAGE - 1)) as u128;
    let start = start & !(PAGE - 1);
    if end < base {
        return None;
    }
    let s = (start as u128).max(base) - base;
    let mut e = end - base;
    if e % u == 0 {
        e += u;
    }
    e = e.min(t.nbits() as u128 * u);
    Some(((s / u) as u64, e.div_ceil(u) as u64, s < e))
}

fn bit(bm: &[usize], i: u64) -> bool {
    bm[(i / BITS_PER_LONG) as usize] >> (i % BITS_PER_LONG) & 1 != 0
}

#[test]
fn random_against_model() {
    let mut rng = Rng(0x5eed_0002);
    for _ in 0..2000 {
        // Powers of two, and page multiples that are not (the C takes both).
        let unit = match rng.below(4) {
            0 => PAGE * (3 + 2 * rng.below(600)),
            _ => PAGE << rng.below(19),
        };
        let size = 1 + rng.below(40);
        // Unit aligned, or only page aligned.
        let base = match rng.below(3) {
            0 => rng.below(1 << 28) * PAGE,
            _ => rng.below(1 << 20) * unit,
        };
        let t = UnacceptedTable::new(unit as u32, base, size, PAGE).unwrap();
        let mut bm: Vec<usize> = (0..t.bitmap_words()).map(|_| rng.next() as usize).collect();
        let tail = bm.clone();
        for _ in 0..20 {
            let start = match rng.below(4) {
                0 => base + rng.below(t.nbits() + 2) * unit,
                1 => (base + rng.below((t.nbits() + 2) * unit)).saturating_sub(unit),
                2 => rng.next(),
                _ => base.saturating_sub(rng.below(4 * unit)),
            };
            let size = match rng.below(4) {
                0 => rng.below(4) * unit,
                1 => rng.below(8 * unit),
                // Ending inside the last page of a unit (948a013a54c4).
                3 if rng.below(2) == 0 => rng.below(4) * unit + unit - 1 - rng.below(PAGE - 1),
                2 => rng.next(),
                _ => 0,
            };
            let units = model_units(&t, start, size);
            let want = units.is_some_and(|(s, e, q)| q && (s..e).any(|i| bit(&bm, i)));
            assert_eq!(
                t.range_contains_unaccepted_memory(&bm, start, size),
                want,
                "unit {unit:#x} base {base:#x} start {start:#x} size {size:#x}"
            );
            // Expected runs: maximal runs of set bits within the units.
            let mut runs = Vec::new();
            if let Some((s, e, _)) = units {
                let mut i = s;
                while i < e {
                    if bit(&bm, i) {
                        let r = i;
                        while i < e && bit(&bm, i) {
                            i += 1;
                        }
                        runs.push((base + r * unit, base + i * unit));
                    }
                    i += 1;
                }
            }
            assert_eq!(accept(&t, &mut bm, start, size), runs);
            if let Some((s, e, _)) = units {
                assert!((s..e).all(|i| !bit(&bm, i)));
            }
        }
        // Bits past nbits are untouched.
        let last = bm.len() - 1;
        let keep = if t.nbits().is_multiple_of(BITS_PER_LONG) {
            0
        } else {
            usize::MAX << (t.nbits() % BITS_PER_LONG)
        };
        assert_eq!(bm[last] & keep, tail[last] & keep);
    }
}
