// SPDX-License-Identifier: GPL-2.0

//! Rust implementation of the memblock `MEMBLOCK_RSRV_KERN` API.
//!
//! With `CONFIG_MEMBLOCK_RSRV_KERN_RUST`, `mm/memblock.c` leaves out its C
//! `memblock_reserve_kern()`, `memblock_reserved_mark_kern()` and
//! `memblock_reserved_kern_size()`, and this built-in object provides them
//! with the prototypes of `<linux/memblock.h>`.  They must leave
//! `memblock.reserved` in exactly the state the C leaves it.
//!
//! This file is only glue: it turns `memblock.reserved` into a checked
//! [`RegionTable`], runs the pure logic of [`memblock_regions`], and grows the
//! array with the C's `memblock_double_array()` where the C would.  The table
//! is checked as far as the operations need to stay in bounds; with
//! `CONFIG_DEBUG_VM` all of it is validated on every call, and a table the C
//! could not have built is refused with an error message (see `CHECK`).
//! Growing is done here and not in the pure code because
//! `memblock_double_array()` is init text (see [`memblock_regions`]).
//!
//! Like every `__init_memblock` function these are init text unless memblock
//! is kept after boot (`CONFIG_ARCH_KEEP_MEMBLOCK`) or may be used by memory
//! hotplug (`CONFIG_MEMORY_HOTPLUG`): `__init_memblock!` says so in one
//! place.  The `WARN_ON()`s the C would fire are fired by the C helper
//! `memblock_add_range_warn()`, so that they taint the kernel, print a
//! backtrace and honour `panic_on_warn` as the C's do.

use core::ffi::c_int;
use core::ptr::{addr_of, addr_of_mut};
use kernel::bindings;
use kernel::prelude::*;

pub mod memblock_regions;

use memblock_regions::{AddRange, Check, Region, RegionError, RegionTable, Warnings};

const __LOG_PREFIX: &[u8] = b"memblock\0";

/// How much of `memblock.reserved` each call checks.
///
/// Only memblock builds the table, so a production kernel checks what keeps
/// the walks in bounds (O(1)), and each call costs what the C's does.  The
/// whole-table validation, O(cnt) on every call, is a consistency check in
/// the spirit of `VM_BUG_ON()`: `CONFIG_DEBUG_VM` turns it on.
const CHECK: Check = if cfg!(CONFIG_DEBUG_VM) {
    Check::Full
} else {
    Check::Header
};

// The pure code hard-codes the flag's value; it must match the C enum.
const _: () =
    assert!(bindings::memblock_flags_MEMBLOCK_RSRV_KERN == memblock_regions::MEMBLOCK_RSRV_KERN);

// `MAX_NUMNODES` is a small power of two, so the cast below is exact.
const _: () = assert!(bindings::MAX_NUMNODES <= i32::MAX as u32);
const MAX_NUMNODES: c_int = bindings::MAX_NUMNODES as c_int;

// Compile-time check of the exported functions against the C prototypes in
// `<linux/memblock.h>`: each array only type-checks if both elements have
// exactly the element type.
const _: [unsafe extern "C" fn(bindings::phys_addr_t, bindings::phys_addr_t) -> c_int; 4] = [
    bindings::memblock_reserve_kern,
    memblock_reserve_kern,
    bindings::memblock_reserved_mark_kern,
    memblock_reserved_mark_kern,
];
const _: [unsafe extern "C" fn(bindings::phys_addr_t, c_int) -> bindings::phys_addr_t; 2] = [
    bindings::memblock_reserved_kern_size,
    memblock_reserved_kern_size,
];

/// Places the functions it wraps where C's `__init_memblock` places them:
/// in init text, unless memblock is kept after boot
/// (`CONFIG_ARCH_KEEP_MEMBLOCK`) or may be used by memory hotplug
/// (`CONFIG_MEMORY_HOTPLUG`).
///
/// Everything here that calls into init text (`memblock_double_array()`,
/// `memblock_add_range_warn()`) or touches init data must be inside it,
/// or modpost reports a section mismatch.
macro_rules! __init_memblock {
    ($($item:item)*) => {
        $(
            #[cfg_attr(
                not(any(CONFIG_ARCH_KEEP_MEMBLOCK, CONFIG_MEMORY_HOTPLUG)),
                link_section = ".init.text"
            )]
            $item
        )*
    };
}

impl Region for bindings::memblock_region {
    const NUMA: bool = cfg!(CONFIG_NUMA);
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

    #[cfg(CONFIG_NUMA)]
    fn nid(&self) -> i32 {
        self.nid
    }

    #[cfg(not(CONFIG_NUMA))]
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

    #[cfg(CONFIG_NUMA)]
    fn set_nid(&mut self, nid: i32) {
        self.nid = nid;
    }

    #[cfg(not(CONFIG_NUMA))]
    fn set_nid(&mut self, _nid: i32) {}
}

/// Reports a failed operation and returns its error code: `-ENOMEM` if the
/// array lacked room, `-EINVAL` if the table was not one the C could build
/// (where the C would `BUG_ON()` or overrun the array).
fn refuse(func: &str, e: RegionError) -> c_int {
    pr_err!("{}: memblock.reserved: {}\n", func, e);
    match e {
        RegionError::NoRoom { .. } => ENOMEM.to_errno(),
        _ => EINVAL.to_errno(),
    }
}

__init_memblock! {
    /// The checked view of the `struct memblock_type` `t`, borrowing it.
    ///
    /// # Safety
    ///
    /// `t.regions`, if not null, must point to `t.max` initialised entries that
    /// nothing else accesses while the returned table is alive (memblock is
    /// serialised by its callers).
    unsafe fn table(
        t: &mut bindings::memblock_type,
    ) -> Result<RegionTable<'_, bindings::memblock_region>, RegionError> {
        if t.regions.is_null() {
            return Err(RegionError::NoArray);
        }
        // SAFETY: `regions` is non-null and, by the caller's guarantee, points
        // to `max` initialised entries that nobody else accesses while `t` is
        // borrowed.
        let regions = unsafe { core::slice::from_raw_parts_mut(t.regions, t.max) };
        RegionTable::new(regions, &mut t.cnt, &mut t.total_size, CHECK)
    }

    /// Grows the array at `type_` with `memblock_double_array()` until it has
    /// `slots` free entries, as the C's `while (type->cnt + n > type->max)` loops
    /// do; `[base, base + size)` is the range the new array must not overlap.
    ///
    /// Returns `-ENOMEM` when doubling fails, like the C.
    ///
    /// # Safety
    ///
    /// `type_` must point to a valid `struct memblock_type` that nothing else
    /// accesses meanwhile (memblock is serialised by its callers), and no
    /// reference into it may be alive.
    unsafe fn grow(
        type_: *mut bindings::memblock_type,
        slots: usize,
        base: bindings::phys_addr_t,
        size: bindings::phys_addr_t,
    ) -> Result<(), c_int> {
        loop {
            // SAFETY: The caller guarantees `type_` is valid; the fields are
            // read without keeping a reference across the call below.
            let (cnt, max) = unsafe { ((*type_).cnt, (*type_).max) };
            if memblock_regions::has_room(cnt, max, slots) {
                return Ok(());
            }
            // SAFETY: `type_` is valid and no reference into it is alive;
            // `memblock_double_array()` may replace `regions` and `max`, and
            // reserve the new array (and free the old one) in
            // `memblock.reserved`, all of which is re-read above.
            if unsafe { bindings::memblock_double_array(type_, base, size) } < 0 {
                return Err(ENOMEM.to_errno());
            }
        }
    }

    /// Fires the `WARN_ON()`s the C would fire in `memblock_add_range()`, as
    /// often as it would, through the C helper (real `WARN_ON()`s: taint,
    /// backtrace, `panic_on_warn`).
    fn warn(w: Warnings) {
        let (nid, flags, empty) = (w.nid_mismatch, w.flags_mismatch, w.empty_not_clean);
        if w.any() {
            // SAFETY: Plain C call; it only evaluates `WARN_ON()`s.
            unsafe { bindings::memblock_add_range_warn(nid, flags, empty) };
        }
    }

    /// `memblock_add_range()`: adds `[base, base + size)` to `type_` with `nid`
    /// and `flags`, growing the array as the C does.
    ///
    /// # Safety
    ///
    /// As for [`grow`].
    unsafe fn add_range(
        func: &str,
        type_: *mut bindings::memblock_type,
        base: bindings::phys_addr_t,
        size: bindings::phys_addr_t,
        nid: c_int,
        flags: u32,
    ) -> c_int {
        let step = {
            // SAFETY: The caller guarantees `type_` is valid and not aliased.
            let t = unsafe { &mut *type_ };
            // SAFETY: So is its array; the view ends with this block.
            match unsafe { table(t) } {
                Ok(mut t) => t.add_range(base, size, nid, flags),
                Err(e) => Err(e),
            }
        };
        let nr_new = match step {
            Ok(AddRange::Done(w)) => {
                warn(w);
                return 0;
            }
            Ok(AddRange::NeedSlots { nr_new, warnings }) => {
                warn(warnings);
                nr_new
            }
            Err(e) => return refuse(func, e),
        };

        // The C passes the capped size to memblock_double_array().
        let capped = memblock_regions::cap_size(base, size);
        // SAFETY: Forwarded from the caller; the table above is gone.
        if let Err(err) = unsafe { grow(type_, nr_new, base, capped) } {
            return err;
        }

        // SAFETY: As above, re-read after growing.
        let t = unsafe { &mut *type_ };
        // SAFETY: As above.
        let done = match unsafe { table(t) } {
            Ok(mut t) => t.add_range_insert(base, size, nid, flags),
            Err(e) => Err(e),
        };
        match done {
            Ok(w) => {
                warn(w);
                0
            }
            Err(e) => refuse(func, e),
        }
    }

    /// `memblock_setclr_flag()`: sets (`set`) or clears `flag` on the parts of
    /// `[base, base + size)` covered by regions of `type_`.
    ///
    /// # Safety
    ///
    /// As for [`grow`].
    unsafe fn setclr_flag(
        func: &str,
        type_: *mut bindings::memblock_type,
        base: bindings::phys_addr_t,
        size: bindings::phys_addr_t,
        set: bool,
        flag: u32,
    ) -> c_int {
        // memblock_isolate_range() grows first, with the capped size.  The
        // table is checked before that: with CONFIG_DEBUG_VM, a bogus one is
        // refused before memblock_double_array() copies it.
        let slots = memblock_regions::isolate_range_slots(base, size);
        let done = {
            // SAFETY: The caller guarantees `type_` is valid and not aliased.
            let t = unsafe { &mut *type_ };
            // SAFETY: So is its array; the view ends with this block.
            match unsafe { table(t) } {
                Ok(mut t) if t.has_room(slots) => Some(t.setclr_flag(base, size, set, flag)),
                Ok(_) => None,
                Err(e) => return refuse(func, e),
            }
        };
        let done = match done {
            Some(done) => done,
            None => {
                let capped = memblock_regions::cap_size(base, size);
                // SAFETY: Forwarded from the caller; no view of `type_` is
                // alive (growing may replace the array).
                if let Err(err) = unsafe { grow(type_, slots, base, capped) } {
                    return err;
                }
                // SAFETY: As above, re-read after growing.
                let t = unsafe { &mut *type_ };
                // SAFETY: As above.
                match unsafe { table(t) } {
                    Ok(mut t) => t.setclr_flag(base, size, set, flag),
                    Err(e) => Err(e),
                }
            }
        };
        match done {
            Ok(()) => 0,
            Err(e) => refuse(func, e),
        }
    }

    /// Reserves `[base, base + size)` with `MEMBLOCK_RSRV_KERN`, like
    /// `memblock_reserve()` but flagged; parts already reserved keep their flags
    /// (with a warning if those differ).
    ///
    /// Returns 0 on success, `-ENOMEM` if the array could not grow.
    ///
    /// # Safety
    ///
    /// Callable where `memblock_reserve()` is: while memblock is alive and
    /// serialised by the caller (early boot, or the memory hotplug lock).
    #[no_mangle]
    pub unsafe extern "C" fn memblock_reserve_kern(
        base: bindings::phys_addr_t,
        size: bindings::phys_addr_t,
    ) -> c_int {
        // SAFETY: Reads a flag, callable at any time.
        if unsafe { bindings::memblock_debug_enabled() } {
            let end = base.wrapping_add(size).wrapping_sub(1);
            pr_info!("memblock_reserve_kern: [{:#018x}-{:#018x}]\n", base, end);
        }
        // SAFETY: `memblock.reserved` is a valid `struct memblock_type`, and the
        // caller guarantees memblock is alive and serialised.
        unsafe {
            add_range(
                "memblock_reserve_kern",
                addr_of_mut!(bindings::memblock.reserved),
                base,
                size,
                MAX_NUMNODES,
                memblock_regions::MEMBLOCK_RSRV_KERN,
            )
        }
    }

    /// Flags the reserved parts of `[base, base + size)` `MEMBLOCK_RSRV_KERN`,
    /// splitting regions at the range's edges and merging compatible neighbours;
    /// unreserved parts stay unreserved.
    ///
    /// Returns 0 on success, `-ENOMEM` if the array could not grow.
    ///
    /// # Safety
    ///
    /// As for [`memblock_reserve_kern`].
    #[no_mangle]
    pub unsafe extern "C" fn memblock_reserved_mark_kern(
        base: bindings::phys_addr_t,
        size: bindings::phys_addr_t,
    ) -> c_int {
        // SAFETY: As in `memblock_reserve_kern()`.
        unsafe {
            setclr_flag(
                "memblock_reserved_mark_kern",
                addr_of_mut!(bindings::memblock.reserved),
                base,
                size,
                true,
                memblock_regions::MEMBLOCK_RSRV_KERN,
            )
        }
    }

    /// Returns the size of the `MEMBLOCK_RSRV_KERN` reservations below `limit` on
    /// node `nid` (all nodes if `nid` is not a valid node, e.g. `NUMA_NO_NODE`).
    ///
    /// # Safety
    ///
    /// As for [`memblock_reserve_kern`].
    #[no_mangle]
    pub unsafe extern "C" fn memblock_reserved_kern_size(
        limit: bindings::phys_addr_t,
        nid: c_int,
    ) -> bindings::phys_addr_t {
        // SAFETY: `memblock.reserved` is a valid `struct memblock_type`, and the
        // caller guarantees memblock is alive and serialised; nothing here
        // writes to it.
        let t = unsafe { &*addr_of!(bindings::memblock.reserved) };
        let regions: &[bindings::memblock_region] = if t.regions.is_null() {
            &[]
        } else {
            // SAFETY: `regions` is non-null and points to `max` initialised
            // entries that nobody writes meanwhile.
            unsafe { core::slice::from_raw_parts(t.regions, t.max) }
        };
        // With `Check::Full`, validates the table in the same pass (an empty
        // slice is `NoArray`).
        match memblock_regions::reserved_kern_size_checked(regions, t.cnt, limit, nid, CHECK) {
            Ok(size) => size,
            Err(e) => {
                refuse("memblock_reserved_kern_size", e);
                0
            }
        }
    }
}
