// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the bootmem-rs EFI memory map port (CONFIG_EFI_MEMMAP_RUST):
 * C inline functions and macros it uses, as real functions bindgen and
 * Rust can call.
 */

#include <linux/bug.h>
#include <linux/efi.h>
#include <linux/io.h>

/* efi_enabled() and set_bit()/clear_bit() on efi.flags. */
bool rust_helper_efi_enabled(int feature)
{
	return efi_enabled(feature);
}

void rust_helper_efi_set_flag(int feature)
{
	set_bit(feature, &efi.flags);
}

void rust_helper_efi_clear_flag(int feature)
{
	clear_bit(feature, &efi.flags);
}

/*
 * WARN_ON() for the Rust ports: the same taint, backtrace and
 * panic_on_warn behaviour as in the C they replace.
 */
bool rust_helper_bootmem_rs_warn_on(bool cond)
{
	return WARN_ON(cond);
}

/* phys_to_virt() for the x86 EFI boot services code's free_reserved_area(). */
void *rust_helper_phys_to_virt(phys_addr_t address)
{
	return phys_to_virt(address);
}
