/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Simulated unaccepted memory (CONFIG_EFI_UNACCEPTED_MEMORY_SIM): a test
 * aid, not a platform.  With "efi_unaccepted_sim=ADDR" on the command line,
 * the EFI stub treats conventional memory above ADDR as if the firmware had
 * reported it as EFI_UNACCEPTED_MEMORY: it builds and installs the real
 * unaccepted memory table, and writes a poison pattern into the first
 * cache line of every page it leaves unaccepted.  The kernel then runs the
 * real lazy paths, and its arch_accept_memory() checks, per page, that the
 * poison is intact (nothing wrote the page before accepting it, which would
 * kill a TDX guest), zeroes it as a real accept does, and reports a unit
 * accepted twice (fatal on TDX).
 *
 * Shared by the EFI stub (drivers/firmware/efi/libstub) and the kernel
 * (arch/x86/mm/unaccepted_memory.c).
 */
#ifndef _LINUX_EFI_UNACCEPTED_SIM_H
#define _LINUX_EFI_UNACCEPTED_SIM_H

#include <linux/types.h>

/* The first cache line of each simulated-unaccepted page. */
#define EFI_UNACCEPTED_SIM_POISON_WORDS	8

/*
 * Word @i of the poison of the page at @pa: depends on the address, so
 * that a copy of another page's poison does not pass for intact.
 */
static inline u64 efi_unaccepted_sim_poison_word(u64 pa, unsigned int i)
{
	return 0xacce97edf00dbad5ULL ^ (pa + 8 * i);
}

static inline void efi_unaccepted_sim_poison_page(u64 *page, u64 pa)
{
	unsigned int i;

	for (i = 0; i < EFI_UNACCEPTED_SIM_POISON_WORDS; i++)
		page[i] = efi_unaccepted_sim_poison_word(pa, i);
}

static inline bool efi_unaccepted_sim_poison_intact(const u64 *page, u64 pa)
{
	unsigned int i;

	for (i = 0; i < EFI_UNACCEPTED_SIM_POISON_WORDS; i++)
		if (page[i] != efi_unaccepted_sim_poison_word(pa, i))
			return false;
	return true;
}

#endif /* _LINUX_EFI_UNACCEPTED_SIM_H */
