// SPDX-License-Identifier: GPL-2.0
/*
 * Reading EFI memory maps from efi=debug kernel logs, see memmap_log.h.
 * Moved here from diff.c so that tools/bootmem-replay reads logs exactly
 * as the differential test reads its fixtures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "memmap_log.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *const type_names[] = {
	"Reserved", "Loader Code", "Loader Data", "Boot Code", "Boot Data",
	"Runtime Code", "Runtime Data", "Conventional", "Unusable",
	"ACPI Reclaim", "ACPI Mem NVS", "MMIO", "MMIO Port", "PAL Code",
	"Persistent", "Unaccepted",
};

/* The names before 5.x (efi_md_typeattr_format() of 4.x). */
static const char *const old_type_names[] = {
	"Reserved", "Loader Code", "Loader Data", "Boot Code", "Boot Data",
	"Runtime Code", "Runtime Data", "Conventional Memory",
	"Unusable Memory", "ACPI Reclaim Memory", "ACPI Memory NVS",
	"Memory Mapped I/O", "MMIO Port Space", "PAL Code",
	"Persistent Memory",
};

static const struct { const char *name; u64 bit; } attr_names[] = {
	{ "RUN", 1ULL << 63 }, { "HP", 1ULL << 20 }, { "CC", 1ULL << 19 },
	{ "SP", 1ULL << 18 }, { "RO", 1ULL << 17 }, { "MR", 1ULL << 16 },
	{ "NV", 1ULL << 15 }, { "XP", 1ULL << 14 }, { "RP", 1ULL << 13 },
	{ "WP", 1ULL << 12 }, { "UCE", 1ULL << 4 }, { "WB", 1ULL << 3 },
	{ "WT", 1ULL << 2 }, { "WC", 1ULL << 1 }, { "UC", 1ULL << 0 },
};

const char *efi_log_type_name(u32 type, char *buf, size_t len)
{
	if (type < ARRAY_SIZE(type_names))
		return type_names[type];
	snprintf(buf, len, "type %u", type);
	return buf;
}

static int type_by_name(const char *s, size_t n)
{
	size_t i;

	while (n && s[n - 1] == ' ')
		n--;
	for (i = 0; i < ARRAY_SIZE(type_names); i++)
		if (strlen(type_names[i]) == n && !strncmp(s, type_names[i], n))
			return i;
	for (i = 0; i < ARRAY_SIZE(old_type_names); i++)
		if (strlen(old_type_names[i]) == n && !strncmp(s, old_type_names[i], n))
			return i;
	return -1;
}

const char *efi_log_md_text(const char *line, unsigned long *idx)
{
	const char *m = strstr(line, "efi: mem");
	char *end;

	if (!m || m[8] < '0' || m[8] > '9')
		return NULL;
	*idx = strtoul(m + 8, &end, 10);
	if (end[0] != ':' || end[1] != ' ')
		return NULL;
	return end + 2;
}

bool efi_log_runtime_map_start(const char *line)
{
	return strstr(line, "efi: EFI runtime memory map:") != NULL;
}

#define FAIL(...) do { snprintf(why, EFI_LOG_WHY, __VA_ARGS__); return false; } while (0)

/* The printed size must agree: a cross-check of the parse. */
static bool check_mb(const char *p, const char *fmt, u64 a, u64 b, char *why)
{
	unsigned long long mb;

	if (!p || sscanf(p, fmt, &mb) != 1)
		FAIL("no size in MB after the range");
	if (mb != (b - a) >> 20)
		FAIL("printed size %lluMB does not match the range (%lluMB)",
		     mb, (unsigned long long)((b - a) >> 20));
	return true;
}

static bool set_range(struct efi_mm_desc *d, u64 a, u64 b, char *why)
{
	if (b <= a)
		FAIL("empty or reversed range [%#llx-%#llx)",
		     (unsigned long long)a, (unsigned long long)b);
	if ((a | b) & 0xfff)
		FAIL("range [%#llx-%#llx) is not in whole 4 KiB pages",
		     (unsigned long long)a, (unsigned long long)b);
	d->phys_addr = a;
	d->num_pages = (b - a) >> 12;
	return true;
}

bool efi_log_parse_md(const char *l, struct efi_mm_desc *d, char *why)
{
	unsigned long long a, b, attr;
	const char *p, *q;
	unsigned int t;
	size_t i;
	char end;

	memset(d, 0, sizeof(*d));
	if (sscanf(l, "type=%u, attr=%llx, range=[%llx-%llx%c", &t, &attr, &a, &b, &end) == 5) {
		/* 3.x: the end is exclusive, ")" */
		if (end != ')')
			FAIL("3.x range must end with ')'");
		if (!set_range(d, a, b, why) ||
		    !check_mb(strstr(l, ") ("), ") (%lluMB)", a, b, why))
			return false;
		d->type = t;
		d->attribute = attr;
		return true;
	}
	if (*l != '[')
		FAIL("expected '[type|attributes]' or 'type=N, attr=0x...'");
	if (!(q = strstr(l, "] range=[")))
		FAIL("no '] range=[' after the type and attributes");
	/* "]" ends inclusive ranges (4.1+), ")" exclusive ones (4.0). */
	if (sscanf(q, "] range=[%llx-%llx%c", &a, &b, &end) != 3)
		FAIL("cannot read the range after 'range=['");
	if (end != ']' && end != ')')
		FAIL("range must end with ']' or ')', not '%c'", end);
	if (end == ']')
		b++;
	if (!set_range(d, a, b, why) ||
	    !check_mb(strchr(q + 9, '('), "(%lluMB)", a, b, why))
		return false;
	p = l + 1;
	if (sscanf(p, "type=%u", &t) == 1) {
		d->type = t;
	} else {
		const char *bar = strchr(p, '|');
		int ty = bar && bar < q ? type_by_name(p, bar - p) : -1;

		if (ty < 0) {
			const char *e = bar && bar < q ? bar : q;

			while (e > p && e[-1] == ' ')
				e--;
			FAIL("unknown memory type '%.*s'", (int)(e - p), p);
		}
		d->type = ty;
	}
	p = strchr(p, '|');
	if (p && sscanf(p, "|attr=%llx]", &attr) == 1) {
		d->attribute = attr;
		return true;
	}
	while (p && p < q) {
		const char *e = p + 1, *s = p + 1;

		while (e < q && *e != '|' && *e != ']')
			e++;
		while (s < e && *s == ' ')
			s++;
		for (i = 0; s < e && i < ARRAY_SIZE(attr_names); i++)
			if ((size_t)(e - s) == strlen(attr_names[i].name) &&
			    !strncmp(s, attr_names[i].name, e - s))
				break;
		if (s < e && i == ARRAY_SIZE(attr_names))
			FAIL("unknown attribute '%.*s'", (int)(e - s), s);
		if (s < e)
			d->attribute |= attr_names[i].bit;
		p = e < q && *e == '|' ? e : NULL;
	}
	return true;
}

long efi_log_load(const char *path, struct efi_mm_desc *out, size_t max)
{
	char line[4096], why[EFI_LOG_WHY];
	size_t n = 0, lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long idx;
		const char *t;

		lineno++;
		if (line[0] == '#')
			continue;
		if (efi_log_runtime_map_start(line))
			break;
		t = efi_log_md_text(line, &idx);
		if (!t)
			continue;
		if (idx != n) {
			snprintf(why, sizeof(why), "mem%02lu out of sequence (expected mem%02zu)", idx, n);
		} else if (n == max) {
			snprintf(why, sizeof(why), "more than %zu descriptors", max);
		} else if (efi_log_parse_md(t, &out[n], why)) {
			n++;
			continue;
		}
		fprintf(stderr, "%s:%zu: %s\n", path, lineno, why);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "%s: no efi: memNN: lines\n", path);
		return -1;
	}
	return n;
}
