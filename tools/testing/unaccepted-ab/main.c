// SPDX-License-Identifier: GPL-2.0
/*
 * Randomised differential test of drivers/firmware/efi/unaccepted_memory.c
 * (the C, built in userspace against stubs/) and the kernel's Rust glue
 * drivers/firmware/efi/unaccepted_memory_rust.rs (built unchanged for the
 * host, with unaccepted_memory_bitmap.rs, against rust/kernel, a stand-in
 * kernel crate whose bindings are the real C of this build:
 * unaccepted_memory_state.c's lock, list and kdump callback, the
 * rust/helpers, and arch_accept_memory() below).
 *
 * The C is compiled with -Daccept_memory=ab_c_accept_memory
 * -Drange_contains_unaccepted_memory=ab_c_range_contains_unaccepted_memory
 * (run.sh); the Rust exports the kernel names.  Each table gets a private
 * copy for each side, installed as efi.unaccepted while that side runs;
 * every call's arch_accept_memory() log, return value and the whole bitmap
 * (including the bits past the table in the last word) are compared after
 * every call, and for accept_memory() also how often each side took the
 * lock with irqs off and touched the softlockup watchdog.
 *
 * The C's known bugs (expected-differences) are recognised precisely and
 * checked against a rewritten C call that avoids the bug; anything else is
 * a mismatch.  Bad tables (which the C does not validate) run the Rust only,
 * against a header followed by a PROT_NONE page: it must take no lock,
 * accept nothing, find nothing, and fail loudly at every use (pr_emerg
 * naming the field, then efi_unaccepted_table_unusable(), which panics in
 * the kernel and returns here).  Deterministic checks before the random
 * run: the report for each kind of bad table (one child process each), and
 * the accepting_list wait (a range on
 * efi_accepting_list that overlaps blocks accept_memory() until it goes;
 * one that does not, does not).
 *
 * usage: ab [-H] [-n tables] [-s seed] [-t only_table] [-v]
 *   -H  also run the E4 check on 2^32-bit bitmaps (needs ~1.3 GiB)
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/efi.h>
#include <linux/crash_dump.h>
#include <asm/unaccepted_memory.h>
/* The Rust glue's C interface (the repository's drivers/firmware/efi). */
#include <linux/efi_unaccepted_memory_rust.h>

#define U64_MAX		UINT64_MAX
#define MAX_LOG		(1 << 17)
#define LOG_BUF		4096

/* ---- the C under test, renamed by run.sh ---- */
void ab_c_accept_memory(phys_addr_t start, unsigned long size);
bool ab_c_range_contains_unaccepted_memory(phys_addr_t start, unsigned long size);

/* ---- the Rust side: rust/src/lib.rs and the stand-in kernel crate ---- */
int ab_rs_table_error(const struct efi_unaccepted_memory *hdr);
size_t ab_rs_drain_log(char *buf, size_t cap);
extern const size_t ab_rs_layout[10];

/* ---- stub state (stubs/) ---- */
struct efi efi = { .unaccepted = EFI_INVALID_TABLE_ADDR };
struct vmcore_cb *ab_vmcore_cbs[AB_MAX_VMCORE_CBS];
int ab_nr_vmcore_cbs;
static struct vmcore_cb *c_cb, *rs_cb;

struct logent { u64 start, end; };

/* One implementation: its table, arch_accept_memory() log and lock use. */
struct side {
	const char *who;
	struct efi_unaccepted_memory *table;
	struct logent *e;
	size_t n;
	u64 irqsaves, touches;
};
static struct side cs = { .who = "C" }, rs = { .who = "Rust" };
static struct side *cur;	/* whose call is running */
static int locks_held, irqs_off;
static char stub_msg[256];
static const char *stub_error;

/* panic(), which unaccepted_memory_state.c calls for an unusable table. */
static unsigned int ab_panics;
void panic(const char *fmt, ...)
{
	(void)fmt;
	ab_panics++;
}

static void __attribute__((format(printf, 1, 2))) fail_stub(const char *fmt, ...)
{
	va_list ap;

	if (stub_error)
		return;
	va_start(ap, fmt);
	vsnprintf(stub_msg, sizeof(stub_msg), fmt, ap);
	va_end(ap);
	stub_error = stub_msg;
}

static const char *who(void)
{
	return cur ? cur->who : "nobody";
}

/* ---- the accepting_list cases: the other CPU, run when a lock is dropped ---- */
static struct {
	bool active;			/* a case is running */
	struct accept_range *blocker;	/* overlapping entry, still on the list */
	u64 release_after;		/* drops of the lock until it goes */
	u64 drops;			/* drops of the lock while it was there */
	u64 clear_from, clear_to;	/* units the other CPU accepted meanwhile */
} other;

static void other_cpu(void)
{
	u64 i;

	if (!other.blocker || ++other.drops < other.release_after)
		return;
	/* The other CPU finishes: its units are accepted, its entry goes. */
	for (i = other.clear_from; i < other.clear_to; i++)
		rs.table->bitmap[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
	list_del(&other.blocker->list);
	other.blocker = NULL;
}

void ab_spin_lock(spinlock_t *lock)
{
	if (cur == &rs && lock != &efi_unaccepted_memory_lock)
		fail_stub("Rust: takes a lock other than efi_unaccepted_memory_lock");
	if (lock->locked)
		fail_stub("%s: spin_lock() with the lock held", who());
	lock->locked = 1;
	locks_held++;
}

void ab_spin_unlock(spinlock_t *lock)
{
	if (!lock->locked)
		fail_stub("%s: spin_unlock() without the lock", who());
	lock->locked = 0;
	locks_held--;
}

unsigned long ab_spin_lock_irqsave(spinlock_t *lock)
{
	unsigned long flags = irqs_off;

	irqs_off = 1;
	ab_spin_lock(lock);
	if (cur)
		cur->irqsaves++;
	if (other.active && cur && cur->irqsaves > 100000) {
		printf("MISMATCH: %s: accept_memory() still waits after %" PRIu64
		       " tries; the overlapping range went after %" PRIu64 "\n",
		       who(), cur->irqsaves, other.release_after);
		exit(1);
	}
	return flags;
}

void ab_spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	ab_spin_unlock(lock);
	irqs_off = flags;
	if (other.active)
		other_cpu();
}

void ab_touch_softlockup_watchdog(void)
{
	if (cur)
		cur->touches++;
	if (locks_held != 1 || !irqs_off)
		fail_stub("%s: touch_softlockup_watchdog() outside the locked section", who());
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
 * The Rust registers units [s, e) on efi_accepting_list before accepting
 * them: exactly one entry on the list overlaps them, and it covers them.
 */
static void check_accepting_list(u64 s, u64 e)
{
	struct list_head *pos;
	int overlapping = 0, covering = 0;

	for (pos = efi_accepting_list.next; pos != &efi_accepting_list; pos = pos->next) {
		struct accept_range *r = (struct accept_range *)pos;

		if (r->end <= s || r->start >= e)
			continue;
		overlapping++;
		covering += r->start <= s && e <= r->end;
	}
	if (overlapping != 1 || covering != 1)
		fail_stub("Rust: accepts units [%#" PRIx64 ", %#" PRIx64 ") with %d overlapping "
			  "range(s) on efi_accepting_list, %d covering", s, e, overlapping, covering);
}

/*
 * arch_accept_memory(), called by both sides: record the call in the
 * running side's log and check it accepts only whole units inside the
 * table that are all still unaccepted (no double accept), with no lock
 * held and irqs off.
 */
void arch_accept_memory(phys_addr_t start, phys_addr_t end)
{
	struct side *s = cur;
	struct efi_unaccepted_memory *t;
	u64 unit;

	if (!s || !s->table) {
		fail_stub("arch_accept_memory() outside a call");
		return;
	}
	t = s->table;
	unit = t->unit_size;
	if (locks_held || !irqs_off)
		fail_stub("%s: arch_accept_memory() with a lock held or irqs on", s->who);
	if (s->n >= MAX_LOG) {
		fail_stub("%s: arch_accept_memory() log overflow", s->who);
		return;
	}
	s->e[s->n++] = (struct logent){ start, end };
	if (start >= end || start < t->phys_base || (start - t->phys_base) % unit ||
	    (end - t->phys_base) % unit ||
	    (end - t->phys_base) / unit > t->size * BITS_PER_BYTE) {
		fail_stub("%s: arch_accept_memory() range outside the table", s->who);
		return;
	}
	if (!all_set(t->bitmap, (start - t->phys_base) / unit, (end - t->phys_base) / unit))
		fail_stub("%s: accepts an already accepted unit", s->who);
	if (s == &rs)
		check_accepting_list((start - t->phys_base) / unit, (end - t->phys_base) / unit);
}

/* ---- calling the two sides ---- */
static void enter(struct side *s)
{
	cur = s;
	s->n = 0;
	s->irqsaves = s->touches = 0;
	efi.unaccepted = s->table ? (unsigned long)s->table : EFI_INVALID_TABLE_ADDR;
}

static void leave(void)
{
	cur = NULL;
	efi.unaccepted = EFI_INVALID_TABLE_ADDR;
}

static void c_accept(u64 start, u64 size)
{
	enter(&cs);
	ab_c_accept_memory(start, size);
	leave();
}

static bool c_contains(u64 start, u64 size)
{
	bool ret;

	enter(&cs);
	ret = ab_c_range_contains_unaccepted_memory(start, size);
	leave();
	return ret;
}

static bool c_pfn_is_ram(u64 pfn)
{
	bool ret;

	enter(&cs);
	ret = c_cb->pfn_is_ram(c_cb, pfn);
	leave();
	return ret;
}

static void rs_accept(u64 start, u64 size)
{
	enter(&rs);
	accept_memory(start, size);
	leave();
}

static bool rs_contains(u64 start, u64 size)
{
	bool ret;

	enter(&rs);
	ret = range_contains_unaccepted_memory(start, size);
	leave();
	return ret;
}

static bool rs_pfn_is_ram(u64 pfn)
{
	bool ret;

	enter(&rs);
	ret = rs_cb->pfn_is_ram(rs_cb, pfn);
	leave();
	return ret;
}

/* What the Rust logged (pr_err) since the last call; NUL-terminated. */
static const char *rs_log(void)
{
	static char buf[LOG_BUF];
	size_t len = ab_rs_drain_log(buf, sizeof(buf));

	if (!len)
		buf[0] = 0;
	return buf;
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
	"valid", "unit_size 0", "unit_size not a page multiple", "unit_size below PAGE_SIZE",
	"phys_base not page aligned", "bitmap end overflows",
};

static void gen_valid(struct tbl *t)
{
	unsigned int shift = below(4) == 0 ? 21 : 12 + below(19);
	u64 unit = 1ULL << shift, maxk, k, align;

	/* Tables the C handles although no firmware makes them (yet): units
	 * that are page multiples but not powers of two. */
	if (!below(6))
		unit = 4096ULL * (below(2) ? 3 + 2 * below(1000) : 3 * 512);

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
	/* phys_base unit aligned, or only page aligned (the C handles both). */
	align = below(4) ? unit : 4096;
	maxk = (U64_MAX - t->span) / align;
	switch (below(8)) {
	case 0:  k = 0; break;
	case 1:  k = below(64); break;
	case 6:  k = maxk - below(4); break;
	case 7:  k = below(maxk + 1); break;
	default: k = below((1ULL << 52) / align); break;
	}
	t->base = k * align;
	t->end = t->base + t->span;
	t->words = (t->nbits + BITS_PER_LONG - 1) / BITS_PER_LONG;
	t->bad = 0;
}

/* A bad table of kind @bad (see bad_name) from the valid table in @t. */
static void make_bad(struct tbl *t, int bad)
{
	u64 unit;

	t->bad = bad;
	switch (t->bad) {
	case 1:
		t->unit = 0;
		break;
	case 2:
		do
			t->unit = below(4) ? 4096 * (1 + below(1000)) + 1 + below(4095) : (u32)rnd();
		while (t->unit < 4096 || !(t->unit % 4096));
		break;
	case 3:
		t->unit = 1U << below(12);
		break;
	case 4:
		t->base += 1 + below(4095);
		break;
	case 5:
		unit = t->unit;
		switch (below(3)) {
		case 0:  t->size = (U64_MAX >> 3) + 1 + below(1ULL << 60); break;	/* size * 8 */
		case 1:  t->size = U64_MAX / (8 * unit) + 1 + below(1 << 20); break;	/* * unit */
		default:											/* + base */
			t->base = (U64_MAX - below(1ULL << 40)) & ~4095ULL;
			t->size = (U64_MAX - t->base) / (8 * unit) + 1 + below(16);
			break;
		}
		break;
	}
}

static void gen_bad(struct tbl *t)
{
	gen_valid(t);
	make_bad(t, 1 + below(5));
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
	case 10: return t->base + (start - t->base + u - 1) / u * u + k * u - start; /* unit end */
	case 11: return -u - start;				/* end 2^64 - unit */
	case 12: return below(2 * t->span + 1);
	case 13:	/* end in a later unit at an offset <= start's (E2) */
		return r ? (1 + below(4)) * u + 1 + below(r) - r : u + 1;
	default: return t->base + below(t->span + 1) - start;
	}
}

/* ---- expected differences (see expected-differences) ---- */

/* The C's end after 948a013a54c4: PAGE_ALIGN(start + size), wrapping. */
static u64 c_end(u64 start, u64 size)
{
	return (start + size + 4095) & ~4095ULL;
}

/* E1: the C's guard `end += unit_size` wraps to 0. */
static bool is_e1(const struct tbl *t, u64 start, u64 size)
{
	u64 end = c_end(start, size), off;

	if (end < t->base)
		return false;
	off = end - t->base;
	return !(off % t->unit) && off > U64_MAX - t->unit;
}

/*
 * E2: range_contains_unaccepted_memory() misses the last unit when the
 * clamped start is unaligned and end % unit <= start % unit.  Returns the
 * aligned-down start that makes the C correct, or false.
 */
static bool is_e2(const struct tbl *t, u64 start, u64 size, u64 *astart)
{
	u64 end = c_end(start, size), u = t->unit, s, e;

	if (end < t->base || is_e1(t, start, size))
		return false;
	start &= ~4095ULL;
	s = (start < t->base ? t->base : start) - t->base;
	e = end - t->base;
	if (!(e % u))
		e += u;
	if (e > t->span)
		e = t->span;
	if (s >= e || !(e % u) || e % u > s % u)
		return false;
	*astart = t->base + s / u * u;
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

static void print_log(const struct side *s)
{
	size_t i;

	printf("  %s arch_accept_memory() calls: %zu\n", s->who, s->n);
	for (i = 0; i < s->n && i < 8; i++)
		printf("    [%#" PRIx64 ", %#" PRIx64 ")\n", s->e[i].start, s->e[i].end);
	if (s->n > 8)
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
	printf("  lock taken with irqs off: C %" PRIu64 ", Rust %" PRIu64
	       "; watchdog touched: C %" PRIu64 ", Rust %" PRIu64 "\n",
	       cs.irqsaves, rs.irqsaves, cs.touches, rs.touches);
	if (before) {
		printf("  bitmap before (%zu words):", w);
		for (i = 0; i < w && i < 8; i++)
			printf(" %016lx", before[i]);
		printf("%s\n", w > 8 ? " ..." : "");
	}
	if (!t->bad) {
		printf("  bitmap after C:   ");
		for (i = 0; i < w && i < 8; i++)
			printf(" %016lx", cs.table->bitmap[i]);
		printf("\n  bitmap after Rust:");
		for (i = 0; i < w && i < 8; i++)
			printf(" %016lx", rs.table->bitmap[i]);
		printf("\n");
	}
	print_log(&cs);
	print_log(&rs);
}

static bool same_logs(void)
{
	return cs.n == rs.n && !memcmp(cs.e, rs.e, cs.n * sizeof(*cs.e));
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

/*
 * Whether @log is the glue's report of the bad table @t:
 * "efi: unusable unaccepted memory table: <reason> (unit_size 0x..,
 * phys_base 0x.., size 0x..)" with the reason of its kind, which names the
 * field.
 */
static bool is_bad_report(const char *log, const struct tbl *t)
{
	static const char *const reason[] = {
		"", "unit_size is 0", "is not a multiple of the page size",
		"is smaller than the page size", "is not aligned to the page size",
		"ends beyond the 64-bit address space",
	};
	static const char *const field[] = {
		"", "unit_size", "unit_size", "unit_size", "phys_base", "size",
	};
	static const char prefix[] = "efi: unusable unaccepted memory table: ";
	char hdr[128];
	const char *nl = strchr(log, '\n');

	/* Rust's {:#x}: 0x0 for 0, where C's %#x prints 0. */
	snprintf(hdr, sizeof(hdr), " (unit_size 0x%" PRIx32 ", phys_base 0x%" PRIx64
		 ", size 0x%" PRIx64 ")\n", (u32)t->unit, t->base, t->size);
	return !strncmp(log, prefix, sizeof(prefix) - 1) && nl && !nl[1] &&
	       strstr(log, reason[t->bad]) &&
	       !strncmp(log + sizeof(prefix) - 1, field[t->bad], strlen(field[t->bad])) && strlen(log) > strlen(hdr) &&
	       !strcmp(log + strlen(log) - strlen(hdr), hdr);
}

/*
 * One Rust call on a bad table: it must take no lock and accept nothing,
 * and fail loudly: log exactly the report of @t and call
 * efi_unaccepted_table_unusable() (which panics in the kernel; here, as in
 * a KUnit test, it returns), once.  Returns an error.
 */
static const char *bad_call(const struct tbl *t, enum op op, u64 a, u64 b)
{
	const char *log;

	stub_error = NULL;
	ab_panics = 0;
	if (op == OP_ACCEPT)
		rs_accept(a, b);
	else if (op == OP_CONTAINS && rs_contains(a, b))
		return "bad table: Rust found unaccepted memory";
	else if (op == OP_PFN && !rs_pfn_is_ram(a))
		return "bad table: Rust pfn is not RAM";
	if (stub_error)
		return stub_error;
	if (rs.n)
		return "bad table: Rust accepted memory";
	if (rs.irqsaves || rs.touches || locks_held || irqs_off)
		return "bad table: Rust took the lock";
	log = rs_log();
	if (!is_bad_report(log, t))
		return *log ? "bad table: wrong report" : "bad table: not reported";
	if (ab_panics != 1)
		return ab_panics ? "bad table: efi_unaccepted_table_unusable() called more than once"
				 : "bad table: efi_unaccepted_table_unusable() not called";
	return NULL;
}

static void run_bad(u64 idx, struct tbl *t, u64 ncalls)
{
	u64 i, a, b;
	int err;

	rs.table = guarded_header(t);
	err = ab_rs_table_error(rs.table);
	if (err != t->bad) {
		char msg[128];

		snprintf(msg, sizeof(msg), "bad table: Rust rejects it as %d (%s), expected %d (%s)",
			 err, err >= 0 && err <= 5 ? bad_name[err] : "?", t->bad, bad_name[t->bad]);
		report(idx, t, 0, OP_ACCEPT, 0, 0, msg, -1, -1, NULL);
		goto out;
	}
	for (i = 0; i < ncalls; i++) {
		enum op op = below(10) < 6 ? OP_ACCEPT : below(2) ? OP_CONTAINS : OP_PFN;
		const char *bad;

		a = below(2) ? rnd() : t->base + below(1ULL << 40);
		b = below(2) ? rnd() : below(1ULL << 32);
		if (op == OP_PFN)
			a >>= PAGE_SHIFT;
		st.calls++;
		bad = bad_call(t, op, a, b);
		if (bad) {
			report(idx, t, i, op, a, b, bad, -1, -1, NULL);
			break;
		}
	}
out:
	rs.table = NULL;
}

static void run_valid(u64 idx, struct tbl *t, u64 ncalls)
{
	struct efi_unaccepted_memory *ct = alloc_table(t), *rt = alloc_table(t);
	size_t bytes = t->words * sizeof(long);
	unsigned long *before = malloc(bytes + 1);
	u64 i;

	fill_bitmap(ct->bitmap, t->words);
	memcpy(rt->bitmap, ct->bitmap, bytes);
	cs.table = ct;
	rs.table = rt;
	if (ab_rs_table_error(rt)) {
		report(idx, t, 0, OP_ACCEPT, 0, 0, "valid table rejected by Rust", -1, -1, NULL);
		goto out;
	}

	for (i = 0; i < ncalls; i++) {
		u64 a = pick_start(t), b = pick_size(t, a), astart = 0;
		u64 c_irqsaves = 0, c_touches = 0;
		size_t c_n;
		enum op op;
		int cret = -1, rret = -1;
		const char *bad = NULL;

		switch (below(20)) {
		case 0 ... 10: op = OP_ACCEPT; break;
		case 11 ... 17: op = OP_CONTAINS; break;
		default: op = OP_PFN; break;
		}
		memcpy(before, ct->bitmap, bytes);
		stub_error = NULL;
		st.calls++;

		if (op == OP_ACCEPT) {
			bool e1 = is_e1(t, a, b);

			st.accepts++;
			c_accept(a, b);
			c_irqsaves = cs.irqsaves;
			c_touches = cs.touches;
			c_n = cs.n;
			if (e1 && c_n) {
				bad = "E1 case: the C accepted memory (expected nothing)";
			} else if (e1) {
				/* Reference: the same request ending at the bitmap end. */
				if (a <= t->end)
					c_accept(a, t->end - a);
				st.e1 += cs.n != 0;
			}
			rs_accept(a, b);
			if (!bad && !same_logs())
				bad = "arch_accept_memory() calls differ";
			else if (!bad && (c_irqsaves != rs.irqsaves || c_touches != rs.touches))
				bad = "lock or watchdog use differs";
			st.arch_calls += cs.n;
		} else if (op == OP_CONTAINS) {
			cret = c_contains(a, b);
			if (is_e1(t, a, b)) {
				if (cret)
					bad = "E1 case: the C returned true (expected false)";
				cret = a <= t->end && c_contains(a, t->end - a);
				st.e1 += cret;
			} else if (is_e2(t, a, b, &astart)) {
				int fixed = c_contains(astart, a + b - astart);

				st.e2 += fixed != cret;
				cret = fixed;
			}
			rret = rs_contains(a, b);
			if (!bad && cret != rret)
				bad = "range_contains_unaccepted_memory() differs";
		} else {
			/* A pfn in or near the table, or any (overflowing) pfn. */
			u64 pfn = below(8) ? (t->base + below(t->span + 8 * t->unit) - 4 * t->unit) >> PAGE_SHIFT
				  : below(2) ? rnd() : (1ULL << 52) + (t->base >> PAGE_SHIFT) + below(t->nbits + 1);

			a = pfn;
			b = 0;
			cret = c_pfn_is_ram(pfn);
			rret = rs_pfn_is_ram(pfn);
			if (pfn > (U64_MAX >> PAGE_SHIFT)) {
				/* E3: the C tests the address pfn << PAGE_SHIFT wraps to. */
				if (!rret)
					bad = "E3 case: Rust says an overflowing pfn is not RAM";
				st.e3 += cret != rret;
				cret = rret;
			} else if (is_e1(t, pfn << PAGE_SHIFT, PAGE_SIZE)) {
				u64 s = pfn << PAGE_SHIFT;

				cret = !(s <= t->end && c_contains(s, t->end - s));
				st.e1 += !cret;
			}
			if (!bad && cret != rret)
				bad = "vmcore pfn_is_ram differs";
		}
		if (!bad && stub_error)
			bad = stub_error;
		if (!bad && (locks_held || irqs_off))
			bad = "a lock held or irqs off after the call";
		if (!bad && !list_empty(&efi_accepting_list))
			bad = "Rust: efi_accepting_list not empty after the call";
		if (!bad && *rs_log())
			bad = "Rust: logged a message on a valid table";
		if (!bad && memcmp(ct->bitmap, rt->bitmap, bytes))
			bad = "bitmaps differ after the call";
		if (verbose)
			printf("  call %" PRIu64 ": %s(%#" PRIx64 ", %#" PRIx64 ") C %d Rust %d, %zu/%zu arch calls%s\n",
			       i, op_name[op], a, b, cret, rret, cs.n, rs.n, bad ? " MISMATCH" : "");
		if (bad) {
			report(idx, t, i, op, a, b, bad, cret, rret, before);
			break;
		}
	}
out:
	cs.table = NULL;
	rs.table = NULL;
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
	struct efi_unaccepted_memory *ct = cs.table, *rt = rs.table;
	size_t bytes = t->words * sizeof(long), i;
	u64 c_first, c_again, rs_again, c_left = 0;
	bool rs_ok;

	memset(ct->bitmap, 0, bytes);
	if (s >= 64)
		ct->bitmap[0] = ~0UL;
	set_bits(ct->bitmap, s, n);
	memcpy(rt->bitmap, ct->bitmap, bytes);

	c_accept(s * t->unit, (n - 1) * t->unit);
	rs_accept(s * t->unit, (n - 1) * t->unit);
	c_first = cs.n;
	rs_ok = !stub_error && rs.n == 1 && rs.e[0].start == s * t->unit &&
		rs.e[0].end == (s + n) * t->unit;
	rs_ok = rs_ok && rt->bitmap[0] == (s >= 64 ? ~0UL : 0) && !any_word(rt->bitmap + 1, t->words - 1);
	for (i = 0; i < t->words; i++)
		c_left += __builtin_popcountl(ct->bitmap[i] ^ rt->bitmap[i]);

	c_accept(s * t->unit, (n - 1) * t->unit);
	rs_accept(s * t->unit, (n - 1) * t->unit);
	c_again = cs.n;
	rs_again = rs.n;
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
	cs.table = alloc_table(&t);
	rs.table = alloc_table(&t);
	stub_error = NULL;

	bad += huge_case(&t, "run of 2^31 + 65 units (int len)", 0, (1ULL << 31) + 65);
	bad += huge_case(&t, "run at unit 2^32 (unsigned int start)", 1ULL << 32, 64);
	bad += huge_case(&t, "run of 2^32 + 1 units (unsigned int nbits)", 0, (1ULL << 32) + 1);

	free(cs.table);
	free(rs.table);
	cs.table = rs.table = NULL;
	return bad;
}

/*
 * Each kind of bad table, in a child process of its own (a fresh glue):
 * every one of several calls (accept, query, pfn, accept) must log exactly
 * the report naming the field and the reason, and call
 * efi_unaccepted_table_unusable() once.  Returns the number of failures.
 */
static u64 check_bad_reports(void)
{
	static const enum op ops[] = { OP_ACCEPT, OP_CONTAINS, OP_PFN, OP_ACCEPT };
	u64 failures = 0;
	int kind;

	for (kind = 1; kind <= 5; kind++) {
		struct tbl t;
		int status;
		pid_t pid;

		rng_state = seed ^ (0xbad0ULL + kind);
		gen_valid(&t);
		make_bad(&t, kind);
		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			exit(2);
		}
		if (!pid) {
			const char *bad = NULL;
			size_t i;

			rs.table = guarded_header(&t);
			for (i = 0; i < sizeof(ops) / sizeof(ops[0]) && !bad; i++)
				bad = bad_call(&t, ops[i], t.base, t.unit);
			if (bad)
				printf("MISMATCH: bad table (%s): %s\n", bad_name[kind], bad);
			fflush(stdout);
			_exit(bad ? 1 : 0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
				printf("MISMATCH: bad table (%s): child failed (status %#x)\n",
				       bad_name[kind], status);
			failures++;
		}
	}
	printf("bad-table reports: %" PRIu64 " of 5 kinds fail loudly at every use, naming the field\n",
	       5 - failures);
	return failures;
}

/*
 * The accepting_list wait.  A range another CPU is accepting sits on
 * efi_accepting_list; accept_memory() of units [2, 6) (request
 * [2 units, 5 units), plus the guard unit) must drop the lock and retry
 * while an entry overlaps its units, and accept once it is gone, only what
 * the other CPU left unaccepted.  The "other CPU" runs whenever the Rust
 * drops the lock with spin_unlock_irqrestore(): after @release_after such
 * drops it accepts its units and takes its entry off the list.  Entries
 * that do not overlap (touching at either end, or far away) must not
 * delay the accept at all, and stay on the list.  Returns the number of
 * failures.
 */
struct retry_case {
	const char *name;
	u64 blocker_start, blocker_end;	/* blocker_end 0: none */
	u64 release_after;
	u64 free_ranges[3][2];		/* non-overlapping entries */
	struct logent expect[2];	/* arch calls, in units */
	size_t nexpect;
};

static u64 run_retry(void)
{
	static const struct retry_case cases[] = {
		{ "overlapping entry [3, 5), gone after 4 drops of the lock", 3, 5, 4,
		  { { 0 } }, { { 2, 3 }, { 5, 6 } }, 2 },
		{ "entry [5, 6) overlapping only the guard unit, gone after 2 drops", 5, 6, 2,
		  { { 0 } }, { { 2, 5 } }, 1 },
		{ "entry [1, 3) overlapping the first unit, gone after 1 drop", 1, 3, 1,
		  { { 0 } }, { { 3, 6 } }, 1 },
		{ "entries [0, 2), [6, 8) and [40, 41), none overlapping", 0, 0, 0,
		  { { 0, 2 }, { 6, 8 }, { 40, 41 } }, { { 2, 6 } }, 1 },
	};
	const u64 unit = 2 << 20, base = 1ULL << 32;
	struct tbl t = { .unit = unit, .base = base, .size = 8 };
	u64 failures = 0;
	size_t k, i;

	t.nbits = 64;
	t.words = 1;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct retry_case *c = &cases[k];
		struct accept_range blocker, free_entries[3];
		size_t nfree = 0;
		const char *bad = NULL;
		struct list_head *pos;
		unsigned long expect_bitmap = ~0UL;

		rs.table = alloc_table(&t);
		rs.table->bitmap[0] = ~0UL;
		for (i = 0; i < 3 && c->free_ranges[i][1]; i++, nfree++) {
			free_entries[i].start = c->free_ranges[i][0];
			free_entries[i].end = c->free_ranges[i][1];
			list_add_tail(&free_entries[i].list, &efi_accepting_list);
		}
		memset(&other, 0, sizeof(other));
		if (c->blocker_end) {
			blocker.start = c->blocker_start;
			blocker.end = c->blocker_end;
			list_add(&blocker.list, &efi_accepting_list);
			other.blocker = &blocker;
			other.release_after = c->release_after;
			other.clear_from = c->blocker_start;
			other.clear_to = c->blocker_end;
		}
		other.active = true;
		stub_error = NULL;

		rs_accept(base + 2 * unit, 3 * unit);
		other.active = false;
		st.calls++;

		/* Units [2, 6) accepted by us, the blocker's by the other CPU. */
		for (i = 2; i < 6; i++)
			expect_bitmap &= ~(1UL << i);
		for (i = c->blocker_start; i < c->blocker_end; i++)
			expect_bitmap &= ~(1UL << i);
		if (stub_error)
			bad = stub_error;
		else if (other.blocker)
			bad = "the overlapping entry is still there (the Rust stopped waiting?)";
		else if (rs.irqsaves != c->release_after + 1)
			bad = "took the lock a wrong number of times";
		else if (rs.touches != 1)
			bad = "touched the watchdog a wrong number of times";
		else if (rs.n != c->nexpect)
			bad = "wrong number of arch_accept_memory() calls";
		for (i = 0; !bad && i < c->nexpect; i++)
			if (rs.e[i].start != base + c->expect[i].start * unit ||
			    rs.e[i].end != base + c->expect[i].end * unit)
				bad = "wrong arch_accept_memory() range";
		if (!bad && rs.table->bitmap[0] != expect_bitmap)
			bad = "wrong bitmap afterwards";
		if (!bad && (locks_held || irqs_off))
			bad = "a lock held or irqs off afterwards";
		/* Exactly the non-overlapping entries are left, in order. */
		i = 0;
		for (pos = efi_accepting_list.next; pos != &efi_accepting_list; pos = pos->next, i++)
			if (!bad && (i >= nfree || pos != &free_entries[i].list))
				bad = "efi_accepting_list changed";
		if (!bad && i != nfree)
			bad = "efi_accepting_list changed";
		printf("accepting_list: %s: %s, %" PRIu64 " lock(s), %zu accept(s): %s\n", c->name,
		       c->blocker_end ? "waited" : "no wait", rs.irqsaves, rs.n, bad ? bad : "ok");
		if (bad) {
			printf("MISMATCH: accepting_list: %s: %s\n", c->name, bad);
			print_log(&rs);
			failures++;
		}
		INIT_LIST_HEAD(&efi_accepting_list);
		free(rs.table);
		rs.table = NULL;
	}
	return failures;
}

/* The Rust stand-in's bindings must lay the structures out as the C does. */
static bool check_layout(void)
{
	const size_t c[10] = {
		sizeof(struct efi_unaccepted_memory), sizeof(struct accept_range),
		sizeof(struct vmcore_cb), sizeof(struct list_head),
		offsetof(struct efi_unaccepted_memory, unit_size),
		offsetof(struct efi_unaccepted_memory, phys_base),
		offsetof(struct efi_unaccepted_memory, size),
		offsetof(struct efi_unaccepted_memory, bitmap),
		offsetof(struct accept_range, start), offsetof(struct accept_range, end),
	};
	int i;

	for (i = 0; i < 10; i++) {
		if (c[i] != ab_rs_layout[i]) {
			fprintf(stderr, "layout mismatch %d: C %zu, Rust %zu\n", i, c[i],
				ab_rs_layout[i]);
			return false;
		}
	}
	return true;
}

int main(int argc, char **argv)
{
	u64 count = 100000, only = U64_MAX, idx;
	bool huge = false;
	int opt, i;

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
	if (!check_layout())
		return 2;
	cs.e = calloc(MAX_LOG, sizeof(*cs.e));
	rs.e = calloc(MAX_LOG, sizeof(*rs.e));
	/* The core_initcall()s registered the C's and the Rust's callback. */
	for (i = 0; i < ab_nr_vmcore_cbs && i < AB_MAX_VMCORE_CBS; i++) {
		if (ab_vmcore_cbs[i]->pfn_is_ram == unaccepted_memory_vmcore_pfn_is_ram)
			rs_cb = ab_vmcore_cbs[i];
		else
			c_cb = ab_vmcore_cbs[i];
	}
	if (!cs.e || !rs.e || ab_nr_vmcore_cbs != 2 || !c_cb || !rs_cb) {
		fprintf(stderr, "setup failed (%d vmcore callbacks registered, C %d, Rust %d)\n",
			ab_nr_vmcore_cbs, !!c_cb, !!rs_cb);
		return 2;
	}

	if (huge)
		st.mismatches += run_huge();
	if (only == U64_MAX) {
		st.mismatches += check_bad_reports();
		st.mismatches += run_retry();
	}

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
