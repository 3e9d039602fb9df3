// SPDX-License-Identifier: GPL-2.0
/*
 * Randomised differential test of drivers/firmware/efi/unaccepted_memory.c
 * (built in userspace against stubs/) and the Rust port
 * (drivers/firmware/efi/unaccepted_memory_bitmap.rs plus the host glue in
 * rust/).  Each table gets a private copy for each side; every call's
 * arch_accept_memory() log, return value and the whole bitmap (including
 * the bits past the table in the last word) are compared after every call.
 *
 * The C's known bugs (expected-differences) are recognised precisely and
 * checked against a rewritten C call that avoids the bug; anything else is
 * a mismatch.  Bad tables (which the C does not validate) run the Rust only,
 * against a bitmap followed by a PROT_NONE page: it must report the
 * documented error, accept nothing, find nothing and touch nothing.
 *
 * usage: ab [-H] [-n tables] [-s seed] [-t only_table] [-v]
 *   -H  also run the E4 check on 2^32-bit bitmaps (needs ~1.3 GiB)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/efi.h>
#include <linux/crash_dump.h>

#define U64_MAX		UINT64_MAX
#define MAX_LOG		(1 << 17)

/* ---- Rust side (rust/src/lib.rs) ---- */
void ab_rs_set_table(struct efi_unaccepted_memory *t);
int ab_rs_table_error(void);
u64 ab_rs_pr_err_count(void);
bool ab_rs_accept_memory(u64 start, u64 size);
bool ab_rs_range_contains_unaccepted_memory(u64 start, u64 size);
bool ab_rs_vmcore_pfn_is_ram(u64 pfn);

/* ---- stub state (ab_stub.h) ---- */
struct efi_unaccepted_memory *ab_c_table;
struct vmcore_cb *ab_vmcore_cb;
int ab_locked, ab_irqs_off;

struct logent { u64 start, end; };
struct log { struct logent *e; size_t n; const char *who; };
static struct log c_log = { .who = "C" }, rs_log = { .who = "Rust" };
static struct efi_unaccepted_memory *rs_table;
static const char *stub_error;

static void fail_stub(const char *msg)
{
	if (!stub_error)
		stub_error = msg;
}

void ab_spin_lock(void)
{
	if (ab_locked)
		fail_stub("C: spin_lock() with the lock held");
	ab_locked = 1;
}

void ab_spin_unlock(void)
{
	if (!ab_locked)
		fail_stub("C: spin_unlock() without the lock");
	ab_locked = 0;
}

static int test_bit_u(const unsigned long *bm, u64 i)
{
	return (bm[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1;
}

/* Whether bits [s, e) are all set; word at a time (runs reach 2^31 bits). */
static bool all_set(const unsigned long *bm, u64 s, u64 e)
{
	for (; s < e && s % BITS_PER_LONG; s++)
		if (!test_bit_u(bm, s))
			return false;
	for (; e - s >= BITS_PER_LONG; s += BITS_PER_LONG)
		if (~bm[s / BITS_PER_LONG])
			return false;
	for (; s < e; s++)
		if (!test_bit_u(bm, s))
			return false;
	return true;
}

/*
 * Record one arch_accept_memory() and check it accepts only whole units
 * inside the table that are all still unaccepted: no double accept.
 */
static void record(struct log *log, struct efi_unaccepted_memory *t, u64 start, u64 end)
{
	u64 unit = t->unit_size;

	if (log->n >= MAX_LOG) {
		fail_stub("arch_accept_memory() log overflow");
		return;
	}
	log->e[log->n++] = (struct logent){ start, end };
	if (start >= end || start < t->phys_base || (start - t->phys_base) % unit ||
	    (end - t->phys_base) % unit ||
	    (end - t->phys_base) / unit > t->size * BITS_PER_BYTE) {
		fail_stub(log == &c_log ? "C: arch_accept_memory() range outside the table"
					: "Rust: arch_accept_memory() range outside the table");
		return;
	}
	if (!all_set(t->bitmap, (start - t->phys_base) / unit, (end - t->phys_base) / unit))
		fail_stub(log == &c_log ? "C: accepts an already accepted unit"
					: "Rust: accepts an already accepted unit");
}

void ab_c_arch_accept_memory(u64 start, u64 end)
{
	if (ab_locked || !ab_irqs_off)
		fail_stub("C: arch_accept_memory() with the lock held or irqs on");
	record(&c_log, ab_c_table, start, end);
}

void ab_rs_arch_accept_memory(u64 start, u64 end)
{
	record(&rs_log, rs_table, start, end);
}

/* ---- randomness: splitmix64, one independent stream per table ---- */
static u64 rng_state;

static u64 rnd(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static u64 below(u64 n)
{
	return n ? rnd() % n : 0;
}

/* ---- tables ---- */
struct tbl {
	u32 unit;
	u64 base, size;		/* header values */
	u64 nbits, span, end;	/* valid tables only */
	size_t words;
	int bad;		/* expected ab_rs_table_error() */
};

static const char *bad_name[] = {
	"valid", "unit_size 0", "unit_size not a power of two", "unit_size below PAGE_SIZE",
	"phys_base misaligned", "bitmap end overflows",
};

static void gen_valid(struct tbl *t)
{
	unsigned int shift = below(4) == 0 ? 21 : 12 + below(19);
	u64 unit = 1ULL << shift, maxk, k;

	switch (below(16)) {
	case 0:  t->size = 0; break;
	case 1 ... 8: t->size = 1 + below(16); break;
	case 9 ... 12: t->size = 1 + below(256); break;
	case 13 ... 14: t->size = 1 + below(2048); break;
	default: t->size = 1 + below(8192); break;
	}
	t->unit = unit;
	t->nbits = t->size * BITS_PER_BYTE;
	t->span = t->nbits * unit;
	maxk = (U64_MAX - t->span) >> shift;
	switch (below(8)) {
	case 0:  k = 0; break;
	case 1:  k = below(64); break;
	case 6:  k = maxk - below(4); break;
	case 7:  k = below(maxk + 1); break;
	default: k = below((1ULL << 52) >> shift); break;
	}
	t->base = k << shift;
	t->end = t->base + t->span;
	t->words = (t->nbits + BITS_PER_LONG - 1) / BITS_PER_LONG;
	t->bad = 0;
}

static void gen_bad(struct tbl *t)
{
	u64 unit;

	gen_valid(t);
	t->bad = 1 + below(5);
	switch (t->bad) {
	case 1:
		t->unit = 0;
		break;
	case 2:
		do
			t->unit = below(4) ? 4096 * (3 + 2 * below(1000)) : (u32)rnd();
		while (!t->unit || !(t->unit & (t->unit - 1)));
		break;
	case 3:
		t->unit = 1U << below(12);
		break;
	case 4:
		t->base += 1 + below(t->unit - 1);
		break;
	case 5:
		unit = t->unit;
		switch (below(3)) {
		case 0:  t->size = (U64_MAX >> 3) + 1 + below(1ULL << 60); break;	/* size * 8 */
		case 1:  t->size = U64_MAX / (8 * unit) + 1 + below(1 << 20); break;	/* * unit */
		default:											/* + base */
			t->base = (U64_MAX - below(1ULL << 40)) & ~(unit - 1);
			t->size = (U64_MAX - t->base) / (8 * unit) + 1 + below(16);
			break;
		}
		break;
	}
}

static void fill_bitmap(unsigned long *bm, size_t words)
{
	size_t i;
	u64 bit, nbits = (u64)words * BITS_PER_LONG;

	switch (below(6)) {
	case 0:
		memset(bm, 0xff, words * sizeof(long));
		break;
	case 1:
		memset(bm, 0, words * sizeof(long));
		break;
	case 2:
		for (i = 0; i < words; i++)
			bm[i] = rnd();
		break;
	case 3:
		for (i = 0; i < words; i++)
			bm[i] = rnd() & rnd() & rnd() & rnd();
		break;
	case 4:
		for (i = 0; i < words; i++)
			bm[i] = rnd() | rnd() | rnd();
		break;
	default:	/* runs */
		memset(bm, 0, words * sizeof(long));
		for (bit = below(8); bit < nbits;) {
			u64 len = 1 + below(below(2) ? 8 : 200);

			for (; len-- && bit < nbits; bit++)
				bm[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
			bit += below(below(2) ? 4 : 100);
		}
		break;
	}
}

/* ---- calls ---- */
static u64 pick_start(const struct tbl *t)
{
	u64 u = t->unit;
	static const u64 deltas[] = { 1, 4096, 0, 0 };
	u64 d;

	switch (below(12)) {
	case 0:  return t->base + below(t->nbits + 3) * u;
	case 1:
		d = below(5);
		d = d == 2 ? u / 2 : d == 3 ? u - 1 : d == 4 ? u - 4096 : deltas[d];
		return t->base + below(t->nbits + 2) * u + d;
	case 2:  return t->base - below(4 * u);
	case 3:  return rnd();
	case 4:  return 0;
	case 5:  return U64_MAX - below(4 * u);
	case 6:  return t->end + below(4) * u + below(2) * below(u);
	case 7:  return t->base + below(t->span + 2 * u);
	case 8:  return t->end;
	case 9:  return t->base - u * (1 + below(4));
	default: return t->base + (below(t->span + 1) & ~4095ULL);
	}
}

static u64 pick_size(const struct tbl *t, u64 start)
{
	u64 u = t->unit, k = below(8), r = (start - t->base) % u;

	switch (below(15)) {
	case 0:  return 0;
	case 1:  return 1 + below(4096);
	case 2:  return 4096 * (1 + below(1024));
	case 3:  return u * (1 + k);
	case 4:  return u * (1 + k) + (below(2) ? 1 : -1);
	case 5:  return rnd();
	case 6:  return U64_MAX;
	case 7:  return -start + below(2 * u);			/* wraps to a small end */
	case 8:  return t->end - start;				/* ends at the bitmap end */
	case 9:  return t->base - start;			/* ends at phys_base */
	case 10: return ((start + u - 1) & ~(u - 1)) + k * u - start;	/* unit-aligned end */
	case 11: return -u - start;				/* end 2^64 - unit */
	case 12: return below(2 * t->span + 1);
	case 13:	/* end in a later unit at an offset <= start's (E2) */
		return r ? (1 + below(4)) * u + 1 + below(r) - r : u + 1;
	default: return t->base + below(t->span + 1) - start;
	}
}

/* ---- expected differences (see expected-differences) ---- */

/* E1: the C's guard `end += unit_size` wraps to 0. */
static bool is_e1(const struct tbl *t, u64 start, u64 size)
{
	u64 end = start + size, off;

	if (end < t->base)
		return false;
	off = end - t->base;
	return !(off & (t->unit - 1)) && off > U64_MAX - t->unit;
}

/*
 * E2: range_contains_unaccepted_memory() misses the last unit when the
 * clamped start is unaligned and end % unit <= start % unit.  Returns the
 * aligned-down start that makes the C correct, or false.
 */
static bool is_e2(const struct tbl *t, u64 start, u64 size, u64 *astart)
{
	u64 end = start + size, u = t->unit, s, e;

	if (end < t->base || is_e1(t, start, size))
		return false;
	s = (start < t->base ? t->base : start) - t->base;
	e = end - t->base;
	if (!(e % u))
		e += u;
	if (e > t->span)
		e = t->span;
	if (s >= e || !(e % u) || e % u > s % u)
		return false;
	*astart = t->base + (s & ~(u - 1));
	return true;
}

/* ---- the run ---- */
static struct {
	u64 tables, bad_tables, calls, mismatches, e1, e2, e3, accepts, arch_calls;
} st;
static bool verbose;
static u64 seed = 0x5eed0002;

enum op { OP_ACCEPT, OP_CONTAINS, OP_PFN };
static const char *op_name[] = { "accept_memory", "range_contains_unaccepted_memory",
				 "vmcore pfn_is_ram" };

static void print_log(const struct log *l)
{
	size_t i;

	printf("  %s arch_accept_memory() calls: %zu\n", l->who, l->n);
	for (i = 0; i < l->n && i < 8; i++)
		printf("    [%#" PRIx64 ", %#" PRIx64 ")\n", l->e[i].start, l->e[i].end);
	if (l->n > 8)
		printf("    ...\n");
}

static void report(u64 idx, const struct tbl *t, u64 callno, enum op op, u64 a, u64 b,
		   const char *what, int cret, int rret, const unsigned long *before)
{
	size_t i, w = t->words;

	st.mismatches++;
	if (st.mismatches > 1)
		return;
	printf("MISMATCH: %s\n", what);
	printf("  seed %#" PRIx64 " table %" PRIu64 " call %" PRIu64
	       " (reproduce: ab -s %#" PRIx64 " -t %" PRIu64 " -v)\n",
	       seed, idx, callno, seed, idx);
	printf("  table: unit_size %#x phys_base %#" PRIx64 " size %" PRIu64
	       " bytes (%" PRIu64 " units, end %#" PRIx64 ")%s%s\n",
	       t->unit, t->base, t->size, t->nbits, t->end, t->bad ? ", bad: " : "",
	       t->bad ? bad_name[t->bad] : "");
	printf("  call: %s(%#" PRIx64 ", %#" PRIx64 ")\n", op_name[op], a, b);
	if (cret >= 0 || rret >= 0)
		printf("  returned: C %d, Rust %d\n", cret, rret);
	if (before) {
		printf("  bitmap before (%zu words):", w);
		for (i = 0; i < w && i < 8; i++)
			printf(" %016lx", before[i]);
		printf("%s\n", w > 8 ? " ..." : "");
	}
	if (!t->bad) {
		printf("  bitmap after C:   ");
		for (i = 0; i < w && i < 8; i++)
			printf(" %016lx", ab_c_table->bitmap[i]);
		printf("\n  bitmap after Rust:");
		for (i = 0; i < w && i < 8; i++)
			printf(" %016lx", rs_table->bitmap[i]);
		printf("\n");
	}
	print_log(&c_log);
	print_log(&rs_log);
}

static bool same_logs(void)
{
	return c_log.n == rs_log.n && !memcmp(c_log.e, rs_log.e, c_log.n * sizeof(*c_log.e));
}

static struct efi_unaccepted_memory *alloc_table(const struct tbl *t)
{
	struct efi_unaccepted_memory *p = malloc(sizeof(*p) + t->words * sizeof(long));

	if (!p) {
		perror("malloc");
		exit(2);
	}
	p->version = 1;
	p->unit_size = t->unit;
	p->phys_base = t->base;
	p->size = t->size;
	return p;
}

/* A bad table's header sits right before a PROT_NONE page: no bitmap at all. */
static struct efi_unaccepted_memory *guarded_header(const struct tbl *t)
{
	static char *area;
	long pg = sysconf(_SC_PAGESIZE);
	struct efi_unaccepted_memory *p;

	if (!area) {
		area = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED || mprotect(area + pg, pg, PROT_NONE)) {
			perror("mmap");
			exit(2);
		}
	}
	p = (void *)(area + pg - sizeof(*p));
	p->version = 1;
	p->unit_size = t->unit;
	p->phys_base = t->base;
	p->size = t->size;
	return p;
}

static void run_bad(u64 idx, struct tbl *t, u64 ncalls)
{
	u64 i, a, b;
	int err, ret;

	rs_table = guarded_header(t);
	ab_rs_set_table(rs_table);
	err = ab_rs_table_error();
	if (err != t->bad) {
		char msg[128];

		snprintf(msg, sizeof(msg), "bad table: Rust reports error %d (%s), expected %d (%s)",
			 err, err >= 0 && err <= 5 ? bad_name[err] : "?", t->bad, bad_name[t->bad]);
		report(idx, t, 0, OP_ACCEPT, 0, 0, msg, -1, -1, NULL);
		return;
	}
	for (i = 0; i < ncalls; i++) {
		enum op op = below(10) < 6 ? OP_ACCEPT : below(2) ? OP_CONTAINS : OP_PFN;

		a = below(2) ? rnd() : t->base + below(1ULL << 40);
		b = below(2) ? rnd() : below(1ULL << 32);
		rs_log.n = 0;
		st.calls++;
		if (op == OP_ACCEPT) {
			ret = ab_rs_accept_memory(a, b);
			if (!ret || rs_log.n) {
				report(idx, t, i, op, a, b, "bad table: Rust accepted memory", -1, ret, NULL);
				return;
			}
		} else if (op == OP_CONTAINS) {
			if (ab_rs_range_contains_unaccepted_memory(a, b)) {
				report(idx, t, i, op, a, b, "bad table: Rust found unaccepted memory", -1, 1, NULL);
				return;
			}
		} else {
			a >>= PAGE_SHIFT;
			if (!ab_rs_vmcore_pfn_is_ram(a)) {
				report(idx, t, i, op, a, 0, "bad table: Rust pfn is not RAM", -1, 0, NULL);
				return;
			}
		}
		if (ab_rs_pr_err_count() != i + 1) {
			report(idx, t, i, op, a, b, "bad table: not reported", -1, -1, NULL);
			return;
		}
	}
}

static void run_valid(u64 idx, struct tbl *t, u64 ncalls)
{
	struct efi_unaccepted_memory *ct = alloc_table(t), *rt = alloc_table(t);
	size_t bytes = t->words * sizeof(long);
	unsigned long *before = malloc(bytes + 1);
	u64 i;

	fill_bitmap(ct->bitmap, t->words);
	memcpy(rt->bitmap, ct->bitmap, bytes);
	ab_c_table = ct;
	rs_table = rt;
	ab_rs_set_table(rt);
	if (ab_rs_table_error()) {
		report(idx, t, 0, OP_ACCEPT, 0, 0, "valid table rejected by Rust", -1, -1, NULL);
		goto out;
	}

	for (i = 0; i < ncalls; i++) {
		u64 a = pick_start(t), b = pick_size(t, a), astart = 0;
		enum op op;
		int cret = -1, rret = -1;
		const char *bad = NULL;

		switch (below(20)) {
		case 0 ... 10: op = OP_ACCEPT; break;
		case 11 ... 17: op = OP_CONTAINS; break;
		default: op = OP_PFN; break;
		}
		memcpy(before, ct->bitmap, bytes);
		c_log.n = rs_log.n = 0;
		stub_error = NULL;
		st.calls++;

		if (op == OP_ACCEPT) {
			bool e1 = is_e1(t, a, b);

			st.accepts++;
			accept_memory(a, b);
			if (e1 && c_log.n) {
				bad = "E1 case: the C accepted memory (expected nothing)";
			} else if (e1) {
				/* Reference: the same request ending at the bitmap end. */
				if (a <= t->end)
					accept_memory(a, t->end - a);
				st.e1 += c_log.n != 0;
			}
			if (!ab_rs_accept_memory(a, b))
				bad = "Rust: overlap on the accepting_list";
			else if (!bad && !same_logs())
				bad = "arch_accept_memory() calls differ";
			st.arch_calls += c_log.n;
		} else if (op == OP_CONTAINS) {
			cret = range_contains_unaccepted_memory(a, b);
			if (is_e1(t, a, b)) {
				if (cret)
					bad = "E1 case: the C returned true (expected false)";
				cret = a <= t->end && range_contains_unaccepted_memory(a, t->end - a);
				st.e1 += cret;
			} else if (is_e2(t, a, b, &astart)) {
				int fixed = range_contains_unaccepted_memory(astart, a + b - astart);

				st.e2 += fixed != cret;
				cret = fixed;
			}
			rret = ab_rs_range_contains_unaccepted_memory(a, b);
			if (!bad && cret != rret)
				bad = "range_contains_unaccepted_memory() differs";
		} else {
			/* A pfn in or near the table, or any (overflowing) pfn. */
			u64 pfn = below(8) ? (t->base + below(t->span + 8 * t->unit) - 4 * t->unit) >> PAGE_SHIFT
				  : below(2) ? rnd() : (1ULL << 52) + (t->base >> PAGE_SHIFT) + below(t->nbits + 1);

			a = pfn;
			b = 0;
			cret = ab_vmcore_cb->pfn_is_ram(ab_vmcore_cb, pfn);
			rret = ab_rs_vmcore_pfn_is_ram(pfn);
			if (pfn > (U64_MAX >> PAGE_SHIFT)) {
				/* E3: the C tests the address pfn << PAGE_SHIFT wraps to. */
				if (!rret)
					bad = "E3 case: Rust says an overflowing pfn is not RAM";
				st.e3 += cret != rret;
				cret = rret;
			} else if (is_e1(t, pfn << PAGE_SHIFT, PAGE_SIZE)) {
				u64 s = pfn << PAGE_SHIFT;

				cret = !(s <= t->end && range_contains_unaccepted_memory(s, t->end - s));
				st.e1 += !cret;
			}
			if (!bad && cret != rret)
				bad = "vmcore pfn_is_ram differs";
		}
		if (!bad && stub_error)
			bad = stub_error;
		if (!bad && (ab_locked || ab_irqs_off))
			bad = "C: lock held or irqs off after the call";
		if (!bad && memcmp(ct->bitmap, rt->bitmap, bytes))
			bad = "bitmaps differ after the call";
		if (verbose)
			printf("  call %" PRIu64 ": %s(%#" PRIx64 ", %#" PRIx64 ") C %d Rust %d, %zu/%zu arch calls%s\n",
			       i, op_name[op], a, b, cret, rret, c_log.n, rs_log.n, bad ? " MISMATCH" : "");
		if (bad) {
			report(idx, t, i, op, a, b, bad, cret, rret, before);
			break;
		}
	}
out:
	ab_c_table = NULL;
	ab_rs_set_table(NULL);
	free(ct);
	free(rt);
	free(before);
}

static bool any_word(const unsigned long *bm, size_t words)
{
	while (words--)
		if (*bm++)
			return true;
	return false;
}

/* Set bits [s, s + n). */
static void set_bits(unsigned long *bm, u64 s, u64 n)
{
	u64 e = s + n;

	for (; s < e && s % BITS_PER_LONG; s++)
		bm[s / BITS_PER_LONG] |= 1UL << (s % BITS_PER_LONG);
	memset(&bm[s / BITS_PER_LONG], 0xff, (e - s) / BITS_PER_LONG * sizeof(long));
	for (s += (e - s) / BITS_PER_LONG * BITS_PER_LONG; s < e; s++)
		bm[s / BITS_PER_LONG] |= 1UL << (s % BITS_PER_LONG);
}

/*
 * One E4 case on the huge table: units [s, s + n) unaccepted, plus units
 * [0, 64) as a sentinel when s >= 64; accept them (the request ends one unit
 * early, the guard unit completes it), then ask again.  The Rust must accept
 * the run exactly once and clear exactly it; what the C does is reported.
 */
static u64 huge_case(const struct tbl *t, const char *name, u64 s, u64 n)
{
	struct efi_unaccepted_memory *ct = ab_c_table, *rt = rs_table;
	size_t bytes = t->words * sizeof(long), i;
	u64 c_first, c_again, rs_again, c_left = 0;
	bool rs_ok;

	memset(ct->bitmap, 0, bytes);
	if (s >= 64)
		ct->bitmap[0] = ~0UL;
	set_bits(ct->bitmap, s, n);
	memcpy(rt->bitmap, ct->bitmap, bytes);

	c_log.n = rs_log.n = 0;
	accept_memory(s * t->unit, (n - 1) * t->unit);
	ab_rs_accept_memory(s * t->unit, (n - 1) * t->unit);
	c_first = c_log.n;
	rs_ok = !stub_error && rs_log.n == 1 && rs_log.e[0].start == s * t->unit &&
		rs_log.e[0].end == (s + n) * t->unit;
	rs_ok = rs_ok && rt->bitmap[0] == (s >= 64 ? ~0UL : 0) && !any_word(rt->bitmap + 1, t->words - 1);
	for (i = 0; i < t->words; i++)
		c_left += __builtin_popcountl(ct->bitmap[i] ^ rt->bitmap[i]);

	c_log.n = rs_log.n = 0;
	accept_memory(s * t->unit, (n - 1) * t->unit);
	ab_rs_accept_memory(s * t->unit, (n - 1) * t->unit);
	c_again = c_log.n;
	rs_again = rs_log.n;
	st.calls += 4;

	printf("E4 %s: C: %" PRIu64 " arch call(s), bitmap off by %" PRIu64
	       " bits, %" PRIu64 " arch call(s) on retry; Rust: %s\n", name, c_first, c_left,
	       c_again, rs_ok && !rs_again ? "accepted and cleared once" : "WRONG");
	if (rs_ok && !rs_again)
		return 0;
	printf("MISMATCH: E4 %s: the Rust did not accept units [%#" PRIx64 ", %#" PRIx64
	       ") exactly once%s%s\n", name, s, s + n, stub_error ? ": " : "",
	       stub_error ? stub_error : "");
	return 1;
}

/*
 * E4: bitmap_clear() takes unsigned int start and nbits and __bitmap_clear()
 * an int len, so runs at or past bit 2^32 or 2^31 + 64 bits long are cleared
 * wrongly.  That needs bitmaps of more than 2^32 bits (512 MiB), so it is a
 * deterministic check rather than part of the random run.  Returns the
 * number of Rust mismatches.
 */
static u64 run_huge(void)
{
	struct tbl t = { .unit = 2 << 20, .base = 0, .size = (1ULL << 29) + 16 };
	u64 bad = 0;

	t.nbits = t.size * BITS_PER_BYTE;
	t.span = t.nbits * t.unit;
	t.end = t.span;
	t.words = t.nbits / BITS_PER_LONG;
	ab_c_table = alloc_table(&t);
	rs_table = alloc_table(&t);
	ab_rs_set_table(rs_table);
	stub_error = NULL;

	bad += huge_case(&t, "run of 2^31 + 65 units (int len)", 0, (1ULL << 31) + 65);
	bad += huge_case(&t, "run at unit 2^32 (unsigned int start)", 1ULL << 32, 64);
	bad += huge_case(&t, "run of 2^32 + 1 units (unsigned int nbits)", 0, (1ULL << 32) + 1);

	free(ab_c_table);
	free(rs_table);
	ab_c_table = NULL;
	ab_rs_set_table(NULL);
	return bad;
}

int main(int argc, char **argv)
{
	u64 count = 100000, only = U64_MAX, idx;
	bool huge = false;
	int opt;

	while ((opt = getopt(argc, argv, "Hn:s:t:v")) != -1) {
		switch (opt) {
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': only = strtoull(optarg, NULL, 0); break;
		case 'v': verbose = true; break;
		case 'H': huge = true; break;
		default:
			fprintf(stderr, "usage: %s [-H] [-n tables] [-s seed] [-t only_table] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	c_log.e = calloc(MAX_LOG, sizeof(*c_log.e));
	rs_log.e = calloc(MAX_LOG, sizeof(*rs_log.e));
	if (!c_log.e || !rs_log.e || !ab_vmcore_cb) {
		fprintf(stderr, "setup failed (vmcore callback registered: %d)\n", !!ab_vmcore_cb);
		return 2;
	}

	if (huge)
		st.mismatches += run_huge();

	for (idx = 0; idx < count; idx++) {
		struct tbl t;
		u64 ncalls;

		if (only != U64_MAX && idx != only)
			continue;
		rng_state = seed ^ (idx * 0xd1b54a32d192ed03ULL);
		rnd();
		if (below(10) == 0) {
			gen_bad(&t);
			ncalls = 1 + below(8);
		} else {
			gen_valid(&t);
			ncalls = 1 + below(24);
		}
		if (verbose)
			printf("table %" PRIu64 ": unit_size %#x phys_base %#" PRIx64 " size %" PRIu64 "%s%s\n",
			       idx, t.unit, t.base, t.size, t.bad ? " bad: " : "", t.bad ? bad_name[t.bad] : "");
		st.tables++;
		if (t.bad) {
			st.bad_tables++;
			run_bad(idx, &t, ncalls);
		} else {
			run_valid(idx, &t, ncalls);
		}
	}

	printf("valid tables %" PRIu64 ", bad tables %" PRIu64 " (Rust only)\n",
	       st.tables - st.bad_tables, st.bad_tables);
	printf("accept_memory calls %" PRIu64 ", arch_accept_memory calls %" PRIu64 "\n",
	       st.accepts, st.arch_calls);
	printf("expected differences seen: E1 guard wrap %" PRIu64 ", E2 contains last unit %" PRIu64
	       ", E3 pfn overflow %" PRIu64 "\n", st.e1, st.e2, st.e3);
	printf("unaccepted A/B: %" PRIu64 " tables, %" PRIu64 " calls, %" PRIu64 " mismatches\n",
	       st.tables, st.calls, st.mismatches);
	return st.mismatches ? 1 : 0;
}
