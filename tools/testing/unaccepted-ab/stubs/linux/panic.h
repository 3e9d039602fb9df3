/* SPDX-License-Identifier: GPL-2.0 */
/* panic(): recorded by main.c, and it returns (as under a KUnit stub). */
#ifndef _AB_LINUX_PANIC_H
#define _AB_LINUX_PANIC_H
void panic(const char *fmt, ...);
#endif
