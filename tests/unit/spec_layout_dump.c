/* SPDX-License-Identifier: MIT */
/*
 * spec_layout_dump.c - prints the on-segment layouts as the compiler lays
 * them out, for spec_layout.py to compare with the layout tables of
 * SPECIFICATION.md.
 *
 * Member names are stringified, offsets and sizes come from offsetof and
 * sizeof, and type names from _Generic on each member's own type, so no
 * number is written here a second time.  C cannot enumerate a struct's
 * members, so the lists below are by hand: a listed member that format.h
 * lacks does not compile, and a member of format.h missing from its list
 * leaves bytes of the struct that no listed member covers, which
 * spec_layout.py reports.
 *
 * Output, one record per line, fields separated by tabs:
 *   struct <section> <struct> <sizeof>
 *   field <section> <struct> <member> <offset> <size> <type>
 * <section> is the title, without its number, of the SPECIFICATION.md
 * heading whose layout table describes the struct.  <type> is u32, i64,
 * char[32] and so on, spelled as the specification spells it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* format.h first: a scratch copy earlier on the include path then wins
 * over the one internal.h would pull in from src/. */
#include "format.h"

/*
 * Every member type format.h may use.  A member array decays to a pointer
 * to its element in _Generic, which is how arrays are told from scalars.
 * format.h holds no pointers, so a pointer here always means an array.
 */
struct kind {
	const char *name;
	size_t size; /* of one element */
	int array;
};

static const struct kind kinds[] = {
	{"?", 0, 0},
	{"u8", sizeof(uint8_t), 0},
	{"u16", sizeof(uint16_t), 0},
	{"u32", sizeof(uint32_t), 0},
	{"u64", sizeof(uint64_t), 0},
	{"i8", sizeof(int8_t), 0},
	{"i16", sizeof(int16_t), 0},
	{"i32", sizeof(int32_t), 0},
	{"i64", sizeof(int64_t), 0},
	{"char", sizeof(char), 1},
	{"u8", sizeof(uint8_t), 1},
	{"u16", sizeof(uint16_t), 1},
	{"u32", sizeof(uint32_t), 1},
	{"u64", sizeof(uint64_t), 1},
	{"i8", sizeof(int8_t), 1},
	{"i16", sizeof(int16_t), 1},
	{"i32", sizeof(int32_t), 1},
	{"i64", sizeof(int64_t), 1},
};

#define KIND(x)                                                                \
	_Generic((x), uint8_t: 1, uint16_t: 2, uint32_t: 3, uint64_t: 4,      \
		 int8_t: 5, int16_t: 6, int32_t: 7, int64_t: 8,               \
		 char *: 9, uint8_t *: 10, uint16_t *: 11, uint32_t *: 12,    \
		 uint64_t *: 13, int8_t *: 14, int16_t *: 15, int32_t *: 16,  \
		 int64_t *: 17, default: 0)

#define MEMBER(type, member) (((struct type *)0)->member)

#define STRUCT(section, type)                                                  \
	print_struct(section, #type, sizeof(struct type))

#define FIELD(section, type, member)                                           \
	print_field(section, #type, #member, offsetof(struct type, member),   \
		    sizeof(MEMBER(type, member)), KIND(MEMBER(type, member)))

static int failed;

static void print_struct(const char *section, const char *type, size_t size)
{
	printf("struct\t%s\t%s\t%zu\n", section, type, size);
}

static void print_field(const char *section, const char *type,
			const char *member, size_t offset, size_t size,
			int kind)
{
	const struct kind *k = &kinds[kind];

	/* An unknown type, or a scalar whose size is not its name's, would
	 * make the comparison meaningless: say so instead of printing it. */
	if (kind == 0 || (!k->array && size != k->size) ||
	    (k->array && size % k->size != 0)) {
		fprintf(stderr, "%s.%s: type not understood by %s\n", type,
			member, __FILE__);
		failed = 1;
		return;
	}
	printf("field\t%s\t%s\t%s\t%zu\t%zu\t", section, type, member, offset,
	       size);
	if (k->array)
		printf("%s[%zu]\n", k->name, size / k->size);
	else
		printf("%s\n", k->name);
}

int main(void)
{
	STRUCT("Segment header", zeroipc_fmt_table_header);
	FIELD("Segment header", zeroipc_fmt_table_header, magic);
	FIELD("Segment header", zeroipc_fmt_table_header, version);
	FIELD("Segment header", zeroipc_fmt_table_header, entry_count);
	FIELD("Segment header", zeroipc_fmt_table_header, max_entries);
	FIELD("Segment header", zeroipc_fmt_table_header, memory_size);
	FIELD("Segment header", zeroipc_fmt_table_header, next_offset);

	STRUCT("Entries", zeroipc_fmt_table_entry);
	FIELD("Entries", zeroipc_fmt_table_entry, name);
	FIELD("Entries", zeroipc_fmt_table_entry, offset);
	FIELD("Entries", zeroipc_fmt_table_entry, size);

	STRUCT("Array", zeroipc_fmt_array_header);
	FIELD("Array", zeroipc_fmt_array_header, capacity);

	STRUCT("Eventcount", zeroipc_fmt_eventcount);
	FIELD("Eventcount", zeroipc_fmt_eventcount, waiters);
	FIELD("Eventcount", zeroipc_fmt_eventcount, seq);

	STRUCT("Queue", zeroipc_fmt_queue_header);
	FIELD("Queue", zeroipc_fmt_queue_header, head);
	FIELD("Queue", zeroipc_fmt_queue_header, tail);
	FIELD("Queue", zeroipc_fmt_queue_header, capacity);
	FIELD("Queue", zeroipc_fmt_queue_header, elem_size);

	STRUCT("Stack", zeroipc_fmt_stack_header);
	FIELD("Stack", zeroipc_fmt_stack_header, top);
	FIELD("Stack", zeroipc_fmt_stack_header, capacity);
	FIELD("Stack", zeroipc_fmt_stack_header, elem_size);
	FIELD("Stack", zeroipc_fmt_stack_header, reserved);

	STRUCT("Ring", zeroipc_fmt_ring_header);
	FIELD("Ring", zeroipc_fmt_ring_header, write_pos);
	FIELD("Ring", zeroipc_fmt_ring_header, read_pos);
	FIELD("Ring", zeroipc_fmt_ring_header, capacity);
	FIELD("Ring", zeroipc_fmt_ring_header, elem_size);

	/* The Set section has no table of its own: it is the Map's. */
	STRUCT("Map", zeroipc_fmt_map_header);
	FIELD("Map", zeroipc_fmt_map_header, size);
	FIELD("Map", zeroipc_fmt_map_header, capacity);
	FIELD("Map", zeroipc_fmt_map_header, key_size);
	FIELD("Map", zeroipc_fmt_map_header, value_size);
	FIELD("Map", zeroipc_fmt_map_header, slot_size);
	FIELD("Map", zeroipc_fmt_map_header, reserved);
	FIELD("Map", zeroipc_fmt_map_header, waiters);
	FIELD("Map", zeroipc_fmt_map_header, seq);

	STRUCT("Pool", zeroipc_fmt_pool_header);
	FIELD("Pool", zeroipc_fmt_pool_header, capacity);
	FIELD("Pool", zeroipc_fmt_pool_header, elem_size);
	FIELD("Pool", zeroipc_fmt_pool_header, head);
	FIELD("Pool", zeroipc_fmt_pool_header, in_use);
	FIELD("Pool", zeroipc_fmt_pool_header, reserved);
	FIELD("Pool", zeroipc_fmt_pool_header, waiters);
	FIELD("Pool", zeroipc_fmt_pool_header, seq);

	if (fflush(stdout) != 0)
		failed = 1;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
