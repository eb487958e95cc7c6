/* SPDX-License-Identifier: MIT */
/*
 * format_check.c - compile-time proof that format.h matches the layout
 * tables of SPECIFICATION.md.  A failing assertion here means the binary
 * format changed: fix the struct, or change the specification first.
 */
#include <stddef.h>

#include "format.h"

#define ZEROIPC__LAYOUT(type, field, offset)                                   \
	_Static_assert(offsetof(struct type, field) == (offset),              \
		       #type "." #field " must be at byte " #offset)
#define ZEROIPC__SIZE(type, size)                                              \
	_Static_assert(sizeof(struct type) == (size),                         \
		       #type " must be " #size " bytes")

/* SPECIFICATION.md, "Segment header". */
ZEROIPC__LAYOUT(zeroipc_fmt_table_header, magic, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_table_header, version, 4);
ZEROIPC__LAYOUT(zeroipc_fmt_table_header, entry_count, 8);
ZEROIPC__LAYOUT(zeroipc_fmt_table_header, max_entries, 12);
ZEROIPC__LAYOUT(zeroipc_fmt_table_header, memory_size, 16);
ZEROIPC__LAYOUT(zeroipc_fmt_table_header, next_offset, 24);
ZEROIPC__SIZE(zeroipc_fmt_table_header, 32);

/* SPECIFICATION.md, "Table entries". */
ZEROIPC__LAYOUT(zeroipc_fmt_table_entry, name, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_table_entry, offset, 32);
ZEROIPC__LAYOUT(zeroipc_fmt_table_entry, size, 40);
ZEROIPC__SIZE(zeroipc_fmt_table_entry, 48);

/* SPECIFICATION.md, "Array". */
ZEROIPC__LAYOUT(zeroipc_fmt_array_header, capacity, 0);
ZEROIPC__SIZE(zeroipc_fmt_array_header, 8);

/* ISO C forbids an empty translation unit. */
typedef int zeroipc__format_check_done;
