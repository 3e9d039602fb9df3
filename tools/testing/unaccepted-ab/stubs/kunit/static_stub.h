/* SPDX-License-Identifier: GPL-2.0 */
/* No KUnit in userspace: a static stub never redirects. */
#ifndef _AB_KUNIT_STATIC_STUB_H
#define _AB_KUNIT_STATIC_STUB_H
#define KUNIT_STATIC_STUB_REDIRECT(real_fn_name, args...) do { } while (0)
#endif
