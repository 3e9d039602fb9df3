// SPDX-License-Identifier: GPL-2.0

//! Builds the C side of the fuzz targets (`c/build.sh`) from the kernel
//! tree in `BOOTMEM_KDIR` (default: the repository's `build/linux`) and
//! links it into every target.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let here = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let kdir = env::var_os("BOOTMEM_KDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| here.join("../../../build/linux"));
    let status = Command::new(here.join("c/build.sh"))
        .arg(&out)
        .arg(&kdir)
        .status()
        .expect("run c/build.sh");
    assert!(status.success(), "c/build.sh failed");
    // At the end of the link line: the Rust glue (in the dependencies' rlibs)
    // and the targets both call into it.
    println!(
        "cargo:rustc-link-arg=-Wl,--start-group,{},--end-group",
        out.join("libbootmem_fuzz_c.a").display()
    );
    for lib in ["pthread", "dl", "m"] {
        println!("cargo:rustc-link-arg=-l{lib}");
    }
    println!("cargo:rerun-if-env-changed=BOOTMEM_KDIR");
    println!("cargo:rerun-if-env-changed=FUZZ_C_COVERAGE");
    println!("cargo:rerun-if-changed=c");
    println!(
        "cargo:rerun-if-changed={}",
        kdir.join("mm/memblock.c").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        kdir.join("drivers/firmware/efi/unaccepted_memory.c")
            .display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        kdir.join("drivers/firmware/efi/memmap_ranges.c").display()
    );
}
