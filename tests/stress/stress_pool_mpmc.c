/* SPDX-License-Identifier: MIT */
/*
 * stress_pool_mpmc.c - several processes (each with several threads)
 * allocate and free objects of one pool at the same time.
 *
 * Usage: stress_pool_mpmc [processes] [threads] [iterations] [capacity]
 *
 * Every worker holds up to HOLD_MAX objects.  On each allocate it swaps its
 * own tag into the object's owner word and checks the word was 0: had the
 * pool handed the same object to two workers at once, one of them would
 * find the other's tag.  Before freeing it checks the tag and the sequence
 * number it wrote are still there, then clears the owner.  The pool is
 * smaller than what all workers together want to hold, so allocations fail
 * with EFULL and block in zeroipc_pool_allocate() regularly.  At the end
 * in_use must be 0, validate must pass, and every object must be
 * allocatable again exactly once.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define HOLD_MAX 8
#define MAX_PROCS 16
#define MAX_THREADS 8
/* Bound on a blocking allocate: other workers free within microseconds,
 * so reaching this means a lost wake-up or a leak, i.e. a failure. */
#define BLOCK_TIMEOUT_NS (20LL * 1000000000LL)

struct object {
	uint64_t owner; /* tag of the worker holding it, 0 when free */
	uint64_t seq;   /* holder's sequence number, checked before free */
};

struct stats {
	uint64_t allocs;
	uint64_t full;
	uint64_t blocked;
};

struct config {
	const char *seg;
	unsigned procs, threads, capacity;
	unsigned long iterations;
	struct zt_gate gate;
	struct stats *stats; /* shared, procs * threads */
};

struct worker {
	const struct config *cfg;
	zeroipc_pool *pool;
	unsigned proc, thread;
	int failed;
};

#define FAIL(w, ...)                                                           \
	do {                                                                   \
		fprintf(stderr, "worker %u.%u: ", (w)->proc, (w)->thread);    \
		fprintf(stderr, __VA_ARGS__);                                  \
		fprintf(stderr, " (%s)\n", zeroipc_last_error());             \
		(w)->failed = 1;                                               \
		return NULL;                                                   \
	} while (0)

static void *work(void *varg)
{
	struct worker *w = varg;
	const struct config *cfg = w->cfg;
	struct stats *st = &cfg->stats[w->proc * cfg->threads + w->thread];
	uint64_t tag = ((uint64_t)(w->proc + 1) << 32) | (w->thread + 1);
	uint64_t held[HOLD_MAX];
	uint64_t rng = tag * 0x9E3779B97F4A7C15ull;
	uint64_t seq = 0;
	unsigned n = 0;

	for (unsigned long it = 0; it < cfg->iterations || n > 0; it++) {
		bool want_alloc = it < cfg->iterations && n < HOLD_MAX &&
				  (n == 0 || zt_rand(&rng) % 2 == 0);

		if (want_alloc) {
			struct object *obj;
			uint64_t idx, prev;
			void *p;
			int rc = zeroipc_pool_try_allocate(&idx, w->pool);

			if (rc == ZEROIPC_EFULL) {
				st->full++;
				if (n > 0)
					goto do_free;
				/* Holding nothing: block for a free. */
				st->blocked++;
				rc = zeroipc_pool_allocate(&idx, w->pool,
							   BLOCK_TIMEOUT_NS);
			}
			if (rc != 0)
				FAIL(w, "allocate: %s",
				     zeroipc_status_name(rc));
			if (idx >= cfg->capacity)
				FAIL(w, "index %" PRIu64 " out of range", idx);
			rc = zeroipc_pool_ptr(&p, w->pool, idx);
			if (rc != 0)
				FAIL(w, "ptr(%" PRIu64 "): %s", idx,
				     zeroipc_status_name(rc));
			obj = p;
			prev = __atomic_exchange_n(&obj->owner, tag,
						   __ATOMIC_SEQ_CST);
			if (prev != 0)
				FAIL(w, "object %" PRIu64 " handed out while "
				     "worker %" PRIx64 " holds it", idx, prev);
			__atomic_store_n(&obj->seq, ++seq, __ATOMIC_RELAXED);
			held[n++] = idx;
			st->allocs++;
			continue;
		}
do_free:
		{
			unsigned k = (unsigned)(zt_rand(&rng) % n);
			uint64_t idx = held[k];
			struct object *obj;
			void *p;
			int rc = zeroipc_pool_ptr(&p, w->pool, idx);

			if (rc != 0)
				FAIL(w, "ptr(%" PRIu64 ") of a held object: %s",
				     idx, zeroipc_status_name(rc));
			obj = p;
			if (__atomic_load_n(&obj->owner, __ATOMIC_SEQ_CST) !=
			    tag)
				FAIL(w, "object %" PRIu64 " taken over by "
				     "%" PRIx64, idx, obj->owner);
			(void)__atomic_load_n(&obj->seq, __ATOMIC_RELAXED);
			__atomic_store_n(&obj->owner, 0, __ATOMIC_SEQ_CST);
			rc = zeroipc_pool_free(w->pool, idx);
			if (rc != 0)
				FAIL(w, "free(%" PRIu64 "): %s", idx,
				     zeroipc_status_name(rc));
			held[k] = held[--n];
		}
	}
	return NULL;
}

struct proc_arg {
	struct config *cfg;
	unsigned proc;
};

static int run_process(void *varg)
{
	struct config *cfg = ((struct proc_arg *)varg)->cfg;
	unsigned proc = ((struct proc_arg *)varg)->proc;
	struct worker workers[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	int failed = 0;

	/* Each process maps the segment itself, at its own address. */
	if (zeroipc_memory_open(&mem, cfg->seg, 0) != 0 ||
	    zeroipc_pool_open(&pool, mem, "objs", sizeof(struct object)) != 0) {
		fprintf(stderr, "proc %u: open: %s\n", proc,
			zeroipc_last_error());
		return 2;
	}
	if (zt_gate_wait(&cfg->gate) != 0)
		return 3;
	for (unsigned t = 0; t < cfg->threads; t++) {
		workers[t] = (struct worker){ cfg, pool, proc, t, 0 };
		if (pthread_create(&tids[t], NULL, work, &workers[t]) != 0)
			return 4;
	}
	for (unsigned t = 0; t < cfg->threads; t++) {
		pthread_join(tids[t], NULL);
		failed |= workers[t].failed;
	}
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	return failed;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct proc_arg args[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	uint64_t total = 0, full = 0, blocked = 0, idx;
	unsigned char *seen;
	char seg[128];
	int failed = 0, rc;

	cfg.procs = (unsigned)zt_arg(argc, argv, 1, 3);
	cfg.threads = (unsigned)zt_arg(argc, argv, 2, 2);
	cfg.iterations = zt_arg(argc, argv, 3, 200000);
	cfg.capacity = (unsigned)zt_arg(argc, argv, 4, 16);
	if (cfg.procs > MAX_PROCS || cfg.threads > MAX_THREADS) {
		fprintf(stderr, "at most %d processes of %d threads\n",
			MAX_PROCS, MAX_THREADS);
		return 1;
	}
	cfg.seg = zt_name(seg, sizeof(seg), "pool-mpmc");
	cfg.stats = zt_shared_alloc(sizeof(struct stats) * cfg.procs *
				    cfg.threads);
	if (zeroipc_memory_create(&mem, seg, 1 << 20, NULL) != 0 ||
	    zeroipc_pool_create(&pool, mem, "objs", sizeof(struct object),
				cfg.capacity) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		return 1;
	}
	if (zt_gate_init(&cfg.gate) != 0)
		return 1;
	for (unsigned p = 0; p < cfg.procs; p++) {
		args[p] = (struct proc_arg){ &cfg, p };
		pids[p] = zt_fork(run_process, &args[p]);
	}
	if (zt_gate_release(&cfg.gate, cfg.procs) != 0) {
		fprintf(stderr, "a worker died before the start\n");
		failed = 1;
	}
	for (unsigned p = 0; p < cfg.procs; p++) {
		rc = zt_wait(pids[p]);
		if (rc != 0) {
			fprintf(stderr, "process %u exited with %d\n", p, rc);
			failed = 1;
		}
	}
	for (unsigned i = 0; i < cfg.procs * cfg.threads; i++) {
		total += cfg.stats[i].allocs;
		full += cfg.stats[i].full;
		blocked += cfg.stats[i].blocked;
	}
	printf("%u processes x %u threads: %" PRIu64 " allocations, %" PRIu64
	       " found the pool full, %" PRIu64 " blocked\n", cfg.procs,
	       cfg.threads, total, full, blocked);
	if (total == 0) {
		fprintf(stderr, "no allocation happened\n");
		failed = 1;
	}
	if (zeroipc_pool_in_use(pool) != 0) {
		fprintf(stderr, "in_use %" PRIu64 " after all frees\n",
			zeroipc_pool_in_use(pool));
		failed = 1;
	}
	if (zeroipc_pool_validate(mem, "objs") != 0) {
		fprintf(stderr, "validate: %s\n", zeroipc_last_error());
		failed = 1;
	}
	/* Every object exactly once, then full. */
	seen = calloc(cfg.capacity, 1);
	for (unsigned i = 0; i < cfg.capacity; i++) {
		rc = zeroipc_pool_try_allocate(&idx, pool);
		if (rc != 0 || idx >= cfg.capacity || seen[idx]) {
			fprintf(stderr, "final allocation %u: %s, index "
				"%" PRIu64 "\n", i, zeroipc_status_name(rc),
				idx);
			failed = 1;
			break;
		}
		seen[idx] = 1;
	}
	if (zeroipc_pool_try_allocate(&idx, pool) != ZEROIPC_EFULL) {
		fprintf(stderr, "pool not full after %u allocations\n",
			cfg.capacity);
		failed = 1;
	}
	free(seen);
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	return failed;
}
