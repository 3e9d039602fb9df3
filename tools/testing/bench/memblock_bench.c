// SPDX-License-Identifier: GPL-2.0
/*
 * Bench driver for the MEMBLOCK_RSRV_KERN functions on the userspace
 * memblock simulator (tools/testing/memblock of KDIR, the tree's real
 * mm/memblock.c).  Built twice by run.sh, like tools/testing/memblock-ab:
 * with the C memblock_reserve_kern(), memblock_reserved_mark_kern() and
 * memblock_reserved_kern_size() of mm/memblock.c, and with
 * CONFIG_MEMBLOCK_RSRV_KERN_RUST and the Rust glue (mm/memblock_rsrv_kern_rust.rs
 * as a static library).  The NUMA layout (x86-64 has CONFIG_NUMA).
 *
 * For every table size, memblock.reserved is set up (not counted) as N
 * disjoint, non-adjacent reservations of 2 pages every 4 pages, every other
 * one flagged MEMBLOCK_RSRV_KERN, in an array of 2N entries (the capacity
 * memblock's doubling gives), and each operation runs once as a warm-up and
 * once counted on the same state:
 *
 *   mark_kern (split):  memblock_reserved_mark_kern() of the middle of the
 *                       region in the middle of the table (two splits);
 *   mark_kern (whole):  the same of exactly that region (no split);
 *   reserve_kern:       memblock_reserve_kern() of a page in the gap after
 *                       that region (the C's counting pass finds no room
 *                       for cnt * 2 + 1, then the inserting pass runs);
 *   kern_size:          memblock_reserved_kern_size(PHYS_ADDR_MAX,
 *                       NUMA_NO_NODE) (the whole table).
 *
 *   memblock_bench         one MEASURE() dump per row (see bench.h)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include <linux/seq_file.h>
#include <linux/memblock.h>
#include "bench.h"

#ifdef CONFIG_MEMBLOCK_RSRV_KERN_RUST
#define SIDE "Rust"
#else
#define SIDE "C"
#endif

#define PG		0x1000ULL
#define BASE		0x100000000ULL
#define MAX_N		8192

/* The simulator's stub for the "movable_node" parameter (tests/common.c). */
bool movable_node_enabled;

static struct memblock_region regions[2 * MAX_N], saved[2 * MAX_N];
static struct memblock_type saved_type;

static phys_addr_t region_base(unsigned long i)
{
	return BASE + i * 4 * PG;
}

static void setup(unsigned long n)
{
	memset(regions, 0, sizeof(regions));
	memblock.reserved.regions = regions;
	memblock.reserved.cnt = 0;
	memblock.reserved.max = 2 * n;
	memblock.reserved.total_size = 0;
	for (unsigned long i = 0; i < n; i++) {
		if (memblock_reserve(region_base(i), 2 * PG)) {
			fprintf(stderr, "memblock_bench: set-up failed\n");
			exit(2);
		}
	}
	/* Not adjacent, so flagging every other one leaves a valid table. */
	for (unsigned long i = 0; i < n; i += 2)
		regions[i].flags |= MEMBLOCK_RSRV_KERN;
	if (memblock.reserved.cnt != n || memblock.reserved.max != 2 * n) {
		fprintf(stderr, "memblock_bench: unexpected table (cnt %lu max %lu)\n",
			memblock.reserved.cnt, memblock.reserved.max);
		exit(2);
	}
	memcpy(saved, regions, sizeof(regions));
	saved_type = memblock.reserved;
}

static void restore(void)
{
	memcpy(regions, saved, sizeof(regions));
	memblock.reserved = saved_type;
}

static volatile int sink_int;
static volatile phys_addr_t sink_size;

int main(void)
{
	static const unsigned long sizes[] = { 128, 512, 2048, 8192 };
	char sz[32];

	bench_calibrate();
	for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned long n = sizes[k], mid = n / 2 + 1;	/* not RSRV_KERN */
		phys_addr_t b = region_base(mid);

		bench_size(sz, sizeof(sz), n, "regions");
		setup(n);

		sink_int = memblock_reserved_mark_kern(b + PG / 2, PG);
		restore();
		MEASURE("memblock_reserved_mark_kern() (split)", sz, SIDE,
			sink_int = memblock_reserved_mark_kern(b + PG / 2, PG));
		if (memblock.reserved.cnt != n + 2)
			fprintf(stderr, "memblock_bench: mark_kern (split): cnt %lu\n",
				memblock.reserved.cnt);
		restore();

		sink_int = memblock_reserved_mark_kern(b, 2 * PG);
		restore();
		MEASURE("memblock_reserved_mark_kern() (whole)", sz, SIDE,
			sink_int = memblock_reserved_mark_kern(b, 2 * PG));
		restore();

		sink_int = memblock_reserve_kern(b + 3 * PG, PG / 2);
		restore();
		MEASURE("memblock_reserve_kern()", sz, SIDE,
			sink_int = memblock_reserve_kern(b + 3 * PG, PG / 2));
		if (memblock.reserved.cnt != n + 1)
			fprintf(stderr, "memblock_bench: reserve_kern: cnt %lu\n",
				memblock.reserved.cnt);
		restore();

		sink_size = memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE);
		MEASURE("memblock_reserved_kern_size()", sz, SIDE,
			sink_size = memblock_reserved_kern_size(PHYS_ADDR_MAX, NUMA_NO_NODE));
		if (sink_size != (n + 1) / 2 * 2 * PG)
			fprintf(stderr, "memblock_bench: kern_size %#llx\n",
				(unsigned long long)sink_size);
	}
	return 0;
}
