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
