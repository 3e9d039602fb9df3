/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/swab.h> for lib/find_bit.c: only used under __BIG_ENDIAN. */
