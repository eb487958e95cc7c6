/* SPDX-License-Identifier: MIT */
/*
 * test_table.c - the registry of named regions: add, find, count, entry_at,
 * free_bytes; alignment and recorded sizes; the error cases, each of which
 * must leave the table byte-for-byte as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 16)
#define TABLE_END ZT_TABLE_END(ZEROIPC_DEFAULT_MAX_ENTRIES)

static void test_table_add_find_count_entry_at(void **state)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	uint64_t off_a = 0, off_b = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-basic", SEG_SIZE, 0);
	assert_int_equal(zeroipc_table_count(mem), 0);
	assert_int_equal(zeroipc_table_capacity(mem), 64);
	assert_int_equal(zeroipc_table_free_bytes(mem), SEG_SIZE - TABLE_END);
	assert_fails_with(zeroipc_table_find(&e, mem, "a"), ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_table_entry_at(&e, mem, 0), ZEROIPC_ERANGE);

	assert_ok(zeroipc_table_add(&off_a, mem, "a", 100));
	/* The first region starts right after the table. */
	assert_int_equal(off_a, TABLE_END);
	assert_int_equal(zeroipc_table_count(mem), 1);
	assert_int_equal(zeroipc_table_free_bytes(mem),
			 SEG_SIZE - zt_align8(TABLE_END + 100));

	assert_ok(zeroipc_table_add(&off_b, mem, "b", 1));
	assert_int_equal(off_b, zt_align8(off_a + 100));
	assert_int_equal(zeroipc_table_count(mem), 2);
	assert_int_equal(zeroipc_table_free_bytes(mem),
			 SEG_SIZE - zt_align8(off_b + 1));

	memset(&e, 0xff, sizeof(e));
	assert_ok(zeroipc_table_find(&e, mem, "a"));
	assert_string_equal(e.name, "a");
	assert_int_equal(e.offset, off_a);
	assert_int_equal(e.size, 100);
	/* The rest of the name is zero-filled, not stale bytes. */
	{
		size_t i;

		for (i = 2; i < sizeof(e.name); i++)
			assert_int_equal(e.name[i], 0);
	}

	/* entry_at walks in creation order. */
	assert_ok(zeroipc_table_entry_at(&e, mem, 0));
	assert_string_equal(e.name, "a");
	assert_int_equal(e.offset, off_a);
	assert_int_equal(e.size, 100);
	assert_ok(zeroipc_table_entry_at(&e, mem, 1));
	assert_string_equal(e.name, "b");
	assert_int_equal(e.offset, off_b);
	assert_int_equal(e.size, 1);
	assert_fails_with(zeroipc_table_entry_at(&e, mem, 2), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_table_entry_at(&e, mem, UINT32_MAX),
			  ZEROIPC_ERANGE);

	/* offset_out may be NULL. */
	assert_ok(zeroipc_table_add(NULL, mem, "c", 8));
	assert_int_equal(zeroipc_table_count(mem), 3);
	zt_destroy(mem, name);
}

static void test_table_find_matches_whole_names_only(void **state)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-prefix", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "abc", 8));
	assert_fails_with(zeroipc_table_find(&e, mem, "ab"),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_table_find(&e, mem, "abcd"),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_table_find(&e, mem, "ABC"),
			  ZEROIPC_ENOT_FOUND);
	assert_ok(zeroipc_table_find(&e, mem, "abc"));
	/* A name that is a prefix of an existing one is a new name. */
	assert_ok(zeroipc_table_add(NULL, mem, "ab", 8));
	assert_ok(zeroipc_table_find(&e, mem, "ab"));
	assert_int_equal(e.size, 8);
	zt_destroy(mem, name);
}

static void test_table_offsets_are_aligned_and_disjoint(void **state)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	uint64_t prev_end = TABLE_END;
	char name[128];
	char ename[32];
	uint32_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-align", SEG_SIZE, 0);
	for (i = 0; i < 40; i++) {
		uint64_t off = 0;
		uint64_t size = 1 + (i * 5) % 23; /* odd and even sizes */

		snprintf(ename, sizeof(ename), "r%u", i);
		assert_ok(zeroipc_table_add(&off, mem, ename, size));
		assert_int_equal(off % 8, 0);
		/* Bump allocation: right after the previous region. */
		assert_int_equal(off, zt_align8(prev_end));
		assert_true(off + size <= SEG_SIZE);
		assert_ok(zeroipc_table_entry_at(&e, mem, i));
		assert_int_equal(e.offset, off);
		assert_int_equal(e.size, size);
		/* The base is 8-aligned too, so addresses are aligned. */
		assert_int_equal(
			((uintptr_t)zeroipc_memory_base(mem) + off) % 8, 0);
		prev_end = off + size;
	}
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET), prev_end);
	zt_destroy(mem, name);
}

static void test_table_records_exact_size(void **state)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-exact", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "thirteen", 13));
	assert_ok(zeroipc_table_add(NULL, mem, "one", 1));
	assert_ok(zeroipc_table_find(&e, mem, "thirteen"));
	assert_int_equal(e.size, 13);
	/* In the segment's bytes too, where other implementations read it. */
	assert_int_equal(zt_hdr_u64(mem, ZT_ENTRY_FIELD(0, ZT_ENTRY_LEN)), 13);
	assert_int_equal(zt_hdr_u64(mem, ZT_ENTRY_FIELD(1, ZT_ENTRY_LEN)), 1);
	/* next_offset is the exact end, not rounded; the next add aligns. */
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET),
			 zt_align8(TABLE_END + 13) + 1);
	zt_destroy(mem, name);
}

static void test_table_duplicate_is_eexists_and_unchanged(void **state)
{
	zeroipc_memory *mem;
	struct zt_snapshot snap;
	uint64_t off = 12345;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-dup", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "x", 16));
	assert_ok(zeroipc_table_add(NULL, mem, "y", 16));
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(&off, mem, "x", 16),
			  ZEROIPC_EEXISTS);
	/* Another size does not make it a new entry either. */
	assert_fails_with(zeroipc_table_add(&off, mem, "y", 1000),
			  ZEROIPC_EEXISTS);
	assert_int_equal(zeroipc_table_count(mem), 2);
	zt_snapshot_check(&snap, mem);
	zt_destroy(mem, name);
}

static void test_table_full_is_etable_full_and_unchanged(void **state)
{
	zeroipc_memory *mem;
	struct zt_snapshot snap;
	char name[128];
	char ename[32];
	uint32_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-full", SEG_SIZE, 4);
	for (i = 0; i < 4; i++) {
		snprintf(ename, sizeof(ename), "e%u", i);
		assert_ok(zeroipc_table_add(NULL, mem, ename, 8));
	}
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(NULL, mem, "e4", 8),
			  ZEROIPC_ETABLE_FULL);
	/* A duplicate on a full table is still a duplicate. */
	assert_fails_with(zeroipc_table_add(NULL, mem, "e0", 8),
			  ZEROIPC_EEXISTS);
	assert_int_equal(zeroipc_table_count(mem), 4);
	zt_snapshot_check(&snap, mem);
	zt_destroy(mem, name);
}

static void test_table_segment_full_is_eno_space_and_unchanged(void **state)
{
	zeroipc_memory *mem;
	struct zt_snapshot snap;
	char name[128];

	(void)state;
	/* 16 bytes of data space after the table. */
	mem = zt_create(name, sizeof(name), "tab-nospace", TABLE_END + 16, 0);
	assert_int_equal(zeroipc_table_free_bytes(mem), 16);
	assert_ok(zeroipc_table_add(NULL, mem, "a", 3));
	/* 3 bytes used, the next region starts 8 further on: 8 remain. */
	assert_int_equal(zeroipc_table_free_bytes(mem), 8);
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(NULL, mem, "b", 9),
			  ZEROIPC_ENO_SPACE);
	assert_fails_with(zeroipc_table_add(NULL, mem, "b", UINT64_MAX),
			  ZEROIPC_ENO_SPACE);
	assert_fails_with(zeroipc_table_add(NULL, mem, "b", UINT64_MAX - 7),
			  ZEROIPC_ENO_SPACE);
	assert_int_equal(zeroipc_table_count(mem), 1);
	zt_snapshot_check(&snap, mem);

	/* Exactly what is left still fits... */
	assert_ok(zeroipc_table_add(NULL, mem, "b", 8));
	assert_int_equal(zeroipc_table_free_bytes(mem), 0);
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET), TABLE_END + 16);
	/* ...and then nothing does. */
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(NULL, mem, "c", 1),
			  ZEROIPC_ENO_SPACE);
	zt_snapshot_check(&snap, mem);
	zt_destroy(mem, name);
}

static void test_table_name_lengths(void **state)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	struct zt_snapshot snap;
	char n31[ZEROIPC_NAME_MAX + 1];
	char n32[ZEROIPC_NAME_MAX + 2];
	char name[128];

	(void)state;
	assert_int_equal(ZEROIPC_NAME_MAX, 31);
	memset(n31, 'q', sizeof(n31) - 1);
	n31[sizeof(n31) - 1] = '\0';
	memset(n32, 'q', sizeof(n32) - 1);
	n32[sizeof(n32) - 1] = '\0';
	assert_int_equal(strlen(n31), 31);
	assert_int_equal(strlen(n32), 32);

	mem = zt_create(name, sizeof(name), "tab-names", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, n31, 8));
	assert_ok(zeroipc_table_find(&e, mem, n31));
	assert_string_equal(e.name, n31);
	assert_int_equal(e.name[31], '\0');
	/* The stored name keeps its terminating NUL in byte 31. */
	assert_int_equal(((const char *)zeroipc_memory_base(
				 mem))[ZT_ENTRY_FIELD(0, ZT_ENTRY_NAME) + 31],
			 '\0');

	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(NULL, mem, n32, 8), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_table_add(NULL, mem, "", 8), ZEROIPC_ENAME);
	{
		int rc = zeroipc_table_add(NULL, mem, NULL, 8);

		assert_true(rc == ZEROIPC_ENAME || rc == ZEROIPC_EINVAL);
	}
	zt_snapshot_check(&snap, mem);
	/* A 32-byte name is not silently cut to the 31-byte one. */
	assert_fails_with(zeroipc_table_find(&e, mem, n32), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_table_find(&e, mem, ""), ZEROIPC_ENAME);
	assert_int_equal(zeroipc_table_count(mem), 1);
	zt_destroy(mem, name);
}

static void test_table_region_is_zeroed(void **state)
{
	zeroipc_memory *mem;
	unsigned char *base;
	uint64_t off = 0;
	char name[128];
	uint64_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-zero", SEG_SIZE, 0);
	base = zeroipc_memory_base(mem);
	/*
	 * Dirty the unallocated space, as a writer that died before
	 * publishing would, then check the add hands out zeroes anyway.
	 */
	memset(base + TABLE_END, 0xEE, 512);
	assert_ok(zeroipc_table_add(&off, mem, "z", 300));
	for (i = 0; i < 300; i++)
		assert_int_equal(base[off + i], 0);
	/* Bytes past the region are not the add's business. */
	assert_int_equal(base[off + 300], 0xEE);
	zt_destroy(mem, name);
}

static void test_table_readonly_add_is_ereadonly(void **state)
{
	zeroipc_memory *mem;
	zeroipc_memory *ro = NULL;
	struct zt_snapshot snap;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "present", 8));
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(NULL, ro, "new", 8),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_table_add(NULL, ro, "present", 8),
			  ZEROIPC_EREADONLY);
	zt_snapshot_check(&snap, mem);
	assert_int_equal(zeroipc_table_count(ro), 1);
	zeroipc_memory_close(ro);
	zt_destroy(mem, name);
}

static void test_table_zero_size_is_einval(void **state)
{
	zeroipc_memory *mem;
	struct zt_snapshot snap;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-size0", SEG_SIZE, 0);
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_table_add(NULL, mem, "empty", 0),
			  ZEROIPC_EINVAL);
	zt_snapshot_check(&snap, mem);
	zt_destroy(mem, name);
}

static void test_table_null_arguments_are_einval(void **state)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-null", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "a", 8));
	assert_fails_with(zeroipc_table_add(NULL, NULL, "a", 8),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_table_find(NULL, mem, "a"), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_table_find(&e, NULL, "a"), ZEROIPC_EINVAL);
	{
		int rc = zeroipc_table_find(&e, mem, NULL);

		assert_true(rc == ZEROIPC_EINVAL || rc == ZEROIPC_ENAME);
	}
	assert_fails_with(zeroipc_table_entry_at(NULL, mem, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_table_entry_at(&e, NULL, 0), ZEROIPC_EINVAL);
	/* The getters answer 0 for a NULL handle instead of crashing. */
	assert_int_equal(zeroipc_table_count(NULL), 0);
	assert_int_equal(zeroipc_table_capacity(NULL), 0);
	assert_int_equal(zeroipc_table_free_bytes(NULL), 0);
	zt_destroy(mem, name);
}

static void test_table_adds_are_seen_by_other_handles(void **state)
{
	zeroipc_memory *mem;
	zeroipc_memory *other = NULL;
	zeroipc_table_entry e;
	uint64_t off = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "tab-other", SEG_SIZE, 0);
	assert_ok(zeroipc_memory_open(&other, name, 0));
	assert_ok(zeroipc_table_add(&off, mem, "from-first", 24));
	assert_int_equal(zeroipc_table_count(other), 1);
	assert_ok(zeroipc_table_find(&e, other, "from-first"));
	assert_int_equal(e.offset, off);
	/* And the other way, with the allocation continuing correctly. */
	assert_ok(zeroipc_table_add(&off, other, "from-second", 8));
	assert_int_equal(off, zt_align8(e.offset + 24));
	assert_fails_with(zeroipc_table_add(NULL, mem, "from-second", 8),
			  ZEROIPC_EEXISTS);
	assert_int_equal(zeroipc_table_count(mem), 2);
	zeroipc_memory_close(other);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_add_find_count_entry_at),
		cmocka_unit_test(test_table_find_matches_whole_names_only),
		cmocka_unit_test(test_table_offsets_are_aligned_and_disjoint),
		cmocka_unit_test(test_table_records_exact_size),
		cmocka_unit_test(test_table_duplicate_is_eexists_and_unchanged),
		cmocka_unit_test(test_table_full_is_etable_full_and_unchanged),
		cmocka_unit_test(
			test_table_segment_full_is_eno_space_and_unchanged),
		cmocka_unit_test(test_table_name_lengths),
		cmocka_unit_test(test_table_region_is_zeroed),
		cmocka_unit_test(test_table_readonly_add_is_ereadonly),
		cmocka_unit_test(test_table_zero_size_is_einval),
		cmocka_unit_test(test_table_null_arguments_are_einval),
		cmocka_unit_test(test_table_adds_are_seen_by_other_handles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
