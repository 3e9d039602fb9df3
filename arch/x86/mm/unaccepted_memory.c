// SPDX-License-Identifier: GPL-2.0
/*
 * arch_accept_memory(), out of line so that KUnit tests of
 * accept_memory() can redirect it with a static stub: on a guest that is
 * neither TDX nor SEV-SNP the real one panics, and on one that is,
 * accepting memory twice is fatal.
 */

#include <kunit/static_stub.h>
#include <linux/cc_platform.h>
#include <linux/panic.h>
#include <asm/unaccepted_memory.h>

void arch_accept_memory(phys_addr_t start, phys_addr_t end)
{
	KUNIT_STATIC_STUB_REDIRECT(arch_accept_memory, start, end);

	/* Platform-specific memory-acceptance call goes here */
	if (cpu_feature_enabled(X86_FEATURE_TDX_GUEST)) {
		if (!tdx_accept_memory(start, end))
			panic("TDX: Failed to accept memory\n");
	} else if (cc_platform_has(CC_ATTR_GUEST_SEV_SNP)) {
		snp_accept_memory(start, end);
	} else {
		panic("Cannot accept memory: unknown platform\n");
	}
}
