// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for the EFI memory map iterator and filter
 * (<linux/efi.h>) and the pure range helpers behind the freeing of EFI
 * boot services memory (<linux/efi_memmap_ranges.h>), on synthetic maps
 * with descriptor strides of 48, 56 and 64 bytes; and, on x86, the
 * ownership step of efi_reserve_boot_services() on a private
 * memblock.reserved (suite efi_memmap_ownership); bad layouts given to
 * __efi_memmap_init() (efi_memmap_init); and the checks only the Rust
 * port makes (efi_memmap_rust_checks, CONFIG_EFI_MEMMAP_RUST).
 */
#include <kunit/test.h>
#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/efi.h>
#include <linux/efi_memmap_ranges.h>
#include <linux/io.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#define MAX_DESCS	16
#define PG		SZ_4K

static const size_t strides[] = { 48, 56, 64 };

static void stride_to_desc(const size_t *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "desc_size=%zu", *s);
}

KUNIT_ARRAY_PARAM(stride, strides, stride_to_desc);

static size_t param_stride(struct kunit *test)
{
	return *(const size_t *)test->param_value;
}

/* Write descriptor @i, and a recognisable pattern in the stride's tail. */
static void put_desc(void *map, size_t ds, size_t i, u32 type, u64 phys,
		     u64 pages)
{
	efi_memory_desc_t *md = efi_memdesc_ptr(map, ds, i);
	u8 *extra = (u8 *)md + sizeof(*md);
	size_t b;

	memset(md, 0, sizeof(*md));
	md->type = type;
	md->phys_addr = phys;
	md->virt_addr = 0x1000 * i;
	md->num_pages = pages;
	md->attribute = EFI_MEMORY_WB | i;
	for (b = 0; b < ds - sizeof(*md); b++)
		extra[b] = 0xa0 + i + b;
}

static bool extra_ok(const void *map, size_t ds, size_t pos, size_t orig)
{
	const u8 *extra = (const u8 *)efi_memdesc_ptr(map, ds, pos) +
			  sizeof(efi_memory_desc_t);
	size_t b;

	for (b = 0; b < ds - sizeof(efi_memory_desc_t); b++)
		if (extra[b] != (u8)(0xa0 + orig + b))
			return false;
	return true;
}

static struct efi_memory_map *mk_map(struct kunit *test, size_t ds,
				     size_t nr)
{
	struct efi_memory_map *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	size_t i;

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->map = kunit_kzalloc(test, ds * MAX_DESCS, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->map);
	m->desc_size = ds;
	m->map_size = ds * MAX_DESCS;
	m->nr_map = nr;
	/* A map of 1 MiB regions at 1 MiB steps, types cycling 0..7. */
	for (i = 0; i < MAX_DESCS; i++)
		put_desc(m->map, ds, i, i % 8, SZ_1M * (i + 1), SZ_1M / PG);
	return m;
}

/* --- iterator ------------------------------------------------------------ */

static void efi_mm_iter_bounded_by_nr_map(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 5);
	efi_memory_desc_t *md;
	int n = 0;

	for_each_efi_memory_desc_in_map(m, md) {
		KUNIT_EXPECT_PTR_EQ(test, (void *)md,
				    (void *)efi_memdesc_ptr(m->map, ds, n));
		KUNIT_EXPECT_EQ(test, md->phys_addr, (u64)SZ_1M * (n + 1));
		n++;
	}
	/* map_size has room for MAX_DESCS: only nr_map counts. */
	KUNIT_EXPECT_EQ(test, n, 5);

	m->nr_map = 0;
	n = 0;
	for_each_efi_memory_desc_in_map(m, md)
		n++;
	KUNIT_EXPECT_EQ(test, n, 0);

	m->nr_map = 3;
	m->map = NULL;
	for_each_efi_memory_desc_in_map(m, md)
		n++;
	KUNIT_EXPECT_EQ(test, n, 0);
}

static void efi_mm_iter_nested(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 4);
	efi_memory_desc_t *a, *b;
	int n = 0;

	/* Two iterators in one scope must not share their counter. */
	for_each_efi_memory_desc_in_map(m, a)
		for_each_efi_memory_desc_in_map(m, b)
			n++;
	KUNIT_EXPECT_EQ(test, n, 16);
}

/* --- filter -------------------------------------------------------------- */

struct filter_log {
	int calls;
	u64 seen[MAX_DESCS];
};

static bool keep_not_bs(const efi_memory_desc_t *md, void *ctx)
{
	struct filter_log *log = ctx;

	log->seen[log->calls++] = md->phys_addr;
	return md->type != EFI_BOOT_SERVICES_CODE &&
	       md->type != EFI_BOOT_SERVICES_DATA;
}

static void efi_mm_filter_drops_in_place(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 12);
	struct filter_log log = { };
	void *map = m->map;
	efi_memory_desc_t *md;
	int dropped, i, pos = 0;

	dropped = efi_memmap_filter(m, keep_not_bs, &log);
	/* Types 3 and 4 (BS code/data) at indices 3, 4, 11. */
	KUNIT_EXPECT_EQ(test, dropped, 3);
	KUNIT_EXPECT_EQ(test, m->nr_map, 9);
	KUNIT_EXPECT_PTR_EQ(test, m->map, map);
	KUNIT_EXPECT_EQ(test, m->map_size, (unsigned long)ds * MAX_DESCS);
	/* The predicate saw each entry once, in order. */
	KUNIT_EXPECT_EQ(test, log.calls, 12);
	for (i = 0; i < 12; i++)
		KUNIT_EXPECT_EQ(test, log.seen[i], (u64)SZ_1M * (i + 1));

	for (i = 0; i < 12; i++) {
		if (i == 3 || i == 4 || i == 11)
			continue;
		md = efi_memdesc_ptr(m->map, ds, pos);
		KUNIT_EXPECT_EQ(test, md->phys_addr, (u64)SZ_1M * (i + 1));
		KUNIT_EXPECT_EQ(test, md->virt_addr, (u64)0x1000 * i);
		KUNIT_EXPECT_EQ(test, md->attribute, EFI_MEMORY_WB | i);
		/* The whole stride moved, not just sizeof(efi_memory_desc_t). */
		KUNIT_EXPECT_TRUE(test, extra_ok(m->map, ds, pos, i));
		pos++;
	}
	KUNIT_EXPECT_EQ(test, pos, 9);
}

static bool keep_all(const efi_memory_desc_t *md, void *ctx)
{
	return true;
}

static bool keep_none(const efi_memory_desc_t *md, void *ctx)
{
	return false;
}

static void efi_mm_filter_all_none_empty(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 7);
	int i;

	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, keep_all, NULL), 0);
	KUNIT_EXPECT_EQ(test, m->nr_map, 7);
	for (i = 0; i < 7; i++)
		KUNIT_EXPECT_TRUE(test, extra_ok(m->map, ds, i, i));

	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, keep_none, NULL), 7);
	KUNIT_EXPECT_EQ(test, m->nr_map, 0);
	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, keep_none, NULL), 0);

	m->nr_map = 3;
	m->map = NULL;
	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, keep_none, NULL), 0);
	KUNIT_EXPECT_EQ(test, m->nr_map, 3);
}

static bool keep_odd(const void *desc, void *ctx)
{
	const struct efi_mm_desc *d = desc;

	return (d->phys_addr / SZ_1M) % 2;
}

static void efi_mm_compact_pure(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, MAX_DESCS);
	size_t kept, i;

	/* phys 1M, 3M, 5M, ... are odd: indices 0, 2, 4, ... */
	kept = efi_mm_compact(m->map, MAX_DESCS, ds, keep_odd, NULL);
	KUNIT_EXPECT_EQ(test, kept, (size_t)MAX_DESCS / 2);
	for (i = 0; i < kept; i++) {
		const struct efi_mm_desc *d = efi_mm_desc_at(m->map, ds, i);

		KUNIT_EXPECT_EQ(test, d->phys_addr, (u64)SZ_1M * (2 * i + 1));
		KUNIT_EXPECT_TRUE(test, extra_ok(m->map, ds, i, 2 * i));
	}
	/* Past the kept ones, the bytes are left as they were. */
	KUNIT_EXPECT_TRUE(test, extra_ok(m->map, ds, MAX_DESCS - 1,
					 MAX_DESCS - 1));
}

/* --- descriptors ------------------------------------------------------- */

static void efi_mm_desc_checks(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 4);
	u64 s, e;
	size_t nr;

	KUNIT_EXPECT_TRUE(test, efi_mm_desc_range(m->map, &s, &e));
	KUNIT_EXPECT_EQ(test, s, (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, e, (u64)SZ_2M);

	/* Zero pages. */
	put_desc(m->map, ds, 0, EFI_BOOT_SERVICES_DATA, SZ_1M, 0);
	KUNIT_EXPECT_FALSE(test, efi_mm_desc_range(m->map, &s, &e));
	/* Ends exactly at 2^64: does not fit. */
	put_desc(m->map, ds, 0, EFI_BOOT_SERVICES_DATA, 0ULL - PG, 1);
	KUNIT_EXPECT_FALSE(test, efi_mm_desc_range(m->map, &s, &e));
	/* Ends one page below 2^64: fits. */
	put_desc(m->map, ds, 0, EFI_BOOT_SERVICES_DATA, 0ULL - 2 * PG, 1);
	KUNIT_EXPECT_TRUE(test, efi_mm_desc_range(m->map, &s, &e));
	KUNIT_EXPECT_EQ(test, e, 0ULL - PG);
	/* num_pages << 12 would overflow by itself. */
	put_desc(m->map, ds, 0, EFI_BOOT_SERVICES_DATA, 0, 1ULL << 60);
	KUNIT_EXPECT_FALSE(test, efi_mm_desc_range(m->map, &s, &e));

	/* Layout: stride too small, size not a multiple, fine. */
	KUNIT_EXPECT_FALSE(test, efi_mm_map_layout(10 * ds, 39, &nr));
	KUNIT_EXPECT_EQ(test, nr, (size_t)0);
	KUNIT_EXPECT_FALSE(test, efi_mm_map_layout(10 * ds + 8, ds, &nr));
	KUNIT_EXPECT_EQ(test, nr, (size_t)10);
	KUNIT_EXPECT_TRUE(test, efi_mm_map_layout(10 * ds, ds, &nr));
	KUNIT_EXPECT_EQ(test, nr, (size_t)10);
	KUNIT_EXPECT_TRUE(test, efi_mm_map_layout(0, ds, &nr));
	KUNIT_EXPECT_EQ(test, nr, (size_t)0);
}

static void efi_mm_overlap_and_order(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 6);

	KUNIT_EXPECT_TRUE(test, efi_mm_sorted(m->map, 6, ds));
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 2), -1L);

	/* Entry 4 now starts inside entry 2 (3M..4M). */
	put_desc(m->map, ds, 4, EFI_BOOT_SERVICES_DATA, 3 * SZ_1M + PG, 2);
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 4), 2L);
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 2), 4L);
	KUNIT_EXPECT_FALSE(test, efi_mm_sorted(m->map, 6, ds));
	/* Out of range index, or an invalid entry: no overlap reported. */
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 6), -1L);
	put_desc(m->map, ds, 4, EFI_BOOT_SERVICES_DATA, 3 * SZ_1M, 0);
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 4), -1L);
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 2), -1L);

	/* Unsorted but disjoint: no overlap. */
	put_desc(m->map, ds, 4, EFI_BOOT_SERVICES_DATA, 0, 1);
	KUNIT_EXPECT_FALSE(test, efi_mm_sorted(m->map, 6, ds));
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 6, ds, 4), -1L);
}

/* --- free ranges --------------------------------------------------------- */

#define R(b, s, k)	{ .base = (b), .size = (s), .keep = (k) }

static size_t free_ranges(struct kunit *test, const void *map, size_t ds,
			  size_t idx, const struct efi_mm_rsv *rsv, size_t nr,
			  struct efi_mm_range *out, size_t max)
{
	u64 s, e;
	size_t n = 0;

	KUNIT_ASSERT_TRUE(test, efi_mm_desc_range(efi_mm_desc_at(map, ds, idx),
						  &s, &e));
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(s, e, rsv, nr, SZ_1M, PG,
						 out, max, &n), EFI_MM_OK);
	return n;
}

static void efi_mm_free_whole_region(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 4);
	/* Our reservation, merged with a neighbour's (no flags either). */
	struct efi_mm_rsv rsv[] = { R(SZ_1M, 3 * SZ_1M, false) };
	struct efi_mm_range out[4];

	KUNIT_ASSERT_EQ(test, free_ranges(test, m->map, ds, 1, rsv, 1, out, 4),
			(size_t)1);
	KUNIT_EXPECT_EQ(test, out[0].start, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, out[0].end, (u64)3 * SZ_1M);
	KUNIT_EXPECT_TRUE(test, efi_mm_range_listed(out, 1, SZ_2M, 3 * SZ_1M));
}

/* A BGRT-like table kept by efi_mem_reserve() in the middle of a region. */
static void efi_mm_free_around_kept_table(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 4);
	u64 b = SZ_2M, t = b + 5 * PG + 0x123, tsz = 3 * PG;
	struct efi_mm_rsv rsv[] = {
		R(b, t - b, false), R(t, tsz, true), R(t + tsz, b + SZ_1M - t - tsz, false),
	};
	struct efi_mm_range out[4];

	KUNIT_ASSERT_EQ(test, free_ranges(test, m->map, ds, 1, rsv, 3, out, 4),
			(size_t)2);
	/* Rounded inward: the partial pages around the table stay. */
	KUNIT_EXPECT_EQ(test, out[0].start, b);
	KUNIT_EXPECT_EQ(test, out[0].end, b + 5 * PG);
	KUNIT_EXPECT_EQ(test, out[1].start, b + 9 * PG);
	KUNIT_EXPECT_EQ(test, out[1].end, b + SZ_1M);
	/* Not freed whole: the descriptor stays in the map. */
	KUNIT_EXPECT_FALSE(test, efi_mm_range_listed(out, 2, b, b + SZ_1M));
}

/*
 * A boot services descriptor that already held an earlier reservation
 * (an initrd, a memblock_alloc() buffer, the ESRT, ...) when
 * efi_reserve_boot_services() ran: that part was marked
 * MEMBLOCK_RSRV_KERN, and only the gaps reserved by the EFI code are
 * freed, even where the earlier reservation also extends beyond the
 * descriptor.
 */
static void efi_mm_free_with_earlier_reservation(struct kunit *test)
{
	size_t ds = param_stride(test);
	struct efi_memory_map *m = mk_map(test, ds, 6);
	u64 b = 4 * SZ_1M;	/* descriptor 3: [4M, 5M) */
	struct efi_mm_rsv rsv[] = {
		/* earlier, straddling the start: split by mark_kern */
		R(b - 16 * PG, 16 * PG, false), R(b, 32 * PG, true),
		/* ours */
		R(b + 32 * PG, 64 * PG, false),
		/* earlier, inside */
		R(b + 96 * PG, PG, true),
		/* ours, to the end of the descriptor and a neighbour's beyond */
		R(b + 97 * PG, SZ_1M - 97 * PG + SZ_1M, false),
	};
	struct efi_mm_range out[4];

	KUNIT_ASSERT_EQ(test, free_ranges(test, m->map, ds, 3, rsv,
					  ARRAY_SIZE(rsv), out, 4), (size_t)2);
	KUNIT_EXPECT_EQ(test, out[0].start, b + 32 * PG);
	KUNIT_EXPECT_EQ(test, out[0].end, b + 96 * PG);
	KUNIT_EXPECT_EQ(test, out[1].start, b + 97 * PG);
	/* Clipped to the descriptor. */
	KUNIT_EXPECT_EQ(test, out[1].end, b + SZ_1M);
}

static void efi_mm_free_floor_and_unreserved(struct kunit *test)
{
	struct efi_mm_rsv rsv[] = {
		R(0, SZ_64K, true), R(SZ_64K, SZ_1M - SZ_64K + 8 * PG, false),
		/* [1M + 8 pages, 1M + 16 pages) not reserved: not ours */
		R(SZ_1M + 16 * PG, 16 * PG, false),
	};
	struct efi_mm_range out[4];
	size_t n;

	/* Straddles 1 MiB: nothing below it is freed. */
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_512K, SZ_1M + 32 * PG, rsv, 3,
						 SZ_1M, PG, out, 4, &n), EFI_MM_OK);
	KUNIT_ASSERT_EQ(test, n, (size_t)2);
	KUNIT_EXPECT_EQ(test, out[0].start, (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, out[0].end, (u64)SZ_1M + 8 * PG);
	KUNIT_EXPECT_EQ(test, out[1].start, (u64)SZ_1M + 16 * PG);
	KUNIT_EXPECT_EQ(test, out[1].end, (u64)SZ_1M + 32 * PG);

	/* Entirely below 1 MiB: nothing, and the entry is not freed whole. */
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_64K, SZ_512K, rsv, 3,
						 SZ_1M, PG, out, 4, &n), EFI_MM_OK);
	KUNIT_EXPECT_EQ(test, n, (size_t)0);

	/* Nothing reserved at all: nothing freed. */
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_2M, SZ_4M, rsv, 3,
						 SZ_1M, PG, out, 4, &n), EFI_MM_OK);
	KUNIT_EXPECT_EQ(test, n, (size_t)0);
}

static void efi_mm_free_joins_and_rounds(struct kunit *test)
{
	/* Two flagless regions meeting at an odd address (different nodes). */
	struct efi_mm_rsv rsv[] = {
		R(SZ_2M + 0x10, 3 * PG, false), R(SZ_2M + 0x10 + 3 * PG, 5 * PG, false),
	};
	struct efi_mm_range out[2];
	size_t n;

	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_2M, SZ_4M, rsv, 2, SZ_1M, PG,
						 out, 2, &n), EFI_MM_OK);
	KUNIT_ASSERT_EQ(test, n, (size_t)1);
	KUNIT_EXPECT_EQ(test, out[0].start, (u64)SZ_2M + PG);
	KUNIT_EXPECT_EQ(test, out[0].end, (u64)SZ_2M + 8 * PG);

	/* Smaller than a page once rounded: nothing. */
	rsv[0].size = PG;
	rsv[1].base = SZ_2M + 0x10 + 2 * PG;
	rsv[1].size = 0x20;
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_2M, SZ_4M, rsv, 2, SZ_1M, PG,
						 out, 2, &n), EFI_MM_OK);
	KUNIT_EXPECT_EQ(test, n, (size_t)0);
}

static void efi_mm_free_many_ranges_grow(struct kunit *test)
{
	struct efi_mm_rsv rsv[10];
	struct efi_mm_range out[3];
	size_t i, n;

	/* Alternating ours / kept pages: 5 ranges for one region. */
	for (i = 0; i < 10; i++) {
		rsv[i].base = SZ_2M + i * PG;
		rsv[i].size = PG;
		rsv[i].keep = i % 2;
	}
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_2M, SZ_2M + 10 * PG, rsv, 10,
						 SZ_1M, PG, out, 3, &n), EFI_MM_OK);
	/* All five are counted; only three fit. */
	KUNIT_EXPECT_EQ(test, n, (size_t)5);
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, out[i].start, (u64)SZ_2M + 2 * i * PG);
		KUNIT_EXPECT_EQ(test, out[i].end, (u64)SZ_2M + (2 * i + 1) * PG);
	}
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_2M, SZ_2M + 10 * PG, rsv, 10,
						 SZ_1M, PG, NULL, 0, &n), EFI_MM_OK);
	KUNIT_EXPECT_EQ(test, n, (size_t)5);
}

static void efi_mm_free_bad_table(struct kunit *test)
{
	struct efi_mm_rsv unsorted[] = { R(SZ_4M, PG, false), R(SZ_2M, PG, false) };
	struct efi_mm_rsv overlap[] = { R(SZ_2M, 2 * PG, false), R(SZ_2M + PG, PG, false) };
	struct efi_mm_rsv wraps[] = { R(SZ_2M, PG, false), R(0ULL - PG, 2 * PG, false) };
	struct efi_mm_range out[4];
	size_t n = 99;

	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_1M, SZ_8M, unsorted, 2, SZ_1M,
						 PG, out, 4, &n), EFI_MM_BAD_RSV);
	KUNIT_EXPECT_EQ(test, n, (size_t)0);
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_1M, SZ_8M, overlap, 2, SZ_1M,
						 PG, out, 4, &n), EFI_MM_BAD_RSV);
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_1M, SZ_8M, wraps, 2, SZ_1M,
						 PG, out, 4, &n), EFI_MM_BAD_RSV);
	/* A page size that is not a power of two. */
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(SZ_1M, SZ_8M, overlap, 0, SZ_1M,
						 3000, out, 4, &n), EFI_MM_BAD_RSV);
}

static void efi_mm_tail(struct kunit *test)
{
	size_t ds = param_stride(test);
	u64 first, n;

	/* A 400-entry map at an odd address, shrunk to 40 entries. */
	n = efi_mm_tail_pages(SZ_1G + 0x18, 40 * ds, 400 * ds, PG, &first);
	KUNIT_EXPECT_EQ(test, first, (u64)SZ_1G + round_up(0x18 + 40 * ds, PG));
	KUNIT_EXPECT_EQ(test, n, (u64)(round_down(0x18 + 400 * ds, PG) -
				       round_up(0x18 + 40 * ds, PG)) / PG);
	KUNIT_EXPECT_GT(test, n, 0ULL);
	/* Nothing unused, or less than a page: nothing. */
	KUNIT_EXPECT_EQ(test, efi_mm_tail_pages(SZ_1G, 130 * ds, 130 * ds, PG,
						&first), 0ULL);
	KUNIT_EXPECT_EQ(test, efi_mm_tail_pages(SZ_1G, 64, 64 + PG - 1, PG,
						&first), 0ULL);
	/* Inconsistent arguments: nothing. */
	KUNIT_EXPECT_EQ(test, efi_mm_tail_pages(SZ_1G, 2 * PG, PG, PG, &first),
			0ULL);
	KUNIT_EXPECT_EQ(test, efi_mm_tail_pages(0ULL - PG, 0, 2 * PG, PG, &first),
			0ULL);
}

static struct kunit_case efi_memmap_cases[] = {
	KUNIT_CASE_PARAM(efi_mm_iter_bounded_by_nr_map, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_iter_nested, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_filter_drops_in_place, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_filter_all_none_empty, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_compact_pure, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_desc_checks, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_overlap_and_order, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_free_whole_region, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_free_around_kept_table, stride_gen_params),
	KUNIT_CASE_PARAM(efi_mm_free_with_earlier_reservation, stride_gen_params),
	KUNIT_CASE(efi_mm_free_floor_and_unreserved),
	KUNIT_CASE(efi_mm_free_joins_and_rounds),
	KUNIT_CASE(efi_mm_free_many_ranges_grow),
	KUNIT_CASE(efi_mm_free_bad_table),
	KUNIT_CASE_PARAM(efi_mm_tail, stride_gen_params),
	{}
};

static struct kunit_suite efi_memmap_suite = {
	.name = "efi_memmap",
	.test_cases = efi_memmap_cases,
};

kunit_test_suite(efi_memmap_suite);

/*
 * Bad layouts given to __efi_memmap_init(): a stride smaller than a
 * descriptor refuses the map, trailing bytes that make no whole
 * descriptor are ignored.  The map is a kmalloc()ed buffer mapped with
 * EFI_MEMMAP_LATE (memremap() of RAM is its direct map); efi.memmap and
 * the EFI_MEMMAP bit are saved before and restored after each case
 * (safe: built-in init-section suites run before user space, while
 * nothing else looks at efi.memmap).
 */
static struct efi_memory_map init_saved __initdata;
static bool init_saved_enabled __initdata;

static int __init init_save(struct kunit *test)
{
	init_saved = efi.memmap;
	init_saved_enabled = efi_enabled(EFI_MEMMAP);
	return 0;
}

static void __init init_restore(struct kunit *test)
{
	if (efi.memmap.map && efi.memmap.map != init_saved.map &&
	    (efi.memmap.flags & EFI_MEMMAP_LATE))
		memunmap(efi.memmap.map);
	efi.memmap = init_saved;
	if (init_saved_enabled)
		set_bit(EFI_MEMMAP, &efi.flags);
	else
		clear_bit(EFI_MEMMAP, &efi.flags);
}

static int __init init_map(struct kunit *test, unsigned long size,
			   unsigned long ds, void **buf)
{
	struct efi_memory_map_data data = {
		.desc_version = 1,
		.desc_size = ds,
		.size = size,
		.flags = EFI_MEMMAP_LATE,
	};

	*buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, *buf);
	data.phys_map = virt_to_phys(*buf);
	return __efi_memmap_init(&data);
}

static void __init init_refuses_short_stride(struct kunit *test)
{
	void *buf;

	KUNIT_EXPECT_EQ(test, init_map(test, 4 * 39, 39, &buf), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, efi.memmap.map, init_saved.map);
	KUNIT_EXPECT_EQ(test, efi.memmap.nr_map, init_saved.nr_map);
	KUNIT_EXPECT_EQ(test, efi_enabled(EFI_MEMMAP), init_saved_enabled);
}

static void __init init_refuses_map_smaller_than_a_descriptor(struct kunit *test)
{
	void *buf;

	KUNIT_EXPECT_EQ(test, init_map(test, 10, 48, &buf), -EINVAL);
	KUNIT_EXPECT_PTR_EQ(test, efi.memmap.map, init_saved.map);
}

static void __init init_ignores_trailing_bytes(struct kunit *test)
{
	void *buf;
	size_t ds;

	for (ds = 48; ds <= 64; ds += 8) {
		KUNIT_ASSERT_EQ(test, init_map(test, 3 * ds + 5, ds, &buf), 0);
		KUNIT_EXPECT_TRUE(test, efi_enabled(EFI_MEMMAP));
		KUNIT_EXPECT_EQ(test, efi.memmap.nr_map, 3);
		KUNIT_EXPECT_EQ(test, efi.memmap.map_size, 3 * ds + 5);
		KUNIT_EXPECT_EQ(test, efi.memmap.desc_size, ds);
		KUNIT_EXPECT_EQ(test, efi.memmap.phys_map, virt_to_phys(buf));
		KUNIT_EXPECT_EQ(test, efi.memmap.flags, EFI_MEMMAP_LATE);
		init_restore(test);
	}
}

static void __init init_whole_map(struct kunit *test)
{
	void *buf;

	KUNIT_ASSERT_EQ(test, init_map(test, 7 * 56, 56, &buf), 0);
	KUNIT_EXPECT_EQ(test, efi.memmap.nr_map, 7);
	KUNIT_EXPECT_EQ(test, efi.memmap.map_size, 7 * 56);
	KUNIT_EXPECT_EQ(test, efi.memmap.desc_version, 1);
}

static struct kunit_case efi_memmap_init_cases[] __initdata = {
	KUNIT_CASE(init_refuses_short_stride),
	KUNIT_CASE(init_refuses_map_smaller_than_a_descriptor),
	KUNIT_CASE(init_ignores_trailing_bytes),
	KUNIT_CASE(init_whole_map),
	{}
};

static struct kunit_suite efi_memmap_init_suite __initdata = {
	.name = "efi_memmap_init",
	.init = init_save,
	.exit = init_restore,
	.test_cases = efi_memmap_init_cases,
};
kunit_test_init_section_suites(&efi_memmap_init_suite);

#ifdef CONFIG_EFI_MEMMAP_RUST
/*
 * Checks only the Rust makes (the C would walk past the mapping or call
 * NULL): a map whose nr_map entries do not fit in map_size, a stride
 * smaller than a descriptor, no predicate.  Each is refused with a
 * warning and the map is left as it was.
 */
static void filter_refuses_overlong_map(struct kunit *test)
{
	struct efi_memory_map *m = mk_map(test, 48, MAX_DESCS);
	void *copy = kunit_kmalloc(test, 48 * MAX_DESCS, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, m->map, 48 * MAX_DESCS);
	m->map_size = 48 * MAX_DESCS - 1;
	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, keep_none, NULL), 0);
	KUNIT_EXPECT_EQ(test, m->nr_map, MAX_DESCS);
	KUNIT_EXPECT_EQ(test, memcmp(copy, m->map, 48 * MAX_DESCS), 0);

	m->map_size = 48 * MAX_DESCS;
	m->desc_size = 39;
	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, keep_none, NULL), 0);
	KUNIT_EXPECT_EQ(test, m->nr_map, MAX_DESCS);
	KUNIT_EXPECT_EQ(test, memcmp(copy, m->map, 48 * MAX_DESCS), 0);
}

static void filter_without_predicate(struct kunit *test)
{
	struct efi_memory_map *m = mk_map(test, 56, 5);

	KUNIT_EXPECT_EQ(test, efi_memmap_filter(m, NULL, NULL), 0);
	KUNIT_EXPECT_EQ(test, m->nr_map, 5);
}

static void helpers_refuse_short_stride(struct kunit *test)
{
	struct efi_memory_map *m = mk_map(test, 48, 4);
	size_t nr = 42;

	KUNIT_EXPECT_FALSE(test, efi_mm_map_layout(400, 39, &nr));
	KUNIT_EXPECT_EQ(test, nr, 0);
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, 4, 39, 0), -1);
	KUNIT_EXPECT_TRUE(test, efi_mm_sorted(m->map, 4, 39));
	KUNIT_EXPECT_EQ(test, efi_mm_compact(m->map, 4, 39, NULL, NULL), 4);
	KUNIT_EXPECT_EQ(test, efi_mm_find_overlap(m->map, SIZE_MAX / 2, 48, 0), -1);
}

static struct kunit_case efi_memmap_rust_checks_cases[] = {
	KUNIT_CASE(filter_refuses_overlong_map),
	KUNIT_CASE(filter_without_predicate),
	KUNIT_CASE(helpers_refuse_short_stride),
	{}
};

static struct kunit_suite efi_memmap_rust_checks_suite = {
	.name = "efi_memmap_rust_checks",
	.test_cases = efi_memmap_rust_checks_cases,
};

kunit_test_suite(efi_memmap_rust_checks_suite);
#endif /* CONFIG_EFI_MEMMAP_RUST */

#ifdef CONFIG_X86
#include <asm/efi.h>
#include <asm/sections.h>

/*
 * Ownership of boot services memory: efi_reserve_boot_services_range()
 * runs on a private, empty memblock.reserved swapped in for each test, as
 * mm/memblock_rsrv_kern_kunit.c does (safe: built-in suites run after
 * memblock_discard(), when nothing else uses memblock.reserved, and before
 * free_initmem(), so the __init code is there).  Then the free ranges are
 * computed from the resulting table exactly as efi_unmap_boot_services()
 * does.
 */
#define OWN_MAX_REGIONS	32

static struct memblock_region own_regions[OWN_MAX_REGIONS] __initdata;
static struct memblock_type own_saved __initdata;

static int __init own_init(struct kunit *test)
{
	own_saved = memblock.reserved;
	memset(own_regions, 0, sizeof(own_regions));
	memblock.reserved.regions = own_regions;
	memblock.reserved.cnt = 0;
	memblock.reserved.max = OWN_MAX_REGIONS;
	memblock.reserved.total_size = 0;
	return 0;
}

static void __init own_exit(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, memblock.reserved.regions, &own_regions[0]);
	memblock.reserved = own_saved;
}

/* The free ranges of [start, end), from the current memblock.reserved. */
static size_t __init own_free(struct kunit *test, u64 start, u64 end,
			      struct efi_mm_range *out, size_t max)
{
	struct efi_mm_rsv rsv[OWN_MAX_REGIONS];
	struct memblock_region *r;
	size_t n = 0, nr;

	for_each_reserved_mem_region(r) {
		rsv[n].base = r->base;
		rsv[n].size = r->size;
		rsv[n].keep = r->flags != MEMBLOCK_NONE;
		n++;
	}
	KUNIT_EXPECT_EQ(test, efi_mm_free_ranges(start, end, rsv, n, SZ_1M,
						 PAGE_SIZE, out, max, &nr),
			EFI_MM_OK);
	return nr;
}

/* Flags of the reserved region containing @addr, or -1 if unreserved. */
static long __init own_flags_at(u64 addr)
{
	struct memblock_region *r;

	for_each_reserved_mem_region(r)
		if (r->base <= addr && addr < r->base + r->size)
			return r->flags;
	return -1;
}

static void __init own_unreserved_region(struct kunit *test)
{
	struct efi_mm_range out[4];
	u64 b = SZ_16M;

	efi_reserve_boot_services_range(b, b + SZ_1M, false);
	KUNIT_EXPECT_EQ(test, memblock.reserved.cnt, 1UL);
	KUNIT_EXPECT_EQ(test, own_flags_at(b), (long)MEMBLOCK_NONE);
	KUNIT_ASSERT_EQ(test, own_free(test, b, b + SZ_1M, out, 4), (size_t)1);
	KUNIT_EXPECT_EQ(test, out[0].start, b);
	KUNIT_EXPECT_EQ(test, out[0].end, b + SZ_1M);
}

/*
 * The descriptor already holds earlier reservations (plain
 * memblock_reserve(), like an initrd, setup_data or a memblock_alloc()
 * buffer): one straddling its start and one inside.  They become
 * MEMBLOCK_RSRV_KERN inside the descriptor only, the gaps are ours, and
 * only the gaps are freed.  A table efi_mem_reserve() keeps later (BGRT)
 * is left out too.
 */
/*
 * The region is judged by E820 only where nobody reserved it (patch 0029):
 * a table efi_mem_reserve() kept before (the ESRT) made its pages reserved
 * in E820, and must not make the whole region "not RAM".  [640K, 1M) is
 * never RAM in E820 on x86 (trim_bios_range()), the kernel's text is.
 */
static void __init own_e820_only_where_unreserved(struct kunit *test)
{
	u64 hole = 0xa0000, ram = PFN_ALIGN(__pa_symbol(_text));

	KUNIT_EXPECT_TRUE(test, efi_unreserved_is_ram(ram, ram + 2 * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, efi_unreserved_is_ram(hole, hole + 2 * PAGE_SIZE));
	/* A table somebody reserved, byte-granular: its partial pages too. */
	memblock_reserve(hole + 0x18, 2 * PAGE_SIZE - 0x30);
	KUNIT_EXPECT_TRUE(test, efi_unreserved_is_ram(hole, hole + 2 * PAGE_SIZE));
	/* A whole page nobody reserved that is not RAM still decides. */
	KUNIT_EXPECT_FALSE(test, efi_unreserved_is_ram(hole, hole + 3 * PAGE_SIZE));
}

static void __init own_earlier_reservation(struct kunit *test)
{
	struct efi_mm_range out[8];
	u64 b = SZ_16M, e = b + SZ_1M;

	memblock_reserve(b - 4 * PAGE_SIZE, 8 * PAGE_SIZE);
	memblock_reserve(b + 32 * PAGE_SIZE + 0x100, 0x200);

	efi_reserve_boot_services_range(b, e, false);

	/* The straddling one is split at the descriptor's start. */
	KUNIT_EXPECT_EQ(test, own_flags_at(b - PAGE_SIZE), (long)MEMBLOCK_NONE);
	KUNIT_EXPECT_EQ(test, own_flags_at(b), (long)MEMBLOCK_RSRV_KERN);
	KUNIT_EXPECT_EQ(test, own_flags_at(b + 3 * PAGE_SIZE), (long)MEMBLOCK_RSRV_KERN);
	KUNIT_EXPECT_EQ(test, own_flags_at(b + 4 * PAGE_SIZE), (long)MEMBLOCK_NONE);
	KUNIT_EXPECT_EQ(test, own_flags_at(b + 32 * PAGE_SIZE + 0x100),
			(long)MEMBLOCK_RSRV_KERN);
	KUNIT_EXPECT_EQ(test, own_flags_at(b + 32 * PAGE_SIZE), (long)MEMBLOCK_NONE);
	KUNIT_EXPECT_EQ(test, own_flags_at(e - 1), (long)MEMBLOCK_NONE);
	/* Everything in the descriptor is reserved now. */
	KUNIT_EXPECT_TRUE(test, memblock_is_reserved(b + 100 * PAGE_SIZE));

	KUNIT_ASSERT_EQ(test, own_free(test, b, e, out, 8), (size_t)2);
	KUNIT_EXPECT_EQ(test, out[0].start, b + 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[0].end, b + 32 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[1].start, b + 33 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[1].end, e);

	/* Later, efi_mem_reserve() keeps a table in the middle. */
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(b + 64 * PAGE_SIZE + 0x18,
							  2 * PAGE_SIZE), 0);
	KUNIT_ASSERT_EQ(test, own_free(test, b, e, out, 8), (size_t)3);
	KUNIT_EXPECT_EQ(test, out[1].start, b + 33 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[1].end, b + 64 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[2].start, b + 67 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[2].end, e);
	KUNIT_EXPECT_FALSE(test, efi_mm_range_listed(out, 3, b, e));
}

/* Not all RAM, or overlapping another descriptor: nothing is ours. */
static void __init own_keep_whole(struct kunit *test)
{
	struct efi_mm_range out[4];
	u64 b = SZ_16M;

	memblock_reserve(b + PAGE_SIZE, PAGE_SIZE);
	efi_reserve_boot_services_range(b, b + SZ_1M, true);
	KUNIT_EXPECT_EQ(test, memblock.reserved.cnt, 1UL);
	KUNIT_EXPECT_EQ(test, own_flags_at(b), (long)MEMBLOCK_RSRV_KERN);
	KUNIT_EXPECT_EQ(test, own_free(test, b, b + SZ_1M, out, 4), (size_t)0);
}

/*
 * Below 1 MiB nothing is marked (reserve_real_mode() reserves all of it
 * flagless later, and memblock_add_range() would warn about other
 * flags), and nothing is freed.
 */
static void __init own_below_1m(struct kunit *test)
{
	struct efi_mm_range out[4];
	u64 b = SZ_512K, e = SZ_1M + SZ_512K;

	memblock_reserve(0x9f000, PAGE_SIZE);		/* e.g. the EBDA */
	memblock_reserve(SZ_1M + SZ_64K, PAGE_SIZE);	/* earlier, above 1 MiB */
	efi_reserve_boot_services_range(b, e, false);

	KUNIT_EXPECT_EQ(test, own_flags_at(0x9f000), (long)MEMBLOCK_NONE);
	KUNIT_EXPECT_EQ(test, own_flags_at(b), (long)MEMBLOCK_NONE);
	KUNIT_EXPECT_EQ(test, own_flags_at(SZ_1M + SZ_64K), (long)MEMBLOCK_RSRV_KERN);
	/* reserve_real_mode()'s reservation meets no flagged region. */
	memblock_reserve(0, SZ_1M);
	KUNIT_EXPECT_EQ(test, own_flags_at(0), (long)MEMBLOCK_NONE);

	KUNIT_ASSERT_EQ(test, own_free(test, b, e, out, 4), (size_t)2);
	KUNIT_EXPECT_EQ(test, out[0].start, (u64)SZ_1M);
	KUNIT_EXPECT_EQ(test, out[0].end, (u64)SZ_1M + SZ_64K);
	KUNIT_EXPECT_EQ(test, out[1].start, (u64)SZ_1M + SZ_64K + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, out[1].end, e);
}

static struct kunit_case efi_memmap_ownership_cases[] __initdata = {
	KUNIT_CASE(own_unreserved_region),
	KUNIT_CASE(own_earlier_reservation),
	KUNIT_CASE(own_e820_only_where_unreserved),
	KUNIT_CASE(own_keep_whole),
	KUNIT_CASE(own_below_1m),
	{}
};

static struct kunit_suite efi_memmap_ownership_suite __initdata = {
	.name = "efi_memmap_ownership",
	.init = own_init,
	.exit = own_exit,
	.test_cases = efi_memmap_ownership_cases,
};
kunit_test_init_section_suites(&efi_memmap_ownership_suite);
#endif /* CONFIG_X86 */

MODULE_DESCRIPTION("KUnit tests for the EFI memory map iterator, filter and free ranges");
MODULE_LICENSE("GPL");
