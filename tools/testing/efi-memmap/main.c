// SPDX-License-Identifier: GPL-2.0
/*
 * Randomised host test of drivers/firmware/efi/memmap_ranges.c against
 * brute-force oracles:
 *  - efi_mm_free_ranges(): a page is freed iff every byte of it is inside
 *    the region, at or above the floor, and inside a reserved region not
 *    marked keep; the result must be exactly the maximal runs of such
 *    pages, in order;
 *  - efi_mm_compact(): against a copy-based filter, for strides 48/56/64;
 *  - efi_mm_desc_range() / efi_mm_find_overlap(): against 128-bit math.
 * A fixed seed makes a failure reproducible: ./efi_memmap_test N SEED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/efi_memmap_ranges.h>
#include "rng.h"

#define RNG_DEFAULT_SEED 0x9e3779b97f4a7c15ULL

static unsigned long failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		if (failures++ < 10) {					\
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
		}							\
	}								\
} while (0)

/* Addresses in units of 256 bytes over 64 pages of 4 KiB, plus a base. */
#define UNIT	256ULL
#define PG	4096ULL
#define NPAGES	64
#define NUNITS	(NPAGES * PG / UNIT)
#define MAXRSV	24

static void test_free_ranges(u64 base)
{
	struct efi_mm_rsv rsv[MAXRSV];
	struct efi_mm_range out[NPAGES], want[NPAGES];
	static bool freeable[NUNITS];
	size_t nr = 0, n, nwant = 0, i, max_out;
	u64 pos = rnd_below(8), s, e, floor;
	enum efi_mm_status st;

	/* A sorted, disjoint table; gaps of 0 make adjacent regions. */
	while (nr < MAXRSV && pos < NUNITS) {
		u64 len = 1 + rnd_below(40);

		if (pos + len > NUNITS)
			len = NUNITS - pos;
		rsv[nr].base = base + pos * UNIT;
		rsv[nr].size = len * UNIT;
		rsv[nr].keep = rnd_below(3) == 0;
		nr++;
		pos += len + (rnd_below(3) ? 0 : rnd_below(20));
	}
	s = rnd_below(NUNITS);
	e = s + rnd_below(NUNITS - s + 1);
	floor = rnd_below(2) ? 0 : rnd_below(NUNITS);

	memset(freeable, 0, sizeof(freeable));
	for (i = 0; i < nr; i++) {
		u64 u, a = (rsv[i].base - base) / UNIT, b = a + rsv[i].size / UNIT;

		for (u = a; u < b; u++)
			freeable[u] = !rsv[i].keep && u >= s && u < e && u >= floor;
	}
	for (i = 0; i < NPAGES; i++) {
		size_t u, per = PG / UNIT;
		bool all = true;

		for (u = i * per; u < (i + 1) * per; u++)
			all &= freeable[u];
		if (!all)
			continue;
		if (nwant && want[nwant - 1].end == base + i * PG)
			want[nwant - 1].end += PG;
		else {
			want[nwant].start = base + i * PG;
			want[nwant].end = base + (i + 1) * PG;
			nwant++;
		}
	}

	max_out = rnd_below(2) ? NPAGES : rnd_below(4);
	st = efi_mm_free_ranges(base + s * UNIT, base + e * UNIT, rsv, nr,
				base + floor * UNIT, PG, out, max_out, &n);
	CHECK(st == EFI_MM_OK, "status %d", st);
	CHECK(n == nwant, "got %zu ranges, want %zu", n, nwant);
	for (i = 0; i < n && i < nwant && i < max_out; i++)
		CHECK(out[i].start == want[i].start && out[i].end == want[i].end,
		      "range %zu: [%#llx, %#llx) want [%#llx, %#llx)", i,
		      (unsigned long long)out[i].start, (unsigned long long)out[i].end,
		      (unsigned long long)want[i].start, (unsigned long long)want[i].end);

	/* Break the table: it must then free nothing. */
	if (nr >= 2) {
		i = 1 + rnd_below(nr - 1);
		rsv[i].base = rsv[i - 1].base + rsv[i - 1].size - UNIT * (1 + rnd_below(2));
		n = 42;
		st = efi_mm_free_ranges(base, base + NUNITS * UNIT, rsv, nr, 0, PG,
					out, NPAGES, &n);
		CHECK(st == EFI_MM_BAD_RSV && n == 0, "bad table accepted");
	}
}

struct keepctx {
	const unsigned char *keep;
	size_t calls;
};

static bool keep_cb(const void *desc, void *ctx)
{
	struct keepctx *k = ctx;

	return k->keep[k->calls++];
}

static void test_compact(size_t ds)
{
	unsigned char map[64 * 64], ref[64 * 64], keep[64];
	size_t nr = rnd_below(64), i, kept, nref = 0;
	struct keepctx k = { keep, 0 };

	for (i = 0; i < sizeof(map); i++)
		map[i] = rnd();
	memcpy(ref, map, sizeof(map));
	for (i = 0; i < nr; i++) {
		keep[i] = rnd_below(2);
		if (keep[i])
			memmove(ref + nref++ * ds, map + i * ds, ds);
	}
	kept = efi_mm_compact(map, nr, ds, keep_cb, &k);
	CHECK(kept == nref, "kept %zu want %zu", kept, nref);
	CHECK(k.calls == nr, "predicate called %zu times for %zu", k.calls, nr);
	CHECK(!memcmp(map, ref, sizeof(map)), "compacted map differs (ds %zu)", ds);
}

static void put(void *map, size_t ds, size_t i, u64 phys, u64 pages)
{
	struct efi_mm_desc *d = efi_mm_desc_at(map, ds, i);

	memset(d, 0, ds);
	d->phys_addr = phys;
	d->num_pages = pages;
}

static u64 rnd_addr(void)
{
	switch (rnd_below(4)) {
	case 0: return rnd();
	case 1: return 0ULL - (rnd_below(64) << 12);
	default: return rnd_below(64) << 12;
	}
}

static u64 rnd_pages(void)
{
	switch (rnd_below(4)) {
	case 0: return rnd();
	case 1: return rnd_below(3);
	default: return 1 + rnd_below(32);
	}
}

static void test_desc(size_t ds)
{
	unsigned char map[16 * 64];
	size_t nr = 1 + rnd_below(16), i, j;

	for (i = 0; i < nr; i++)
		put(map, ds, i, rnd_addr(), rnd_pages());
	for (i = 0; i < nr; i++) {
		struct efi_mm_desc *d = efi_mm_desc_at(map, ds, i);
		unsigned __int128 end = (unsigned __int128)d->phys_addr +
					((unsigned __int128)d->num_pages << 12);
		bool valid = d->num_pages && end < ((unsigned __int128)1 << 64);
		long want = -1;
		u64 s, e;

		CHECK(efi_mm_desc_range(d, &s, &e) == valid, "desc_range validity");
		if (valid)
			CHECK(s == d->phys_addr && e == (u64)end, "desc_range value");
		for (j = 0; valid && j < nr && want < 0; j++) {
			struct efi_mm_desc *o = efi_mm_desc_at(map, ds, j);
			unsigned __int128 oend = (unsigned __int128)o->phys_addr +
						 ((unsigned __int128)o->num_pages << 12);

			if (j == i || !o->num_pages || oend >= ((unsigned __int128)1 << 64))
				continue;
			if (o->phys_addr < end && d->phys_addr < oend)
				want = j;
		}
		CHECK(efi_mm_find_overlap(map, nr, ds, i) == want, "overlap of %zu", i);
	}
}

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 100000, i;
	static const size_t strides[] = { 48, 56, 64 };

	rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) | 1 : RNG_DEFAULT_SEED;
	for (i = 0; i < iters; i++) {
		u64 base = rnd_below(2) ? 0 : (rnd_below(2) ? 0x100000000ULL :
					       0ULL - 2 * NPAGES * PG);
		test_free_ranges(base);
		test_compact(strides[i % 3]);
		test_desc(strides[i % 3]);
	}
	printf("efi-memmap host test: %lu iterations, %lu failures\n", iters,
	       failures);
	return failures != 0;
}
