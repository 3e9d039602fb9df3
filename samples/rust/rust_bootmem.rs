// SPDX-License-Identifier: GPL-2.0

//! Rust sample: what early-boot memory handling left behind.
//!
//! Prints, once at load time, a summary of the EFI memory map by type, of
//! the boot services regions the kernel kept (those it reserved
//! `MEMBLOCK_RSRV_KERN` at boot: the design frees every other part of the
//! boot services regions and drops wholly freed ones from the map), and of
//! the EFI unaccepted memory table.
//!
//! It reads the map through the bootmem-rs pure module
//! `drivers/firmware/efi/efi_memmap_ranges.rs` (the typed, stride-aware
//! view the Rust EFI memory map port uses), validates the unaccepted
//! memory table header with `unaccepted_memory_bitmap.rs`, and asks
//! `range_contains_unaccepted_memory()`, the C ABI that the C or the Rust
//! port implements, which units are still unaccepted.  The summary is kept
//! in pin-initialised, mutex-protected module state and printed again when
//! the module is removed.

use core::ptr::addr_of;
use kernel::bindings;
use kernel::prelude::*;
use kernel::{new_mutex, sync::Mutex};

// The pure modules take the C structures of <linux/efi_memmap_ranges.h>
// from their parent, as in `memmap_rust.rs`.
use bindings::{efi_mm_desc, efi_mm_range, efi_mm_rsv};

#[path = "../../drivers/firmware/efi/efi_memmap_ranges.rs"]
pub mod efi_memmap_ranges;
#[path = "../../drivers/firmware/efi/unaccepted_memory_bitmap.rs"]
pub mod unaccepted_memory_bitmap;

use efi_memmap_ranges::{MemoryMap, MemoryType, EFI_PAGE_SHIFT};
#[cfg(CONFIG_UNACCEPTED_MEMORY)]
use unaccepted_memory_bitmap::UnacceptedTable;

module! {
    type: RustBootmem,
    name: "rust_bootmem",
    author: "bootmem-rs developers",
    description: "Rust sample: EFI memory map, kept boot services regions, unaccepted memory",
    license: "GPL",
}

/// EFI memory types 0 to `EFI_UNACCEPTED_MEMORY`, by value; anything else
/// is counted as "other" (types are open: firmware sends values no list
/// knows).
const TYPE_NAMES: [&str; 16] = [
    "Reserved",
    "LoaderCode",
    "LoaderData",
    "BootServicesCode",
    "BootServicesData",
    "RuntimeServicesCode",
    "RuntimeServicesData",
    "Conventional",
    "Unusable",
    "ACPIReclaim",
    "ACPINVS",
    "MMIO",
    "MMIOPortSpace",
    "PalCode",
    "Persistent",
    "Unaccepted",
];
const OTHER: usize = TYPE_NAMES.len();

/// Descriptors and EFI pages of one memory type.
#[derive(Clone, Copy, Default)]
struct TypeCount {
    descs: u64,
    pages: u64,
}

/// The unaccepted memory table as found at load time.
#[derive(Clone, Copy, Default)]
struct Unaccepted {
    unit_size: u64,
    phys_base: u64,
    units: u64,
    /// `None` when built as a module (see [`still_unaccepted`]).
    still_unaccepted: Option<u64>,
}

/// The unaccepted memory table, if any.
#[derive(Clone, Copy, Default)]
enum UnacceptedState {
    /// No table (or no unaccepted memory support).
    #[default]
    NoTable,
    /// A table whose header this kernel cannot use.
    Unusable,
    /// A usable table.
    Table(Unaccepted),
}

/// What the sample found; computed once, printed at load and unload.
#[derive(Default)]
struct Summary {
    /// `None` if the kernel has no EFI memory map.
    map: Option<(usize, usize)>,
    by_type: [TypeCount; OTHER + 1],
    kept: TypeCount,
    unaccepted: UnacceptedState,
}

#[pin_data]
struct State {
    #[pin]
    summary: Mutex<Summary>,
}

struct RustBootmem {
    state: Pin<KBox<State>>,
}

/// Adds a descriptor of type `ty` and `pages` EFI pages to `s`.
fn count(s: &mut Summary, ty: MemoryType, pages: u64) {
    let slot = usize::try_from(ty.0).map_or(OTHER, |t| t.min(OTHER));
    if let Some(c) = s.by_type.get_mut(slot) {
        c.descs = c.descs.saturating_add(1);
        c.pages = c.pages.saturating_add(pages);
    }
    if ty.is_boot_services() {
        s.kept.descs = s.kept.descs.saturating_add(1);
        s.kept.pages = s.kept.pages.saturating_add(pages);
    }
}

/// Walks `efi.memmap`, if the kernel has one.
fn summarise_map(s: &mut Summary) {
    // SAFETY: Reads a bit of `efi.flags`.
    if !unsafe { bindings::efi_enabled(bindings::EFI_MEMMAP as core::ffi::c_int) } {
        return;
    }
    // SAFETY: `efi.memmap` is set up before any initcall and no longer
    // changes once the boot services regions are freed (arch_initcall);
    // its fields are copied out.
    let (map, nr_map, desc_size, map_size) = unsafe {
        let m = &*addr_of!(bindings::efi.memmap);
        (m.map, m.nr_map, m.desc_size, m.map_size)
    };
    let Ok(nr) = usize::try_from(nr_map) else {
        return;
    };
    if map.is_null() || map_size == 0 {
        return;
    }
    // SAFETY: `map` is the late mapping of `map_size` bytes, which stays
    // mapped and unchanged from now on.
    let bytes = unsafe { core::slice::from_raw_parts(map.cast::<u8>(), map_size) };
    let view = match MemoryMap::new(bytes, desc_size, nr) {
        Ok(v) => v,
        Err(e) => {
            pr_warn!("EFI memory map not usable: {:?}\n", e);
            return;
        }
    };
    s.map = Some((view.len(), desc_size));
    for d in view.iter() {
        count(s, d.ty, d.num_pages);
    }
}

/// Reads the unaccepted memory table header and asks which units are
/// still unaccepted, one unit at a time.
#[cfg(CONFIG_UNACCEPTED_MEMORY)]
fn summarise_unaccepted(s: &mut Summary) {
    s.unaccepted = UnacceptedState::NoTable;
    // SAFETY: Reads `efi.unaccepted`, set once by EFI table parsing.
    let raw = unsafe { bindings::efi_get_unaccepted_table() };
    if raw.is_null() {
        return;
    }
    // SAFETY: A non-null table is mapped (it lives in the direct map and
    // is reserved); its header never changes after boot.
    let (unit_size, phys_base, size) = unsafe { ((*raw).unit_size, (*raw).phys_base, (*raw).size) };
    let page_size = bindings::PAGE_SIZE as u64;
    let Ok(t) = UnacceptedTable::new(unit_size, phys_base, size, page_size) else {
        s.unaccepted = UnacceptedState::Unusable;
        return;
    };
    s.unaccepted = UnacceptedState::Table(Unaccepted {
        unit_size: t.unit_size(),
        phys_base: t.phys_base(),
        units: t.nbits(),
        still_unaccepted: still_unaccepted(&t),
    });
}

/// How many units of `t` are still unaccepted, asked one unit at a time
/// of `range_contains_unaccepted_memory()` (the C or the Rust port, under
/// its lock).
#[cfg(all(CONFIG_UNACCEPTED_MEMORY, not(MODULE)))]
fn still_unaccepted(t: &UnacceptedTable) -> Option<u64> {
    let unit = t.unit_size();
    let len = kernel::ffi::c_ulong::try_from(unit).ok()?;
    let mut still = 0u64;
    for i in 0..t.nbits() {
        let start = i.saturating_mul(unit).saturating_add(t.phys_base());
        // SAFETY: Plain C call; it takes the unaccepted memory lock.
        if unsafe { bindings::range_contains_unaccepted_memory(start, len) } {
            still = still.saturating_add(1);
        }
    }
    Some(still)
}

/// `range_contains_unaccepted_memory()` is not exported to modules.
#[cfg(all(CONFIG_UNACCEPTED_MEMORY, MODULE))]
fn still_unaccepted(_t: &UnacceptedTable) -> Option<u64> {
    None
}

/// No unaccepted memory support, so no table.
#[cfg(not(CONFIG_UNACCEPTED_MEMORY))]
fn summarise_unaccepted(s: &mut Summary) {
    s.unaccepted = UnacceptedState::NoTable;
}

/// EFI pages to KiB.
fn kib(pages: u64) -> u64 {
    pages.saturating_mul(1 << (EFI_PAGE_SHIFT - 10))
}

fn print(s: &Summary) {
    match s.map {
        None => pr_info!("EFI memory map: none\n"),
        Some((nr, desc_size)) => {
            pr_info!(
                "EFI memory map: {} descriptors of {} bytes\n",
                nr,
                desc_size
            );
            for (i, c) in s.by_type.iter().enumerate() {
                if c.descs == 0 {
                    continue;
                }
                let name = TYPE_NAMES.get(i).copied().unwrap_or("other");
                pr_info!(
                    "  {:<20} {:>4} descriptors {:>10} KiB\n",
                    name,
                    c.descs,
                    kib(c.pages)
                );
            }
            // What is left of the boot services regions: the design frees the
            // rest and drops wholly freed regions from the map.
            pr_info!(
                "boot services regions kept: {} descriptors, {} KiB (they hold MEMBLOCK_RSRV_KERN reservations)\n",
                s.kept.descs,
                kib(s.kept.pages)
            );
        }
    }
    match s.unaccepted {
        UnacceptedState::NoTable => pr_info!("unaccepted memory: no table\n"),
        UnacceptedState::Unusable => {
            pr_info!("unaccepted memory: a table this kernel cannot use\n")
        }
        UnacceptedState::Table(u) => {
            pr_info!(
                "unaccepted memory: {} units of {} KiB from {:#x}\n",
                u.units,
                u.unit_size >> 10,
                u.phys_base
            );
            match u.still_unaccepted {
                Some(n) => pr_info!("unaccepted memory: {} units still unaccepted\n", n),
                None => pr_info!("unaccepted memory: not counted (modular build)\n"),
            }
        }
    }
}

impl kernel::Module for RustBootmem {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut summary = Summary::default();
        summarise_map(&mut summary);
        summarise_unaccepted(&mut summary);
        print(&summary);
        let state = KBox::pin_init(
            pin_init!(State {
                summary <- new_mutex!(summary, "rust_bootmem::summary"),
            }),
            GFP_KERNEL,
        )?;
        Ok(RustBootmem { state })
    }
}

impl Drop for RustBootmem {
    fn drop(&mut self) {
        let s = self.state.summary.lock();
        print(&s);
        pr_info!("unloaded\n");
    }
}
