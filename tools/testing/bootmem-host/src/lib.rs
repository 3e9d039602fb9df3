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

/// The C ABI of `efi_memmap_ranges` (`#[no_mangle]` exports): the static
/// library links it into the C programs of `tools/testing/efi-memmap`.
#[path = "../../../../drivers/firmware/efi/efi_memmap_ranges_ffi.rs"]
pub mod efi_memmap_ranges_ffi;

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
