/* SPDX-License-Identifier: MIT */
/*
 * test_stack.c - stacks: create/open, the format v2 bytes (header, data at
 * +16, state words after the aligned data), LIFO order, full/empty, the
 * blocking calls and their timeouts, top() claiming its slot, slots held by
 * another process (bounded waits), hostile headers and state words, the
 * at-rest validator, read-only mappings, and threads racing on one stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 16)
/* Short slot timeout for cases that wait on a slot nobody will release. */
#define SHORT_NS 20000000LL

#define ST_EMPTY 0u
#define ST_WRITING 1u
#define ST_READY 2u
#define ST_READING 3u

static int32_t *raw_top(const struct zt_raw *r)
{
	return (int32_t *)(void *)r->base;
}

static void test_stack_create_open_and_layout(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL, *again = NULL;
	zeroipc_table_entry e;
	struct zt_raw r;
	uint32_t u;
	char name[128];
	unsigned char v[3] = { 1, 2, 3 };

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-layout", SEG_SIZE, 0);
	/* 3-byte elements, 5 slots: data 15 bytes, states at 16 + 16. */
	assert_ok(zeroipc_stack_create(&s, mem, "odd", 3, 5));
	assert_non_null(s);
	assert_int_equal(zeroipc_stack_capacity(s), 5);
	assert_int_equal(zeroipc_stack_elem_size(s), 3);
	assert_int_equal(zeroipc_stack_size(s), 0);
	assert_int_equal(zeroipc_stack_empty(s), 1);
	assert_int_equal(zeroipc_stack_full(s), 0);
	assert_int_equal(zeroipc_stack_slot_timeout(s),
			 ZEROIPC_STACK_SLOT_TIMEOUT_DEFAULT_NS);

	r = zt_raw_of(mem, "odd", 5, 3);
	assert_int_equal(r.size, 16 + 16 + 4 * 5);
	assert_int_equal(r.offset % 8, 0);
	assert_int_equal(*raw_top(&r), -1);
	memcpy(&u, r.base + 4, 4);
	assert_int_equal(u, 5);
	memcpy(&u, r.base + 8, 4);
	assert_int_equal(u, 3);
	memcpy(&u, r.base + 12, 4);
	assert_int_equal(u, 0);
	for (u = 0; u < 5; u++)
		assert_int_equal(*zt_raw_slot_word(&r, u), ST_EMPTY);

	/* The companion with two eventcounts (16 bytes) exists. */
	assert_ok(zeroipc_table_find(&e, mem, "odd.wait"));
	assert_int_equal(e.size, 16);

	assert_ok(zeroipc_stack_try_push(s, v));
	assert_int_equal(*raw_top(&r), 0);
	assert_int_equal(*zt_raw_slot_word(&r, 0), ST_READY);
	assert_memory_equal(r.base + 16, v, 3);

	/* A second handle through a second mapping sees the element. */
	{
		zeroipc_memory *other = NULL;
		unsigned char got[3];

		assert_ok(zeroipc_memory_open(&other, name, 0));
		assert_ok(zeroipc_stack_open(&again, other, "odd", 3));
		assert_int_equal(zeroipc_stack_capacity(again), 5);
		assert_int_equal(zeroipc_stack_size(again), 1);
		assert_ok(zeroipc_stack_try_pop(got, again));
		assert_memory_equal(got, v, 3);
		assert_int_equal(*zt_raw_slot_word(&r, 0), ST_EMPTY);
		assert_int_equal(*raw_top(&r), -1);
		zeroipc_stack_close(again);
		zeroipc_memory_close(other);
	}
	assert_ok(zeroipc_stack_validate(mem, "odd"));
	zeroipc_stack_close(s);
	zeroipc_stack_close(NULL);
	zt_destroy(mem, name);
}

static void test_stack_lifo_full_and_empty(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	uint64_t v, i;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-lifo", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 4));
	assert_fails_with(zeroipc_stack_try_pop(&v, s), ZEROIPC_EEMPTY);
	assert_fails_with(zeroipc_stack_top(&v, s), ZEROIPC_EEMPTY);
	for (i = 0; i < 4; i++) {
		v = 100 + i;
		assert_ok(zeroipc_stack_try_push(s, &v));
		assert_int_equal(zeroipc_stack_size(s), i + 1);
	}
	assert_int_equal(zeroipc_stack_full(s), 1);
	v = 999;
	assert_fails_with(zeroipc_stack_try_push(s, &v), ZEROIPC_EFULL);
	assert_int_equal(zeroipc_stack_size(s), 4);
	assert_ok(zeroipc_stack_validate(mem, "s"));
	for (i = 4; i-- > 0;) {
		v = 0;
		assert_ok(zeroipc_stack_top(&v, s));
		assert_int_equal(v, 100 + i);
		v = 0;
		assert_ok(zeroipc_stack_try_pop(&v, s));
		assert_int_equal(v, 100 + i);
	}
	assert_int_equal(zeroipc_stack_empty(s), 1);
	assert_fails_with(zeroipc_stack_try_pop(&v, s), ZEROIPC_EEMPTY);
	/* Interleaved: the most recent push is always the next pop. */
	v = 1;
	assert_ok(zeroipc_stack_try_push(s, &v));
	v = 2;
	assert_ok(zeroipc_stack_try_push(s, &v));
	assert_ok(zeroipc_stack_try_pop(&v, s));
	assert_int_equal(v, 2);
	v = 3;
	assert_ok(zeroipc_stack_try_push(s, &v));
	assert_ok(zeroipc_stack_try_pop(&v, s));
	assert_int_equal(v, 3);
	assert_ok(zeroipc_stack_try_pop(&v, s));
	assert_int_equal(v, 1);
	assert_ok(zeroipc_stack_validate(mem, "s"));
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_top_does_not_remove(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-top", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 4, 2));
	r = zt_raw_of(mem, "s", 2, 4);
	v = 7;
	assert_ok(zeroipc_stack_try_push(s, &v));
	for (int i = 0; i < 3; i++) {
		v = 0;
		assert_ok(zeroipc_stack_top(&v, s));
		assert_int_equal(v, 7);
		/* The peek handed the slot back. */
		assert_int_equal(*zt_raw_slot_word(&r, 0), ST_READY);
		assert_int_equal(zeroipc_stack_size(s), 1);
	}
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_create_errors(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-cerr", SEG_SIZE, 0);
	assert_fails_with(zeroipc_stack_create(NULL, mem, "s", 4, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_create(&s, NULL, "s", 4, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_create(&s, mem, "s", 0, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_create(&s, mem, "s", 4, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_create(&s, mem, "s", 4,
					       (uint64_t)1 << 31),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_create(&s, mem, "s",
					       (uint64_t)1 << 32, 4),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_create(&s, mem, NULL, 4, 4),
			  ZEROIPC_ENAME);
	assert_fails_with(zeroipc_stack_create(&s, mem, "", 4, 4),
			  ZEROIPC_ENAME);
	/* 27 bytes: "<name>.wait" would not fit a table name. */
	assert_fails_with(zeroipc_stack_create(&s, mem,
					       "abcdefghijklmnopqrstuvwxyz0",
					       4, 4),
			  ZEROIPC_ENAME);
	assert_int_equal(zeroipc_table_count(mem), 0);
	/* Too big for the segment: ENO_SPACE, nothing half-made usable. */
	assert_fails_with(zeroipc_stack_create(&s, mem, "big", 4, 1u << 20),
			  ZEROIPC_ENO_SPACE);
	assert_null(s);

	assert_ok(zeroipc_stack_create(&s, mem, "abcdefghijklmnopqrstuvwxyz",
				       4, 4));
	zeroipc_stack_close(s);
	s = NULL;
	assert_fails_with(zeroipc_stack_create(&s, mem,
					       "abcdefghijklmnopqrstuvwxyz",
					       4, 4),
			  ZEROIPC_EEXISTS);
	assert_null(s);
	zt_destroy(mem, name);
}

static void test_stack_open_errors(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-oerr", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 4));
	zeroipc_stack_close(s);
	s = NULL;
	assert_fails_with(zeroipc_stack_open(&s, mem, "s", 4),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_null(s);
	assert_fails_with(zeroipc_stack_open(&s, mem, "s", 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_open(&s, mem, "nope", 8),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_stack_open(NULL, mem, "s", 8),
			  ZEROIPC_EINVAL);
	/* An entry too small to be a stack. */
	assert_ok(zeroipc_table_add(NULL, mem, "tiny", 8));
	assert_fails_with(zeroipc_stack_open(&s, mem, "tiny", 8),
			  ZEROIPC_ECORRUPT);
	assert_ok(zeroipc_stack_open(&s, mem, "s", 8));
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_open_adds_missing_companion(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	zeroipc_table_entry e;
	uint64_t off;
	uint32_t hdr[4] = { 0xFFFFFFFFu, 4, 8, 0 };
	uint64_t v = 5;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-foreign", SEG_SIZE, 0);
	/* As another implementation lays it out: no ".wait" entry. */
	assert_ok(zeroipc_table_add(&off, mem, "f", 16 + 32 + 16));
	memcpy((unsigned char *)zeroipc_memory_base(mem) + off, hdr,
	       sizeof(hdr));
	assert_status(zeroipc_table_find(&e, mem, "f.wait"),
		      ZEROIPC_ENOT_FOUND);
	assert_ok(zeroipc_stack_open(&s, mem, "f", 8));
	assert_ok(zeroipc_table_find(&e, mem, "f.wait"));
	assert_ok(zeroipc_stack_push(s, &v, 0));
	v = 0;
	assert_ok(zeroipc_stack_pop(&v, s, 0));
	assert_int_equal(v, 5);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_timeouts(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	uint32_t v = 1;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-timeout", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 4, 1));
	assert_fails_with(zeroipc_stack_pop(&v, s, 0), ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_stack_pop(&v, s, 5000000), ZEROIPC_ETIMEOUT);
	assert_ok(zeroipc_stack_push(s, &v, 0));
	assert_fails_with(zeroipc_stack_push(s, &v, 0), ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_stack_push(s, &v, 5000000),
			  ZEROIPC_ETIMEOUT);
	assert_ok(zeroipc_stack_pop(&v, s, ZEROIPC_WAIT_FOREVER));
	assert_int_equal(v, 1);
	assert_fails_with(zeroipc_stack_set_slot_timeout(s, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_set_slot_timeout(s, -1),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_set_slot_timeout(NULL, 5),
			  ZEROIPC_EINVAL);
	assert_ok(zeroipc_stack_set_slot_timeout(s, SHORT_NS));
	assert_int_equal(zeroipc_stack_slot_timeout(s), SHORT_NS);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

/* Waiters count of eventcount `which` in the companion "<stack>.wait". */
static uint32_t companion_waiters(zeroipc_memory *mem, const char *stack,
				  unsigned which)
{
	zeroipc_table_entry e;
	char cname[64];
	const uint32_t *w;

	snprintf(cname, sizeof(cname), "%s.wait", stack);
	if (zeroipc_table_find(&e, mem, cname) != 0)
		return 0;
	w = (const uint32_t *)(const void *)((const unsigned char *)
						     zeroipc_memory_base(mem) +
					     e.offset);
	return __atomic_load_n(&w[2 * which], __ATOMIC_ACQUIRE);
}

struct wake_arg {
	const char *seg;
	int which; /* eventcount the parent sleeps on: 0 items, 1 space */
};

/* Child: wait until the parent sleeps on the stack, then unblock it. */
static int wake_child(void *p)
{
	const struct wake_arg *a = p;
	zeroipc_memory *mem = NULL;
	zeroipc_stack *s = NULL;
	uint64_t v = 4242;
	long spins = 0;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_stack_open(&s, mem, "s", 8) != 0)
		return 1;
	/* The waiter count is the parent announcing it is about to sleep:
	 * a real condition, not a guessed delay.  Bounded, in case the parent
	 * never gets there. */
	while (companion_waiters(mem, "s", (unsigned)a->which) == 0) {
		if (++spins > 200000000L)
			return 2;
		sched_yield();
	}
	if (a->which == 0) {
		if (zeroipc_stack_push(s, &v, 1000000000LL) != 0)
			return 3;
	} else {
		if (zeroipc_stack_pop(&v, s, 1000000000LL) != 0)
			return 4;
	}
	zeroipc_stack_close(s);
	zeroipc_memory_close(mem);
	return 0;
}

static void test_stack_blocking_calls_wake_across_processes(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct wake_arg a;
	uint64_t v = 0;
	pid_t pid;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-wake", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 1));
	a.seg = name;

	/* Empty: pop sleeps until the child's push. */
	a.which = 0;
	pid = zt_fork(wake_child, &a);
	assert_ok(zeroipc_stack_pop(&v, s, 10000000000LL));
	assert_int_equal(v, 4242);
	assert_int_equal(zt_wait(pid), 0);

	/* Full: push sleeps until the child's pop. */
	v = 1;
	assert_ok(zeroipc_stack_push(s, &v, 0));
	a.which = 1;
	pid = zt_fork(wake_child, &a);
	v = 2;
	assert_ok(zeroipc_stack_push(s, &v, 10000000000LL));
	assert_int_equal(zt_wait(pid), 0);
	assert_ok(zeroipc_stack_pop(&v, s, 0));
	assert_int_equal(v, 2);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

/*
 * A slot another process holds: the pusher that claimed it is still
 * WRITING (or died doing so).  Pop and top must not read it and must give
 * up after the slot timeout; once it is published, both work.
 */
static void test_stack_slot_held_by_writer_times_out(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-held", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 4, 4));
	assert_ok(zeroipc_stack_set_slot_timeout(s, SHORT_NS));
	r = zt_raw_of(mem, "s", 4, 4);
	v = 10;
	assert_ok(zeroipc_stack_try_push(s, &v));
	/* Simulate a pusher between claim and publish of slot 1. */
	*raw_top(&r) = 1;
	*zt_raw_slot_word(&r, 1) = ST_WRITING;
	memset(r.base + 16 + 4, 0xEE, 4); /* half-written bytes */

	v = 0;
	assert_fails_with(zeroipc_stack_top(&v, s), ZEROIPC_ETIMEOUT);
	assert_int_equal(v, 0);
	assert_fails_with(zeroipc_stack_try_pop(&v, s), ZEROIPC_ETIMEOUT);
	assert_int_equal(v, 0);
	/* The pop's claim stands (top moved), the slot is untouched. */
	assert_int_equal(*raw_top(&r), 0);
	assert_int_equal(*zt_raw_slot_word(&r, 1), ST_WRITING);
	assert_fails_with(zeroipc_stack_validate(mem, "s"), ZEROIPC_ECORRUPT);

	/* The next push lands on the held slot and times out too. */
	v = 11;
	assert_fails_with(zeroipc_stack_try_push(s, &v), ZEROIPC_ETIMEOUT);
	assert_int_equal(*raw_top(&r), 1);

	/* The "writer" finishes: its element is there for the next pop. */
	memset(r.base + 16 + 4, 0, 4);
	r.base[16 + 4] = 77;
	*zt_raw_slot_word(&r, 1) = ST_READY;
	v = 0;
	assert_ok(zeroipc_stack_top(&v, s));
	assert_int_equal(v, 77);
	assert_ok(zeroipc_stack_try_pop(&v, s));
	assert_int_equal(v, 77);
	assert_ok(zeroipc_stack_try_pop(&v, s));
	assert_int_equal(v, 10);
	assert_ok(zeroipc_stack_validate(mem, "s"));
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

/* A popper still READING the slot a new push claims. */
static void test_stack_slot_held_by_reader_times_out(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	uint32_t v = 5;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-reader", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 4, 4));
	assert_ok(zeroipc_stack_set_slot_timeout(s, SHORT_NS));
	r = zt_raw_of(mem, "s", 4, 4);
	/* top is -1: its pop claimed it. */
	*zt_raw_slot_word(&r, 0) = ST_READING;
	assert_fails_with(zeroipc_stack_try_push(s, &v), ZEROIPC_ETIMEOUT);
	assert_int_equal(*zt_raw_slot_word(&r, 0), ST_READING);
	*zt_raw_slot_word(&r, 0) = ST_EMPTY;
	/* top is 0 now (the push's claim stood); the next push gets 1. */
	assert_ok(zeroipc_stack_try_push(s, &v));
	assert_int_equal(*zt_raw_slot_word(&r, 1), ST_READY);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

/* The opener of the hostile-header cases: 8-byte elements. */
static int open_hostile(zeroipc_memory *mem, const char *sname)
{
	zeroipc_stack *s = NULL;
	int rc = zeroipc_stack_open(&s, mem, sname, 8);

	if (rc == 0)
		zeroipc_stack_close(s);
	else
		assert_null(s);
	return rc;
}

static void test_stack_hostile_header_at_open(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	struct zt_hostile h;
	uint32_t good[4];
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-hostile", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 4));
	zeroipc_stack_close(s);
	s = NULL;
	r = zt_raw_of(mem, "s", 4, 8);
	memcpy(good, r.base, sizeof(good));
	h = (struct zt_hostile){ .mem = mem, .name = "s",
				 .base = r.base,
				 .open = open_hostile,
				 .validate = zeroipc_stack_validate };

/* Header word `field_index` (top, capacity, elem_size) set to `value`. */
#define HOSTILE(field_index, value, status)                                    \
	zt_expect_hostile(&h, 4 * (field_index), 4, (uint32_t)(value), status, \
			  ZEROIPC_ECORRUPT)

	HOSTILE(0, 4, ZEROIPC_ECORRUPT);            /* top == capacity */
	HOSTILE(0, 1000000, ZEROIPC_ECORRUPT);      /* top far beyond */
	HOSTILE(0, -2, ZEROIPC_ECORRUPT);           /* below empty */
	HOSTILE(0, INT32_MIN, ZEROIPC_ECORRUPT);
	HOSTILE(1, 0, ZEROIPC_ECORRUPT);            /* capacity 0 */
	HOSTILE(1, 0xFFFFFFFFu, ZEROIPC_ECORRUPT);  /* capacity huge */
	HOSTILE(1, 0x40000000u, ZEROIPC_ECORRUPT);  /* past the entry */
	HOSTILE(1, 3, ZEROIPC_ECORRUPT);            /* entry too big */
	HOSTILE(2, 0, ZEROIPC_ECORRUPT);            /* element size 0 */
	HOSTILE(2, 0xFFFFFFFFu, ZEROIPC_ECORRUPT);  /* size overflows */
#undef HOSTILE

	/* A consistent stack of another element size is a type mismatch. */
	assert_fails_with(zeroipc_stack_open(&s, mem, "s", 16),
			  ZEROIPC_ESIZE_MISMATCH);
	/* Reserved word: open tolerates it, validate flags it. */
	{
		uint32_t one = 1;

		memcpy(r.base + 12, &one, 4);
		assert_ok(zeroipc_stack_open(&s, mem, "s", 8));
		zeroipc_stack_close(s);
		assert_fails_with(zeroipc_stack_validate(mem, "s"),
				  ZEROIPC_ECORRUPT);
		memcpy(r.base, good, sizeof(good));
	}
	assert_ok(zeroipc_stack_validate(mem, "s"));
	zt_destroy(mem, name);
}

/* Damage after open: the handle's cached capacity keeps every access in
 * bounds, and each call reports the damage. */
static void test_stack_hostile_header_after_open(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	uint64_t v = 3;
	uint32_t big = 0x7FFFFFFFu;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-hostile2", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 4));
	r = zt_raw_of(mem, "s", 4, 8);
	assert_ok(zeroipc_stack_try_push(s, &v));

	/* Capacity rewritten: ignored, the handle uses its own copy. */
	memcpy(r.base + 4, &big, 4);
	assert_int_equal(zeroipc_stack_capacity(s), 4);
	v = 0;
	assert_ok(zeroipc_stack_top(&v, s));
	assert_int_equal(v, 3);

	*raw_top(&r) = 1000;
	assert_fails_with(zeroipc_stack_try_push(s, &v), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_try_pop(&v, s), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_top(&v, s), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_push(s, &v, 1000000), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_pop(&v, s, 1000000), ZEROIPC_ECORRUPT);
	assert_int_equal(zeroipc_stack_size(s), 4);
	*raw_top(&r) = -7;
	assert_fails_with(zeroipc_stack_try_push(s, &v), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_pop(&v, s, 1000000), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_push(s, &v, 1000000), ZEROIPC_ECORRUPT);
	assert_int_equal(zeroipc_stack_size(s), 0);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_hostile_state_words(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	uint64_t v = 3;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-garbage", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 4));
	/* Long slot timeout: a garbage state must fail at once, not wait. */
	assert_ok(zeroipc_stack_set_slot_timeout(s, 60000000000LL));
	r = zt_raw_of(mem, "s", 4, 8);
	assert_ok(zeroipc_stack_try_push(s, &v));
	*zt_raw_slot_word(&r, 0) = 0xDEADBEEFu;
	assert_fails_with(zeroipc_stack_top(&v, s), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_try_pop(&v, s), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_stack_validate(mem, "s"), ZEROIPC_ECORRUPT);
	/* The push onto the garbage slot (index 0 again) is refused too. */
	assert_fails_with(zeroipc_stack_try_push(s, &v), ZEROIPC_ECORRUPT);
	*zt_raw_slot_word(&r, 3) = 4;
	assert_fails_with(zeroipc_stack_validate(mem, "s"), ZEROIPC_ECORRUPT);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_validate_reports_inconsistent_slots(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	struct zt_raw r;
	uint32_t v = 1;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-validate", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 4, 3));
	r = zt_raw_of(mem, "s", 3, 4);
	assert_ok(zeroipc_stack_validate(mem, "s"));
	assert_ok(zeroipc_stack_try_push(s, &v));
	assert_ok(zeroipc_stack_validate(mem, "s"));
	*zt_raw_slot_word(&r, 2) = ST_READY; /* above top */
	assert_fails_with(zeroipc_stack_validate(mem, "s"), ZEROIPC_ECORRUPT);
	*zt_raw_slot_word(&r, 2) = ST_EMPTY;
	*zt_raw_slot_word(&r, 0) = ST_READING;
	assert_fails_with(zeroipc_stack_validate(mem, "s"), ZEROIPC_ECORRUPT);
	*zt_raw_slot_word(&r, 0) = ST_READY;
	assert_ok(zeroipc_stack_validate(mem, "s"));
	assert_fails_with(zeroipc_stack_validate(mem, "nope"),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_stack_validate(NULL, "s"), ZEROIPC_EINVAL);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_readonly_mapping(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_stack *s = NULL, *rs = NULL, *none = NULL;
	uint32_t v = 9;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "stk-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_stack_create(&s, mem, "s", 4, 2));
	assert_ok(zeroipc_stack_try_push(s, &v));
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_ok(zeroipc_stack_open(&rs, ro, "s", 4));
	assert_int_equal(zeroipc_stack_size(rs), 1);
	assert_ok(zeroipc_stack_validate(ro, "s"));
	assert_fails_with(zeroipc_stack_try_push(rs, &v), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_stack_try_pop(&v, rs), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_stack_top(&v, rs), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_stack_push(rs, &v, 0), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_stack_pop(&v, rs, 0), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_stack_create(&none, ro, "t", 4, 2),
			  ZEROIPC_EREADONLY);
	assert_null(none);
	zeroipc_stack_close(rs);
	zeroipc_memory_close(ro);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

static void test_stack_null_handles(void **state)
{
	uint32_t v = 0;

	(void)state;
	assert_int_equal(zeroipc_stack_size(NULL), 0);
	assert_int_equal(zeroipc_stack_empty(NULL), 1);
	assert_int_equal(zeroipc_stack_full(NULL), 0);
	assert_int_equal(zeroipc_stack_capacity(NULL), 0);
	assert_int_equal(zeroipc_stack_elem_size(NULL), 0);
	assert_int_equal(zeroipc_stack_slot_timeout(NULL), 0);
	assert_fails_with(zeroipc_stack_try_push(NULL, &v), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_try_pop(&v, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_push(NULL, &v, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_pop(&v, NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_stack_top(&v, NULL), ZEROIPC_EINVAL);
}

/* ---- threads on one handle: the case TSan can see ---- */

#define T_PUSHERS 3
#define T_POPPERS 3
#define T_ITEMS 3000

struct thread_ctx {
	zeroipc_stack *s;
	unsigned id;
	unsigned *seen;      /* [T_PUSHERS * T_ITEMS], atomic counters */
	unsigned *popped;    /* total popped, atomic */
	int failed;
};

static void *pusher_thread(void *p)
{
	struct thread_ctx *c = p;

	for (uint32_t i = 0; i < T_ITEMS; i++) {
		uint64_t v = ((uint64_t)c->id << 32) | i;

		if (zeroipc_stack_push(c->s, &v, 10000000000LL) != 0) {
			c->failed = 1;
			break;
		}
	}
	return NULL;
}

static void *popper_thread(void *p)
{
	struct thread_ctx *c = p;
	const unsigned total = T_PUSHERS * T_ITEMS;

	while (__atomic_load_n(c->popped, __ATOMIC_ACQUIRE) < total) {
		uint64_t v;
		int rc = zeroipc_stack_pop(&v, c->s, 10000000);
		uint32_t who, seq;

		if (rc == ZEROIPC_ETIMEOUT)
			continue;
		if (rc != 0) {
			c->failed = 1;
			break;
		}
		who = (uint32_t)(v >> 32);
		seq = (uint32_t)v;
		if (who >= T_PUSHERS || seq >= T_ITEMS) {
			c->failed = 1;
			break;
		}
		__atomic_fetch_add(&c->seen[who * T_ITEMS + seq], 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(c->popped, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void test_stack_threads_lose_and_duplicate_nothing(void **state)
{
	zeroipc_memory *mem;
	zeroipc_stack *s = NULL;
	pthread_t th[T_PUSHERS + T_POPPERS];
	struct thread_ctx ctx[T_PUSHERS + T_POPPERS];
	unsigned *seen = calloc(T_PUSHERS * T_ITEMS, sizeof(unsigned));
	unsigned popped = 0;
	char name[128];
	unsigned i;

	(void)state;
	assert_non_null(seen);
	mem = zt_create(name, sizeof(name), "stk-threads", SEG_SIZE, 0);
	/* Small, so the stack is often full and empty: claims keep landing
	 * on slots whose previous owner is still at work. */
	assert_ok(zeroipc_stack_create(&s, mem, "s", 8, 4));
	for (i = 0; i < T_PUSHERS + T_POPPERS; i++) {
		ctx[i].s = s;
		ctx[i].id = i < T_PUSHERS ? i : i - T_PUSHERS;
		ctx[i].seen = seen;
		ctx[i].popped = &popped;
		ctx[i].failed = 0;
		assert_int_equal(pthread_create(&th[i], NULL,
						i < T_PUSHERS ? pusher_thread
							      : popper_thread,
						&ctx[i]),
				 0);
	}
	for (i = 0; i < T_PUSHERS + T_POPPERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(ctx[i].failed, 0);
	}
	for (i = 0; i < T_PUSHERS * T_ITEMS; i++)
		if (seen[i] != 1)
			fail_msg("item %u/%u seen %u times", i / T_ITEMS,
				 i % T_ITEMS, seen[i]);
	assert_int_equal(zeroipc_stack_size(s), 0);
	assert_ok(zeroipc_stack_validate(mem, "s"));
	free(seen);
	zeroipc_stack_close(s);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_create_open_and_layout),
		cmocka_unit_test(test_stack_lifo_full_and_empty),
		cmocka_unit_test(test_stack_top_does_not_remove),
		cmocka_unit_test(test_stack_create_errors),
		cmocka_unit_test(test_stack_open_errors),
		cmocka_unit_test(test_stack_open_adds_missing_companion),
		cmocka_unit_test(test_stack_timeouts),
		cmocka_unit_test(
			test_stack_blocking_calls_wake_across_processes),
		cmocka_unit_test(test_stack_slot_held_by_writer_times_out),
		cmocka_unit_test(test_stack_slot_held_by_reader_times_out),
		cmocka_unit_test(test_stack_hostile_header_at_open),
		cmocka_unit_test(test_stack_hostile_header_after_open),
		cmocka_unit_test(test_stack_hostile_state_words),
		cmocka_unit_test(
			test_stack_validate_reports_inconsistent_slots),
		cmocka_unit_test(test_stack_readonly_mapping),
		cmocka_unit_test(test_stack_null_handles),
		cmocka_unit_test(
			test_stack_threads_lose_and_duplicate_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
