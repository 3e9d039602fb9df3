// SPDX-License-Identifier: GPL-2.0
/*
 * memblock A/B driver: a seeded random differential workload for the
 * MEMBLOCK_RSRV_KERN API on top of the real mm/memblock.c, built in
 * userspace like tools/testing/memblock.
 *
 * The same source is linked twice: once with the C memblock_reserve_kern(),
 * memblock_reserved_mark_kern() and memblock_reserved_kern_size() of
 * mm/memblock.c, once with CONFIG_MEMBLOCK_RSRV_KERN_RUST and the Rust
 * implementation (mm/memblock_rsrv_kern_rust.rs as a static library).  Both run
 * the same sequences of operations; after every operation the complete
 * state of memblock.memory and memblock.reserved (cnt, max, total_size,
 * where the array lives, and base/size/flags/nid of every entry up to max,
 * including the stale ones behind cnt), the return value and which
 * WARN_ON()s fired are folded into a per-sequence hash.  The two outputs
 * must be identical.
 *
 * Warnings are compared by identity, not just by number: each WARN_ON()
 * ("assertion failed at <file>:<line>") is mapped to "<function>:
 * WARN_ON(<condition>)" by reading the function and the condition at that
 * line of the source it was built from.  The Rust counts the WARN_ON()s of
 * memblock_add_range() and fires them through the C helper
 * memblock_add_range_warn() (patches/0003), one WARN_ON() per condition;
 * each of the helper's sites stands for the C site of the same condition.
 * An operation's warnings are folded in as the sorted list of (identifier,
 * count), so the order within an operation is not compared; which warnings
 * fired, and how often each, is.  Anything the Rust prints as a warning
 * itself counts as a warning of its own, which the C never fires.
 *
 * With CONFIG_NUMA, sequences also put node ids on memblock.reserved as x86
 * NUMA init does (memblock_set_node() of everything to NUMA_NO_NODE, of each
 * memory region's range to its node, and of random ranges to random nids),
 * and ask memblock_reserved_kern_size() for every node id in use.
 *
 *   ab [-s SEED] [-n SEQUENCES]       one line per sequence, then totals
 *   ab [-s SEED] -q SEQ [-v]          replay one sequence; -v prints every
 *                                     operation and state (for diffs)
 *   -x                                self-test: take the Rust's
 *                                     WARN_ON(flags != rgn->flags) for the
 *                                     nid WARN_ON (same count, other
 *                                     warning): must make the hashes differ
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
#include <limits.h>
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
 * Warning identifiers: "<function>: <MACRO>(<condition>)", whitespace
 * collapsed, the same for a C WARN_ON() site and the Rust warning that
 * stands for it.
 */
#define MAX_IDS		64
#define MAX_SITES	64

static bool relabel;		/* -x */
static char *ids[MAX_IDS];
static unsigned int nr_ids;

/* Copies @n bytes of @text to a new string, whitespace runs collapsed. */
static char *normalise(const char *text, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out) {
		perror("malloc");
		exit(2);
	}
	for (size_t i = 0; i < n; i++) {
		char c = text[i];

		if (c == ' ' || c == '\t' || c == '\n') {
			if (o > out && o[-1] != ' ' && o[-1] != '(')
				*o++ = ' ';
			continue;
		}
		if (c == ')' && o > out && o[-1] == ' ')
			o--;
		*o++ = c;
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = 0;
	return out;
}

/* The index of identifier @text (taken over), interned. */
static unsigned int intern(char *text)
{
	for (unsigned int i = 0; i < nr_ids; i++) {
		if (!strcmp(ids[i], text)) {
			free(text);
			return i;
		}
	}
	if (nr_ids == MAX_IDS) {
		fprintf(real_stderr, "too many distinct warnings\n");
		exit(2);
	}
	ids[nr_ids] = text;
	return nr_ids++;
}

/* "<function>: <macro>(<condition>)" from their pieces. */
static unsigned int make_id(const char *fn, size_t fn_len, const char *warn, size_t warn_len)
{
	char *a = normalise(fn, fn_len), *b = normalise(warn, warn_len);
	char *id = malloc(strlen(a) + strlen(b) + 3);

	if (!id) {
		perror("malloc");
		exit(2);
	}
	sprintf(id, "%s: %s", a, b);
	free(a);
	free(b);
	return intern(id);
}

/*
 * The identifier of the WARN at @line of @path, read from that source:
 * the WARN macro on that line with its balanced parentheses (possibly over
 * several lines), and the function around it (the kernel style puts a
 * function's opening brace alone in column 0, after a header that starts
 * in column 0).  "<path>:<line>" if the source cannot be read or parsed:
 * both builds run the same C, so even that compares C with C.
 */
static unsigned int site_id_from_source(const char *path, int line)
{
	FILE *f = fopen(path, "r");
	char **lines = NULL, *buf = NULL;
	size_t nr = 0, cap = 0, len = 0;
	unsigned int id;
	char fallback[512];

	while (f && getline(&buf, &len, f) >= 0) {
		if (nr == cap) {
			cap = cap ? 2 * cap : 4096;
			lines = realloc(lines, cap * sizeof(*lines));
			if (!lines) {
				perror("realloc");
				exit(2);
			}
		}
		lines[nr] = strdup(buf);
		if (!lines[nr++]) {
			perror("strdup");
			exit(2);
		}
	}
	free(buf);
	if (f)
		fclose(f);

	snprintf(fallback, sizeof(fallback), "%s:%d", path, line);
	id = UINT32_MAX;
	if (line >= 1 && (size_t)line <= nr) {
		const char *w = strstr(lines[line - 1], "WARN");
		size_t l = line - 1;
		int brace = -1;

		/* The enclosing function's name: before the header's '('. */
		for (long k = line - 1; k >= 0; k--) {
			if (lines[k][0] == '{') {
				brace = k;
				break;
			}
		}
		if (w && brace > 0) {
			long h = brace - 1;
			const char *paren, *name;
			char warn[1024];
			size_t wn = 0;
			int depth = 0;
			bool open = false;

			while (h > 0 && (lines[h][0] == ' ' || lines[h][0] == '\t'))
				h--;
			paren = strchr(lines[h], '(');
			name = paren;
			while (name && name > lines[h] &&
			       (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
				(name[-1] >= 'A' && name[-1] <= 'Z') ||
				(name[-1] >= '0' && name[-1] <= '9')))
				name--;
			/* The macro and its argument, to the matching ')'. */
			for (const char *c = w; wn < sizeof(warn) - 1;) {
				if (!*c) {
					if (++l >= nr)
						break;
					c = lines[l];
					continue;
				}
				warn[wn++] = *c;
				if (*c == '(') {
					depth++;
					open = true;
				} else if (*c == ')' && !--depth) {
					break;
				}
				c++;
			}
			if (paren && name < paren && open && !depth)
				id = make_id(name, paren - name, warn, wn);
		}
	}
	if (id == UINT32_MAX)
		id = intern(normalise(fallback, strlen(fallback)));
	for (size_t k = 0; k < nr; k++)
		free(lines[k]);
	free(lines);
	return id;
}

/*
 * The sites of memblock_add_range_warn(), through which the Rust fires the
 * WARN_ON()s of memblock_add_range() it counted, and the C sites they
 * stand for.
 */
static const char *const helper_sites[][2] = {
	{ "memblock_add_range_warn: WARN_ON(nid_mismatch)",
	  "memblock_add_range: WARN_ON(nid != memblock_get_region_node(rgn))" },
	{ "memblock_add_range_warn: WARN_ON(flags_mismatch)",
	  "memblock_add_range: WARN_ON(flags != rgn->flags)" },
	{ "memblock_add_range_warn: WARN_ON(empty_not_clean)",
	  "memblock_add_range: WARN_ON(type->cnt != 0 || type->total_size)" },
};

/* @id, or the C site it stands for if it is a site of the helper. */
static unsigned int helper_site(unsigned int id)
{
	for (size_t i = 0; i < sizeof(helper_sites) / sizeof(helper_sites[0]); i++) {
		const char *to = helper_sites[i][1];

		if (strcmp(ids[id], helper_sites[i][0]))
			continue;
		/* -x: the self-test's deliberate mislabelling. */
		if (relabel && i == 1)
			to = helper_sites[0][1];
		return intern(strdup(to));
	}
	return id;
}

/* The identifier of the C WARN at @path:@line, cached per site. */
static unsigned int site_id(const char *path, size_t path_len, int line)
{
	static struct { char *path; int line; unsigned int id; } sites[MAX_SITES];
	static unsigned int nr_sites;
	char *p;

	for (unsigned int i = 0; i < nr_sites; i++)
		if (sites[i].line == line && strlen(sites[i].path) == path_len &&
		    !memcmp(sites[i].path, path, path_len))
			return sites[i].id;
	p = strndup(path, path_len);
	if (!p) {
		perror("strndup");
		exit(2);
	}
	if (nr_sites == MAX_SITES) {
		fprintf(real_stderr, "too many WARN sites\n");
		exit(2);
	}
	sites[nr_sites] = (typeof(sites[0])){ p, line, helper_site(site_id_from_source(p, line)) };
	return sites[nr_sites++].id;
}

/* The warnings of one operation: how often each identifier fired. */
struct op_warns {
	unsigned int total;
	unsigned int n;
	unsigned int id[MAX_IDS];
	unsigned int count[MAX_IDS];
};

static void warns_add(struct op_warns *w, unsigned int id, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < w->n && w->id[i] != id; i++)
		;
	if (i == w->n) {
		w->id[w->n] = id;
		w->count[w->n++] = 0;
	}
	w->count[i] += count;
	w->total += count;
}

/* Sorts the list by identifier text: the order the two builds share. */
static void warns_sort(struct op_warns *w)
{
	for (unsigned int i = 1; i < w->n; i++)
		for (unsigned int j = i; j > 0 && strcmp(ids[w->id[j - 1]], ids[w->id[j]]) > 0; j--) {
			unsigned int t = w->id[j], c = w->count[j];

			w->id[j] = w->id[j - 1];
			w->count[j] = w->count[j - 1];
			w->id[j - 1] = t;
			w->count[j - 1] = c;
		}
}

NO_SANITIZE static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* A C WARN_ON() line: "assertion failed at <path>:<line>". */
static unsigned int c_warning(const char *line, size_t n, FILE *log, struct op_warns *w)
{
	const char *file = memmem(line, n, " at ", 4);
	const char *colon;

	if (log)
		fprintf(log, "  C: %.*s\n", (int)n, line);
	if (!file)
		return 0;
	file += 4;
	colon = memrchr(file, ':', line + n - file);
	if (!colon)
		return 0;
	warns_add(w, site_id(file, colon - file, atoi(colon + 1)), 1);
	return 1;
}

#ifdef CONFIG_MEMBLOCK_RSRV_KERN_RUST
/* A line the Rust printed through pr_warn!(): a warning of its own. */
static unsigned int rust_warning(const char *line, size_t n, FILE *log, struct op_warns *w)
{
	if (log)
		fprintf(log, "  Rust: %.*s\n", (int)n, line);
	warns_add(w, intern(normalise(line, n)), 1);
	return 1;
}
#endif

/*
 * Calls @fn on every line of @text[0..@len) containing @needle.  Lengths
 * are explicit: an operation over hundreds of regions warns hundreds of
 * times, and str*() rescanning the rest of the text would be quadratic.
 */
static void for_each_line(const char *text, size_t len, const char *needle,
			  unsigned int (*fn)(const char *line, size_t n, FILE *log,
					     struct op_warns *w),
			  FILE *log, struct op_warns *w)
{
	const char *end = text + len;

	while (text < end) {
		const char *eol = memchr(text, '\n', end - text);
		size_t n = (eol ? eol : end) - text;

		if (memmem(text, n, needle, strlen(needle)))
			fn(text, n, log, w);
		text += n + 1;
	}
}

/* The WARN_ON()s since the last call, sorted; their text goes to @log. */
static void warn_collect(FILE *log, struct op_warns *w)
{
	w->n = w->total = 0;
	fflush(warn_stream);
	if (warn_len) {
		for_each_line(warn_text, warn_len, "assertion failed at", c_warning, log, w);
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
		for_each_line(buf, len, "", rust_warning, log, w);
	}
#endif
	warns_sort(w);
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
	OP_REMOVE, OP_KERN_SIZE, OP_SET_NODE, OP_KINDS
};

static const char *const op_names[OP_KINDS] = {
	"memblock_add_node", "memblock_reserve", "memblock_reserve_kern",
	"memblock_reserved_mark_kern", "memblock_phys_free", "memblock_remove",
	"memblock_reserved_kern_size", "memblock_set_node(reserved)",
};

/*
 * Per operation: calls, errors, calls that grew an array, calls that
 * warned, WARN_ON()s.
 */
static unsigned long stats[OP_KINDS][5];

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
	struct op_warns w;
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
	case OP_SET_NODE:
		ret = memblock_set_node(base, size, &memblock.reserved, nid);
		break;
	default:
		ret = memblock_reserved_kern_size(base, nid);
		break;
	}
	/* The texts differ between C and Rust; their identifiers must not. */
	warn_collect(verbose ? real_stderr : NULL, &w);

	stats[op][0]++;
	stats[op][1] += op != OP_KERN_SIZE && (int)ret < 0;
	stats[op][2] += memblock.memory.max + memblock.reserved.max != max;
	stats[op][3] += w.total != 0;
	stats[op][4] += w.total;

	s->ops++;
	s->hash = mix(mix(mix(s->hash, op), ret), w.total);
	for (unsigned int i = 0; i < w.n; i++)
		s->hash = mix(hash_str(s->hash, ids[w.id[i]]), w.count[i]);
	s->hash = hash_state(s->hash);

	if (verbose) {
		if (op == OP_KERN_SIZE)
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %d) = %#" PRIx64,
				s->ops, op_names[op], (uint64_t)base, nid, ret);
		else if (op == OP_ADD_NODE)
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %#" PRIx64 ", %d, %#x) = %d",
				s->ops, op_names[op], (uint64_t)base, (uint64_t)size,
				nid, flags, (int)ret);
		else if (op == OP_SET_NODE)
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %#" PRIx64 ", %d) = %d",
				s->ops, op_names[op], (uint64_t)base, (uint64_t)size,
				nid, (int)ret);
		else
			fprintf(out, "op %lu: %s(%#" PRIx64 ", %#" PRIx64 ") = %d",
				s->ops, op_names[op], (uint64_t)base, (uint64_t)size, (int)ret);
		fprintf(out, " warns=%u", w.total);
		for (unsigned int i = 0; i < w.n; i++)
			fprintf(out, "%s%u x %s", i ? ", " : " [", w.count[i], ids[w.id[i]]);
		fprintf(out, "%s\n", w.n ? "]" : "");
		print_type(out, "memory", &memblock.memory, init_memory_regions);
		print_type(out, "reserved", &memblock.reserved, init_reserved_regions);
	}
}

#ifdef CONFIG_NUMA
/*
 * What x86 NUMA init does to memblock.reserved: memblock_set_node() of
 * each memory region's range to its node (numa_register_meminfo(),
 * memmap_init_reserved_pages()).
 */
static void nodes_from_memory(struct seq_state *s)
{
	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		const struct memblock_region *m = &memblock.memory.regions[i];

		run_op(s, OP_SET_NODE, m->base, m->size, m->nid, 0);
	}
}

/* memblock_reserved_kern_size() for every node id in use, and all nodes. */
static void kern_size_per_node(struct seq_state *s, phys_addr_t limit)
{
	int nids[64], n = 0;

	for (unsigned long i = 0; i < memblock.reserved.cnt && n < 63; i++) {
		int nid = memblock.reserved.regions[i].nid, j;

		for (j = 0; j < n && nids[j] != nid; j++)
			;
		if (j == n)
			nids[n++] = nid;
	}
	nids[n++] = NUMA_NO_NODE;
	for (int j = 0; j < n; j++)
		if (j == n - 1 || nids[j] != NUMA_NO_NODE)
			run_op(s, OP_KERN_SIZE, limit, 0, nids[j], 0);
}

/* Node ids on memblock.reserved: whole, per memory region, or random. */
static void numa_op(struct seq_state *s)
{
	struct rng *r = &s->rng;
	unsigned int k = below(r, 100);
	phys_addr_t base;

	if (k < 20) {
		/* numa_init(): everything to NUMA_NO_NODE. */
		run_op(s, OP_SET_NODE, 0, ULLONG_MAX, NUMA_NO_NODE, 0);
	} else if (k < 35) {
		nodes_from_memory(s);
	} else if (k < 55) {
		kern_size_per_node(s, chance(r, 30) ? PHYS_ADDR_MAX : rand_base(r, false));
	} else {
		base = rand_base(r, false);
		run_op(s, OP_SET_NODE, base, rand_size(r, base), rand_nid(r), 0);
	}
}
#endif

static void random_op(struct seq_state *s)
{
	struct rng *r = &s->rng;
	unsigned int k;
	enum op_kind op;
	phys_addr_t base;
	enum memblock_flags flags = 0;

#ifdef CONFIG_NUMA
	if (chance(r, 10)) {
		numa_op(s);
		return;
	}
#endif
	k = below(r, 100);
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
#ifdef CONFIG_NUMA
	/* Sometimes NUMA init first: NUMA_NO_NODE, then the memory's nodes. */
	if (chance(r, 40)) {
		run_op(s, OP_SET_NODE, 0, ULLONG_MAX, NUMA_NO_NODE, 0);
		nodes_from_memory(s);
	}
#endif
	for (unsigned int i = 0; i < n; i++)
		random_op(s);
#ifdef CONFIG_NUMA
	kern_size_per_node(s, PHYS_ADDR_MAX);
#endif
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

	while ((opt = getopt(argc, argv, "s:n:q:vx")) != -1) {
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
		case 'x':
			relabel = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s seed] [-n sequences] [-q seq [-v]] [-x]\n",
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
		fprintf(out, "# %-28s %9lu calls %7lu errors %6lu grew %7lu warned %7lu WARN_ONs\n",
			op_names[op], stats[op][0], stats[op][1], stats[op][2], stats[op][3],
			stats[op][4]);
	fprintf(out, "T %lu %" PRIu64 "\n", one ? 1 : count, total_ops);
	fflush(out);
	return 0;
}
