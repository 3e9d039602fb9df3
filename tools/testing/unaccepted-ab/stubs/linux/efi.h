/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/efi.h>: just what unaccepted_memory.c and the Rust helpers need. */
#ifndef _AB_LINUX_EFI_H
#define _AB_LINUX_EFI_H

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/bitmap.h>
#include "ab_stub.h"
/* for_each_set_bitrange_from(), copied by run.sh from include/linux/find.h */
#include "gen_find_bitrange.h"
/* struct efi_unaccepted_memory, copied by run.sh from include/linux/efi.h */
#include "gen_efi_unaccepted.h"
/* EFI_INVALID_TABLE_ADDR, copied by run.sh from include/linux/efi.h */
#include "gen_efi_invalid_table_addr.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
/* The "direct map" is the identity: table addresses are host pointers. */
#define __va(x)		((void *)(unsigned long)(x))

/* The one field of the kernel's struct efi used here; main.c defines efi. */
extern struct efi {
	unsigned long unaccepted;	/* the unaccepted memory table */
} efi;

void accept_memory(phys_addr_t start, unsigned long size);
bool range_contains_unaccepted_memory(phys_addr_t start, unsigned long size);

/* pfn_is_unaccepted_memory(), copied by run.sh from include/linux/mm.h */
#include "gen_pfn_is_unaccepted.h"

#endif
