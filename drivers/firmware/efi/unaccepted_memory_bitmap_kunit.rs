// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_unaccepted_memory_bitmap`: the unit tests of
//! `unaccepted_memory_bitmap.rs` (in `unaccepted_memory_bitmap_tests.rs`,
//! which the host runs with `cargo test` too), run in the kernel with the
//! kernel's compiler settings.  Built in both variants: it tests the pure
//! logic.

// Public, as in the glue that includes it: its items are an API.
#[path = "unaccepted_memory_bitmap.rs"]
pub mod unaccepted_memory_bitmap;

#[path = "unaccepted_memory_bitmap_tests.rs"]
mod unaccepted_memory_bitmap_tests;
