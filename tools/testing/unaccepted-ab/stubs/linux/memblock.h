/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/memblock.h>: unaccepted_memory.c uses nothing from it. */
