#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh KDIR [ITERATIONS]: build the tree's pure EFI memory map helpers in
# userspace and check them against brute-force oracles.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=$(cd "${1:?usage: run.sh KDIR [ITERATIONS]}" && pwd)
make -s -C "$here" KDIR="$kdir" efi_memmap_test
"$here/efi_memmap_test" "${2:-100000}"
