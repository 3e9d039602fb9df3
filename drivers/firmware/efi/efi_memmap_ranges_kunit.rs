// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_efi_memmap_ranges`: the unit tests of
//! `efi_memmap_ranges.rs` (in `efi_memmap_ranges_tests.rs`, which the host
//! runs with `cargo test` too), run in the kernel with the kernel's
//! compiler settings.  Built in both variants: it tests the pure logic.

// The C structures of <linux/efi_memmap_ranges.h>, which
// `efi_memmap_ranges` takes from its parent (as in `memmap_rust.rs`).
use kernel::bindings::{efi_mm_desc, efi_mm_range, efi_mm_rsv};

// Public, as in the glue that includes it: its items are an API.
#[path = "efi_memmap_ranges.rs"]
pub mod efi_memmap_ranges;

#[path = "efi_memmap_ranges_tests.rs"]
mod efi_memmap_ranges_tests;
