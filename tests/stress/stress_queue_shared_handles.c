/* SPDX-License-Identifier: MIT */
/*
 * stress_queue_shared_handles.c - producer and consumer threads of one
 * process on a small queue whose counters start just below 2^32, where
 * default-mode threads share handles: half the threads of each side use one
 * handle together (so its guess of the counter is moved by several threads
 * and goes stale under them), the others a handle each through a second
 * mapping.  Pushes and pops mix single calls (the fast path, for element
 * sizes it copies inline) and batches longer than the capacity.  Another
 * thread keeps opening and closing handles, so the open-time counter repair
 * runs against the live counters.  Threads, not processes, so a TSan build
 * checks the protocol.
 *
 * Every element carries (producer << 32 | sequence) and, in the bytes after
 * it, a pattern derived from it.  At the end: every item popped exactly
 * once and intact, each consumer thread saw each producer thread's items in
 * increasing order, the queue empty and valid at rest, tail wrapped to the
 * expected count.
 *
 * Modes: "default" (every handle in the default mode), "sp" (one producer
 * thread with a single-producer handle, consumers as in default), "sc"
 * (producers as in default, one consumer thread with a single-consumer
 * handle).
 *
 * usage: stress_queue_shared_handles [mode] [producers] [consumers]
 *        [items per producer] [capacity] [element size >= 8]
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zeroipc.h>

#include "zt_queue_seed.h"
#include "zt_test.h"

#define SEED_POS 0xFFFFFF00u
#define WAIT_NS 20000000LL
#define RUN_LIMIT_NS 60000000000LL
#define MAX_THREADS 16
#define MAX_ELEM 64
#define MAX_BATCH 64

enum mode { MODE_DEFAULT, MODE_SP, MODE_SC };

struct run {
	enum mode mode;
	unsigned producers, consumers, items, capacity, es;
	zeroipc_memory *mem, *mem2;
	zeroipc_queue *shared; /* the handle threads share */
	unsigned *seen;        /* [producer * items + seq] */
	unsigned popped;       /* all consumers */
	unsigned failures;
	unsigned opens;        /* handles the opener thread opened */
	unsigned producers_done;
	int done;
};

struct worker {
	struct run *run;
	unsigned id;
	zeroipc_queue *q;
	int own; /* q is this thread's own handle: close it */
};

static void failed(struct run *r, const char *who, unsigned id,
		   const char *what, int rc)
{
	fprintf(stderr, "%s %u: %s: %s (%s)\n", who, id, what,
		zeroipc_status_name(rc), zeroipc_last_error());
	__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
}

/* Element bytes for tag `t`: the tag, then a pattern of it. */
static void make_elem(unsigned char *out, unsigned es, uint64_t t)
{
	memcpy(out, &t, 8);
	for (unsigned b = 8; b < es; b++)
		out[b] = (unsigned char)(t * 31u + b);
}

static int elem_intact(const unsigned char *e, unsigned es, uint64_t *t)
{
	memcpy(t, e, 8);
	for (unsigned b = 8; b < es; b++)
		if (e[b] != (unsigned char)(*t * 31u + b))
			return 0;
	return 1;
}

static void *producer(void *p)
{
	struct worker *w = p;
	struct run *r = w->run;
	uint64_t rng = 0x853C49E6748FEA9BULL * (w->id + 1);
	unsigned char buf[MAX_BATCH * MAX_ELEM];
	int64_t limit = zt_now_ns() + RUN_LIMIT_NS;
	unsigned i = 0;

	while (i < r->items) {
		size_t want = 1, n = 0;
		int rc;

		if (zt_now_ns() > limit) {
			failed(r, "producer", w->id, "ran out of time", 0);
			break;
		}
		if (zt_rand(&rng) & 1) {
			/* Up to twice the capacity: the call takes at most
			 * the capacity, and what is ready of it. */
			want = 1 + zt_rand(&rng) % (2 * r->capacity);
			if (want > MAX_BATCH)
				want = MAX_BATCH;
			if (want > r->items - i)
				want = r->items - i;
		}
		for (size_t k = 0; k < want; k++)
			make_elem(buf + k * r->es, r->es,
				  ((uint64_t)w->id << 32) | (i + k));
		if (want == 1 && (zt_rand(&rng) & 1)) {
			rc = zt_rand(&rng) & 1
				     ? zeroipc_queue_try_push(w->q, buf)
				     : zeroipc_queue_push(w->q, buf, WAIT_NS);
			n = rc == 0;
		} else {
			rc = zeroipc_queue_push_n(&n, w->q, buf, want,
						  WAIT_NS);
		}
		if (rc == ZEROIPC_ETIMEOUT || rc == ZEROIPC_EFULL)
			continue;
		if (rc != 0) {
			failed(r, "producer", w->id, "push", rc);
			break;
		}
		if (n == 0 || n > want) {
			failed(r, "producer", w->id, "push count", 0);
			break;
		}
		i += (unsigned)n;
	}
	/* Release: our pushes are published before this. */
	__atomic_fetch_add(&r->producers_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *consumer(void *p)
{
	struct worker *w = p;
	struct run *r = w->run;
	uint64_t rng = 0xDA3E39CB94B95BDBULL * (w->id + 1);
	unsigned char buf[MAX_BATCH * MAX_ELEM];
	unsigned total = r->producers * r->items;
	unsigned last[MAX_THREADS];
	unsigned char have[MAX_THREADS] = { 0 };
	int64_t limit = zt_now_ns() + RUN_LIMIT_NS;

	while (__atomic_load_n(&r->popped, __ATOMIC_RELAXED) < total) {
		size_t n = 0;
		/* Acquire: pairs with the producers' release above. */
		int all_pushed = __atomic_load_n(&r->producers_done,
						 __ATOMIC_ACQUIRE) ==
				 r->producers;
		int rc;

		if (zt_now_ns() > limit) {
			failed(r, "consumer", w->id, "ran out of time", 0);
			break;
		}
		if (zt_rand(&rng) & 1) {
			size_t max = 1 + zt_rand(&rng) % (2 * r->capacity);

			if (max > MAX_BATCH)
				max = MAX_BATCH;
			rc = zeroipc_queue_pop_n(buf, &n, w->q, max, WAIT_NS);
		} else {
			rc = zt_rand(&rng) & 1
				     ? zeroipc_queue_try_pop(buf, w->q)
				     : zeroipc_queue_pop(buf, w->q, WAIT_NS);
			n = rc == 0;
		}
		/* Everything was published before this call, and it
		 * waited in vain: nothing is left to pop (a lost item
		 * shows in the count, without waiting for the limit). */
		if (rc == ZEROIPC_ETIMEOUT && all_pushed)
			break;
		if (rc == ZEROIPC_ETIMEOUT || rc == ZEROIPC_EEMPTY)
			continue;
		if (rc != 0) {
			failed(r, "consumer", w->id, "pop", rc);
			break;
		}
		for (size_t k = 0; k < n; k++) {
			uint64_t t;
			unsigned who, seq;

			if (!elem_intact(buf + k * r->es, r->es, &t)) {
				failed(r, "consumer", w->id, "torn element",
				       0);
				continue;
			}
			who = (unsigned)(t >> 32);
			seq = (uint32_t)t;
			if (who >= r->producers || seq >= r->items) {
				failed(r, "consumer", w->id, "item out of "
				       "range", 0);
				continue;
			}
			if (have[who] && seq <= last[who]) {
				fprintf(stderr, "consumer %u: producer %u's "
					"item %u after %u\n", w->id, who, seq,
					last[who]);
				failed(r, "consumer", w->id,
				       "per-producer FIFO", 0);
			}
			have[who] = 1;
			last[who] = seq;
			__atomic_fetch_add(&r->seen[who * r->items + seq], 1,
					   __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&r->popped, (unsigned)n, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Open and close default-mode handles until the run is over: each open
 * repairs (steps forward) the counters under the workers' feet. */
static void *opener(void *p)
{
	struct run *r = p;

	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		zeroipc_queue *q = NULL;
		int rc = zeroipc_queue_open(&q, r->mem2, "q", r->es, NULL);

		if (rc != 0) {
			failed(r, "opener", 0, "open", rc);
			break;
		}
		zeroipc_queue_close(q);
		__atomic_fetch_add(&r->opens, 1, __ATOMIC_RELAXED);
		/* The workers need the cores more than we do. */
		sched_yield();
	}
	return NULL;
}

static enum mode parse_mode(const char *s)
{
	if (strcmp(s, "default") == 0)
		return MODE_DEFAULT;
	if (strcmp(s, "sp") == 0)
		return MODE_SP;
	if (strcmp(s, "sc") == 0)
		return MODE_SC;
	fprintf(stderr, "unknown mode %s\n", s);
	exit(2);
}

/*
 * The handle of worker `id` of a side: single-mode for the one thread of a
 * single side, else the shared handle for even ids, an own handle on the
 * second mapping for odd ones.
 */
static void pick_handle(struct worker *w, struct run *r, int single,
			uint32_t flag)
{
	zeroipc_queue_opts o = ZEROIPC_QUEUE_OPTS_INIT;

	w->own = single || (w->id & 1);
	if (!w->own) {
		w->q = r->shared;
		return;
	}
	o.flags = single ? flag : 0;
	ZT_CHECK(zeroipc_queue_open(&w->q, single ? r->mem : r->mem2, "q",
				    r->es, &o) == 0,
		 "open: %s", zeroipc_last_error());
}

int main(int argc, char **argv)
{
	struct run r;
	struct worker w[2 * MAX_THREADS];
	pthread_t th[2 * MAX_THREADS], op;
	zeroipc_queue *q = NULL;
	char seg[128];
	unsigned i, workers, lost = 0, dup = 0;
	uint32_t tail;
	zeroipc_table_entry e;
	int64_t t0;

	memset(&r, 0, sizeof(r));
	r.mode = argc > 1 ? parse_mode(argv[1]) : MODE_DEFAULT;
	r.producers = (unsigned)zt_arg(argc, argv, 2, 4);
	r.consumers = (unsigned)zt_arg(argc, argv, 3, 3);
	r.items = (unsigned)zt_arg(argc, argv, 4, 50000);
	r.capacity = (unsigned)zt_arg(argc, argv, 5, 4);
	r.es = (unsigned)zt_arg(argc, argv, 6, 8);
	if (r.mode == MODE_SP)
		r.producers = 1;
	if (r.mode == MODE_SC)
		r.consumers = 1;
	ZT_CHECK(r.producers >= 1 && r.producers <= MAX_THREADS &&
			 r.consumers >= 1 && r.consumers <= MAX_THREADS &&
			 r.es >= 8 && r.es <= MAX_ELEM && r.items > 0,
		 "bad arguments");
	if (zt_failures != 0)
		return 2;
	r.seen = calloc((size_t)r.producers * r.items, sizeof(unsigned));
	ZT_CHECK(r.seen != NULL, "calloc");

	zt_name(seg, sizeof(seg), "q-shared");
	if (zeroipc_memory_create(&r.mem, seg, 4u << 20, NULL) != 0 ||
	    zeroipc_queue_create(&q, r.mem, "q", r.es, r.capacity, NULL) !=
		    0 ||
	    zeroipc_memory_open(&r.mem2, seg, 0) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		return 1;
	}
	r.capacity = (unsigned)zeroipc_queue_capacity(q);
	zeroipc_queue_close(q);
	zt_queue_seed(r.mem, "q", r.capacity, r.es, SEED_POS);
	ZT_CHECK(zeroipc_queue_validate(r.mem, "q") == 0, "seeded: %s",
		 zeroipc_last_error());
	ZT_CHECK(zeroipc_queue_open(&r.shared, r.mem, "q", r.es, NULL) == 0,
		 "open: %s", zeroipc_last_error());
	if (zt_failures != 0)
		return 1;

	workers = r.producers + r.consumers;
	for (i = 0; i < workers; i++) {
		int producing = i < r.producers;

		w[i].run = &r;
		w[i].id = producing ? i : i - r.producers;
		pick_handle(&w[i], &r,
			    producing ? r.mode == MODE_SP : r.mode == MODE_SC,
			    producing ? ZEROIPC_QUEUE_SINGLE_PRODUCER
				      : ZEROIPC_QUEUE_SINGLE_CONSUMER);
	}
	if (zt_failures != 0)
		return 1;
	t0 = zt_now_ns();
	ZT_CHECK(pthread_create(&op, NULL, opener, &r) == 0, "thread");
	for (i = 0; i < workers; i++)
		ZT_CHECK(pthread_create(&th[i], NULL,
					i < r.producers ? producer : consumer,
					&w[i]) == 0,
			 "thread");
	for (i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&r.done, 1, __ATOMIC_RELEASE);
	pthread_join(op, NULL);
	for (i = 0; i < workers; i++)
		if (w[i].own)
			zeroipc_queue_close(w[i].q);
	zeroipc_queue_close(r.shared);

	ZT_CHECK(r.failures == 0, "%u worker failures", r.failures);
	for (i = 0; i < r.producers * r.items; i++) {
		if (r.seen[i] == 0)
			lost++;
		else if (r.seen[i] > 1)
			dup++;
	}
	ZT_CHECK(lost == 0, "%u items lost", lost);
	ZT_CHECK(dup == 0, "%u items popped more than once", dup);
	ZT_CHECK(zeroipc_queue_validate(r.mem, "q") == 0, "validate: %s",
		 zeroipc_last_error());
	ZT_CHECK(zeroipc_table_find(&e, r.mem, "q") == 0, "find");
	memcpy(&tail, (unsigned char *)zeroipc_memory_base(r.mem) + e.offset +
			      4, 4);
	ZT_CHECK(tail == SEED_POS + r.producers * r.items,
		 "tail %u, expected %u", tail,
		 SEED_POS + r.producers * r.items);
	ZT_CHECK(tail < SEED_POS, "tail %u did not wrap", tail);
	ZT_CHECK(r.opens > 0, "the opener never opened a handle");
	printf("%s: %u producers x %u items, %u consumers, capacity %u, "
	       "%u-byte elements, %u opens: %.2f s\n",
	       argc > 1 ? argv[1] : "default", r.producers, r.items,
	       r.consumers, r.capacity, r.es, r.opens,
	       (zt_now_ns() - t0) / 1e9);
	zeroipc_memory_close(r.mem2);
	zeroipc_memory_close(r.mem);
	zeroipc_memory_unlink(seg);
	free(r.seen);
	return zt_failures == 0 ? 0 : 1;
}
