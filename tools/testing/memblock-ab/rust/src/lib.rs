// SPDX-License-Identifier: GPL-2.0

//! Host build of the kernel's Rust `MEMBLOCK_RSRV_KERN` implementation.
//!
//! `mm/memblock_rsrv_kern_rust.rs` is the crate root of a built-in object in the
//! kernel; here it is included verbatim as a module (its `pub mod
//! memblock_regions;` finds `mm/memblock_regions.rs` beside it) and linked
//! into the userspace memblock simulator in place of the C functions.  The
//! `kernel` crate it uses is the stand-in in `kernel/`.

// `__LOG_PREFIX` is for the kernel's `pr_*!` macros; the stand-ins ignore it.
#[allow(dead_code)]
#[path = "../../../../../mm/memblock_rsrv_kern_rust.rs"]
pub mod memblock_rsrv_kern_rust;
