/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/crash_dump.h>: struct vmcore_cb as in the tree; the driver calls the callback. */
#ifndef _AB_LINUX_CRASH_DUMP_H
#define _AB_LINUX_CRASH_DUMP_H

#include <linux/list.h>

struct vmcore_cb {
	bool (*pfn_is_ram)(struct vmcore_cb *cb, unsigned long pfn);
	struct list_head next;
};

extern struct vmcore_cb *ab_vmcore_cb;
static inline void register_vmcore_cb(struct vmcore_cb *cb) { ab_vmcore_cb = cb; }

#ifndef __init
#define __init
#endif
/* Run the initcall at program start. */
#define core_initcall(fn) \
	static void __attribute__((constructor)) __ab_initcall_##fn(void) { fn(); }

#endif
