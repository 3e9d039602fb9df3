// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test of the EFI memory map helpers: the C of
 * drivers/firmware/efi/memmap_ranges.c (built with every efi_mm_* renamed
 * c_efi_mm_*) against the Rust of drivers/firmware/efi/efi_memmap_ranges.rs
 * (the same file the kernel builds, linked from the bootmem-host static
 * library), on random maps: strides 48/56/64, 1 to 4096 descriptors,
 * boot services regions with reservations of ours, kept (RSRV_KERN) ones,
 * foreign ones and gaps over them, regions below and across 1 MiB (the
 * real-mode trampoline's), unsorted, overlapping, empty and wrapping
 * descriptors.  Each map goes through the steps the kernel takes, and
 * after every step both sides must agree exactly:
 *
 * Strides are 48, 56, 64 and the unaligned 44 and 52.
 *
 *  1. map_layout(map_size, desc_size);  2. sorted();
 *  3. find_overlap() of random descriptors;
 *  4. desc_range() and free_ranges() of every boot services descriptor,
 *     with a random output capacity, growing the list as the kernel does;
 *  5. compact() dropping the descriptors freed whole (range_listed()):
 *     the whole map bytes, nr_map and the predicate's calls;
 *  6. tail_pages() of the map's allocation, plus random arguments.
 *
 * Then each fixture file (a real firmware map, see fixtures/) goes
 * through the same steps 1000 times, with random strides, padding bytes
 * and reservations.
 *
 *   ./efi_memmap_diff [MAPS [SEED [FIXTURE...]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/efi_memmap_ranges.h>
#include "rng.h"
#include "memmap_log.h"

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

#define RNG_DEFAULT_SEED 0x2545f4914f6cdd1dULL

static unsigned long mismatches, checks;
static unsigned long long st_descs, st_ranges, st_dropped, st_bad, st_grown;
static unsigned long long cur_map;

#define SAME(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		if (mismatches++ < 10) {				\
			fprintf(stderr, "MISMATCH map %llu (seed %#llx) %s:%d: ", \
				cur_map, (unsigned long long)seed, __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
		}							\
	}								\
} while (0)

#define MAXD	4096
#define MAXRSV	(4 * MAXD + 64)
#define PG	4096ULL
#define SZ_1M	(1ULL << 20)

static unsigned char map_c[MAXD * 64], map_r[MAXD * 64];
static struct efi_mm_rsv rsv[MAXRSV];
static struct efi_mm_range *list_c, *list_r;
static size_t nlist_c, nlist_r, cap_c, cap_r;
static u64 seed;

static struct efi_mm_desc *desc(unsigned char *map, size_t ds, size_t i)
{
	return efi_mm_desc_at(map, ds, i);
}

static u32 rnd_type(void)
{
	static const u32 common[] = { 3, 4, 4, 3, 7, 7, 0, 5, 6, 9, 10, 11 };

	if (rnd_below(20) == 0)
		return (u32)rnd();
	return common[rnd_below(sizeof(common) / sizeof(common[0]))];
}

/* A map like firmware makes, with some of what firmware gets wrong. */
static size_t make_map(size_t ds, size_t nr)
{
	u64 pos = rnd_below(2) ? 0 : rnd_below(0x200) * PG;
	size_t i, b;

	for (i = 0; i < nr; i++) {
		struct efi_mm_desc *d = desc(map_c, ds, i);
		u64 pages;

		for (b = 0; b < ds; b++)
			map_c[i * ds + b] = rnd();
		switch (rnd_below(16)) {
		case 0: pages = 0; break;
		case 1: pages = rnd(); break;		/* likely wraps */
		case 2: pages = 1 + rnd_below(0x4000); break;
		default: pages = 1 + rnd_below(64); break;
		}
		d->type = rnd_type();
		d->pad = 0;
		d->phys_addr = pos;
		d->virt_addr = rnd_below(2) ? 0 : rnd();
		d->num_pages = pages;
		d->attribute = rnd_below(4) ? 0xf : (1ULL << 63) | 0xf;
		if (rnd_below(64) == 0)		/* overlap the previous one */
			d->phys_addr = pos - rnd_below(3) * PG;
		if (rnd_below(256) == 0)	/* near the top of memory */
			d->phys_addr = 0ULL - rnd_below(16) * PG;
		pos = d->phys_addr + (pages < 0x10000 ? pages : 1) * PG +
		      (rnd_below(4) ? 0 : rnd_below(16) * PG);
	}
	if (nr > 1 && rnd_below(32) == 0) {	/* unsorted */
		size_t a = rnd_below(nr), c = rnd_below(nr);

		memcpy(map_r, desc(map_c, ds, a), ds);
		memcpy(desc(map_c, ds, a), desc(map_c, ds, c), ds);
		memcpy(desc(map_c, ds, c), map_r, ds);
	}
	memcpy(map_r, map_c, nr * ds);
	return nr;
}

static size_t add_rsv(size_t n, u64 base, u64 size, bool keep)
{
	if (!size || n >= MAXRSV)
		return n;
	/* memblock merges adjacent regions with the same flags, mostly. */
	if (n && rsv[n - 1].base + rsv[n - 1].size == base &&
	    rsv[n - 1].keep == keep && rnd_below(4)) {
		rsv[n - 1].size += size;
		return n;
	}
	rsv[n].base = base;
	rsv[n].size = size;
	rsv[n].keep = keep;
	return n + 1;
}

/*
 * memblock.reserved as efi_reserve_boot_services() leaves it: over each
 * boot services region, pieces of ours, pieces kept for good (RSRV_KERN,
 * someone else's reservations, efi_mem_reserve()) and unreserved gaps, at
 * byte granularity now and then; foreign reservations between regions.
 * Sorted and disjoint, except for the occasional broken table.
 */
static size_t make_rsv(size_t ds, size_t nr)
{
	u64 last = 0;
	size_t i, n = 0;

	for (i = 0; i < nr; i++) {
		struct efi_mm_desc *d = desc(map_c, ds, i);
		u64 s, e, p;

		if (!c_efi_mm_desc_range(d, &s, &e) || s < last)
			continue;
		if (s > last && rnd_below(4) == 0) {
			p = last + rnd_below(s - last);
			n = add_rsv(n, p, rnd_below(s - p) + 1, true);
		}
		if (d->type != 3 && d->type != 4) {
			last = e;
			continue;
		}
		p = s;
		while (p < e) {
			u64 len = rnd_below(2) ? (e - p) : 1 + rnd_below(e - p);

			if (rnd_below(8) == 0)
				len = 1 + rnd_below(len < 0x1800 ? len : 0x1800);
			switch (rnd_below(6)) {
			case 0: n = add_rsv(n, p, len, true); break;
			case 1: break;			/* a gap: nobody's */
			default: n = add_rsv(n, p, len, false); break;
			}
			p += len;
		}
		last = e;
	}
	if (n > 1 && rnd_below(64) == 0) {	/* broken table */
		i = 1 + rnd_below(n - 1);
		rsv[i].base = rsv[i - 1].base + rnd_below(rsv[i - 1].size + 1);
	}
	return n;
}

static bool grow(struct efi_mm_range **l, size_t *cap, size_t need)
{
	size_t c = *cap * 2 > need ? *cap * 2 : need;
	struct efi_mm_range *n = realloc(*l, c * sizeof(**l));

	if (!n)
		return false;
	*l = n;
	*cap = c;
	return true;
}

struct keepctx {
	struct efi_mm_range *list;
	size_t n;
	bool rust;
	u64 calls[MAXD];
	size_t ncalls;
};

/* efi_md_keep() of quirks.c: drop boot services regions freed whole. */
static bool keep_cb(const void *p, void *ctx)
{
	const struct efi_mm_desc *d = p;
	struct keepctx *k = ctx;
	u64 s, e;
	bool listed;

	if (k->ncalls < MAXD)
		k->calls[k->ncalls] = d->phys_addr ^ ((u64)d->type << 40);
	k->ncalls++;
	if (d->type != 3 && d->type != 4)
		return true;
	if (k->rust) {
		if (!efi_mm_desc_range(d, &s, &e))
			return true;
		listed = efi_mm_range_listed(k->list, k->n, s, e);
	} else {
		if (!c_efi_mm_desc_range(d, &s, &e))
			return true;
		listed = c_efi_mm_range_listed(k->list, k->n, s, e);
	}
	return !listed;
}

static struct keepctx kc, kr;

/* 44 and 52: strides that leave descriptors unaligned (the spec allows any). */
static const size_t strides[] = { 48, 56, 64, 44, 52 };
#define NSTRIDES (sizeof(strides) / sizeof(strides[0]))

/* Steps 1-6 on the map in map_c (and its copy in map_r). */
static void run_steps(size_t ds, size_t nr)
{
	size_t map_size, n1, n2, nrsv, i, k;
	u64 floor = rnd_below(16) ? SZ_1M : rnd_below(4) * SZ_1M;
	u64 psz = rnd_below(32) ? PG : (rnd_below(2) ? 0x10000 : 3000);
	u64 a, b, f1, f2;	/* efi_mm_tail_pages() reads a before it writes it */
	bool w1, w2;

	nrsv = make_rsv(ds, nr);

	/* 1. layout, with trailing bytes now and then */
	map_size = nr * ds + (rnd_below(8) ? 0 : rnd_below(ds));
	w1 = c_efi_mm_map_layout(map_size, ds, &n1);
	w2 = efi_mm_map_layout(map_size, ds, &n2);
	SAME(w1 == w2 && n1 == n2, "layout %zu/%zu: C %d %zu, Rust %d %zu",
	     map_size, ds, w1, n1, w2, n2);
	map_size = rnd_below(4096);
	i = rnd_below(80);
	w1 = c_efi_mm_map_layout(map_size, i, &n1);
	w2 = efi_mm_map_layout(map_size, i, &n2);
	SAME(w1 == w2 && n1 == n2, "layout %zu/%zu", map_size, i);

	/* 2. order */
	SAME(c_efi_mm_sorted(map_c, nr, ds) == efi_mm_sorted(map_r, nr, ds),
	     "sorted");

	/* 3. overlaps */
	for (k = 0; k < 16 && k < nr; k++) {
		i = nr <= 16 ? k : rnd_below(nr);
		SAME(c_efi_mm_find_overlap(map_c, nr, ds, i) ==
		     efi_mm_find_overlap(map_r, nr, ds, i), "overlap of %zu", i);
	}
	SAME(c_efi_mm_find_overlap(map_c, nr, ds, nr) ==
	     efi_mm_find_overlap(map_r, nr, ds, nr), "overlap past the end");

	/* 4. free ranges of each boot services region */
	nlist_c = nlist_r = 0;
	for (i = 0; i < nr; i++) {
		struct efi_mm_desc *d = desc(map_c, ds, i);
		u64 s1 = 0, e1 = 0, s2 = 0, e2 = 0;
		enum efi_mm_status st1, st2;
		size_t room, m1 = 7, m2 = 7;

		if (d->type != 3 && d->type != 4)
			continue;
		w1 = c_efi_mm_desc_range(d, &s1, &e1);
		w2 = efi_mm_desc_range(desc(map_r, ds, i), &s2, &e2);
		SAME(w1 == w2 && (!w1 || (s1 == s2 && e1 == e2)),
		     "desc_range of %zu", i);
		if (!w1)
			continue;
		for (;;) {
			/* A random capacity exercises "count past capacity". */
			room = rnd_below(3) ? cap_c - nlist_c : rnd_below(cap_c - nlist_c + 1);
			st1 = c_efi_mm_free_ranges(s1, e1, rsv, nrsv, floor, psz,
						   list_c + nlist_c, room, &m1);
			st2 = efi_mm_free_ranges(s1, e1, rsv, nrsv, floor, psz,
						 list_r + nlist_r, room, &m2);
			SAME(st1 == st2 && m1 == m2, "free_ranges of %zu: C %d %zu, Rust %d %zu",
			     i, st1, m1, st2, m2);
			if (st1 != EFI_MM_OK)
				st_bad++;
			if (st1 != st2 || m1 != m2 || st1 != EFI_MM_OK)
				goto compact;
			for (k = 0; k < m1 && k < room; k++)
				SAME(list_c[nlist_c + k].start == list_r[nlist_r + k].start &&
				     list_c[nlist_c + k].end == list_r[nlist_r + k].end,
				     "range %zu of %zu", k, i);
			if (m1 <= room)
				break;
			st_grown++;
			if (!grow(&list_c, &cap_c, nlist_c + m1) ||
			    !grow(&list_r, &cap_r, nlist_r + m1))
				exit(2);
		}
		nlist_c += m1;
		nlist_r += m2;
		st_ranges += m1;
	}

compact:
	/* 5. drop what was freed whole, in place */
	kc.list = list_c; kc.n = nlist_c; kc.rust = false; kc.ncalls = 0;
	kr.list = list_r; kr.n = nlist_r; kr.rust = true; kr.ncalls = 0;
	n1 = c_efi_mm_compact(map_c, nr, ds, keep_cb, &kc);
	n2 = efi_mm_compact(map_r, nr, ds, keep_cb, &kr);
	SAME(n1 == n2, "compact kept C %zu Rust %zu", n1, n2);
	st_descs += nr;
	st_dropped += nr - n1;
	SAME(kc.ncalls == kr.ncalls && kc.ncalls == nr &&
	     !memcmp(kc.calls, kr.calls, (nr < MAXD ? nr : MAXD) * sizeof(u64)),
	     "predicate calls");
	SAME(!memcmp(map_c, map_r, nr * ds), "compacted map bytes (ds %zu)", ds);

	/* 6. the unused tail of the map's allocation */
	a = rnd_below(2) ? rnd_below(1 << 20) * 16 : rnd();
	f1 = c_efi_mm_tail_pages(a, n1 * ds, nr * ds, psz, &b);
	f2 = efi_mm_tail_pages(a, n1 * ds, nr * ds, psz, &a);
	SAME(f1 == f2 && b == a, "tail pages of the map");
	{
		u64 phys = rnd_below(2) ? rnd() : rnd_below(1 << 20) * 64;
		u64 used = rnd_below(2) ? rnd() : rnd_below(1 << 16);
		u64 alloc = used + rnd_below(1 << 16) - 0x100;
		u64 g1, g2;

		f1 = c_efi_mm_tail_pages(phys, used, alloc, psz, &g1);
		f2 = efi_mm_tail_pages(phys, used, alloc, psz, &g2);
		SAME(f1 == f2 && g1 == g2, "tail pages %#llx %#llx %#llx",
		     (unsigned long long)phys, (unsigned long long)used,
		     (unsigned long long)alloc);
	}
}

static void one_map(void)
{
	size_t ds = strides[rnd_below(NSTRIDES)];
	size_t nr = 1 + (rnd_below(50) ? rnd_below(64) : rnd_below(MAXD));

	run_steps(ds, make_map(ds, nr));
}

/*
 * Fixtures: real firmware maps, as the kernel prints them with efi=debug,
 * read by memmap_log.c (shared with tools/bootmem-replay): only the first
 * listing, memNN counting up from mem00; a line that cannot be parsed is
 * an error ("file:LINE: what is wrong").
 */
static struct efi_mm_desc fixture[MAXD];

static size_t load_fixture(const char *path)
{
	long n = efi_log_load(path, fixture, MAXD);

	if (n < 0)
		exit(2);
	return n;
}

/* A fixture, with random strides, padding and reservations, many times. */
static void fixture_maps(const char *path, unsigned long trials)
{
	size_t nr = load_fixture(path), i, b, bs = 0;
	unsigned long long ranges0 = st_ranges, t;

	for (i = 0; i < nr; i++)
		bs += fixture[i].type == 3 || fixture[i].type == 4;
	for (t = 0; t < trials; t++, cur_map++) {
		size_t ds = strides[t % NSTRIDES];

		for (i = 0; i < nr; i++) {
			for (b = 0; b < ds; b++)
				map_c[i * ds + b] = rnd();
			memcpy(map_c + i * ds, &fixture[i], sizeof(fixture[i]));
		}
		memcpy(map_r, map_c, nr * ds);
		run_steps(ds, nr);
	}
	printf("fixture %s: %zu descriptors (%zu boot services, %s), %lu trials, %llu free ranges\n",
	       path, nr, bs, c_efi_mm_sorted(fixture, nr, sizeof(fixture[0])) ? "sorted" : "unsorted",
	       trials, st_ranges - ranges0);
}

int main(int argc, char **argv)
{
	unsigned long long maps = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;

	seed = argc > 2 ? strtoull(argv[2], NULL, 0) | 1 : RNG_DEFAULT_SEED;
	rng_state = seed;
	if (!grow(&list_c, &cap_c, 16) || !grow(&list_r, &cap_r, 16))
		return 2;
	for (cur_map = 0; cur_map < maps; cur_map++)
		one_map();
	for (int a = 3; a < argc; a++)
		fixture_maps(argv[a], 1000);
	printf("efi-memmap differential: %llu descriptors, %llu free ranges recorded (%llu retries with more room), %llu descriptors dropped whole, %llu broken reserved tables\n",
	       st_descs, st_ranges, st_grown, st_dropped, st_bad);
	printf("efi-memmap differential (C memmap_ranges.c vs Rust efi_memmap_ranges.rs): %llu maps, %lu checks, %lu mismatches\n",
	       cur_map, checks, mismatches);
	return mismatches != 0;
}
