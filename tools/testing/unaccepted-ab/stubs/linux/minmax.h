/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/minmax.h> for lib/find_bit.c: min() comes from tools' <linux/kernel.h>. */
#include <linux/kernel.h>
