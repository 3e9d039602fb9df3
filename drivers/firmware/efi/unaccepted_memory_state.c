// SPDX-License-Identifier: GPL-2.0
/*
 * Static kernel objects of the Rust EFI unaccepted memory port
 * (unaccepted_memory_rust.rs), which holds all of its logic.
 *
 * Rust in Linux 6.12 can define neither a statically initialised
 * spinlock_t (its lockdep and debug fields are built by macros) nor an
 * initcall, and accept_memory() may run long before any initcall could set
 * a lock up at run time: so the lock, the list head and the kdump callback
 * registration are defined here, in C, exactly as unaccepted_memory.c
 * defines them.
 */

#include <kunit/static_stub.h>
#include <linux/crash_dump.h>
#include <linux/init.h>
#include <linux/panic.h>
#include <asm/unaccepted_memory.h>

#include <linux/efi_unaccepted_memory_rust.h>

DEFINE_SPINLOCK(efi_unaccepted_memory_lock);
LIST_HEAD(efi_accepting_list);

/*
 * The Rust found the unaccepted memory table unusable and said why.  Memory
 * that is really unaccepted cannot be accepted safely by that table, and
 * the first touch of it kills a TDX guest without a word: stop here,
 * loudly.  A static stub lets KUnit check the bad-table paths.
 */
void efi_unaccepted_table_unusable(void)
{
	KUNIT_STATIC_STUB_REDIRECT(efi_unaccepted_table_unusable);
	panic("efi: unusable unaccepted memory table\n");
}

#ifdef CONFIG_PROC_VMCORE
static struct vmcore_cb vmcore_cb = {
	.pfn_is_ram = unaccepted_memory_vmcore_pfn_is_ram,
};

static int __init unaccepted_memory_init_kdump(void)
{
	register_vmcore_cb(&vmcore_cb);
	return 0;
}
core_initcall(unaccepted_memory_init_kdump);
#endif /* CONFIG_PROC_VMCORE */
