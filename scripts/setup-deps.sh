#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what bootmem-rs needs on a Debian 12 machine, idempotently:
# Debian packages (only the missing ones; no apt traffic when all are there),
# bindgen-cli 0.70.1 and cargo-fuzz 0.13.2 under build/tools (built once with
# Debian's cargo), and the crates of the fuzz targets (cargo fetch).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

# Every tool the harness calls (scripts/, tools/testing/, the kernel build),
# audited on a debootstrap'ed Debian 12 root (make fresh-check): Debian's
# Rust (rustc-web has no cargo: that is cargo-web), the C toolchain the
# kernel (clang, ccache) and the host tests (gcc with ASan/UBSan) use,
# QEMU/OVMF, and what the kernel build and the initramfs need (kexec-tools:
# /sbin/kexec and the libraries ldd lists go into the kexec point's
# initramfs; Debian ships no static build), valgrind (make bench: callgrind
# counts instructions; perf has no hardware counters in a VM) and g++
# (libfuzzer-sys builds libFuzzer, C++, for make fuzz).
pkgs=(linux-source-6.12 xz-utils rustc-web rust-web-src cargo-web rustfmt-web
      rust-web-clippy qemu-system-x86 ovmf clang lld llvm libclang-dev ccache
      gcc libc6-dev bc flex bison libelf-dev libssl-dev cpio kmod busybox-static
      liburcu-dev kexec-tools python3 git make ca-certificates valgrind g++)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup-deps: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	# kexec-tools would otherwise (debconf default) make this machine's
	# own reboots kexec into its current kernel: only the binary is wanted.
	echo 'kexec-tools kexec-tools/load_kexec boolean false' | $sudo debconf-set-selections
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# rustup's toolchain (if any) has no rust-src; the kernel must use Debian's.
bindgen="$top/build/tools/bin/bindgen"
if ! "$bindgen" --version 2>/dev/null | grep -q '0\.70\.1'; then
	echo "setup-deps: building bindgen-cli 0.70.1 (about 2 minutes)"
	PATH=/usr/bin:/bin /usr/bin/cargo install --locked --quiet bindgen-cli --version 0.70.1 \
		--root "$top/build/tools"
fi

# make fuzz: cargo-fuzz, run with --sanitizer none so that Debian's stable
# toolchain suffices (tools/testing/fuzz/run.sh says why).
cargo_fuzz="$top/build/tools/bin/cargo-fuzz"
if ! "$cargo_fuzz" --version 2>/dev/null | grep -q '0\.13\.2'; then
	echo "setup-deps: building cargo-fuzz 0.13.2 (about 2 minutes)"
	PATH=/usr/bin:/bin /usr/bin/cargo install --locked --quiet cargo-fuzz --version 0.13.2 \
		--root "$top/build/tools"
fi
# The fuzz targets' crates (libfuzzer-sys and what it needs), once.
PATH=/usr/bin:/bin /usr/bin/cargo fetch --locked --quiet \
	--manifest-path "$top/tools/testing/fuzz/Cargo.toml"

echo "setup-deps: ok"
