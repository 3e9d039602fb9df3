// SPDX-License-Identifier: GPL-2.0
/*
 * Bench driver for the EFI memory map helpers: the tree's C
 * drivers/firmware/efi/memmap_ranges.c (every efi_mm_* renamed c_efi_mm_*,
 * as in tools/testing/efi-memmap) against the Rust
 * efi_memmap_ranges.rs/_ffi.rs (the bootmem-host static library, kernel
 * names), called through the same C ABI.
 *
 * Maps of 64 to 65536 descriptors of stride 48 (what x86 firmware uses),
 * sorted and contiguous, 1 to 16 pages each, types cycling through
 * conventional, boot services code, boot services data, loader data and
 * runtime services data:
 *
 *   efi_mm_sorted():        the walk over the whole map (sorted: true);
 *   efi_mm_find_overlap():  of the last descriptor (none: a whole walk);
 *   efi_mm_compact():       dropping the boot services descriptors (2 in
 *                           5), the efi_memmap_filter() step, with a C
 *                           predicate shared by both sides;
 *   efi_mm_free_ranges():   of one region spanning the whole map, against
 *                           a memblock.reserved snapshot of one entry per
 *                           descriptor, every third one kept (RSRV_KERN).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/efi_memmap_ranges.h>
#include "bench.h"

/* The C implementation, renamed at build time (see run.sh). */
bool c_efi_mm_sorted(const void *map, size_t nr, size_t desc_size);
long c_efi_mm_find_overlap(const void *map, size_t nr, size_t desc_size, size_t idx);
size_t c_efi_mm_compact(void *map, size_t nr, size_t desc_size,
			bool (*keep)(const void *desc, void *ctx), void *ctx);
enum efi_mm_status c_efi_mm_free_ranges(u64 start, u64 end, const struct efi_mm_rsv *rsv,
					size_t nr_rsv, u64 floor, u64 page_size,
					struct efi_mm_range *out, size_t max_out,
					size_t *nr_out);

#define DS		48
#define MAX_N		65536
#define BASE		(16ULL << 20)

static unsigned char map[MAX_N * DS], pristine[MAX_N * DS];
static struct efi_mm_rsv rsv[MAX_N];
static struct efi_mm_range out[MAX_N + 1];
static u64 map_end;

static const u32 types[] = { 7, 3, 4, 2, 6 };

static void setup(size_t n)
{
	u64 addr = BASE;

	memset(pristine, 0, sizeof(pristine));
	for (size_t i = 0; i < n; i++) {
		struct efi_mm_desc d = {
			.type = types[i % 5],
			.phys_addr = addr,
			.num_pages = 1 + (i * 7) % 16,
			.attribute = 0xf,
		};

		memcpy(pristine + i * DS, &d, sizeof(d));
		/* One reservation per descriptor; every third kept. */
		rsv[i] = (struct efi_mm_rsv){ addr, d.num_pages << 12, i % 3 == 0 };
		addr += d.num_pages << 12;
	}
	map_end = addr;
	memcpy(map, pristine, n * DS);
}

/* efi_memmap_filter()'s predicate: drop boot services descriptors. */
static bool keep_not_boot_services(const void *desc, void *ctx)
{
	const struct efi_mm_desc *d = desc;

	return d->type != 3 && d->type != 4;
}

static volatile long sink;

int main(void)
{
	static const size_t sizes[] = { 64, 256, 1024, 4096, 16384, 65536 };
	char sz[32];
	size_t nr_out;

	bench_calibrate();
	for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		long kept_c, kept_r;

		bench_size(sz, sizeof(sz), n, "descriptors");
		setup(n);

		sink = c_efi_mm_sorted(map, n, DS) + efi_mm_sorted(map, n, DS);
		MEASURE("efi_mm_sorted() (map walk)", sz, "C",
			sink = c_efi_mm_sorted(map, n, DS));
		MEASURE("efi_mm_sorted() (map walk)", sz, "Rust",
			sink = efi_mm_sorted(map, n, DS));

		MEASURE("efi_mm_find_overlap()", sz, "C",
			sink = c_efi_mm_find_overlap(map, n, DS, n - 1));
		MEASURE("efi_mm_find_overlap()", sz, "Rust",
			sink = efi_mm_find_overlap(map, n, DS, n - 1));

		sink = c_efi_mm_compact(map, n, DS, keep_not_boot_services, NULL);
		memcpy(map, pristine, n * DS);
		sink = efi_mm_compact(map, n, DS, keep_not_boot_services, NULL);
		memcpy(map, pristine, n * DS);
		MEASURE("efi_mm_compact() (efi_memmap_filter)", sz, "C",
			kept_c = c_efi_mm_compact(map, n, DS, keep_not_boot_services, NULL));
		memcpy(map, pristine, n * DS);
		MEASURE("efi_mm_compact() (efi_memmap_filter)", sz, "Rust",
			kept_r = efi_mm_compact(map, n, DS, keep_not_boot_services, NULL));
		memcpy(map, pristine, n * DS);
		if (kept_c != kept_r)
			fprintf(stderr, "memmap_bench: compact kept %ld vs %ld\n", kept_c, kept_r);

		sink = c_efi_mm_free_ranges(BASE, map_end, rsv, n, 1 << 20, 4096, out,
					    MAX_N + 1, &nr_out);
		sink = efi_mm_free_ranges(BASE, map_end, rsv, n, 1 << 20, 4096, out,
					  MAX_N + 1, &nr_out);
		MEASURE("efi_mm_free_ranges()", sz, "C",
			sink = c_efi_mm_free_ranges(BASE, map_end, rsv, n, 1 << 20, 4096, out,
						    MAX_N + 1, &nr_out));
		MEASURE("efi_mm_free_ranges()", sz, "Rust",
			sink = efi_mm_free_ranges(BASE, map_end, rsv, n, 1 << 20, 4096, out,
						  MAX_N + 1, &nr_out));
	}
	return 0;
}
