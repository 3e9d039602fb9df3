#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kbuild.sh config|build VARIANT [KDIR]
#
# Configure and build the VARIANT (c, rust or stock) kernel out of tree in
# build/out-VARIANT: tinyconfig + configs/base.config + configs/VARIANT.config,
# merged with the tree's own merge_config.sh, then checked: every option the
# fragments ask for must have survived olddefconfig.  The stock kernel is
# built from KDIR-stock (scripts/prepare-stock.sh), without the options of
# our own Kconfig, which stock 6.12 does not have.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:?usage: kbuild.sh config|build VARIANT [KDIR]}
variant=${2:?usage: kbuild.sh config|build VARIANT [KDIR]}
kdir=${3:-$top/build/linux}
# SANITIZE=kasan adds configs/kasan.config (KASAN + UBSAN) and builds in
# build/out-VARIANT-kasan.
sfx=${SANITIZE:+-$SANITIZE}
# KBUILD_OUT= builds elsewhere (make mutants: a copy of out-rust).
out=${KBUILD_OUT:-$top/build/out-$variant$sfx}
logs=$top/build/logs
mkdir -p "$out" "$logs"

case "$variant" in c|rust|stock) ;; *) echo "kbuild: VARIANT must be c, rust or stock" >&2; exit 2 ;; esac
frags=("$top/configs/base.config" "$top/configs/$variant.config")
if [ -n "${SANITIZE:-}" ]; then
	[ -f "$top/configs/$SANITIZE.config" ] ||
		{ echo "kbuild: SANITIZE=$SANITIZE: no configs/$SANITIZE.config" >&2; exit 2; }
	frags+=("$top/configs/$SANITIZE.config")
fi
if [ "$variant" = stock ]; then
	kdir=$kdir-stock
	# Leave out the symbols our Kconfig defines (stock has no such menu),
	# and Rust, which nothing in stock uses (nor the Rust samples, ours
	# among them: patch 0030).
	ours=$(sed -nE 's/^(menu)?config ([A-Z0-9_]+).*/\2/p' "$top/Kconfig" | paste -sd'|' -)
	grep -vE "^(# )?CONFIG_($ours|RUST[A-Z0-9_]*|SAMPLES_RUST|SAMPLE_RUST_[A-Z0-9_]*)[= ]" \
		"$top/configs/base.config" > "$out/stock-base.config"
	frags=("$out/stock-base.config" "$top/configs/stock.config")
fi

# Kernel Rust needs Debian's rustc-web (with its library source): keep
# rustup's toolchain (no rust-src) off PATH for kernel builds.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}
export CCACHE_BASEDIR=$top/build
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
export CCACHE_NOHASHDIR=1
# CLIPPY=1: Rust objects go through clippy-driver with the kernel's lints,
# so clippy warnings in our files fail the build like compiler warnings.
mk=(make -C "$kdir" O="$out" LLVM=1 -j"${JOBS:-$(nproc)}"
    RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTFMT=/usr/bin/rustfmt
    BINDGEN="${BOOTMEM_RS_BINDGEN:-$top/build/tools/bin/bindgen}" CC="ccache clang"
    CLIPPY=1)

do_config() {
	local stamp=$out/.bootmem-rs-config-stamp want
	want=$(cat "${frags[@]}" "$top/Kconfig" | sha256sum | cut -d' ' -f1)
	if [ -f "$out/.config" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	local clog=$logs/config-$variant$sfx.log
	echo "kbuild: configuring $variant in $out (log: ${clog#$top/})"
	if ! { "${mk[@]}" -s tinyconfig &&
	       (cd "$kdir" && ./scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "${frags[@]}") &&
	       "${mk[@]}" -s olddefconfig; } > "$clog" 2>&1; then
		tail -20 "$clog" >&2
		echo "kbuild: $variant: configuration FAILED, see ${clog#$top/}" >&2
		exit 1
	fi
	# Every requested value must have survived olddefconfig (a missing
	# dependency silently drops an option).
	local bad=0 line sym
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*}
			grep -qxF "$line" "$out/.config" || {
				echo "kbuild: $variant: asked for '$line', got '$(grep -E "^(# )?$sym[= ]" "$out/.config" || echo "$sym undefined")'" >&2
				bad=1; } ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}
			if grep -q "^$sym=" "$out/.config"; then
				echo "kbuild: $variant: asked for '$line', got '$(grep "^$sym=" "$out/.config")'" >&2
				bad=1
			fi ;;
		esac
	done < <(cat "${frags[@]}")
	if [ $bad -ne 0 ]; then
		grep -q '^CONFIG_RUST=y' "$out/.config" ||
			"${mk[@]}" rustavailable >&2 || true
		rm -f "$stamp"
		exit 1
	fi
	echo "$want" > "$stamp"
}

do_build() {
	# The two variants differ only in bootmem-rs switches: seed a fresh
	# build directory from the other variant's, so Kbuild rebuilds only what
	# depends on the switches (its config tracking is per symbol) instead
	# of the whole kernel.
	local other=$top/build/out-$([ "$variant" = c ] && echo rust || echo c)$sfx
	if [ "$variant" != stock ] && [ ! -f "$out/vmlinux" ] && [ -f "$other/vmlinux" ]; then
		echo "kbuild: seeding ${out#$top/} from ${other#$top/}"
		rm -rf "$out.tmp" && cp -a "$other" "$out.tmp" &&
			rm -rf "$out" && mv "$out.tmp" "$out"
		rm -f "$out/.bootmem-rs-config-stamp"
	fi
	do_config
	local log=$logs/build-$variant$sfx${KBUILD_OUT:+-${out##*/}}.log
	echo "kbuild: building $variant (log: ${log#$top/})"
	local start=$SECONDS
	if ! "${mk[@]}" bzImage > "$log" 2>&1; then
		grep -E 'error|Error|ERROR' "$log" | head -40 >&2
		echo "kbuild: $variant build FAILED, see ${log#$top/}" >&2
		exit 1
	fi
	# No new compiler/clippy/modpost warnings in our own files.
	local ours
	ours=$(cd "$top" && find mm drivers arch rust samples lib kernel include -type f \( -name '*.rs' -o -name '*.c' -o -name "*.h" \) 2>/dev/null | sed 's/[.]/\\./g' | paste -sd'|' - || true)
	if grep -nE 'section mismatch|Section mismatch' "$log" >&2; then
		echo "kbuild: $variant: modpost section mismatch" >&2; exit 1
	fi
	# make mutants turns the warning gate off (BOOTMEM_RS_LINT_GATE=0): a
	# mutant must be caught by a test, not by a lint.
	if [ "${BOOTMEM_RS_LINT_GATE:-1}" = 1 ] && [ -n "$ours" ] &&
	   grep -E "warning" -A3 "$log" | grep -qE "($ours)"; then
		grep -E "warning" -A6 "$log" | grep -E -B3 -A3 "($ours)" >&2
		echo "kbuild: $variant: warnings in bootmem-rs files" >&2; exit 1
	fi
	echo "kbuild: $variant built in $((SECONDS - start)) s"
}

case "$cmd" in
config) do_config ;;
build) do_build ;;
*) echo "kbuild: unknown command $cmd" >&2; exit 2 ;;
esac
