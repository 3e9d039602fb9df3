// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_memblock_regions`: the unit tests of
//! `memblock_regions.rs` (in `memblock_regions_tests.rs`, which the host
//! runs with `cargo test` too), run in the kernel with the kernel's
//! compiler settings.  Built in both variants: it tests the pure logic, not
//! whichever implementation of the C API is linked.

// Public, as in the glue that includes it: its items are an API.
#[path = "memblock_regions.rs"]
pub mod memblock_regions;

#[path = "memblock_regions_tests.rs"]
mod memblock_regions_tests;
