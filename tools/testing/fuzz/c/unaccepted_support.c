// SPDX-License-Identifier: GPL-2.0
/*
 * What the unaccepted memory fuzz target needs besides the C under test and
 * the Rust glue's C objects: the state that tools/testing/unaccepted-ab/stubs
 * leaves to its driver (struct efi, the vmcore callbacks, the spinlock,
 * the softlockup watchdog) and an arch_accept_memory() that records each
 * call and checks it: whole units inside the table, all of them still
 * unaccepted (never a unit twice), no lock held, irqs "off".
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/efi.h>
#include <linux/crash_dump.h>
#include <asm/unaccepted_memory.h>
#include <linux/efi_unaccepted_memory_rust.h>

struct efi efi = { .unaccepted = EFI_INVALID_TABLE_ADDR };
struct vmcore_cb *ab_vmcore_cbs[AB_MAX_VMCORE_CBS];
int ab_nr_vmcore_cbs;

#define FZ_MAX_LOG 4096
struct fz_accept { u64 start, end; };
struct fz_accept fz_accept_log[FZ_MAX_LOG];
unsigned long fz_accept_n;	/* calls; only the first FZ_MAX_LOG are logged */
const char *fz_ua_error;	/* the first broken rule, or NULL */
unsigned long fz_lock_takes, fz_touches;
/* panic() calls: efi_unaccepted_table_unusable() on a bad table. */
unsigned long fz_panics;

void panic(const char *fmt, ...)
{
	(void)fmt;
	fz_panics++;
}

static int locks_held, irqs_off;

static void fail(const char *what)
{
	if (!fz_ua_error)
		fz_ua_error = what;
}

void ab_spin_lock(spinlock_t *lock)
{
	if (lock->locked)
		fail("spin_lock() with the lock held");
	lock->locked = 1;
	locks_held++;
}

void ab_spin_unlock(spinlock_t *lock)
{
	if (!lock->locked)
		fail("spin_unlock() without the lock");
	lock->locked = 0;
	locks_held--;
}

unsigned long ab_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = irqs_off;

	irqs_off = 1;
	ab_spin_lock(lock);
	fz_lock_takes++;
	return flags;
}

void ab_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	ab_spin_unlock(lock);
	irqs_off = flags;
}

void ab_touch_softlockup_watchdog(void)
{
	fz_touches++;
	if (locks_held != 1 || !irqs_off)
		fail("touch_softlockup_watchdog() outside the locked section");
}

static bool test_unit(const unsigned long *bm, u64 i)
{
	return (bm[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;
}

void arch_accept_memory(phys_addr_t start, phys_addr_t end)
{
	struct efi_unaccepted_memory *t = (void *)efi.unaccepted;
	u64 unit, s, e;

	if (fz_accept_n < FZ_MAX_LOG)
		fz_accept_log[fz_accept_n] = (struct fz_accept){ start, end };
	fz_accept_n++;
	if (locks_held || !irqs_off)
		fail("arch_accept_memory() with a lock held or irqs on");
	if (efi.unaccepted == EFI_INVALID_TABLE_ADDR) {
		fail("arch_accept_memory() without a table");
		return;
	}
	unit = t->unit_size;
	if (!unit || start >= end || start < t->phys_base || (start - t->phys_base) % unit ||
	    (end - t->phys_base) % unit || (end - t->phys_base) / unit > t->size * BITS_PER_BYTE) {
		fail("arch_accept_memory() of a range outside the table or not whole units");
		return;
	}
	s = (start - t->phys_base) / unit;
	e = (end - t->phys_base) / unit;
	/* Runs are at most a few thousand units here: the tables are small. */
	for (; s < e; s++)
		if (!test_unit(t->bitmap, s)) {
			fail("arch_accept_memory() of an already accepted unit");
			return;
		}
}

/* Before each call: a clean log. */
void fz_ua_reset(void)
{
	fz_accept_n = 0;
	fz_ua_error = NULL;
	fz_lock_takes = fz_touches = 0;
}

/* After each call: no lock left held, irqs "on" again, list empty. */
const char *fz_ua_after(void)
{
	if (locks_held)
		fail("a lock left held");
	if (irqs_off)
		fail("irqs left off");
	if (efi_accepting_list.next != &efi_accepting_list)
		fail("efi_accepting_list not empty");
	return fz_ua_error;
}

/*
 * The vmcore pfn_is_ram callbacks: the C's (@rust false) or the one
 * unaccepted_memory_state.c registers for the Rust, told apart by function.
 */
bool fz_pfn_is_ram(bool rust, unsigned long pfn)
{
	for (int i = 0; i < ab_nr_vmcore_cbs && i < AB_MAX_VMCORE_CBS; i++) {
		struct vmcore_cb *cb = ab_vmcore_cbs[i];

		if ((cb->pfn_is_ram == unaccepted_memory_vmcore_pfn_is_ram) == rust)
			return cb->pfn_is_ram(cb, pfn);
	}
	fail("no vmcore callback");
	return true;
}
