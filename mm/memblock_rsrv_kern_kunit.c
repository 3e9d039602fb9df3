// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for MEMBLOCK_RSRV_KERN: memblock_reserve_kern(),
 * memblock_reserved_mark_kern() and memblock_reserved_kern_size(), and for
 * the rule that reserved memory is freed only once the memory map is fully
 * initialised (free_reserved_area() and memblock_free_late() refuse before
 * that).
 *
 * The suites test whichever implementation is built (the C one in
 * mm/memblock.c, or mm/memblock_rsrv_kern_rust.rs with
 * CONFIG_MEMBLOCK_RSRV_KERN_RUST) through the C prototypes.
 *
 * Where the memblock tests work: the functions under test act on the global
 * memblock.reserved, so each test swaps in a private, empty region array
 * and puts the live one back afterwards.  That is safe here because
 * built-in KUnit suites run from kernel_init_freeable(), after
 * memblock_free_all() and memblock_discard(): nothing else uses
 * memblock.reserved any more (this suite is __init and needs
 * !ARCH_KEEP_MEMBLOCK semantics only in that memblock is idle), and the
 * memblock code and data (__init_memblock) are still there.  The private
 * array is large enough that no test doubles it: doubling would allocate,
 * and flip memblock's private "array is in slab" state for the live table.
 * Array growth is covered by the host differential test instead
 * (tools/testing/memblock-ab).
 */

#include <kunit/test.h>
#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/numa.h>
#include <linux/printk.h>

#define TEST_MAX_REGIONS	32

static struct memblock_region test_regions[TEST_MAX_REGIONS] __initdata;
static struct memblock_type saved_reserved __initdata;

struct rgn {
	phys_addr_t base;
	phys_addr_t size;
	u32 flags;
};

static int __init rsrv_kern_test_init(struct kunit *test)
{
	saved_reserved = memblock.reserved;
	memset(test_regions, 0, sizeof(test_regions));
	memblock.reserved.regions = test_regions;
	memblock.reserved.cnt = 0;
	memblock.reserved.max = TEST_MAX_REGIONS;
	memblock.reserved.total_size = 0;
	return 0;
}

static void __init rsrv_kern_test_exit(struct kunit *test)
{
	/* No test may have grown the private array (see above). */
	KUNIT_EXPECT_PTR_EQ(test, memblock.reserved.regions, &test_regions[0]);
	KUNIT_EXPECT_EQ(test, memblock.reserved.max, TEST_MAX_REGIONS);
	memblock.reserved = saved_reserved;
}

/* Check memblock.reserved holds exactly @n regions @want, and the total. */
static void __init expect_reserved(struct kunit *test, const struct rgn *want,
				   unsigned long n)
{
	struct memblock_type *t = &memblock.reserved;
	phys_addr_t total = 0;
	unsigned long i;

	KUNIT_ASSERT_EQ(test, t->cnt, n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, t->regions[i].base, want[i].base,
				    "region %lu", i);
		KUNIT_EXPECT_EQ_MSG(test, t->regions[i].size, want[i].size,
				    "region %lu", i);
		KUNIT_EXPECT_EQ_MSG(test, (u32)t->regions[i].flags,
				    want[i].flags, "region %lu", i);
		total += want[i].size;
	}
	KUNIT_EXPECT_EQ(test, t->total_size, total);
}

#define K	MEMBLOCK_RSRV_KERN
#define EXPECT_RESERVED(test, ...)					\
	do {								\
		static const struct rgn __want[] __initconst = { __VA_ARGS__ }; \
		expect_reserved(test, __want, ARRAY_SIZE(__want));	\
	} while (0)

/* reserve_kern on free memory: one new region flagged RSRV_KERN. */
static void __init reserve_kern_new_range(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x10000, 0x10000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, K });
	KUNIT_EXPECT_EQ(test, memblock_is_reserved_kern(&memblock.reserved.regions[0]), true);
}

/* A flagged and an unflagged region next to each other do not merge. */
static void __init reserve_kern_no_merge_with_plain(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x20000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x30000, 0x10000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, 0 }, { 0x20000, 0x20000, K });
}

/*
 * reserve_kern over an existing reservation adds nothing and leaves its
 * flags alone (upstream semantics: mark_kern is for existing ranges).
 */
static void __init reserve_kern_inside_existing(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x14000, 0x4000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, 0 });
}

/*
 * reserve_kern over a plain reservation that starts inside the range: the
 * part below it is inserted and memblock_add_range() fires its
 * WARN_ON(flags != rgn->flags) once, a real WARN in both implementations
 * (the boot runner requires the "WARNING: CPU: ... at" header of one
 * between the markers).  The plain region keeps its flags.
 */
static void __init reserve_kern_around_existing_warns(struct kunit *test)
{
	int ret;

	KUNIT_ASSERT_EQ(test, memblock_reserve(0x14000, 0x4000), 0);
	pr_info("bootmem-rs: expected WARNING begin\n");
	ret = memblock_reserve_kern(0x10000, 0x10000);
	pr_info("bootmem-rs: expected WARNING end\n");
	KUNIT_ASSERT_EQ(test, ret, 0);
	EXPECT_RESERVED(test, { 0x10000, 0x4000, K }, { 0x14000, 0x4000, 0 },
			{ 0x18000, 0x8000, K });
}

/* A range running past the end of phys_addr_t is capped, not wrapped. */
static void __init reserve_kern_overflow_capped(struct kunit *test)
{
	phys_addr_t base = PHYS_ADDR_MAX - 0xfff;

	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(base, 0x10000), 0);
	EXPECT_RESERVED(test, { PHYS_ADDR_MAX - 0xfff, 0xfff, K });
}

static void __init reserve_kern_zero_size(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x10000, 0), 0);
	KUNIT_EXPECT_EQ(test, memblock.reserved.cnt, 0);
	KUNIT_EXPECT_EQ(test, memblock.reserved.total_size, 0);
}

/* Marking the middle of a region splits it at both edges. */
static void __init mark_kern_splits_both_edges(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x14000, 0x4000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x4000, 0 }, { 0x14000, 0x4000, K },
			{ 0x18000, 0x8000, 0 });
}

/* Marking the rest merges the pieces back into one flagged region. */
static void __init mark_kern_merges_back(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x14000, 0x4000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x10000, 0x4000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x8000, K }, { 0x18000, 0x8000, 0 });
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x18000, 0x8000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, K });
}

/* Marking merges with a flagged neighbour made by reserve_kern. */
static void __init mark_kern_merges_with_neighbour(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x20000, 0x10000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, K }, { 0x20000, 0x10000, 0 });
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x20000, 0x10000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x20000, K });
}

/* Only the reserved part of a partly reserved range gets the flag. */
static void __init mark_kern_partly_reserved(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x8000, 0x10000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x8000, K }, { 0x18000, 0x8000, 0 });
}

/* A range spanning two regions and the hole between them. */
static void __init mark_kern_spans_regions(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x30000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x18000, 0x20000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x8000, 0 }, { 0x18000, 0x8000, K },
			{ 0x30000, 0x8000, K }, { 0x38000, 0x8000, 0 });
}

/* Other flags survive; a region with other flags does not merge. */
static void __init mark_kern_keeps_other_flags(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x20000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_noinit(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x10000, 0x20000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, K | MEMBLOCK_RSRV_NOINIT },
			{ 0x20000, 0x10000, K });
}

/* Zero size, unreserved ranges and an empty table change nothing. */
static void __init mark_kern_nothing_to_do(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, memblock_reserved_mark_kern(0x10000, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, memblock.reserved.cnt, 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_EXPECT_EQ(test, memblock_reserved_mark_kern(0x14000, 0), 0);
	KUNIT_EXPECT_EQ(test, memblock_reserved_mark_kern(0x40000, 0x1000), 0);
	KUNIT_EXPECT_EQ(test, memblock_reserved_mark_kern(0x0, 0x10000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x10000, 0 });
}

/* A range running past the end of phys_addr_t is capped. */
static void __init mark_kern_overflow_capped(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x18000, PHYS_ADDR_MAX), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x8000, 0 }, { 0x18000, 0x8000, K });
}

static void __init kern_size_sums(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve(0x30000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x50000, 0x10000), 0);

	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE), 0x20000);
	/* @limit cuts a region, and stops the walk. */
	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(0x58000, NUMA_NO_NODE), 0x18000);
	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(0x40000, NUMA_NO_NODE), 0x10000);
	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(0x10000, NUMA_NO_NODE), 0);
	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(0, NUMA_NO_NODE), 0);
	/* Reservations carry no node: a valid node matches none of them. */
	if (IS_ENABLED(CONFIG_NUMA))
		KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(PHYS_ADDR_MAX, 0), 0);

	/* Marking more adds to the sum. */
	KUNIT_ASSERT_EQ(test, memblock_reserved_mark_kern(0x30000, 0x8000), 0);
	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE), 0x28000);
}

/*
 * A table memblock could not have built: an unsorted tail behind the
 * range.  The C never reads the tail and flags the range, and so does the
 * Rust in production, which checks only what it reads.  With
 * CONFIG_DEBUG_VM the Rust validates the whole table on every call and
 * refuses this one untouched (-EINVAL, and 0 from kern_size, with a
 * pr_err() naming the unsorted region).
 */
static void __init mark_kern_on_unsorted_table(struct kunit *test)
{
	static const phys_addr_t bases[] __initconst = { 0x10000, 0x80000, 0x60000 };
	bool refused = IS_ENABLED(CONFIG_MEMBLOCK_RSRV_KERN_RUST) &&
		       IS_ENABLED(CONFIG_DEBUG_VM);
	struct memblock_type *t = &memblock.reserved;
	unsigned long i;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		t->regions[i].base = bases[i];
		t->regions[i].size = 0x10000;
		t->regions[i].flags = MEMBLOCK_NONE;
		memblock_set_region_node(&t->regions[i], MAX_NUMNODES);
	}
	t->cnt = ARRAY_SIZE(bases);
	t->total_size = ARRAY_SIZE(bases) * 0x10000;

	if (refused) {
		KUNIT_EXPECT_EQ(test, memblock_reserved_mark_kern(0x10000, 0x10000), -EINVAL);
		EXPECT_RESERVED(test, { 0x10000, 0x10000, 0 }, { 0x80000, 0x10000, 0 },
				{ 0x60000, 0x10000, 0 });
		KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE), 0);
	} else {
		KUNIT_EXPECT_EQ(test, memblock_reserved_mark_kern(0x10000, 0x10000), 0);
		EXPECT_RESERVED(test, { 0x10000, 0x10000, K }, { 0x80000, 0x10000, 0 },
				{ 0x60000, 0x10000, 0 });
		KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE),
				0x10000);
	}
}

/* Freeing part of a flagged region keeps the flag on the rest. */
static void __init free_part_of_kern_region(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, memblock_reserve_kern(0x10000, 0x10000), 0);
	KUNIT_ASSERT_EQ(test, memblock_phys_free(0x14000, 0x4000), 0);
	EXPECT_RESERVED(test, { 0x10000, 0x4000, K }, { 0x18000, 0x8000, K });
	KUNIT_EXPECT_EQ(test, memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE), 0xc000);
}

static struct kunit_case memblock_rsrv_kern_cases[] __initdata = {
	KUNIT_CASE(reserve_kern_new_range),
	KUNIT_CASE(reserve_kern_no_merge_with_plain),
	KUNIT_CASE(reserve_kern_inside_existing),
	KUNIT_CASE(reserve_kern_around_existing_warns),
	KUNIT_CASE(reserve_kern_overflow_capped),
	KUNIT_CASE(reserve_kern_zero_size),
	KUNIT_CASE(mark_kern_splits_both_edges),
	KUNIT_CASE(mark_kern_merges_back),
	KUNIT_CASE(mark_kern_merges_with_neighbour),
	KUNIT_CASE(mark_kern_partly_reserved),
	KUNIT_CASE(mark_kern_spans_regions),
	KUNIT_CASE(mark_kern_keeps_other_flags),
	KUNIT_CASE(mark_kern_nothing_to_do),
	KUNIT_CASE(mark_kern_overflow_capped),
	KUNIT_CASE(kern_size_sums),
	KUNIT_CASE(free_part_of_kern_region),
	KUNIT_CASE(mark_kern_on_unsorted_table),
	{}
};

static struct kunit_suite memblock_rsrv_kern_suite __initdata = {
	.name = "memblock_rsrv_kern",
	.init = rsrv_kern_test_init,
	.exit = rsrv_kern_test_exit,
	.test_cases = memblock_rsrv_kern_cases,
};

/*
 * free_reserved_area() and memblock_free_late() before the memory map is
 * initialised: both go through __free_reserved_area(), which refuses.
 *
 * KUnit runs too late to try that, so an early_initcall (which runs before
 * page_alloc_init_late()) makes the attempt and a test case checks the
 * outcome.  The page freed is one we own: allocated, then made to look
 * like reserved memory.  If the guard were missing it would simply go back
 * to the buddy allocator; with the guard it is handed back by hand.  The
 * WARN the guard prints is expected: the markers around it tell the boot
 * runner (scripts/bootmem_ab.py) so, and it requires one in between.
 */
static long early_free_result __initdata = -1;
static long early_free_late_result __initdata = -1;

static struct page *__init fake_reserved_page(void)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (page) {
		SetPageReserved(page);
		adjust_managed_page_count(page, -1);
	}
	return page;
}

static unsigned long __init try_free_reserved(struct page *page)
{
	void *va = page_address(page);
	unsigned long freed = free_reserved_area(va, va + PAGE_SIZE, -1, NULL);

	if (!freed) {
		/* Refused: undo fake_reserved_page() ourselves. */
		adjust_managed_page_count(page, 1);
		ClearPageReserved(page);
		__free_page(page);
	}
	return freed;
}

/*
 * memblock_free_late() of a page made to look reserved; returns 1 if it
 * was freed, 0 if it was refused (and hands it back by hand then).
 */
static unsigned long __init try_free_late(struct page *page)
{
	memblock_free_late(page_to_phys(page), PAGE_SIZE);
	if (!PageReserved(page))
		return 1;
	adjust_managed_page_count(page, 1);
	ClearPageReserved(page);
	__free_page(page);
	return 0;
}

static int __init early_free_reserved_attempt(void)
{
	struct page *page = fake_reserved_page();

	if (page) {
		pr_info("bootmem-rs: expected WARNING begin\n");
		early_free_result = try_free_reserved(page);
		pr_info("bootmem-rs: expected WARNING end\n");
	}
	page = fake_reserved_page();
	if (page) {
		pr_info("bootmem-rs: expected WARNING begin\n");
		early_free_late_result = try_free_late(page);
		pr_info("bootmem-rs: expected WARNING end\n");
	}
	return 0;
}
early_initcall(early_free_reserved_attempt);

static void __init free_reserved_area_refused_early(struct kunit *test)
{
	KUNIT_ASSERT_NE_MSG(test, early_free_result, -1,
			    "the early_initcall made no attempt");
	if (IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT))
		KUNIT_EXPECT_EQ(test, early_free_result, 0);
	else
		KUNIT_EXPECT_EQ(test, early_free_result, 1);
}

static void __init free_reserved_area_allowed_late(struct kunit *test)
{
	struct page *page = fake_reserved_page();

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, try_free_reserved(page), 1);
}

static void __init memblock_free_late_refused_early(struct kunit *test)
{
	KUNIT_ASSERT_NE_MSG(test, early_free_late_result, -1,
			    "the early_initcall made no attempt");
	if (IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT))
		KUNIT_EXPECT_EQ(test, early_free_late_result, 0);
	else
		KUNIT_EXPECT_EQ(test, early_free_late_result, 1);
}

static void __init memblock_free_late_allowed_late(struct kunit *test)
{
	struct page *page = fake_reserved_page();

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, try_free_late(page), 1);
}

static struct kunit_case free_reserved_area_guard_cases[] __initdata = {
	KUNIT_CASE(free_reserved_area_refused_early),
	KUNIT_CASE(free_reserved_area_allowed_late),
	KUNIT_CASE(memblock_free_late_refused_early),
	KUNIT_CASE(memblock_free_late_allowed_late),
	{}
};

static struct kunit_suite free_reserved_area_guard_suite __initdata = {
	.name = "free_reserved_area_guard",
	.test_cases = free_reserved_area_guard_cases,
};

kunit_test_init_section_suites(&memblock_rsrv_kern_suite,
			       &free_reserved_area_guard_suite);

MODULE_DESCRIPTION("KUnit tests for MEMBLOCK_RSRV_KERN");
MODULE_LICENSE("GPL");
