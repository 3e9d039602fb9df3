// SPDX-License-Identifier: GPL-2.0
/*
 * What the memblock fuzz target needs besides mm/memblock.c and the
 * simulator: the "movable_node" stub (tools/testing/memblock/tests/common.c)
 * and the capture of the C's WARN_ON()s, which the simulator prints to
 * stderr ("assertion failed at <file>:<line>").
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool movable_node_enabled;

static FILE *capture;
static char *text;
static size_t text_len;

/* From now on the C's stderr (its WARN_ON()s) goes to a buffer. */
void fz_capture_c_warnings(void)
{
	if (capture)
		return;
	capture = open_memstream(&text, &text_len);
	if (capture)
		stderr = capture;
}

/* The C WARN_ON()s since the last call. */
unsigned long fz_c_warnings(void)
{
	unsigned long n = 0;
	const char *p, *end;

	if (!capture)
		return 0;
	fflush(capture);
	end = text + text_len;
	/* FZ_VERBOSE=1: the warnings' text to the real stderr, for replays. */
	if (text_len && getenv("FZ_VERBOSE"))
		(void)!write(2, text, text_len);
	for (p = text; p < end && (p = memmem(p, end - p, "assertion failed", 16)); p += 16)
		n++;
	rewind(capture);
	return n;
}
