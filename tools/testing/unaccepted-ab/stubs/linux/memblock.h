/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stub <linux/memblock.h>.  unaccepted_memory.c uses nothing of memblock;
 * in the kernel this header brings <linux/mm.h>, whose PAGE_ALIGN() and
 * PAGE_ALIGN_DOWN() it uses (upstream 948a013a54c4).  Same definitions,
 * over ALIGN()/ALIGN_DOWN() of tools/include.
 */
#ifndef _AB_LINUX_MEMBLOCK_H
#define _AB_LINUX_MEMBLOCK_H
#include <linux/efi.h>
#ifndef ALIGN_DOWN
#define ALIGN_DOWN(x, a)	__ALIGN_KERNEL((x) - ((a) - 1), (a))
#endif
#define PAGE_ALIGN(addr)	ALIGN(addr, PAGE_SIZE)
#define PAGE_ALIGN_DOWN(addr)	ALIGN_DOWN(addr, PAGE_SIZE)
#endif
