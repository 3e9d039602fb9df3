/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared state of the userspace build of drivers/firmware/efi/unaccepted_memory.c:
 * the table efi_get_unaccepted_table() returns, a checking no-op spinlock and
 * the arch_accept_memory() log.  Everything here is single threaded.
 */
#ifndef _AB_STUB_H
#define _AB_STUB_H

#include <linux/types.h>
#include <stdbool.h>

/* x86-64: phys_addr_t and unsigned long are both 64 bits. */
_Static_assert(sizeof(phys_addr_t) == 8, "build with -DCONFIG_PHYS_ADDR_T_64BIT");
_Static_assert(sizeof(unsigned long) == 8, "64-bit host required");

struct efi_unaccepted_memory;

/* Set by the driver before every call into the C. */
extern struct efi_unaccepted_memory *ab_c_table;

/*
 * spinlock_t: a no-op lock whose state main.c checks (never nested, never
 * left held; arch_accept_memory() runs unlocked with irqs still off).
 */
typedef struct { int unused; } spinlock_t;
extern int ab_locked, ab_irqs_off;
void ab_spin_lock(void);
void ab_spin_unlock(void);

/* arch_accept_memory() of the C: appends to the C log (main.c). */
void ab_c_arch_accept_memory(u64 start, u64 end);

#endif
