/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading EFI memory maps from kernel logs booted with efi=debug: the
 * "efi: memNN: [...] range=[...] (NMB)" lines that efi_print_memmap()
 * prints, in the formats of 3.x ("type=3, attr=0xf, range=[a-b) (NMB)"),
 * 4.0 (type names, exclusive end) and 4.1 on (inclusive end, as today).
 * Every range is checked against its printed size in MB.
 *
 * Shared by efi_memmap_diff (fixtures) and tools/bootmem-replay.
 */
#ifndef EFI_MEMMAP_LOG_H
#define EFI_MEMMAP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/efi_memmap_ranges.h>

/* Room for an error message: "what is wrong" (no file, no line). */
#define EFI_LOG_WHY	160

/*
 * If @line holds "efi: memNN: ", return the text after it and store NN
 * in *@idx; otherwise return NULL.  Anything may precede it (timestamps,
 * syslog prefixes, mail quoting).
 */
const char *efi_log_md_text(const char *line, unsigned long *idx);

/*
 * Parse the text after "efi: memNN: " into @d.  On failure return false
 * with the reason in @why.
 */
bool efi_log_parse_md(const char *text, struct efi_mm_desc *d, char *why);

/* Whether @line starts the second listing, "efi: EFI runtime memory map:". */
bool efi_log_runtime_map_start(const char *line);

/* The short name of an EFI memory type ("Boot Data", "type 42"). */
const char *efi_log_type_name(u32 type, char *buf, size_t len);

/*
 * Read the first memory map listed in the log at @path (one map: lines
 * after "EFI runtime memory map:" are not part of it; memNN must count
 * up from mem00).  Lines starting with '#' are comments.  Returns the
 * number of descriptors stored in @out (at most @max), or -1 with
 * "path:LINE: what is wrong" printed on stderr.
 */
long efi_log_load(const char *path, struct efi_mm_desc *out, size_t max);

#endif /* EFI_MEMMAP_LOG_H */
