/* SPDX-License-Identifier: MIT */
/*
 * format.h - the on-segment layouts of zeroipc format v2 (private).
 *
 * The single source of truth for the binary format: fixed-width fields and
 * integer constants only, no logic.  format_check.c asserts every offset and
 * size here against the numbers in SPECIFICATION.md.  All integers are host
 * byte order.  Every structure's sections start 8-byte aligned relative to
 * the structure base, which the table keeps 8-byte aligned in the segment.
 */
#ifndef ZEROIPC_FORMAT_H
#define ZEROIPC_FORMAT_H

#include <stdint.h>

#define ZEROIPC_FMT_MAGIC 0x5A49504Du /* "ZIPM" read as a little-endian u32 */
#define ZEROIPC_FMT_VERSION 2u
#define ZEROIPC_FMT_ALIGN 8u
#define ZEROIPC_FMT_NAME_SIZE 32u /* NUL-terminated, so 31 usable bytes */

/* Segment offset 0. */
struct zeroipc_fmt_table_header {
	uint32_t magic;        /* ZEROIPC_FMT_MAGIC */
	uint32_t version;      /* ZEROIPC_FMT_VERSION */
	uint32_t entry_count;  /* published entries; only ever grows */
	uint32_t max_entries;  /* entries that follow the header */
	uint64_t memory_size;  /* bytes in the segment */
	uint64_t next_offset;  /* bump pointer: first unallocated byte */
};

/* max_entries of these follow the header, at offset 32. */
struct zeroipc_fmt_table_entry {
	char name[ZEROIPC_FMT_NAME_SIZE];
	uint64_t offset; /* from segment start, 8-byte aligned */
	uint64_t size;   /* bytes requested, not rounded */
};

/* Array: the header, then capacity * elem_size bytes of elements. */
struct zeroipc_fmt_array_header {
	uint64_t capacity;
};

#endif /* ZEROIPC_FORMAT_H */
