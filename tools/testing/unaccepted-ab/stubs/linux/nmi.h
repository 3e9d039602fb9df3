/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/nmi.h>: the driver counts the watchdog touches. */
#ifndef _AB_LINUX_NMI_H
#define _AB_LINUX_NMI_H
#include "ab_stub.h"
static inline void touch_softlockup_watchdog(void) { ab_touch_softlockup_watchdog(); }
#endif
