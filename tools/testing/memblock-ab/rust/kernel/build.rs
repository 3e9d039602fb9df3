// SPDX-License-Identifier: GPL-2.0

//! `CONFIG_NUMA` as a `--cfg`, as the kernel build passes Kconfig symbols.

fn main() {
    if std::env::var_os("CARGO_FEATURE_NUMA").is_some() {
        println!("cargo:rustc-cfg=CONFIG_NUMA");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
