/* SPDX-License-Identifier: MIT */
/*
 * test_queue.c - queues: create/open, the format v2 bytes (header, data at
 * +16, sequence words after the aligned data), FIFO order, full/empty,
 * batches, counters that wrap at 2^32, the blocking calls and their
 * timeouts, the single-producer/single-consumer modes (hysteresis, lazy
 * counters, broken promises, repair after a crash), hostile headers and
 * sequence words, the at-rest validator, read-only mappings, foreign
 * creators, and threads racing on one queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <time.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 18)
#define SHORT_NS 20000000LL /* 20 ms */

static volatile uint32_t *raw_u32(const struct zt_raw *r, unsigned off)
{
	return (volatile uint32_t *)(void *)(r->base + off);
}

#define RAW_HEAD(r) raw_u32((r), 0)
#define RAW_TAIL(r) raw_u32((r), 4)
#define RAW_CAP(r) raw_u32((r), 8)
#define RAW_ESIZE(r) raw_u32((r), 12)

/* Put every counter and sequence word as if `pos` items had passed. */
static void raw_seed(const struct zt_raw *r, uint32_t pos)
{
	*RAW_HEAD(r) = pos;
	*RAW_TAIL(r) = pos;
	for (uint32_t i = 0; i < r->capacity; i++) {
		uint32_t p = pos + i;

		*zt_raw_slot_word(r, p & (r->capacity - 1)) = p;
	}
}

static zeroipc_queue_opts opts_with(uint32_t flags)
{
	zeroipc_queue_opts o = ZEROIPC_QUEUE_OPTS_INIT;

	o.flags = flags;
	return o;
}

/* ---- lifecycle and layout ---- */

static void test_queue_create_open_and_layout(void **state)
{
	zeroipc_memory *mem, *other = NULL;
	zeroipc_queue *q = NULL, *again = NULL;
	zeroipc_table_entry e, w;
	struct zt_raw r;
	unsigned char v[3] = { 1, 2, 3 }, got[3];
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-layout", SEG_SIZE, 0);
	/* 3-byte elements, 5 slots -> 8: data 24 bytes, seq at 16 + 24. */
	assert_ok(zeroipc_queue_create(&q, mem, "odd", 3, 5, NULL));
	assert_non_null(q);
	assert_int_equal(zeroipc_queue_capacity(q), 8);
	assert_int_equal(zeroipc_queue_elem_size(q), 3);
	assert_int_equal(zeroipc_queue_flags(q), 0);
	assert_int_equal(zeroipc_queue_size(q), 0);
	assert_int_equal(zeroipc_queue_empty(q), 1);
	assert_int_equal(zeroipc_queue_full(q), 0);

	r = zt_raw_of(mem, "odd", 8, 3);
	assert_int_equal(r.size, 16 + 24 + 4 * 8);
	assert_int_equal(r.offset % 8, 0);
	assert_int_equal(*RAW_HEAD(&r), 0);
	assert_int_equal(*RAW_TAIL(&r), 0);
	assert_int_equal(*RAW_CAP(&r), 8);
	assert_int_equal(*RAW_ESIZE(&r), 3);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(*zt_raw_slot_word(&r, i), i);

	/* The companion (three eventcounts) exists and came first. */
	assert_ok(zeroipc_table_find(&w, mem, "odd.wait"));
	assert_int_equal(w.size, 24);
	assert_true(w.offset < r.offset);
	assert_ok(zeroipc_table_find(&e, mem, "odd"));

	assert_ok(zeroipc_queue_try_push(q, v));
	assert_int_equal(*RAW_TAIL(&r), 1);
	assert_int_equal(*zt_raw_slot_word(&r, 0), 1);
	assert_memory_equal(r.base + 16, v, 3);
	assert_int_equal(zeroipc_queue_size(q), 1);

	/* A second handle through a second mapping pops it. */
	assert_ok(zeroipc_memory_open(&other, name, 0));
	assert_ok(zeroipc_queue_open(&again, other, "odd", 3, NULL));
	assert_int_equal(zeroipc_queue_capacity(again), 8);
	assert_int_equal(zeroipc_queue_size(again), 1);
	assert_ok(zeroipc_queue_try_pop(got, again));
	assert_memory_equal(got, v, 3);
	assert_int_equal(*RAW_HEAD(&r), 1);
	/* Released for position 8. */
	assert_int_equal(*zt_raw_slot_word(&r, 0), 8);
	zeroipc_queue_close(again);
	zeroipc_memory_close(other);

	assert_ok(zeroipc_queue_validate(mem, "odd"));
	zeroipc_queue_close(q);
	zeroipc_queue_close(NULL);
	zt_destroy(mem, name);
}

static void test_queue_capacity_rounds_up_to_power_of_two(void **state)
{
	static const struct {
		uint64_t asked, got;
	} cases[] = { { 1, 2 }, { 2, 2 }, { 3, 4 }, { 1000, 1024 },
		      { 1024, 1024 }, { 1025, 2048 } };
	zeroipc_memory *mem;
	char name[128], qn[16];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-round", SEG_SIZE, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		zeroipc_queue *q = NULL, *o = NULL;
		zeroipc_table_entry e;

		snprintf(qn, sizeof(qn), "q%zu", i);
		assert_ok(zeroipc_queue_create(&q, mem, qn, 4, cases[i].asked,
					       NULL));
		assert_int_equal(zeroipc_queue_capacity(q), cases[i].got);
		assert_ok(zeroipc_table_find(&e, mem, qn));
		assert_int_equal(e.size, 16 + zt_align8(4 * cases[i].got) +
						 4 * cases[i].got);
		assert_ok(zeroipc_queue_open(&o, mem, qn, 4, NULL));
		assert_int_equal(zeroipc_queue_capacity(o), cases[i].got);
		zeroipc_queue_close(o);
		zeroipc_queue_close(q);
	}
	zt_destroy(mem, name);
}

static void test_queue_fifo_full_and_empty(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	uint64_t v, i;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-fifo", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 4, NULL));
	assert_fails_with(zeroipc_queue_try_pop(&v, q), ZEROIPC_EEMPTY);
	for (i = 0; i < 4; i++) {
		v = 100 + i;
		assert_ok(zeroipc_queue_try_push(q, &v));
		assert_int_equal(zeroipc_queue_size(q), i + 1);
	}
	assert_int_equal(zeroipc_queue_full(q), 1);
	v = 999;
	assert_fails_with(zeroipc_queue_try_push(q, &v), ZEROIPC_EFULL);
	assert_int_equal(zeroipc_queue_size(q), 4);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	for (i = 0; i < 4; i++) {
		v = 0;
		assert_ok(zeroipc_queue_try_pop(&v, q));
		assert_int_equal(v, 100 + i);
	}
	assert_int_equal(zeroipc_queue_empty(q), 1);
	assert_fails_with(zeroipc_queue_try_pop(&v, q), ZEROIPC_EEMPTY);
	/* Interleaved over many laps: always the oldest comes out. */
	{
		uint64_t next = 0, expect = 0;

		for (i = 0; i < 100; i++) {
			if (zeroipc_queue_size(q) < 3 && i % 4 != 3) {
				v = next++;
				assert_ok(zeroipc_queue_push(q, &v, 0));
			} else {
				assert_ok(zeroipc_queue_pop(&v, q, 0));
				assert_int_equal(v, expect++);
			}
		}
		assert_true(next > 50);
		while (expect < next) {
			assert_ok(zeroipc_queue_pop(&v, q, 0));
			assert_int_equal(v, expect++);
		}
	}
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

/*
 * Full and empty are answers, not faults: their detail is formatted only
 * when asked for, but it must still be there, right, and replaced by any
 * later failure's.
 */
static void test_queue_expected_outcomes_keep_their_detail(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL, *long_name = NULL;
	uint64_t v = 1;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-detail", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "jobs", 8, 2, NULL));
	assert_fails_with(zeroipc_queue_try_pop(&v, q), ZEROIPC_EEMPTY);
	assert_string_equal(zeroipc_last_error(),
			    "queue 'jobs' has nothing to pop");
	/* Asked twice: the same text. */
	assert_string_equal(zeroipc_last_error(),
			    "queue 'jobs' has nothing to pop");
	assert_ok(zeroipc_queue_try_push(q, &v));
	assert_ok(zeroipc_queue_try_push(q, &v));
	assert_fails_with(zeroipc_queue_try_push(q, &v), ZEROIPC_EFULL);
	/* The name is copied: the handle may be gone when it is read. */
	zeroipc_queue_close(q);
	assert_string_equal(zeroipc_last_error(), "queue 'jobs' is full");
	/* A later failure replaces a detail not read yet. */
	assert_ok(zeroipc_queue_open(&q, mem, "jobs", 8, NULL));
	assert_ok(zeroipc_queue_try_pop(&v, q));
	assert_ok(zeroipc_queue_try_pop(&v, q));
	assert_status(zeroipc_queue_try_pop(&v, q), ZEROIPC_EEMPTY);
	assert_status(zeroipc_queue_open(&long_name, mem, "nope", 8, NULL),
		      ZEROIPC_ENOT_FOUND);
	assert_null(strstr(zeroipc_last_error(), "nothing to pop"));
	assert_non_null(strstr(zeroipc_last_error(), "nope"));
	/* The longest name a queue can have is kept whole. */
	assert_ok(zeroipc_queue_create(&long_name, mem,
				       "abcdefghijklmnopqrstuvwxyz", 8, 2,
				       NULL));
	assert_fails_with(zeroipc_queue_try_pop(&v, long_name),
			  ZEROIPC_EEMPTY);
	assert_string_equal(zeroipc_last_error(),
			    "queue 'abcdefghijklmnopqrstuvwxyz' has nothing "
			    "to pop");
	zeroipc_queue_close(long_name);
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

static void test_queue_batches_move_runs_in_order(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	uint32_t in[20], out[20];
	size_t n = 99;
	uint32_t next = 0, expect = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-batch", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 4, 8, NULL));
	for (int i = 0; i < 20; i++)
		in[i] = (uint32_t)i;

	/* Nothing to move: count 0 is a no-op, empty reports EEMPTY. */
	assert_ok(zeroipc_queue_push_n(&n, q, in, 0, 0));
	assert_int_equal(n, 0);
	n = 99;
	assert_fails_with(zeroipc_queue_pop_n(out, &n, q, 5, 0),
			  ZEROIPC_EEMPTY);
	assert_int_equal(n, 0);

	/* 10 into 8 slots: 8 go in, the 9th call finds it full. */
	assert_ok(zeroipc_queue_push_n(&n, q, in, 10, 0));
	assert_int_equal(n, 8);
	next = 8;
	assert_fails_with(zeroipc_queue_push_n(&n, q, in + next, 2, 0),
			  ZEROIPC_EFULL);
	assert_int_equal(n, 0);
	assert_ok(zeroipc_queue_pop_n(out, &n, q, 3, 0));
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], expect++);
	/* Runs that wrap around the end of the slots. */
	assert_ok(zeroipc_queue_push_n(&n, q, in + next, 5, 0));
	assert_int_equal(n, 3);
	next += 3;
	assert_ok(zeroipc_queue_pop_n(out, &n, q, 20, 0));
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], expect++);
	assert_int_equal(expect, next);
	assert_int_equal(zeroipc_queue_empty(q), 1);
	/* Singles and batches mix. */
	assert_ok(zeroipc_queue_push(q, &in[0], 0));
	assert_ok(zeroipc_queue_push_n(&n, q, in + 1, 2, 0));
	assert_int_equal(n, 2);
	assert_ok(zeroipc_queue_pop(&out[0], q, 0));
	assert_ok(zeroipc_queue_pop_n(out + 1, &n, q, 8, 0));
	assert_int_equal(n, 2);
	for (int i = 0; i < 3; i++)
		assert_int_equal(out[i], (uint32_t)i);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

/*
 * Counters seeded at 0xFFFFFFFC, just below 2^32, then three generations of
 * the 4 slots pushed and popped across the wrap, with single calls, with
 * batches and in the single-producer/single-consumer mode.
 */
static void wrap_case(uint32_t flags)
{
	zeroipc_queue_opts o = opts_with(flags);
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL, *seeded = NULL;
	struct zt_raw r;
	uint32_t v, out[4], in[4];
	uint32_t next = 0, expect = 0;
	size_t n;
	char name[128];

	mem = zt_create(name, sizeof(name), "q-wrap", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&seeded, mem, "q", 4, 4, NULL));
	zeroipc_queue_close(seeded);
	r = zt_raw_of(mem, "q", 4, 4);
	raw_seed(&r, 0xFFFFFFFCu);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	assert_ok(zeroipc_queue_open(&q, mem, "q", 4, &o));

	for (int gen = 0; gen < 3; gen++) {
		/* Fill completely: the full check works across the wrap. */
		for (int i = 0; i < 4; i++) {
			v = next++;
			assert_ok(zeroipc_queue_try_push(q, &v));
		}
		assert_int_equal(zeroipc_queue_size(q), 4);
		v = 0xBAD;
		assert_status(zeroipc_queue_try_push(q, &v), ZEROIPC_EFULL);
		/* Drain half singly, half as a batch. */
		for (int i = 0; i < 2; i++) {
			assert_ok(zeroipc_queue_try_pop(&v, q));
			assert_int_equal(v, expect++);
		}
		assert_ok(zeroipc_queue_pop_n(out, &n, q, 4, 0));
		assert_int_equal(n, 2);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i], expect++);
		assert_status(zeroipc_queue_try_pop(&v, q), ZEROIPC_EEMPTY);
		/* A batch that straddles a slot boundary. */
		for (int i = 0; i < 3; i++)
			in[i] = next++;
		assert_ok(zeroipc_queue_push_n(&n, q, in, 3, 0));
		assert_int_equal(n, 3);
		assert_ok(zeroipc_queue_pop_n(out, &n, q, 3, 0));
		assert_int_equal(n, 3);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i], expect++);
		assert_int_equal(zeroipc_queue_size(q), 0);
	}
	zeroipc_queue_close(q);
	/* 3 * 7 positions from 0xFFFFFFFC: the counters wrapped to 17. */
	assert_int_equal(*RAW_HEAD(&r), (uint32_t)(0xFFFFFFFCu + 21));
	assert_int_equal(*RAW_TAIL(&r), (uint32_t)(0xFFFFFFFCu + 21));
	assert_int_equal(*RAW_TAIL(&r), 17);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zt_destroy(mem, name);
}

static void test_queue_counters_wrap_at_2_32(void **state)
{
	(void)state;
	wrap_case(0);
}

static void test_queue_counters_wrap_at_2_32_single_mode(void **state)
{
	(void)state;
	wrap_case(ZEROIPC_QUEUE_SINGLE_PRODUCER |
		  ZEROIPC_QUEUE_SINGLE_CONSUMER);
}

/* ---- waiting ---- */

static void test_queue_timeouts(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	uint64_t v = 1;
	size_t n;
	int64_t t0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-timeout", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 2, NULL));
	t0 = zt_now_ns();
	assert_fails_with(zeroipc_queue_pop(&v, q, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_true(zt_now_ns() - t0 >= SHORT_NS);
	assert_fails_with(zeroipc_queue_pop(&v, q, 0), ZEROIPC_EEMPTY);
	assert_fails_with(zeroipc_queue_pop_n(&v, &n, q, 1, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_ok(zeroipc_queue_push(q, &v, 0));
	assert_ok(zeroipc_queue_push(q, &v, SHORT_NS));
	t0 = zt_now_ns();
	assert_fails_with(zeroipc_queue_push(q, &v, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_true(zt_now_ns() - t0 >= SHORT_NS);
	assert_fails_with(zeroipc_queue_push(q, &v, 0), ZEROIPC_EFULL);
	assert_fails_with(zeroipc_queue_push_n(&n, q, &v, 1, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_int_equal(n, 0);
	assert_int_equal(zeroipc_queue_size(q), 2);
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

struct waker_arg {
	const char *seg;
	int ready_fd; /* child writes one byte just before it blocks */
	int pop;      /* 1: child pops, 0: child pushes into a full queue */
};

static int blocking_child(void *p)
{
	const struct waker_arg *a = p;
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t v = 0;
	char c = 'r';
	int rc;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 8, NULL) != 0)
		return 10;
	if (write(a->ready_fd, &c, 1) != 1)
		return 11;
	if (a->pop) {
		rc = zeroipc_queue_pop(&v, q, 10LL * 1000000000LL);
		if (rc != 0)
			return 12;
		return v == 4242 ? 0 : 13;
	}
	v = 77;
	rc = zeroipc_queue_push(q, &v, 10LL * 1000000000LL);
	return rc == 0 ? 0 : 14;
}

static void test_queue_blocking_calls_wake_across_processes(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	struct waker_arg a;
	uint64_t v;
	int fds[2];
	char name[128], c;
	pid_t pid;

	(void)state;
	mem = zt_create(name, sizeof(name), "q-wake", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 2, NULL));
	assert_int_equal(pipe(fds), 0);
	a.seg = name;
	a.ready_fd = fds[1];

	/* A pop blocked on an empty queue returns the element we push. */
	a.pop = 1;
	pid = zt_fork(blocking_child, &a);
	assert_int_equal(read(fds[0], &c, 1), 1);
	v = 4242;
	assert_ok(zeroipc_queue_push(q, &v, 0));
	assert_int_equal(zt_wait(pid), 0);

	/* A push blocked on a full queue completes when we pop. */
	v = 1;
	assert_ok(zeroipc_queue_push(q, &v, 0));
	v = 2;
	assert_ok(zeroipc_queue_push(q, &v, 0));
	a.pop = 0;
	pid = zt_fork(blocking_child, &a);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_ok(zeroipc_queue_pop(&v, q, 0));
	assert_int_equal(v, 1);
	assert_int_equal(zt_wait(pid), 0);
	assert_ok(zeroipc_queue_pop(&v, q, 0));
	assert_int_equal(v, 2);
	assert_ok(zeroipc_queue_pop(&v, q, 0));
	assert_int_equal(v, 77);
	close(fds[0]);
	close(fds[1]);
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

/* ---- single-producer / single-consumer mode ---- */

static void test_queue_single_producer_waits_for_a_quarter(void **state)
{
	zeroipc_queue_opts sp = opts_with(ZEROIPC_QUEUE_SINGLE_PRODUCER);
	zeroipc_memory *mem;
	zeroipc_queue *p = NULL, *c = NULL;
	uint32_t v, expect = 0, next = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-quarter", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&p, mem, "q", 4, 16, &sp));
	assert_int_equal(zeroipc_queue_flags(p),
			 ZEROIPC_QUEUE_SINGLE_PRODUCER);
	assert_ok(zeroipc_queue_open(&c, mem, "q", 4, NULL));
	for (int i = 0; i < 16; i++) {
		v = next++;
		assert_ok(zeroipc_queue_try_push(p, &v));
	}
	assert_fails_with(zeroipc_queue_try_push(p, &v), ZEROIPC_EFULL);
	/* Three free slots are not a quarter of 16: still full for it. */
	for (int i = 0; i < 3; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, c));
		assert_int_equal(v, expect++);
		assert_status(zeroipc_queue_try_push(p, &v), ZEROIPC_EFULL);
	}
	/* The fourth frees the quarter: four pushes go in, then full. */
	assert_ok(zeroipc_queue_try_pop(&v, c));
	assert_int_equal(v, expect++);
	for (int i = 0; i < 4; i++) {
		v = next++;
		assert_ok(zeroipc_queue_try_push(p, &v));
	}
	assert_status(zeroipc_queue_try_push(p, &v), ZEROIPC_EFULL);
	/* A blocking push honours the same threshold and times out. */
	assert_ok(zeroipc_queue_try_pop(&v, c));
	assert_int_equal(v, expect++);
	assert_status(zeroipc_queue_push(p, &v, SHORT_NS), ZEROIPC_ETIMEOUT);
	while (zeroipc_queue_try_pop(&v, c) == 0)
		assert_int_equal(v, expect++);
	assert_int_equal(expect, next);
	zeroipc_queue_close(c);
	zeroipc_queue_close(p);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zt_destroy(mem, name);
}

struct sp_child_arg {
	const char *seg;
	int ready_fd;
};

/* Child: fill the queue as its single producer, then block in a push. */
static int sp_blocked_child(void *p)
{
	const struct sp_child_arg *a = p;
	zeroipc_queue_opts sp = opts_with(ZEROIPC_QUEUE_SINGLE_PRODUCER);
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint32_t v;
	char c = 'r';

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 4, &sp) != 0)
		return 10;
	for (v = 0; v < 16; v++)
		if (zeroipc_queue_try_push(q, &v) != 0)
			return 11;
	if (zeroipc_queue_try_push(q, &v) != ZEROIPC_EFULL)
		return 12;
	if (write(a->ready_fd, &c, 1) != 1)
		return 13;
	v = 99;
	if (zeroipc_queue_push(q, &v, 10LL * 1000000000LL) != 0)
		return 14;
	zeroipc_queue_close(q);
	return 0;
}

static void test_queue_single_producer_woken_after_a_quarter(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *c = NULL;
	struct sp_child_arg a;
	uint32_t v, expect = 0;
	int fds[2];
	char name[128], ch;
	pid_t pid;

	(void)state;
	mem = zt_create(name, sizeof(name), "q-sp-wake", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&c, mem, "q", 4, 16, NULL));
	assert_int_equal(pipe(fds), 0);
	a.seg = name;
	a.ready_fd = fds[1];
	pid = zt_fork(sp_blocked_child, &a);
	assert_int_equal(read(fds[0], &ch, 1), 1);
	/* Popping one quarter releases the last slot of a block: the
	 * producer, asleep on the quarter eventcount, pushes. */
	for (int i = 0; i < 4; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, c));
		assert_int_equal(v, expect++);
	}
	assert_int_equal(zt_wait(pid), 0);
	while (expect < 16) {
		assert_ok(zeroipc_queue_try_pop(&v, c));
		assert_int_equal(v, expect++);
	}
	assert_ok(zeroipc_queue_try_pop(&v, c));
	assert_int_equal(v, 99);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	close(fds[0]);
	close(fds[1]);
	zeroipc_queue_close(c);
	zt_destroy(mem, name);
}

static void test_queue_single_mode_stores_counters_lazily(void **state)
{
	zeroipc_queue_opts spsc = opts_with(ZEROIPC_QUEUE_SINGLE_PRODUCER |
					    ZEROIPC_QUEUE_SINGLE_CONSUMER);
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL, *viewer = NULL;
	struct zt_raw r;
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-lazy", SEG_SIZE, 0);
	/* 1024 slots: counters are stored every 64 positions. */
	assert_ok(zeroipc_queue_create(&q, mem, "q", 4, 1024, &spsc));
	assert_ok(zeroipc_queue_open(&viewer, mem, "q", 4, NULL));
	r = zt_raw_of(mem, "q", 1024, 4);
	for (v = 0; v < 10; v++)
		assert_ok(zeroipc_queue_try_push(q, &v));
	/* tail in the segment lags; size() reads past it in the slots. */
	assert_int_equal(*RAW_TAIL(&r), 0);
	assert_int_equal(zeroipc_queue_size(viewer), 10);
	assert_int_equal(zeroipc_queue_size(q), 10);
	for (v = 10; v < 70; v++)
		assert_ok(zeroipc_queue_try_push(q, &v));
	assert_int_equal(*RAW_TAIL(&r), 64);
	assert_int_equal(zeroipc_queue_size(viewer), 70);
	for (uint32_t i = 0; i < 5; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, q));
		assert_int_equal(v, i);
	}
	assert_int_equal(*RAW_HEAD(&r), 0);
	assert_int_equal(zeroipc_queue_size(viewer), 65);
	/* The validator judges by the slots, not the lagging counters. */
	assert_ok(zeroipc_queue_validate(mem, "q"));
	/* Closing stores both exactly. */
	zeroipc_queue_close(q);
	assert_int_equal(*RAW_TAIL(&r), 70);
	assert_int_equal(*RAW_HEAD(&r), 5);
	assert_int_equal(zeroipc_queue_size(viewer), 65);
	for (uint32_t i = 5; i < 70; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, viewer));
		assert_int_equal(v, i);
	}
	zeroipc_queue_close(viewer);
	zt_destroy(mem, name);
}

static void test_queue_second_producer_breaks_promise(void **state)
{
	zeroipc_queue_opts sp = opts_with(ZEROIPC_QUEUE_SINGLE_PRODUCER);
	zeroipc_memory *mem;
	zeroipc_queue *a = NULL, *b = NULL, *m = NULL;
	uint32_t v = 1;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-2prod", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&a, mem, "q", 4, 16, &sp));
	assert_ok(zeroipc_queue_open(&b, mem, "q", 4, &sp));
	assert_ok(zeroipc_queue_open(&m, mem, "q", 4, NULL));
	/* b, which also claims to be the only producer, finds slots
	 * already produced for its positions: a protocol error. */
	for (int i = 0; i < 15; i++)
		assert_ok(zeroipc_queue_try_push(a, &v));
	assert_fails_with(zeroipc_queue_try_push(b, &v), ZEROIPC_EPROTOCOL);
	/* A default-mode producer finds tail (stored every 4 positions
	 * here, so at 12) lagging behind published slots. */
	assert_fails_with(zeroipc_queue_try_push(m, &v), ZEROIPC_EPROTOCOL);
	/* Full: still a protocol error for b, not "full" forever. */
	assert_ok(zeroipc_queue_try_push(a, &v));
	assert_status(zeroipc_queue_try_push(a, &v), ZEROIPC_EFULL);
	assert_fails_with(zeroipc_queue_try_push(b, &v), ZEROIPC_EPROTOCOL);
	assert_fails_with(zeroipc_queue_push(b, &v, SHORT_NS),
			  ZEROIPC_EPROTOCOL);
	zeroipc_queue_close(m);
	zeroipc_queue_close(b);
	zeroipc_queue_close(a);
	zt_destroy(mem, name);
}

static void test_queue_second_consumer_breaks_promise(void **state)
{
	zeroipc_queue_opts sc = opts_with(ZEROIPC_QUEUE_SINGLE_CONSUMER);
	zeroipc_memory *mem;
	zeroipc_queue *a = NULL, *b = NULL, *m = NULL;
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-2cons", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&m, mem, "q", 4, 16, NULL));
	assert_ok(zeroipc_queue_open(&a, mem, "q", 4, &sc));
	assert_ok(zeroipc_queue_open(&b, mem, "q", 4, &sc));
	for (v = 0; v < 8; v++)
		assert_ok(zeroipc_queue_try_push(m, &v));
	assert_ok(zeroipc_queue_try_pop(&v, a));
	assert_int_equal(v, 0);
	assert_fails_with(zeroipc_queue_try_pop(&v, b), ZEROIPC_EPROTOCOL);
	assert_fails_with(zeroipc_queue_pop(&v, b, SHORT_NS),
			  ZEROIPC_EPROTOCOL);
	/* head lags behind the released slot: a default consumer sees it. */
	assert_fails_with(zeroipc_queue_try_pop(&v, m), ZEROIPC_EPROTOCOL);
	assert_ok(zeroipc_queue_try_pop(&v, a));
	assert_int_equal(v, 1);
	zeroipc_queue_close(b);
	zeroipc_queue_close(a);
	zeroipc_queue_close(m);
	zt_destroy(mem, name);
}

struct crash_arg {
	const char *seg;
	uint32_t flags;
	unsigned ops; /* pushes (single producer) or pops (consumer) */
};

/* Child: work in single mode, then die without closing. */
static int crash_child(void *p)
{
	const struct crash_arg *a = p;
	zeroipc_queue_opts o = opts_with(a->flags);
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint32_t x;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 4, &o) != 0)
		return 10;
	for (unsigned i = 0; i < a->ops; i++) {
		if (a->flags & ZEROIPC_QUEUE_SINGLE_PRODUCER) {
			x = 1000 + i;
			if (zeroipc_queue_try_push(q, &x) != 0)
				return 11;
		} else if (zeroipc_queue_try_pop(&x, q) != 0 || x != 1000 + i) {
			return 12;
		}
	}
	raise(SIGKILL);
	return 13;
}

static void test_queue_open_repairs_counters_of_a_crashed_handle(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *old = NULL, *fresh = NULL;
	struct crash_arg a;
	struct zt_raw r;
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-repair", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&old, mem, "q", 4, 1024, NULL));
	r = zt_raw_of(mem, "q", 1024, 4);

	/* A single producer pushes 10 (below the lazy interval) and dies. */
	a.seg = name;
	a.flags = ZEROIPC_QUEUE_SINGLE_PRODUCER;
	a.ops = 10;
	assert_int_equal(zt_wait(zt_fork(crash_child, &a)), 128 + SIGKILL);
	assert_int_equal(*RAW_TAIL(&r), 0); /* stale */
	/* A handle from before cannot push past it, but says why. */
	assert_fails_with(zeroipc_queue_try_push(old, &v), ZEROIPC_EPROTOCOL);
	/* Opening repairs tail; then pushes go after the dead one's. */
	assert_ok(zeroipc_queue_open(&fresh, mem, "q", 4, NULL));
	assert_int_equal(*RAW_TAIL(&r), 10);
	v = 7;
	assert_ok(zeroipc_queue_try_push(fresh, &v));
	assert_int_equal(zeroipc_queue_size(fresh), 11);

	/* A single consumer pops 4 and dies: head is stale, then repaired. */
	a.flags = ZEROIPC_QUEUE_SINGLE_CONSUMER;
	a.ops = 4;
	assert_int_equal(zt_wait(zt_fork(crash_child, &a)), 128 + SIGKILL);
	assert_int_equal(*RAW_HEAD(&r), 0);
	assert_int_equal(zeroipc_queue_size(fresh), 7);
	zeroipc_queue_close(fresh);
	assert_ok(zeroipc_queue_open(&fresh, mem, "q", 4, NULL));
	assert_int_equal(*RAW_HEAD(&r), 4);
	for (uint32_t i = 4; i < 10; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, fresh));
		assert_int_equal(v, 1000 + i);
	}
	assert_ok(zeroipc_queue_try_pop(&v, fresh));
	assert_int_equal(v, 7);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(fresh);
	zeroipc_queue_close(old);
	zt_destroy(mem, name);
}

/* ---- errors, hostile contents ---- */

static void test_queue_create_errors(void **state)
{
	zeroipc_queue_opts bad = ZEROIPC_QUEUE_OPTS_INIT;
	uint64_t too_many = (uint64_t)ZEROIPC_QUEUE_CAPACITY_MAX + 1;
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_queue *q = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-create-err", SEG_SIZE, 0);
	assert_fails_with(zeroipc_queue_create(NULL, mem, "q", 4, 4, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_create(&q, NULL, "q", 4, 4, NULL),
			  ZEROIPC_EINVAL);
	assert_null(q);
	assert_fails_with(zeroipc_queue_create(&q, mem, "q", 0, 4, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_create(&q, mem, "q",
					       (uint64_t)UINT32_MAX + 1, 4,
					       NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_create(&q, mem, "q", 4, 0, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_create(&q, mem, "q", 4, too_many, NULL),
			  ZEROIPC_EINVAL);
	/* Does not fit the segment. */
	assert_fails_with(zeroipc_queue_create(&q, mem, "big", 1024, 1 << 20,
					       NULL),
			  ZEROIPC_ENO_SPACE);
	assert_fails_with(zeroipc_queue_create(&q, mem, NULL, 4, 4, NULL),
			  ZEROIPC_ENAME);
	assert_fails_with(zeroipc_queue_create(&q, mem, "", 4, 4, NULL),
			  ZEROIPC_ENAME);
	/* 27 bytes: "<name>.wait" would not fit a table name. */
	assert_fails_with(zeroipc_queue_create(&q, mem,
					       "abcdefghijklmnopqrstuvwxyz0",
					       4, 4, NULL),
			  ZEROIPC_ENAME);
	bad.size = 0;
	assert_fails_with(zeroipc_queue_create(&q, mem, "q", 4, 4, &bad),
			  ZEROIPC_EINVAL);
	bad = opts_with(0x80);
	assert_fails_with(zeroipc_queue_create(&q, mem, "q", 4, 4, &bad),
			  ZEROIPC_EINVAL);
	assert_null(q);
	/* 26 bytes is fine; a second create of a name is EEXISTS. */
	assert_ok(zeroipc_queue_create(&q, mem, "abcdefghijklmnopqrstuvwxyz",
				       4, 4, NULL));
	zeroipc_queue_close(q);
	q = NULL;
	assert_ok(zeroipc_queue_create(&q, mem, "q", 4, 4, NULL));
	zeroipc_queue_close(q);
	q = NULL;
	assert_fails_with(zeroipc_queue_create(&q, mem, "q", 4, 4, NULL),
			  ZEROIPC_EEXISTS);
	assert_null(q);
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_fails_with(zeroipc_queue_create(&q, ro, "q2", 4, 4, NULL),
			  ZEROIPC_EREADONLY);
	zeroipc_memory_close(ro);
	zt_destroy(mem, name);
}

static void test_queue_open_errors(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-open-err", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 4, NULL));
	zeroipc_queue_close(q);
	q = NULL;
	assert_fails_with(zeroipc_queue_open(&q, mem, "nope", 8, NULL),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_queue_open(&q, mem, "q", 4, NULL),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_queue_open(&q, mem, "q", 16, NULL),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_queue_open(&q, mem, "q", 0, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_open(NULL, mem, "q", 8, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_open(&q, NULL, "q", 8, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_open(&q, mem, NULL, 8, NULL),
			  ZEROIPC_ENAME);
	assert_null(q);
	/* Some other structure's entry: too small to be a queue. */
	assert_ok(zeroipc_table_add(NULL, mem, "tiny", 8));
	assert_fails_with(zeroipc_queue_open(&q, mem, "tiny", 8, NULL),
			  ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_queue_validate(mem, "tiny"),
			  ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_queue_validate(mem, "nope"),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_queue_validate(NULL, "q"), ZEROIPC_EINVAL);
	zt_destroy(mem, name);
}

/* The opener of the hostile-header cases: 8-byte elements. */
static int open_hostile(zeroipc_memory *mem, const char *qname)
{
	zeroipc_queue *q = NULL;
	int rc = zeroipc_queue_open(&q, mem, qname, 8, NULL);

	if (rc == 0)
		zeroipc_queue_close(q);
	else
		assert_null(q);
	return rc;
}

/* Rewrite one header word of queue "q", expect open/validate to fail. */
static void expect_corrupt_header(const struct zt_hostile *h, unsigned off,
				  uint32_t value)
{
	zt_expect_hostile(h, off, 4, value, ZEROIPC_ECORRUPT,
			  ZEROIPC_ECORRUPT);
}

static void test_queue_hostile_header_at_open(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	struct zt_hostile h;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-hostile-open", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 16, NULL));
	zeroipc_queue_close(q);
	h = (struct zt_hostile){ .mem = mem, .name = "q",
				 .base = zt_entry_base(mem, "q", NULL),
				 .open = open_hostile,
				 .validate = zeroipc_queue_validate };
	expect_corrupt_header(&h, 8, 0);
	expect_corrupt_header(&h, 8, 1);
	expect_corrupt_header(&h, 8, 12);
	expect_corrupt_header(&h, 8, 0x80000000u);
	expect_corrupt_header(&h, 8, 0xFFFFFFFFu);
	/* A power of two that does not match the entry size. */
	expect_corrupt_header(&h, 8, 8);
	expect_corrupt_header(&h, 8, 32);
	/* Element size rewritten: no longer matches the entry size. */
	expect_corrupt_header(&h, 12, 4);
	expect_corrupt_header(&h, 12, 0);
	/* head and tail far apart, both ways. */
	expect_corrupt_header(&h, 4, 0x80000000u);
	expect_corrupt_header(&h, 0, 17);
	expect_corrupt_header(&h, 4, 17);
	/* Restored: opens again. */
	assert_ok(zeroipc_queue_open(&q, mem, "q", 8, NULL));
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

static void test_queue_hostile_contents_after_open(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	struct zt_raw r;
	uint64_t rng = 0x9E3779B97F4A7C15ULL;
	uint64_t buf[64];
	size_t n;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-hostile-after", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 16, NULL));
	r = zt_raw_of(mem, "q", 16, 8);
	/* Another process scribbles on everything; every call returns a
	 * status (ASan checks it stays inside the queue's bytes). */
	*RAW_CAP(&r) = 0xFFFFFFFFu;
	*RAW_ESIZE(&r) = 0x7FFFFFFFu;
	for (int round = 0; round < 2000; round++) {
		uint64_t v = (uint64_t)round;
		int rc;

		*RAW_HEAD(&r) = (uint32_t)zt_rand(&rng);
		*RAW_TAIL(&r) = round % 3 ? (uint32_t)zt_rand(&rng)
					  : *RAW_HEAD(&r) + 3;
		/* Odd rounds: garbage; even ones: near-plausible values. */
		for (uint32_t i = 0; i < 16; i++) {
			uint32_t near = *RAW_HEAD(&r) + i +
					(uint32_t)(zt_rand(&rng) % 3);

			*zt_raw_slot_word(&r, i) =
				round % 2 ? (uint32_t)zt_rand(&rng) : near;
		}
		switch (round % 4) {
		case 0:
			rc = zeroipc_queue_try_push(q, &v);
			break;
		case 1:
			rc = zeroipc_queue_try_pop(&v, q);
			break;
		case 2:
			rc = zeroipc_queue_push_n(&n, q, buf, 64, 0);
			break;
		default:
			rc = zeroipc_queue_pop_n(buf, &n, q, 64, 0);
			break;
		}
		assert_true(rc == 0 || rc == ZEROIPC_EFULL ||
			    rc == ZEROIPC_EEMPTY || rc == ZEROIPC_EPROTOCOL);
		assert_true(zeroipc_queue_size(q) <= 16);
	}
	assert_int_equal(zeroipc_queue_capacity(q), 16);
	assert_int_equal(zeroipc_queue_elem_size(q), 8);
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

static void test_queue_validate_reports_inconsistent_slots(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	struct zt_raw r;
	uint32_t v = 5;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-validate", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 4, 8, NULL));
	r = zt_raw_of(mem, "q", 8, 4);
	for (int i = 0; i < 3; i++)
		assert_ok(zeroipc_queue_try_push(q, &v));
	assert_ok(zeroipc_queue_try_pop(&v, q));
	assert_ok(zeroipc_queue_validate(mem, "q"));

	/* A producer claimed position 3 (tail moved) and died. */
	*RAW_TAIL(&r) = 4;
	assert_fails_with(zeroipc_queue_validate(mem, "q"), ZEROIPC_ECORRUPT);
	assert_non_null(strstr(zeroipc_last_error(), "never published"));
	*RAW_TAIL(&r) = 3;
	assert_ok(zeroipc_queue_validate(mem, "q"));

	/* A consumer claimed position 1 (head moved) and died. */
	*RAW_HEAD(&r) = 2;
	assert_fails_with(zeroipc_queue_validate(mem, "q"), ZEROIPC_ECORRUPT);
	assert_non_null(strstr(zeroipc_last_error(), "never released"));
	*RAW_HEAD(&r) = 1;

	/* A free slot with a sequence from nowhere. */
	*zt_raw_slot_word(&r, 6) = 12345;
	assert_fails_with(zeroipc_queue_validate(mem, "q"), ZEROIPC_ECORRUPT);
	*zt_raw_slot_word(&r, 6) = 6;
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

static void test_queue_readonly_mapping(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_queue *q = NULL, *view = NULL;
	uint32_t v = 9;
	size_t n;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 4, 8, NULL));
	assert_ok(zeroipc_queue_try_push(q, &v));
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_ok(zeroipc_queue_open(&view, ro, "q", 4, NULL));
	assert_int_equal(zeroipc_queue_size(view), 1);
	assert_ok(zeroipc_queue_validate(ro, "q"));
	assert_fails_with(zeroipc_queue_try_push(view, &v),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_queue_try_pop(&v, view), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_queue_push(view, &v, 0), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_queue_pop(&v, view, 0), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_queue_push_n(&n, view, &v, 1, 0),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_queue_pop_n(&v, &n, view, 1, 0),
			  ZEROIPC_EREADONLY);
	zeroipc_queue_close(view);
	zeroipc_memory_close(ro);
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

static void test_queue_null_handles(void **state)
{
	uint32_t v = 0;
	size_t n = 7;

	(void)state;
	zeroipc_queue_close(NULL);
	assert_int_equal(zeroipc_queue_size(NULL), 0);
	assert_int_equal(zeroipc_queue_empty(NULL), 1);
	assert_int_equal(zeroipc_queue_full(NULL), 0);
	assert_int_equal(zeroipc_queue_capacity(NULL), 0);
	assert_int_equal(zeroipc_queue_elem_size(NULL), 0);
	assert_int_equal(zeroipc_queue_flags(NULL), 0);
	assert_fails_with(zeroipc_queue_try_push(NULL, &v), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_try_pop(&v, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_push(NULL, &v, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_pop(&v, NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_queue_push_n(&n, NULL, &v, 1, 0),
			  ZEROIPC_EINVAL);
	assert_int_equal(n, 0);
	assert_fails_with(zeroipc_queue_pop_n(&v, NULL, NULL, 1, 0),
			  ZEROIPC_EINVAL);
}

/*
 * Another implementation created the queue: no companion entry.  Opening
 * adds it; with a name too long for the suffix, opening still works and the
 * waits poll.
 */
static void test_queue_open_foreign_queue(void **state)
{
	static const char *const names[] = { "foreign",
					     "a-foreign-queue-name-of-31-ch" };
	zeroipc_memory *mem;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-foreign", SEG_SIZE, 0);
	for (int k = 0; k < 2; k++) {
		const char *qn = names[k];
		zeroipc_queue *q = NULL;
		zeroipc_table_entry e;
		uint64_t size = 16 + zt_align8(8 * 8) + 4 * 8;
		uint64_t offset;
		struct zt_raw r;
		uint64_t v = 31337;
		char wait_name[64];

		assert_ok(zeroipc_table_add(&offset, mem, qn, size));
		r = zt_raw_of(mem, qn, 8, 8);
		*RAW_CAP(&r) = 8;
		*RAW_ESIZE(&r) = 8;
		raw_seed(&r, 0);
		/* The foreign producer published one element. */
		memcpy(r.base + 16, &v, 8);
		*zt_raw_slot_word(&r, 0) = 1;
		*RAW_TAIL(&r) = 1;
		assert_ok(zeroipc_queue_open(&q, mem, qn, 8, NULL));
		snprintf(wait_name, sizeof(wait_name), "%s.wait", qn);
		if (k == 0) {
			assert_ok(zeroipc_table_find(&e, mem, wait_name));
			assert_int_equal(e.size, 24);
		}
		v = 0;
		assert_ok(zeroipc_queue_pop(&v, q, SHORT_NS));
		assert_int_equal(v, 31337);
		assert_fails_with(zeroipc_queue_pop(&v, q, SHORT_NS),
				  ZEROIPC_ETIMEOUT);
		/* What we leave is what the foreign reader expects. */
		assert_int_equal(*RAW_HEAD(&r), 1);
		assert_int_equal(*zt_raw_slot_word(&r, 0), 8);
		zeroipc_queue_close(q);
	}
	zt_destroy(mem, name);
}

/*
 * A single consumer stores head only every L positions (L = 4 here), so
 * while it is open (or after it died) head lags its real position by up
 * to L - 1, and once producers fill the queue again tail is more than the
 * capacity ahead of the stored head.  That is a lagging counter, not
 * corruption: an opener accepts it (and repairs head), and the validator
 * accepts it at rest.
 */
static void test_queue_lagging_head_of_a_full_queue_opens(void **state)
{
	zeroipc_queue_opts sc = opts_with(ZEROIPC_QUEUE_SINGLE_CONSUMER);
	zeroipc_memory *mem;
	zeroipc_queue *p = NULL, *c = NULL, *o = NULL;
	struct zt_raw r;
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-lag-head", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&p, mem, "q", 4, 16, NULL));
	assert_ok(zeroipc_queue_open(&c, mem, "q", 4, &sc));
	r = zt_raw_of(mem, "q", 16, 4);
	for (v = 0; v < 16; v++)
		assert_ok(zeroipc_queue_try_push(p, &v));
	for (uint32_t i = 0; i < 3; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, c));
		assert_int_equal(v, i);
	}
	for (v = 16; v < 19; v++)
		assert_ok(zeroipc_queue_try_push(p, &v));
	assert_status(zeroipc_queue_try_push(p, &v), ZEROIPC_EFULL);
	/* tail 19, stored head 0: 19 apart in a queue of 16. */
	assert_int_equal(*RAW_TAIL(&r), 19);
	assert_int_equal(*RAW_HEAD(&r), 0);
	assert_int_equal(zeroipc_queue_size(p), 16);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	/* An opener (that neither pushes nor pops: the promise holds)
	 * steps head over the three released slots. */
	assert_ok(zeroipc_queue_open(&o, mem, "q", 4, NULL));
	assert_int_equal(*RAW_HEAD(&r), 3);
	zeroipc_queue_close(o);
	for (uint32_t i = 3; i < 19; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, c));
		assert_int_equal(v, i);
	}
	assert_status(zeroipc_queue_try_pop(&v, c), ZEROIPC_EEMPTY);
	zeroipc_queue_close(c);
	assert_int_equal(*RAW_HEAD(&r), 19);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(p);
	zt_destroy(mem, name);
}

/*
 * A single consumer publishes a batch before it stores head, so one that
 * dies in between leaves head behind by the batch (up to the capacity)
 * plus what it had not stored before (up to L - 1 positions): here L = 2,
 * one single pop and then a batch of all 8 slots leave head at 0 for a
 * real position of 9.  Producers refill the queue.  Opening accepts the
 * counters and repairs head all the way, so that a new single consumer
 * continues at 9.
 */
static void test_queue_repair_after_single_consumer_died_mid_batch(
	void **state)
{
	zeroipc_queue_opts sc = opts_with(ZEROIPC_QUEUE_SINGLE_CONSUMER);
	zeroipc_memory *mem;
	zeroipc_queue *p = NULL, *c = NULL;
	struct zt_raw r;
	uint32_t v, out[8];
	size_t n;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-lag-batch", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&p, mem, "q", 4, 8, NULL));
	assert_ok(zeroipc_queue_open(&c, mem, "q", 4, &sc));
	r = zt_raw_of(mem, "q", 8, 4);
	for (v = 0; v < 8; v++)
		assert_ok(zeroipc_queue_try_push(p, &v));
	assert_ok(zeroipc_queue_try_pop(&v, c));
	assert_int_equal(v, 0);
	assert_ok(zeroipc_queue_try_push(p, &(uint32_t){ 8 }));
	assert_ok(zeroipc_queue_pop_n(out, &n, c, 8, 0));
	assert_int_equal(n, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(out[i], i + 1);
	/* Closing only stores head: put back what a consumer that died
	 * before that store leaves. */
	zeroipc_queue_close(c);
	assert_int_equal(*RAW_HEAD(&r), 9);
	*RAW_HEAD(&r) = 0;
	for (v = 9; v < 17; v++)
		assert_ok(zeroipc_queue_try_push(p, &v));
	assert_status(zeroipc_queue_try_push(p, &v), ZEROIPC_EFULL);
	assert_int_equal(*RAW_TAIL(&r), 17);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	assert_ok(zeroipc_queue_open(&c, mem, "q", 4, &sc));
	assert_int_equal(*RAW_HEAD(&r), 9);
	for (uint32_t i = 9; i < 17; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, c));
		assert_int_equal(v, i);
	}
	assert_status(zeroipc_queue_try_pop(&v, c), ZEROIPC_EEMPTY);
	zeroipc_queue_close(c);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(p);
	zt_destroy(mem, name);
}

/* ---- runs at every slot offset (review of the batch fast paths) ---- */

/* Element `v` of a run test: its number in the first bytes, then a pattern
 * that differs per byte, so a misplaced or half-copied element shows. */
static void run_elem(unsigned char *out, uint32_t es, uint32_t v)
{
	for (uint32_t b = 0; b < es; b++)
		out[b] = (unsigned char)(v * 7u + b * 13u + 1u);
	memcpy(out, &v, es < 4 ? es : 4);
}

/*
 * Every sequence word is exactly what the positions say: `popped` from
 * `pos0` released (p + cap), then `pushed - popped` published (p + 1),
 * then free (p) up to pos0 + popped + cap.
 */
static void expect_seq_words(const struct zt_raw *r, uint32_t pos0,
			     uint32_t popped, uint32_t pushed)
{
	uint32_t cap = r->capacity;

	for (uint32_t i = 0; i < cap; i++) {
		uint32_t p = pos0 + popped + i, want;

		if (i < pushed - popped)
			want = p + 1;
		else
			want = p;
		/* Slots whose last position was popped show p (the next lap's
		 * free value) = (p - cap) + cap: the same formula. */
		if (*zt_raw_slot_word(r, p & (cap - 1)) != want)
			fail_msg("cap %u pos0 0x%x popped %u pushed %u: "
				 "slot %u has seq 0x%x, expected 0x%x", cap,
				 pos0, popped, pushed, p & (cap - 1),
				 *zt_raw_slot_word(r, p & (cap - 1)), want);
	}
}

/*
 * One case: counters at `pos0`, `fill` elements pushed (one batch), then a
 * batch of `k`, then a pop batch of `j`, then the rest singly.  The counts
 * are exact (everything ready is moved, up to the request), the sequence
 * words exact after each step, the elements in order and intact.
 */
static void run_case(zeroipc_memory *mem, const char *qn,
		     const struct zt_raw *r, uint32_t flags, uint32_t pos0,
		     uint32_t fill, uint32_t k, uint32_t j)
{
	zeroipc_queue_opts o = opts_with(flags);
	zeroipc_queue *q = NULL;
	uint32_t cap = r->capacity, es = r->elem_size;
	uint32_t pushed = 0, popped = 0, expect_k;
	unsigned char in[16 * 16], out[16 * 16], want[16];
	size_t n;

	raw_seed(r, pos0);
	assert_ok(zeroipc_queue_open(&q, mem, qn, es, &o));
	if (fill > 0) {
		for (uint32_t i = 0; i < fill; i++)
			run_elem(in + i * es, es, i);
		assert_ok(zeroipc_queue_push_n(&n, q, in, fill, 0));
		assert_int_equal(n, fill);
		pushed = fill;
	}
	for (uint32_t i = 0; i < k; i++)
		run_elem(in + i * es, es, pushed + i);
	expect_k = cap - fill < k ? cap - fill : k;
	if (expect_k == 0) {
		assert_status(zeroipc_queue_push_n(&n, q, in, k, 0),
			      ZEROIPC_EFULL);
	} else {
		assert_ok(zeroipc_queue_push_n(&n, q, in, k, 0));
		if (n != expect_k)
			fail_msg("cap %u es %u flags %u pos0 0x%x fill %u: "
				 "push_n(%u) moved %zu, expected %u", cap, es,
				 flags, pos0, fill, k, n, expect_k);
		pushed += expect_k;
	}
	expect_seq_words(r, pos0, 0, pushed);
	if (flags == 0)
		assert_int_equal(*RAW_TAIL(r), pos0 + pushed);

	/* A pop batch, then the rest one by one. */
	if (pushed == 0) {
		assert_status(zeroipc_queue_pop_n(out, &n, q, j, 0),
			      ZEROIPC_EEMPTY);
	} else {
		uint32_t expect_j = pushed < j ? pushed : j;

		assert_ok(zeroipc_queue_pop_n(out, &n, q, j, 0));
		if (n != expect_j)
			fail_msg("cap %u es %u flags %u pos0 0x%x: pop_n(%u) "
				 "of %u moved %zu", cap, es, flags, pos0, j,
				 pushed, n);
		for (uint32_t i = 0; i < expect_j; i++) {
			run_elem(want, es, i);
			assert_memory_equal(out + i * es, want, es);
		}
		popped = expect_j;
	}
	expect_seq_words(r, pos0, popped, pushed);
	if (flags == 0)
		assert_int_equal(*RAW_HEAD(r), pos0 + popped);
	while (popped < pushed) {
		assert_ok(zeroipc_queue_try_pop(out, q));
		run_elem(want, es, popped);
		assert_memory_equal(out, want, es);
		popped++;
	}
	assert_status(zeroipc_queue_try_pop(out, q), ZEROIPC_EEMPTY);
	expect_seq_words(r, pos0, popped, pushed);
	zeroipc_queue_close(q);
	/* Single-mode handles store their exact positions on close. */
	assert_int_equal(*RAW_TAIL(r), pos0 + pushed);
	assert_int_equal(*RAW_HEAD(r), pos0 + popped);
	assert_ok(zeroipc_queue_validate(mem, qn));
}

/* run_case() from every slot after `base`, every fill and batch length
 * (push k, then pop cap + 2 - k: both 1 ..= cap + 1). */
static void runs_from(zeroipc_memory *mem, const char *qn,
		      const struct zt_raw *r, uint32_t flags, uint32_t base)
{
	uint32_t cap = r->capacity;

	for (uint32_t off = 0; off < cap; off++)
		for (uint32_t fill = 0; fill <= cap; fill++)
			for (uint32_t k = 1; k <= cap + 1; k++)
				run_case(mem, qn, r, flags, base + off, fill,
					 k, cap + 2 - k);
}

/*
 * Batches at every start slot, fill level and length, in queues of 2
 * (asked for 1), 4 and 8 slots, with element sizes the single-element fast
 * path copies inline (4) and not (12), in the default and the single mode,
 * from position 0 and from just below 2^32 (so runs wrap both the slot
 * array and the counters).  Covers runs that end exactly at the last slot,
 * that wrap to slot 0 by one slot or by all but one, and requests longer
 * than the capacity.
 */
static void test_queue_runs_at_every_offset_and_length(void **state)
{
	static const uint32_t caps[] = { 1, 4, 8 };
	static const uint32_t sizes[] = { 4, 12 };
	static const uint32_t modes[] = {
		0, ZEROIPC_QUEUE_SINGLE_PRODUCER | ZEROIPC_QUEUE_SINGLE_CONSUMER
	};
	static const uint32_t bases[] = { 0, 0xFFFFFFF8u };
	zeroipc_memory *mem;
	char name[128], qn[16];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-runs", SEG_SIZE, 0);
	for (size_t c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			zeroipc_queue *q = NULL;
			struct zt_raw r;
			uint32_t cap;

			snprintf(qn, sizeof(qn), "r%zu_%zu", c, s);
			assert_ok(zeroipc_queue_create(&q, mem, qn, sizes[s],
						       caps[c], NULL));
			cap = (uint32_t)zeroipc_queue_capacity(q);
			zeroipc_queue_close(q);
			r = zt_raw_of(mem, qn, cap, sizes[s]);
			for (size_t m = 0; m < 2; m++)
				for (size_t b = 0; b < 2; b++)
					runs_from(mem, qn, &r, modes[m],
						  bases[b]);
		}
	}
	zt_destroy(mem, name);
}

/*
 * Default-mode handles start each claim from their own guess of the
 * counter.  Guesses that other handles made stale, across 2^32, one that
 * names a position another handle claimed but has not published (pushes)
 * or released (pops), and batches from a stale guess: each lands on the
 * next unclaimed position, never on a claimed one.
 */
static void test_queue_stale_guesses_never_claim_twice(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *a = NULL, *b = NULL, *d = NULL, *e = NULL, *q = NULL;
	struct zt_raw r;
	uint64_t v, in[3], out[8], sentinel = 0x5E5E5E5E5E5E5E5Eull;
	size_t n;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "q-guess", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 8, NULL));
	zeroipc_queue_close(q);
	r = zt_raw_of(mem, "q", 8, 8);
	raw_seed(&r, 0xFFFFFFFEu);
	assert_ok(zeroipc_queue_open(&a, mem, "q", 8, NULL));
	assert_ok(zeroipc_queue_open(&b, mem, "q", 8, NULL));
	assert_ok(zeroipc_queue_open(&d, mem, "q", 8, NULL));
	assert_ok(zeroipc_queue_open(&e, mem, "q", 8, NULL));

	v = 100; /* position 0xFFFFFFFE, slot 6 */
	assert_ok(zeroipc_queue_try_push(a, &v));
	v = 101; /* b still guesses 0xFFFFFFFE: lands on 0xFFFFFFFF */
	assert_ok(zeroipc_queue_try_push(b, &v));
	assert_int_equal(*zt_raw_slot_word(&r, 7), 0);
	v = 102; /* a guesses 0xFFFFFFFF, taken: lands on 0 (slot 0) */
	assert_ok(zeroipc_queue_try_push(a, &v));
	assert_int_equal(*zt_raw_slot_word(&r, 0), 1);
	assert_int_equal(*RAW_TAIL(&r), 1);

	/* Another handle claimed position 1 (a's guess) and has not
	 * published it yet. */
	memcpy(r.base + 16 + 1 * 8, &sentinel, 8);
	*RAW_TAIL(&r) = 2;
	v = 103;
	assert_ok(zeroipc_queue_try_push(a, &v));
	assert_int_equal(*zt_raw_slot_word(&r, 1), 1);
	assert_int_equal(*zt_raw_slot_word(&r, 2), 3);
	assert_memory_equal(r.base + 16 + 1 * 8, &sentinel, 8);
	assert_int_equal(*RAW_TAIL(&r), 3);
	/* The same through the batch path: a guesses 3, the tail is 4. */
	*RAW_TAIL(&r) = 4;
	memcpy(r.base + 16 + 3 * 8, &sentinel, 8);
	in[0] = 104;
	in[1] = 105;
	assert_ok(zeroipc_queue_push_n(&n, a, in, 2, 0));
	assert_int_equal(n, 2);
	assert_memory_equal(r.base + 16 + 3 * 8, &sentinel, 8);
	assert_int_equal(*zt_raw_slot_word(&r, 3), 3);
	assert_int_equal(*zt_raw_slot_word(&r, 5), 6);
	assert_int_equal(*RAW_TAIL(&r), 6);
	/* Positions 0xFFFFFFFE ..= 5 are taken: full, also for b, whose
	 * guess (0) is stale. */
	in[0] = 106;
	assert_status(zeroipc_queue_push_n(&n, b, in, 3, 0), ZEROIPC_EFULL);
	assert_status(zeroipc_queue_try_push(b, &v), ZEROIPC_EFULL);
	/* The two stalled producers publish. */
	v = 1001;
	memcpy(r.base + 16 + 1 * 8, &v, 8);
	*zt_raw_slot_word(&r, 1) = 2;
	v = 1003;
	memcpy(r.base + 16 + 3 * 8, &v, 8);
	*zt_raw_slot_word(&r, 3) = 4;

	/* Pops: d and e guess 0xFFFFFFFE. */
	assert_ok(zeroipc_queue_try_pop(&v, d));
	assert_int_equal(v, 100);
	assert_ok(zeroipc_queue_try_pop(&v, e)); /* stale guess */
	assert_int_equal(v, 101);
	assert_ok(zeroipc_queue_try_pop(&v, d)); /* stale guess */
	assert_int_equal(v, 102);
	/* Another consumer claimed position 1 (d's guess), not released. */
	*RAW_HEAD(&r) = 2;
	assert_ok(zeroipc_queue_try_pop(&v, d));
	assert_int_equal(v, 103);
	assert_int_equal(*zt_raw_slot_word(&r, 1), 2);
	assert_int_equal(*zt_raw_slot_word(&r, 2), 10);
	/* The same through the batch path: d guesses 3, the head is 4. */
	*RAW_HEAD(&r) = 4;
	assert_ok(zeroipc_queue_pop_n(out, &n, d, 2, 0));
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 104);
	assert_int_equal(out[1], 105);
	assert_int_equal(*zt_raw_slot_word(&r, 3), 4);
	assert_int_equal(*RAW_HEAD(&r), 6);
	assert_status(zeroipc_queue_try_pop(&v, e), ZEROIPC_EEMPTY);
	/* b's guess (0) is stale: its batch starts at 6 and wraps from slot 7
	 * to slot 0. */
	in[0] = 106;
	in[1] = 107;
	in[2] = 108;
	assert_ok(zeroipc_queue_push_n(&n, b, in, 3, 0));
	assert_int_equal(n, 3);
	assert_int_equal(*RAW_TAIL(&r), 9);
	/* e's guess (0) is stale too: its batch takes 6, 7 and 8 (slot 0) and
	 * stops at position 1 + 8, whose slot the stalled consumer holds. */
	assert_ok(zeroipc_queue_pop_n(out, &n, e, 8, 0));
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 106);
	assert_int_equal(out[1], 107);
	assert_int_equal(out[2], 108);
	assert_status(zeroipc_queue_try_pop(&v, e), ZEROIPC_EEMPTY);
	/* The stalled consumers release their slots. */
	*zt_raw_slot_word(&r, 1) = 1 + 8;
	*zt_raw_slot_word(&r, 3) = 3 + 8;
	assert_int_equal(*RAW_HEAD(&r), 9);
	assert_int_equal(*RAW_TAIL(&r), 9);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	/* And the queue goes on: every handle, stale or not. */
	for (v = 0; v < 8; v++)
		assert_ok(zeroipc_queue_try_push(v & 1 ? a : b, &v));
	for (uint64_t i = 0; i < 8; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, i & 1 ? d : e));
		assert_int_equal(v, i);
	}
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(a);
	zeroipc_queue_close(b);
	zeroipc_queue_close(d);
	zeroipc_queue_close(e);
	zt_destroy(mem, name);
}

/* ---- notifications from the single-element fast path ---- */

/* The seq word of eventcount `which` in the companion of queue "q". */
static const uint32_t *q_ec_seq(zeroipc_memory *mem, unsigned which)
{
	zeroipc_table_entry e;

	assert_ok(zeroipc_table_find(&e, mem, "q.wait"));
	return (const uint32_t *)(void *)((unsigned char *)
		zeroipc_memory_base(mem) + e.offset + 8 * which + 4);
}

/* Wait (bounded) until a waiter armed the eventcount; its armed value. */
static uint32_t wait_armed(const uint32_t *seq)
{
	int64_t t0 = zt_now_ns();
	uint32_t s;

	while (((s = __atomic_load_n(seq, __ATOMIC_ACQUIRE)) & 1u) == 0) {
		assert_true(zt_now_ns() - t0 < 10LL * 1000000000LL);
		sched_yield();
	}
	return s;
}

struct armed_child_arg {
	const char *seg;
	int mode; /* 0 pop, 1 push, 2 single producer after a full */
};

static int armed_child(void *p)
{
	const struct armed_child_arg *a = p;
	zeroipc_queue_opts sp = opts_with(ZEROIPC_QUEUE_SINGLE_PRODUCER);
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t v = 55;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 8, a->mode == 2 ? &sp : NULL))
		return 10;
	if (a->mode == 0)
		return zeroipc_queue_pop(&v, q, 20LL * 1000000000LL) == 0 &&
				       v == 4242
			       ? 0
			       : 11;
	if (a->mode == 2) {
		/* Fill the queue (16 slots) and find it full. */
		for (v = 0; v < 16; v++)
			if (zeroipc_queue_try_push(q, &v) != 0)
				return 12;
		if (zeroipc_queue_try_push(q, &v) != ZEROIPC_EFULL)
			return 13;
		v = 99;
	}
	if (zeroipc_queue_push(q, &v, 20LL * 1000000000LL) != 0)
		return 14;
	zeroipc_queue_close(q);
	return 0;
}

/* Pop first .. end-1 in order, then `last` (what a blocked pusher added). */
static void expect_pops_then(zeroipc_queue *q, uint64_t first, uint64_t end,
			     uint64_t last)
{
	uint64_t v;

	for (uint64_t i = first; i < end; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, q));
		assert_int_equal(v, i);
	}
	assert_ok(zeroipc_queue_try_pop(&v, q));
	assert_int_equal(v, last);
}

/* Child: a default-mode pop that stops (SIGSTOP) right after claiming. */
static int stopped_pop_child(void *p)
{
	const struct armed_child_arg *a = p;
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t v = 77;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 8, NULL) != 0)
		return 10;
	zt_crash_at("queue.pop.claimed", true);
	if (zeroipc_queue_pop(&v, q, 20LL * 1000000000LL) != 0)
		return 11;
	zeroipc_queue_close(q);
	return v == 0 ? 0 : 12;
}

/*
 * A single producer asleep on QUARTER after a full, with several
 * consumers: the quarter-end slot can be released before the producer's
 * own next slot, whose release notifies only SPACE.  Once the quarter-end
 * slot is free the producer must wait on SPACE, or it sleeps on QUARTER
 * until its wait slice ends instead of waking on that release.
 */
static void test_queue_single_producer_moves_to_space_wait(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	struct armed_child_arg a;
	const uint32_t *space, *quarter;
	pid_t producer, stopped;
	uint64_t v;
	char name[128];
	int st;

	(void)state;
#ifndef ZEROIPC_TEST_CRASH_POINTS
	skip();
#endif
	mem = zt_create(name, sizeof(name), "q-sp-space", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 16, NULL));
	space = q_ec_seq(mem, 1);
	quarter = q_ec_seq(mem, 2);
	a.seg = name;

	/* The producer fills positions 0 ..= 15 and sleeps on QUARTER for
	 * the slot of position 19, i.e. for position 3 to be released. */
	a.mode = 2;
	producer = zt_fork(armed_child, &a);
	wait_armed(quarter);
	/* Another consumer claims position 0 and stops before releasing. */
	stopped = zt_fork(stopped_pop_child, &a);
	assert_int_equal(waitpid(stopped, &st, WUNTRACED), stopped);
	assert_true(WIFSTOPPED(st));
	/* Positions 1, 2, 3: the last ends a quarter and wakes the producer;
	 * its slot 0 is still taken, so it must now sleep on SPACE. */
	for (uint64_t i = 1; i < 4; i++) {
		assert_ok(zeroipc_queue_try_pop(&v, q));
		assert_int_equal(v, i);
	}
	wait_armed(space);
	/* Releasing position 0 wakes it through SPACE. */
	assert_int_equal(kill(stopped, SIGCONT), 0);
	assert_int_equal(zt_wait(stopped), 0);
	assert_int_equal(zt_wait(producer), 0);
	expect_pops_then(q, 4, 16, 99);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

/*
 * A single push or pop that finds a waiter armed on the eventcount it must
 * notify disarms it (advances its seq) before it returns: the fast path's
 * check for sleepers must not skip a wake-up.  (A skipped wake-up would
 * only show as a 1 ms delay in the other tests: the waiters recheck every
 * slice.)  A consumer notifies the quarter eventcount of a single producer
 * waiting after a full exactly when it releases the last slot of a
 * quarter.
 */
static void test_queue_fast_path_wakes_armed_waiters(void **state)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	struct armed_child_arg a;
	const uint32_t *items, *space, *quarter;
	uint32_t s;
	uint64_t v;
	char name[128];
	pid_t pid;

	(void)state;
	mem = zt_create(name, sizeof(name), "q-armed", SEG_SIZE, 0);
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 16, NULL));
	items = q_ec_seq(mem, 0);
	space = q_ec_seq(mem, 1);
	quarter = q_ec_seq(mem, 2);
	a.seg = name;

	/* A pop asleep on ITEMS: one try_push notifies it. */
	a.mode = 0;
	pid = zt_fork(armed_child, &a);
	s = wait_armed(items);
	v = 4242;
	assert_ok(zeroipc_queue_try_push(q, &v));
	assert_true(__atomic_load_n(items, __ATOMIC_ACQUIRE) != s);
	assert_int_equal(zt_wait(pid), 0);

	/* A push asleep on SPACE (queue full): one try_pop notifies it. */
	for (v = 0; v < 16; v++)
		assert_ok(zeroipc_queue_try_push(q, &v));
	a.mode = 1;
	pid = zt_fork(armed_child, &a);
	s = wait_armed(space);
	assert_ok(zeroipc_queue_try_pop(&v, q));
	assert_int_equal(v, 0);
	assert_true(__atomic_load_n(space, __ATOMIC_ACQUIRE) != s);
	assert_int_equal(zt_wait(pid), 0);
	expect_pops_then(q, 1, 16, 55);
	/* Head and tail are at 18 now.  Quarters are 4 positions long. */

	/* A single producer fills positions 18 ..= 33, finds 34 full and
	 * sleeps on QUARTER until the slot of 39 (the last of the quarter
	 * block that ends at least a quarter ahead) is free too: that is
	 * when position 23 is released. */
	a.mode = 2;
	pid = zt_fork(armed_child, &a);
	s = wait_armed(quarter);
	assert_ok(zeroipc_queue_try_pop(&v, q)); /* 18 */
	assert_int_equal(v, 0);
	assert_int_equal(__atomic_load_n(quarter, __ATOMIC_ACQUIRE), s);
	assert_ok(zeroipc_queue_try_pop(&v, q)); /* 19: the end of a quarter */
	assert_int_equal(v, 1);
	assert_true(__atomic_load_n(quarter, __ATOMIC_ACQUIRE) != s);
	/* Not ready yet (39 is not free): it sleeps again. */
	s = wait_armed(quarter);
	for (uint64_t i = 2; i < 5; i++) { /* 20, 21, 22 */
		assert_ok(zeroipc_queue_try_pop(&v, q));
		assert_int_equal(v, i);
		assert_int_equal(__atomic_load_n(quarter, __ATOMIC_ACQUIRE), s);
	}
	assert_ok(zeroipc_queue_try_pop(&v, q)); /* 23 */
	assert_int_equal(v, 5);
	assert_true(__atomic_load_n(quarter, __ATOMIC_ACQUIRE) != s);
	assert_int_equal(zt_wait(pid), 0);
	expect_pops_then(q, 6, 16, 99);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

/* ---- threads ---- */

#define T_PRODUCERS 2
#define T_CONSUMERS 2
#define T_ITEMS 20000

struct thread_ctx {
	zeroipc_queue *q;
	unsigned id;
	int batch;
	unsigned *seen;     /* [producer * T_ITEMS + seq] */
	unsigned *consumed; /* shared count */
	int failed;
};

static void *producer_thread(void *p)
{
	struct thread_ctx *c = p;
	uint64_t items[8];

	for (unsigned i = 0; i < T_ITEMS;) {
		if (c->batch) {
			size_t want = T_ITEMS - i < 8 ? T_ITEMS - i : 8, n;

			for (size_t k = 0; k < want; k++)
				items[k] = ((uint64_t)c->id << 32) | (i + k);
			if (zeroipc_queue_push_n(&n, c->q, items, want,
						 5000000000LL) != 0) {
				c->failed = 1;
				return NULL;
			}
			i += (unsigned)n;
		} else {
			items[0] = ((uint64_t)c->id << 32) | i;
			if (zeroipc_queue_push(c->q, items, 5000000000LL)) {
				c->failed = 1;
				return NULL;
			}
			i++;
		}
	}
	return NULL;
}

static void *consumer_thread(void *p)
{
	struct thread_ctx *c = p;
	uint64_t items[8];
	unsigned last[T_PRODUCERS];
	int have[T_PRODUCERS] = { 0 };

	for (;;) {
		size_t n = 1;
		int rc;

		if (__atomic_load_n(c->consumed, __ATOMIC_RELAXED) >=
		    T_PRODUCERS * T_ITEMS)
			return NULL;
		if (c->batch)
			rc = zeroipc_queue_pop_n(items, &n, c->q, 8, 1000000);
		else
			rc = zeroipc_queue_pop(items, c->q, 1000000);
		if (rc == ZEROIPC_ETIMEOUT)
			continue;
		if (rc != 0) {
			c->failed = 1;
			return NULL;
		}
		for (size_t k = 0; k < n; k++) {
			unsigned who = (unsigned)(items[k] >> 32);
			unsigned seq = (unsigned)items[k];

			if (who >= T_PRODUCERS || seq >= T_ITEMS ||
			    (have[who] && seq <= last[who])) {
				c->failed = 2; /* out of range or order */
				return NULL;
			}
			have[who] = 1;
			last[who] = seq;
			__atomic_fetch_add(&c->seen[who * T_ITEMS + seq], 1,
					   __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(c->consumed, (unsigned)n, __ATOMIC_RELAXED);
	}
}

static void threads_case(int batch)
{
	zeroipc_memory *mem;
	zeroipc_queue *q = NULL;
	pthread_t th[T_PRODUCERS + T_CONSUMERS];
	struct thread_ctx ctx[T_PRODUCERS + T_CONSUMERS];
	unsigned *seen = calloc(T_PRODUCERS * T_ITEMS, sizeof(unsigned));
	unsigned consumed = 0;
	char name[128];
	unsigned i;

	assert_non_null(seen);
	mem = zt_create(name, sizeof(name), "q-threads", SEG_SIZE, 0);
	/* Small, so it is often full and empty. */
	assert_ok(zeroipc_queue_create(&q, mem, "q", 8, 16, NULL));
	for (i = 0; i < T_PRODUCERS + T_CONSUMERS; i++) {
		ctx[i].q = q;
		ctx[i].id = i < T_PRODUCERS ? i : i - T_PRODUCERS;
		ctx[i].batch = batch;
		ctx[i].seen = seen;
		ctx[i].consumed = &consumed;
		ctx[i].failed = 0;
		assert_int_equal(pthread_create(&th[i], NULL,
						i < T_PRODUCERS
							? producer_thread
							: consumer_thread,
						&ctx[i]),
				 0);
	}
	for (i = 0; i < T_PRODUCERS + T_CONSUMERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(ctx[i].failed, 0);
	}
	for (i = 0; i < T_PRODUCERS * T_ITEMS; i++)
		if (seen[i] != 1)
			fail_msg("item %u/%u seen %u times", i / T_ITEMS,
				 i % T_ITEMS, seen[i]);
	assert_int_equal(zeroipc_queue_size(q), 0);
	assert_ok(zeroipc_queue_validate(mem, "q"));
	free(seen);
	zeroipc_queue_close(q);
	zt_destroy(mem, name);
}

static void test_queue_threads_lose_and_duplicate_nothing(void **state)
{
	(void)state;
	threads_case(0);
}

static void test_queue_threads_batches_lose_and_duplicate_nothing(void **state)
{
	(void)state;
	threads_case(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_create_open_and_layout),
		cmocka_unit_test(test_queue_capacity_rounds_up_to_power_of_two),
		cmocka_unit_test(test_queue_fifo_full_and_empty),
		cmocka_unit_test(test_queue_expected_outcomes_keep_their_detail),
		cmocka_unit_test(test_queue_batches_move_runs_in_order),
		cmocka_unit_test(test_queue_counters_wrap_at_2_32),
		cmocka_unit_test(test_queue_counters_wrap_at_2_32_single_mode),
		cmocka_unit_test(test_queue_timeouts),
		cmocka_unit_test(
			test_queue_blocking_calls_wake_across_processes),
		cmocka_unit_test(
			test_queue_single_producer_waits_for_a_quarter),
		cmocka_unit_test(
			test_queue_single_producer_woken_after_a_quarter),
		cmocka_unit_test(
			test_queue_single_mode_stores_counters_lazily),
		cmocka_unit_test(test_queue_second_producer_breaks_promise),
		cmocka_unit_test(test_queue_second_consumer_breaks_promise),
		cmocka_unit_test(
			test_queue_open_repairs_counters_of_a_crashed_handle),
		cmocka_unit_test(test_queue_create_errors),
		cmocka_unit_test(test_queue_open_errors),
		cmocka_unit_test(test_queue_hostile_header_at_open),
		cmocka_unit_test(test_queue_hostile_contents_after_open),
		cmocka_unit_test(
			test_queue_validate_reports_inconsistent_slots),
		cmocka_unit_test(test_queue_readonly_mapping),
		cmocka_unit_test(test_queue_null_handles),
		cmocka_unit_test(test_queue_open_foreign_queue),
		cmocka_unit_test(
			test_queue_lagging_head_of_a_full_queue_opens),
		cmocka_unit_test(
			test_queue_repair_after_single_consumer_died_mid_batch),
		cmocka_unit_test(test_queue_runs_at_every_offset_and_length),
		cmocka_unit_test(test_queue_stale_guesses_never_claim_twice),
		cmocka_unit_test(test_queue_fast_path_wakes_armed_waiters),
		cmocka_unit_test(test_queue_single_producer_moves_to_space_wait),
		cmocka_unit_test(
			test_queue_threads_lose_and_duplicate_nothing),
		cmocka_unit_test(
			test_queue_threads_batches_lose_and_duplicate_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
