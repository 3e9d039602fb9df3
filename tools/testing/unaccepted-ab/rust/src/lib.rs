// SPDX-License-Identifier: GPL-2.0

//! Host build of the kernel's Rust EFI unaccepted memory port.
//!
//! `drivers/firmware/efi/unaccepted_memory_rust.rs` is the crate root of a
//! built-in object in the kernel; here it is included verbatim as a module
//! (its `pub mod unaccepted_memory_bitmap;` finds
//! `unaccepted_memory_bitmap.rs` beside it) and linked into the A/B driver,
//! which calls its exported `accept_memory()`,
//! `range_contains_unaccepted_memory()` and (through the `vmcore_cb` that
//! `unaccepted_memory_state.c` registers) `unaccepted_memory_vmcore_pfn_is_ram()`
//! under their kernel names.  The `kernel` crate it uses is the stand-in in
//! `kernel/`, whose bindings are real C of the driver's build.
//!
//! The only other item is [`ab_rs_table_error`], which lets the driver check
//! that every bad table it generates is rejected for the documented reason:
//! the glue's report names only the field.
//!
//! Built with overflow checks, debug assertions and `panic = "abort"`, so a
//! panic anywhere in the glue or the pure module ends the run.

use kernel::bindings;
use kernel::page::PAGE_SIZE;

#[path = "../../../../../drivers/firmware/efi/unaccepted_memory_rust.rs"]
pub mod unaccepted_memory_rust;

use unaccepted_memory_rust::unaccepted_memory_bitmap::{TableError, UnacceptedTable};

/// 0 if the header at `hdr` is one the glue accepts, else the code of the
/// [`TableError`] it is rejected for (1: `unit_size` 0, 2: not a page
/// multiple, 3: below a page, 4: `phys_base` not page aligned, 5: bitmap
/// end overflows), as `main.c` numbers them.
///
/// # Safety
///
/// `hdr` must point to a readable `struct efi_unaccepted_memory` header.
#[no_mangle]
pub unsafe extern "C" fn ab_rs_table_error(hdr: *const bindings::efi_unaccepted_memory) -> i32 {
    // SAFETY: The caller guarantees the header is readable.
    let hdr = unsafe { &*hdr };
    match UnacceptedTable::new(hdr.unit_size, hdr.phys_base, hdr.size, PAGE_SIZE as u64) {
        Ok(_) => 0,
        Err(TableError::UnitSizeZero) => 1,
        Err(TableError::UnitSizeNotPageMultiple { .. }) => 2,
        Err(TableError::UnitSizeBelowPage { .. }) => 3,
        Err(TableError::PhysBaseNotPageAligned { .. }) => 4,
        Err(TableError::BitmapEndOverflow { .. }) => 5,
    }
}
