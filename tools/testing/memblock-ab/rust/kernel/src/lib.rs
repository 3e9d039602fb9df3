// SPDX-License-Identifier: GPL-2.0

//! Host stand-in for the parts of the Linux 6.12 `kernel` crate used by
//! `mm/memblock_rsrv_kern_rust.rs`.
//!
//! The names, paths and types are those of the real crate (`kernel::ffi`,
//! `kernel::bindings` as bindgen 0.70 generates it from `<linux/memblock.h>`,
//! `kernel::error::code`, `kernel::prelude`, `pr_*!`), so that the glue
//! compiles unchanged here.  `bindings` describes the userspace memblock
//! simulator (`tools/testing/memblock`) instead of the kernel: the layouts
//! below must match that build's `struct memblock_region`, `struct
//! memblock_type` and `struct memblock`; the A/B driver checks them against
//! the C at start-up through [`ab_rust_layout`].

/// C types as the kernel maps them (`rust/ffi.rs`).
#[allow(non_camel_case_types)]
pub mod ffi {
    /// `char` (the kernel builds with `-funsigned-char`).
    pub type c_char = u8;
    /// `int`.
    pub type c_int = i32;
    /// `unsigned int`.
    pub type c_uint = u32;
    /// `long`.
    pub type c_long = isize;
    /// `unsigned long`.
    pub type c_ulong = usize;
    /// `unsigned long long`.
    pub type c_ulonglong = u64;
}

/// What bindgen generates from `<linux/memblock.h>` for the simulator.
#[allow(non_camel_case_types, non_upper_case_globals, missing_docs)]
pub mod bindings {
    use crate::ffi;

    pub type phys_addr_t = ffi::c_ulonglong;

    pub type memblock_flags = ffi::c_uint;
    pub const memblock_flags_MEMBLOCK_NONE: memblock_flags = 0;
    pub const memblock_flags_MEMBLOCK_HOTPLUG: memblock_flags = 1;
    pub const memblock_flags_MEMBLOCK_MIRROR: memblock_flags = 2;
    pub const memblock_flags_MEMBLOCK_NOMAP: memblock_flags = 4;
    pub const memblock_flags_MEMBLOCK_DRIVER_MANAGED: memblock_flags = 8;
    pub const memblock_flags_MEMBLOCK_RSRV_NOINIT: memblock_flags = 16;
    pub const memblock_flags_MEMBLOCK_RSRV_KERN: memblock_flags = 32;

    /// `1 << CONFIG_NODES_SHIFT`: the simulator's NUMA=1 uses a shift of 4.
    #[cfg(CONFIG_NUMA)]
    pub const MAX_NUMNODES: u32 = 16;
    #[cfg(not(CONFIG_NUMA))]
    pub const MAX_NUMNODES: u32 = 1;
    pub const NUMA_NO_NODE: i32 = -1;

    #[repr(C)]
    #[derive(Debug, Copy, Clone, Default)]
    pub struct memblock_region {
        pub base: phys_addr_t,
        pub size: phys_addr_t,
        pub flags: memblock_flags,
        #[cfg(CONFIG_NUMA)]
        pub nid: ffi::c_int,
    }

    #[repr(C)]
    #[derive(Debug, Copy, Clone)]
    pub struct memblock_type {
        pub cnt: ffi::c_ulong,
        pub max: ffi::c_ulong,
        pub total_size: phys_addr_t,
        pub regions: *mut memblock_region,
        pub name: *mut ffi::c_char,
    }

    #[repr(C)]
    #[derive(Debug, Copy, Clone)]
    pub struct memblock {
        pub bottom_up: bool,
        pub current_limit: phys_addr_t,
        pub memory: memblock_type,
        pub reserved: memblock_type,
    }

    extern "C" {
        pub static mut memblock: memblock;
    }
    extern "C" {
        pub fn memblock_reserve_kern(base: phys_addr_t, size: phys_addr_t) -> ffi::c_int;
    }
    extern "C" {
        pub fn memblock_reserved_mark_kern(base: phys_addr_t, size: phys_addr_t) -> ffi::c_int;
    }
    extern "C" {
        pub fn memblock_reserved_kern_size(limit: phys_addr_t, nid: ffi::c_int) -> phys_addr_t;
    }
    extern "C" {
        pub fn memblock_double_array(
            type_: *mut memblock_type,
            new_area_start: phys_addr_t,
            new_area_size: phys_addr_t,
        ) -> ffi::c_int;
    }
    extern "C" {
        pub fn memblock_debug_enabled() -> bool;
    }
    extern "C" {
        pub fn memblock_add_range_warn(
            nid_mismatch: ffi::c_uint,
            flags_mismatch: ffi::c_uint,
            empty_not_clean: ffi::c_uint,
        );
    }
}

/// Kernel error codes (`kernel::error`).
pub mod error {
    use crate::ffi::c_int;

    /// A negative errno, as `kernel::error::Error`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Error(c_int);

    impl Error {
        /// The error as a negative errno.
        pub fn to_errno(self) -> c_int {
            self.0
        }
    }

    /// `Result` with [`Error`] as the default error type.
    pub type Result<T = (), E = Error> = core::result::Result<T, E>;

    /// The error codes used by the glue.
    pub mod code {
        use super::Error;

        /// Out of memory.
        pub const ENOMEM: Error = Error(-12);
        /// Invalid argument.
        pub const EINVAL: Error = Error(-22);
    }
}

/// `kernel::prelude`: the items the glue takes from it.
pub mod prelude {
    pub use crate::error::{code::*, Error, Result};
    pub use crate::{pr_err, pr_info, pr_warn};
}

/// Host printing behind the `pr_*!` stand-ins.
#[doc(hidden)]
pub mod print {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    /// Whether warnings go to [`WARNINGS`] (for the A/B driver) or stderr.
    static CAPTURE: AtomicBool = AtomicBool::new(false);
    /// Warnings printed since the driver last drained them.
    static WARNINGS: Mutex<String> = Mutex::new(String::new());

    /// Prints an informational or error line to stdout, where the
    /// simulator's `pr_info()`/`pr_err()` (`printf()`) go.
    pub fn out(args: core::fmt::Arguments<'_>) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_fmt(args);
        let _ = out.flush();
    }

    /// Prints a warning line: to stderr, where the simulator's `WARN_ON()`
    /// goes, or into the buffer the A/B driver drains after every operation.
    pub fn warn(args: core::fmt::Arguments<'_>) {
        if CAPTURE.load(Ordering::Relaxed) {
            if let Ok(mut w) = WARNINGS.lock() {
                let _ = core::fmt::Write::write_fmt(&mut *w, args);
            }
        } else {
            let _ = std::io::stderr().lock().write_fmt(args);
        }
    }

    /// Makes `pr_warn!` write into the buffer read by
    /// [`ab_rust_drain_warnings`] instead of stderr.
    #[no_mangle]
    pub extern "C" fn ab_rust_capture_warnings(enable: bool) {
        CAPTURE.store(enable, Ordering::Relaxed);
    }

    /// Moves the captured warnings, NUL-terminated and truncated to `cap`
    /// bytes, into `buf`; returns their full length (0: none).
    ///
    /// # Safety
    ///
    /// `buf` must be valid for writing `cap` bytes.
    #[no_mangle]
    pub unsafe extern "C" fn ab_rust_drain_warnings(buf: *mut u8, cap: usize) -> usize {
        let Ok(mut w) = WARNINGS.lock() else {
            return 0;
        };
        let len = w.len();
        if len != 0 && cap != 0 && !buf.is_null() {
            let n = len.min(cap - 1);
            // SAFETY: The caller guarantees `buf` holds `cap > n` bytes.
            unsafe {
                core::ptr::copy_nonoverlapping(w.as_ptr(), buf, n);
                *buf.add(n) = 0;
            }
        }
        w.clear();
        len
    }
}

/// `pr_info!`.
#[macro_export]
macro_rules! pr_info {
    ($($arg:tt)+) => { $crate::print::out(format_args!($($arg)+)) };
}

/// `pr_err!`.
#[macro_export]
macro_rules! pr_err {
    ($($arg:tt)+) => { $crate::print::out(format_args!($($arg)+)) };
}

/// `pr_warn!`.
#[macro_export]
macro_rules! pr_warn {
    ($($arg:tt)+) => { $crate::print::warn(format_args!($($arg)+)) };
}

/// Layout of the structures in [`bindings`], for the A/B driver to compare
/// with the C's: sizes of `struct memblock_region`, `struct memblock_type`
/// and `struct memblock`, then the offsets of `flags` in the region,
/// `regions` in the type and `reserved` in `struct memblock`.
#[no_mangle]
pub static ab_rust_layout: [usize; 6] = [
    core::mem::size_of::<bindings::memblock_region>(),
    core::mem::size_of::<bindings::memblock_type>(),
    core::mem::size_of::<bindings::memblock>(),
    core::mem::offset_of!(bindings::memblock_region, flags),
    core::mem::offset_of!(bindings::memblock_type, regions),
    core::mem::offset_of!(bindings::memblock, reserved),
];
