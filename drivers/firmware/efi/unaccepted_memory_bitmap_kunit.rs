// SPDX-License-Identifier: GPL-2.0

//! KUnit suite `rust_unaccepted_memory_bitmap`: the unit tests of
//! `unaccepted_memory_bitmap.rs` (in `unaccepted_memory_bitmap_tests.rs`,
//! which the host runs with `cargo test` too), run in the kernel with the
//! kernel's compiler settings.  Built in both variants: it tests the pure
//! logic.

// Only the items the tests use are reachable from here.
#[allow(dead_code)]
#[path = "unaccepted_memory_bitmap.rs"]
mod unaccepted_memory_bitmap;

#[path = "unaccepted_memory_bitmap_tests.rs"]
mod unaccepted_memory_bitmap_tests;
