# SPDX-License-Identifier: GPL-2.0
#
# bootmem-rs harness.  The two set-up commands are
#
#   make ab      build the C and the Rust kernel, boot both under QEMU/OVMF,
#                run KUnit, print the A/B table (the main job)
#   make check   host tests, rustfmt/clippy, a short fuzz run, then `make ab`; ends with
#                "N passed, N failed"
#
# Both install what they need (scripts/setup-deps.sh) and prepare the
# kernel tree (scripts/prepare-tree.sh): KDIR=/path/to/linux-6.12.y uses
# your tree instead of the Debian 6.12.117 source unpacked in build/linux.

TOP      := $(CURDIR)
KDIR     ?= $(TOP)/build/linux
VARIANT  ?= c
MEM      ?= 1G
SMP      ?= 2
APPEND   ?=
MATRIX   ?= check
SANITIZE ?=
export KDIR MEM SMP APPEND MATRIX SANITIZE

.PHONY: help deps tree config build kernels initramfs boot ab sim check \
	host-test fmt clippy bench bench-boot fuzz fresh-check mutants kunit docs clean distclean

help:
	@sed -n '3,13p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Other targets: deps tree config build boot kernels sim kunit docs host-test fmt clippy"
	@echo "               bench bench-boot fuzz fresh-check mutants clean"
	@echo "Variables: KDIR= VARIANT=c|rust|stock MEM=1G SMP=2 APPEND='...' MATRIX=check|full|kexec|sim"
	@echo "           SANITIZE=kasan (KASAN + UBSAN kernels, C and Rust)"
	@echo "           FUZZ_SECONDS=60 (make fuzz, per target; make check: 20)"
	@echo "           BENCH_BOOTS=5 BENCH_ICOUNT=N (make bench-boot: boots per variant, QEMU -icount)"

deps:
	@scripts/setup-deps.sh

tree: deps
	@scripts/prepare-tree.sh $(KDIR)
	@scripts/prepare-stock.sh $(KDIR)

config: tree
	@scripts/kbuild.sh config $(VARIANT) $(KDIR)

build: tree
	@scripts/kbuild.sh build $(VARIANT) $(KDIR)

# One kernel build at a time: the machine this runs on has two cores.
# stock: pristine 6.12 (patches/series.stock), the third A/B column.
# SANITIZE=kasan: KASAN + UBSAN builds of C and Rust (configs/kasan.config),
# no stock column.
kernels: tree
	@scripts/kbuild.sh build c $(KDIR)
	@scripts/kbuild.sh build rust $(KDIR)
	@[ -n "$(SANITIZE)" ] || scripts/kbuild.sh build stock $(KDIR)

initramfs:
	@scripts/bootmem_ab.py initramfs

boot: build
	@scripts/bootmem_ab.py boot $(VARIANT)

ab: kernels
	@scripts/bootmem_ab.py ab

# Simulated unaccepted memory: C and Rust, lazy and eager, at 1G/4G/8G
# (SIM_SIZES=, SIM_BOOTS=, SIM_BASE=, SIM_DELAY_US=).
sim: tree
	@scripts/kbuild.sh build c $(KDIR)
	@scripts/kbuild.sh build rust $(KDIR)
	@scripts/bootmem_ab.py sim

check: tree
	@scripts/check.sh

# The Sphinx build of our Documentation pages (make SPHINXDIRS=mm htmldocs).
docs: tree
	@scripts/docs.sh $(KDIR)

# Our KUnit suites through the tree's own kunit.py (x86_64, OVMF), VARIANT=c|rust.
kunit: tree
	@scripts/kunit.sh $(VARIANT) $(KDIR)

# make check on a fresh debootstrap'ed Debian 12 root (needs root).
fresh-check:
	@scripts/fresh-check.sh

# Deliberate breaks of the Rust; every one must make a test fail.
mutants: kernels
	@scripts/mutants.py $(MUTANTS)

host-test: tree
	@scripts/check.sh host

fmt:
	@scripts/check.sh fmt

clippy:
	@scripts/check.sh clippy

# Instruction counts of the C and the Rust on the same inputs (valgrind's
# callgrind); prints a table, fails only if something does not build or run.
bench: tree
	@tools/testing/bench/run.sh $(KDIR)

# The in-kernel time of the boot services unmap and free phases, C and
# Rust, BENCH_BOOTS boots each (5 here), with initcall_debug.
bench-boot: tree
	@scripts/kbuild.sh build c $(KDIR)
	@scripts/kbuild.sh build rust $(KDIR)
	@scripts/bootmem_ab.py bench-boot

# Coverage-guided fuzzing (libFuzzer via cargo-fuzz) of the Rust against
# the C, FUZZ_SECONDS per target (60 here; make check's short run: 20).
fuzz: tree
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} tools/testing/fuzz/run.sh $(KDIR)

clean:
	rm -rf build/out-c build/out-rust build/out-stock build/out-mutant build/mutants build/boot \
		build/logs build/results build/host build/bench build/fuzz/target build/kunit-c build/kunit-rust build/htmldocs

distclean:
	rm -rf build
