#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh [c|rust] [KDIR]
#
# Runs the bootmem-rs KUnit suites with the tree's own
# tools/testing/kunit/kunit.py, booting x86_64 through the EFI stub under
# QEMU/OVMF (tools/testing/kunit/qemu_configs/x86_64-ovmf.py, installed by
# prepare-tree.sh), with the kunitconfigs mm/.kunitconfig and
# drivers/firmware/efi/.kunitconfig, plus
# tools/testing/kunit/configs/bootmem-rs-rust.config for the Rust variant
# (with bootmem-rs-sample-module.config: the Rust sample built as a module).
# Builds into build/kunit-VARIANT with the toolchain kbuild.sh uses.
# The exit status is kunit.py's: non-zero if a test failed or crashed.
set -euo pipefail
variant=${1:-c}
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${2:-$top/build/linux}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

args=(--kunitconfig=mm --kunitconfig=drivers/firmware/efi)
case "$variant" in
c) ;;
rust) args+=(--kunitconfig=tools/testing/kunit/configs/bootmem-rs-rust.config
		--kunitconfig=tools/testing/kunit/configs/bootmem-rs-sample-module.config) ;;
*) echo "kunit.sh: VARIANT must be c or rust, not '$variant'" >&2; exit 2 ;;
esac

cd "$kdir"
exec python3 tools/testing/kunit/kunit.py run \
	--build_dir="$top/build/kunit-$variant" \
	--qemu_config=tools/testing/kunit/qemu_configs/x86_64-ovmf.py \
	--jobs="${JOBS:-$(nproc)}" --timeout="${KUNIT_TIMEOUT:-900}" \
	--make_options LLVM=1 \
	--make_options RUSTC=/usr/bin/rustc --make_options RUSTDOC=/usr/bin/rustdoc \
	--make_options RUSTFMT=/usr/bin/rustfmt \
	--make_options BINDGEN="${BOOTMEM_RS_BINDGEN:-$top/build/tools/bin/bindgen}" \
	"${args[@]}"
