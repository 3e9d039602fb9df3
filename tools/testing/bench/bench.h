/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the bench drivers (tools/testing/bench): measuring one call
 * under valgrind's callgrind.
 *
 * The drivers run under `valgrind --tool=callgrind --collect-atstart=no`:
 * nothing is counted but what runs between the two CALLGRIND_TOGGLE_COLLECT
 * of MEASURE(), i.e. the measured call and everything it calls (memmove(),
 * the C helpers the Rust glue calls, the arch_accept_memory() stub), and
 * each MEASURE() ends with a dump whose description is its label:
 * "<operation>\t<input size>\t<C|Rust>".  run.sh reads the dumps, takes off
 * the cost of an empty MEASURE() (the "calibration" label) and prints the
 * table.  Outside valgrind the client requests are no-ops.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <valgrind/callgrind.h>

/* Runs @stmt once, counted, and dumps the count under "@op\t@size\t@side". */
#define MEASURE(op, size, side, stmt) do {				\
	char __label[160];						\
	snprintf(__label, sizeof(__label), "%s\t%s\t%s", op, size, side); \
	CALLGRIND_TOGGLE_COLLECT;					\
	stmt;								\
	CALLGRIND_TOGGLE_COLLECT;					\
	CALLGRIND_DUMP_STATS_AT(__label);				\
} while (0)

/* The cost of MEASURE() itself, which run.sh subtracts from every row. */
static inline void bench_calibrate(void)
{
	MEASURE("calibration", "-", "-", (void)0);
}

/* "128", "1 MiB", ... as the table prints input sizes. */
static inline const char *bench_size(char *buf, size_t n, unsigned long long v,
				     const char *unit)
{
	snprintf(buf, n, "%llu%s%s", v, unit[0] ? " " : "", unit);
	return buf;
}

#endif
