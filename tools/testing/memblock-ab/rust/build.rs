// SPDX-License-Identifier: GPL-2.0

//! Kconfig symbols of the simulated configuration, as `--cfg`s (the kernel
//! build passes them to rustc the same way).

fn main() {
    // The simulator has no init sections: `__init_memblock` is empty there
    // as with CONFIG_ARCH_KEEP_MEMBLOCK, so the glue stays in `.text`.
    println!("cargo:rustc-cfg=CONFIG_ARCH_KEEP_MEMBLOCK");
    if std::env::var_os("CARGO_FEATURE_NUMA").is_some() {
        println!("cargo:rustc-cfg=CONFIG_NUMA");
    }
    if std::env::var_os("CARGO_FEATURE_DEBUG_VM").is_some() {
        println!("cargo:rustc-cfg=CONFIG_DEBUG_VM");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
