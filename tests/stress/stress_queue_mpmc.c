/* SPDX-License-Identifier: MIT */
/*
 * stress_queue_mpmc.c - several producer and several consumer processes on
 * one small queue whose counters start just below 2^32, so they wrap during
 * the run.  Every item is tagged (producer << 32 | sequence).  At the end:
 * every item was popped exactly once, each consumer saw each producer's
 * items in increasing sequence (per-producer FIFO), the queue is empty and
 * valid at rest.
 *
 * Modes: "single" (push/pop), "batch" (push_n/pop_n of random lengths),
 * "mixed" (each call picks one), "spsc" (one producer and one consumer
 * process in single-producer/single-consumer mode, mixing singles and
 * batches; producers and consumers arguments are ignored).
 *
 * usage: stress_queue_mpmc [mode] [producers] [consumers] [items per
 *        producer] [capacity]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zeroipc.h>

#include "zt_queue_seed.h"
#include "zt_test.h"

#define MAX_BATCH 32
/* Each wait is short so a worker rechecks "all done"; the whole run is
 * bounded so a lost item fails instead of hanging. */
#define WAIT_NS 20000000LL
#define RUN_LIMIT_NS 100000000000LL
#define SEED_POS 0xFFFFFF00u

enum mode { MODE_SINGLE, MODE_BATCH, MODE_MIXED, MODE_SPSC };

struct shared {
	unsigned popped;   /* items popped so far, all consumers */
	unsigned failures; /* workers that saw something wrong */
	unsigned seen[];   /* [producer * items + seq]: times popped */
};

struct cfg {
	char seg[128];
	enum mode mode;
	unsigned producers, consumers, items, capacity;
	struct shared *sh;
	struct zt_gate gate;
	unsigned id;
};

static void failed(struct cfg *c, const char *what, int rc)
{
	fprintf(stderr, "worker %u: %s: %s (%s)\n", c->id, what,
		zeroipc_status_name(rc), zeroipc_last_error());
	__atomic_fetch_add(&c->sh->failures, 1, __ATOMIC_RELAXED);
}

static int open_queue(zeroipc_memory **mem, zeroipc_queue **q,
		      const struct cfg *c, uint32_t flags)
{
	zeroipc_queue_opts o = ZEROIPC_QUEUE_OPTS_INIT;

	o.flags = c->mode == MODE_SPSC ? flags : 0;
	if (zeroipc_memory_open(mem, c->seg, 0) != 0 ||
	    zeroipc_queue_open(q, *mem, "q", 8, &o) != 0) {
		fprintf(stderr, "open: %s\n", zeroipc_last_error());
		return -1;
	}
	return 0;
}

static int use_batch(const struct cfg *c, uint64_t *rng)
{
	if (c->mode == MODE_BATCH)
		return 1;
	if (c->mode == MODE_SINGLE)
		return 0;
	return zt_rand(rng) & 1;
}

static int producer(void *p)
{
	struct cfg *c = p;
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t rng = 0x853C49E6748FEA9BULL * (c->id + 1), items[MAX_BATCH];
	int64_t limit;
	unsigned i = 0;

	if (open_queue(&mem, &q, c, ZEROIPC_QUEUE_SINGLE_PRODUCER) != 0 ||
	    zt_gate_wait(&c->gate) != 0)
		return 1;
	limit = zt_now_ns() + RUN_LIMIT_NS;
	while (i < c->items) {
		size_t want = 1, n = 0;
		int rc;

		if (zt_now_ns() > limit) {
			failed(c, "producer ran out of time", 0);
			break;
		}
		if (use_batch(c, &rng)) {
			want = 1 + zt_rand(&rng) % MAX_BATCH;
			if (want > c->items - i)
				want = c->items - i;
		}
		for (size_t k = 0; k < want; k++)
			items[k] = ((uint64_t)c->id << 32) | (i + k);
		if (want == 1 && !use_batch(c, &rng)) {
			rc = zeroipc_queue_push(q, items, WAIT_NS);
			n = rc == 0;
		} else {
			rc = zeroipc_queue_push_n(&n, q, items, want, WAIT_NS);
		}
		if (rc == ZEROIPC_ETIMEOUT)
			continue;
		if (rc != 0) {
			failed(c, "push", rc);
			break;
		}
		if (n == 0 || n > want) {
			failed(c, "push_n count", 0);
			break;
		}
		i += (unsigned)n;
	}
	zeroipc_queue_close(q);
	zeroipc_memory_close(mem);
	return 0;
}

static int consumer(void *p)
{
	struct cfg *c = p;
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t rng = 0xDA3E39CB94B95BDBULL * (c->id + 1), items[MAX_BATCH];
	unsigned total = c->producers * c->items;
	unsigned *last = calloc(c->producers, sizeof(unsigned));
	unsigned char *have = calloc(c->producers, 1);
	int64_t limit;

	if (last == NULL || have == NULL ||
	    open_queue(&mem, &q, c, ZEROIPC_QUEUE_SINGLE_CONSUMER) != 0 ||
	    zt_gate_wait(&c->gate) != 0)
		return 1;
	limit = zt_now_ns() + RUN_LIMIT_NS;
	while (__atomic_load_n(&c->sh->popped, __ATOMIC_RELAXED) < total) {
		size_t n = 0;
		int rc;

		if (zt_now_ns() > limit) {
			failed(c, "consumer ran out of time", 0);
			break;
		}
		if (use_batch(c, &rng)) {
			rc = zeroipc_queue_pop_n(items, &n, q,
						 1 + zt_rand(&rng) % MAX_BATCH,
						 WAIT_NS);
		} else {
			rc = zeroipc_queue_pop(items, q, WAIT_NS);
			n = rc == 0;
		}
		if (rc == ZEROIPC_ETIMEOUT)
			continue;
		if (rc != 0) {
			failed(c, "pop", rc);
			break;
		}
		for (size_t k = 0; k < n; k++) {
			unsigned who = (unsigned)(items[k] >> 32);
			unsigned seq = (uint32_t)items[k];

			if (who >= c->producers || seq >= c->items) {
				failed(c, "item out of range", 0);
				continue;
			}
			if (have[who] && seq <= last[who]) {
				fprintf(stderr, "consumer %u: producer %u's "
					"item %u after %u\n", c->id, who, seq,
					last[who]);
				failed(c, "per-producer FIFO", 0);
			}
			have[who] = 1;
			last[who] = seq;
			__atomic_fetch_add(&c->sh->seen[who * c->items + seq],
					   1, __ATOMIC_RELAXED);
		}
		__atomic_fetch_add(&c->sh->popped, (unsigned)n,
				   __ATOMIC_RELAXED);
	}
	zeroipc_queue_close(q);
	zeroipc_memory_close(mem);
	free(last);
	free(have);
	return 0;
}

static enum mode parse_mode(const char *s)
{
	if (strcmp(s, "single") == 0)
		return MODE_SINGLE;
	if (strcmp(s, "batch") == 0)
		return MODE_BATCH;
	if (strcmp(s, "mixed") == 0)
		return MODE_MIXED;
	if (strcmp(s, "spsc") == 0)
		return MODE_SPSC;
	fprintf(stderr, "unknown mode %s\n", s);
	exit(2);
}

int main(int argc, char **argv)
{
	struct cfg c;
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	size_t shared_len;
	pid_t *pids;
	unsigned workers, i, lost = 0, dup = 0;
	int64_t t0;

	memset(&c, 0, sizeof(c));
	c.mode = argc > 1 ? parse_mode(argv[1]) : MODE_SINGLE;
	c.producers = (unsigned)zt_arg(argc, argv, 2, 3);
	c.consumers = (unsigned)zt_arg(argc, argv, 3, 3);
	c.items = (unsigned)zt_arg(argc, argv, 4, 20000);
	c.capacity = (unsigned)zt_arg(argc, argv, 5, 64);
	if (c.mode == MODE_SPSC)
		c.producers = c.consumers = 1;
	workers = c.producers + c.consumers;
	shared_len = sizeof(struct shared) +
		     sizeof(unsigned) * c.producers * c.items;
	c.sh = zt_shared_alloc(shared_len);
	pids = calloc(workers, sizeof(*pids));

	zt_name(c.seg, sizeof(c.seg), "q-mpmc");
	if (zeroipc_memory_create(&mem, c.seg, 4u << 20, NULL) != 0 ||
	    zeroipc_queue_create(&q, mem, "q", 8, c.capacity, NULL) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		return 1;
	}
	c.capacity = (unsigned)zeroipc_queue_capacity(q);
	zt_queue_seed(mem, "q", c.capacity, 8, SEED_POS);
	if (zeroipc_queue_validate(mem, "q") != 0) {
		fprintf(stderr, "seeded: %s\n", zeroipc_last_error());
		return 1;
	}
	if (zt_gate_init(&c.gate) != 0)
		return 1;
	for (i = 0; i < workers; i++) {
		c.id = i < c.producers ? i : i - c.producers;
		pids[i] = zt_fork(i < c.producers ? producer : consumer, &c);
	}
	t0 = zt_now_ns();
	ZT_CHECK(zt_gate_release(&c.gate, workers) == 0, "gate");
	for (i = 0; i < workers; i++) {
		int rc = zt_wait(pids[i]);

		ZT_CHECK(rc == 0, "worker %u exited with %d", i, rc);
	}
	ZT_CHECK(c.sh->failures == 0, "%u worker failures", c.sh->failures);
	for (i = 0; i < c.producers * c.items; i++) {
		if (c.sh->seen[i] == 0)
			lost++;
		else if (c.sh->seen[i] > 1)
			dup++;
	}
	ZT_CHECK(lost == 0, "%u items lost", lost);
	ZT_CHECK(dup == 0, "%u items popped more than once", dup);
	ZT_CHECK(zeroipc_queue_size(q) == 0, "size %" PRIu64 " at the end",
		 zeroipc_queue_size(q));
	ZT_CHECK(zeroipc_queue_validate(mem, "q") == 0, "validate: %s",
		 zeroipc_last_error());
	/* The counters really went across 2^32. */
	{
		zeroipc_table_entry e;
		uint32_t tail;

		ZT_CHECK(zeroipc_table_find(&e, mem, "q") == 0, "find");
		memcpy(&tail, (unsigned char *)zeroipc_memory_base(mem) +
				      e.offset + 4, 4);
		ZT_CHECK(tail == SEED_POS + c.producers * c.items,
			 "tail %u, expected %u", tail,
			 SEED_POS + c.producers * c.items);
		ZT_CHECK(tail < SEED_POS, "tail %u did not wrap", tail);
	}
	printf("%s: %u producers x %u items, %u consumers, capacity %u: "
	       "%.2f s\n", argc > 1 ? argv[1] : "single", c.producers,
	       c.items, c.consumers, c.capacity, (zt_now_ns() - t0) / 1e9);
	zeroipc_queue_close(q);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(c.seg);
	zt_shared_free(c.sh, shared_len);
	free(pids);
	return zt_failures == 0 ? 0 : 1;
}
