/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The deterministic PRNG (xorshift64) of the EFI memory map host tests:
 * a fixed seed makes every failure reproducible.  Each program sets
 * rng_state (its default seed, or one from the command line).
 */
#ifndef EFI_MEMMAP_TEST_RNG_H
#define EFI_MEMMAP_TEST_RNG_H

#include <linux/types.h>

static u64 rng_state;

static inline u64 rnd(void)
{
	u64 x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static inline u64 rnd_below(u64 n)
{
	return n ? rnd() % n : 0;
}

#endif /* EFI_MEMMAP_TEST_RNG_H */
