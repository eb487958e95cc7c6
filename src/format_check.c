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

/* SPECIFICATION.md, "Eventcount". */
ZEROIPC__LAYOUT(zeroipc_fmt_eventcount, waiters, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_eventcount, seq, 4);
ZEROIPC__SIZE(zeroipc_fmt_eventcount, 8);

/* SPECIFICATION.md, "Array". */
ZEROIPC__LAYOUT(zeroipc_fmt_array_header, capacity, 0);
ZEROIPC__SIZE(zeroipc_fmt_array_header, 8);

/* SPECIFICATION.md, "Stack". */
ZEROIPC__LAYOUT(zeroipc_fmt_stack_header, top, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_stack_header, capacity, 4);
ZEROIPC__LAYOUT(zeroipc_fmt_stack_header, elem_size, 8);
ZEROIPC__LAYOUT(zeroipc_fmt_stack_header, reserved, 12);
ZEROIPC__SIZE(zeroipc_fmt_stack_header, 16);

/* SPECIFICATION.md, "Pool". */
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, capacity, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, elem_size, 4);
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, head, 8);
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, in_use, 16);
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, reserved, 20);
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, waiters, 24);
ZEROIPC__LAYOUT(zeroipc_fmt_pool_header, seq, 28);
ZEROIPC__SIZE(zeroipc_fmt_pool_header, 32);

/* SPECIFICATION.md, "Queue". */
ZEROIPC__LAYOUT(zeroipc_fmt_queue_header, head, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_queue_header, tail, 4);
ZEROIPC__LAYOUT(zeroipc_fmt_queue_header, capacity, 8);
ZEROIPC__LAYOUT(zeroipc_fmt_queue_header, elem_size, 12);
ZEROIPC__SIZE(zeroipc_fmt_queue_header, 16);

/* SPECIFICATION.md, "Ring". */
ZEROIPC__LAYOUT(zeroipc_fmt_ring_header, write_pos, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_ring_header, read_pos, 8);
ZEROIPC__LAYOUT(zeroipc_fmt_ring_header, capacity, 16);
ZEROIPC__LAYOUT(zeroipc_fmt_ring_header, elem_size, 20);
ZEROIPC__SIZE(zeroipc_fmt_ring_header, 24);

/* SPECIFICATION.md, "Map" (and "Set", the same layout). */
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, size, 0);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, capacity, 4);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, key_size, 8);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, value_size, 12);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, slot_size, 16);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, reserved, 20);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, waiters, 24);
ZEROIPC__LAYOUT(zeroipc_fmt_map_header, seq, 28);
ZEROIPC__SIZE(zeroipc_fmt_map_header, 32);

/* ISO C forbids an empty translation unit. */
typedef int zeroipc__format_check_done;
