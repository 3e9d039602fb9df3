// SPDX-License-Identifier: GPL-2.0
/*
 * arch_accept_memory(), out of line so that KUnit tests of
 * accept_memory() can redirect it with a static stub: on a guest that is
 * neither TDX nor SEV-SNP the real one panics, and on one that is,
 * accepting memory twice is fatal.
 *
 * With CONFIG_EFI_UNACCEPTED_MEMORY_SIM and "efi_unaccepted_sim=ADDR", it
 * also simulates the accept of a confidential guest for the memory the EFI
 * stub pretended was unaccepted (<linux/efi_unaccepted_sim.h>): a branch of
 * its own, taken before the platform calls, so that KUnit's static stub
 * still comes first.
 */

#include <kunit/static_stub.h>
#include <linux/cc_platform.h>
#include <linux/panic.h>
#include <asm/unaccepted_memory.h>

#ifdef CONFIG_EFI_UNACCEPTED_MEMORY_SIM
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/efi.h>
#include <linux/efi_unaccepted_sim.h>
#include <linux/init.h>
#include <linux/kstrtox.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>

/*
 * Default time to accept one 2 MiB unit: 1.3 ms.  Kirill Shutemov measured
 * about a minute to accept 90 GiB on one vCPU of a TDX guest whose host
 * maps private memory with 4K pages (lore, 25 Oct 2024,
 * https://lore.kernel.org/all/ihzvi5pwn5hrn4ky2ehjqztjxoixaiaby4igmeihqfehy2vrii@tsg6j5qvmyrm):
 * 60 s / 46080 units.  Other public figures are higher (SEV-SNP 128 GiB
 * eager vs lazy, ~3.2 ms; intel/lkvs tdx_mem_test baselines, ~5-6 ms).
 */
#define SIM_DEFAULT_DELAY_US	1300

/* The shadow covers this many units: 128 GiB of 2 MiB units, 8 KiB. */
#define SIM_MAX_UNITS		65536

static bool sim_active __ro_after_init;
static unsigned int sim_delay_us __ro_after_init = SIM_DEFAULT_DELAY_US;
static bool sim_trace __ro_after_init;

/*
 * Which units are still unaccepted, as the simulated platform knows it: a
 * copy of the table's bitmap taken at the first accept (before anything
 * can clear a bit), cleared unit by unit as they are accepted.
 */
static DECLARE_BITMAP(sim_shadow, SIM_MAX_UNITS);
static bool sim_shadow_ready;
static DEFINE_SPINLOCK(sim_lock);

static atomic64_t sim_units_accepted = ATOMIC64_INIT(0);
static atomic64_t sim_double_accepts = ATOMIC64_INIT(0);
static atomic64_t sim_use_before_accept = ATOMIC64_INIT(0);
static atomic64_t sim_bad_ranges = ATOMIC64_INIT(0);

/*
 * What was accepted before the slab allocator was up: memblock and the
 * first page allocations, on the boot CPU only, so the same in every boot
 * of the same kernel on the same machine (what the page allocator accepts
 * later depends on timing).  Adjacent ranges are merged.
 */
#define SIM_EARLY_RANGES	32
static struct { u64 start, end; } sim_early[SIM_EARLY_RANGES];
static unsigned int sim_nr_early;
static bool sim_early_overflow;
static u64 sim_early_units;

static int __init efi_unaccepted_sim_setup(char *arg)
{
	/* The stub parsed the address; the kernel only needs to know. */
	sim_active = arg && *arg;
	return 0;
}
early_param("efi_unaccepted_sim", efi_unaccepted_sim_setup);

static int __init efi_unaccepted_sim_delay_setup(char *arg)
{
	return kstrtouint(arg, 0, &sim_delay_us);
}
early_param("efi_unaccepted_sim_delay", efi_unaccepted_sim_delay_setup);

/* efi_unaccepted_sim_trace: log every accept, with the CPU doing it. */
static int __init efi_unaccepted_sim_trace_setup(char *arg)
{
	sim_trace = true;
	return 0;
}
early_param("efi_unaccepted_sim_trace", efi_unaccepted_sim_trace_setup);

static bool sim_shadow_init(const struct efi_unaccepted_memory *t)
{
	u64 nbits = t->size * BITS_PER_BYTE;
	unsigned long flags;
	bool ok = true;

	/* Pairs with the release below: a ready shadow is a complete one. */
	if (smp_load_acquire(&sim_shadow_ready))
		return true;
	spin_lock_irqsave(&sim_lock, flags);
	if (!sim_shadow_ready) {
		if (nbits > SIM_MAX_UNITS || t->unit_size % PAGE_SIZE) {
			ok = false;
		} else {
			bitmap_copy(sim_shadow, t->bitmap, nbits);
			/* Publishes the copy to the acquire above. */
			smp_store_release(&sim_shadow_ready, true);
			pr_info("efi_unaccepted_sim: %llu units of %u KiB at %#llx, %llu unaccepted, %u us per unit\n",
				nbits, t->unit_size >> 10, t->phys_base,
				(u64)bitmap_weight(sim_shadow, nbits), sim_delay_us);
		}
	}
	spin_unlock_irqrestore(&sim_lock, flags);
	return ok;
}

/* Accept the unit at @pa of @unit bytes: check the poison, zero it, wait. */
static void sim_accept_unit(u64 pa, u64 unit)
{
	u64 p;

	for (p = pa; p < pa + unit; p += PAGE_SIZE) {
		if (!efi_unaccepted_sim_poison_intact(__va(p), p)) {
			atomic64_inc(&sim_use_before_accept);
			pr_err_ratelimited("efi_unaccepted_sim: page %#llx was written before it was accepted\n",
					   p);
		}
	}
	/* A TDX accept leaves the memory zeroed. */
	memset(__va(pa), 0, unit);
	if (sim_delay_us)
		udelay(sim_delay_us);
	atomic64_inc(&sim_units_accepted);
}

static void sim_record_early(u64 start, u64 end, u64 units)
{
	unsigned int i;

	sim_early_units += units;
	for (i = 0; i < sim_nr_early; i++) {
		if (sim_early[i].end == start) {
			sim_early[i].end = end;
			return;
		}
		if (sim_early[i].start == end) {
			sim_early[i].start = start;
			return;
		}
	}
	if (sim_nr_early < SIM_EARLY_RANGES) {
		sim_early[sim_nr_early].start = start;
		sim_early[sim_nr_early++].end = end;
	} else {
		sim_early_overflow = true;
	}
}

/* The simulated platform's accept of [start, end). */
static void efi_unaccepted_sim_accept(phys_addr_t start, phys_addr_t end)
{
	struct efi_unaccepted_memory *t = efi_get_unaccepted_table();
	u64 unit, first, last, u;

	if (!t || !sim_shadow_init(t))
		panic("efi_unaccepted_sim: no usable table to simulate accepting [%#llx, %#llx)\n",
		      (u64)start, (u64)end);
	unit = t->unit_size;
	/* Only whole units of the table: anything else is a bug upstream. */
	if (start < t->phys_base || end <= start || (start - t->phys_base) % unit ||
	    (end - t->phys_base) % unit ||
	    (end - t->phys_base) / unit > t->size * BITS_PER_BYTE) {
		atomic64_inc(&sim_bad_ranges);
		pr_err("efi_unaccepted_sim: accept of [%#llx, %#llx) is not whole units of the table\n",
		       (u64)start, (u64)end);
		return;
	}
	first = (start - t->phys_base) / unit;
	last = (end - t->phys_base) / unit;
	if (sim_trace)
		pr_info("efi_unaccepted_sim: accept [%#llx, %#llx) on CPU %d\n",
			(u64)start, (u64)end, raw_smp_processor_id());
	for (u = first; u < last; u++) {
		if (!test_and_clear_bit(u, sim_shadow)) {
			atomic64_inc(&sim_double_accepts);
			pr_err_ratelimited("efi_unaccepted_sim: unit [%#llx, %#llx) accepted twice\n",
					   t->phys_base + u * unit,
					   t->phys_base + (u + 1) * unit);
			continue;
		}
		sim_accept_unit(t->phys_base + u * unit, unit);
	}
	if (!slab_is_available())
		sim_record_early(start, end, last - first);
}

static int sim_show(struct seq_file *m, void *v)
{
	unsigned int i;

	seq_printf(m, "units_accepted %lld\n", atomic64_read(&sim_units_accepted));
	seq_printf(m, "double_accepts %lld\n", atomic64_read(&sim_double_accepts));
	seq_printf(m, "use_before_accept %lld\n", atomic64_read(&sim_use_before_accept));
	seq_printf(m, "bad_ranges %lld\n", atomic64_read(&sim_bad_ranges));
	seq_printf(m, "delay_us %u\n", sim_delay_us);
	seq_printf(m, "early_units %llu\n", sim_early_units);
	for (i = 0; i < sim_nr_early; i++)
		seq_printf(m, "early_range [%#llx-%#llx)\n", sim_early[i].start,
			   sim_early[i].end);
	if (sim_early_overflow)
		seq_puts(m, "early_range overflow\n");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sim);

static int __init efi_unaccepted_sim_debugfs(void)
{
	if (sim_active)
		debugfs_create_file("efi_unaccepted_sim", 0444, NULL, NULL, &sim_fops);
	return 0;
}
late_initcall(efi_unaccepted_sim_debugfs);
#endif /* CONFIG_EFI_UNACCEPTED_MEMORY_SIM */

void arch_accept_memory(phys_addr_t start, phys_addr_t end)
{
	KUNIT_STATIC_STUB_REDIRECT(arch_accept_memory, start, end);

#ifdef CONFIG_EFI_UNACCEPTED_MEMORY_SIM
	if (sim_active) {
		efi_unaccepted_sim_accept(start, end);
		return;
	}
#endif

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
