// SPDX-License-Identifier: GPL-2.0

//! Host build of the pure (`core`-only) Rust files of bootmem-rs.
//!
//! Each module below is a kernel source file included verbatim, so that its
//! logic can be unit tested with `cargo test` on the host.  The tests live
//! in `tests/`.

#[path = "../../../../mm/memblock_regions.rs"]
pub mod memblock_regions;

#[path = "../../../../drivers/firmware/efi/unaccepted_memory_bitmap.rs"]
pub mod unaccepted_memory_bitmap;

#[path = "../../../../drivers/firmware/efi/efi_memmap_ranges.rs"]
pub mod efi_memmap_ranges;

// The unit tests that also run in the kernel as KUnit suites
// (`#[kunit_tests]`, CONFIG_BOOTMEM_RS_RUST_KUNIT_TEST): here they are
// plain `#[test]`s of this library.
#[cfg(test)]
#[path = "../../../../drivers/firmware/efi/efi_memmap_ranges_tests.rs"]
mod efi_memmap_ranges_tests;
#[cfg(test)]
#[path = "../../../../mm/memblock_regions_tests.rs"]
mod memblock_regions_tests;
#[cfg(test)]
#[path = "../../../../drivers/firmware/efi/unaccepted_memory_bitmap_tests.rs"]
mod unaccepted_memory_bitmap_tests;

/// The C ABI of `efi_memmap_ranges` (`#[no_mangle]` exports): the static
/// library links it into the C programs of `tools/testing/efi-memmap`.
#[path = "../../../../drivers/firmware/efi/memmap_ranges_rust.rs"]
pub mod memmap_ranges_rust;

// The C structures of <linux/efi_memmap_ranges.h>, which the kernel gets
// from bindgen: `efi_memmap_ranges` takes them from its parent.

/// `struct efi_mm_desc` (the layout of `efi_memory_desc_t`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct efi_mm_desc {
    pub type_: u32,
    pub pad: u32,
    pub phys_addr: u64,
    pub virt_addr: u64,
    pub num_pages: u64,
    pub attribute: u64,
}

/// `struct efi_mm_range`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct efi_mm_range {
    pub start: u64,
    pub end: u64,
}

/// `struct efi_mm_rsv`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct efi_mm_rsv {
    pub base: u64,
    pub size: u64,
    pub keep: bool,
}

/// Host-only C ABI for `tools/bootmem-replay`: the Rust decision behind
/// `efi_md_keep()` of `arch/x86/platform/efi/quirks_rust.rs`, i.e.
/// [`efi_memmap_ranges::freed_whole`] (the kernel calls it directly and
/// exports no C symbol for it).  `freed` may be NULL if `n` is 0.
///
/// # Safety
///
/// `d` must point to a descriptor; `freed` to `n` ranges unless `n` is 0.
#[no_mangle]
pub unsafe extern "C" fn bootmem_host_efi_freed_whole(
    d: *const efi_mm_desc,
    freed: *const efi_mm_range,
    n: usize,
) -> bool {
    // SAFETY: By the caller's guarantee; the descriptor may be unaligned
    // in a map whose stride is not a multiple of 8.
    let raw = unsafe { d.read_unaligned() };
    let ranges = if n == 0 || freed.is_null() {
        &[][..]
    } else {
        // SAFETY: By the caller's guarantee, `freed` holds `n` ranges.
        unsafe { core::slice::from_raw_parts(freed, n) }
    };
    efi_memmap_ranges::freed_whole(&efi_memmap_ranges::Desc::from_raw(&raw), ranges)
}
