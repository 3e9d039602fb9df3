/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared state of the userspace build of drivers/firmware/efi/unaccepted_memory.c
 * (the C) and of the C objects the Rust glue uses (unaccepted_memory_state.c,
 * the rust/helpers): a checking spinlock, the softlockup watchdog counter and
 * the arch_accept_memory() recorder, all in main.c.  Everything here is
 * single threaded.
 */
#ifndef _AB_STUB_H
#define _AB_STUB_H

#include <linux/types.h>
#include <stdbool.h>

/* x86-64: phys_addr_t and unsigned long are both 64 bits. */
_Static_assert(sizeof(phys_addr_t) == 8, "build with -DCONFIG_PHYS_ADDR_T_64BIT");
_Static_assert(sizeof(unsigned long) == 8, "64-bit host required");

/*
 * spinlock_t: a lock whose state main.c checks (never taken twice, never
 * released unheld, never left held; arch_accept_memory() runs with no lock
 * held and irqs still "off").  The Rust stand-in's bindings::spinlock has
 * this layout.  Taking and releasing it can run a hook of the driver (the
 * other CPU of the deterministic accepting_list cases).
 */
typedef struct spinlock { int locked; } spinlock_t;
struct lock_class_key;

void ab_spin_lock(spinlock_t *lock);
void ab_spin_unlock(spinlock_t *lock);
unsigned long ab_spin_lock_irqsave(spinlock_t *lock);
void ab_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags);

/* touch_softlockup_watchdog(): counted, per call. */
void ab_touch_softlockup_watchdog(void);

#endif
