/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c - object pools: create/open, the layout of SPECIFICATION.md
 * ("Pool"), allocate until full, free and reuse, bad frees (double, never
 * allocated, out of range), pointers from indices, the blocking allocate,
 * read-only handles, validate, and hostile headers and free lists that must
 * give errors and never an access outside the entry (run under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 16)

/* Offsets from the pool's base, as SPECIFICATION.md "Pool" gives them. */
#define P_CAPACITY 0
#define P_ELEM_SIZE 4
#define P_HEAD 8
#define P_IN_USE 16
#define P_WAITERS 24
#define P_SEQ 28
#define P_NEXT 32
#define P_NIL 0xFFFFFFFFu

static uint64_t links_bytes(uint64_t capacity)
{
	return (4 * capacity + 7) & ~(uint64_t)7;
}

static uint64_t pool_entry_size(uint64_t capacity, uint64_t elem_size)
{
	return 32 + 2 * links_bytes(capacity) + capacity * elem_size;
}

static uint64_t state_off(uint64_t capacity)
{
	return 32 + links_bytes(capacity);
}

static uint64_t data_off(uint64_t capacity)
{
	return 32 + 2 * links_bytes(capacity);
}

static void test_pool_create_and_open(void **state)
{
	zeroipc_memory *mem, *other = NULL;
	zeroipc_pool *pool = NULL, *again = NULL;
	zeroipc_table_entry e;
	void *p = NULL, *q = NULL;
	uint64_t idx = 99;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-basic", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "objs", 16, 10));
	assert_non_null(pool);
	assert_int_equal(zeroipc_pool_capacity(pool), 10);
	assert_int_equal(zeroipc_pool_elem_size(pool), 16);
	assert_int_equal(zeroipc_pool_in_use(pool), 0);
	assert_ok(zeroipc_pool_validate(mem, "objs"));
	assert_ok(zeroipc_table_find(&e, mem, "objs"));
	assert_int_equal(e.size, pool_entry_size(10, 16));

	/* A second mapping at another address sees the same objects. */
	assert_ok(zeroipc_memory_open(&other, name, 0));
	assert_ok(zeroipc_pool_open(&again, other, "objs", 16));
	assert_int_equal(zeroipc_pool_capacity(again), 10);
	assert_int_equal(zeroipc_pool_elem_size(again), 16);
	assert_ok(zeroipc_pool_try_allocate(&idx, pool));
	assert_int_equal(idx, 0);
	assert_int_equal(zeroipc_pool_in_use(again), 1);
	assert_ok(zeroipc_pool_ptr(&p, pool, idx));
	assert_ok(zeroipc_pool_ptr(&q, again, idx));
	assert_ptr_not_equal(p, q);
	memcpy(p, "fifteen bytes!!", 16);
	assert_memory_equal(q, "fifteen bytes!!", 16);
	/* The other handle may free what this one allocated. */
	assert_ok(zeroipc_pool_free(again, idx));
	assert_int_equal(zeroipc_pool_in_use(pool), 0);
	zeroipc_pool_close(again);
	zeroipc_memory_close(other);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_close_and_getters_accept_null(void **state)
{
	(void)state;
	zeroipc_pool_close(NULL);
	assert_int_equal(zeroipc_pool_capacity(NULL), 0);
	assert_int_equal(zeroipc_pool_elem_size(NULL), 0);
	assert_int_equal(zeroipc_pool_in_use(NULL), 0);
}

static void test_pool_layout_matches_specification(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	unsigned char *base;
	void *p = NULL;
	uint64_t idx;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-layout", SEG_SIZE, 0);
	/* Odd sizes: capacity 3 pads the link arrays, 12-byte objects. */
	assert_ok(zeroipc_pool_create(&pool, mem, "odd", 12, 3));
	base = zt_entry_base(mem, "odd", NULL);
	assert_int_equal(pool_entry_size(3, 12), 32 + 16 + 16 + 36);
	assert_int_equal(zt_rd32(base, P_CAPACITY), 3);
	assert_int_equal(zt_rd32(base, P_ELEM_SIZE), 12);
	assert_int_equal(zt_rd64(base, P_HEAD), 0); /* tag 0, index 0 */
	assert_int_equal(zt_rd32(base, P_IN_USE), 0);
	assert_int_equal(zt_rd32(base, 20), 0);
	assert_int_equal(zt_rd32(base, P_WAITERS), 0);
	assert_int_equal(zt_rd32(base, P_SEQ), 0);
	assert_int_equal(zt_rd32(base, P_NEXT + 0), 1);
	assert_int_equal(zt_rd32(base, P_NEXT + 4), 2);
	assert_int_equal(zt_rd32(base, P_NEXT + 8), P_NIL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(zt_rd32(base, state_off(3) + 4 * i), 0);

	for (uint64_t want = 0; want < 3; want++) {
		assert_ok(zeroipc_pool_try_allocate(&idx, pool));
		assert_int_equal(idx, want);
		assert_int_equal(zt_rd32(base, state_off(3) + 4 * idx), 1);
		assert_ok(zeroipc_pool_ptr(&p, pool, idx));
		assert_ptr_equal(p, base + data_off(3) + 12 * idx);
	}
	assert_int_equal(zt_rd32(base, P_IN_USE), 3);
	assert_int_equal((uint32_t)zt_rd64(base, P_HEAD), P_NIL);
	/* Three pops, three tag increments. */
	assert_int_equal(zt_rd64(base, P_HEAD) >> 32, 3);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_allocate_until_full(void **state)
{
	enum { CAP = 8 };
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	uint64_t idx, seen = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-full", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, CAP));
	for (int i = 0; i < CAP; i++) {
		assert_ok(zeroipc_pool_try_allocate(&idx, pool));
		assert_true(idx < CAP);
		assert_false(seen & (1u << idx));
		seen |= 1u << idx;
		assert_int_equal(zeroipc_pool_in_use(pool), i + 1);
	}
	assert_int_equal(seen, (1u << CAP) - 1);
	idx = 1234;
	assert_fails_with(zeroipc_pool_try_allocate(&idx, pool), ZEROIPC_EFULL);
	assert_int_equal(idx, 1234); /* untouched on failure */
	assert_fails_with(zeroipc_pool_allocate(&idx, pool, 0),
			  ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_pool_allocate(&idx, pool, 2000000),
			  ZEROIPC_ETIMEOUT);
	assert_int_equal(zeroipc_pool_in_use(pool), CAP);
	assert_ok(zeroipc_pool_validate(mem, "p"));

	/* Everything back, then everything allocatable again exactly once. */
	for (uint64_t i = 0; i < CAP; i++)
		assert_ok(zeroipc_pool_free(pool, i));
	assert_int_equal(zeroipc_pool_in_use(pool), 0);
	assert_ok(zeroipc_pool_validate(mem, "p"));
	seen = 0;
	for (int i = 0; i < CAP; i++) {
		assert_ok(zeroipc_pool_allocate(&idx, pool, 0));
		assert_false(seen & (1u << idx));
		seen |= 1u << idx;
	}
	assert_int_equal(seen, (1u << CAP) - 1);
	assert_fails_with(zeroipc_pool_try_allocate(&idx, pool), ZEROIPC_EFULL);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_free_then_reuse_keeps_bytes(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	uint64_t a, b, c;
	void *p = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-reuse", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, 4));
	assert_ok(zeroipc_pool_try_allocate(&a, pool));
	assert_ok(zeroipc_pool_try_allocate(&b, pool));
	/* Fresh objects are zero-filled. */
	assert_ok(zeroipc_pool_ptr(&p, pool, b));
	assert_memory_equal(p, "\0\0\0\0\0\0\0\0", 8);
	memcpy(p, "leftover", 8);
	assert_ok(zeroipc_pool_free(pool, b));
	/* The free list is LIFO: the object just freed comes back first, with
	 * its previous owner's bytes (the pool does not clear objects). */
	assert_ok(zeroipc_pool_try_allocate(&c, pool));
	assert_int_equal(c, b);
	assert_ok(zeroipc_pool_ptr(&p, pool, c));
	assert_memory_equal(p, "leftover", 8);
	assert_int_equal(zeroipc_pool_in_use(pool), 2);
	assert_ok(zeroipc_pool_free(pool, a));
	assert_ok(zeroipc_pool_free(pool, c));
	assert_int_equal(zeroipc_pool_in_use(pool), 0);
	assert_ok(zeroipc_pool_validate(mem, "p"));
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_bad_frees_are_reported(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	unsigned char *base;
	uint64_t idx, head;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-badfree", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 4, 4));
	base = zt_entry_base(mem, "p", NULL);
	/* Never allocated. */
	assert_fails_with(zeroipc_pool_free(pool, 2), ZEROIPC_ENOT_ALLOCATED);
	assert_ok(zeroipc_pool_try_allocate(&idx, pool));
	assert_ok(zeroipc_pool_free(pool, idx));
	head = zt_rd64(base, P_HEAD);
	/* Double free: reported, and the list and count are untouched. */
	assert_fails_with(zeroipc_pool_free(pool, idx), ZEROIPC_ENOT_ALLOCATED);
	assert_int_equal(zt_rd64(base, P_HEAD), head);
	assert_int_equal(zeroipc_pool_in_use(pool), 0);
	/* Out of range, including values that would truncate to a valid
	 * 32-bit index. */
	assert_fails_with(zeroipc_pool_free(pool, 4), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_pool_free(pool, P_NIL), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_pool_free(pool, ((uint64_t)1 << 32) + 1),
			  ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_pool_free(NULL, 0), ZEROIPC_EINVAL);
	assert_ok(zeroipc_pool_validate(mem, "p"));
	/* The pool still hands out each object exactly once. */
	for (uint64_t want = 0; want < 4; want++) {
		assert_ok(zeroipc_pool_try_allocate(&idx, pool));
		assert_int_equal(idx, want);
	}
	assert_fails_with(zeroipc_pool_try_allocate(&idx, pool), ZEROIPC_EFULL);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_ptr_checks_index_and_state(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	void *p = (void *)1;
	uint64_t idx;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-ptr", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 24, 5));
	assert_fails_with(zeroipc_pool_ptr(&p, pool, 0),
			  ZEROIPC_ENOT_ALLOCATED);
	assert_null(p);
	assert_fails_with(zeroipc_pool_ptr(&p, pool, 5), ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_pool_ptr(&p, pool, ((uint64_t)1 << 32)),
			  ZEROIPC_ERANGE);
	assert_fails_with(zeroipc_pool_ptr(NULL, pool, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_ptr(&p, NULL, 0), ZEROIPC_EINVAL);
	assert_ok(zeroipc_pool_try_allocate(&idx, pool));
	assert_ok(zeroipc_pool_ptr(&p, pool, idx));
	/* Objects of a multiple of 8 bytes are 8-byte aligned. */
	assert_int_equal((uintptr_t)p % 8, 0);
	assert_ok(zeroipc_pool_free(pool, idx));
	assert_fails_with(zeroipc_pool_ptr(&p, pool, idx),
			  ZEROIPC_ENOT_ALLOCATED);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_create_rejects_bad_arguments(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = (zeroipc_pool *)1;
	struct zt_snapshot snap;
	char name[128];
	char long_name[40];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-args", SEG_SIZE, 0);
	zt_snapshot_take(&snap, mem);
	assert_fails_with(zeroipc_pool_create(&pool, mem, "p", 0, 4),
			  ZEROIPC_EINVAL);
	assert_null(pool);
	assert_fails_with(zeroipc_pool_create(&pool, mem, "p", 8, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_create(&pool, mem, "p", 8,
					      (uint64_t)P_NIL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_create(&pool, mem, "p",
					      (uint64_t)UINT32_MAX + 1, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_create(&pool, NULL, "p", 8, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_create(NULL, mem, "p", 8, 4),
			  ZEROIPC_EINVAL);
	/* Too big for the segment. */
	assert_fails_with(zeroipc_pool_create(&pool, mem, "p", 1024, 1024),
			  ZEROIPC_ENO_SPACE);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_fails_with(zeroipc_pool_create(&pool, mem, long_name, 8, 4),
			  ZEROIPC_ENAME);
	assert_null(pool);
	/* No failed create left anything in the table. */
	zt_snapshot_check(&snap, mem);

	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, 4));
	zeroipc_pool_close(pool);
	assert_fails_with(zeroipc_pool_create(&pool, mem, "p", 8, 4),
			  ZEROIPC_EEXISTS);
	assert_null(pool);
	zt_destroy(mem, name);
}

static void test_pool_open_wrong_elem_size(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-elem", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, 4));
	zeroipc_pool_close(pool);
	pool = (zeroipc_pool *)1;
	assert_fails_with(zeroipc_pool_open(&pool, mem, "p", 4),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_null(pool);
	assert_fails_with(zeroipc_pool_open(&pool, mem, "p", 16),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_pool_open(&pool, mem, "p", 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_open(&pool, mem, "nope", 8),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_pool_open(&pool, NULL, "p", 8),
			  ZEROIPC_EINVAL);
	assert_ok(zeroipc_pool_open(&pool, mem, "p", 8));
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

/* The opener of the hostile-header cases: 8-byte objects. */
static int open_hostile(zeroipc_memory *mem, const char *pname)
{
	zeroipc_pool *pool = (zeroipc_pool *)1;
	int rc = zeroipc_pool_open(&pool, mem, pname, 8);

	if (rc == 0)
		zeroipc_pool_close(pool);
	else
		assert_null(pool);
	return rc;
}

/* Open after applying one corruption to a fresh pool; expect `status`. */
struct hostile_case {
	const char *what;
	uint64_t off;
	int width; /* 4 or 8 */
	uint64_t value;
	int status;
};

static void test_pool_open_rejects_hostile_header(void **state)
{
	enum { CAP = 6, ELEM = 8 };
	static const struct hostile_case cases[] = {
		{ "capacity 0", P_CAPACITY, 4, 0, ZEROIPC_ECORRUPT },
		{ "capacity NIL", P_CAPACITY, 4, P_NIL, ZEROIPC_ECORRUPT },
		{ "capacity huge", P_CAPACITY, 4, 0x7FFFFFFF,
		  ZEROIPC_ECORRUPT },
		{ "capacity smaller", P_CAPACITY, 4, CAP - 1,
		  ZEROIPC_ECORRUPT },
		{ "capacity larger", P_CAPACITY, 4, CAP + 1,
		  ZEROIPC_ECORRUPT },
		{ "elem size 0", P_ELEM_SIZE, 4, 0, ZEROIPC_ECORRUPT },
		{ "elem size other", P_ELEM_SIZE, 4, 4,
		  ZEROIPC_ESIZE_MISMATCH },
		{ "head out of range", P_HEAD, 8, CAP, ZEROIPC_ECORRUPT },
		{ "head far out", P_HEAD, 8, ((uint64_t)7 << 32) | 0x12345678,
		  ZEROIPC_ECORRUPT },
		{ "in_use > capacity", P_IN_USE, 4, CAP + 1,
		  ZEROIPC_ECORRUPT },
		{ "in_use huge", P_IN_USE, 4, P_NIL, ZEROIPC_ECORRUPT },
	};
	char name[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct hostile_case *c = &cases[i];
		zeroipc_memory *mem;
		zeroipc_pool *pool = NULL;
		struct zt_hostile h;

		mem = zt_create(name, sizeof(name), "pool-hostile", SEG_SIZE,
				0);
		assert_ok(zeroipc_pool_create(&pool, mem, "p", ELEM, CAP));
		zeroipc_pool_close(pool);
		h = (struct zt_hostile){ .mem = mem, .name = "p",
					 .base = zt_entry_base(mem, "p", NULL),
					 .open = open_hostile,
					 .validate = zeroipc_pool_validate,
					 .what = c->what };
		/* Validation states no element size, so a header whose size
		 * disagrees with its entry is corrupt, not another type. */
		zt_expect_hostile(&h, c->off, (unsigned)c->width, c->value,
				  c->status, ZEROIPC_ECORRUPT);
		zt_destroy(mem, name);
	}
}

static void test_pool_open_rejects_wrong_entry_size(void **state)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	char name[128];
	uint64_t size;

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-entry", SEG_SIZE, 0);
	size = pool_entry_size(4, 8);
	/* Regions added by hand: too short for a header, one byte short,
	 * rounded up (the size is recorded exactly). */
	assert_ok(zeroipc_table_add(NULL, mem, "tiny", 31));
	assert_ok(zeroipc_table_add(NULL, mem, "short", size - 1));
	assert_ok(zeroipc_table_add(NULL, mem, "long", size + 8));
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = { "tiny", "short", "long" };
		unsigned char *base = zt_entry_base(mem, names[i], NULL);

		if (i > 0) {
			zt_wr32(base, P_CAPACITY, 4);
			zt_wr32(base, P_ELEM_SIZE, 8);
		}
		assert_fails_with(zeroipc_pool_open(&pool, mem, names[i], 8),
				  ZEROIPC_ECORRUPT);
		assert_null(pool);
		assert_fails_with(zeroipc_pool_validate(mem, names[i]),
				  ZEROIPC_ECORRUPT);
	}
	zt_destroy(mem, name);
}

static void test_pool_scribbled_header_after_open_stays_in_bounds(void **state)
{
	enum { CAP = 4 };
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	unsigned char *base;
	uint64_t idx, seen = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-scribble", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, CAP));
	base = zt_entry_base(mem, "p", NULL);
	/* Another process claims the pool is huge and its objects large: the
	 * handle keeps the values it validated. */
	zt_wr32(base, P_CAPACITY, 0x7FFFFFFF);
	zt_wr32(base, P_ELEM_SIZE, 4096);
	assert_int_equal(zeroipc_pool_capacity(pool), CAP);
	assert_int_equal(zeroipc_pool_elem_size(pool), 8);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_free(pool, CAP), ZEROIPC_ERANGE);
	for (int i = 0; i < CAP; i++) {
		void *p = NULL;

		assert_ok(zeroipc_pool_try_allocate(&idx, pool));
		assert_true(idx < CAP);
		seen |= 1u << idx;
		assert_ok(zeroipc_pool_ptr(&p, pool, idx));
		memset(p, 0xAB, 8); /* ASan: stays inside the entry */
	}
	assert_int_equal(seen, (1u << CAP) - 1);
	assert_fails_with(zeroipc_pool_try_allocate(&idx, pool), ZEROIPC_EFULL);
	/* A huge in_use is clamped for callers. */
	zt_wr32(base, P_IN_USE, 0xFFFFFF00u);
	assert_int_equal(zeroipc_pool_in_use(pool), CAP);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_corrupt_free_list_is_detected(void **state)
{
	enum { CAP = 4 };
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	unsigned char *base;
	uint64_t a, b, c, d, x;
	void *p = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-badlist", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, CAP));
	base = zt_entry_base(mem, "p", NULL);

	/* A link out of range: reported when reached, never followed. */
	zt_wr32(base, P_NEXT + 4 * 1, 1000000);
	assert_ok(zeroipc_pool_try_allocate(&a, pool));
	assert_int_equal(a, 0);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_try_allocate(&x, pool),
			  ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_allocate(&x, pool, 1000000),
			  ZEROIPC_ECORRUPT);
	zt_wr32(base, P_NEXT + 4 * 1, 2); /* repair */
	assert_ok(zeroipc_pool_validate(mem, "p"));

	/* A cycle 2 -> 3 -> 2: the pool hands out 1, 2, 3 once each and then
	 * finds allocated object 2 on the list instead of handing it out a
	 * second time. */
	zt_wr32(base, P_NEXT + 4 * 3, 2);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);
	assert_ok(zeroipc_pool_try_allocate(&b, pool));
	assert_ok(zeroipc_pool_try_allocate(&c, pool));
	assert_ok(zeroipc_pool_try_allocate(&d, pool));
	assert_int_equal(b, 1);
	assert_int_equal(c, 2);
	assert_int_equal(d, 3);
	assert_fails_with(zeroipc_pool_try_allocate(&x, pool),
			  ZEROIPC_ECORRUPT);
	assert_int_equal(zeroipc_pool_in_use(pool), 4);

	/* A state word that is neither FREE nor ALLOCATED. */
	zt_wr32(base, state_off(CAP) + 4 * 1, 7);
	assert_fails_with(zeroipc_pool_free(pool, 1), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_ptr(&p, pool, 1), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);

	/* A head scribbled out of range after open. */
	zt_wr32(base, state_off(CAP) + 4 * 1, 1);
	zt_wr64(base, P_HEAD, 99);
	assert_fails_with(zeroipc_pool_try_allocate(&x, pool),
			  ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_free(pool, 0), ZEROIPC_ECORRUPT);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_validate_checks_counts(void **state)
{
	enum { CAP = 4 };
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	unsigned char *base;
	uint64_t idx;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-validate", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, CAP));
	base = zt_entry_base(mem, "p", NULL);
	assert_ok(zeroipc_pool_try_allocate(&idx, pool));
	assert_ok(zeroipc_pool_validate(mem, "p"));
	/* in_use below the ALLOCATED count. */
	zt_wr32(base, P_IN_USE, 0);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);
	/* One above, as a process that died between counting and marking
	 * leaves it: consistent. */
	zt_wr32(base, P_IN_USE, 2);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);
	/* ... only if that object is off the list too: take object 1 off the
	 * list by hand, as the dead process would have. */
	zt_wr64(base, P_HEAD, ((uint64_t)9 << 32) | 2);
	assert_ok(zeroipc_pool_validate(mem, "p"));
	/* An allocated object on the free list. */
	zt_wr64(base, P_HEAD, ((uint64_t)10 << 32) | 0);
	assert_fails_with(zeroipc_pool_validate(mem, "p"), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_pool_validate(NULL, "p"), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_pool_validate(mem, NULL), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_pool_validate(mem, ""), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_pool_validate(mem, "nope"),
			  ZEROIPC_ENOT_FOUND);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

static void test_pool_readonly_handle_reads_only(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_pool *pool = NULL, *rpool = NULL;
	uint64_t idx, x;
	void *p = NULL, *q = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, 4));
	assert_ok(zeroipc_pool_try_allocate(&idx, pool));
	assert_ok(zeroipc_pool_ptr(&p, pool, idx));
	memcpy(p, "readonly", 8);
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_ok(zeroipc_pool_open(&rpool, ro, "p", 8));
	assert_int_equal(zeroipc_pool_in_use(rpool), 1);
	assert_ok(zeroipc_pool_ptr(&q, rpool, idx));
	assert_memory_equal(q, "readonly", 8);
	assert_fails_with(zeroipc_pool_try_allocate(&x, rpool),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_pool_allocate(&x, rpool, -1),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_pool_free(rpool, idx), ZEROIPC_EREADONLY);
	assert_ok(zeroipc_pool_validate(ro, "p"));
	zeroipc_pool_close(rpool);
	assert_fails_with(zeroipc_pool_create(&rpool, ro, "q", 8, 4),
			  ZEROIPC_EREADONLY);
	assert_null(rpool);
	zeroipc_memory_close(ro);
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

struct waiter_arg {
	const char *name;
	int ready_fd;
};

/* Child: open the full pool, announce, block until an object is freed, and
 * exit with its index (or 100 + |status| on failure). */
static int blocking_child(void *varg)
{
	struct waiter_arg *arg = varg;
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	uint64_t idx = 0;
	int rc;

	if (zeroipc_memory_open(&mem, arg->name, 0) != 0 ||
	    zeroipc_pool_open(&pool, mem, "p", 8) != 0)
		return 99;
	if (zeroipc_pool_try_allocate(&idx, pool) != ZEROIPC_EFULL)
		return 98;
	if (write(arg->ready_fd, "r", 1) != 1)
		return 97;
	/* Generous bound: the parent frees as soon as it reads "r". */
	rc = zeroipc_pool_allocate(&idx, pool, 30LL * 1000000000LL);
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	return rc == 0 ? (int)idx : 100 - rc;
}

static void test_pool_allocate_waits_for_free_in_other_process(void **state)
{
	enum { CAP = 3 };
	zeroipc_memory *mem;
	zeroipc_pool *pool = NULL;
	struct waiter_arg arg;
	uint64_t idx;
	int fds[2];
	pid_t pid;
	char c, name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "pool-block", SEG_SIZE, 0);
	assert_ok(zeroipc_pool_create(&pool, mem, "p", 8, CAP));
	for (int i = 0; i < CAP; i++)
		assert_ok(zeroipc_pool_try_allocate(&idx, pool));
	assert_int_equal(pipe(fds), 0);
	arg.name = name;
	arg.ready_fd = fds[1];
	pid = zt_fork(blocking_child, &arg);
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	assert_ok(zeroipc_pool_free(pool, 1));
	assert_int_equal(zt_wait(pid), 1);
	assert_int_equal(zeroipc_pool_in_use(pool), CAP);
	assert_ok(zeroipc_pool_validate(mem, "p"));
	zeroipc_pool_close(pool);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_create_and_open),
		cmocka_unit_test(test_pool_close_and_getters_accept_null),
		cmocka_unit_test(test_pool_layout_matches_specification),
		cmocka_unit_test(test_pool_allocate_until_full),
		cmocka_unit_test(test_pool_free_then_reuse_keeps_bytes),
		cmocka_unit_test(test_pool_bad_frees_are_reported),
		cmocka_unit_test(test_pool_ptr_checks_index_and_state),
		cmocka_unit_test(test_pool_create_rejects_bad_arguments),
		cmocka_unit_test(test_pool_open_wrong_elem_size),
		cmocka_unit_test(test_pool_open_rejects_hostile_header),
		cmocka_unit_test(test_pool_open_rejects_wrong_entry_size),
		cmocka_unit_test(
			test_pool_scribbled_header_after_open_stays_in_bounds),
		cmocka_unit_test(test_pool_corrupt_free_list_is_detected),
		cmocka_unit_test(test_pool_validate_checks_counts),
		cmocka_unit_test(test_pool_readonly_handle_reads_only),
		cmocka_unit_test(
			test_pool_allocate_waits_for_free_in_other_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
