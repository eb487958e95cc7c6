/* SPDX-License-Identifier: MIT */
/*
 * test_ring.c - rings: create/open, the format v2 bytes (positions, byte
 * capacity, buffer at +24), FIFO order across many wraps of a capacity that
 * is not a power of two, bulk and zero-copy calls, lazy publication of
 * read_pos, roles and second-producer/consumer detection, timeouts and
 * blocking calls across processes, hostile headers (at open and after),
 * the at-rest validator and read-only mappings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 16)
#define SHORT_NS 30000000LL
#define LONG_NS 20000000000LL

/* Ring header offsets (FORMAT-FACTS: Ring). */
#define R_WRITE_POS 0
#define R_READ_POS 8
#define R_CAPACITY 16
#define R_ELEM_SIZE 20
#define R_BUFFER 24

#define P ZEROIPC_RING_PRODUCER
#define C ZEROIPC_RING_CONSUMER

static zeroipc_ring_opts batch_opts(uint64_t batch)
{
	zeroipc_ring_opts o = ZEROIPC_RING_OPTS_INIT;

	o.release_batch = batch;
	return o;
}

static void test_ring_create_open_and_layout(void **state)
{
	zeroipc_memory *mem, *other = NULL;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_table_entry e;
	unsigned char *base;
	unsigned char v[3] = { 7, 8, 9 }, got[3];
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-layout", SEG_SIZE, 0);
	/* 5 elements of 3 bytes: a 15-byte buffer, not a power of two. */
	assert_ok(zeroipc_ring_create(&w, mem, "odd", 3, 5, P, NULL));
	assert_non_null(w);
	assert_int_equal(zeroipc_ring_capacity(w), 5);
	assert_int_equal(zeroipc_ring_elem_size(w), 3);
	assert_int_equal(zeroipc_ring_size(w), 0);
	assert_int_equal(zeroipc_ring_role(w), P);

	base = zt_entry_base(mem, "odd", &e);
	assert_int_equal(e.size, 24 + 15);
	assert_int_equal(e.offset % 8, 0);
	assert_int_equal(zt_rd64(base, R_WRITE_POS), 0);
	assert_int_equal(zt_rd64(base, R_READ_POS), 0);
	assert_int_equal(zt_rd32(base, R_CAPACITY), 15); /* bytes */
	assert_int_equal(zt_rd32(base, R_ELEM_SIZE), 3);
	/* The companion: 16 eventcounts (128 bytes), two of them used. */
	assert_ok(zeroipc_table_find(&e, mem, "odd.wait"));
	assert_int_equal(e.size, 128);

	assert_ok(zeroipc_ring_try_write(w, v));
	assert_int_equal(zt_rd64(base, R_WRITE_POS), 3);
	assert_memory_equal(base + R_BUFFER, v, 3);
	assert_int_equal(zeroipc_ring_size(w), 1);

	/* A consumer through a second mapping reads it. */
	assert_ok(zeroipc_memory_open(&other, name, 0));
	assert_ok(zeroipc_ring_open(&r, other, "odd", 3, C, NULL));
	assert_int_equal(zeroipc_ring_capacity(r), 5);
	assert_int_equal(zeroipc_ring_size(r), 1);
	assert_ok(zeroipc_ring_try_read(got, r));
	assert_memory_equal(got, v, 3);
	/* Capacity 5: the release batch is 1, so read_pos is published. */
	assert_int_equal(zt_rd64(base, R_READ_POS), 3);
	assert_status(zeroipc_ring_try_read(got, r), ZEROIPC_EEMPTY);
	assert_ok(zeroipc_ring_validate(mem, "odd"));

	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zeroipc_memory_close(other);
	zt_destroy(mem, name);
}

/*
 * One producer and one consumer handle in this thread, moving a sequence
 * through a 7-element ring (56 bytes: positions % 56 is not a mask) in
 * chunks of pseudo-random size through every API, across hundreds of wraps.
 */
static void fifo_run(uint64_t release_batch)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts opts = batch_opts(release_batch);
	uint64_t next_w = 0, next_r = 0, rng = 12345 + release_batch;
	char name[128];

	mem = zt_create(name, sizeof(name), "ring-fifo", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "f", 8, 7, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "f", 8, C, &opts));
	while (next_r < 20000) {
		uint64_t buf[16], k, n, i;
		void *region;
		const void *cregion;
		int rc;

		switch (zt_rand(&rng) % 4) {
		case 0:
			rc = zeroipc_ring_try_write(w, &next_w);
			if (rc == 0)
				next_w++;
			else
				assert_int_equal(rc, ZEROIPC_EFULL);
			break;
		case 1:
			n = 1 + zt_rand(&rng) % 12;
			for (i = 0; i < n; i++)
				buf[i] = next_w + i;
			rc = zeroipc_ring_write_n(&k, w, buf, n, 0);
			if (rc == 0) {
				assert_true(k >= 1 && k <= n);
				next_w += k;
			} else {
				assert_int_equal(rc, ZEROIPC_EFULL);
			}
			break;
		case 2:
			n = 1 + zt_rand(&rng) % 12;
			rc = zeroipc_ring_reserve(&region, &k, w, n, 0);
			if (rc == 0) {
				uint64_t commit = 1 + zt_rand(&rng) % k;

				assert_true(k >= 1 && k <= n);
				for (i = 0; i < commit; i++)
					memcpy((uint64_t *)region + i,
					       &(uint64_t){ next_w + i }, 8);
				assert_ok(zeroipc_ring_commit(w, commit));
				next_w += commit;
			} else {
				assert_int_equal(rc, ZEROIPC_EFULL);
			}
			break;
		default:
			break;
		}
		assert_true(next_w - next_r <= 7);

		switch (zt_rand(&rng) % 3) {
		case 0:
			rc = zeroipc_ring_try_read(&buf[0], r);
			if (rc == 0) {
				assert_int_equal(buf[0], next_r);
				next_r++;
			} else {
				assert_int_equal(rc, ZEROIPC_EEMPTY);
			}
			break;
		case 1:
			n = 1 + zt_rand(&rng) % 16;
			rc = zeroipc_ring_read_n(&k, buf, r, n, 0);
			if (rc == 0) {
				assert_true(k >= 1 && k <= n);
				for (i = 0; i < k; i++)
					assert_int_equal(buf[i], next_r + i);
				next_r += k;
			} else {
				assert_int_equal(rc, ZEROIPC_EEMPTY);
			}
			break;
		default:
			n = 1 + zt_rand(&rng) % 16;
			rc = zeroipc_ring_peek(&cregion, &k, r, n, 0);
			if (rc == 0) {
				uint64_t take = zt_rand(&rng) % (k + 1);

				for (i = 0; i < k; i++) {
					uint64_t v;
					const uint64_t *at = cregion;

					memcpy(&v, at + i, 8);
					assert_int_equal(v, next_r + i);
				}
				assert_ok(zeroipc_ring_release(r, take));
				next_r += take;
			} else {
				assert_int_equal(rc, ZEROIPC_EEMPTY);
			}
			break;
		}
	}
	assert_true(next_w >= next_r);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/* Publishing every read, and lazily (3 of 7, and the whole ring). */
static void test_ring_fifo_across_many_wraps(void **state)
{
	(void)state;
	fifo_run(1);
	fifo_run(3);
	fifo_run(7);
}

static void test_ring_full_and_empty(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	uint32_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-full", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "q", 4, 10, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "q", 4, C, &eager));
	assert_status(zeroipc_ring_try_read(&v, r), ZEROIPC_EEMPTY);
	assert_status(zeroipc_ring_read(&v, r, 0), ZEROIPC_EEMPTY);
	for (v = 0; v < 10; v++)
		assert_ok(zeroipc_ring_try_write(w, &v));
	assert_int_equal(zeroipc_ring_size(w), 10);
	assert_status(zeroipc_ring_try_write(w, &v), ZEROIPC_EFULL);
	assert_status(zeroipc_ring_write(w, &v, 0), ZEROIPC_EFULL);
	/* Publishing every read: one read makes exactly one slot. */
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(v, 0);
	v = 10;
	assert_ok(zeroipc_ring_try_write(w, &v));
	assert_status(zeroipc_ring_try_write(w, &v), ZEROIPC_EFULL);
	for (uint32_t i = 1; i <= 10; i++) {
		assert_ok(zeroipc_ring_try_read(&v, r));
		assert_int_equal(v, i);
	}
	assert_status(zeroipc_ring_try_read(&v, r), ZEROIPC_EEMPTY);
	assert_int_equal(zeroipc_ring_size(r), 0);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/* The default release batch is a quarter of the capacity. */
static void test_ring_consumer_publishes_lazily(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	unsigned char *base;
	uint64_t v;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-lazy", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "l", 8, 16, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "l", 8, C, NULL));
	base = zt_entry_base(mem, "l", NULL);
	for (v = 0; v < 16; v++)
		assert_ok(zeroipc_ring_try_write(w, &v));
	for (uint64_t i = 0; i < 3; i++)
		assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(zt_rd64(base, R_READ_POS), 0);
	/* The producer still sees a full ring: the space is held back. */
	assert_status(zeroipc_ring_try_write(w, &v), ZEROIPC_EFULL);
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(v, 3);
	assert_int_equal(zt_rd64(base, R_READ_POS), 4 * 8);
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(zt_rd64(base, R_READ_POS), 4 * 8);
	assert_ok(zeroipc_ring_flush(r));
	assert_int_equal(zt_rd64(base, R_READ_POS), 5 * 8);
	assert_ok(zeroipc_ring_try_read(&v, r));
	/* Close does not touch the segment: the read is not handed back,
	 * and the next consumer reads it again. */
	zeroipc_ring_close(r);
	assert_int_equal(zt_rd64(base, R_READ_POS), 5 * 8);
	assert_ok(zeroipc_ring_open(&r, mem, "l", 8, C, NULL));
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(v, 5);
	zeroipc_ring_close(r);
	/* A flush on a producer has nothing to do. */
	assert_ok(zeroipc_ring_flush(w));
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

static void test_ring_reserve_commit_contiguous_regions(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	unsigned char *base;
	void *region;
	uint64_t n, k, buf[10];
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-zc-w", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "z", 8, 10, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "z", 8, C, &eager));
	base = zt_entry_base(mem, "z", NULL);
	/* Nothing reserved yet. */
	assert_fails_with(zeroipc_ring_commit(w, 1), ZEROIPC_EINVAL);
	assert_ok(zeroipc_ring_commit(w, 0));
	assert_fails_with(zeroipc_ring_reserve(&region, &n, w, 0, 0),
			  ZEROIPC_EINVAL);

	/* Move the positions to 7 of 10. */
	for (uint64_t i = 0; i < 7; i++)
		buf[i] = i;
	assert_ok(zeroipc_ring_write_n(&k, w, buf, 7, 0));
	assert_int_equal(k, 7);
	assert_ok(zeroipc_ring_read_n(&k, buf, r, 10, 0));
	assert_int_equal(k, 7);

	/* The region ends at the end of the buffer: 3 elements. */
	assert_ok(zeroipc_ring_reserve(&region, &n, w, 10, 0));
	assert_int_equal(n, 3);
	assert_ptr_equal(region, base + R_BUFFER + 7 * 8);
	for (uint64_t i = 0; i < 3; i++)
		((uint64_t *)region)[i] = 100 + i;
	/* Nothing is visible before the commit. */
	assert_int_equal(zt_rd64(base, R_WRITE_POS), 7 * 8);
	assert_fails_with(zeroipc_ring_commit(w, 4), ZEROIPC_EINVAL);
	assert_ok(zeroipc_ring_commit(w, 3));
	assert_int_equal(zt_rd64(base, R_WRITE_POS), 10 * 8);
	/* The reservation ended with the commit. */
	assert_fails_with(zeroipc_ring_commit(w, 1), ZEROIPC_EINVAL);

	/* The next one starts at the beginning, limited by free space (7). */
	assert_ok(zeroipc_ring_reserve(&region, &n, w, 100, 0));
	assert_ptr_equal(region, base + R_BUFFER);
	assert_int_equal(n, 7);
	((uint64_t *)region)[0] = 103;
	assert_ok(zeroipc_ring_commit(w, 1));
	/* A producer call ends a reservation without publishing it. */
	assert_ok(zeroipc_ring_reserve(&region, &n, w, 2, 0));
	assert_int_equal(n, 2);
	assert_ok(zeroipc_ring_try_write(w, &(uint64_t){ 104 }));
	assert_fails_with(zeroipc_ring_commit(w, 1), ZEROIPC_EINVAL);

	assert_ok(zeroipc_ring_read_n(&k, buf, r, 10, 0));
	assert_int_equal(k, 5);
	for (uint64_t i = 0; i < 5; i++)
		assert_int_equal(buf[i], 100 + i);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

static void test_ring_peek_release_contiguous_regions(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	unsigned char *base;
	const void *region;
	uint64_t n, k, buf[10];
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-zc-r", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "z", 8, 10, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "z", 8, C, NULL));
	base = zt_entry_base(mem, "z", NULL);
	assert_status(zeroipc_ring_peek(&region, &n, r, 4, 0),
		      ZEROIPC_EEMPTY);
	assert_fails_with(zeroipc_ring_release(r, 1), ZEROIPC_EINVAL);
	assert_ok(zeroipc_ring_release(r, 0));

	for (uint64_t i = 0; i < 8; i++)
		buf[i] = i;
	assert_ok(zeroipc_ring_write_n(&k, w, buf, 8, 0));
	assert_ok(zeroipc_ring_read_n(&k, buf, r, 6, 0));
	assert_int_equal(k, 6);
	for (uint64_t i = 0; i < 8; i++)
		buf[i] = 10 + i;
	assert_ok(zeroipc_ring_write_n(&k, w, buf, 8, 0));
	assert_int_equal(k, 8);
	/* Unread: 6, 7 at the end, then 10..17 from the start. */
	assert_ok(zeroipc_ring_peek(&region, &n, r, 100, 0));
	assert_ptr_equal(region, base + R_BUFFER + 6 * 8);
	assert_int_equal(n, 4); /* to the end of the buffer: 6, 7, 10, 11 */
	assert_int_equal(((const uint64_t *)region)[0], 6);
	assert_int_equal(((const uint64_t *)region)[3], 11);
	/* Peeking twice shows the same elements. */
	assert_ok(zeroipc_ring_peek(&region, &n, r, 2, 0));
	assert_int_equal(n, 2);
	assert_int_equal(((const uint64_t *)region)[0], 6);
	assert_fails_with(zeroipc_ring_release(r, 3), ZEROIPC_EINVAL);
	assert_ok(zeroipc_ring_release(r, 2));
	assert_fails_with(zeroipc_ring_release(r, 1), ZEROIPC_EINVAL);
	assert_ok(zeroipc_ring_peek(&region, &n, r, 100, 0));
	assert_int_equal(n, 2);
	assert_int_equal(((const uint64_t *)region)[0], 10);
	assert_ok(zeroipc_ring_release(r, 2));
	assert_ok(zeroipc_ring_peek(&region, &n, r, 100, 0));
	assert_ptr_equal(region, base + R_BUFFER);
	assert_int_equal(n, 6);
	assert_int_equal(((const uint64_t *)region)[5], 17);
	assert_ok(zeroipc_ring_release(r, 6));
	assert_status(zeroipc_ring_peek(&region, &n, r, 1, 0), ZEROIPC_EEMPTY);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

static void test_ring_bulk_calls_partial_and_zero(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	uint16_t in[20], out[20];
	uint64_t k;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-bulk", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "b", 2, 6, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "b", 2, C, &eager));
	for (uint16_t i = 0; i < 20; i++)
		in[i] = (uint16_t)(1000 + i);
	assert_ok(zeroipc_ring_write_n(&k, w, in, 0, 0));
	assert_int_equal(k, 0);
	assert_ok(zeroipc_ring_write_n(&k, w, NULL, 0, 0));
	assert_ok(zeroipc_ring_read_n(&k, out, r, 0, 0));
	assert_int_equal(k, 0);
	assert_status(zeroipc_ring_read_n(&k, out, r, 5, 0), ZEROIPC_EEMPTY);
	assert_int_equal(k, 0);
	/* Only six fit. */
	assert_ok(zeroipc_ring_write_n(&k, w, in, 20, 0));
	assert_int_equal(k, 6);
	assert_status(zeroipc_ring_write_n(&k, w, in + 6, 14, 0),
		      ZEROIPC_EFULL);
	assert_int_equal(k, 0);
	assert_ok(zeroipc_ring_read_n(&k, out, r, 4, 0));
	assert_int_equal(k, 4);
	assert_memory_equal(out, in, 8);
	/* Four free, wrapping around the end. */
	assert_ok(zeroipc_ring_write_n(&k, w, in + 6, 14, 0));
	assert_int_equal(k, 4);
	assert_ok(zeroipc_ring_read_n(&k, out, r, 20, 0));
	assert_int_equal(k, 6);
	assert_memory_equal(out, in + 4, 12);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

static void test_ring_create_errors(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *x = NULL;
	zeroipc_ring_opts small = ZEROIPC_RING_OPTS_INIT;
	zeroipc_table_entry e;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-cerr", SEG_SIZE, 0);
	assert_fails_with(zeroipc_ring_create(NULL, mem, "a", 8, 4, P, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_create(&x, NULL, "a", 8, 4, P, NULL),
			  ZEROIPC_EINVAL);
	assert_null(x);
	assert_fails_with(zeroipc_ring_create(&x, mem, "a", 0, 4, P, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_create(&x, mem, "a", 8, 0, P, NULL),
			  ZEROIPC_EINVAL);
	/* The byte capacity is a u32. */
	assert_fails_with(zeroipc_ring_create(&x, mem, "a", 1u << 20, 1u << 12,
					      P, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_create(&x, mem, "a", UINT64_MAX, 2, P,
					      NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_create(&x, mem, "a", 8, 4, 0x4, NULL),
			  ZEROIPC_EINVAL);
	small.size = 4;
	assert_fails_with(zeroipc_ring_create(&x, mem, "a", 8, 4, P, &small),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_create(&x, mem, NULL, 8, 4, P, NULL),
			  ZEROIPC_ENAME);
	assert_fails_with(zeroipc_ring_create(&x, mem, "", 8, 4, P, NULL),
			  ZEROIPC_ENAME);
	/* 27 bytes: "<name>.wait" would not fit 31. */
	assert_fails_with(zeroipc_ring_create(&x, mem,
					      "abcdefghijklmnopqrstuvwxyz0", 8,
					      4, P, NULL),
			  ZEROIPC_ENAME);
	assert_null(x);
	/* Too large for the segment. */
	assert_fails_with(zeroipc_ring_create(&x, mem, "big", 8, 1u << 20, P,
					      NULL),
			  ZEROIPC_ENO_SPACE);
	/* The companion may stay (it is harmless and reused), the ring not. */
	assert_status(zeroipc_table_find(&e, mem, "big"), ZEROIPC_ENOT_FOUND);
	assert_status(zeroipc_table_find(&e, mem, "a"), ZEROIPC_ENOT_FOUND);

	assert_ok(zeroipc_ring_create(&x, mem, "abcdefghijklmnopqrstuvwxyz", 8,
				      4, P, NULL));
	zeroipc_ring_close(x);
	x = NULL;
	assert_fails_with(zeroipc_ring_create(&x, mem,
					      "abcdefghijklmnopqrstuvwxyz", 8,
					      4, P, NULL),
			  ZEROIPC_EEXISTS);
	assert_null(x);
	zt_destroy(mem, name);
}

static void test_ring_open_errors(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_ring *x = NULL;
	zeroipc_table_entry e;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-oerr", SEG_SIZE, 0);
	assert_fails_with(zeroipc_ring_open(&x, mem, "none", 8, C, NULL),
			  ZEROIPC_ENOT_FOUND);
	/* A failed open adds no companion. */
	assert_status(zeroipc_table_find(&e, mem, "none.wait"),
		      ZEROIPC_ENOT_FOUND);
	assert_ok(zeroipc_ring_create(&x, mem, "r", 8, 4, 0, NULL));
	zeroipc_ring_close(x);
	x = NULL;
	assert_fails_with(zeroipc_ring_open(&x, mem, "r", 4, C, NULL),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_null(x);
	assert_fails_with(zeroipc_ring_open(&x, mem, "r", 0, C, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_open(&x, mem, "r", 8, 8, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_open(NULL, mem, "r", 8, C, NULL),
			  ZEROIPC_EINVAL);

	/* Read-only: only a handle without a role. */
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_fails_with(zeroipc_ring_open(&x, ro, "r", 8, C, NULL),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_ring_open(&x, ro, "r", 8, P, NULL),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_ring_create(&x, ro, "r2", 8, 4, P, NULL),
			  ZEROIPC_EREADONLY);
	assert_ok(zeroipc_ring_open(&x, ro, "r", 8, 0, NULL));
	assert_int_equal(zeroipc_ring_size(x), 0);
	assert_int_equal(zeroipc_ring_capacity(x), 4);
	assert_ok(zeroipc_ring_validate(ro, "r"));
	zeroipc_ring_close(x);
	zeroipc_memory_close(ro);
	zt_destroy(mem, name);
}

static void test_ring_roles_are_enforced(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL, *none = NULL, *both = NULL;
	uint64_t v = 5, k;
	void *region;
	const void *cregion;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-roles", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "r", 8, 4, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "r", 8, C, NULL));
	assert_ok(zeroipc_ring_open(&none, mem, "r", 8, 0, NULL));
	assert_fails_with(zeroipc_ring_try_read(&v, w), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_read_n(&k, &v, w, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_peek(&cregion, &k, w, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_release(w, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_try_write(r, &v), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_write_n(&k, r, &v, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_reserve(&region, &k, r, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_commit(r, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_write(none, &v, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_read(&v, none, 0), ZEROIPC_EINVAL);
	zeroipc_ring_close(none);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);

	/* One handle with both roles is a loopback. */
	assert_ok(zeroipc_ring_open(&both, mem, "r", 8, P | C, NULL));
	assert_ok(zeroipc_ring_try_write(both, &v));
	v = 0;
	assert_ok(zeroipc_ring_try_read(&v, both));
	assert_int_equal(v, 5);
	zeroipc_ring_close(both);
	zt_destroy(mem, name);
}

static void test_ring_null_handles(void **state)
{
	uint64_t v = 0, k;
	void *region;
	const void *cregion;

	(void)state;
	zeroipc_ring_close(NULL);
	assert_int_equal(zeroipc_ring_capacity(NULL), 0);
	assert_int_equal(zeroipc_ring_elem_size(NULL), 0);
	assert_int_equal(zeroipc_ring_size(NULL), 0);
	assert_int_equal(zeroipc_ring_role(NULL), 0);
	assert_fails_with(zeroipc_ring_try_write(NULL, &v), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_write(NULL, &v, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_try_read(&v, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_read(&v, NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_write_n(&k, NULL, &v, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_read_n(&k, &v, NULL, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_reserve(&region, &k, NULL, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_commit(NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_peek(&cregion, &k, NULL, 1, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_release(NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_flush(NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_ring_validate(NULL, "x"), ZEROIPC_EINVAL);
}

static void test_ring_timeouts(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	uint64_t v = 1, k;
	const void *cregion;
	void *region;
	int64_t t0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-timeout", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "t", 8, 2, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "t", 8, C, NULL));
	t0 = zt_now_ns();
	assert_fails_with(zeroipc_ring_read(&v, r, SHORT_NS), ZEROIPC_ETIMEOUT);
	assert_true(zt_now_ns() - t0 >= SHORT_NS);
	assert_fails_with(zeroipc_ring_read_n(&k, &v, r, 1, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_ring_peek(&cregion, &k, r, 1, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_ok(zeroipc_ring_write(w, &v, SHORT_NS));
	assert_ok(zeroipc_ring_write(w, &v, ZEROIPC_WAIT_FOREVER));
	t0 = zt_now_ns();
	assert_fails_with(zeroipc_ring_write(w, &v, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_true(zt_now_ns() - t0 >= SHORT_NS);
	assert_fails_with(zeroipc_ring_write_n(&k, w, &v, 1, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_ring_reserve(&region, &k, w, 1, SHORT_NS),
			  ZEROIPC_ETIMEOUT);
	/* Data is there: no wait at all. */
	assert_ok(zeroipc_ring_read(&v, r, ZEROIPC_WAIT_FOREVER));
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/* ---- across processes ---- */

struct xp {
	char name[128];
	int to_parent[2];
	int to_child[2];
	uint64_t count;
};

static int child_reader(void *arg)
{
	struct xp *x = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_ring *r = NULL;
	uint64_t v;
	char c = 'r';

	if (zeroipc_memory_open(&mem, x->name, 0) != 0 ||
	    zeroipc_ring_open(&r, mem, "x", 8, C, NULL) != 0)
		return 10;
	if (write(x->to_parent[1], &c, 1) != 1)
		return 11;
	/* Blocks until the parent writes, long after we went to sleep. */
	for (uint64_t i = 0; i < x->count; i++) {
		if (zeroipc_ring_read(&v, r, LONG_NS) != 0)
			return 12;
		if (v != i)
			return 13;
	}
	zeroipc_ring_close(r);
	zeroipc_memory_close(mem);
	return 0;
}

static void test_ring_blocking_read_wakes_across_processes(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL;
	struct xp *x;
	pid_t pid;
	char c;

	(void)state;
	x = zt_shared_alloc(sizeof(*x));
	mem = zt_create(x->name, sizeof(x->name), "ring-wake", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "x", 8, 4, P, NULL));
	assert_int_equal(pipe(x->to_parent), 0);
	x->count = 100;
	pid = zt_fork(child_reader, x);
	assert_int_equal(read(x->to_parent[0], &c, 1), 1);
	/* Each write wakes the reader; the ring is small, so the writer also
	 * waits for space the reader frees. */
	for (uint64_t i = 0; i < x->count; i++)
		assert_ok(zeroipc_ring_write(w, &i, LONG_NS));
	assert_int_equal(zt_wait(pid), 0);
	close(x->to_parent[0]);
	close(x->to_parent[1]);
	zeroipc_ring_close(w);
	zt_destroy(mem, x->name);
	zt_shared_free(x, sizeof(*x));
}

static int child_blocked_writer(void *arg)
{
	struct xp *x = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_ring *w = NULL;
	uint64_t v = 999;
	char c = 'w';

	if (zeroipc_memory_open(&mem, x->name, 0) != 0 ||
	    zeroipc_ring_open(&w, mem, "x", 8, P, NULL) != 0)
		return 10;
	if (zeroipc_ring_write(w, &v, LONG_NS) != 0)
		return 12;
	/* Tell the parent this write went through. */
	if (write(x->to_parent[1], &c, 1) != 1)
		return 11;
	zeroipc_ring_close(w);
	zeroipc_memory_close(mem);
	return 0;
}

/*
 * A consumer with a large release batch still hands back space as soon as
 * it notices a producer waiting for it, instead of after the batch.
 */
static void test_ring_consumer_publishes_when_producer_waits(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts lazy = batch_opts(8);
	zeroipc_table_entry e;
	const uint32_t *space_seq;
	struct pollfd pfd;
	struct xp *x;
	uint64_t v;
	int64_t t0;
	pid_t pid;
	char c;

	(void)state;
	x = zt_shared_alloc(sizeof(*x));
	mem = zt_create(x->name, sizeof(x->name), "ring-pwait", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "x", 8, 8, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "x", 8, C, &lazy));
	for (v = 0; v < 4; v++)
		assert_ok(zeroipc_ring_try_write(w, &v));
	for (uint64_t i = 0; i < 4; i++)
		assert_ok(zeroipc_ring_try_read(&v, r));
	for (v = 4; v < 8; v++)
		assert_ok(zeroipc_ring_try_write(w, &v));
	zeroipc_ring_close(w);
	/* read_pos is still 0: to any producer the ring is full. */
	assert_int_equal(zt_rd64(zt_entry_base(mem, "x", NULL), R_READ_POS), 0);

	assert_int_equal(pipe(x->to_parent), 0);
	pid = zt_fork(child_blocked_writer, x);
	/* Wait until the writer has armed the space eventcount (the seq word
	 * of the second of the companion's {waiters, seq} pairs): the armed
	 * bit, not the waiter count, is what the consumer looks at, and a
	 * waiter counts itself before it arms. */
	assert_ok(zeroipc_table_find(&e, mem, "x.wait"));
	space_seq = (const uint32_t *)(void *)((unsigned char *)
		zeroipc_memory_base(mem) + e.offset + 12);
	t0 = zt_now_ns();
	while ((__atomic_load_n(space_seq, __ATOMIC_ACQUIRE) & 1u) == 0) {
		assert_true(zt_now_ns() - t0 < LONG_NS);
		sched_yield();
	}
	/* One read: the cached view is used up, the reread sees the waiter
	 * and publishes the four elements read so far. */
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(v, 4);
	pfd.fd = x->to_parent[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, (int)(LONG_NS / 1000000)), 1);
	assert_int_equal(read(x->to_parent[0], &c, 1), 1);
	assert_int_equal(zt_wait(pid), 0);
	for (uint64_t i = 5; i < 8; i++) {
		assert_ok(zeroipc_ring_try_read(&v, r));
		assert_int_equal(v, i);
	}
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(v, 999);
	close(x->to_parent[0]);
	close(x->to_parent[1]);
	zeroipc_ring_close(r);
	zt_destroy(mem, x->name);
	zt_shared_free(x, sizeof(*x));
}

/* ---- element sizes that are not powers of two (review) ---- */

static void odd_elem(unsigned char *out, uint64_t es, uint64_t e)
{
	for (uint64_t b = 0; b < es; b++)
		out[b] = (unsigned char)(e * 7u + b * 13u + 1u);
}

static void expect_odd_elems(const unsigned char *got, uint64_t es,
			     uint64_t first, uint64_t n)
{
	unsigned char want[64];

	for (uint64_t i = 0; i < n; i++) {
		odd_elem(want, es, first + i);
		if (memcmp(got + i * es, want, es) != 0)
			fail_msg("element %llu of %llu bytes differs",
				 (unsigned long long)(first + i),
				 (unsigned long long)es);
	}
}

/*
 * One ring of `cap` elements of `es` bytes, driven through every call for
 * many laps against a model: each count is exact (everything that fits or
 * is there, up to the request, for the zero-copy calls up to the end of
 * the buffer), regions start where the positions say, commit and release
 * accept exactly the counts handed out, positions in the header are whole
 * elements, the bytes arrive intact.
 */
static void odd_size_run(uint64_t es, uint64_t cap)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	unsigned char *base, buf[64 * 40];
	uint64_t wn = 0, rn = 0, rng = es * 1000 + cap; /* positions */
	char name[128];

	mem = zt_create(name, sizeof(name), "ring-odd", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "o", es, cap, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "o", es, C, &eager));
	base = zt_entry_base(mem, "o", NULL);
	assert_int_equal(zeroipc_ring_capacity(w), cap);
	while (rn < 30 * cap + 500) {
		uint64_t used = wn - rn, room = cap - used;
		uint64_t to_end_w = cap - wn % cap, to_end_r = cap - rn % cap;
		uint64_t k, n, want, i;
		void *region;
		const void *cregion;
		int op = (int)(zt_rand(&rng) % 6);

		/* Up to 40 elements, past the capacity of the small rings. */
		k = 1 + zt_rand(&rng) % (cap < 39 ? cap + 2 : 40);
		switch (op) {
		case 0: /* write_n */
			for (i = 0; i < k; i++)
				odd_elem(buf + i * es, es, wn + i);
			want = k < room ? k : room;
			if (want == 0) {
				assert_status(zeroipc_ring_write_n(&n, w, buf,
								   k, 0),
					      ZEROIPC_EFULL);
				break;
			}
			assert_ok(zeroipc_ring_write_n(&n, w, buf, k, 0));
			assert_int_equal(n, want);
			wn += n;
			break;
		case 1: /* reserve, fill, commit part */
			want = k < room ? k : room;
			want = want < to_end_w ? want : to_end_w;
			if (want == 0) {
				assert_status(zeroipc_ring_reserve(&region, &n,
								   w, k, 0),
					      ZEROIPC_EFULL);
				break;
			}
			assert_ok(zeroipc_ring_reserve(&region, &n, w, k, 0));
			assert_int_equal(n, want);
			assert_ptr_equal(region,
					 base + R_BUFFER + (wn % cap) * es);
			for (i = 0; i < n; i++)
				odd_elem((unsigned char *)region + i * es, es,
					 wn + i);
			assert_fails_with(zeroipc_ring_commit(w, n + 1),
					  ZEROIPC_EINVAL);
			{
				char expect[64];

				snprintf(expect, sizeof(expect),
					 "commit of %llu elements, %llu "
					 "reserved",
					 (unsigned long long)(n + 1),
					 (unsigned long long)n);
				assert_non_null(strstr(zeroipc_last_error(),
						       expect));
			}
			k = 1 + zt_rand(&rng) % n;
			assert_ok(zeroipc_ring_commit(w, k));
			wn += k;
			break;
		case 2: /* one element */
			odd_elem(buf, es, wn);
			if (room == 0) {
				assert_status(zeroipc_ring_try_write(w, buf),
					      ZEROIPC_EFULL);
				break;
			}
			assert_ok(zeroipc_ring_try_write(w, buf));
			wn++;
			break;
		case 3: /* read_n */
			want = k < used ? k : used;
			if (want == 0) {
				assert_status(zeroipc_ring_read_n(&n, buf, r,
								  k, 0),
					      ZEROIPC_EEMPTY);
				break;
			}
			assert_ok(zeroipc_ring_read_n(&n, buf, r, k, 0));
			assert_int_equal(n, want);
			expect_odd_elems(buf, es, rn, n);
			rn += n;
			break;
		case 4: /* peek, release part */
			want = k < used ? k : used;
			want = want < to_end_r ? want : to_end_r;
			if (want == 0) {
				assert_status(zeroipc_ring_peek(&cregion, &n, r,
								k, 0),
					      ZEROIPC_EEMPTY);
				break;
			}
			assert_ok(zeroipc_ring_peek(&cregion, &n, r, k, 0));
			assert_int_equal(n, want);
			assert_ptr_equal(cregion,
					 base + R_BUFFER + (rn % cap) * es);
			expect_odd_elems(cregion, es, rn, n);
			assert_fails_with(zeroipc_ring_release(r, n + 1),
					  ZEROIPC_EINVAL);
			k = zt_rand(&rng) % (n + 1);
			assert_ok(zeroipc_ring_release(r, k));
			rn += k;
			break;
		default: /* one element */
			if (used == 0) {
				assert_status(zeroipc_ring_try_read(buf, r),
					      ZEROIPC_EEMPTY);
				break;
			}
			assert_ok(zeroipc_ring_try_read(buf, r));
			expect_odd_elems(buf, es, rn, 1);
			rn++;
			break;
		}
		/* Published at once (release batch 1), whole elements. */
		assert_int_equal(zt_rd64(base, R_WRITE_POS), wn * es);
		assert_int_equal(zt_rd64(base, R_READ_POS), rn * es);
		assert_int_equal(zeroipc_ring_size(w), wn - rn);
		assert_int_equal(zeroipc_ring_size(r), wn - rn);
	}
	assert_ok(zeroipc_ring_validate(mem, "o"));
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/*
 * Element counts of 3-, 12- and 24-byte elements (divisions, not shifts)
 * and, for comparison, 8-byte ones (shifts), in rings of 5 and 7
 * elements and in rings of 4 KiB or more (where the producer prefetches
 * ahead of its writes).
 */
static void test_ring_odd_element_sizes_count_exactly(void **state)
{
	static const struct {
		uint64_t es, cap;
	} runs[] = { { 3, 5 },	  { 3, 7 },   { 3, 1401 }, { 12, 5 },
		     { 12, 7 },	  { 12, 345 }, { 24, 5 },   { 24, 7 },
		     { 24, 171 }, { 8, 7 },    { 8, 515 } };

	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++)
		odd_size_run(runs[i].es, runs[i].cap);
}

/* ---- contract violations ---- */

static void test_ring_second_producer_is_detected(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *a = NULL, *b = NULL, *r = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	uint64_t v = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-2p", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&a, mem, "r", 8, 4, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "r", 8, C, &eager));
	for (int i = 0; i < 4; i++)
		assert_ok(zeroipc_ring_try_write(a, &v));
	for (int i = 0; i < 4; i++)
		assert_ok(zeroipc_ring_try_read(&v, r));
	assert_ok(zeroipc_ring_open(&b, mem, "r", 8, P, NULL));
	assert_ok(zeroipc_ring_try_write(b, &v));
	/* a's cached view is used up; its reread finds write_pos moved. */
	assert_fails_with(zeroipc_ring_try_write(a, &v), ZEROIPC_EPROTOCOL);
	zeroipc_ring_close(b);
	zeroipc_ring_close(a);
	zeroipc_ring_close(r);
	zt_destroy(mem, name);
}

static void test_ring_second_consumer_is_detected(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *a = NULL, *b = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	uint64_t v = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-2c", SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&w, mem, "r", 8, 4, P, NULL));
	assert_ok(zeroipc_ring_open(&a, mem, "r", 8, C, &eager));
	assert_ok(zeroipc_ring_try_write(w, &v));
	assert_ok(zeroipc_ring_try_write(w, &v));
	assert_ok(zeroipc_ring_try_read(&v, a));
	assert_ok(zeroipc_ring_try_read(&v, a));
	assert_ok(zeroipc_ring_try_write(w, &v));
	assert_ok(zeroipc_ring_try_write(w, &v));
	assert_ok(zeroipc_ring_open(&b, mem, "r", 8, C, &eager));
	assert_ok(zeroipc_ring_try_read(&v, b));
	assert_fails_with(zeroipc_ring_try_read(&v, a), ZEROIPC_EPROTOCOL);
	zeroipc_ring_close(b);
	zeroipc_ring_close(a);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/* ---- hostile headers ---- */

/* Make ring "h" (8-byte elements, 4 of them) and return its base. */
static unsigned char *fresh(zeroipc_memory **mem_out, char *name, size_t len,
			    const char *tag)
{
	zeroipc_ring *x = NULL;

	*mem_out = zt_create(name, len, tag, SEG_SIZE, 0);
	assert_ok(zeroipc_ring_create(&x, *mem_out, "h", 8, 4, 0, NULL));
	zeroipc_ring_close(x);
	return zt_entry_base(*mem_out, "h", NULL);
}

/* Open as a consumer and as a producer: a bad header fails both alike. */
static int open_hostile(zeroipc_memory *mem, const char *rname)
{
	zeroipc_ring *x = NULL;
	int rc = zeroipc_ring_open(&x, mem, rname, 8, C, NULL);

	if (rc == 0) {
		zeroipc_ring_close(x);
		return rc;
	}
	assert_null(x);
	assert_status(zeroipc_ring_open(&x, mem, rname, 8, P, NULL), rc);
	assert_null(x);
	return rc;
}

/* Rewrite the field at `off` of ring "h"; expect it to be corrupt. */
static void expect_corrupt(zeroipc_memory *mem, unsigned char *base,
			   size_t off, unsigned width, uint64_t value)
{
	struct zt_hostile h = { .mem = mem, .name = "h", .base = base,
				.open = open_hostile,
				.validate = zeroipc_ring_validate };

	zt_expect_hostile(&h, off, width, value, ZEROIPC_ECORRUPT,
			  ZEROIPC_ECORRUPT);
}

static void test_ring_hostile_header_at_open(void **state)
{
	static const struct {
		size_t off;
		int wide;
		uint64_t value;
	} cases[] = {
		{ R_CAPACITY, 0, 0 },           /* capacity 0: no division */
		{ R_CAPACITY, 0, 31 },          /* not a multiple of 8 */
		{ R_CAPACITY, 0, 40 },          /* more than the entry holds */
		{ R_CAPACITY, 0, 0xFFFFFFF8u }, /* huge */
		{ R_CAPACITY, 0, 16 },          /* less than the entry holds */
		{ R_WRITE_POS, 1, 40 },         /* 40 bytes ahead of 32 */
		{ R_READ_POS, 1, 8 },           /* read ahead of write */
		{ R_WRITE_POS, 1, UINT64_MAX - 7 }, /* far apart (wrapped) */
		{ R_WRITE_POS, 1, 4 },          /* half an element */
	};
	zeroipc_memory *mem;
	zeroipc_ring *x = NULL;
	unsigned char *base;
	char name[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		base = fresh(&mem, name, sizeof(name), "ring-hostile");
		expect_corrupt(mem, base, cases[i].off, cases[i].wide ? 8 : 4,
			       cases[i].value);
		zt_destroy(mem, name);
	}

	/* Element size 0 is corrupt; another element size a mismatch. */
	base = fresh(&mem, name, sizeof(name), "ring-hostile-es");
	expect_corrupt(mem, base, R_ELEM_SIZE, 4, 0);
	zt_wr32(base, R_ELEM_SIZE, 4);
	assert_fails_with(zeroipc_ring_open(&x, mem, "h", 8, C, NULL),
			  ZEROIPC_ESIZE_MISMATCH);
	/* validate takes the stored size: 4 divides 32, so it is sound. */
	assert_ok(zeroipc_ring_validate(mem, "h"));
	zt_wr32(base, R_ELEM_SIZE, 5);
	assert_fails_with(zeroipc_ring_validate(mem, "h"), ZEROIPC_ECORRUPT);
	zt_destroy(mem, name);

	/* A companion of the wrong size. */
	mem = zt_create(name, sizeof(name), "ring-hostile-comp", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "h.wait", 12));
	assert_fails_with(zeroipc_ring_create(&x, mem, "h", 8, 4, P, NULL),
			  ZEROIPC_ECORRUPT);
	zt_destroy(mem, name);
}

/*
 * Another process rewrites the header after open: operations report it
 * or carry on with the capacity read at open, never touching memory
 * outside the ring (ASan builds check this).
 */
static void test_ring_hostile_header_after_open(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_ring_opts eager = batch_opts(1);
	unsigned char *base;
	uint64_t v = 1, k, buf[8];
	char name[128];

	(void)state;
	base = fresh(&mem, name, sizeof(name), "ring-hostile-late");
	assert_ok(zeroipc_ring_open(&w, mem, "h", 8, P, NULL));
	assert_ok(zeroipc_ring_open(&r, mem, "h", 8, C, &eager));

	/* Capacity and element size are read once, at open. */
	zt_wr32(base, R_CAPACITY, 0xFFFFFFF8u);
	zt_wr32(base, R_ELEM_SIZE, 0);
	for (int i = 0; i < 4; i++)
		assert_ok(zeroipc_ring_try_write(w, &v));
	assert_status(zeroipc_ring_try_write(w, &v), ZEROIPC_EFULL);
	assert_ok(zeroipc_ring_read_n(&k, buf, r, 8, 0));
	assert_int_equal(k, 4);

	/* write_pos far ahead of the consumer. */
	zt_wr64(base, R_WRITE_POS, 32 + 4096);
	assert_fails_with(zeroipc_ring_try_read(&v, r), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_ring_read(&v, r, SHORT_NS),
			  ZEROIPC_ECORRUPT);
	/* write_pos behind the consumer. */
	zt_wr64(base, R_WRITE_POS, 8);
	assert_fails_with(zeroipc_ring_read_n(&k, buf, r, 8, 0),
			  ZEROIPC_ECORRUPT);
	zt_wr64(base, R_WRITE_POS, 32);

	/* read_pos far from the producer: refill so it must reread. */
	for (int i = 0; i < 4; i++)
		assert_ok(zeroipc_ring_try_write(w, &v));
	zt_wr64(base, R_READ_POS, 64 + 4096);
	assert_fails_with(zeroipc_ring_try_write(w, &v), ZEROIPC_ECORRUPT);
	assert_fails_with(zeroipc_ring_write(w, &v, SHORT_NS),
			  ZEROIPC_ECORRUPT);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/* A ring another implementation made: no companion entry. */
static void test_ring_open_adds_missing_companion(void **state)
{
	zeroipc_memory *mem;
	zeroipc_ring *w = NULL, *r = NULL;
	zeroipc_table_entry e;
	uint64_t off, v = 42;
	unsigned char *base;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-foreign", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(&off, mem, "f", 24 + 6 * 8));
	base = (unsigned char *)zeroipc_memory_base(mem) + off;
	zt_wr32(base, R_CAPACITY, 48);
	zt_wr32(base, R_ELEM_SIZE, 8);
	/* Positions another writer left, past several wraps. */
	zt_wr64(base, R_WRITE_POS, 8 * 100);
	zt_wr64(base, R_READ_POS, 8 * 97);
	assert_ok(zeroipc_ring_validate(mem, "f"));
	assert_status(zeroipc_table_find(&e, mem, "f.wait"),
		      ZEROIPC_ENOT_FOUND);
	assert_ok(zeroipc_ring_open(&w, mem, "f", 8, P, NULL));
	assert_ok(zeroipc_table_find(&e, mem, "f.wait"));
	assert_int_equal(e.size, 128);
	assert_ok(zeroipc_ring_open(&r, mem, "f", 8, C, NULL));
	assert_int_equal(zeroipc_ring_size(r), 3);
	/* Element 100 goes to byte (800 % 48) = 32 of the buffer. */
	assert_ok(zeroipc_ring_try_write(w, &v));
	assert_memory_equal(base + R_BUFFER + 32, &v, 8);
	for (int i = 0; i < 3; i++)
		assert_ok(zeroipc_ring_try_read(&v, r));
	assert_ok(zeroipc_ring_try_read(&v, r));
	assert_int_equal(v, 42);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zt_destroy(mem, name);
}

/* ---- two threads, one ring (what TSan checks the ordering on) ---- */

struct thread_run {
	zeroipc_ring *ring;
	uint64_t count;
	uint64_t errors;
};

static void *thread_producer(void *p)
{
	struct thread_run *t = p;
	uint64_t seq = 0, rng = 77, buf[9], k;
	void *region;

	while (seq < t->count) {
		uint64_t n = 1 + zt_rand(&rng) % 9;

		if (n > t->count - seq)
			n = t->count - seq;
		switch (zt_rand(&rng) % 3) {
		case 0:
			if (zeroipc_ring_write(t->ring, &seq, LONG_NS) != 0)
				return (void *)1;
			seq++;
			break;
		case 1:
			for (uint64_t i = 0; i < n; i++)
				buf[i] = seq + i;
			if (zeroipc_ring_write_n(&k, t->ring, buf, n,
						 LONG_NS) != 0)
				return (void *)1;
			seq += k;
			break;
		default:
			if (zeroipc_ring_reserve(&region, &k, t->ring, n,
						 LONG_NS) != 0)
				return (void *)1;
			for (uint64_t i = 0; i < k; i++)
				((uint64_t *)region)[i] = seq + i;
			if (zeroipc_ring_commit(t->ring, k) != 0)
				return (void *)1;
			seq += k;
			break;
		}
	}
	return NULL;
}

static void *thread_consumer(void *p)
{
	struct thread_run *t = p;
	uint64_t next = 0, rng = 99, buf[11], k, v;
	const void *region;

	while (next < t->count) {
		switch (zt_rand(&rng) % 3) {
		case 0:
			if (zeroipc_ring_read(&v, t->ring, LONG_NS) != 0)
				return (void *)1;
			t->errors += v != next++;
			break;
		case 1:
			if (zeroipc_ring_read_n(&k, buf, t->ring, 11,
						LONG_NS) != 0)
				return (void *)1;
			for (uint64_t i = 0; i < k; i++)
				t->errors += buf[i] != next++;
			break;
		default:
			if (zeroipc_ring_peek(&region, &k, t->ring, 11,
					      LONG_NS) != 0)
				return (void *)1;
			for (uint64_t i = 0; i < k; i++)
				t->errors += ((const uint64_t *)region)[i] !=
					     next + i;
			if (zeroipc_ring_release(t->ring, k) != 0)
				return (void *)1;
			next += k;
			break;
		}
	}
	return NULL;
}

static void test_ring_threads_stream_in_order(void **state)
{
	zeroipc_memory *mem;
	struct thread_run w = { NULL, 100000, 0 }, r = { NULL, 100000, 0 };
	pthread_t tw, tr;
	void *rw, *rr;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "ring-threads", SEG_SIZE, 0);
	/* 13 elements of 8 bytes: positions % 104 is not a mask. */
	assert_ok(zeroipc_ring_create(&w.ring, mem, "t", 8, 13, P, NULL));
	assert_ok(zeroipc_ring_open(&r.ring, mem, "t", 8, C, NULL));
	assert_int_equal(pthread_create(&tw, NULL, thread_producer, &w), 0);
	assert_int_equal(pthread_create(&tr, NULL, thread_consumer, &r), 0);
	assert_int_equal(pthread_join(tw, &rw), 0);
	assert_int_equal(pthread_join(tr, &rr), 0);
	assert_null(rw);
	assert_null(rr);
	assert_int_equal(r.errors, 0);
	assert_int_equal(zeroipc_ring_size(r.ring), 0);
	zeroipc_ring_close(r.ring);
	zeroipc_ring_close(w.ring);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_create_open_and_layout),
		cmocka_unit_test(test_ring_fifo_across_many_wraps),
		cmocka_unit_test(test_ring_full_and_empty),
		cmocka_unit_test(test_ring_consumer_publishes_lazily),
		cmocka_unit_test(test_ring_reserve_commit_contiguous_regions),
		cmocka_unit_test(test_ring_peek_release_contiguous_regions),
		cmocka_unit_test(test_ring_bulk_calls_partial_and_zero),
		cmocka_unit_test(test_ring_odd_element_sizes_count_exactly),
		cmocka_unit_test(test_ring_create_errors),
		cmocka_unit_test(test_ring_open_errors),
		cmocka_unit_test(test_ring_roles_are_enforced),
		cmocka_unit_test(test_ring_null_handles),
		cmocka_unit_test(test_ring_timeouts),
		cmocka_unit_test(
			test_ring_blocking_read_wakes_across_processes),
		cmocka_unit_test(
			test_ring_consumer_publishes_when_producer_waits),
		cmocka_unit_test(test_ring_second_producer_is_detected),
		cmocka_unit_test(test_ring_second_consumer_is_detected),
		cmocka_unit_test(test_ring_hostile_header_at_open),
		cmocka_unit_test(test_ring_hostile_header_after_open),
		cmocka_unit_test(test_ring_open_adds_missing_companion),
		cmocka_unit_test(test_ring_threads_stream_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
