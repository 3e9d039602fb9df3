/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stub <asm/unaccepted_memory.h>: arch_accept_memory() records the call,
 * efi_get_unaccepted_table() returns the driver's table.
 */
#ifndef _AB_ASM_UNACCEPTED_MEMORY_H
#define _AB_ASM_UNACCEPTED_MEMORY_H

#include <linux/efi.h>

static inline void arch_accept_memory(phys_addr_t start, phys_addr_t end)
{
	ab_c_arch_accept_memory(start, end);
}

static inline struct efi_unaccepted_memory *efi_get_unaccepted_table(void)
{
	return ab_c_table;
}
#endif
