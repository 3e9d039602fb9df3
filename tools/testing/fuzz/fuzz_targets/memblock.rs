// SPDX-License-Identifier: GPL-2.0

//! Fuzz target (a): memblock operation sequences on the C `mm/memblock.c`
//! (with its own `MEMBLOCK_RSRV_KERN` functions) and on the same C with the
//! Rust glue `mm/memblock_rsrv_kern_rust.rs` in their place, both on the
//! userspace memblock simulator, NUMA layout (see `c/build.sh`).
//!
//! The input is a sequence of operations: `memblock_add_node()`,
//! `memblock_reserve()`, `memblock_reserve_kern()`,
//! `memblock_reserved_mark_kern()`, `memblock_phys_free()`,
//! `memblock_remove()`, `memblock_reserved_kern_size()` and
//! `memblock_set_node()` on `memblock.reserved`, with addresses and sizes
//! from a small vocabulary (the simulated RAM, near 0, near
//! `PHYS_ADDR_MAX`, anything).  The sequence runs on the C instance, then
//! on the Rust one, from the same empty state.  After every operation:
//!
//! * both instances must agree exactly: return value, number of
//!   `WARN_ON()`s, and the complete state of `memblock.memory` and
//!   `memblock.reserved` (`cnt`, `max`, `total_size`, where the array lives,
//!   every entry up to `max`, stale ones included);
//! * both tables are sorted, non-overlapping, without empty regions, and
//!   `memblock.reserved` has no two touching regions of equal flags and
//!   node (memblock merges them);
//! * `memblock_reserve_kern()` and `memblock_reserved_mark_kern()` lose no
//!   reserved byte and unflag no `MEMBLOCK_RSRV_KERN` byte; on success the
//!   range is reserved (`reserve_kern`) or its reserved parts are flagged
//!   (`mark_kern`); `memblock_reserved_kern_size()` is the sum a model
//!   computes from the table.
//!
//! Region arrays double into a real mapping at a fixed address, as in
//! `tools/testing/memblock-ab`: memory is only ever added there or above,
//! and `current_limit` is its end.

#![no_main]

use bootmem_fuzz::Input;
use libfuzzer_sys::fuzz_target;
use std::sync::Once;

// The glue's exports (`memblock_reserve_kern()`, ...) come from this crate.
use memblock_ab_rust as _;

const PG: u64 = 0x1000;
const DUMMY_BASE: u64 = 0x2000_0000_0000;
const DUMMY_SIZE: u64 = 1 << 20;
const ZONE_A: u64 = 0x3000_0000_0000;
const INIT_REGIONS: usize = 128;
const RSRV_KERN: u32 = 0x20;
const MAX_NUMNODES: i32 = 16;
const NUMA_NO_NODE: i32 = -1;
const MAX_OPS: usize = 64;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Region {
    base: u64,
    size: u64,
    flags: u32,
    nid: i32,
}

#[repr(C)]
struct Type {
    cnt: usize,
    max: usize,
    total_size: u64,
    regions: *mut Region,
    name: *mut u8,
}

#[repr(C)]
struct Memblock {
    bottom_up: bool,
    current_limit: u64,
    memory: Type,
    reserved: Type,
}

type AddNode = unsafe extern "C" fn(u64, u64, i32, u32) -> i32;
type Range = unsafe extern "C" fn(u64, u64) -> i32;
type KernSize = unsafe extern "C" fn(u64, i32) -> u64;
type SetNode = unsafe extern "C" fn(u64, u64, *mut Type, i32) -> i32;

extern "C" {
    static mut memblock: Memblock;
    static mut fzc_memblock: Memblock;

    fn memblock_add_node(base: u64, size: u64, nid: i32, flags: u32) -> i32;
    fn memblock_reserve(base: u64, size: u64) -> i32;
    fn memblock_reserve_kern(base: u64, size: u64) -> i32;
    fn memblock_reserved_mark_kern(base: u64, size: u64) -> i32;
    fn memblock_phys_free(base: u64, size: u64) -> i32;
    fn memblock_remove(base: u64, size: u64) -> i32;
    fn memblock_reserved_kern_size(limit: u64, nid: i32) -> u64;
    fn memblock_set_node(base: u64, size: u64, t: *mut Type, nid: i32) -> i32;
    fn memblock_allow_resize();

    fn fzc_memblock_add_node(base: u64, size: u64, nid: i32, flags: u32) -> i32;
    fn fzc_memblock_reserve(base: u64, size: u64) -> i32;
    fn fzc_memblock_reserve_kern(base: u64, size: u64) -> i32;
    fn fzc_memblock_reserved_mark_kern(base: u64, size: u64) -> i32;
    fn fzc_memblock_phys_free(base: u64, size: u64) -> i32;
    fn fzc_memblock_remove(base: u64, size: u64) -> i32;
    fn fzc_memblock_reserved_kern_size(limit: u64, nid: i32) -> u64;
    fn fzc_memblock_set_node(base: u64, size: u64, t: *mut Type, nid: i32) -> i32;
    fn fzc_memblock_allow_resize();

    fn fz_capture_c_warnings();
    fn fz_c_warnings() -> u64;
    fn ab_rust_capture_warnings(enable: bool);
    fn ab_rust_drain_warnings(buf: *mut u8, cap: usize) -> usize;
}

/// One memblock instance: its global and its functions.
struct Inst {
    mb: *mut Memblock,
    add_node: AddNode,
    reserve: Range,
    reserve_kern: Range,
    mark_kern: Range,
    phys_free: Range,
    remove: Range,
    kern_size: KernSize,
    set_node: SetNode,
    /// The static arrays the instance starts with.
    init: (*mut Region, *mut Region),
    rust: bool,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    AddNode(u64, u64, i32, u32),
    Reserve(u64, u64),
    ReserveKern(u64, u64),
    MarkKern(u64, u64),
    PhysFree(u64, u64),
    Remove(u64, u64),
    KernSize(u64, i32),
    SetNode(u64, u64, i32),
}

#[derive(Debug, PartialEq, Eq)]
struct TypeState {
    cnt: usize,
    max: usize,
    total_size: u64,
    array: u64,
    entries: Vec<Region>,
}

#[derive(Debug, PartialEq, Eq)]
struct Step {
    ret: u64,
    warnings: u64,
    memory: TypeState,
    reserved: TypeState,
}

static SETUP: Once = Once::new();
static mut INIT: [(usize, usize); 2] = [(0, 0); 2];

fn setup() {
    SETUP.call_once(|| {
        // SAFETY: A fixed anonymous mapping where nothing else lives (the
        // address is far from the heap, stacks and libraries), as in
        // tools/testing/memblock-ab.
        let p = unsafe {
            libc_mmap(
                DUMMY_BASE as *mut u8,
                DUMMY_SIZE as usize,
                3,           /* PROT_READ | PROT_WRITE */
                0x22 | 0x10, /* MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED */
                -1,
                0,
            )
        };
        assert_eq!(p as u64, DUMMY_BASE, "mmap of the simulated RAM");
        // SAFETY: Single-threaded set-up before any operation.
        unsafe {
            INIT[0] = (
                fzc_memblock.memory.regions as usize,
                fzc_memblock.reserved.regions as usize,
            );
            INIT[1] = (
                memblock.memory.regions as usize,
                memblock.reserved.regions as usize,
            );
            fzc_memblock_allow_resize();
            memblock_allow_resize();
            fz_capture_c_warnings();
            ab_rust_capture_warnings(true);
        }
    });
}

extern "C" {
    #[link_name = "mmap"]
    fn libc_mmap(addr: *mut u8, len: usize, prot: i32, flags: i32, fd: i32, off: i64) -> *mut u8;
}

fn inst(rust: bool) -> Inst {
    // SAFETY: Only addresses of the globals are taken; INIT is set once.
    unsafe {
        let init = INIT[usize::from(rust)];
        let init = (init.0 as *mut Region, init.1 as *mut Region);
        if rust {
            Inst {
                mb: &raw mut memblock,
                add_node: memblock_add_node,
                reserve: memblock_reserve,
                reserve_kern: memblock_reserve_kern,
                mark_kern: memblock_reserved_mark_kern,
                phys_free: memblock_phys_free,
                remove: memblock_remove,
                kern_size: memblock_reserved_kern_size,
                set_node: memblock_set_node,
                init,
                rust,
            }
        } else {
            Inst {
                mb: &raw mut fzc_memblock,
                add_node: fzc_memblock_add_node,
                reserve: fzc_memblock_reserve,
                reserve_kern: fzc_memblock_reserve_kern,
                mark_kern: fzc_memblock_reserved_mark_kern,
                phys_free: fzc_memblock_phys_free,
                remove: fzc_memblock_remove,
                kern_size: fzc_memblock_reserved_kern_size,
                set_node: fzc_memblock_set_node,
                init,
                rust,
            }
        }
    }
}

fn base_of(inp: &mut Input<'_>) -> u64 {
    let odd = if inp.u8() % 8 == 0 { inp.below(PG) } else { 0 };
    match inp.u8() % 7 {
        0 | 1 => DUMMY_BASE + inp.below(DUMMY_SIZE / PG) * PG + odd,
        2 => ZONE_A + inp.below(96) * PG + odd,
        3 => u64::MAX - inp.below(32) * PG - odd,
        4 => inp.below(96) * PG + odd,
        5 => DUMMY_BASE - inp.below(8) * PG,
        _ => inp.u64(),
    }
}

fn size_of(inp: &mut Input<'_>, base: u64) -> u64 {
    match inp.u8() % 10 {
        0 => 0,
        1..=3 => (1 + inp.below(8)) * PG,
        4 => (1 + inp.below(64)) * PG,
        5 => 1 + inp.below(PG - 1),
        6 => u64::MAX,
        7 => u64::MAX - base,
        8 => inp.u64(),
        _ => (1 + inp.below(DUMMY_SIZE / PG)) * PG,
    }
}

fn nid_of(inp: &mut Input<'_>) -> i32 {
    match inp.u8() % 10 {
        0 => NUMA_NO_NODE,
        1 => MAX_NUMNODES,
        2 => MAX_NUMNODES + 1,
        _ => i32::from(inp.u8() % 8),
    }
}

fn decode(inp: &mut Input<'_>) -> Vec<Op> {
    let mut ops = Vec::new();
    while !inp.is_empty() && ops.len() < MAX_OPS {
        let kind = inp.u8() % 8;
        let op = match kind {
            0 => {
                // Memory only in the simulated RAM or above it.
                let base = DUMMY_BASE + inp.below(DUMMY_SIZE / PG * 2) * PG;
                let size = size_of(inp, base);
                let nid = nid_of(inp);
                let flags = u32::from(inp.u8() & 0x3f);
                Op::AddNode(base, size, nid, flags)
            }
            6 => {
                let limit = if inp.u8() % 2 == 0 {
                    u64::MAX
                } else {
                    base_of(inp)
                };
                Op::KernSize(limit, nid_of(inp))
            }
            _ => {
                let base = base_of(inp);
                let size = size_of(inp, base);
                match kind {
                    1 => Op::Reserve(base, size),
                    2 => Op::ReserveKern(base, size),
                    3 => Op::MarkKern(base, size),
                    4 => Op::PhysFree(base, size),
                    5 => Op::Remove(base, size),
                    _ => Op::SetNode(base, size, nid_of(inp)),
                }
            }
        };
        ops.push(op);
    }
    ops
}

/// The live regions of a type.
fn live(t: &Type) -> &[Region] {
    if t.regions.is_null() {
        return &[];
    }
    // SAFETY: The instance's array has `max >= cnt` entries.
    unsafe { std::slice::from_raw_parts(t.regions, t.cnt) }
}

fn type_state(t: &Type, init: *mut Region) -> TypeState {
    let array = if t.regions == init {
        0
    } else {
        (t.regions as u64).wrapping_sub(DUMMY_BASE).wrapping_add(1)
    };
    // SAFETY: The instance's array has `max` initialised entries.
    let entries = unsafe { std::slice::from_raw_parts(t.regions, t.max) }.to_vec();
    TypeState {
        cnt: t.cnt,
        max: t.max,
        total_size: t.total_size,
        array,
        entries,
    }
}

fn reset(i: &Inst, bottom_up: bool) {
    // SAFETY: The instance's global, reset to its initial arrays.
    unsafe {
        let mb = &mut *i.mb;
        for (t, init) in [(&mut mb.memory, i.init.0), (&mut mb.reserved, i.init.1)] {
            std::ptr::write_bytes(init, 0, INIT_REGIONS);
            t.regions = init;
            t.cnt = 0;
            t.max = INIT_REGIONS;
            t.total_size = 0;
        }
        mb.bottom_up = bottom_up;
        mb.current_limit = DUMMY_BASE + DUMMY_SIZE;
    }
}

/// Whether `[base, base + size)` touches a live array in the mapping
/// (freeing it would let memblock hand it out while in use; the kernel
/// never does that either).
fn hits_array(i: &Inst, base: u64, size: u64) -> bool {
    // SAFETY: Reads the instance's global.
    let mb = unsafe { &*i.mb };
    let end = base.saturating_add(size);
    [(&mb.memory, i.init.0), (&mb.reserved, i.init.1)]
        .iter()
        .any(|(t, init)| {
            let a = t.regions as u64;
            let b = a + ((t.max as u64 * 24 + PG - 1) & !(PG - 1));
            t.regions != *init && base < b && a < end
        })
}

/// Lines the Rust printed through `pr_warn!()` since the last call: each
/// counts as a warning the C never fires (the Rust fires the C's
/// `WARN_ON()`s through the C helper `memblock_add_range_warn()`, which
/// [`fz_c_warnings`] counts).
fn rust_warnings() -> u64 {
    let mut buf = vec![0u8; 1 << 16];
    // SAFETY: `buf` holds `buf.len()` bytes.
    let len = unsafe { ab_rust_drain_warnings(buf.as_mut_ptr(), buf.len()) };
    let text = String::from_utf8_lossy(&buf[..len.min(buf.len() - 1)]);
    if std::env::var_os("FZ_VERBOSE").is_some() && !text.is_empty() {
        eprint!("{text}");
    }
    text.lines().count() as u64
}

/// Sorted, disjoint, no empty region; for `memblock.reserved` also merged.
/// Returns a description of the first problem.
fn check_table(t: &Type, merged: bool) -> Option<String> {
    let r = live(t);
    if t.cnt > t.max {
        return Some(format!("cnt {} > max {}", t.cnt, t.max));
    }
    for (k, x) in r.iter().enumerate() {
        if x.size == 0 {
            return Some(format!("region {k} is empty"));
        }
        if x.base.checked_add(x.size).is_none() {
            return Some(format!("region {k} wraps"));
        }
        if let Some(p) = k.checked_sub(1).map(|p| &r[p]) {
            if x.base < p.base + p.size {
                return Some(format!("region {k} overlaps or precedes region {}", k - 1));
            }
            if merged && p.base + p.size == x.base && p.flags == x.flags && p.nid == x.nid {
                return Some(format!(
                    "regions {} and {k} touch and were not merged",
                    k - 1
                ));
            }
        }
    }
    None
}

/// Whether `[a, b)` is covered by regions of `r` accepted by `pred`.
fn covered(r: &[Region], a: u64, b: u64, pred: impl Fn(&Region) -> bool) -> bool {
    let mut at = a;
    for x in r {
        if at >= b {
            break;
        }
        let end = x.base + x.size;
        if end <= at {
            continue;
        }
        if x.base > at || !pred(x) {
            return false;
        }
        at = end;
    }
    at >= b
}

/// The model of `memblock_reserved_kern_size()`.
fn kern_size_model(r: &[Region], limit: u64, nid: i32) -> u64 {
    let all = !(0..MAX_NUMNODES).contains(&nid);
    r.iter()
        .filter(|x| x.base <= limit && x.flags & RSRV_KERN != 0 && (all || x.nid == nid))
        .map(|x| (x.base + x.size).min(limit) - x.base)
        .sum()
}

/// Checks what the RSRV_KERN functions promise, on the table before and
/// after `op` returned `ret`.
fn check_kern(op: &Op, before: &[Region], after: &[Region], ret: u64) {
    let (base, size) = match *op {
        Op::ReserveKern(b, s) | Op::MarkKern(b, s) => (b, s),
        Op::KernSize(limit, nid) => {
            assert_eq!(
                ret,
                kern_size_model(before, limit, nid),
                "memblock_reserved_kern_size({limit:#x}, {nid}) disagrees with the model"
            );
            return;
        }
        _ => return,
    };
    for x in before {
        assert!(
            covered(after, x.base, x.base + x.size, |_| true),
            "{op:x?} lost reserved [{:#x}+{:#x}]",
            x.base,
            x.size
        );
        if x.flags & RSRV_KERN != 0 {
            assert!(
                covered(after, x.base, x.base + x.size, |y| y.flags & RSRV_KERN != 0),
                "{op:x?} unflagged RSRV_KERN [{:#x}+{:#x}]",
                x.base,
                x.size
            );
        }
    }
    if ret != 0 {
        return;
    }
    let end = base.saturating_add(size);
    if let Op::ReserveKern(..) = op {
        assert!(
            covered(after, base, end, |_| true),
            "{op:x?}: range not reserved"
        );
    } else {
        for x in before {
            let (a, b) = (x.base.max(base), (x.base + x.size).min(end));
            if a < b {
                assert!(
                    covered(after, a, b, |y| y.flags & RSRV_KERN != 0),
                    "{op:x?}: reserved [{a:#x}, {b:#x}) not flagged"
                );
            }
        }
    }
}

/// Runs `ops` on instance `i` from the empty state; one step per operation.
fn run(i: &Inst, ops: &[Op], bottom_up: bool) -> Vec<Step> {
    reset(i, bottom_up);
    // Nothing left over from an earlier run.
    // SAFETY: Plain C calls.
    unsafe { fz_c_warnings() };
    rust_warnings();
    let mut steps = Vec::with_capacity(ops.len());
    for op in ops {
        // SAFETY: Reads the instance's global.
        let before = live(unsafe { &(*i.mb).reserved }).to_vec();
        // SAFETY: The instance's functions, on its global, single-threaded,
        // with the simulated RAM mapped.
        let ret = unsafe {
            match *op {
                Op::AddNode(b, s, n, f) => (i.add_node)(b, s, n, f) as u64,
                Op::Reserve(b, s) => (i.reserve)(b, s) as u64,
                Op::ReserveKern(b, s) => (i.reserve_kern)(b, s) as u64,
                Op::MarkKern(b, s) => (i.mark_kern)(b, s) as u64,
                Op::PhysFree(b, s) if !hits_array(i, b, s) => (i.phys_free)(b, s) as u64,
                Op::PhysFree(..) => u64::MAX,
                Op::Remove(b, s) => (i.remove)(b, s) as u64,
                Op::KernSize(l, n) => (i.kern_size)(l, n),
                Op::SetNode(b, s, n) => (i.set_node)(b, s, &raw mut (*i.mb).reserved, n) as u64,
            }
        };
        // SAFETY: Plain C call.
        let mut warnings = unsafe { fz_c_warnings() };
        if i.rust {
            warnings += rust_warnings();
        }
        // SAFETY: Reads the instance's global.
        let mb = unsafe { &*i.mb };
        let who = if i.rust { "Rust" } else { "C" };
        for (name, t, merged) in [
            ("memory", &mb.memory, false),
            ("reserved", &mb.reserved, true),
        ] {
            if let Some(problem) = check_table(t, merged) {
                panic!("{who}: memblock.{name} after {op:x?}: {problem}");
            }
        }
        check_kern(op, &before, live(&mb.reserved), ret);
        steps.push(Step {
            ret,
            warnings,
            memory: type_state(&mb.memory, i.init.0),
            reserved: type_state(&mb.reserved, i.init.1),
        });
    }
    steps
}

fuzz_target!(|data: &[u8]| {
    setup();
    let mut inp = Input::new(data);
    let bottom_up = inp.u8() % 4 == 0;
    let ops = decode(&mut inp);
    let c = run(&inst(false), &ops, bottom_up);
    let r = run(&inst(true), &ops, bottom_up);
    for (k, (c, r)) in c.iter().zip(&r).enumerate() {
        assert!(
            c == r,
            "C and Rust differ after operation {k} ({:x?}); operations: {ops:x?}\nC: {c:x?}\nRust: {r:x?}",
            ops[k]
        );
    }
});
