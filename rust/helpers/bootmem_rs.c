// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the bootmem-rs Rust ports: C inline functions and macros
 * they use, as real functions bindgen and Rust can call.
 */

#include <linux/bug.h>
#include <linux/efi.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/nmi.h>
#include <linux/spinlock.h>

#ifdef CONFIG_X86
#include <asm/realmode.h>
#endif

unsigned long rust_helper_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags;

	spin_lock_irqsave(lock, flags);
	return flags;
}

void rust_helper_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	spin_unlock_irqrestore(lock, flags);
}

void rust_helper_list_add(struct list_head *new, struct list_head *head)
{
	list_add(new, head);
}

void rust_helper_list_del(struct list_head *entry)
{
	list_del(entry);
}

/*
 * touch_softlockup_watchdog() is a real function or an empty inline
 * depending on CONFIG_SOFTLOCKUP_DETECTOR; a helper of the same name would
 * clash with the former in the bindings, hence the prefix.
 */
void rust_helper_efi_touch_softlockup_watchdog(void)
{
	touch_softlockup_watchdog();
}

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

#ifdef CONFIG_X86
/* The real-mode trampoline quirk of efi_unmap_boot_services(). */
size_t __init rust_helper_real_mode_size_needed(void)
{
	return real_mode_size_needed();
}

void __init rust_helper_set_real_mode_mem(phys_addr_t mem)
{
	set_real_mode_mem(mem);
}
#endif

#ifdef CONFIG_UNACCEPTED_MEMORY
/*
 * efi_get_unaccepted_table() of <asm/unaccepted_memory.h>, which bindgen
 * cannot read (it pulls in <asm/tdx.h> and <asm/sev.h>).
 */
struct efi_unaccepted_memory *rust_helper_efi_get_unaccepted_table(void)
{
	if (efi.unaccepted == EFI_INVALID_TABLE_ADDR)
		return NULL;
	return __va(efi.unaccepted);
}
#endif
