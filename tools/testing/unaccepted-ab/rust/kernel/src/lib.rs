// SPDX-License-Identifier: GPL-2.0

//! Host stand-in for the parts of the Linux 6.12 `kernel` crate used by
//! `drivers/firmware/efi/unaccepted_memory_rust.rs`.
//!
//! The names, paths and types are those of the real crate (`kernel::ffi`
//! as `rust/ffi.rs` maps C types, `kernel::bindings` as bindgen 0.70
//! generates it from `rust/bindings/bindings_helper.h` and the helpers,
//! `kernel::page`, `kernel::prelude`, `pr_*!`), so that the glue compiles
//! unchanged here.  Every function and object in [`bindings`] is a C
//! symbol, provided by the C side of the A/B driver exactly as in the
//! kernel:
//!
//! * `efi_unaccepted_memory_lock`, `efi_accepting_list` and the kdump
//!   callback registration come from the repository's
//!   `drivers/firmware/efi/unaccepted_memory_state.c`;
//! * the helpers (`spin_lock_irqsave()`, `list_add()`,
//!   `efi_get_unaccepted_table()`, ...) are the `rust_helper_*` functions of
//!   the repository's `rust/helpers/bootmem_rs.c` and the tree's
//!   `rust/helpers/spinlock.c`, linked under their `rust_helper_` names as
//!   the kernel's generated bindings link them;
//! * `arch_accept_memory()` is the driver's recorder (`main.c`).
//!
//! Those C files are compiled against the driver's `stubs/`: a checking
//! spinlock, `struct efi` with just `unaccepted`, and so on.

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
    /// `long long`.
    pub type c_longlong = i64;
    /// `unsigned long long`.
    pub type c_ulonglong = u64;
}

/// What bindgen generates for the items the glue uses.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    missing_docs
)]
pub mod bindings {
    use crate::ffi;
    use core::marker::PhantomData;

    pub type u32_ = ffi::c_uint;
    pub type u64_ = ffi::c_ulonglong;
    pub type phys_addr_t = u64_;

    /// `PAGE_SHIFT` (x86-64).
    pub const PAGE_SHIFT: u32 = 12;
    /// `PAGE_SIZE` (`RUST_CONST_HELPER_PAGE_SIZE`).
    pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;

    /// bindgen's flexible array member.
    #[repr(C)]
    #[derive(Default)]
    pub struct __IncompleteArrayField<T>(PhantomData<T>, [T; 0]);

    /// `struct list_head`.
    #[repr(C)]
    #[derive(Debug, Copy, Clone)]
    pub struct list_head {
        pub next: *mut list_head,
        pub prev: *mut list_head,
    }

    /// `spinlock_t` of the driver's stubs (`stubs/ab_stub.h`): only ever
    /// used through its address.
    #[repr(C)]
    pub struct spinlock {
        pub locked: ffi::c_int,
    }
    pub type spinlock_t = spinlock;

    /// `struct efi_unaccepted_memory` (`include/linux/efi.h`).
    #[repr(C)]
    pub struct efi_unaccepted_memory {
        pub version: u32_,
        pub unit_size: u32_,
        pub phys_base: u64_,
        pub size: u64_,
        pub bitmap: __IncompleteArrayField<ffi::c_ulong>,
    }

    /// `struct accept_range` (`<linux/efi_unaccepted_memory_rust.h>`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone)]
    pub struct accept_range {
        pub list: list_head,
        pub start: ffi::c_ulong,
        pub end: ffi::c_ulong,
    }

    /// `struct vmcore_cb` (`include/linux/crash_dump.h`).
    #[repr(C)]
    #[derive(Debug, Copy, Clone)]
    pub struct vmcore_cb {
        pub pfn_is_ram: Option<unsafe extern "C" fn(cb: *mut vmcore_cb, pfn: ffi::c_ulong) -> bool>,
        pub next: list_head,
    }

    extern "C" {
        /// `<linux/efi_unaccepted_memory_rust.h>`, defined in `unaccepted_memory_state.c`.
        pub static mut efi_unaccepted_memory_lock: spinlock_t;
        /// `<linux/efi_unaccepted_memory_rust.h>`, defined in `unaccepted_memory_state.c`.
        pub static mut efi_accepting_list: list_head;
    }

    extern "C" {
        pub fn arch_accept_memory(start: phys_addr_t, end: phys_addr_t);
        pub fn accept_memory(start: phys_addr_t, size: ffi::c_ulong);
        pub fn range_contains_unaccepted_memory(start: phys_addr_t, size: ffi::c_ulong) -> bool;
        pub fn unaccepted_memory_vmcore_pfn_is_ram(cb: *mut vmcore_cb, pfn: ffi::c_ulong) -> bool;
        /// `<linux/efi_unaccepted_memory_rust.h>`, defined in `unaccepted_memory_state.c`.
        pub fn efi_unaccepted_table_unusable();
    }

    // The helpers, as rust/Makefile's sed rewrites the generated bindings.
    extern "C" {
        #[link_name = "rust_helper_spin_lock"]
        pub fn spin_lock(lock: *mut spinlock_t);
        #[link_name = "rust_helper_spin_unlock"]
        pub fn spin_unlock(lock: *mut spinlock_t);
        #[link_name = "rust_helper_spin_lock_irqsave"]
        pub fn spin_lock_irqsave(lock: *mut spinlock_t) -> ffi::c_ulong;
        #[link_name = "rust_helper_spin_unlock_irqrestore"]
        pub fn spin_unlock_irqrestore(lock: *mut spinlock_t, flags: ffi::c_ulong);
        #[link_name = "rust_helper_list_add"]
        pub fn list_add(new: *mut list_head, head: *mut list_head);
        #[link_name = "rust_helper_list_del"]
        pub fn list_del(entry: *mut list_head);
        #[link_name = "rust_helper_efi_touch_softlockup_watchdog"]
        pub fn efi_touch_softlockup_watchdog();
        #[link_name = "rust_helper_efi_get_unaccepted_table"]
        pub fn efi_get_unaccepted_table() -> *mut efi_unaccepted_memory;
    }
}

/// `kernel::page`.
pub mod page {
    /// Page shift (`rust/kernel/page.rs`).
    pub const PAGE_SHIFT: usize = crate::bindings::PAGE_SHIFT as usize;
    /// Page size (`rust/kernel/page.rs`).
    pub const PAGE_SIZE: usize = crate::bindings::PAGE_SIZE;
}

/// `kernel::prelude`: the items the glue takes from it.
pub mod prelude {
    pub use crate::{pr_emerg, pr_err, pr_info, pr_warn};
}

/// Host printing behind the `pr_*!` stand-ins: the kernel log is a buffer
/// that the A/B driver drains and checks after every call.
#[doc(hidden)]
pub mod print {
    use std::sync::Mutex;

    /// Messages printed since the driver last drained them.
    static LOG: Mutex<String> = Mutex::new(String::new());

    /// Appends one message, prefixed like the kernel's `pr_fmt`: the
    /// caller's `__LOG_PREFIX` (NUL-terminated) and `": "`.
    pub fn log(prefix: &[u8], args: core::fmt::Arguments<'_>) {
        let prefix = prefix.strip_suffix(b"\0").unwrap_or(prefix);
        if let Ok(mut log) = LOG.lock() {
            log.push_str(&String::from_utf8_lossy(prefix));
            log.push_str(": ");
            let _ = core::fmt::Write::write_fmt(&mut *log, args);
        }
    }

    /// Moves the logged messages, NUL-terminated and truncated to `cap`
    /// bytes, into `buf`; returns their full length (0: none).
    ///
    /// # Safety
    ///
    /// `buf` must be valid for writing `cap` bytes.
    #[no_mangle]
    pub unsafe extern "C" fn ab_rs_drain_log(buf: *mut u8, cap: usize) -> usize {
        let Ok(mut log) = LOG.lock() else {
            return 0;
        };
        let len = log.len();
        if len != 0 && cap != 0 && !buf.is_null() {
            let n = len.min(cap - 1);
            // SAFETY: The caller guarantees `buf` holds `cap > n` bytes.
            unsafe {
                core::ptr::copy_nonoverlapping(log.as_ptr(), buf, n);
                *buf.add(n) = 0;
            }
        }
        log.clear();
        len
    }
}

/// `pr_err!`.  `__LOG_PREFIX` is looked up where the macro is used, as the
/// kernel's macro finds the crate root's (here the glue is a module).
#[macro_export]
macro_rules! pr_err {
    ($($arg:tt)+) => { $crate::print::log(__LOG_PREFIX, format_args!($($arg)+)) };
}

/// `pr_emerg!`.
#[macro_export]
macro_rules! pr_emerg {
    ($($arg:tt)+) => { $crate::print::log(__LOG_PREFIX, format_args!($($arg)+)) };
}

/// `pr_warn!`.
#[macro_export]
macro_rules! pr_warn {
    ($($arg:tt)+) => { $crate::print::log(__LOG_PREFIX, format_args!($($arg)+)) };
}

/// `pr_info!`.
#[macro_export]
macro_rules! pr_info {
    ($($arg:tt)+) => { $crate::print::log(__LOG_PREFIX, format_args!($($arg)+)) };
}

/// Layout of the structures in [`bindings`], for the A/B driver to compare
/// with the C's at start-up: sizes of `struct efi_unaccepted_memory`,
/// `struct accept_range`, `struct vmcore_cb` and `struct list_head`, then
/// the offsets of `unit_size`, `phys_base`, `size` and `bitmap` in the
/// table and of `start` and `end` in `struct accept_range`.
#[no_mangle]
pub static ab_rs_layout: [usize; 10] = [
    core::mem::size_of::<bindings::efi_unaccepted_memory>(),
    core::mem::size_of::<bindings::accept_range>(),
    core::mem::size_of::<bindings::vmcore_cb>(),
    core::mem::size_of::<bindings::list_head>(),
    core::mem::offset_of!(bindings::efi_unaccepted_memory, unit_size),
    core::mem::offset_of!(bindings::efi_unaccepted_memory, phys_base),
    core::mem::offset_of!(bindings::efi_unaccepted_memory, size),
    core::mem::offset_of!(bindings::efi_unaccepted_memory, bitmap),
    core::mem::offset_of!(bindings::accept_range, start),
    core::mem::offset_of!(bindings::accept_range, end),
];
