// SPDX-License-Identifier: GPL-2.0
/*
 * Bench driver for EFI unaccepted memory: the tree's C
 * drivers/firmware/efi/unaccepted_memory.c (built with its accept_memory()
 * and range_contains_unaccepted_memory() renamed ab_c_*, as in
 * tools/testing/unaccepted-ab) against the kernel's Rust glue
 * unaccepted_memory_rust.rs with unaccepted_memory_bitmap.rs (a static
 * library, kernel names), both with their C helpers and against the stubs
 * of tools/testing/unaccepted-ab.  arch_accept_memory() is an out-of-line
 * no-op and the spinlock a plain flag, the same for both.
 *
 * Tables of 2 MiB units at phys_base 4 GiB, with bitmaps of 1, 4, 16, 64
 * and 256 MiB (256 MiB: 2^31 units, 4 PiB of address space, the largest
 * table the seed's worst case describes).  One table, refilled (not
 * counted) before every counted call:
 *
 *   accept_memory() (all set):       the whole table, one run of 2^k units;
 *   accept_memory() (1 in 4096 set): the whole table, one unit set in every
 *                                    64 words (many short runs);
 *   accept_memory() (one unit):      one 4 KiB page of an accepted unit,
 *                                    the common case once memory is in use;
 *   range_contains_unaccepted_memory() (all clear): the whole table, none
 *                                    set (the query must look at all);
 *   range_contains_unaccepted_memory() (one page): one 4 KiB page.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/efi.h>
#include <linux/crash_dump.h>
#include <asm/unaccepted_memory.h>
#include <linux/efi_unaccepted_memory_rust.h>
#include "bench.h"

#define UNIT		(2ULL << 20)
#define PHYS_BASE	(4ULL << 30)

/* The C under test, renamed by run.sh. */
void ab_c_accept_memory(phys_addr_t start, unsigned long size);
bool ab_c_range_contains_unaccepted_memory(phys_addr_t start, unsigned long size);

/* ---- what the stubs of tools/testing/unaccepted-ab leave to the driver ---- */
struct efi efi = { .unaccepted = EFI_INVALID_TABLE_ADDR };
struct vmcore_cb *ab_vmcore_cbs[AB_MAX_VMCORE_CBS];
int ab_nr_vmcore_cbs;

void ab_spin_lock(spinlock_t *lock)
{
	lock->locked = 1;
}

void ab_spin_unlock(spinlock_t *lock)
{
	lock->locked = 0;
}

unsigned long ab_spin_lock_irqsave(spinlock_t *lock)
{
	lock->locked = 1;
	return 0;
}

void ab_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	lock->locked = 0;
}

/* efi_unaccepted_table_unusable() (a bad table) never runs here. */
void panic(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

void ab_touch_softlockup_watchdog(void)
{
}

static unsigned long accepted_calls;

__attribute__((__noinline__)) void arch_accept_memory(phys_addr_t start, phys_addr_t end)
{
	accepted_calls++;
	__asm__ volatile("" ::: "memory");
}

static volatile bool sink;

enum fill { ALL_SET, ALL_CLEAR, SPARSE };

static void fill(struct efi_unaccepted_memory *t, size_t bytes, enum fill how)
{
	unsigned long *w = t->bitmap;
	size_t words = bytes / sizeof(*w);

	memset(w, how == ALL_SET ? 0xff : 0, bytes);
	if (how == SPARSE)
		for (size_t i = 0; i < words; i += 64)
			w[i] = 1UL << (i / 64 % 64);
}

int main(void)
{
	static const unsigned int mib[] = { 1, 4, 16, 64, 256 };
	/* BENCH_MAX_MIB: the largest bitmap to measure (quick runs). */
	const char *env = getenv("BENCH_MAX_MIB");
	unsigned long limit = env ? strtoul(env, NULL, 0) : 256;
	size_t max = (size_t)mib[sizeof(mib) / sizeof(mib[0]) - 1] << 20;
	struct efi_unaccepted_memory *t;
	char sz[32];

	t = mmap(NULL, sizeof(*t) + max, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	t->version = 1;
	t->unit_size = UNIT;
	t->phys_base = PHYS_BASE;
	efi.unaccepted = (unsigned long)t;

	bench_calibrate();
	for (unsigned int k = 0; k < sizeof(mib) / sizeof(mib[0]); k++) {
		size_t bytes = (size_t)mib[k] << 20;

		if (mib[k] > limit)
			break;
		u64 span = bytes * 8 * UNIT, page = PHYS_BASE + span / 2 + 4096;
		unsigned long c_calls, rs_calls;

		t->size = bytes;
		bench_size(sz, sizeof(sz), mib[k], "MiB");

		/* Warm-up of both sides (lazy binding, first touches). */
		fill(t, bytes, ALL_SET);
		ab_c_accept_memory(PHYS_BASE, UNIT);
		accept_memory(PHYS_BASE + UNIT, UNIT);

		fill(t, bytes, ALL_SET);
		MEASURE("accept_memory() (all set)", sz, "C",
			ab_c_accept_memory(PHYS_BASE, span));
		fill(t, bytes, ALL_SET);
		MEASURE("accept_memory() (all set)", sz, "Rust",
			accept_memory(PHYS_BASE, span));

		fill(t, bytes, SPARSE);
		accepted_calls = 0;
		MEASURE("accept_memory() (1 in 4096 set)", sz, "C",
			ab_c_accept_memory(PHYS_BASE, span));
		c_calls = accepted_calls;
		fill(t, bytes, SPARSE);
		accepted_calls = 0;
		MEASURE("accept_memory() (1 in 4096 set)", sz, "Rust",
			accept_memory(PHYS_BASE, span));
		rs_calls = accepted_calls;
		if (c_calls != rs_calls || c_calls != bytes / 512)
			fprintf(stderr, "unaccepted_bench: %lu vs %lu arch_accept_memory() calls\n",
				c_calls, rs_calls);

		fill(t, bytes, ALL_CLEAR);
		MEASURE("accept_memory() (one page, accepted)", sz, "C",
			ab_c_accept_memory(page, 4096));
		MEASURE("accept_memory() (one page, accepted)", sz, "Rust",
			accept_memory(page, 4096));

		MEASURE("range_contains_unaccepted_memory() (all clear)", sz, "C",
			sink = ab_c_range_contains_unaccepted_memory(PHYS_BASE, span));
		MEASURE("range_contains_unaccepted_memory() (all clear)", sz, "Rust",
			sink = range_contains_unaccepted_memory(PHYS_BASE, span));

		MEASURE("range_contains_unaccepted_memory() (one page)", sz, "C",
			sink = ab_c_range_contains_unaccepted_memory(page, 4096));
		MEASURE("range_contains_unaccepted_memory() (one page)", sz, "Rust",
			sink = range_contains_unaccepted_memory(page, 4096));
	}
	return 0;
}
