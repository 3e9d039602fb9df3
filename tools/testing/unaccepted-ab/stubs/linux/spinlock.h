/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/spinlock.h>: a checking no-op lock (see ab_stub.h). */
#ifndef _AB_LINUX_SPINLOCK_H
#define _AB_LINUX_SPINLOCK_H

#include "ab_stub.h"

#define DEFINE_SPINLOCK(x)		spinlock_t x = { 0 }
#define spin_lock(l)			((void)(l), ab_spin_lock())
#define spin_unlock(l)			((void)(l), ab_spin_unlock())
#define spin_lock_irqsave(l, f)		do { (f) = ab_irqs_off; ab_irqs_off = 1; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f)	do { spin_unlock(l); ab_irqs_off = (f); } while (0)

#endif
