/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stub <linux/crash_dump.h>: struct vmcore_cb as in the tree;
 * register_vmcore_cb() records the callbacks (the C's and the one
 * unaccepted_memory_state.c registers for the Rust), which the driver calls.
 */
#ifndef _AB_LINUX_CRASH_DUMP_H
#define _AB_LINUX_CRASH_DUMP_H

#include <linux/list.h>

struct vmcore_cb {
	bool (*pfn_is_ram)(struct vmcore_cb *cb, unsigned long pfn);
	struct list_head next;
};

#define AB_MAX_VMCORE_CBS 4
extern struct vmcore_cb *ab_vmcore_cbs[AB_MAX_VMCORE_CBS];
extern int ab_nr_vmcore_cbs;
static inline void register_vmcore_cb(struct vmcore_cb *cb)
{
	if (ab_nr_vmcore_cbs < AB_MAX_VMCORE_CBS)
		ab_vmcore_cbs[ab_nr_vmcore_cbs] = cb;
	ab_nr_vmcore_cbs++;
}

#ifndef __init
#define __init
#endif
/* Run the initcall at program start. */
#define core_initcall(fn) \
	static void __attribute__((constructor)) __ab_initcall_##fn(void) { fn(); }

#endif
