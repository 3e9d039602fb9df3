// SPDX-License-Identifier: GPL-2.0
/*
 * memblock A/B driver: a seeded random differential workload for the
 * MEMBLOCK_RSRV_KERN API on top of the real mm/memblock.c, built in
 * userspace like tools/testing/memblock.
 *
 * The same source is linked twice: once with the C memblock_reserve_kern(),
 * memblock_reserved_mark_kern() and memblock_reserved_kern_size() of
 * mm/memblock.c, once with CONFIG_MEMBLOCK_RSRV_KERN_RUST and the Rust
 * implementation (mm/memblock_rsrv_kern.rs as a static library).  Both run
 * the same sequences of operations; after every operation the complete
 * state of memblock.memory and memblock.reserved (cnt, max, total_size,
 * where the array lives, and base/size/flags/nid of every entry up to max,
 * including the stale ones behind cnt), the return value and the number of
 * WARN_ON()s are folded into a per-sequence hash.  The two outputs must be
 * identical.
 *
 *   ab [-s SEED] [-n SEQUENCES]       one line per sequence, then totals
 *   ab [-s SEED] -q SEQ [-v]          replay one sequence; -v prints every
 *                                     operation and state (for diffs)
 *
 * Addresses: "physical" memory that memblock may allocate from (for its
 * doubled arrays) is a real mapping at DUMMY_BASE, and memblock's
 * current_limit is its end.  Memory is only ever added at or above
 * DUMMY_BASE, so nothing below the limit but the mapping is ever memory;
 * reservations, removals and queries go anywhere (near 0, in the mapping,
 * above it, near PHYS_ADDR_MAX, random).  Freeing the live region arrays'
 * own reservations is skipped (that would let memblock hand them out again,
 * which the kernel never does either).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/types.h>
#include <linux/seq_file.h>
#include <linux/memblock.h>

#define PG			0x1000ULL
#define DUMMY_BASE		0x200000000000ULL	/* above ASan's shadow */
#define DUMMY_SIZE		(2ULL << 20)
#define ZONE_A			0x300000000000ULL
#define INIT_REGIONS		128	/* INIT_MEMBLOCK_{MEMORY,RESERVED}_REGIONS */
#define WARN_BUF		65536

/* The simulator's stub for the "movable_node" parameter (tests/common.c). */
bool movable_node_enabled;

#ifdef CONFIG_MEMBLOCK_RSRV_KERN_RUST
/* Provided by the host stand-in of the kernel crate (rust/kernel). */
extern const size_t ab_rust_layout[6];
void ab_rust_capture_warnings(bool enable);
size_t ab_rust_drain_warnings(char *buf, size_t cap);
#endif

static struct memblock_region *init_memory_regions, *init_reserved_regions;
static FILE *out;		/* results; stdout gets memblock's printf()s */
static FILE *warn_stream;	/* replaces stderr: catches C WARN_ON()s */
static FILE *real_stderr;	/* the process's stderr */
static char *warn_text;
static size_t warn_len;
static int verbose;

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64 seeding, xoshiro256** generation.        */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t seq)
{
	uint64_t x = seed ^ (seq * 0xd1342543de82ef95ULL);

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

#define NO_SANITIZE __attribute__((no_sanitize("address", "undefined")))

NO_SANITIZE static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rnd(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* ------------------------------------------------------------------ */
/* Hashing.                                                            */

NO_SANITIZE static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v * 0x9e3779b97f4a7c15ULL;
	return rotl(h, 27) * 0xff51afd7ed558ccdULL + 0x52dce729ULL;
}

NO_SANITIZE static uint64_t region_nid(const struct memblock_region *r)
{
#ifdef CONFIG_NUMA
	return (uint32_t)r->nid;	/* memblock_get_region_node() */
#else
	return 0;
#endif
}

/* Where a region array lives: the static one, or an offset in the mapping. */
NO_SANITIZE static uint64_t array_id(const struct memblock_type *t,
				     struct memblock_region *init)
{
	if (t->regions == init)
		return 0;
	return (uint64_t)(uintptr_t)t->regions - DUMMY_BASE + 1;
}

/* The hot loop of the driver: not instrumented (it only reads). */
NO_SANITIZE static uint64_t hash_type(uint64_t h, const struct memblock_type *t,
			  struct memblock_region *init)
{
	/* Three independent lanes keep the multiply chains short. */
	uint64_t a = mix(h, t->cnt), b = mix(h, t->max), c = mix(h, t->total_size);

	a = mix(a, array_id(t, init));
	for (unsigned long i = 0; i < t->max; i++) {
		const struct memblock_region *r = &t->regions[i];

		a = mix(a, r->base);
		b = mix(b, r->size);
		c = mix(c, ((uint64_t)r->flags << 32) | region_nid(r));
	}
	return mix(mix(a, b), c);
}

static uint64_t hash_state(uint64_t h)
{
	h = hash_type(h, &memblock.memory, init_memory_regions);
	return hash_type(h, &memblock.reserved, init_reserved_regions);
}

/* ------------------------------------------------------------------ */
/* Warnings: C WARN_ON()s print to stderr, the Rust port's to a buffer. */

static void warn_capture_start(void)
{
	warn_stream = open_memstream(&warn_text, &warn_len);
	if (!warn_stream) {
		perror("open_memstream");
		exit(2);
	}
	stderr = warn_stream;
}

/*
 * Calls @fn on every line of @text[0..@len) containing @needle.  Lengths
 * are explicit: an operation over hundreds of regions warns hundreds of
 * times, and str*() rescanning the rest of the text would be quadratic.
 */
static unsigned int for_each_line(const char *text, size_t len, const char *needle,
				  unsigned int (*fn)(const char *line, size_t n, FILE *log),
				  FILE *log)
{
	const char *end = text + len;
	unsigned int sum = 0;

	while (text < end) {
		const char *eol = memchr(text, '\n', end - text);
		size_t n = (eol ? eol : end) - text;

		if (memmem(text, n, needle, strlen(needle)))
			sum += fn(text, n, log);
		text += n + 1;
	}
	return sum;
}

/* A C WARN_ON() line: "assertion failed at <path>/memblock.c:<line>". */
static unsigned int c_warning(const char *line, size_t n, FILE *log)
{
	const char *file = memmem(line, n, " at ", 4);

	if (log && file) {
		const char *slash = memrchr(file, '/', line + n - file);

		file = slash ? slash + 1 : file + 4;
		fprintf(log, "  C: assertion failed at %.*s\n", (int)(line + n - file), file);
	}
	return 1;
}

#ifdef CONFIG_MEMBLOCK_RSRV_KERN_RUST
/* A Rust warning: "...: <count> x WARN_ON(<condition>) in <function>". */
static unsigned int rust_warning(const char *line, size_t n, FILE *log)
{
	const char *x = memmem(line, n, " x WARN_ON(", 11);
	const char *q = x;

	while (q > line && q[-1] >= '0' && q[-1] <= '9')
		q--;
	if (log)
		fprintf(log, "  Rust: %.*s\n", (int)n, line);
	return strtoul(q, NULL, 10);
}
#endif

/* Number of WARN_ON()s since the last call; their text goes to @log. */
static unsigned int warn_collect(FILE *log)
{
	unsigned int n = 0;

	fflush(warn_stream);
	if (warn_len) {
		n += for_each_line(warn_text, warn_len, "assertion failed at", c_warning, log);
		fclose(warn_stream);
		free(warn_text);
		warn_capture_start();
	}
#ifdef CONFIG_MEMBLOCK_RSRV_KERN_RUST
	{
		static char buf[WARN_BUF];
		size_t len = ab_rust_drain_warnings(buf, sizeof(buf));

		if (len >= sizeof(buf)) {
			fprintf(out, "Rust warnings truncated\n");
			exit(2);
		}
		n += for_each_line(buf, len, " x WARN_ON(", rust_warning, log);
	}
#endif
	return n;
}

/* ------------------------------------------------------------------ */
/* State set-up and printing.                                          */

static void reset_memblock(struct rng *r)
{
	memset(init_memory_regions, 0, INIT_REGIONS * sizeof(struct memblock_region));
	memset(init_reserved_regions, 0, INIT_REGIONS * sizeof(struct memblock_region));
	memblock.memory.regions = init_memory_regions;
	memblock.memory.cnt = 0;
	memblock.memory.max = INIT_REGIONS;
	memblock.memory.total_size = 0;
	memblock.reserved.regions = init_reserved_regions;
	memblock.reserved.cnt = 0;
	memblock.reserved.max = INIT_REGIONS;
	memblock.reserved.total_size = 0;
	memblock.bottom_up = chance(r, 30);
	memblock.current_limit = DUMMY_BASE + DUMMY_SIZE;
}

static void print_type(FILE *f, const char *name, const struct memblock_type *t,
		       struct memblock_region *init)
{
	unsigned long shown = t->cnt;

	fprintf(f, "  %s: cnt=%lu max=%lu total_size=%#" PRIx64 " array=%#" PRIx64 "\n",
		name, t->cnt, t->max, (uint64_t)t->total_size, array_id(t, init));
	/* Live regions, then stale ones up to the last non-zero entry. */
	for (unsigned long i = t->cnt; i < t->max; i++)
		if (t->regions[i].base || t->regions[i].size || t->regions[i].flags ||
		    region_nid(&t->regions[i]))
			shown = i + 1;
	for (unsigned long i = 0; i < shown; i++) {
		const struct memblock_region *r = &t->regions[i];

		fprintf(f, "    %s[%lu] %#018" PRIx64 " +%#" PRIx64 " flags=%#x nid=%d\n",
			i < t->cnt ? "" : "stale ", i, (uint64_t)r->base,
			(uint64_t)r->size, r->flags, (int)region_nid(r));
	}
}

/* ------------------------------------------------------------------ */
/* The workload.                                                       */

enum op_kind {
	OP_ADD_NODE, OP_RESERVE, OP_RESERVE_KERN, OP_MARK_KERN, OP_PHYS_FREE,
	OP_REMOVE, OP_KERN_SIZE, OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
	"memblock_add_node", "memblock_reserve", "memblock_reserve_kern",
	"memblock_reserved_mark_kern", "memblock_phys_free", "memblock_remove",
	"memblock_reserved_kern_size",
};

/* Per operation: calls, errors, calls that grew an array, calls that warned. */
static unsigned long stats[OP_KINDS][4];

struct seq_state {
	struct rng rng;
	uint64_t hash;
	unsigned long ops;
	unsigned long seq;
};

static phys_addr_t rand_base(struct rng *r, bool memory)
{
	uint64_t odd = chance(r, 8) ? below(r, PG) : 0;

	switch (below(r, memory ? 3 : 6)) {
	case 0:
		return DUMMY_BASE + below(r, DUMMY_SIZE / PG) * PG + odd;
	case 1:
		return ZONE_A + below(r, 96) * PG + odd;
	case 2:
		return chance(r, 15) ? PHYS_ADDR_MAX : PHYS_ADDR_MAX - below(r, 32) * PG - odd;
	case 3:
	case 4:
		return below(r, 96) * PG + odd;
	default:
		return chance(r, 50) ? rnd(r) : DUMMY_BASE - below(r, 8) * PG;
	}
}

static phys_addr_t rand_size(struct rng *r, phys_addr_t base)
{
	unsigned int k = below(r, 100);

	if (k < 6)
		return 0;
	if (k < 46)
		return (1 + below(r, 8)) * PG;
	if (k < 61)
		return (1 + below(r, 64)) * PG;
	if (k < 69)
		return 1 + below(r, PG - 1);
	if (k < 74)
		return PHYS_ADDR_MAX;
	if (k < 79)
		return PHYS_ADDR_MAX - base;
	if (k < 84)
		return PHYS_ADDR_MAX - base + 1 + below(r, 3 * PG);
	if (k < 89)
		return rnd(r);
	return (1 + below(r, DUMMY_SIZE / PG)) * PG;
}

static int rand_nid(struct rng *r)
{
	static const int special[] = { NUMA_NO_NODE, MAX_NUMNODES, MAX_NUMNODES + 1, -7 };

	if (chance(r, 80))
		return below(r, 8);
	return special[below(r, 4)];
}

/* Whether [base, base + size) touches the pages of a live region array. */
static bool hits_array(phys_addr_t base, phys_addr_t size)
{
	const struct memblock_type *types[] = { &memblock.memory, &memblock.reserved };
	phys_addr_t end = size > PHYS_ADDR_MAX - base ? PHYS_ADDR_MAX : base + size;

	for (int i = 0; i < 2; i++) {
		const struct memblock_type *t = types[i];
		phys_addr_t a = (uintptr_t)t->regions;
		phys_addr_t b = a + ((t->max * sizeof(*t->regions) + PG - 1) & ~(PG - 1));

		if (t->regions == init_memory_regions || t->regions == init_reserved_regions)
			continue;
		if (base < b && a < end)
			return true;
	}
	return false;
}

static void run_op(struct seq_state *s, enum op_kind op, phys_addr_t base,
		   phys_addr_t size, int nid, enum memblock_flags flags)
{
	uint64_t ret;
	unsigned int warns;
	unsigned long max = memblock.memory.max + memblock.reserved.max;

	if ((op == OP_PHYS_FREE) && hits_array(base, size))
		return;

	switch (op) {
	case OP_ADD_NODE:
		ret = memblock_add_node(base, size, nid, flags);
		break;
	case OP_RESERVE:
		ret = memblock_reserve(base, size);
		break;
	case OP_RESERVE_KERN:
		ret = memblock_reserve_kern(base, size);
		break;
	case OP_MARK_KERN:
		ret = memblock_reserved_mark_kern(base, size);
		break;
	case OP_PHYS_FREE:
		ret = memblock_phys_free(base, size);
		break;
	case OP_REMOVE:
		ret = memblock_remove(base, size);
		break;
	default:
		ret = memblock_reserved_kern_size(base, nid);
		break;
	}
	/* The texts differ between C and Rust; only the count is compared. */
	warns = warn_collect(verbose ? real_stderr : NULL);

	stats[op][0]++;
	stats[op][1] += op != OP_KERN_SIZE && (int)ret < 0;
	stats[op][2] += memblock.memory.max + memblock.reserved.max != max;
	stats[op][3] += warns != 0;

	s->ops++;
	s->hash = mix(mix(mix(s->hash, op), ret), warns);
	s->hash = hash_state(s->hash);

	if (verbose) {
		if (op == OP_KERN_SIZE)
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %d) = %#" PRIx64,
				s->ops, op_names[op], (uint64_t)base, nid, ret);
		else if (op == OP_ADD_NODE)
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %#" PRIx64 ", %d, %#x) = %d",
				s->ops, op_names[op], (uint64_t)base, (uint64_t)size,
				nid, flags, (int)ret);
		else
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %#" PRIx64 ") = %d",
				s->ops, op_names[op], (uint64_t)base, (uint64_t)size, (int)ret);
		fprintf(out, " warns=%u\n", warns);
		print_type(out, "memory", &memblock.memory, init_memory_regions);
		print_type(out, "reserved", &memblock.reserved, init_reserved_regions);
	}
}

static void random_op(struct seq_state *s)
{
	struct rng *r = &s->rng;
	unsigned int k = below(r, 100);
	enum op_kind op;
	phys_addr_t base;
	enum memblock_flags flags = 0;

	if (k < 18)
		op = OP_RESERVE;
	else if (k < 42)
		op = OP_RESERVE_KERN;
	else if (k < 62)
		op = OP_MARK_KERN;
	else if (k < 75)
		op = OP_PHYS_FREE;
	else if (k < 81)
		op = OP_ADD_NODE;
	else if (k < 86)
		op = OP_REMOVE;
	else
		op = OP_KERN_SIZE;

	base = rand_base(r, op == OP_ADD_NODE);
	if (op == OP_KERN_SIZE) {
		run_op(s, op, chance(r, 10) ? PHYS_ADDR_MAX : base, 0, rand_nid(r), 0);
		return;
	}
	if (op == OP_ADD_NODE && chance(r, 20))
		flags = chance(r, 50) ? MEMBLOCK_NOMAP : MEMBLOCK_HOTPLUG;
	run_op(s, op, base, rand_size(r, base), rand_nid(r), flags);
}

/*
 * Many disjoint reservations, so that the arrays fill up: the Rust port then
 * takes its count-grow-insert path and grows the array itself.
 */
static void prefill(struct seq_state *s, unsigned int n)
{
	struct rng *r = &s->rng;
	phys_addr_t zone = chance(r, 50) ? 0 : ZONE_A;
	phys_addr_t base = zone + below(r, 4) * PG;

	for (unsigned int i = 0; i < n; i++) {
		phys_addr_t size = (1 + below(r, 2)) * PG;
		enum op_kind op = chance(r, 55) ? OP_RESERVE_KERN : OP_RESERVE;

		if (chance(r, 10))
			op = OP_MARK_KERN;
		run_op(s, op, base, size, 0, 0);
		base += size + (chance(r, 10) ? 0 : (1 + below(r, 2)) * PG);
	}
}

static void run_sequence(struct seq_state *s)
{
	struct rng *r = &s->rng;
	unsigned int kind = below(r, 100);
	unsigned int n;

	reset_memblock(r);
	s->hash = mix(0x5eed, s->seq);
	s->ops = 0;

	/* Memory to allocate doubled arrays from: one to three nodes. */
	n = 1 + below(r, 3);
	for (unsigned int i = 0; i < n; i++) {
		phys_addr_t part = DUMMY_SIZE / n;

		run_op(s, OP_ADD_NODE, DUMMY_BASE + i * part, part, i, 0);
	}
	/* Sometimes no room at all for a doubled array: -ENOMEM paths. */
	if (chance(r, 12))
		run_op(s, OP_RESERVE, DUMMY_BASE + below(r, 4) * PG, DUMMY_SIZE, 0, 0);

	if (kind < 70) {
		n = 1 + below(r, 24);
	} else if (kind < 90) {
		n = 24 + below(r, 56);
	} else {
		prefill(s, 40 + below(r, chance(r, 30) ? 600 : 260));
		n = 10 + below(r, 50);
	}
	for (unsigned int i = 0; i < n; i++)
		random_op(s);
}

/* ------------------------------------------------------------------ */

static void check_layout(void)
{
#ifdef CONFIG_MEMBLOCK_RSRV_KERN_RUST
	const size_t c[6] = {
		sizeof(struct memblock_region), sizeof(struct memblock_type),
		sizeof(struct memblock), offsetof(struct memblock_region, flags),
		offsetof(struct memblock_type, regions),
		offsetof(struct memblock, reserved),
	};

	for (int i = 0; i < 6; i++) {
		if (c[i] != ab_rust_layout[i]) {
			fprintf(out, "layout mismatch %d: C %zu, Rust %zu\n", i, c[i],
				ab_rust_layout[i]);
			exit(2);
		}
	}
	ab_rust_capture_warnings(true);
#endif
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, total_ops = 0;
	unsigned long count = 100000, only = 0;
	bool one = false;
	void *mem;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:q:v")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			only = strtoul(optarg, NULL, 0);
			one = true;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n sequences] [-q seq [-v]]\n",
				argv[0]);
			return 2;
		}
	}

	/* Results on the original stdout; memblock's printf()s go elsewhere. */
	out = fdopen(dup(1), "w");
	if (!out || !freopen(verbose ? "/dev/stderr" : "/dev/null", "w", stdout)) {
		perror("stdout");
		return 2;
	}
	setvbuf(out, NULL, verbose ? _IOLBF : _IOFBF, 1 << 16);
	setvbuf(stdout, NULL, _IOLBF, 0);

	mem = mmap((void *)DUMMY_BASE, DUMMY_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (mem != (void *)DUMMY_BASE) {
		fprintf(stderr, "cannot map dummy memory at %#llx: %s\n",
			DUMMY_BASE, strerror(errno));
		return 2;
	}
	check_layout();
	real_stderr = stderr;
	warn_capture_start();

	init_memory_regions = memblock.memory.regions;
	init_reserved_regions = memblock.reserved.regions;
	if (memblock.memory.max != INIT_REGIONS || memblock.reserved.max != INIT_REGIONS) {
		fprintf(out, "unexpected initial array sizes\n");
		return 2;
	}
	memblock_allow_resize();

	for (unsigned long i = one ? only : 0; i < (one ? only + 1 : count); i++) {
		struct seq_state s = { .seq = i };

		rng_seed(&s.rng, seed, i);
		if (verbose)
			fprintf(out, "sequence %lu (seed %#" PRIx64 ")\n", i, seed);
		run_sequence(&s);
		total_ops += s.ops;
		fprintf(out, "S %lu %lu %016" PRIx64 "\n", i, s.ops, s.hash);
	}
	for (int op = 0; op < OP_KINDS; op++)
		fprintf(out, "# %-28s %9lu calls %7lu errors %6lu grew %7lu warned\n",
			op_names[op], stats[op][0], stats[op][1], stats[op][2], stats[op][3]);
	fprintf(out, "T %lu %" PRIu64 "\n", one ? 1 : count, total_ops);
	fflush(out);
	return 0;
}
