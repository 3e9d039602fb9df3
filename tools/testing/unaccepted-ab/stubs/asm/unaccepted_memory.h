/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stub <asm/unaccepted_memory.h>, as in the tree (patch 0008):
 * arch_accept_memory() is out of line (main.c records the call),
 * efi_get_unaccepted_table() is the tree's, reading efi.unaccepted.
 */
#ifndef _AB_ASM_UNACCEPTED_MEMORY_H
#define _AB_ASM_UNACCEPTED_MEMORY_H

#include <linux/efi.h>

void arch_accept_memory(phys_addr_t start, phys_addr_t end);

/* copied by run.sh from arch/x86/include/asm/unaccepted_memory.h */
#include "gen_efi_get_unaccepted_table.h"

#endif
