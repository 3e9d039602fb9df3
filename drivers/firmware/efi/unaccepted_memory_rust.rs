// SPDX-License-Identifier: GPL-2.0

//! EFI unaccepted memory: the Rust replacement of `unaccepted_memory.c`.
//!
//! Confidential guests (TDX, SEV-SNP) get memory from the firmware that
//! must be accepted before first use.  The EFI unaccepted memory table holds
//! a bitmap with one bit per unit (2 MiB on x86) still to be accepted;
//! memory is accepted lazily, when it is about to be used.  Accepting a
//! unit twice is fatal on TDX, so two CPUs must never accept the same unit:
//! a CPU registers the unit range it works on in `efi_accepting_list` and
//! waits while another CPU's range overlaps its own.
//!
//! All of the arithmetic (header validation, the clamp of a request to the
//! bitmap with its guard unit, the walk over runs of set bits, the query)
//! is in [`unaccepted_memory_bitmap`], which is `core`-only and tested on
//! the host against the C.  This file is the glue: it finds the table,
//! takes the kernel's spinlock (with interrupts off, dropping it but
//! keeping interrupts off around `arch_accept_memory()`, exactly as the C
//! does) and keeps the accepting list.  The lock, the list head and the
//! kdump callback registration are C objects (`unaccepted_memory_state.c`):
//! Rust in 6.12 cannot define them statically.
//!
//! A table whose header the C cannot survive (see
//! [`TableError`](unaccepted_memory_bitmap::TableError)) makes
//! the first use fail loudly: a `pr_emerg` naming the field, then
//! `efi_unaccepted_table_unusable()` (C, `unaccepted_memory_state.c`),
//! which panics.  Reading or accepting by a bogus geometry could touch
//! memory out of bounds or accept twice, and not accepting kills the guest
//! at its first touch of unaccepted memory without a word.  Where that C
//! function returns (a KUnit test redirects it), the table is treated as
//! absent: nothing is accepted and no range contains unaccepted memory.

use core::mem::offset_of;
use core::ptr::{addr_of_mut, null_mut};
use kernel::bindings;
use kernel::ffi::c_ulong;
use kernel::page::{PAGE_SHIFT, PAGE_SIZE};
use kernel::prelude::*;

pub mod unaccepted_memory_bitmap;

use unaccepted_memory_bitmap::{AcceptRange, UnacceptedTable};

const __LOG_PREFIX: &[u8] = b"efi\0";

// The exported functions have exactly the C prototypes of <linux/mm.h> and
// <linux/efi_unaccepted_memory_rust.h>: each array only type-checks if both of its
// elements have the element type.
const _: [unsafe extern "C" fn(bindings::phys_addr_t, c_ulong); 2] =
    [bindings::accept_memory, accept_memory];
const _: [unsafe extern "C" fn(bindings::phys_addr_t, c_ulong) -> bool; 2] = [
    bindings::range_contains_unaccepted_memory,
    range_contains_unaccepted_memory,
];
const _: [unsafe extern "C" fn(*mut bindings::vmcore_cb, c_ulong) -> bool; 2] = [
    bindings::unaccepted_memory_vmcore_pfn_is_ram,
    unaccepted_memory_vmcore_pfn_is_ram,
];

// `unsigned long` (the bitmap's words, unit indices on the accepting list)
// is `usize` in the bindings; the pure code counts units in `u64`.
const _: () = assert!(core::mem::size_of::<usize>() == core::mem::size_of::<u64>());

// `accepting_overlaps()` turns the list's `list_head *`s into
// `accept_range *`s: that is only right while `list` is the first member.
const _: () = assert!(offset_of!(bindings::accept_range, list) == 0);

/// The validated unaccepted memory table, if there is one.
struct Table {
    /// The header, checked.
    geometry: UnacceptedTable,
    /// The table in the direct map (`efi_get_unaccepted_table()`).
    raw: *mut bindings::efi_unaccepted_memory,
}

impl Table {
    /// Finds and validates the table; `None` if there is none or it is bad.
    #[inline]
    fn get() -> Option<Self> {
        // SAFETY: Reads `efi.unaccepted`, which is set before any caller
        // can run and never changes (KUnit tests swap it only while no other
        // caller can reach the synthetic range).
        let raw = unsafe { bindings::efi_get_unaccepted_table() };
        if raw.is_null() {
            return None;
        }
        // SAFETY: A non-NULL table is mapped and its header is never written.
        let hdr = unsafe { &*raw };
        match UnacceptedTable::new(hdr.unit_size, hdr.phys_base, hdr.size, PAGE_SIZE as u64) {
            Ok(geometry) => Some(Table { geometry, raw }),
            Err(_) => {
                report_bad_table(hdr);
                None
            }
        }
    }

    /// The bitmap, as many words as the header describes.
    ///
    /// # Safety
    ///
    /// `efi_unaccepted_memory_lock` must be held for as long as the slice
    /// is used, so that nobody else reads or writes the bitmap meanwhile.
    unsafe fn bitmap(&mut self) -> &mut [usize] {
        // SAFETY: `raw` points to the table; `bitmap` is its trailing array.
        let words = unsafe { addr_of_mut!((*self.raw).bitmap) }.cast::<usize>();
        // SAFETY: The firmware table holds `size` bytes of bitmap after the
        // header (efi.c reserved that much), and `bitmap_words()` is at
        // most that many whole words; the caller holds the lock, so the
        // slice is not aliased.
        unsafe { core::slice::from_raw_parts_mut(words, self.geometry.bitmap_words()) }
    }
}

/// Fails loudly on a table the kernel cannot use safely: names the field,
/// then panics in `efi_unaccepted_table_unusable()` (which only returns
/// when a KUnit test redirects it).
///
/// Out of line and given only the header (it validates again to name the
/// field), so that the callers' fast path carries no error value.
#[cold]
#[inline(never)]
fn report_bad_table(hdr: &bindings::efi_unaccepted_memory) {
    let Err(e) = UnacceptedTable::new(hdr.unit_size, hdr.phys_base, hdr.size, PAGE_SIZE as u64)
    else {
        return;
    };
    pr_emerg!(
        "unusable unaccepted memory table: {} (unit_size {:#x}, phys_base {:#x}, size {:#x})\n",
        e,
        hdr.unit_size,
        hdr.phys_base,
        hdr.size
    );
    // SAFETY: Plain C call; it takes no argument and may not return.
    unsafe { bindings::efi_unaccepted_table_unusable() };
}

/// `spin_lock_irqsave(&efi_unaccepted_memory_lock, flags)`.
fn lock_irqsave() -> c_ulong {
    // SAFETY: The lock is a valid, statically initialised spinlock_t.
    unsafe { bindings::spin_lock_irqsave(addr_of_mut!(bindings::efi_unaccepted_memory_lock)) }
}

/// `spin_unlock_irqrestore(&efi_unaccepted_memory_lock, flags)`.
///
/// # Safety
///
/// The lock must be held, taken by [`lock_irqsave`] which returned `flags`.
unsafe fn unlock_irqrestore(flags: c_ulong) {
    // SAFETY: By the caller's guarantee.
    unsafe {
        bindings::spin_unlock_irqrestore(addr_of_mut!(bindings::efi_unaccepted_memory_lock), flags)
    }
}

/// Whether a range on `efi_accepting_list` overlaps `range`.
///
/// # Safety
///
/// `efi_unaccepted_memory_lock` must be held.
unsafe fn accepting_overlaps(range: &AcceptRange) -> bool {
    let head = addr_of_mut!(bindings::efi_accepting_list);
    // SAFETY: The list is only changed under the lock, which we hold; its
    // entries are `struct accept_range`s whose first member is the
    // `list_head`, and each stays on its owner's stack until removed.
    unsafe {
        let mut pos = (*head).next;
        while pos != head {
            let entry = &*pos.cast::<bindings::accept_range>();
            let other = AcceptRange {
                start: entry.start as u64,
                end: entry.end as u64,
            };
            if range.overlaps(&other) {
                return true;
            }
            pos = (*pos).next;
        }
    }
    false
}

/// Accepts the memory in `[start, start + size)` that is still unaccepted,
/// plus the unit after it when the range ends on a unit boundary (see the
/// guard unit in [`UnacceptedTable::accept_memory_range`]).
///
/// # Safety
///
/// Callable from any context the C one is: process or atomic context, with
/// interrupts on or off, but not from NMI.
#[no_mangle]
pub unsafe extern "C" fn accept_memory(start: bindings::phys_addr_t, size: c_ulong) {
    let Some(mut table) = Table::get() else {
        return;
    };
    let geometry = table.geometry;
    let Some(range) = geometry.accept_memory_range(start, size as u64) else {
        return;
    };

    // Our entry on the accepting list.  It is linked into the list while
    // the lock is dropped, so it must not move until it is unlinked below:
    // it is a local that is only ever used through its address.
    let mut entry = bindings::accept_range {
        list: bindings::list_head {
            next: null_mut(),
            prev: null_mut(),
        },
        start: range.start as usize,
        end: range.end as usize,
    };

    // Wait until nobody else works on any unit of ours.  The check is at
    // unit granularity: it must catch requests for the same unit even if
    // their byte ranges do not overlap.
    let flags = loop {
        let flags = lock_irqsave();
        // SAFETY: We hold the lock.
        if !unsafe { accepting_overlaps(&range) } {
            break flags;
        }
        // SAFETY: Taken just above.
        unsafe { unlock_irqrestore(flags) };
    };

    // SAFETY: We hold the lock; `entry` outlives its time on the list.
    unsafe { bindings::list_add(&mut entry.list, addr_of_mut!(bindings::efi_accepting_list)) };

    let mut from = range.start;
    loop {
        // SAFETY: We hold the lock while the bitmap slice is alive.
        let run = geometry.next_set_bitrange(unsafe { table.bitmap() }, from, &range);
        let Some(run) = run else {
            break;
        };
        // Interrupts stay off until the whole range is accepted: an
        // interrupt handler asking for the same memory would otherwise spin
        // with interrupts off while we cannot finish.
        // SAFETY: We hold the lock; it is retaken right after.
        unsafe { bindings::spin_unlock(addr_of_mut!(bindings::efi_unaccepted_memory_lock)) };
        // SAFETY: The run is whole, in-table units nobody else accepts: its
        // bits are set and our list entry keeps other CPUs off them.
        unsafe { bindings::arch_accept_memory(run.phys_start, run.phys_end) };
        // SAFETY: The lock is valid; we dropped it above.
        unsafe { bindings::spin_lock(addr_of_mut!(bindings::efi_unaccepted_memory_lock)) };
        // SAFETY: We hold the lock while the bitmap slice is alive.
        geometry.bitmap_clear(unsafe { table.bitmap() }, &run);
        from = run.next_from();
    }

    // SAFETY: We hold the lock and `entry` is on the list.
    unsafe { bindings::list_del(&mut entry.list) };
    // SAFETY: Plain C call, fine with interrupts off.
    unsafe { bindings::efi_touch_softlockup_watchdog() };
    // SAFETY: Taken in the loop above.
    unsafe { unlock_irqrestore(flags) };
}

/// Runs `query` on the table's bitmap under the lock; `absent` if there is
/// no (good) table.
fn query_bitmap(absent: bool, query: impl FnOnce(&UnacceptedTable, &[usize]) -> bool) -> bool {
    let Some(mut table) = Table::get() else {
        return absent;
    };
    let geometry = table.geometry;
    let flags = lock_irqsave();
    // SAFETY: We hold the lock while the bitmap slice is alive.
    let ret = query(&geometry, unsafe { table.bitmap() });
    // SAFETY: Taken just above.
    unsafe { unlock_irqrestore(flags) };
    ret
}

/// Whether any memory in `[start, start + size)` (or the unit after it, when
/// the range ends on a unit boundary) is still unaccepted.
///
/// # Safety
///
/// As for [`accept_memory`].
#[no_mangle]
pub unsafe extern "C" fn range_contains_unaccepted_memory(
    start: bindings::phys_addr_t,
    size: c_ulong,
) -> bool {
    query_bitmap(false, |t, bitmap| {
        t.range_contains_unaccepted_memory(bitmap, start, size as u64)
    })
}

/// The kdump `pfn_is_ram` callback: unaccepted pages are not dumped.
///
/// # Safety
///
/// Called by the vmcore code with its own `cb`, which is not used.
#[no_mangle]
pub unsafe extern "C" fn unaccepted_memory_vmcore_pfn_is_ram(
    _cb: *mut bindings::vmcore_cb,
    pfn: c_ulong,
) -> bool {
    !query_bitmap(false, |t, bitmap| {
        t.pfn_is_unaccepted_memory(bitmap, pfn as u64, PAGE_SHIFT as u32)
    })
}
