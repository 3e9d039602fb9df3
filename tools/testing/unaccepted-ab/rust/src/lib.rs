// SPDX-License-Identifier: GPL-2.0

//! Rust side of the unaccepted memory A/B test.
//!
//! Includes `drivers/firmware/efi/unaccepted_memory_bitmap.rs` verbatim and
//! wraps it in a single-threaded host glue that does what the kernel glue
//! will do: validate the table on every call (reporting a bad one and then
//! treating it as absent), take the lock, check and join the
//! `accepting_list`, and walk the runs, dropping the lock around
//! `arch_accept_memory()`.  A `Mutex` stands in for the spinlock; the driver
//! (`main.c`) provides `arch_accept_memory()` as `ab_rs_arch_accept_memory()`.
//!
//! Built with overflow checks, debug assertions and `panic = "abort"`, so a
//! panic anywhere in the pure module ends the run.

#[path = "../../../../../drivers/firmware/efi/unaccepted_memory_bitmap.rs"]
mod unaccepted_memory_bitmap;

use std::ptr::addr_of_mut;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::Mutex;

use unaccepted_memory_bitmap::{AcceptRange, TableError, UnacceptedTable};

const PAGE_SHIFT: u32 = 12;
const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;

/// `struct efi_unaccepted_memory` (`include/linux/efi.h`).
#[repr(C)]
pub struct EfiUnacceptedMemory {
    version: u32,
    unit_size: u32,
    phys_base: u64,
    size: u64,
    bitmap: [usize; 0],
}

/// `efi.unaccepted`, as `efi_get_unaccepted_table()` returns it.
static TABLE: AtomicPtr<EfiUnacceptedMemory> = AtomicPtr::new(std::ptr::null_mut());
/// `pr_err()`s reported for a bad table since the last `ab_rs_set_table()`.
static PR_ERR: AtomicU64 = AtomicU64::new(0);
/// `unaccepted_memory_lock` protecting the bitmap and `accepting_list`.
static ACCEPTING_LIST: Mutex<Vec<AcceptRange>> = Mutex::new(Vec::new());

extern "C" {
    /// `arch_accept_memory(start, end)`: recorded by the driver.
    fn ab_rs_arch_accept_memory(start: u64, end: u64);
}

/// Error code of a [`TableError`] for the driver (0: valid).
fn error_code(e: &TableError) -> i32 {
    match e {
        TableError::UnitSizeZero => 1,
        TableError::UnitSizeNotPowerOfTwo { .. } => 2,
        TableError::UnitSizeBelowPage { .. } => 3,
        TableError::PhysBaseMisaligned { .. } => 4,
        TableError::BitmapEndOverflow { .. } => 5,
    }
}

fn header() -> Option<*mut EfiUnacceptedMemory> {
    let p = TABLE.load(Ordering::Relaxed);
    (!p.is_null()).then_some(p)
}

fn validate(p: *mut EfiUnacceptedMemory) -> Result<UnacceptedTable, TableError> {
    // SAFETY: the driver keeps the header mapped while it is installed.
    let (unit_size, phys_base, size) = unsafe { ((*p).unit_size, (*p).phys_base, (*p).size) };
    UnacceptedTable::new(unit_size, phys_base, size, PAGE_SIZE)
}

/// `efi_get_unaccepted_table()` plus validation: `None` for no table or a
/// bad one (reported, like the kernel glue's `pr_err_once()`).
fn table() -> Option<(UnacceptedTable, *mut EfiUnacceptedMemory)> {
    let p = header()?;
    match validate(p) {
        Ok(t) => Some((t, p)),
        Err(_) => {
            PR_ERR.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// The bitmap as a slice of exactly `bitmap_words()` words.
///
/// # Safety
///
/// `p` must point to a table whose bitmap has at least `t.bitmap_words()`
/// words, and the caller must hold the lock.
unsafe fn bitmap<'a>(t: &UnacceptedTable, p: *mut EfiUnacceptedMemory) -> &'a mut [usize] {
    // SAFETY: per the function's contract.
    unsafe {
        std::slice::from_raw_parts_mut(addr_of_mut!((*p).bitmap).cast::<usize>(), t.bitmap_words())
    }
}

/// Installs the table (`efi.unaccepted`) and resets the `pr_err` count.
#[no_mangle]
pub extern "C" fn ab_rs_set_table(p: *mut EfiUnacceptedMemory) {
    TABLE.store(p, Ordering::Relaxed);
    PR_ERR.store(0, Ordering::Relaxed);
}

/// 0 if the installed table is valid, else the code of its [`TableError`].
#[no_mangle]
pub extern "C" fn ab_rs_table_error() -> i32 {
    match header().map(validate) {
        Some(Err(e)) => error_code(&e),
        _ => 0,
    }
}

/// Number of bad-table reports since the table was installed.
#[no_mangle]
pub extern "C" fn ab_rs_pr_err_count() -> u64 {
    PR_ERR.load(Ordering::Relaxed)
}

/// `accept_memory(start, size)`.  Returns false only if the
/// `accepting_list` held an overlapping range, which cannot happen single
/// threaded (the kernel glue would retry).
#[no_mangle]
pub extern "C" fn ab_rs_accept_memory(start: u64, size: u64) -> bool {
    let Some((t, p)) = table() else {
        return true;
    };
    let Some(range) = t.accept_memory_range(start, size) else {
        return true;
    };
    let mut list = ACCEPTING_LIST.lock().unwrap_or_else(|e| e.into_inner());
    if list.iter().any(|entry| range.overlaps(entry)) {
        return false;
    }
    list.push(range);
    let mut from = range.start;
    loop {
        // SAFETY: the table is valid and the lock (`list`) is held.
        let run = t.next_set_bitrange(unsafe { bitmap(&t, p) }, from, &range);
        let Some(run) = run else { break };
        drop(list);
        // SAFETY: plain call into the driver's recorder.
        unsafe { ab_rs_arch_accept_memory(run.phys_start, run.phys_end) };
        list = ACCEPTING_LIST.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: as above.
        t.bitmap_clear(unsafe { bitmap(&t, p) }, &run);
        from = run.next_from();
    }
    if let Some(pos) = list.iter().position(|entry| *entry == range) {
        list.swap_remove(pos);
    }
    true
}

/// `range_contains_unaccepted_memory(start, size)`.
#[no_mangle]
pub extern "C" fn ab_rs_range_contains_unaccepted_memory(start: u64, size: u64) -> bool {
    let Some((t, p)) = table() else {
        return false;
    };
    let _lock = ACCEPTING_LIST.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the table is valid and the lock is held.
    t.range_contains_unaccepted_memory(unsafe { bitmap(&t, p) }, start, size)
}

/// `unaccepted_memory_vmcore_pfn_is_ram(cb, pfn)`.
#[no_mangle]
pub extern "C" fn ab_rs_vmcore_pfn_is_ram(pfn: u64) -> bool {
    let Some((t, p)) = table() else {
        return true;
    };
    let _lock = ACCEPTING_LIST.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: the table is valid and the lock is held.
    !t.pfn_is_unaccepted_memory(unsafe { bitmap(&t, p) }, pfn, PAGE_SHIFT)
}
