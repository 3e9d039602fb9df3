/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/spinlock.h>: the checking lock of ab_stub.h. */
#ifndef _AB_LINUX_SPINLOCK_H
#define _AB_LINUX_SPINLOCK_H

#include "ab_stub.h"

#define DEFINE_SPINLOCK(x)		spinlock_t x = { 0 }
#define spin_lock_init(l)		((l)->locked = 0)
#define spin_lock(l)			ab_spin_lock(l)
#define spin_unlock(l)			ab_spin_unlock(l)
#define spin_lock_irqsave(l, f)		((f) = ab_spin_lock_irqsave(l))
#define spin_unlock_irqrestore(l, f)	ab_spin_unlock_irqrestore(l, f)

#endif
