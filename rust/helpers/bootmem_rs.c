// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the bootmem-rs Rust ports: C inline functions and macros
 * they use, as real functions bindgen and Rust can call.
 */

#include <linux/efi.h>
#include <linux/list.h>
#include <linux/nmi.h>
#include <linux/spinlock.h>

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
