#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what bootmem-rs needs on a Debian 12 machine, idempotently:
# Debian packages (only the missing ones; no apt traffic when all are there)
# and bindgen-cli 0.70.1 under build/tools (built once with Debian's cargo).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(linux-source-6.12 rustc-web rust-web-src qemu-system-x86 ovmf clang lld
      llvm libclang-dev bc flex bison libelf-dev libssl-dev cpio busybox-static
      liburcu-dev python3 git make rustfmt-web rust-web-clippy)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup-deps: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

# rustup's toolchain (if any) has no rust-src; the kernel must use Debian's.
bindgen="$top/build/tools/bin/bindgen"
if ! "$bindgen" --version 2>/dev/null | grep -q '0\.70\.1'; then
	echo "setup-deps: building bindgen-cli 0.70.1 (about 2 minutes)"
	PATH=/usr/bin:/bin cargo install --locked --quiet bindgen-cli --version 0.70.1 \
		--root "$top/build/tools"
fi

echo "setup-deps: ok"
