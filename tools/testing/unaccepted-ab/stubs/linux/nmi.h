/* SPDX-License-Identifier: GPL-2.0 */
/* Stub <linux/nmi.h>. */
#ifndef _AB_LINUX_NMI_H
#define _AB_LINUX_NMI_H
static inline void touch_softlockup_watchdog(void) { }
#endif
