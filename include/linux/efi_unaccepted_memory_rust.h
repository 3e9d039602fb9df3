/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface between the Rust EFI unaccepted memory port
 * (unaccepted_memory_rust.rs) and the few C objects it needs
 * (unaccepted_memory_state.c).  Also read by bindgen
 * (rust/bindings/bindings_helper.h), so that the Rust uses, and is checked
 * against, exactly these declarations.
 */
#ifndef __EFI_UNACCEPTED_MEMORY_RUST_H
#define __EFI_UNACCEPTED_MEMORY_RUST_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct vmcore_cb;

/* Protects the unaccepted memory bitmap and efi_accepting_list. */
extern spinlock_t efi_unaccepted_memory_lock;

/* Unit ranges being accepted right now; entries live on their CPU's stack. */
extern struct list_head efi_accepting_list;

struct accept_range {
	struct list_head list;
	unsigned long start;
	unsigned long end;
};

/*
 * From <asm/unaccepted_memory.h>, which bindgen cannot read; the C files
 * that include both make the compiler check the two agree.
 */
void arch_accept_memory(phys_addr_t start, phys_addr_t end);

/* Panics (KUnit may redirect it): the table cannot be used safely. */
void efi_unaccepted_table_unusable(void);

/* Provided by the Rust, called through the kdump vmcore callback. */
bool unaccepted_memory_vmcore_pfn_is_ram(struct vmcore_cb *cb,
					 unsigned long pfn);

#endif /* __EFI_UNACCEPTED_MEMORY_RUST_H */
