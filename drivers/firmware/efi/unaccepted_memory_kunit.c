// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for EFI unaccepted memory: accept_memory() and
 * range_contains_unaccepted_memory(), on synthetic tables.
 *
 * The suite tests whichever implementation is built, the C one
 * (unaccepted_memory.c) or the Rust port (unaccepted_memory_rust.rs), through
 * the C prototypes in <linux/mm.h>, and asserts only what both must do: the
 * semantics of the 6.12 C, quirks included, except where the port is
 * allowed to differ (see "Not tested" below).
 *
 * The seams, and why:
 *
 * - arch_accept_memory() is out of line (arch/x86/mm/unaccepted_memory.c)
 *   and starts with KUNIT_STATIC_STUB_REDIRECT().  Every case redirects it
 *   to um_fake_accept() in its .init, before any table exists, so nothing
 *   is ever really accepted: on this guest (neither TDX nor SEV-SNP) the
 *   real one panics, and on one that is, accepting twice is fatal.  A
 *   static stub only redirects calls made by a task whose
 *   current->kunit_test is the test, so the kthreads of the concurrency
 *   case set it before they can reach accept_memory() and clear it before
 *   they exit.  The fake finds its state through kunit_get_current_test().
 *
 * - The table is found through efi.unaccepted (efi_get_unaccepted_table()
 *   returns __va() of it).  A case installs a synthetic table by pointing
 *   efi.unaccepted at it, and .exit puts the saved value back, also when
 *   the case failed an assertion.  If the firmware provided a real table
 *   (a confidential guest), the cases are skipped rather than hide it from
 *   the rest of the kernel.
 *
 *   The synthetic table lives in static storage, is never freed, and always
 *   has phys_base 1 TiB, far above this guest's RAM: a real caller on
 *   another CPU (page allocator, memblock) that picks up efi.unaccepted
 *   while a synthetic table is installed, or just before it is taken down,
 *   reads a valid header, finds its range entirely below phys_base and
 *   returns without touching the bitmap or calling arch_accept_memory().
 *   With a kzalloc()ed table such a late reader could read freed memory.
 *   A header is only rewritten while no table is installed.
 *
 * - Bits beyond the table in the bitmap's last word are set ("poison"):
 *   they must never be accepted nor reported.
 *
 * Most cases use 2 MiB units (x86's), 32 units, so the whole bitmap, poison
 * included, is one word that can be compared at once.
 *
 * Not tested, because C and Rust legitimately differ there (see
 * unaccepted_memory_bitmap.rs): range_contains_unaccepted_memory() with a
 * start that is not unit aligned and an end whose offset in its unit is
 * non-zero and not above the start's (the C misses the last unit); a
 * start + size wrapping past 2^64 with phys_base 0 (the C's guard unit
 * wraps); and runs at unit 2^32 or longer than 2^31 units (the C's
 * bitmap_clear() truncates).
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <kunit/test-bug.h>
#include <linux/align.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/efi.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <asm/page.h>
#include <asm/unaccepted_memory.h>

#ifdef CONFIG_EFI_UNACCEPTED_MEMORY_RUST
#include <linux/efi_unaccepted_memory_rust.h>
#endif

/* phys_base of every synthetic table: 1 TiB, aligned to every unit size. */
#define UM_BASE		BIT_ULL(40)

#define UM_4K		(4ULL << 10)
#define UM_2M		(2ULL << 20)
#define UM_1G		BIT_ULL(30)

/* The default table: 32 units of 2 MiB, its bitmap is one word. */
#define UM_UNITS	32

/* Largest table (the concurrency case). */
#define UM_MAX_UNITS	4096

/* arch_accept_memory() calls recorded per step of a case. */
#define UM_MAX_CALLS	16U

/* Units [a, b) as a bitmap word (a < b <= BITS_PER_LONG). */
#define UM_UNITS_MASK(a, b)	GENMASK((b) - 1, (a))

/* The concurrency case. */
#define UM_RACE_UNITS	4096
#define UM_RACE_THREADS	6
#define UM_RACE_ITERS	400
#define UM_RACE_MAX_LEN	16	/* units per random request, 0 to this - 1 */
#define UM_RACE_CHUNK	64	/* units per request of the final pass */
#define UM_RACE_CHUNKS	(UM_RACE_UNITS / UM_RACE_CHUNK)
#define UM_RACE_DELAY_US 2	/* busy wait in the fake, to widen races */
#define UM_RACE_SEED	0x756e616363ULL

static_assert(offsetof(struct efi_unaccepted_memory, bitmap) ==
	      sizeof(struct efi_unaccepted_memory));
static_assert(sizeof(struct efi_unaccepted_memory) % sizeof(unsigned long) == 0);
static_assert(UM_RACE_UNITS <= UM_MAX_UNITS);

/* The synthetic table: header, then bitmap.  Never freed (see above). */
static unsigned long um_table_buf[sizeof(struct efi_unaccepted_memory) /
				  sizeof(unsigned long) +
				  BITS_TO_LONGS(UM_MAX_UNITS)];

/* One arch_accept_memory() call, as the fake saw it. */
struct um_call {
	u64 start;
	u64 end;
	bool irqs_off;		/* interrupts were disabled */
	bool bits_set;		/* [start, end) whole units, all still marked */
	int query;		/* query of [start, end) from inside, or -1 */
};

/* Units [first, last) expected in one arch_accept_memory() call. */
struct um_span {
	unsigned int first;
	unsigned int last;
};

struct um_race;
struct um_hold;

/* Per-case state, test->priv. */
struct um_ctx {
	unsigned long saved_unaccepted;
	bool installed;
	struct efi_unaccepted_memory *tbl;
	unsigned int nunits;
	unsigned long poison;	/* bits past the table in word 0 */
	bool query_in_call;	/* the fake calls range_contains_...() */
	unsigned int ncalls;	/* may exceed UM_MAX_CALLS */
	struct um_call calls[UM_MAX_CALLS];
	struct um_race *race;	/* set: the fake is in concurrency mode */
	struct um_hold *hold;	/* set: the fake is in hold mode */
	unsigned int unusable;	/* efi_unaccepted_table_unusable() calls */
};

/* State shared by the fake and the threads of the concurrency case. */
struct um_race {
	struct kunit *test;
	struct completion go;
	atomic_t *count;	/* per unit: times accepted */
	atomic_t *busy;		/* per unit: being accepted right now */
	atomic_t calls;
	atomic_t bad_range;	/* unaligned, empty or outside the table */
	u64 bad_start, bad_end;	/* the first bad range */
	atomic_t overlap;	/* a unit accepted by two CPUs at once */
	atomic_t irqs_on;	/* called with interrupts enabled */
	atomic_t incomplete;	/* accept_memory() returned, a unit not accepted */
	atomic_t stale_query;	/* "no unaccepted memory" before acceptance */
};

struct um_race_thread {
	struct um_race *race;
	unsigned int id;
	struct completion done;
};

/* Whether [start, end) is whole units of the table, all still marked. */
static bool um_bits_all_set(const struct efi_unaccepted_memory *t,
			    u64 start, u64 end)
{
	u64 unit, span, first, last;

	if (!t)
		return false;
	unit = t->unit_size;
	span = t->size * BITS_PER_BYTE * unit;
	if (start < t->phys_base || end <= start || end - t->phys_base > span)
		return false;
	/* Not IS_ALIGNED(): a unit need not be a power of two. */
	if ((start - t->phys_base) % unit || (end - t->phys_base) % unit)
		return false;
	first = (start - t->phys_base) / unit;
	last = (end - t->phys_base) / unit;
	return find_next_zero_bit(t->bitmap, last, first) >= last;
}

static void um_race_accept(struct um_race *race, u64 start, u64 end)
{
	const u64 span = UM_RACE_UNITS * UM_2M;
	u64 first, last, u;

	atomic_inc(&race->calls);
	if (!irqs_disabled())
		atomic_inc(&race->irqs_on);
	if (start < UM_BASE || end <= start || end - UM_BASE > span ||
	    !IS_ALIGNED(start - UM_BASE, UM_2M) ||
	    !IS_ALIGNED(end - UM_BASE, UM_2M)) {
		if (atomic_inc_return(&race->bad_range) == 1) {
			race->bad_start = start;
			race->bad_end = end;
		}
		return;
	}
	first = (start - UM_BASE) / UM_2M;
	last = (end - UM_BASE) / UM_2M;
	for (u = first; u < last; u++) {
		if (atomic_inc_return(&race->busy[u]) != 1)
			atomic_inc(&race->overlap);
		atomic_inc(&race->count[u]);
	}
	/* Interrupts are off here: busy wait, never sleep. */
	udelay(UM_RACE_DELAY_US);
	for (u = first; u < last; u++)
		atomic_dec(&race->busy[u]);
}

/*
 * The deterministic overlap case ("hold mode").  Thread A, on one CPU,
 * accepts units [0, 4) (plus guard unit 4).  The fake holds A inside
 * arch_accept_memory() -- lock dropped, bits still set, A's range on
 * accepting_list -- until thread B, on another CPU, has called
 * accept_memory() for units [2, 8) and then for UM_HOLD_MS more.  Correct
 * code makes B wait for A's range to leave the accepting list, so B's only
 * arch_accept_memory() comes after A's release and covers units [5, 9).
 * Code that does not check the list lets B accept units 2..4 while A still
 * holds them: seen every time, not by luck.
 */
#define UM_HOLD_UNITS	32
#define UM_HOLD_MS	300	/* how long A is held once B is on its way */
#define UM_HOLD_WAIT_MS	20000	/* bound on every wait of this case */

struct um_hold {
	struct kunit *test;
	struct task_struct *a_task;
	struct completion go;	/* both threads exist and may start */
	struct completion a_done, b_done;
	atomic_t a_inside;	/* A is inside arch_accept_memory() */
	atomic_t b_calling;	/* B is about to call accept_memory() */
	atomic_t released;	/* A has been released */
	atomic_t overlap;	/* B accepted a unit A was accepting */
	atomic_t calls_a, calls_b;
	atomic_t count[UM_HOLD_UNITS];	/* per unit: times accepted */
	bool b_never_came;	/* A gave up waiting for B */
	bool a_never_came;	/* B gave up waiting for A */
	bool b_returned_early;	/* B's accept_memory() returned before A left */
	u64 a_start, a_end;	/* A's arch_accept_memory() range */
	u64 b_start, b_end;	/* B's last arch_accept_memory() range */
	int cpu_a, cpu_b;
};

static void um_hold_count(struct um_hold *h, u64 start, u64 end)
{
	u64 u;

	for (u = start; u < end && u < UM_BASE + UM_HOLD_UNITS * UM_2M; u += UM_2M)
		if (u >= UM_BASE)
			atomic_inc(&h->count[(u - UM_BASE) / UM_2M]);
}

static void um_hold_accept(struct um_hold *h, u64 start, u64 end)
{
	unsigned int ms;

	if (current == h->a_task) {
		atomic_inc(&h->calls_a);
		h->a_start = start;
		h->a_end = end;
		um_hold_count(h, start, end);
		atomic_set(&h->a_inside, 1);
		/* Interrupts are off here: busy wait, bounded. */
		for (ms = 0; ms < UM_HOLD_WAIT_MS && !atomic_read(&h->b_calling); ms++)
			mdelay(1);
		h->b_never_came = !atomic_read(&h->b_calling);
		/* B's time to reach arch_accept_memory(), if it does not wait. */
		for (ms = 0; ms < UM_HOLD_MS && !atomic_read(&h->overlap); ms++)
			mdelay(1);
		atomic_set(&h->released, 1);
		return;
	}
	atomic_inc(&h->calls_b);
	if (atomic_read(&h->a_inside) && !atomic_read(&h->released) &&
	    start < h->a_end && h->a_start < end)
		atomic_inc(&h->overlap);
	h->b_start = start;
	h->b_end = end;
	um_hold_count(h, start, end);
}

/* The replacement of arch_accept_memory(). */
static void um_fake_accept(phys_addr_t start, phys_addr_t end)
{
	struct kunit *test = kunit_get_current_test();
	struct um_ctx *ctx = test ? test->priv : NULL;
	struct um_call *c;

	if (WARN_ON_ONCE(!ctx))
		return;
	if (ctx->race) {
		um_race_accept(ctx->race, start, end);
		return;
	}
	if (ctx->hold) {
		um_hold_accept(ctx->hold, start, end);
		return;
	}
	if (ctx->ncalls++ >= UM_MAX_CALLS)
		return;
	c = &ctx->calls[ctx->ncalls - 1];
	c->start = start;
	c->end = end;
	c->irqs_off = irqs_disabled();
	c->bits_set = um_bits_all_set(ctx->tbl, start, end);
	c->query = -1;
	/* Deadlocks if the implementation holds its lock across this call. */
	if (ctx->query_in_call)
		c->query = range_contains_unaccepted_memory(start, end - start);
}

static int um_test_init(struct kunit *test)
{
	struct um_ctx *ctx;

	if (READ_ONCE(efi.unaccepted) != EFI_INVALID_TABLE_ADDR)
		kunit_skip(test, "the firmware provided an unaccepted memory table");

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->saved_unaccepted = EFI_INVALID_TABLE_ADDR;
	test->priv = ctx;

	/* Before any table exists: nothing may reach the real one. */
	kunit_activate_static_stub(test, arch_accept_memory, um_fake_accept);
	return 0;
}

static void um_test_exit(struct kunit *test)
{
	struct um_ctx *ctx = test->priv;

	if (ctx && ctx->installed) {
		WRITE_ONCE(efi.unaccepted, ctx->saved_unaccepted);
		ctx->installed = false;
	}
}

/*
 * Install a table of @nunits units of @unit_size bytes at UM_BASE, all
 * marked unaccepted if @all_set, none otherwise; bits past the table in its
 * last word are set as poison.
 */
static struct efi_unaccepted_memory *um_install(struct kunit *test,
						u32 unit_size,
						unsigned int nunits,
						bool all_set)
{
	struct um_ctx *ctx = test->priv;
	struct efi_unaccepted_memory *t;
	unsigned int padded = round_up(nunits, BITS_PER_LONG);

	KUNIT_ASSERT_FALSE(test, ctx->installed);
	KUNIT_ASSERT_TRUE(test, nunits && nunits % BITS_PER_BYTE == 0 &&
			  nunits <= UM_MAX_UNITS);
	KUNIT_ASSERT_EQ(test, efi.unaccepted, EFI_INVALID_TABLE_ADDR);

	/* Through the direct map, as efi_get_unaccepted_table() will see it. */
	t = __va(__pa_symbol(um_table_buf));
	t->version = 1;
	t->unit_size = unit_size;
	t->phys_base = UM_BASE;
	t->size = nunits / BITS_PER_BYTE;
	bitmap_zero(t->bitmap, UM_MAX_UNITS);
	if (all_set)
		bitmap_set(t->bitmap, 0, nunits);
	bitmap_set(t->bitmap, nunits, padded - nunits);

	ctx->tbl = t;
	ctx->nunits = nunits;
	ctx->poison = nunits < BITS_PER_LONG ? ~0UL << nunits : 0;
	ctx->saved_unaccepted = efi.unaccepted;

	/* The table before the pointer to it. */
	smp_wmb();
	WRITE_ONCE(efi.unaccepted, (unsigned long)__pa_symbol(um_table_buf));
	ctx->installed = true;

	KUNIT_ASSERT_PTR_EQ(test, efi_get_unaccepted_table(), t);
	return t;
}

/* The default table: UM_UNITS units of 2 MiB. */
static struct efi_unaccepted_memory *um_install_2m(struct kunit *test,
						   bool all_set)
{
	return um_install(test, UM_2M, UM_UNITS, all_set);
}

/* Check the calls since the last check were exactly @want, in order. */
static void um_expect_calls(struct kunit *test, const struct um_span *want,
			    unsigned int n)
{
	struct um_ctx *ctx = test->priv;
	unsigned int got = ctx->ncalls;
	unsigned int i;

	KUNIT_EXPECT_EQ_MSG(test, got, n, "number of arch_accept_memory() calls");
	for (i = 0; i < min3(got, n, UM_MAX_CALLS); i++) {
		const struct um_call *c = &ctx->calls[i];
		u64 unit = ctx->tbl->unit_size;
		u64 ws = UM_BASE + want[i].first * unit;
		u64 we = UM_BASE + want[i].last * unit;

		KUNIT_EXPECT_TRUE_MSG(test, c->start == ws && c->end == we,
				      "call %u: got [%#llx, %#llx), want units [%u, %u) = [%#llx, %#llx)",
				      i, c->start, c->end, want[i].first,
				      want[i].last, ws, we);
		KUNIT_EXPECT_TRUE_MSG(test, c->irqs_off,
				      "call %u: interrupts were enabled", i);
		KUNIT_EXPECT_TRUE_MSG(test, c->bits_set,
				      "call %u: not whole units all still marked unaccepted",
				      i);
	}
	for (i = n; i < min_t(unsigned int, got, UM_MAX_CALLS); i++)
		KUNIT_FAIL(test, "unexpected call %u: [%#llx, %#llx)", i,
			   ctx->calls[i].start, ctx->calls[i].end);
	ctx->ncalls = 0;
}

#define UM_EXPECT_CALLS(test, ...)					\
	do {								\
		static const struct um_span __want[] = { __VA_ARGS__ };	\
									\
		um_expect_calls(test, __want, ARRAY_SIZE(__want));	\
	} while (0)

#define UM_EXPECT_NO_CALLS(test)	um_expect_calls(test, NULL, 0)

/* Check word 0 of the bitmap: @want for the table's units, plus poison. */
static void um_expect_word(struct kunit *test, unsigned long want)
{
	struct um_ctx *ctx = test->priv;
	unsigned long got = READ_ONCE(ctx->tbl->bitmap[0]);

	want |= ctx->poison;
	KUNIT_EXPECT_EQ_MSG(test, got, want, "bitmap word: got %#lx, want %#lx",
			    got, want);
}

static bool um_query(phys_addr_t start, unsigned long size)
{
	return range_contains_unaccepted_memory(start, size);
}

/* No table at all (the real state of this guest): nothing to do. */
static void um_test_no_table_is_noop(struct kunit *test)
{
	const u64 u = UM_2M;

	accept_memory(UM_BASE, 4 * u);
	accept_memory(0, SZ_1G);
	KUNIT_EXPECT_FALSE(test, um_query(UM_BASE, 4 * u));
	KUNIT_EXPECT_FALSE(test, um_query(0, SZ_1G));
	UM_EXPECT_NO_CALLS(test);
}

static void um_test_range_below_table_accepts_nothing(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	accept_memory(0, SZ_1G);
	accept_memory(base - 2 * u, u);
	/* Ends a page before phys_base. */
	accept_memory(base - u, u - UM_4K);
	UM_EXPECT_NO_CALLS(test);

	KUNIT_EXPECT_FALSE(test, um_query(0, SZ_1G));
	KUNIT_EXPECT_FALSE(test, um_query(base - 2 * u, u));
	KUNIT_EXPECT_FALSE(test, um_query(base - u, u - UM_4K));
	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS));
}

static void um_test_range_across_table_start_is_clamped(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	/* Ends 3 MiB into the table: units 0 and 1. */
	accept_memory(base - SZ_1M, 2 * u);
	UM_EXPECT_CALLS(test, { 0, 2 });
	um_expect_word(test, UM_UNITS_MASK(2, UM_UNITS));

	/* Ends at unit 2, aligned: 0 and 1 (done) and the guard unit 2. */
	accept_memory(base - 4 * u, 6 * u);
	UM_EXPECT_CALLS(test, { 2, 3 });
	um_expect_word(test, UM_UNITS_MASK(3, UM_UNITS));

	KUNIT_EXPECT_FALSE(test, um_query(base - 4 * u, 6 * u));
	KUNIT_EXPECT_TRUE(test, um_query(base - u, 4 * u));
}

/* end == phys_base is not below the table: unit 0 is its guard unit. */
static void um_test_range_ending_at_table_start_accepts_guard_unit(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	accept_memory(base - 4 * u, 4 * u - UM_4K);
	UM_EXPECT_NO_CALLS(test);
	KUNIT_EXPECT_FALSE(test, um_query(base - 4 * u, 4 * u - UM_4K));
	KUNIT_EXPECT_TRUE(test, um_query(base - 4 * u, 4 * u));

	accept_memory(base - 4 * u, 4 * u);
	UM_EXPECT_CALLS(test, { 0, 1 });
	um_expect_word(test, UM_UNITS_MASK(1, UM_UNITS));
	KUNIT_EXPECT_FALSE(test, um_query(base - 4 * u, 4 * u));
}

static void um_test_range_beyond_table_end_is_clamped(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	/* Units 30 to 39 and guard 40: only 30 and 31 exist. */
	accept_memory(base + 30 * u, 10 * u);
	UM_EXPECT_CALLS(test, { 30, 32 });
	um_expect_word(test, UM_UNITS_MASK(0, 30));

	KUNIT_EXPECT_TRUE(test, um_query(base + 28 * u, 8 * u));
	KUNIT_EXPECT_FALSE(test, um_query(base + 30 * u, 2 * u));

	/* Unit 31 is accepted already; the rest is beyond the table. */
	accept_memory(base + 31 * u + UM_4K, SZ_1G);
	UM_EXPECT_NO_CALLS(test);

	/* Ends at the table's end: its guard unit does not exist. */
	accept_memory(base + 26 * u, 6 * u);
	UM_EXPECT_CALLS(test, { 26, 30 });
	um_expect_word(test, UM_UNITS_MASK(0, 26));
}

static void um_test_range_entirely_beyond_table_accepts_nothing(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	accept_memory(base + UM_UNITS * u, u);
	accept_memory(base + UM_UNITS * u, 0);
	accept_memory(base + 40 * u, 5 * u + 123);
	accept_memory(base + UM_BASE, SZ_1G);
	UM_EXPECT_NO_CALLS(test);

	KUNIT_EXPECT_FALSE(test, um_query(base + UM_UNITS * u, u));
	KUNIT_EXPECT_FALSE(test, um_query(base + UM_UNITS * u, 0));
	KUNIT_EXPECT_FALSE(test, um_query(base + 40 * u, 5 * u + 123));
	KUNIT_EXPECT_FALSE(test, um_query(base + UM_BASE, SZ_1G));
	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS));
}

/* There is no page alignment: every unit the bytes touch is accepted. */
static void um_test_unaligned_start_and_size_round_out_to_units(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	accept_memory(base + 3 * u + UM_4K, 2 * u);
	UM_EXPECT_CALLS(test, { 3, 6 });

	/* One byte in the middle of unit 10. */
	accept_memory(base + 10 * u + 1, 1);
	UM_EXPECT_CALLS(test, { 10, 11 });

	/* One unit's worth of bytes straddling units 20 and 21. */
	accept_memory(base + 20 * u + u / 2, u);
	UM_EXPECT_CALLS(test, { 20, 22 });

	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~UM_UNITS_MASK(3, 6) &
		       ~BIT(10) & ~UM_UNITS_MASK(20, 22));
}

static void um_test_aligned_end_accepts_guard_unit(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	accept_memory(base + 4 * u, 2 * u);
	UM_EXPECT_CALLS(test, { 4, 7 });

	/* Unaligned start, aligned end. */
	accept_memory(base + 10 * u + UM_4K, 2 * u - UM_4K);
	UM_EXPECT_CALLS(test, { 10, 13 });

	/* The guard unit (10) is accepted already. */
	accept_memory(base + 7 * u, 3 * u);
	UM_EXPECT_CALLS(test, { 7, 10 });

	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~UM_UNITS_MASK(4, 13));
}

static void um_test_unaligned_end_has_no_guard_unit(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	accept_memory(base + 4 * u, 2 * u - UM_4K);
	UM_EXPECT_CALLS(test, { 4, 6 });

	/* Page aligned but not unit aligned. */
	accept_memory(base + 8 * u, u + UM_4K);
	UM_EXPECT_CALLS(test, { 8, 10 });

	accept_memory(base + 12 * u, 1);
	UM_EXPECT_CALLS(test, { 12, 13 });

	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~UM_UNITS_MASK(4, 6) &
		       ~UM_UNITS_MASK(8, 10) & ~BIT(12));
	KUNIT_EXPECT_FALSE(test, um_query(base + 4 * u, 2 * u - UM_4K));
	KUNIT_EXPECT_TRUE(test, um_query(base + 4 * u, 2 * u));
}

/*
 * Size 0: start == end.  accept_memory() still accepts the unit holding
 * start (aligned: as the guard unit; unaligned: DIV_ROUND_UP of the end).
 * The query sees the unit only when start is aligned (guard unit); for an
 * unaligned start its range is empty.
 */
static void um_test_zero_size(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	KUNIT_EXPECT_TRUE(test, um_query(base + 5 * u, 0));
	accept_memory(base + 5 * u, 0);
	UM_EXPECT_CALLS(test, { 5, 6 });
	KUNIT_EXPECT_FALSE(test, um_query(base + 5 * u, 0));

	KUNIT_EXPECT_FALSE(test, um_query(base + 7 * u + UM_4K, 0));
	accept_memory(base + 7 * u + UM_4K, 0);
	UM_EXPECT_CALLS(test, { 7, 8 });

	accept_memory(base, 0);
	UM_EXPECT_CALLS(test, { 0, 1 });

	/* Below the table. */
	accept_memory(base - u, 0);
	UM_EXPECT_NO_CALLS(test);
	KUNIT_EXPECT_FALSE(test, um_query(base - u, 0));

	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~BIT(0) & ~BIT(5) &
		       ~BIT(7));
}

/* start + size wraps past 2^64 and the end lands below phys_base. */
static void um_test_wrapping_end_below_table_accepts_nothing(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	/* end = base - 4 units */
	accept_memory(base + 4 * u, (unsigned long)-(8 * u));
	KUNIT_EXPECT_FALSE(test, um_query(base + 4 * u, (unsigned long)-(8 * u)));
	/* end = 3 units - 1 */
	accept_memory(ULONG_MAX - u, 4 * u);
	KUNIT_EXPECT_FALSE(test, um_query(ULONG_MAX - u, 4 * u));

	UM_EXPECT_NO_CALLS(test);
	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS));
}

/*
 * start + size wraps and the end lands inside the table: start stays above
 * end, so the unit range is empty in both implementations.
 */
static void um_test_wrapping_end_inside_table_accepts_nothing(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, true);

	/* start at unit 10, end = unit 6 */
	accept_memory(base + 10 * u, (unsigned long)-(4 * u));
	KUNIT_EXPECT_FALSE(test, um_query(base + 10 * u, (unsigned long)-(4 * u)));
	/* start = 2^64 - 1 unit, end = unit 4 */
	accept_memory((phys_addr_t)-u, base + 5 * u);
	KUNIT_EXPECT_FALSE(test, um_query((phys_addr_t)-u, base + 5 * u));

	UM_EXPECT_NO_CALLS(test);
	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS));
}

static void um_test_accepted_units_are_not_accepted_again(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install_2m(test, false);

	accept_memory(base, UM_UNITS * u);
	accept_memory(base + 3 * u + 5, 7 * u);
	accept_memory(base - u, SZ_1G);
	UM_EXPECT_NO_CALLS(test);

	KUNIT_EXPECT_FALSE(test, um_query(base, UM_UNITS * u));
	KUNIT_EXPECT_FALSE(test, um_query(base + 31 * u, u));
	um_expect_word(test, 0);
}

/* Only the runs of marked units are accepted, one call per run, in order. */
static void um_test_partly_accepted_range_accepts_each_run(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;
	struct efi_unaccepted_memory *t = um_install_2m(test, false);

	bitmap_set(t->bitmap, 2, 3);
	bitmap_set(t->bitmap, 7, 1);
	bitmap_set(t->bitmap, 9, 2);
	bitmap_set(t->bitmap, 16, 2);

	/* Units 0 to 15 and the guard unit 16; 17 stays. */
	accept_memory(base, 16 * u);
	UM_EXPECT_CALLS(test, { 2, 5 }, { 7, 8 }, { 9, 11 }, { 16, 17 });
	um_expect_word(test, BIT(17));

	KUNIT_EXPECT_FALSE(test, um_query(base, 16 * u));
	KUNIT_EXPECT_TRUE(test, um_query(base + 16 * u, u));

	accept_memory(base + 16 * u + 1, u);
	UM_EXPECT_CALLS(test, { 17, 18 });
	um_expect_word(test, 0);
}

static void um_test_query_reports_unaccepted_units_and_guard(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;
	struct efi_unaccepted_memory *t = um_install_2m(test, false);

	/* Only units 4 to 7 are unaccepted. */
	bitmap_set(t->bitmap, 4, 4);

	/* Aligned end: the guard unit 4 counts. */
	KUNIT_EXPECT_TRUE(test, um_query(base, 4 * u));
	KUNIT_EXPECT_FALSE(test, um_query(base, 4 * u - UM_4K));
	KUNIT_EXPECT_TRUE(test, um_query(base + 3 * u, u));
	KUNIT_EXPECT_FALSE(test, um_query(base + 3 * u, u - UM_4K));
	KUNIT_EXPECT_FALSE(test, um_query(base + 8 * u, 8 * u));
	/* Within one unit. */
	KUNIT_EXPECT_TRUE(test, um_query(base + 7 * u + UM_4K, UM_4K));
	/* Unaligned start, end offset above the start's: units 2 to 4. */
	KUNIT_EXPECT_TRUE(test, um_query(base + 2 * u + UM_4K, 2 * u + UM_4K));
	/* From below the table. */
	KUNIT_EXPECT_FALSE(test, um_query(base - 8 * u, 4 * u));
	KUNIT_EXPECT_TRUE(test, um_query(base - 8 * u, 12 * u));

	UM_EXPECT_NO_CALLS(test);
	um_expect_word(test, UM_UNITS_MASK(4, 8));
}

static void um_test_query_after_acceptance(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;
	struct efi_unaccepted_memory *t = um_install_2m(test, false);

	bitmap_set(t->bitmap, 4, 4);

	accept_memory(base + 4 * u, u);
	UM_EXPECT_CALLS(test, { 4, 6 });
	KUNIT_EXPECT_FALSE(test, um_query(base + 4 * u, u));
	KUNIT_EXPECT_TRUE(test, um_query(base + 4 * u, 2 * u));

	accept_memory(base + 6 * u, 2 * u - 1);
	UM_EXPECT_CALLS(test, { 6, 8 });
	KUNIT_EXPECT_FALSE(test, um_query(base, UM_UNITS * u));
	um_expect_word(test, 0);
}

/*
 * arch_accept_memory() runs with interrupts off, without the lock (a query
 * from inside it must not deadlock), and before the bits are cleared (the
 * query still sees its units as unaccepted).
 */
static void um_test_arch_accept_memory_call_context(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;
	struct um_ctx *ctx = test->priv;

	um_install_2m(test, true);
	ctx->query_in_call = true;

	accept_memory(base + 2 * u, 3 * u);
	KUNIT_EXPECT_EQ(test, ctx->calls[0].query, 1);
	UM_EXPECT_CALLS(test, { 2, 6 });
	ctx->query_in_call = false;

	KUNIT_EXPECT_FALSE(test, um_query(base + 2 * u, 4 * u - UM_4K));
	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~UM_UNITS_MASK(2, 6));
}

static void um_test_unit_size_1g(struct kunit *test)
{
	const u64 u = UM_1G, base = UM_BASE;

	um_install(test, UM_1G, 16, true);

	accept_memory(base + u + UM_4K, UM_2M);
	UM_EXPECT_CALLS(test, { 1, 2 });

	accept_memory(base + 3 * u, u);
	UM_EXPECT_CALLS(test, { 3, 5 });

	KUNIT_EXPECT_TRUE(test, um_query(base + 2 * u, u));
	KUNIT_EXPECT_FALSE(test, um_query(base + 3 * u, 2 * u - UM_4K));

	/* Last unit; its guard unit is beyond the table. */
	accept_memory(base + 15 * u, u);
	UM_EXPECT_CALLS(test, { 15, 16 });

	/* From below, ending 2 MiB into unit 0. */
	accept_memory(base - UM_2M, 2 * UM_2M);
	UM_EXPECT_CALLS(test, { 0, 1 });

	KUNIT_EXPECT_TRUE(test, um_query(base + 14 * u, 4 * u));
	um_expect_word(test, BIT(2) | UM_UNITS_MASK(5, 15));
}

/* Page-sized requests in 2 MiB units, as the page allocator makes them. */
static void um_test_unit_size_2m_page_requests(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;

	um_install(test, UM_2M, 64, true);

	accept_memory(base + 5 * u + 3 * UM_4K, UM_4K);
	UM_EXPECT_CALLS(test, { 5, 6 });

	/* The last page of unit 5 pulls in unit 6 as its guard. */
	accept_memory(base + 6 * u - UM_4K, UM_4K);
	UM_EXPECT_CALLS(test, { 6, 7 });

	KUNIT_EXPECT_FALSE(test, um_query(base + 6 * u - UM_4K, UM_4K));
	KUNIT_EXPECT_TRUE(test, um_query(base + 7 * u - UM_4K, UM_4K));
	um_expect_word(test, UM_UNITS_MASK(0, 64) & ~UM_UNITS_MASK(5, 7));

	/* The whole table: the two runs left. */
	accept_memory(base, 64 * u);
	UM_EXPECT_CALLS(test, { 0, 5 }, { 7, 64 });
	um_expect_word(test, 0);
	KUNIT_EXPECT_FALSE(test, um_query(base, 64 * u));
}

/* The smallest unit the Rust port takes: one page. */
static void um_test_unit_size_4k(struct kunit *test)
{
	const u64 u = UM_4K, base = UM_BASE;

	um_install(test, UM_4K, UM_UNITS, true);

	/* Widened to whole pages, [3, 5): unit aligned, so 5 is the guard. */
	accept_memory(base + 3 * u + 100, u);
	UM_EXPECT_CALLS(test, { 3, 6 });

	accept_memory(base + 8 * u, 2 * u);
	UM_EXPECT_CALLS(test, { 8, 11 });

	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~UM_UNITS_MASK(3, 6) &
		       ~UM_UNITS_MASK(8, 11));
}

/*
 * A byte-granular range ending inside the last page of a unit is widened
 * to whole pages first, so its end is unit aligned and the next unit is
 * its guard (upstream 948a013a54c4, patch 0027).  Without that, unit 4
 * alone would be accepted, and load_unaligned_zeropad() past the range's
 * last byte could touch unit 5 unaccepted.
 */
static void um_test_end_in_last_page_accepts_guard_unit(struct kunit *test)
{
	const u64 u = UM_2M, base = UM_BASE;
	struct efi_unaccepted_memory *t = um_install_2m(test, false);

	/* Only unit 5 is unaccepted: seen only as the guard unit. */
	bitmap_set(t->bitmap, 5, 1);
	KUNIT_EXPECT_TRUE(test, um_query(base + 4 * u + 24, u - 100));
	KUNIT_EXPECT_TRUE(test, um_query(base + 4 * u, u - 1));
	KUNIT_EXPECT_FALSE(test, um_query(base + 4 * u, u - UM_4K));

	accept_memory(base + 4 * u + 24, u - 100);
	UM_EXPECT_CALLS(test, { 5, 6 });
	um_expect_word(test, 0);
	KUNIT_EXPECT_FALSE(test, um_query(base + 4 * u + 24, u - 100));
}

/*
 * A unit that is a page multiple but not a power of two, on a phys_base
 * that is page but not unit aligned (2^40 is no multiple of 3 MiB): the C
 * handles such a version-1 table by plain division, and so must the port.
 */
static void um_test_unit_size_3m_unaligned_base(struct kunit *test)
{
	const u64 u = 3 * UM_2M / 2, base = UM_BASE;

	BUILD_BUG_ON(UM_BASE % (3 * UM_2M / 2) == 0);
	um_install(test, 3 * UM_2M / 2, UM_UNITS, true);

	accept_memory(base + u, u);
	UM_EXPECT_CALLS(test, { 1, 3 });

	accept_memory(base + 5 * u + UM_4K, u);
	UM_EXPECT_CALLS(test, { 5, 7 });

	KUNIT_EXPECT_TRUE(test, um_query(base + 3 * u, UM_4K));
	KUNIT_EXPECT_TRUE(test, um_query(base + 2 * u, u + UM_4K));
	KUNIT_EXPECT_FALSE(test, um_query(base + u, 2 * u - UM_4K));
	um_expect_word(test, UM_UNITS_MASK(0, UM_UNITS) & ~UM_UNITS_MASK(1, 3) &
		       ~UM_UNITS_MASK(5, 7));
}

/* Concurrency case: what one thread checks after accept_memory() returns. */
static void um_race_check_accepted(struct um_race *race, u64 lo, u64 hi)
{
	u64 u;

	for (u = lo; u < hi; u++) {
		if (!atomic_read(&race->count[u])) {
			atomic_inc(&race->incomplete);
			return;
		}
	}
}

/*
 * One random request.  [lo, hi) are the units it covers (guard included,
 * clamped): once accept_memory() returns they must all have been accepted,
 * by this thread or another one.
 */
static void um_race_step(struct um_race *race, struct rnd_state *rs)
{
	const u64 u = UM_2M, base = UM_BASE;
	u32 first = prandom_u32_state(rs) % UM_RACE_UNITS;
	u32 n = prandom_u32_state(rs) % UM_RACE_MAX_LEN;
	u32 r = prandom_u32_state(rs);
	phys_addr_t start = base + first * u;
	unsigned long size = n * u;
	u64 lo = first, hi = min_t(u32, first + n + 1, UM_RACE_UNITS);
	u32 k;

	switch (r % 8) {
	case 0:		/* unaligned start */
		start += prandom_u32_state(rs) % u;
		break;
	case 1:		/* end before the unit's last page: no guard unit */
		size += 1 + prandom_u32_state(rs) % (u - UM_4K);
		break;
	case 2:		/* from below the table */
		k = 1 + (r >> 8) % 4;
		start = base - k * u;
		size = (n + 1) * u;
		lo = 0;
		hi = n + 1 >= k ? n + 2 - k : 0;
		break;
	case 3:		/* beyond the end of the table */
		k = (r >> 8) % 4;
		start = base + (UM_RACE_UNITS - 1 - k) * u;
		size = (n + 4) * u;
		lo = UM_RACE_UNITS - 1 - k;
		hi = UM_RACE_UNITS;
		break;
	case 4:		/* a query, aligned: units [lo, hi) are looked at */
		if (!range_contains_unaccepted_memory(start, size)) {
			u64 v;

			for (v = lo; v < hi; v++) {
				if (!atomic_read(&race->count[v])) {
					atomic_inc(&race->stale_query);
					break;
				}
			}
		}
		return;
	case 5:		/* size 0 anywhere in a unit */
		start += prandom_u32_state(rs) % u;
		size = 0;
		hi = first + 1;
		break;
	default:	/* aligned */
		break;
	}
	accept_memory(start, size);
	um_race_check_accepted(race, lo, hi);
}

static int um_race_thread_fn(void *data)
{
	struct um_race_thread *th = data;
	struct um_race *race = th->race;
	const u64 chunk = UM_RACE_CHUNK * UM_2M;
	struct rnd_state rs;
	unsigned int i;

	/* First: only then do calls of this task reach the fake. */
	current->kunit_test = race->test;

	wait_for_completion(&race->go);
	prandom_seed_state(&rs, UM_RACE_SEED + th->id);
	for (i = 0; i < UM_RACE_ITERS; i++) {
		um_race_step(race, &rs);
		cond_resched();
	}

	/* Final pass over the whole table, in a per-thread order. */
	for (i = 0; i < UM_RACE_CHUNKS; i++) {
		unsigned int c = (i * 5 + th->id * 11) % UM_RACE_CHUNKS;

		accept_memory(UM_BASE + c * chunk, chunk);
	}
	um_race_check_accepted(race, 0, UM_RACE_UNITS);

	current->kunit_test = NULL;
	kthread_complete_and_exit(&th->done, 0);
}

/*
 * Several threads on the two CPUs accept random, overlapping ranges of a
 * table of 4096 units of 2 MiB, all unaccepted at first, and query it.
 * Every unit must be accepted exactly once, by one CPU at a time, in
 * whole-unit ranges inside the table; accept_memory() must not return
 * before its range is accepted, even if another CPU accepts part of it; a
 * query must not report as accepted a unit not accepted yet.
 */
static void um_test_concurrent_overlapping_accepts(struct kunit *test)
{
	struct um_ctx *ctx = test->priv;
	struct efi_unaccepted_memory *t;
	struct um_race_thread *th;
	struct um_race *race;
	unsigned int i, started = 0, bad = 0, bad_unit = 0;
	int bad_count = 0, calls;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	race->count = kunit_kcalloc(test, UM_RACE_UNITS, sizeof(atomic_t),
				    GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race->count);
	race->busy = kunit_kcalloc(test, UM_RACE_UNITS, sizeof(atomic_t),
				   GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race->busy);
	th = kunit_kcalloc(test, UM_RACE_THREADS, sizeof(*th), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, th);
	race->test = test;
	init_completion(&race->go);

	t = um_install(test, UM_2M, UM_RACE_UNITS, true);
	ctx->race = race;

	/*
	 * No KUNIT_ASSERT from here until every started thread is done: it
	 * would end the case with threads still using its state.
	 */
	for (i = 0; i < UM_RACE_THREADS; i++) {
		struct task_struct *task;

		th[i].race = race;
		th[i].id = i;
		init_completion(&th[i].done);
		task = kthread_run(um_race_thread_fn, &th[i], "um_race/%u", i);
		if (IS_ERR(task))
			break;
		started++;
	}
	complete_all(&race->go);
	for (i = 0; i < started; i++)
		wait_for_completion(&th[i].done);

	KUNIT_ASSERT_EQ_MSG(test, started, UM_RACE_THREADS, "kthread_run() failed");

	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&race->bad_range), 0,
			    "first bad range [%#llx, %#llx)", race->bad_start,
			    race->bad_end);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&race->overlap), 0,
			    "a unit was accepted by two CPUs at once");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&race->irqs_on), 0,
			    "arch_accept_memory() called with interrupts on");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&race->incomplete), 0,
			    "accept_memory() returned before its range was accepted");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&race->stale_query), 0,
			    "a query reported a unit not yet accepted as accepted");

	/* The final passes left nothing to accept. */
	calls = atomic_read(&race->calls);
	KUNIT_EXPECT_GT(test, calls, 0);
	accept_memory(UM_BASE, UM_RACE_UNITS * UM_2M);
	KUNIT_EXPECT_EQ(test, atomic_read(&race->calls), calls);

	for (i = 0; i < UM_RACE_UNITS; i++) {
		int n = atomic_read(&race->count[i]);

		if (n != 1 && !bad++) {
			bad_unit = i;
			bad_count = n;
		}
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0,
			    "units not accepted exactly once; first: unit %u, %d times",
			    bad_unit, bad_count);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(t->bitmap, UM_RACE_UNITS));
	KUNIT_EXPECT_FALSE(test, um_query(UM_BASE, UM_RACE_UNITS * UM_2M));
	kunit_info(test, "%d arch_accept_memory() calls from %u threads\n",
		   calls, started);
}

static int um_hold_thread_a(void *data)
{
	struct um_hold *h = data;

	current->kunit_test = h->test;
	wait_for_completion(&h->go);
	accept_memory(UM_BASE, 4 * UM_2M);
	current->kunit_test = NULL;
	kthread_complete_and_exit(&h->a_done, 0);
}

static int um_hold_thread_b(void *data)
{
	struct um_hold *h = data;
	unsigned int ms;

	current->kunit_test = h->test;
	wait_for_completion(&h->go);
	/*
	 * Busy wait: A's CPU has interrupts off and may be the one that
	 * advances jiffies, so msleep() here might never return.
	 */
	for (ms = 0; ms < UM_HOLD_WAIT_MS && !atomic_read(&h->a_inside); ms++)
		mdelay(1);
	if (atomic_read(&h->a_inside)) {
		atomic_set(&h->b_calling, 1);
		accept_memory(UM_BASE + 2 * UM_2M, 6 * UM_2M);
		h->b_returned_early = !atomic_read(&h->released);
	} else {
		h->a_never_came = true;
	}
	current->kunit_test = NULL;
	kthread_complete_and_exit(&h->b_done, 0);
}

static struct task_struct *um_hold_start(struct um_hold *h,
					 int (*fn)(void *), int cpu,
					 const char *name)
{
	struct task_struct *task;

	task = kthread_create(fn, h, "%s", name);
	if (IS_ERR(task))
		return task;
	kthread_bind(task, cpu);
	return task;
}

/*
 * Two CPUs accept overlapping ranges, and the first is held inside
 * arch_accept_memory() until the second has certainly arrived (see
 * struct um_hold): the second must wait for the first, then accept only
 * what is left.  Deterministic: it does not depend on how threads happen
 * to interleave.
 */
static void um_test_overlapping_accept_waits_for_first(struct kunit *test)
{
	struct um_ctx *ctx = test->priv;
	struct task_struct *a, *b;
	struct um_hold *h;
	unsigned int i, bad = 0;
	int cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two online CPUs (one is held with interrupts off)");

	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->test = test;
	init_completion(&h->go);
	init_completion(&h->a_done);
	init_completion(&h->b_done);
	h->cpu_a = cpumask_first(cpu_online_mask);
	cpu = cpumask_next(h->cpu_a, cpu_online_mask);
	KUNIT_ASSERT_LT(test, cpu, nr_cpu_ids);
	h->cpu_b = cpu;

	um_install(test, UM_2M, UM_HOLD_UNITS, true);

	a = um_hold_start(h, um_hold_thread_a, h->cpu_a, "um_hold/a");
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	b = um_hold_start(h, um_hold_thread_b, h->cpu_b, "um_hold/b");
	if (IS_ERR(b)) {
		/* A never ran: let it finish with nothing to hold. */
		kthread_stop(a);
		KUNIT_ASSERT_FALSE(test, IS_ERR(b));
	}
	h->a_task = a;
	ctx->hold = h;
	/*
	 * No KUNIT_ASSERT until both threads are done.  Both are woken first
	 * and then released together: the test thread shares a CPU with one
	 * of them, and a thread already spinning there with interrupts off
	 * (A held, or B waiting for A) must not keep it from waking the other.
	 */
	wake_up_process(a);
	wake_up_process(b);
	complete_all(&h->go);
	wait_for_completion(&h->a_done);
	wait_for_completion(&h->b_done);
	ctx->hold = NULL;

	KUNIT_EXPECT_FALSE_MSG(test, h->a_never_came,
			       "thread A never reached arch_accept_memory()");
	KUNIT_EXPECT_FALSE_MSG(test, h->b_never_came,
			       "thread B never called accept_memory()");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&h->overlap), 0,
			    "B accepted [%#llx, %#llx) while A was accepting [%#llx, %#llx): double accept",
			    h->b_start, h->b_end, h->a_start, h->a_end);
	KUNIT_EXPECT_FALSE_MSG(test, h->b_returned_early,
			       "B's accept_memory() returned while A still accepted part of its range");
	KUNIT_EXPECT_EQ(test, atomic_read(&h->calls_a), 1);
	KUNIT_EXPECT_EQ(test, h->a_start, UM_BASE);
	KUNIT_EXPECT_EQ(test, h->a_end, UM_BASE + 5 * UM_2M);
	KUNIT_EXPECT_EQ(test, atomic_read(&h->calls_b), 1);
	KUNIT_EXPECT_EQ(test, h->b_start, UM_BASE + 5 * UM_2M);
	KUNIT_EXPECT_EQ(test, h->b_end, UM_BASE + 9 * UM_2M);
	for (i = 0; i < UM_HOLD_UNITS; i++) {
		int want = i < 9;

		if (atomic_read(&h->count[i]) != want && !bad++)
			KUNIT_FAIL(test, "unit %u accepted %d times", i,
				   atomic_read(&h->count[i]));
	}
	um_expect_word(test, UM_UNITS_MASK(9, UM_HOLD_UNITS));
	kunit_info(test, "A on CPU %d held until B (CPU %d) arrived, +%d ms\n",
		   h->cpu_a, h->cpu_b, UM_HOLD_MS);
}

static struct kunit_case um_test_cases[] = {
	KUNIT_CASE(um_test_no_table_is_noop),
	KUNIT_CASE(um_test_range_below_table_accepts_nothing),
	KUNIT_CASE(um_test_range_across_table_start_is_clamped),
	KUNIT_CASE(um_test_range_ending_at_table_start_accepts_guard_unit),
	KUNIT_CASE(um_test_range_beyond_table_end_is_clamped),
	KUNIT_CASE(um_test_range_entirely_beyond_table_accepts_nothing),
	KUNIT_CASE(um_test_unaligned_start_and_size_round_out_to_units),
	KUNIT_CASE(um_test_aligned_end_accepts_guard_unit),
	KUNIT_CASE(um_test_unaligned_end_has_no_guard_unit),
	KUNIT_CASE(um_test_zero_size),
	KUNIT_CASE(um_test_wrapping_end_below_table_accepts_nothing),
	KUNIT_CASE(um_test_wrapping_end_inside_table_accepts_nothing),
	KUNIT_CASE(um_test_accepted_units_are_not_accepted_again),
	KUNIT_CASE(um_test_partly_accepted_range_accepts_each_run),
	KUNIT_CASE(um_test_query_reports_unaccepted_units_and_guard),
	KUNIT_CASE(um_test_query_after_acceptance),
	KUNIT_CASE(um_test_arch_accept_memory_call_context),
	KUNIT_CASE(um_test_unit_size_1g),
	KUNIT_CASE(um_test_unit_size_2m_page_requests),
	KUNIT_CASE(um_test_unit_size_4k),
	KUNIT_CASE(um_test_end_in_last_page_accepts_guard_unit),
	KUNIT_CASE(um_test_unit_size_3m_unaligned_base),
	KUNIT_CASE(um_test_concurrent_overlapping_accepts),
	KUNIT_CASE(um_test_overlapping_accept_waits_for_first),
	{}
};

static struct kunit_suite um_test_suite = {
	.name = "efi_unaccepted_memory",
	.init = um_test_init,
	.exit = um_test_exit,
	.test_cases = um_test_cases,
};

/*
 * The live table: on a guest whose firmware (or the EFI stub's simulation,
 * CONFIG_EFI_UNACCEPTED_MEMORY_SIM) provided an unaccepted memory table,
 * accept through the real arch_accept_memory(), while the page allocator
 * on other CPUs may accept too.  Bits are only ever cleared, so what these
 * cases assert holds whatever the other CPUs do.  Without a table, there is
 * nothing to test: the synthetic suites above run instead.
 */
static int um_live_init(struct kunit *test)
{
	if (!efi_get_unaccepted_table())
		kunit_skip(test, "no unaccepted memory table on this guest");
	return 0;
}

/* The highest unit still marked unaccepted, or -1. */
static long um_live_last_set(const struct efi_unaccepted_memory *t)
{
	unsigned long nbits = t->size * BITS_PER_BYTE, u = nbits;

	while (u--)
		if (test_bit(u, t->bitmap))
			return u;
	return -1;
}

static void um_live_header(struct kunit *test)
{
	const struct efi_unaccepted_memory *t = efi_get_unaccepted_table();

	KUNIT_EXPECT_EQ(test, t->version, 1);
	KUNIT_EXPECT_EQ(test, t->unit_size, (u32)SZ_2M);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(t->phys_base, SZ_2M));
	KUNIT_EXPECT_GT(test, t->size, 0ULL);
}

static void um_live_accept_clears_unit(struct kunit *test)
{
	struct efi_unaccepted_memory *t = efi_get_unaccepted_table();
	long u = um_live_last_set(t);
	phys_addr_t pa;

	if (u < 0)
		kunit_skip(test, "everything is accepted already");
	pa = t->phys_base + (u64)u * t->unit_size;

	/* A false answer means the unit was accepted meanwhile: still clear. */
	if (!range_contains_unaccepted_memory(pa, PAGE_SIZE))
		KUNIT_EXPECT_FALSE(test, test_bit(u, t->bitmap));

	/* One page in the middle: its whole unit is accepted. */
	accept_memory(pa + t->unit_size / 2, PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, test_bit(u, t->bitmap));
	KUNIT_EXPECT_FALSE(test, range_contains_unaccepted_memory(pa + t->unit_size / 2,
								  PAGE_SIZE));
	/*
	 * Again: the bit is clear, so nothing may reach arch_accept_memory()
	 * (the simulation would report a double accept, failing the boot).
	 */
	accept_memory(pa, t->unit_size / 2);
	KUNIT_EXPECT_FALSE(test, test_bit(u, t->bitmap));
}

static void um_live_outside_table_is_accepted(struct kunit *test)
{
	const struct efi_unaccepted_memory *t = efi_get_unaccepted_table();
	u64 end = t->phys_base + t->size * BITS_PER_BYTE * t->unit_size;

	if (t->phys_base >= SZ_2M)
		KUNIT_EXPECT_FALSE(test, range_contains_unaccepted_memory(0, SZ_1M));
	KUNIT_EXPECT_FALSE(test, range_contains_unaccepted_memory(end + t->unit_size,
								  PAGE_SIZE));
	/* Below the table: nothing to do, and nothing done. */
	accept_memory(0, PAGE_SIZE);
}

static struct kunit_case um_live_cases[] = {
	KUNIT_CASE(um_live_header),
	KUNIT_CASE(um_live_accept_clears_unit),
	KUNIT_CASE(um_live_outside_table_is_accepted),
	{}
};

static struct kunit_suite um_live_suite = {
	.name = "efi_unaccepted_memory_live",
	.init = um_live_init,
	.test_cases = um_live_cases,
};

#ifdef CONFIG_EFI_UNACCEPTED_MEMORY_RUST
/*
 * Bad tables.  The C does not check the table header (a zero unit_size
 * divides by zero, units sharing a page accept it twice, a bitmap end past
 * 2^64 accepts at wrapped addresses), so these run against the Rust port
 * only, which fails loudly at every use of such a table: a pr_emerg naming
 * the field, then efi_unaccepted_table_unusable(), which panics and which
 * these cases redirect to a counter.  Then nothing is accepted, nothing
 * reads as unaccepted, and the bitmap is left alone.
 */
static void um_fake_unusable(void)
{
	struct kunit *test = kunit_get_current_test();
	struct um_ctx *ctx = test ? test->priv : NULL;

	if (ctx)
		ctx->unusable++;
}

static struct efi_unaccepted_memory *um_install_bad(struct kunit *test,
						    u32 unit_size,
						    u64 base, u64 size)
{
	struct efi_unaccepted_memory *t = um_install_2m(test, true);

	kunit_activate_static_stub(test, efi_unaccepted_table_unusable,
				   um_fake_unusable);
	/* Rewrite the header while no other CPU can reach the table's range. */
	WRITE_ONCE(efi.unaccepted, EFI_INVALID_TABLE_ADDR);
	/* The table is gone before its header changes. */
	smp_wmb();
	t->unit_size = unit_size;
	/* (Not named phys_base: __pa_symbol() uses x86's global of that name.) */
	t->phys_base = base;
	t->size = size;
	/* The new header is complete before the table is back. */
	smp_wmb();
	WRITE_ONCE(efi.unaccepted, (unsigned long)__pa_symbol(um_table_buf));
	return t;
}

static void um_expect_ignored(struct kunit *test,
			      struct efi_unaccepted_memory *t,
			      phys_addr_t start, unsigned long size)
{
	struct um_ctx *ctx = test->priv;
	unsigned long word = t->bitmap[0];

	accept_memory(start, size);
	UM_EXPECT_NO_CALLS(test);
	KUNIT_EXPECT_EQ(test, ctx->unusable, 1);
	KUNIT_EXPECT_FALSE(test, range_contains_unaccepted_memory(start, size));
	KUNIT_EXPECT_EQ(test, ctx->unusable, 2);
	KUNIT_EXPECT_EQ(test, t->bitmap[0], word);
}

static void um_bad_unit_size_zero(struct kunit *test)
{
	struct efi_unaccepted_memory *t = um_install_bad(test, 0, UM_BASE, 4);

	um_expect_ignored(test, t, UM_BASE, UM_2M);
}

static void um_bad_unit_size_not_page_multiple(struct kunit *test)
{
	struct efi_unaccepted_memory *t = um_install_bad(test, UM_4K + 512,
							 UM_BASE, 4);

	um_expect_ignored(test, t, UM_BASE, 4 * UM_4K);
}

static void um_bad_unit_size_below_page(struct kunit *test)
{
	struct efi_unaccepted_memory *t = um_install_bad(test, 512, UM_BASE, 4);

	um_expect_ignored(test, t, UM_BASE, UM_4K);
}

static void um_bad_phys_base_not_page_aligned(struct kunit *test)
{
	struct efi_unaccepted_memory *t = um_install_bad(test, UM_2M,
							 UM_BASE + 8, 4);

	um_expect_ignored(test, t, UM_BASE + 8, 4 * UM_2M);
}

static void um_bad_bitmap_end_overflows(struct kunit *test)
{
	/* One byte of bitmap (16 MiB of units) 4 MiB below the top. */
	u64 base = 0ULL - 2 * UM_2M;
	struct efi_unaccepted_memory *t = um_install_bad(test, UM_2M, base, 1);

	um_expect_ignored(test, t, base, UM_2M);
}

static struct kunit_case um_bad_table_cases[] = {
	KUNIT_CASE(um_bad_unit_size_zero),
	KUNIT_CASE(um_bad_unit_size_not_page_multiple),
	KUNIT_CASE(um_bad_unit_size_below_page),
	KUNIT_CASE(um_bad_phys_base_not_page_aligned),
	KUNIT_CASE(um_bad_bitmap_end_overflows),
	{}
};

static struct kunit_suite um_bad_table_suite = {
	.name = "efi_unaccepted_memory_bad_table",
	.init = um_test_init,
	.exit = um_test_exit,
	.test_cases = um_bad_table_cases,
};

kunit_test_suites(&um_test_suite, &um_bad_table_suite, &um_live_suite);
#else
kunit_test_suites(&um_test_suite, &um_live_suite);
#endif

MODULE_DESCRIPTION("KUnit tests for EFI unaccepted memory");
MODULE_LICENSE("GPL");
