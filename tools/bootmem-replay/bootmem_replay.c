// SPDX-License-Identifier: GPL-2.0
/*
 * bootmem-replay: replay the x86 boot services memory decisions of the
 * bootmem-rs design ("efi/x86: Avoid the need to mangle the EFI memory
 * map", patches 0010-0025) on a real EFI memory map, read from a kernel
 * log booted with efi=debug or from a raw map dump, once with the C
 * helpers of drivers/firmware/efi/memmap_ranges.c (renamed c_efi_mm_*)
 * and once with the Rust of drivers/firmware/efi/efi_memmap_ranges.rs
 * (the bootmem-host static library), and print both side by side.
 *
 * What runs twice (C and Rust): every efi_mm_*() decision the kernel
 * makes, in the order arch/x86/platform/efi/quirks.c (or quirks_rust.rs)
 * makes them: efi_clean_memmap()'s validity test and compaction, the
 * order and overlap checks of efi_reserve_boot_services(), the pre-
 * SetVirtualAddressMap() filter (should_map_region()), the free ranges of
 * each boot services region (the memblock.reserved snapshot with
 * MEMBLOCK_RSRV_KERN, the 1 MiB floor, page rounding), the "freed whole"
 * test and compaction of the free stage, and the tail of the map's
 * allocation.
 *
 * What is modelled once, here, and fed to both: E820 (from the log's
 * BIOS-e820 lines, or derived from the EFI map as the EFI stub does,
 * then trim_bios_range()), memblock.reserved (a small model of
 * memblock_reserve(), memblock_reserved_mark_kern(), merging), the
 * reservations the log shows or implies (ESRT, MEMATTR, MOKvar, the
 * initrd, memblock=debug lines, --reserve), and the real-mode trampoline
 * (reserve_real_mode(), then the quirk of efi_unmap_boot_services()).
 * State a log does not give is listed under "assumed" in the output.
 *
 * Exit status: 0 if C and Rust agree everywhere, 1 if not, 2 on bad
 * input (a malformed line prints "FILE:LINE: what is wrong").
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/efi_memmap_ranges.h>
#include "memmap_log.h"

#define MAXD		4096
#define MAXR		(4 * MAXD + 256)
#define MAXSPAN		1024
#define PAGE		4096ULL
#define SZ_1M		(1ULL << 20)
#define EFI_MEMORY_RUNTIME	(1ULL << 63)
#define MEMBLOCK_NONE	0x0
#define MEMBLOCK_RSRV_KERN 0x20
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum { EFI_RESERVED, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BS_CODE,
	EFI_BS_DATA, EFI_RT_CODE, EFI_RT_DATA, EFI_CONVENTIONAL, EFI_UNUSABLE,
	EFI_ACPI_RECLAIM, EFI_ACPI_NVS, EFI_MMIO, EFI_MMIO_PORT, EFI_PAL_CODE,
	EFI_PERSISTENT, EFI_UNACCEPTED };

enum { E820_RAM = 1, E820_RESERVED = 2, E820_ACPI = 3, E820_NVS = 4,
	E820_UNUSABLE = 5, E820_PMEM = 7 };

/* The C implementation, renamed at build time (see the Makefile). */
bool c_efi_mm_map_layout(size_t map_size, size_t desc_size, size_t *nr);
bool c_efi_mm_desc_range(const struct efi_mm_desc *d, u64 *start, u64 *end);
long c_efi_mm_find_overlap(const void *map, size_t nr, size_t desc_size,
			   size_t idx);
bool c_efi_mm_sorted(const void *map, size_t nr, size_t desc_size);
size_t c_efi_mm_compact(void *map, size_t nr, size_t desc_size,
			bool (*keep)(const void *desc, void *ctx), void *ctx);
enum efi_mm_status c_efi_mm_free_ranges(u64 start, u64 end,
					const struct efi_mm_rsv *rsv,
					size_t nr_rsv, u64 floor, u64 page_size,
					struct efi_mm_range *out, size_t max_out,
					size_t *nr_out);
bool c_efi_mm_range_listed(const struct efi_mm_range *r, size_t n,
			   u64 start, u64 end);
u64 c_efi_mm_tail_pages(u64 map_phys, u64 used, u64 alloc, u64 page_size,
			u64 *first);

/* The Rust efi_md_keep() decision (tools/testing/bootmem-host). */
bool bootmem_host_efi_freed_whole(const struct efi_mm_desc *d,
				  const struct efi_mm_range *freed, size_t n);

/* efi_md_freed_whole() of quirks.c, on the C helpers. */
static bool c_freed_whole(const struct efi_mm_desc *md,
			  const struct efi_mm_range *r, size_t n)
{
	u64 start, end;

	return (md->type == EFI_BS_CODE || md->type == EFI_BS_DATA) &&
	       c_efi_mm_desc_range(md, &start, &end) &&
	       c_efi_mm_range_listed(r, n, start, end);
}

struct impl {
	const char *name;
	bool (*map_layout)(size_t, size_t, size_t *);
	bool (*desc_range)(const struct efi_mm_desc *, u64 *, u64 *);
	long (*find_overlap)(const void *, size_t, size_t, size_t);
	bool (*sorted)(const void *, size_t, size_t);
	size_t (*compact)(void *, size_t, size_t,
			  bool (*)(const void *, void *), void *);
	enum efi_mm_status (*free_ranges)(u64, u64, const struct efi_mm_rsv *,
					  size_t, u64, u64, struct efi_mm_range *,
					  size_t, size_t *);
	u64 (*tail_pages)(u64, u64, u64, u64, u64 *);
	bool (*freed_whole)(const struct efi_mm_desc *,
			    const struct efi_mm_range *, size_t);
};

static const struct impl impl_c = {
	"C", c_efi_mm_map_layout, c_efi_mm_desc_range, c_efi_mm_find_overlap,
	c_efi_mm_sorted, c_efi_mm_compact, c_efi_mm_free_ranges,
	c_efi_mm_tail_pages, c_freed_whole,
};

static const struct impl impl_rust = {
	"Rust", efi_mm_map_layout, efi_mm_desc_range, efi_mm_find_overlap,
	efi_mm_sorted, efi_mm_compact, efi_mm_free_ranges,
	efi_mm_tail_pages, bootmem_host_efi_freed_whole,
};

static const char *prog = "bootmem-replay";

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* ---- E820, as the kernel keeps it (sorted, adjacent same types merged) ---- */

struct e820e {
	u64 start, end;
	int type;
};

static struct e820e e820[MAXR];
static size_t ne820;

static int cmp_e820(const void *a, const void *b)
{
	const struct e820e *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void e820_normalize(void)
{
	size_t i, n = 0;

	qsort(e820, ne820, sizeof(e820[0]), cmp_e820);
	for (i = 0; i < ne820; i++) {
		if (e820[i].start >= e820[i].end)
			continue;
		if (n && e820[n - 1].end == e820[i].start &&
		    e820[n - 1].type == e820[i].type) {
			e820[n - 1].end = e820[i].end;
			continue;
		}
		e820[n++] = e820[i];
	}
	ne820 = n;
}

static void e820_add(u64 start, u64 end, int type)
{
	if (ne820 == MAXR)
		die("%s: E820 table full", prog);
	e820[ne820].start = start;
	e820[ne820].end = end;
	e820[ne820].type = type;
	ne820++;
}

/*
 * e820__range_update() / e820__range_remove(): the parts of [start, end)
 * of type @old (any type if @old is 0) become @new (removed if @new is 0).
 */
static void e820_change(u64 start, u64 end, int old, int new)
{
	size_t i, n = ne820;

	for (i = 0; i < n; i++) {
		struct e820e *e = &e820[i];
		u64 s, t;

		if ((old && e->type != old) || e->end <= start || e->start >= end)
			continue;
		s = e->start > start ? e->start : start;
		t = e->end < end ? e->end : end;
		if (e->end > t)
			e820_add(t, e->end, e->type);
		if (e->start < s)
			e820_add(e->start, s, e->type);
		e = &e820[i];
		e->start = s;
		e->end = t;
		if (new)
			e->type = new;
		else
			e->end = e->start;	/* dropped by e820_normalize() */
	}
	e820_normalize();
}

/* __e820__mapped_all() on a sanitized table. */
static bool e820_mapped_all(u64 start, u64 end, int type)
{
	size_t i;

	for (i = 0; i < ne820 && start < end; i++) {
		if (e820[i].type != type || e820[i].end <= start ||
		    e820[i].start > start)
			continue;
		start = e820[i].end;
	}
	return start >= end;
}

/* ---- memblock.reserved, modelled ---- */

struct rgn {
	u64 base, end;
	unsigned int flags;
};

struct mb {
	struct rgn r[MAXR];
	size_t n;
	/* the memblock_reserve() calls of efi_reserve_boot_services() */
	struct efi_mm_range calls[MAXR];
	size_t ncalls;
	bool record;
};

static int cmp_rgn(const void *a, const void *b)
{
	const struct rgn *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

static void mb_normalize(struct mb *m)
{
	size_t i, n = 0;

	qsort(m->r, m->n, sizeof(m->r[0]), cmp_rgn);
	for (i = 0; i < m->n; i++) {
		if (m->r[i].base >= m->r[i].end)
			continue;
		if (n && m->r[n - 1].end == m->r[i].base &&
		    m->r[n - 1].flags == m->r[i].flags) {
			m->r[n - 1].end = m->r[i].end;
			continue;
		}
		m->r[n++] = m->r[i];
	}
	m->n = n;
}

static void mb_push(struct mb *m, u64 base, u64 end, unsigned int flags)
{
	if (m->n == MAXR)
		die("%s: memblock model full", prog);
	m->r[m->n].base = base;
	m->r[m->n].end = end;
	m->r[m->n].flags = flags;
	m->n++;
}

/* memblock_is_region_reserved(): any overlap. */
static bool mb_overlaps(const struct mb *m, u64 base, u64 end)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->r[i].base < end && base < m->r[i].end)
			return true;
	return false;
}

/*
 * efi_unreserved_is_ram() of quirks.c (patch 0029): whether E820 says RAM
 * for all whole pages of [start, end) that no region of @m covers.  The
 * regions are sorted and do not overlap.
 */
static bool mb_unreserved_is_ram(const struct mb *m, u64 start, u64 end)
{
	while (start < end) {
		u64 rbase = end, rend = end, gs, ge;
		size_t i;

		for (i = 0; i < m->n; i++) {
			if (m->r[i].end <= start)
				continue;
			if (m->r[i].base < end) {
				rbase = m->r[i].base > start ? m->r[i].base : start;
				rend = m->r[i].end < end ? m->r[i].end : end;
			}
			break;
		}
		gs = (start + 4095) & ~4095ULL;
		ge = rbase & ~4095ULL;
		if (gs < ge && !e820_mapped_all(gs, ge, E820_RAM))
			return false;
		start = rend;
	}
	return true;
}

/*
 * memblock_add_range() on memblock.reserved: only the parts not yet
 * reserved are added, with @flags; regions already there keep theirs.
 */
static void mb_reserve(struct mb *m, u64 base, u64 size, unsigned int flags)
{
	u64 end = size > ~0ULL - base ? ~0ULL : base + size;
	u64 pos = base;
	size_t i, n = m->n;

	if (!size)
		return;
	if (m->record && m->ncalls < MAXR) {
		m->calls[m->ncalls].start = base;
		m->calls[m->ncalls].end = end;
		m->ncalls++;
	}
	for (i = 0; i < n && pos < end; i++) {
		if (m->r[i].end <= pos)
			continue;
		if (m->r[i].base >= end)
			break;
		if (m->r[i].base > pos)
			mb_push(m, pos, m->r[i].base, flags);
		pos = m->r[i].end;
	}
	if (pos < end)
		mb_push(m, pos, end, flags);
	mb_normalize(m);
}

/* memblock_reserved_mark_kern(): isolate, set the flag, merge. */
static void mb_mark_kern(struct mb *m, u64 base, u64 size)
{
	u64 end = size > ~0ULL - base ? ~0ULL : base + size;
	size_t i, n = m->n;

	for (i = 0; i < n; i++) {
		struct rgn *r = &m->r[i];

		if (r->end <= base || r->base >= end)
			continue;
		if (r->base < base) {
			mb_push(m, r->base, base, r->flags);
			r = &m->r[i];
			r->base = base;
		}
		if (r->end > end) {
			mb_push(m, end, r->end, r->flags);
			r = &m->r[i];
			r->end = end;
		}
		r->flags |= MEMBLOCK_RSRV_KERN;
	}
	mb_normalize(m);
}

/* efi_mem_reserve() (patch 0004): reserve_kern if free, else mark_kern. */
static void mb_efi_mem_reserve(struct mb *m, u64 base, u64 size)
{
	if (!mb_overlaps(m, base, base + size))
		mb_reserve(m, base, size, MEMBLOCK_RSRV_KERN);
	else
		mb_mark_kern(m, base, size);
}

/* ---- what the log says ---- */

struct span {
	u64 base, size;
	unsigned long line;
	char what[48];
	bool assumed;		/* size not in the log */
};

struct spans {
	struct span s[MAXSPAN];
	size_t n;
};

struct e820op {
	u64 start, end;
	int old, new;
	unsigned long line;
};

static struct {
	const char *path;
	bool dmesg;
	size_t nr;
	struct efi_mm_desc md[MAXD];
	unsigned long md_line[MAXD];
	size_t desc_size;
	bool desc_size_known;
	u64 map_phys;
	bool map_phys_known;
	bool have_bios_e820;
	struct e820op e820ops[MAXSPAN];
	size_t ne820ops;
	unsigned long point;		/* first line after the reservation step */
	struct spans plain;		/* memblock_reserve() before it */
	struct spans kern_early;	/* efi_mem_reserve() before it (ESRT, MOKvar) */
	struct spans kern_late;		/* efi_mem_reserve() after it (BGRT, ...) */
	bool have_mb_dump;		/* a memblock dump before the point */
	struct efi_mm_range logged_calls[MAXR];	/* efi_reserve_bs_range/gaps */
	size_t nlogged_calls;
	u64 rm_size;
	bool rm_size_known;
	u64 rm_logged;
	bool rm_logged_known;
	bool logged_efi_debug;
	long logged_freed_k;
	long logged_runtime_entries;
	bool efi_debug;			/* replay a boot with efi=debug */
	u64 ebda;
} L = { .desc_size = 48, .point = ~0UL, .logged_freed_k = -1,
	.logged_runtime_entries = -1, .rm_size = 6 * PAGE, .ebda = 0x9f000 };

static struct spans user_plain, user_kern_early, user_kern_late;

static void span_add(struct spans *s, u64 base, u64 size, unsigned long line,
		     bool assumed, const char *fmt, ...)
{
	va_list ap;

	if (s->n == MAXSPAN || !size)
		return;
	s->s[s->n].base = base;
	s->s[s->n].size = size;
	s->s[s->n].line = line;
	s->s[s->n].assumed = assumed;
	va_start(ap, fmt);
	vsnprintf(s->s[s->n].what, sizeof(s->s[s->n].what), fmt, ap);
	va_end(ap);
	s->n++;
}

static void drop_assumed(struct spans *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->n; i++)
		if (!s->s[i].assumed)
			s->s[n++] = s->s[i];
	s->n = n;
}

static int e820_type_by_name(const char *s)
{
	static const struct { const char *name; int type; } t[] = {
		{ "usable", E820_RAM }, { "reserved", E820_RESERVED },
		{ "ACPI data", E820_ACPI }, { "ACPI NVS", E820_NVS },
		{ "unusable", E820_UNUSABLE }, { "persistent (type 7)", E820_PMEM },
		{ "persistent (type 12)", 12 }, { "soft reserved", 0xefffffff },
	};
	size_t i, n = strlen(s);
	unsigned int v;

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (strlen(t[i].name) == n && !strncmp(s, t[i].name, n))
			return t[i].type;
	if (sscanf(s, "type %u", &v) == 1)
		return v;
	return -1;
}

/* Lines the kernel prints after efi_reserve_boot_services() has run. */
static bool after_reservation(const char *l)
{
	static const char *const marks[] = {
		"efi_reserve_bs_range", "efi_reserve_gaps", "reserve_real_mode",
		"Using GB pages for direct mapping", "init_memory_mapping:",
		"BRK [", "ACPI: Early table checksum",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(marks); i++)
		if (strstr(l, marks[i]))
			return true;
	return false;
}

/* "efi:  ACPI=0x... MEMATTR=0x... ESRT=0x..." config table addresses. */
static bool table_addr(const char *l, const char *key, u64 *addr)
{
	const char *p = l;
	unsigned long long a;
	size_t k = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == l || p[-1] == ' ') && p[k] == '=' &&
		    sscanf(p + k + 1, "%llx", &a) == 1) {
			*addr = a;
			return true;
		}
		p += k;
	}
	return false;
}

static void __attribute__((noreturn)) bad_line(unsigned long line, const char *what)
{
	die("%s:%lu: %s", L.path, line, what);
}

static FILE *open_input(const char *path, const char *mode)
{
	FILE *f = strcmp(path, "-") ? fopen(path, mode) : stdin;

	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

#define LINE_MAX_LEN	8192

/* Pass 1 finds the reservation point, pass 2 reads everything else. */
static void read_dmesg(FILE *f)
{
	static char line[LINE_MAX_LEN];
	char why[EFI_LOG_WHY];
	unsigned long ln = 0;
	bool runtime = false, in_dump = false;
	long dump_after = -1;		/* line of the last dump after the point */
	u64 map_bytes = 0;		/* nr_map * desc_size, memblock=debug */
	bool mb_debug = false;
	bool past_rm = false;		/* efi_reserve_boot_services() is over */

	while (fgets(line, sizeof(line), f)) {
		unsigned long long a, b, c;
		unsigned long idx;
		const char *t, *p;
		u64 addr;

		ln++;
		if (!strchr(line, '\n') && !feof(f))
			bad_line(ln, "line longer than 8191 characters");
		if (line[0] == '#')
			continue;
		if (L.point == ~0UL && after_reservation(line))
			L.point = ln;
		/* later calls are KUnit's, on a private memblock.reserved */
		if (strstr(line, "reserve_real_mode") || strstr(line, "Using GB pages") ||
		    strstr(line, "init_memory_mapping:"))
			past_rm = true;

		if (efi_log_runtime_map_start(line)) {
			runtime = true;
			L.logged_runtime_entries = 0;
			continue;
		}
		t = efi_log_md_text(line, &idx);
		if (t && runtime) {
			L.logged_runtime_entries++;
			continue;
		}
		if (t) {
			if (idx == 0 && L.nr)
				bad_line(ln, "mem00 again: a second boot in this log? cut the log to one boot");
			if (idx != L.nr) {
				snprintf(why, sizeof(why), "mem%02lu out of sequence (expected mem%02zu)", idx, L.nr);
				bad_line(ln, why);
			}
			if (L.nr == MAXD)
				bad_line(ln, "more than 4096 descriptors");
			if (!efi_log_parse_md(t, &L.md[L.nr], why))
				bad_line(ln, why);
			L.md_line[L.nr++] = ln;
			continue;
		}

		if ((p = strstr(line, "BIOS-e820: "))) {
			char type[64];
			int ty;

			if (sscanf(p, "BIOS-e820: [mem %llx-%llx] %63[^\n]", &a, &b, type) != 3 || b < a)
				bad_line(ln, "cannot read 'BIOS-e820: [mem START-END] TYPE'");
			ty = e820_type_by_name(type);
			if (ty < 0)
				bad_line(ln, "unknown E820 type");
			e820_add(a, b + 1, ty);
			L.have_bios_e820 = true;
			continue;
		}
		if ((p = strstr(line, "e820: update [mem ")) || (p = strstr(line, "e820: remove [mem "))) {
			char from[64], to[64] = "";
			bool update = p[6] == 'u';
			int n = update ? sscanf(p, "e820: update [mem %llx-%llx] %63[^=]==> %63[^\n]", &a, &b, from, to)
				       : sscanf(p, "e820: remove [mem %llx-%llx] %63[^\n]", &a, &b, from);

			if (n != (update ? 4 : 3) || b < a || e820_type_by_name(from) < 0 ||
			    (update && e820_type_by_name(to) < 0))
				bad_line(ln, "cannot read 'e820: update|remove [mem START-END] TYPE [==> TYPE]'");
			if (ln < L.point && L.ne820ops < MAXSPAN) {
				struct e820op *o = &L.e820ops[L.ne820ops++];

				o->start = a;
				o->end = b + 1;
				o->old = e820_type_by_name(from);
				o->new = update ? e820_type_by_name(to) : 0;
				o->line = ln;
			}
			continue;
		}
		if ((p = strstr(line, "esrt: Reserving ESRT space from "))) {
			if (sscanf(p, "esrt: Reserving ESRT space from %llx to %llx", &a, &b) != 2 || b <= a)
				bad_line(ln, "cannot read the ESRT range");
			span_add(&L.kern_early, a, b - a, ln, false, "ESRT (efi_esrt_init)");
			continue;
		}
		if (strstr(line, "efi: ") && strstr(line, "=0x") && !strstr(line, "range=")) {
			if (table_addr(line, "MEMATTR", &addr))
				span_add(&L.plain, addr, ((addr | (PAGE - 1)) + 1) - addr, ln, true,
					 "MEMATTR (efi_memattr_init)");
			if (table_addr(line, "TPMEventLog", &addr))
				span_add(&L.plain, addr, ((addr | (PAGE - 1)) + 1) - addr, ln, true,
					 "TPMEventLog (efi_tpm_eventlog_init)");
			if (table_addr(line, "RNG", &addr))
				span_add(&L.plain, addr, ((addr | (PAGE - 1)) + 1) - addr, ln, true,
					 "RNG seed (efi_config_parse_tables)");
			if (table_addr(line, "MOKvar", &addr))
				span_add(&L.kern_early, addr, ((addr | (PAGE - 1)) + 1) - addr, ln, true,
					 "MOKvar (efi_mokvar_table_init)");
			continue;
		}
		if ((p = strstr(line, "RAMDISK: [mem "))) {
			if (sscanf(p, "RAMDISK: [mem %llx-%llx]", &a, &b) != 2 || b < a)
				bad_line(ln, "cannot read 'RAMDISK: [mem START-END]'");
			span_add(&L.plain, a, b + 1 - a, ln, false, "initrd (early_reserve_initrd)");
			continue;
		}
		if ((p = strstr(line, "Command line: ")) && strstr(p, "efi=debug"))
			L.logged_efi_debug = true;
		if ((p = strstr(line, "Freeing EFI boot services memory: ")) &&
		    sscanf(p, "Freeing EFI boot services memory: %lluK", &a) == 1)
			L.logged_freed_k = a;
		if ((p = strstr(line, "memblock_phys_alloc_range: ")) && strstr(line, "reserve_real_mode") &&
		    sscanf(p, "memblock_phys_alloc_range: %llu bytes", &a) == 1) {
			L.rm_size = a;
			L.rm_size_known = true;
			continue;
		}
		if ((p = strstr(line, "MEMBLOCK configuration:"))) {
			in_dump = true;
			if (ln >= L.point) {
				dump_after = ln;
				L.kern_late.n = 0;	/* only the last dump counts */
			}
			continue;
		}
		if (in_dump && (p = strstr(line, " reserved[0x"))) {
			unsigned int fl;
			const char *q = strchr(p, '[') ? strchr(strchr(p, '[') + 1, '[') : NULL;
			const char *fp = strstr(p, "flags: ");

			if (!q || sscanf(q, "[%llx-%llx]", &a, &b) != 2 || b < a ||
			    !fp || sscanf(fp, "flags: %x", &fl) != 1)
				bad_line(ln, "cannot read a memblock dump line 'reserved[N] [START-END], SIZE bytes ... flags: F'");
			if (ln < L.point) {
				L.have_mb_dump = true;
				span_add(&L.plain, a, b + 1 - a, ln, false, "memblock dump");
			} else if (fl & MEMBLOCK_RSRV_KERN) {
				span_add(&L.kern_late, a, b + 1 - a, ln, false, "RSRV_KERN in the memblock dump");
			}
			continue;
		}
		if (in_dump && !strstr(line, " memory[0x") && !strstr(line, ".cnt") &&
		    !strstr(line, "size ="))
			in_dump = false;
		if ((p = strstr(line, "memblock_reserve: [")) || (p = strstr(line, "memblock_reserve_kern: ["))) {
			bool kern = p[16] == '_';
			const char *q = strchr(p, '[');

			mb_debug = true;
			if (sscanf(q, "[%llx-%llx]", &a, &b) != 2)
				bad_line(ln, "cannot read 'memblock_reserve: [START-END] CALLER'");
			c = b + 1 - a;
			if (b < a)
				continue;	/* a KUnit case's wrapping range */
			if (strstr(line, "efi_memblock_x86_reserve_range")) {
				L.map_phys = a;
				L.map_phys_known = true;
				map_bytes = c;
			}
			if (strstr(line, "efi_reserve_bs_range") || strstr(line, "efi_reserve_gaps")) {
				if (!past_rm && L.nlogged_calls < MAXR) {
					L.logged_calls[L.nlogged_calls].start = a;
					L.logged_calls[L.nlogged_calls].end = b + 1;
					L.nlogged_calls++;
				}
				continue;
			}
			if (strstr(line, "memblock_alloc_range_nid") && L.rm_size_known &&
			    !L.rm_logged_known && c == L.rm_size && b < SZ_1M) {
				L.rm_logged = a;
				L.rm_logged_known = true;
				continue;
			}
			if (ln < L.point)
				span_add(kern ? &L.kern_early : &L.plain, a, c, ln, false,
					 "%s", kern ? "memblock_reserve_kern" : "memblock_reserve");
		}
	}
	if (!L.nr)
		die("%s: no 'efi: memNN:' lines (boot with efi=debug)", L.path);
	(void)dump_after;
	/* efi_memblock_x86_reserve_range() reserves nr_map * desc_size */
	if (map_bytes && map_bytes % L.nr == 0 && map_bytes / L.nr >= sizeof(struct efi_mm_desc) &&
	    map_bytes / L.nr <= 128) {
		L.desc_size = map_bytes / L.nr;
		L.desc_size_known = true;
	}
	/* memblock=debug shows the real sizes: drop the guessed ones */
	if (mb_debug) {
		drop_assumed(&L.plain);
		drop_assumed(&L.kern_early);
	}
}

static void read_raw(FILE *f)
{
	static unsigned char buf[MAXD * 128 + 1];
	size_t n = fread(buf, 1, sizeof(buf), f), nr1, nr2, i;
	bool w1, w2;

	if (n == sizeof(buf))
		die("%s: larger than %zu bytes", L.path, sizeof(buf) - 1);
	w1 = c_efi_mm_map_layout(n, L.desc_size, &nr1);
	w2 = efi_mm_map_layout(n, L.desc_size, &nr2);
	if (w1 != w2 || nr1 != nr2)
		die("%s: C and Rust disagree on the layout (C %d %zu, Rust %d %zu)",
		    L.path, w1, nr1, w2, nr2);
	if (!w1 && !nr1)
		die("%s:0: descriptor size %zu is smaller than a descriptor (40)", L.path, L.desc_size);
	if (!w1)
		die("%s:%zu: %zu trailing bytes: %zu is not a multiple of the descriptor size %zu",
		    L.path, nr1 * L.desc_size, n - nr1 * L.desc_size, n, L.desc_size);
	if (!nr1 || nr1 > MAXD)
		die("%s: %zu descriptors (1 to %d allowed)", L.path, nr1, MAXD);
	for (i = 0; i < nr1; i++)
		memcpy(&L.md[i], buf + i * L.desc_size, sizeof(L.md[i]));
	L.nr = nr1;
	L.desc_size_known = true;
}

/* ---- one replay ---- */

struct result {
	/* per descriptor of the map as read */
	bool valid[MAXD];		/* survives efi_clean_memmap() */
	long overlap[MAXD];		/* efi_mm_find_overlap() */
	bool keep_whole[MAXD];		/* efi_reserve_boot_services() keep */
	bool not_ram[MAXD];
	u64 freed[MAXD];		/* bytes in this region's free ranges */
	size_t nfree[MAXD];
	bool in_svam[MAXD];		/* after the pre-SVAM filter */
	bool in_final[MAXD];		/* in the runtime map */
	bool sorted;
	size_t nr_clean, nr_svam, nr_final;
	bool bad_rsv;
	struct efi_mm_range ranges[MAXR];
	size_t nranges;
	u64 total_freed, tail_pages, tail_first;
	u64 rm_at;
	bool rm_found, rm_quirk;
	struct mb mb;
	unsigned char map[MAXD * 128];
};

static struct result res_c, res_r;

/* The descriptor's original index is kept in virt_addr (0 in any log). */
static size_t tag_of(const void *p)
{
	const struct efi_mm_desc *d = p;

	return (size_t)d->virt_addr - 1;
}

struct kctx {
	const struct impl *im;
	struct result *r;
};

static bool keep_valid(const void *p, void *ctx)
{
	struct kctx *k = ctx;
	u64 s, e;

	return k->im->desc_range(p, &s, &e);
}

/* should_map_region() of arch/x86/platform/efi/efi.c, 64-bit, not mixed. */
static bool keep_mapped(const void *p, void *ctx)
{
	const struct efi_mm_desc *d = p;

	return (d->attribute & EFI_MEMORY_RUNTIME) ||
	       d->type == EFI_BS_CODE || d->type == EFI_BS_DATA;
}

/* efi_md_keep() of quirks.c / quirks_rust.rs */
static bool keep_not_freed(const void *p, void *ctx)
{
	struct kctx *k = ctx;

	return !k->im->freed_whole(p, k->r->ranges, k->r->nranges);
}

static const struct efi_mm_desc *md_at(const struct result *r, size_t i)
{
	return (const struct efi_mm_desc *)(r->map + i * L.desc_size);
}

static void apply_spans(struct mb *m, const struct spans *s, bool kern)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (kern)
			mb_efi_mem_reserve(m, s->s[i].base, s->s[i].size);
		else
			mb_reserve(m, s->s[i].base, s->s[i].size, MEMBLOCK_NONE);
	}
}

/* memblock_find_in_range() top-down over memory minus reserved, below @limit. */
static bool mb_alloc_low(const struct mb *m, u64 size, u64 limit, u64 *at)
{
	size_t i, j;

	for (i = ne820; i-- > 0;) {
		u64 s, e;

		if (e820[i].type != E820_RAM)
			continue;
		/* memblock.memory holds whole pages of RAM */
		s = (e820[i].start + PAGE - 1) & ~(PAGE - 1);
		e = e820[i].end & ~(PAGE - 1);
		if (e > limit)
			e = limit;
		if (s < PAGE)
			s = PAGE;
		while (e > s && e - s >= size) {
			u64 cand = (e - size) & ~(PAGE - 1);
			bool hit = false;

			if (cand < s)
				break;
			for (j = 0; j < m->n; j++) {
				if (m->r[j].base < cand + size && cand < m->r[j].end) {
					e = m->r[j].base;	/* below this reservation */
					hit = true;
					break;
				}
			}
			if (!hit) {
				*at = cand;
				return true;
			}
		}
	}
	return false;
}

static void replay(const struct impl *im, struct result *r)
{
	struct kctx k = { im, r };
	struct efi_mm_rsv *rsv;
	size_t i, nr = L.nr, ds = L.desc_size;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < nr; i++) {
		struct efi_mm_desc d = L.md[i];

		d.virt_addr = i + 1;
		memcpy(r->map + i * ds, &d, sizeof(d));
	}

	/* setup_arch(): early reservations; the map itself */
	apply_spans(&r->mb, &L.plain, false);
	apply_spans(&r->mb, &user_plain, false);
	if (!L.have_mb_dump) {
		/* trim_low_memory_range(), reserve_bios_regions() */
		mb_reserve(&r->mb, 0, 64 * 1024, MEMBLOCK_NONE);
		mb_reserve(&r->mb, L.ebda, SZ_1M - L.ebda, MEMBLOCK_NONE);
	}
	if (L.map_phys_known)
		mb_reserve(&r->mb, L.map_phys, nr * ds, MEMBLOCK_NONE);
	apply_spans(&r->mb, &L.kern_early, true);
	apply_spans(&r->mb, &user_kern_early, true);

	/* efi_clean_memmap() */
	r->nr_clean = im->compact(r->map, nr, ds, keep_valid, &k);
	for (i = 0; i < r->nr_clean; i++)
		r->valid[tag_of(md_at(r, i))] = true;

	/* efi_reserve_boot_services() */
	r->sorted = im->sorted(r->map, r->nr_clean, ds);
	r->mb.record = true;
	for (i = 0; i < r->nr_clean; i++) {
		const struct efi_mm_desc *d = md_at(r, i);
		size_t t = tag_of(d);
		u64 s, e;

		r->overlap[t] = -1;
		if (d->type != EFI_BS_CODE && d->type != EFI_BS_DATA)
			continue;
		if (!im->desc_range(d, &s, &e))
			continue;
		r->not_ram[t] = !mb_unreserved_is_ram(&r->mb, s, e);
		r->overlap[t] = im->find_overlap(r->map, r->nr_clean, ds, i);
		if (r->overlap[t] >= 0)
			r->overlap[t] = tag_of(md_at(r, r->overlap[t]));
		r->keep_whole[t] = r->not_ram[t] || r->overlap[t] >= 0;
		/* efi_reserve_boot_services_range() */
		if (s < SZ_1M) {
			u64 e1 = e < SZ_1M ? e : SZ_1M;

			if (!mb_overlaps(&r->mb, s, e1)) {
				mb_reserve(&r->mb, s, e1 - s, MEMBLOCK_NONE);
			} else {
				/* efi_reserve_gaps() */
				u64 p = s;
				size_t j;

				while (p < e1) {
					u64 rb = e1, re = e1;

					for (j = 0; j < r->mb.n; j++) {
						if (r->mb.r[j].end <= p)
							continue;
						if (r->mb.r[j].base < e1) {
							rb = r->mb.r[j].base > p ? r->mb.r[j].base : p;
							re = r->mb.r[j].end < e1 ? r->mb.r[j].end : e1;
						}
						break;
					}
					if (rb > p)
						mb_reserve(&r->mb, p, rb - p, MEMBLOCK_NONE);
					p = re;
				}
			}
		}
		if (e > SZ_1M) {
			u64 s1 = s > SZ_1M ? s : SZ_1M;

			if (!mb_overlaps(&r->mb, s1, e)) {
				mb_reserve(&r->mb, s1, e - s1, MEMBLOCK_NONE);
			} else {
				u64 p = s1;
				size_t j;

				mb_mark_kern(&r->mb, s1, e - s1);
				while (p < e) {
					u64 rb = e, re = e;

					for (j = 0; j < r->mb.n; j++) {
						if (r->mb.r[j].end <= p)
							continue;
						if (r->mb.r[j].base < e) {
							rb = r->mb.r[j].base > p ? r->mb.r[j].base : p;
							re = r->mb.r[j].end < e ? r->mb.r[j].end : e;
						}
						break;
					}
					if (rb > p)
						mb_reserve(&r->mb, p, rb - p, MEMBLOCK_NONE);
					p = re;
				}
			}
			if (r->keep_whole[t])
				mb_mark_kern(&r->mb, s1, e - s1);
		}
	}
	r->mb.record = false;

	/* reserve_real_mode() */
	r->rm_found = mb_alloc_low(&r->mb, L.rm_size, SZ_1M, &r->rm_at);
	if (r->rm_found)
		mb_reserve(&r->mb, r->rm_at, L.rm_size, MEMBLOCK_NONE);
	mb_reserve(&r->mb, 0, SZ_1M, MEMBLOCK_NONE);

	/* efi_mem_reserve() after efi_reserve_boot_services(): BGRT, ... */
	apply_spans(&r->mb, &L.kern_late, true);
	apply_spans(&r->mb, &user_kern_late, true);

	/* before SetVirtualAddressMap(): only what gets runtime mappings */
	r->nr_svam = im->compact(r->map, r->nr_clean, ds, keep_mapped, &k);
	for (i = 0; i < r->nr_svam; i++)
		r->in_svam[tag_of(md_at(r, i))] = true;
	r->nr_final = r->nr_svam;
	if (L.efi_debug) {
		memcpy(r->in_final, r->in_svam, sizeof(r->in_final));
		return;
	}

	/* efi_unmap_boot_services(): the snapshot, the quirk, the ranges */
	rsv = calloc(r->mb.n + 1, sizeof(*rsv));
	if (!rsv)
		die("%s: out of memory", prog);
	for (i = 0; i < r->mb.n; i++) {
		rsv[i].base = r->mb.r[i].base;
		rsv[i].size = r->mb.r[i].end - r->mb.r[i].base;
		rsv[i].keep = r->mb.r[i].flags != MEMBLOCK_NONE;
	}
	for (i = 0; i < r->nr_svam; i++) {
		const struct efi_mm_desc *d = md_at(r, i);
		size_t t = tag_of(d), n = 0, k2;
		u64 s, e;
		enum efi_mm_status st;

		if (d->type != EFI_BS_CODE && d->type != EFI_BS_DATA)
			continue;
		if (!im->desc_range(d, &s, &e))
			continue;
		if (!r->rm_found && !r->rm_quirk && s + L.rm_size < SZ_1M &&
		    e - s >= L.rm_size) {
			r->rm_quirk = true;
			r->rm_at = s;
		}
		st = im->free_ranges(s, e, rsv, r->mb.n, SZ_1M, PAGE,
				     r->ranges + r->nranges, MAXR - r->nranges, &n);
		if (st != EFI_MM_OK) {
			r->bad_rsv = true;
			break;
		}
		if (n > MAXR - r->nranges)
			die("%s: more than %d free ranges", prog, MAXR);
		for (k2 = 0; k2 < n; k2++)
			r->freed[t] += r->ranges[r->nranges + k2].end - r->ranges[r->nranges + k2].start;
		r->nfree[t] = n;
		r->nranges += n;
	}
	free(rsv);

	/* efi_free_boot_services(): free, filter, the map's tail */
	for (i = 0; i < r->nranges; i++)
		r->total_freed += r->ranges[i].end - r->ranges[i].start;
	r->nr_final = im->compact(r->map, r->nr_svam, ds, keep_not_freed, &k);
	for (i = 0; i < r->nr_final; i++)
		r->in_final[tag_of(md_at(r, i))] = true;
	r->tail_pages = im->tail_pages(L.map_phys_known ? L.map_phys : 0,
				       (u64)r->nr_final * ds, (u64)nr * ds, PAGE,
				       &r->tail_first);
}

/* ---- output ---- */

static unsigned long disagreements;

static void kib(char *buf, size_t len, u64 bytes)
{
	if (bytes % 1024)
		snprintf(buf, len, "%.1fK", bytes / 1024.0);
	else
		snprintf(buf, len, "%lluK", (unsigned long long)(bytes / 1024));
}

static void decision(char *buf, size_t len, const struct result *r, size_t i)
{
	const struct efi_mm_desc *d = &L.md[i];
	bool bs = d->type == EFI_BS_CODE || d->type == EFI_BS_DATA;
	u64 size = d->num_pages << 12;
	char f[32], kk[32];

	if (!r->valid[i]) {
		snprintf(buf, len, "invalid, dropped");
		return;
	}
	if (!bs) {
		snprintf(buf, len, "%s", r->in_final[i] ? "map" : "-");
		return;
	}
	kib(f, sizeof(f), r->freed[i]);
	kib(kk, sizeof(kk), size - r->freed[i]);
	snprintf(buf, len, "freed %s kept %s%s", f, kk, r->in_final[i] ? " map" : "");
}

static const char *why_kept(const struct result *r, size_t i, char *buf, size_t len)
{
	const struct efi_mm_desc *d = &L.md[i];
	u64 s = d->phys_addr, e = s + (d->num_pages << 12);

	if (r->not_ram[i]) {
		const struct spans *k[] = { &L.kern_early, &user_kern_early };
		size_t a, b;

		/* efi_arch_mem_reserve() made part of it E820 reserved */
		for (a = 0; a < ARRAY_SIZE(k); a++)
			for (b = 0; b < k[a]->n; b++)
				if (k[a]->s[b].base < e && s < k[a]->s[b].base + k[a]->s[b].size) {
					snprintf(buf, len, "whole: E820 by %.*s", (int)strcspn(k[a]->s[b].what, " "),
						 k[a]->s[b].what);
					return buf;
				}
		return "whole: not all E820 RAM";
	}
	if (r->overlap[i] >= 0) {
		snprintf(buf, len, "whole: overlaps mem%02ld", r->overlap[i]);
		return buf;
	}
	if (e <= SZ_1M)
		return "below 1 MiB";
	if (s < SZ_1M)
		return "part below 1 MiB";
	if (r->freed[i] && r->freed[i] != e - s)
		return "part: RSRV_KERN or foreign";
	if (!r->freed[i])
		return "all RSRV_KERN or foreign";
	return "";
}

static void row(size_t i, bool all)
{
	const struct efi_mm_desc *d = &L.md[i];
	bool bs = d->type == EFI_BS_CODE || d->type == EFI_BS_DATA;
	char dc[96], dr[96], tb[16], sz[32], wb[48];
	const char *why = "";
	bool same;

	decision(dc, sizeof(dc), &res_c, i);
	decision(dr, sizeof(dr), &res_r, i);
	same = !strcmp(dc, dr) && res_c.keep_whole[i] == res_r.keep_whole[i] &&
	       res_c.overlap[i] == res_r.overlap[i] && res_c.nfree[i] == res_r.nfree[i];
	if (!same)
		disagreements++;
	if (!all && !bs && !res_c.in_final[i] && !res_r.in_final[i] && same)
		return;
	if (bs && res_c.valid[i] && !L.efi_debug)
		why = why_kept(&res_c, i, wb, sizeof(wb));
	kib(sz, sizeof(sz), d->num_pages << 12);
	printf("mem%02zu %-12s 0x%012llx-0x%012llx %9s %-26s| %-28s| %-28s| %s\n",
	       i, efi_log_type_name(d->type, tb, sizeof(tb)),
	       (unsigned long long)d->phys_addr,
	       (unsigned long long)(d->phys_addr + (d->num_pages << 12) - 1),
	       sz, why, dc, dr, same ? "yes" : "NO");
}

static void total(const char *what, unsigned long long c, unsigned long long r)
{
	if (c != r)
		disagreements++;
	printf("  %-44s %14llu %14llu   %s\n", what, c, r, c == r ? "yes" : "NO");
}

static void print_spans(const char *title, const struct spans *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		printf("  %s [%#llx-%#llx] %s%s%s\n", title,
		       (unsigned long long)s->s[i].base,
		       (unsigned long long)(s->s[i].base + s->s[i].size - 1),
		       s->s[i].what, s->s[i].line ? "" : " (command line)",
		       s->s[i].assumed ? ", size not in the log: assumed to end with its page" : "");
}

static void report(bool all)
{
	size_t i, bs = 0, nbs_below = 0;
	u64 kept_c = 0, kept_r = 0, below_c = 0, below_r = 0, bs_bytes = 0;
	unsigned long long whole_c = 0, whole_r = 0;

	for (i = 0; i < L.nr; i++) {
		const struct efi_mm_desc *d = &L.md[i];
		u64 s = d->phys_addr, e = s + (d->num_pages << 12);

		if (d->type != EFI_BS_CODE && d->type != EFI_BS_DATA)
			continue;
		bs++;
		bs_bytes += e - s;
		if (res_c.valid[i])
			kept_c += e - s - res_c.freed[i];
		if (res_r.valid[i])
			kept_r += e - s - res_r.freed[i];
		if (s < SZ_1M) {
			u64 b = (e < SZ_1M ? e : SZ_1M) - s;

			nbs_below++;
			below_c += b;
			below_r += b;
		}
		whole_c += res_c.keep_whole[i];
		whole_r += res_r.keep_whole[i];
	}

	printf("bootmem-replay: %s (%s): %zu descriptors, %zu boot services (%llu KiB), stride %zu%s\n",
	       L.path, L.dmesg ? "kernel log" : "raw map", L.nr, bs,
	       (unsigned long long)(bs_bytes >> 10), L.desc_size,
	       L.desc_size_known ? "" : " (assumed)");
	printf("replaying a boot %s efi=debug with the design of patches 0010-0025 (C: memmap_ranges.c, Rust: efi_memmap_ranges.rs)\n",
	       L.efi_debug ? "with" : "without");
	if (L.dmesg && L.logged_efi_debug && !L.efi_debug)
		printf("note: the logged boot had efi=debug, which frees nothing; shown is what a boot without it does\n");

	printf("from the log / command line:\n");
	if (L.dmesg)
		printf("  E820: %s%s\n", L.have_bios_e820 ? "BIOS-e820 lines" : "derived from the EFI map (as the EFI stub's setup_e820())",
		       ", then trim_bios_range() and the e820: update/remove lines before efi_reserve_boot_services()");
	else
		printf("  E820: derived from the EFI map (as the EFI stub's setup_e820()), then trim_bios_range()\n");
	print_spans("reserved before efi_reserve_boot_services():", &L.plain);
	print_spans("reserved before efi_reserve_boot_services():", &user_plain);
	print_spans("efi_mem_reserve() before efi_reserve_boot_services():", &L.kern_early);
	print_spans("efi_mem_reserve() before efi_reserve_boot_services():", &user_kern_early);
	print_spans("efi_mem_reserve() after it:", &L.kern_late);
	print_spans("efi_mem_reserve() after it:", &user_kern_late);
	printf("assumed (not in the input):\n");
	if (!L.desc_size_known)
		printf("  descriptor size 48 (--desc-size; memblock=debug logs give it)\n");
	if (!L.map_phys_known)
		printf("  the map starts on a page boundary, for its tail (--map-at; memblock=debug logs give it)\n");
	if (!L.have_mb_dump)
		printf("  low memory reserved as on x86 by default: [0-64K) (trim_low_memory_range) and [%#llx-1M) (reserve_bios_regions; the EBDA is not logged, --ebda)\n",
		       (unsigned long long)L.ebda);
	if (!L.rm_size_known)
		printf("  real-mode trampoline of %llu bytes (6.12 x86_64; memblock=debug logs give it)\n",
		       (unsigned long long)L.rm_size);
	if (L.dmesg && !L.have_mb_dump)
		printf("  no other early reservation in boot services memory (kernel image, setup_data, memblock_alloc(): use --reserve), and no efi_mem_reserve() after efi_reserve_boot_services() (BGRT image, ...: use --mem-reserve-late) unless listed above\n");
	printf("\n%-5s %-12s %-31s %9s %-26s| %-28s| %-28s| %s\n", "desc", "type", "range", "size",
	       "model: why kept", "C", "Rust", "agree");
	for (i = 0; i < L.nr; i++)
		row(i, all);

	printf("\ntotals%*s%14s %14s   agree\n", 39, "", "C", "Rust");
	total("map sorted (efi_mm_sorted)", res_c.sorted, res_r.sorted);
	total("descriptors after efi_clean_memmap()", res_c.nr_clean, res_r.nr_clean);
	total("boot services regions kept whole", whole_c, whole_r);
	total("free ranges recorded", res_c.nranges, res_r.nranges);
	total("freed (KiB)", res_c.total_freed >> 10, res_r.total_freed >> 10);
	total("kept, boot services (KiB)", kept_c >> 10, kept_r >> 10);
	total("  of which below 1 MiB (KiB)", below_c >> 10, below_r >> 10);
	total("runtime map entries before SVAM", res_c.nr_svam, res_r.nr_svam);
	total("runtime map entries after the free stage", res_c.nr_final, res_r.nr_final);
	total("map tail freed (KiB)", (res_c.tail_pages * PAGE) >> 10, (res_r.tail_pages * PAGE) >> 10);
	total("inconsistent memblock.reserved", res_c.bad_rsv, res_r.bad_rsv);
	(void)nbs_below;

	printf("\nmodel (one, fed to both):\n");
	if (res_c.rm_found)
		printf("  trampoline: %llu bytes at %#llx (reserve_real_mode(), top-down below 1 MiB)%s\n",
		       (unsigned long long)L.rm_size, (unsigned long long)res_c.rm_at,
		       L.rm_logged_known ? (L.rm_logged == res_c.rm_at ? "; the log agrees" : "; the log DISAGREES") : "");
	else if (res_c.rm_quirk)
		printf("  trampoline: no free memory below 1 MiB; the quirk of efi_unmap_boot_services() puts it at %#llx (a boot services region, never freed)\n",
		       (unsigned long long)res_c.rm_at);
	else
		printf("  trampoline: no room below 1 MiB, not even in boot services memory: no trampoline (no SMP, no resume)\n");
	if (L.rm_logged_known)
		printf("  the log's trampoline: %#llx\n", (unsigned long long)L.rm_logged);
	if (L.nlogged_calls) {
		size_t n = L.nlogged_calls < res_c.mb.ncalls ? L.nlogged_calls : res_c.mb.ncalls;
		size_t first = n;

		for (i = 0; i < n; i++)
			if (L.logged_calls[i].start != res_c.mb.calls[i].start ||
			    L.logged_calls[i].end != res_c.mb.calls[i].end) {
				first = i;
				break;
			}
		if (first == n && L.nlogged_calls == res_c.mb.ncalls)
			printf("  memblock_reserve() calls of efi_reserve_boot_services(): %zu in the log, %zu modelled, all equal\n",
			       L.nlogged_calls, res_c.mb.ncalls);
		else
			printf("  memblock_reserve() calls of efi_reserve_boot_services(): %zu in the log, %zu modelled, first difference at call %zu\n",
			       L.nlogged_calls, res_c.mb.ncalls, first);
	}
	if (L.logged_runtime_entries >= 0)
		printf("  the log's \"EFI runtime memory map:\" (at SetVirtualAddressMap(), by the kernel that booted): %ld entries\n",
		       L.logged_runtime_entries);
	if (L.logged_freed_k >= 0)
		printf("  the log's \"Freeing EFI boot services memory\": %ldK (by the kernel that booted)\n",
		       L.logged_freed_k);
	printf("\n%lu disagreements\n", disagreements);
}

/* ---- command line ---- */

static void parse_span(const char *opt, const char *arg, struct spans *s)
{
	unsigned long long a, b;
	char *end;

	errno = 0;
	a = strtoull(arg, &end, 0);
	if (errno || end == arg || *end != '+')
		die("%s: %s wants ADDR+SIZE, not '%s'", prog, opt, arg);
	arg = end + 1;
	b = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || !b || b > ~0ULL - a)
		die("%s: %s wants ADDR+SIZE, not '%s'", prog, opt, arg);
	span_add(s, a, b, 0, false, "%s", opt);
}

static u64 parse_num(const char *opt, const char *arg)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end)
		die("%s: %s wants a number, not '%s'", prog, opt, arg);
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS] LOG|-\n"
		"Replay the x86 EFI boot services decisions of bootmem-rs (C and Rust) on a map.\n"
		"  --format=dmesg|raw       kernel log with efi=debug (default) or a raw map dump\n"
		"  --desc-size=N            descriptor stride (raw maps; logs: from memblock=debug, else 48)\n"
		"  --map-at=ADDR            physical address of the map (for its tail)\n"
		"  --reserve=ADDR+SIZE      memblock_reserve() before efi_reserve_boot_services()\n"
		"  --mem-reserve=ADDR+SIZE  efi_mem_reserve() before it (like the ESRT)\n"
		"  --mem-reserve-late=ADDR+SIZE  efi_mem_reserve() after it (like the BGRT image)\n"
		"  --ebda=ADDR              start of reserve_bios_regions() (default 0x9f000)\n"
		"  --trampoline=BYTES       real-mode trampoline size (default 24576)\n"
		"  --efi-debug              replay a boot with efi=debug (nothing freed)\n"
		"  --all                    print every descriptor, not only boot services and map entries\n"
		"Exit: 0 C and Rust agree, 1 they disagree, 2 bad input (FILE:LINE: what is wrong).\n",
		prog);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "desc-size", required_argument, NULL, 'd' },
		{ "map-at", required_argument, NULL, 'm' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "mem-reserve", required_argument, NULL, 'k' },
		{ "mem-reserve-late", required_argument, NULL, 'l' },
		{ "ebda", required_argument, NULL, 'e' },
		{ "trampoline", required_argument, NULL, 't' },
		{ "efi-debug", no_argument, NULL, 'D' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool raw = false, all = false, ds_opt = false, map_opt = false;
	u64 map_at = 0, ds = 48;
	int c;
	FILE *f;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "raw"))
				raw = true;
			else if (strcmp(optarg, "dmesg"))
				die("%s: --format is dmesg or raw, not '%s'", prog, optarg);
			break;
		case 'd':
			ds = parse_num("--desc-size", optarg);
			if (ds < sizeof(struct efi_mm_desc) || ds > 128)
				die("%s: --desc-size must be 40 to 128", prog);
			ds_opt = true;
			break;
		case 'm':
			map_at = parse_num("--map-at", optarg);
			map_opt = true;
			break;
		case 'r':
			parse_span("--reserve", optarg, &user_plain);
			break;
		case 'k':
			parse_span("--mem-reserve", optarg, &user_kern_early);
			break;
		case 'l':
			parse_span("--mem-reserve-late", optarg, &user_kern_late);
			break;
		case 'e':
			L.ebda = parse_num("--ebda", optarg);
			if (L.ebda > SZ_1M)
				die("%s: --ebda must be below 1 MiB", prog);
			break;
		case 't':
			L.rm_size = parse_num("--trampoline", optarg);
			L.rm_size_known = true;
			break;
		case 'D':
			L.efi_debug = true;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	L.path = argv[optind];
	L.desc_size = ds;
	L.desc_size_known = ds_opt;
	f = open_input(L.path, raw ? "rb" : "r");
	if (raw) {
		read_raw(f);
	} else {
		L.dmesg = true;
		read_dmesg(f);
		if (ds_opt) {
			L.desc_size = ds;
			L.desc_size_known = true;
		}
	}
	if (f != stdin)
		fclose(f);
	if (map_opt) {
		L.map_phys = map_at;
		L.map_phys_known = true;
	}

	/* E820: the log's, or the EFI stub's setup_e820() */
	if (!L.have_bios_e820) {
		size_t i;

		for (i = 0; i < L.nr; i++) {
			const struct efi_mm_desc *d = &L.md[i];
			int t;

			switch (d->type) {
			case EFI_RESERVED: case EFI_RT_CODE: case EFI_RT_DATA:
			case EFI_MMIO: case EFI_MMIO_PORT: case EFI_PAL_CODE:
				t = E820_RESERVED; break;
			case EFI_UNUSABLE: t = E820_UNUSABLE; break;
			case EFI_ACPI_RECLAIM: t = E820_ACPI; break;
			case EFI_LOADER_CODE: case EFI_LOADER_DATA: case EFI_BS_CODE:
			case EFI_BS_DATA: case EFI_CONVENTIONAL: case EFI_UNACCEPTED:
				t = E820_RAM; break;
			case EFI_ACPI_NVS: t = E820_NVS; break;
			case EFI_PERSISTENT: t = E820_PMEM; break;
			default: continue;
			}
			if (d->num_pages && d->num_pages <= (~0ULL - d->phys_addr) >> 12)
				e820_add(d->phys_addr, d->phys_addr + (d->num_pages << 12), t);
		}
	}
	e820_normalize();
	{
		size_t i;

		/* trim_bios_range() */
		e820_change(0, PAGE, E820_RAM, E820_RESERVED);
		e820_change(0xa0000, SZ_1M, E820_RAM, 0);
		for (i = 0; i < L.ne820ops; i++)
			e820_change(L.e820ops[i].start, L.e820ops[i].end,
				    L.e820ops[i].old, L.e820ops[i].new);
		/* efi_arch_mem_reserve() of the early efi_mem_reserve()s */
		for (i = 0; i < L.kern_early.n + user_kern_early.n; i++) {
			const struct span *s = i < L.kern_early.n ? &L.kern_early.s[i] :
					       &user_kern_early.s[i - L.kern_early.n];
			u64 a = s->base & ~(PAGE - 1);
			u64 b = (s->base + s->size + PAGE - 1) & ~(PAGE - 1);

			e820_change(a, b, E820_RAM, E820_RESERVED);
		}
	}

	replay(&impl_c, &res_c);
	replay(&impl_rust, &res_r);
	report(all);
	return disagreements ? 1 : 0;
}
