/* SPDX-License-Identifier: MIT */
/*
 * test_array.c - arrays: create/open, geometry, get/set bounds, element-size
 * checks, the atomic operations, and the format v2 layout (u64 capacity at
 * the entry's offset, elements at +8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 16)

static void test_array_create_and_open(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	zeroipc_array *again = NULL;
	zeroipc_table_entry e;
	unsigned char *base;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-basic", SEG_SIZE, 0);
	base = zeroipc_memory_base(mem);
	assert_ok(zeroipc_array_create(&arr, mem, "temps", 4, 10));
	assert_non_null(arr);
	assert_int_equal(zeroipc_array_capacity(arr), 10);
	assert_int_equal(zeroipc_array_elem_size(arr), 4);

	assert_ok(zeroipc_table_find(&e, mem, "temps"));
	assert_int_equal(e.size, 8 + 4 * 10);
	assert_ptr_equal(zeroipc_array_data(arr), base + e.offset + 8);

	assert_ok(zeroipc_array_open(&again, mem, "temps", 4));
	assert_int_equal(zeroipc_array_capacity(again), 10);
	assert_int_equal(zeroipc_array_elem_size(again), 4);
	assert_ptr_equal(zeroipc_array_data(again), zeroipc_array_data(arr));
	zeroipc_array_close(again);
	zeroipc_array_close(arr);
	zeroipc_array_close(NULL);

	/* Through a different mapping, in a different place. */
	{
		zeroipc_memory *other = NULL;

		assert_ok(zeroipc_memory_open(&other, name, 0));
		assert_ok(zeroipc_array_open(&again, other, "temps", 4));
		assert_ptr_equal(zeroipc_array_data(again),
				 (unsigned char *)zeroipc_memory_base(other) +
					 e.offset + 8);
		assert_int_equal(zeroipc_array_capacity(again), 10);
		zeroipc_array_close(again);
		zeroipc_memory_close(other);
	}
	zt_destroy(mem, name);
}

static void test_array_starts_zeroed(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	const unsigned char *data;
	char name[128];
	size_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-zero", SEG_SIZE, 0);
	/* Dirty what the array will occupy first. */
	memset((unsigned char *)zeroipc_memory_base(mem) +
		       ZT_TABLE_END(ZEROIPC_DEFAULT_MAX_ENTRIES),
	       0x5A, 1024);
	assert_ok(zeroipc_array_create(&arr, mem, "z", 8, 100));
	data = zeroipc_array_data(arr);
	for (i = 0; i < 800; i++)
		assert_int_equal(data[i], 0);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_get_set_and_bounds(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	struct point {
		double x, y, z;
	} p, q;
	char name[128];
	uint64_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-getset", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "points", sizeof(p), 5));
	for (i = 0; i < 5; i++) {
		p.x = (double)i;
		p.y = (double)i * 2;
		p.z = -(double)i;
		assert_ok(zeroipc_array_set(arr, i, &p));
	}
	for (i = 0; i < 5; i++) {
		memset(&q, 0, sizeof(q));
		assert_ok(zeroipc_array_get(&q, arr, i));
		assert_true(q.x == (double)i && q.y == (double)i * 2 &&
			    q.z == -(double)i);
	}
	/* Past the end, in both directions of "large". */
	memset(&q, 0x77, sizeof(q));
	assert_fails_with(zeroipc_array_get(&q, arr, 5), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_get(&q, arr, UINT64_MAX),
			  ZEROIPC_ERANGE);
	/* A failed get leaves the output alone. */
	{
		unsigned char expect[sizeof(q)];

		memset(expect, 0x77, sizeof(expect));
		assert_memory_equal(&q, expect, sizeof(q));
	}
	assert_fails_with(zeroipc_array_set(arr, 5, &p), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_set(arr, UINT64_MAX, &p),
			  ZEROIPC_ERANGE);
	/* Element size * huge index must not wrap into range. */
	assert_fails_with(
		zeroipc_array_set(arr, UINT64_MAX / sizeof(p) + 1, &p),
		ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_get(NULL, arr, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_set(arr, 0, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_get(&q, NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_set(NULL, 0, &p), ZEROIPC_EINVAL);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_odd_element_size(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	unsigned char in[3], out[3];
	char name[128];
	uint64_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-odd", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "rgb", 3, 7));
	for (i = 0; i < 7; i++) {
		in[0] = (unsigned char)i;
		in[1] = (unsigned char)(i + 100);
		in[2] = (unsigned char)(i + 200);
		assert_ok(zeroipc_array_set(arr, i, in));
	}
	for (i = 0; i < 7; i++) {
		assert_ok(zeroipc_array_get(out, arr, i));
		assert_int_equal(out[0], i);
		assert_int_equal(out[1], i + 100);
		assert_int_equal(out[2], i + 200);
	}
	/* Elements are packed: element i is at data + 3*i. */
	assert_int_equal(((unsigned char *)zeroipc_array_data(arr))[3 * 4 + 1],
			 104);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_open_wrong_elem_size(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	zeroipc_array *bad = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-mismatch", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "u32s", 4, 10));
	assert_fails_with(zeroipc_array_open(&bad, mem, "u32s", 8),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_null(bad);
	assert_fails_with(zeroipc_array_open(&bad, mem, "u32s", 2),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_open(&bad, mem, "u32s", 1),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_open(&bad, mem, "u32s", 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_open(&bad, mem, "u32s", UINT64_MAX),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_open(&bad, mem, "missing", 4),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_array_open(NULL, mem, "u32s", 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_open(&bad, NULL, "u32s", 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_open(&bad, mem, "", 4), ZEROIPC_ENAME);

	/* A raw entry too small for the capacity header. */
	assert_ok(zeroipc_table_add(NULL, mem, "tiny", 4));
	assert_fails_with(zeroipc_array_open(&bad, mem, "tiny", 4),
			  ZEROIPC_ECORRUPT);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_create_errors_leave_table_unchanged(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	struct zt_snapshot snap;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-create-err", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "taken", 4, 4));
	zeroipc_array_close(arr);
	arr = NULL;
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_array_create(&arr, mem, "taken", 4, 4),
			  ZEROIPC_EEXISTS);
	assert_null(arr);
	assert_fails_with(zeroipc_array_create(&arr, mem, "e0", 0, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_create(&arr, mem, "c0", 4, 0),
			  ZEROIPC_EINVAL);
	/* capacity * elem_size overflows u64. */
	assert_fails_with(
		zeroipc_array_create(&arr, mem, "ovf", 1ull << 32, 1ull << 32),
		ZEROIPC_EINVAL);
	assert_fails_with(
		zeroipc_array_create(&arr, mem, "ovf", 3, UINT64_MAX / 2),
		ZEROIPC_EINVAL);
	/* The product fits, the 8-byte header on top of it does not. */
	assert_fails_with(
		zeroipc_array_create(&arr, mem, "ovf", 1, UINT64_MAX - 3),
		ZEROIPC_EINVAL);
	/* Representable but bigger than the segment. */
	assert_fails_with(
		zeroipc_array_create(&arr, mem, "big", 8, SEG_SIZE / 8),
		ZEROIPC_ENO_SPACE);
	assert_fails_with(zeroipc_array_create(&arr, mem, "", 4, 4),
			  ZEROIPC_ENAME);
	{
		char n32[ZEROIPC_NAME_MAX + 2];

		memset(n32, 'n', sizeof(n32) - 1);
		n32[sizeof(n32) - 1] = '\0';
		assert_fails_with(zeroipc_array_create(&arr, mem, n32, 4, 4),
				  ZEROIPC_ENAME);
	}
	assert_fails_with(zeroipc_array_create(NULL, mem, "n", 4, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_create(&arr, NULL, "n", 4, 4),
			  ZEROIPC_EINVAL);
	zt_snapshot_check(&snap, mem);
	zt_destroy(mem, name);
}

static void test_array_atomics_u32(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	uint32_t v = 0, prev = 0, expected;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-at32", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "c", 4, 4));

	assert_ok(zeroipc_array_store_u32(arr, 1, 0xDEADBEEFu));
	assert_ok(zeroipc_array_load_u32(&v, arr, 1));
	assert_int_equal(v, 0xDEADBEEFu);
	/* Neighbours untouched. */
	assert_ok(zeroipc_array_load_u32(&v, arr, 0));
	assert_int_equal(v, 0);
	assert_ok(zeroipc_array_load_u32(&v, arr, 2));
	assert_int_equal(v, 0);

	assert_ok(zeroipc_array_fetch_add_u32(&prev, arr, 2, 5));
	assert_int_equal(prev, 0);
	assert_ok(zeroipc_array_fetch_add_u32(&prev, arr, 2, 7));
	assert_int_equal(prev, 5);
	assert_ok(zeroipc_array_fetch_add_u32(NULL, arr, 2, 1));
	assert_ok(zeroipc_array_load_u32(&v, arr, 2));
	assert_int_equal(v, 13);
	/* Wraps modulo 2^32; a negative delta in two's complement. */
	assert_ok(zeroipc_array_store_u32(arr, 3, 0xFFFFFFFFu));
	assert_ok(zeroipc_array_fetch_add_u32(&prev, arr, 3, 2));
	assert_int_equal(prev, 0xFFFFFFFFu);
	assert_ok(zeroipc_array_load_u32(&v, arr, 3));
	assert_int_equal(v, 1);
	assert_ok(zeroipc_array_fetch_add_u32(NULL, arr, 3, (uint32_t)-1));
	assert_ok(zeroipc_array_load_u32(&v, arr, 3));
	assert_int_equal(v, 0);

	/* Compare-exchange: success... */
	expected = 13;
	assert_ok(zeroipc_array_compare_exchange_u32(arr, 2, &expected, 100));
	assert_int_equal(expected, 13);
	assert_ok(zeroipc_array_load_u32(&v, arr, 2));
	assert_int_equal(v, 100);
	/* ...and failure, which reports what is there and changes nothing. */
	expected = 13;
	assert_status(zeroipc_array_compare_exchange_u32(arr, 2, &expected, 7),
		      ZEROIPC_ECHANGED);
	assert_int_equal(expected, 100);
	assert_ok(zeroipc_array_load_u32(&v, arr, 2));
	assert_int_equal(v, 100);
	/* Retrying with the reported value succeeds. */
	assert_ok(zeroipc_array_compare_exchange_u32(arr, 2, &expected, 7));
	assert_ok(zeroipc_array_load_u32(&v, arr, 2));
	assert_int_equal(v, 7);

	/* The bytes are a plain host-order u32 at data + 4*i. */
	{
		uint32_t raw;

		memcpy(&raw, (unsigned char *)zeroipc_array_data(arr) + 4,
		       sizeof(raw));
		assert_int_equal(raw, 0xDEADBEEFu);
	}

	/* Bounds. */
	assert_fails_with(zeroipc_array_load_u32(&v, arr, 4), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_store_u32(arr, 4, 1), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_fetch_add_u32(&prev, arr, 4, 1),
			  ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_compare_exchange_u32(arr, UINT64_MAX,
							     &expected, 1),
			  ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_load_u32(NULL, arr, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_compare_exchange_u32(arr, 0, NULL, 1),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_array_load_u32(&v, NULL, 0), ZEROIPC_EINVAL);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_atomics_u64(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	uint64_t v = 0, prev = 0, expected;
	const uint64_t big = 0x0123456789ABCDEFull;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-at64", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "c", 8, 3));

	assert_ok(zeroipc_array_store_u64(arr, 0, big));
	assert_ok(zeroipc_array_load_u64(&v, arr, 0));
	assert_int_equal(v, big);
	assert_ok(zeroipc_array_load_u64(&v, arr, 1));
	assert_int_equal(v, 0);

	/* Carries cross the 32-bit boundary. */
	assert_ok(zeroipc_array_store_u64(arr, 1, 0xFFFFFFFFull));
	assert_ok(zeroipc_array_fetch_add_u64(&prev, arr, 1, 1));
	assert_int_equal(prev, 0xFFFFFFFFull);
	assert_ok(zeroipc_array_load_u64(&v, arr, 1));
	assert_int_equal(v, 0x100000000ull);
	assert_ok(zeroipc_array_store_u64(arr, 2, UINT64_MAX));
	assert_ok(zeroipc_array_fetch_add_u64(NULL, arr, 2, 3));
	assert_ok(zeroipc_array_load_u64(&v, arr, 2));
	assert_int_equal(v, 2);

	expected = big;
	assert_ok(zeroipc_array_compare_exchange_u64(arr, 0, &expected, 42));
	assert_ok(zeroipc_array_load_u64(&v, arr, 0));
	assert_int_equal(v, 42);
	/* Differs only in the high half: must still fail. */
	expected = 42 | (1ull << 40);
	assert_status(zeroipc_array_compare_exchange_u64(arr, 0, &expected, 9),
		      ZEROIPC_ECHANGED);
	assert_int_equal(expected, 42);
	assert_ok(zeroipc_array_load_u64(&v, arr, 0));
	assert_int_equal(v, 42);

	{
		uint64_t raw;

		memcpy(&raw, (unsigned char *)zeroipc_array_data(arr) + 8,
		       sizeof(raw));
		assert_int_equal(raw, 0x100000000ull);
	}
	assert_fails_with(zeroipc_array_load_u64(&v, arr, 3), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_store_u64(arr, 3, 1), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_array_fetch_add_u64(&prev, arr, 3, 1),
			  ZEROIPC_ERANGE);
	expected = 0;
	assert_fails_with(
		zeroipc_array_compare_exchange_u64(arr, 3, &expected, 1),
		ZEROIPC_ERANGE);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_atomics_wrong_size(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *a8 = NULL, *a4 = NULL, *a3 = NULL;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-atsize", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&a8, mem, "eight", 8, 4));
	assert_ok(zeroipc_array_create(&a4, mem, "four", 4, 4));
	assert_ok(zeroipc_array_create(&a3, mem, "three", 3, 4));

	assert_fails_with(zeroipc_array_load_u32(&v32, a8, 0),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_store_u32(a8, 0, 1),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_fetch_add_u32(&v32, a8, 0, 1),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_compare_exchange_u32(a8, 0, &v32, 1),
			  ZEROIPC_ESIZE_MISMATCH);

	assert_fails_with(zeroipc_array_load_u64(&v64, a4, 0),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_store_u64(a4, 0, 1),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_fetch_add_u64(&v64, a4, 0, 1),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_compare_exchange_u64(a4, 0, &v64, 1),
			  ZEROIPC_ESIZE_MISMATCH);

	assert_fails_with(zeroipc_array_load_u32(&v32, a3, 0),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_array_load_u64(&v64, a3, 0),
			  ZEROIPC_ESIZE_MISMATCH);
	/* The size is checked before the index. */
	assert_fails_with(zeroipc_array_store_u64(a3, 100, 1),
			  ZEROIPC_ESIZE_MISMATCH);

	/* Nothing was written by the refused stores. */
	{
		const unsigned char *d = zeroipc_array_data(a8);
		size_t i;

		for (i = 0; i < 32; i++)
			assert_int_equal(d[i], 0);
	}
	zeroipc_array_close(a3);
	zeroipc_array_close(a4);
	zeroipc_array_close(a8);
	zt_destroy(mem, name);
}

static void test_array_layout_matches_format(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	zeroipc_table_entry e;
	const unsigned char *base;
	uint64_t cap, off = 0, elem;
	char name[128];
	uint64_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-layout", SEG_SIZE, 0);
	base = zeroipc_memory_base(mem);
	/* A raw entry first, so the array does not sit at the first slot. */
	assert_ok(zeroipc_table_add(&off, mem, "pad", 5));
	assert_ok(zeroipc_array_create(&arr, mem, "u64s", 8, 6));
	assert_ok(zeroipc_table_find(&e, mem, "u64s"));
	assert_int_equal(e.offset, (off + 5 + 7) & ~(uint64_t)7);
	assert_int_equal(e.size, 8 + 8 * 6);

	memcpy(&cap, base + e.offset, sizeof(cap));
	assert_int_equal(cap, 6);
	for (i = 0; i < 6; i++)
		assert_ok(zeroipc_array_store_u64(arr, i, 1000 + i));
	for (i = 0; i < 6; i++) {
		memcpy(&elem, base + e.offset + 8 + 8 * i, sizeof(elem));
		assert_int_equal(elem, 1000 + i);
	}
	/* The capacity word is not part of the data. */
	memcpy(&cap, base + e.offset, sizeof(cap));
	assert_int_equal(cap, 6);

	/* A foreign writer (another implementation) using raw offsets. */
	elem = 0xFEEDull;
	memcpy((unsigned char *)zeroipc_memory_base(mem) + e.offset + 8 + 8 * 5,
	       &elem, sizeof(elem));
	assert_ok(zeroipc_array_load_u64(&elem, arr, 5));
	assert_int_equal(elem, 0xFEEDull);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

static void test_array_open_uses_capacity_from_segment(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	uint64_t off = 0, cap = 3;
	uint16_t v = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-foreign", SEG_SIZE, 0);
	/*
	 * Build an array the way another implementation would: a table
	 * entry of 8 + 3 * 2 bytes holding capacity 3 and three u16s.
	 */
	assert_ok(zeroipc_table_add(&off, mem, "foreign", 8 + 3 * 2));
	memcpy((unsigned char *)zeroipc_memory_base(mem) + off, &cap, 8);
	v = 0xBEEF;
	memcpy((unsigned char *)zeroipc_memory_base(mem) + off + 8 + 2, &v, 2);
	assert_ok(zeroipc_array_open(&arr, mem, "foreign", 2));
	assert_int_equal(zeroipc_array_capacity(arr), 3);
	v = 0;
	assert_ok(zeroipc_array_get(&v, arr, 1));
	assert_int_equal(v, 0xBEEF);
	assert_fails_with(zeroipc_array_get(&v, arr, 3), ZEROIPC_ERANGE);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

struct adder_args {
	const char *name;
	int rounds;
};

/* Child: `rounds` times, add 1 to c64[0] and, by CAS, to c32[1]. */
static int adder(void *arg)
{
	const struct adder_args *a = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_array *c64 = NULL, *c32 = NULL;
	int i;

	if (zeroipc_memory_open(&mem, a->name, 0) != 0)
		return 10;
	if (zeroipc_array_open(&c64, mem, "c64", 8) != 0 ||
	    zeroipc_array_open(&c32, mem, "c32", 4) != 0)
		return 11;
	for (i = 0; i < a->rounds; i++) {
		uint32_t seen;

		if (zeroipc_array_fetch_add_u64(NULL, c64, 0, 1) != 0)
			return 12;
		/* A CAS loop: the ECHANGED path under real contention. */
		if (zeroipc_array_load_u32(&seen, c32, 1) != 0)
			return 13;
		while (zeroipc_array_compare_exchange_u32(c32, 1, &seen,
							  seen + 1) != 0)
			;
	}
	zeroipc_array_close(c32);
	zeroipc_array_close(c64);
	zeroipc_memory_close(mem);
	return 0;
}

static void test_array_atomics_across_processes(void **state)
{
	enum {
		CHILDREN = 4,
		ROUNDS = 20000
	};
	struct adder_args args;
	zeroipc_memory *mem;
	zeroipc_array *c64 = NULL, *c32 = NULL;
	pid_t pids[CHILDREN];
	uint64_t total64 = 0;
	uint32_t total32 = 0;
	char name[128];
	int i;

	(void)state;
	mem = zt_create(name, sizeof(name), "arr-procs", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&c64, mem, "c64", 8, 1));
	assert_ok(zeroipc_array_create(&c32, mem, "c32", 4, 2));
	args.name = name;
	args.rounds = ROUNDS;
	for (i = 0; i < CHILDREN; i++)
		pids[i] = zt_fork(adder, &args);
	for (i = 0; i < CHILDREN; i++)
		assert_int_equal(zt_wait(pids[i]), 0);
	assert_ok(zeroipc_array_load_u64(&total64, c64, 0));
	assert_int_equal(total64, (uint64_t)CHILDREN * ROUNDS);
	assert_ok(zeroipc_array_load_u32(&total32, c32, 1));
	assert_int_equal(total32, (uint32_t)CHILDREN * ROUNDS);
	zeroipc_array_close(c32);
	zeroipc_array_close(c64);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_array_create_and_open),
		cmocka_unit_test(test_array_starts_zeroed),
		cmocka_unit_test(test_array_get_set_and_bounds),
		cmocka_unit_test(test_array_odd_element_size),
		cmocka_unit_test(test_array_open_wrong_elem_size),
		cmocka_unit_test(
			test_array_create_errors_leave_table_unchanged),
		cmocka_unit_test(test_array_atomics_u32),
		cmocka_unit_test(test_array_atomics_u64),
		cmocka_unit_test(test_array_atomics_wrong_size),
		cmocka_unit_test(test_array_layout_matches_format),
		cmocka_unit_test(test_array_open_uses_capacity_from_segment),
		cmocka_unit_test(test_array_atomics_across_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
