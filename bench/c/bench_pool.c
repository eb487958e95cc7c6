/* SPDX-License-Identifier: MIT */
/*
 * bench_pool.c - benchmarks of zeroipc_pool (64-byte objects).
 *
 * Cases (workload cases, see bench_common.h; metric alloc_free, in million
 * zeroipc_pool_try_allocate + zeroipc_pool_free pairs per second; no
 * reference transport does this, so bench/run shows no ratio):
 *   pool_pair     one process: allocate one object, free it, repeat
 *                 (1024 objects)
 *   pool_batch32  one process: allocate 32 objects, free the 32, repeat
 *                 (1024 objects)
 *   pool_2proc    two processes (CPU 0 and 1) on one pool of 48 objects,
 *                 each allocating a batch of up to 32 (fewer when the pool
 *                 runs dry: they cannot both have 32), writing its pid into
 *                 every word of each object, checking the words, freeing;
 *                 pairs per second summed
 * Nothing may be handed out twice at once: each process claims every
 * object it gets in an owner table of its own (shared between the two
 * processes, outside the pool) by compare-and-swap from 0, and gives it
 * back before freeing, so an object the pool hands out while someone else
 * holds it is caught there, and in pool_2proc also by the other process's
 * pid in its words.  At the end nothing may be in use, and
 * zeroipc_pool_validate() must pass.
 *
 * usage: bench_pool --list | --case NAME [--quick]
 */
#include <zeroipc.h>

#include "bench_common.h"

#define OBJ_SIZE 64
#define LOCAL_CAP 1024
#define SHARED_CAP 48
#define BATCH 32
#define SEGMENT_BYTES ((uint64_t)1 << 20)

struct pool_bench {
	struct bench_wzstate z; /* first: the driver's share */
	zeroipc_pool *pool;
	uint32_t *owner;        /* per object: who holds it (0: nobody) */
	uint64_t cap;
};

static int pool_setup(struct bench_wrun *b)
{
	struct pool_bench *s;
	int rc;

	if (bench_wzsetup(b, sizeof(*s), "pool", SEGMENT_BYTES) != 0)
		return -1;
	s = b->state;
	s->cap = b->c->procs > 1 ? SHARED_CAP : LOCAL_CAP;
	s->owner = mmap(NULL, s->cap * sizeof(uint32_t),
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			-1, 0);
	if (s->owner == MAP_FAILED) {
		s->owner = NULL;
		perror("pool setup: mmap");
		return -1;
	}
	rc = zeroipc_pool_create(&s->pool, s->z.mem, "p", OBJ_SIZE, s->cap);
	if (rc != 0) {
		fprintf(stderr, "pool setup: %s: %s\n", zeroipc_strerror(rc),
			zeroipc_last_error());
		return -1;
	}
	zeroipc_pool_close(s->pool);
	s->pool = NULL;
	return 0;
}

static int pool_attach(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;
	int rc = zeroipc_pool_open(&s->pool, s->z.mem, "p", OBJ_SIZE);

	if (rc != 0) {
		fprintf(stderr, "pool attach: %s: %s\n", zeroipc_strerror(rc),
			zeroipc_last_error());
		return -1;
	}
	return 0;
}

static void pool_detach(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;

	zeroipc_pool_close(s->pool);
	s->pool = NULL;
}

static void pool_cleanup(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;

	if (s == NULL)
		return;
	if (s->owner != NULL)
		munmap(s->owner, s->cap * sizeof(uint32_t));
	bench_wzcleanup(b);
}

/*
 * Claim object `idx` for `who`; false if it is out of range or someone
 * holds it.  The acquire pairs with the release in give_back(): the last
 * holder's writes to the object happen before ours.
 */
static inline bool claim(struct pool_bench *s, uint64_t idx, uint32_t who)
{
	uint32_t free_ = 0;

	if (idx >= s->cap)
		return false;
	return __atomic_compare_exchange_n(&s->owner[idx], &free_, who, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/* Release (pairs with claim()'s acquire), then free. */
static inline void give_back(struct pool_bench *s, uint64_t idx)
{
	int rc;

	__atomic_store_n(&s->owner[idx], 0, __ATOMIC_RELEASE);
	rc = zeroipc_pool_free(s->pool, idx);
	if (rc != 0)
		bench_zfail("free", rc);
}

/*
 * Allocate up to `want` objects into idx[], claiming each; stops early
 * when the pool is full.  Returns how many it got.
 */
static inline unsigned take(struct bench_wrun *b, uint64_t *idx,
			    unsigned want, uint32_t who)
{
	struct pool_bench *s = b->state;
	unsigned got = 0;

	while (got < want) {
		int rc = zeroipc_pool_try_allocate(&idx[got], s->pool);

		if (rc == ZEROIPC_EFULL)
			break;
		if (rc != 0)
			bench_zfail("try_allocate", rc);
		if (!claim(s, idx[got], who)) {
			fprintf(stderr, "pool: object %llu handed out while "
				"held\n", (unsigned long long)idx[got]);
			b->bad++;
			continue; /* not ours to free */
		}
		got++;
	}
	return got;
}

static void work_pair(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;
	uint64_t ops = 0, idx;
	double t0 = bench_now(), t;

	do {
		for (int j = 0; j < 1024; j++) {
			if (take(b, &idx, 1, 1) != 1)
				bench_zfail("try_allocate", ZEROIPC_EFULL);
			give_back(s, idx);
		}
		ops += 1024;
		t = bench_now();
	} while (t - t0 < b->seconds);
	b->ops[0] = ops;
	b->secs[0] = t - t0;
}

static void work_batch(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;
	uint64_t ops = 0, idx[BATCH];
	double t0 = bench_now(), t;

	do {
		for (int j = 0; j < 32; j++) {
			if (take(b, idx, BATCH, 1) != BATCH)
				bench_zfail("try_allocate", ZEROIPC_EFULL);
			for (unsigned i = 0; i < BATCH; i++)
				give_back(s, idx[i]);
		}
		ops += 32 * BATCH;
		t = bench_now();
	} while (t - t0 < b->seconds);
	b->ops[0] = ops;
	b->secs[0] = t - t0;
}

static void work_2proc(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;
	uint64_t ops = 0, bad = 0, idx[BATCH], pid = (uint64_t)getpid();
	uint32_t who = b->role == BENCH_PARENT ? 1 : 2;
	double t0 = bench_now(), t;

	do {
		for (int j = 0; j < 32; j++) {
			unsigned got = take(b, idx, BATCH, who);
			uint64_t *obj[BATCH];

			for (unsigned i = 0; i < got; i++) {
				void *p;
				int rc = zeroipc_pool_ptr(&p, s->pool, idx[i]);

				if (rc != 0)
					bench_zfail("ptr", rc);
				obj[i] = p;
				/* Relaxed atomics: another process writing
				 * here is the bug we look for, and the
				 * compiler must not fold the check away. */
				for (unsigned w = 0; w < OBJ_SIZE / 8; w++)
					__atomic_store_n(&obj[i][w], pid,
							 __ATOMIC_RELAXED);
			}
			for (unsigned i = 0; i < got; i++) {
				for (unsigned w = 0; w < OBJ_SIZE / 8; w++)
					bad += __atomic_load_n(
						       &obj[i][w],
						       __ATOMIC_RELAXED) != pid;
				give_back(s, idx[i]);
			}
			ops += got;
		}
		t = bench_now();
	} while (t - t0 < b->seconds);
	if (bad)
		fprintf(stderr, "pool: %llu words overwritten while held\n",
			(unsigned long long)bad);
	b->ops[0] = ops;
	b->secs[0] = t - t0;
	b->bad += bad;
}

static void pool_check(struct bench_wrun *b)
{
	struct pool_bench *s = b->state;
	int rc;

	if (zeroipc_pool_in_use(s->pool) != 0) {
		fprintf(stderr, "pool: %llu objects still in use\n",
			(unsigned long long)zeroipc_pool_in_use(s->pool));
		b->bad++;
	}
	for (uint64_t i = 0; i < s->cap; i++)
		b->bad += s->owner[i] != 0;
	if ((rc = zeroipc_pool_validate(s->z.mem, "p")) != 0) {
		fprintf(stderr, "pool: validate: %s\n", zeroipc_last_error());
		b->bad++;
	}
}

#define POOL_CASE(name, procs, work)                                           \
	{ name, procs, "Mpairs/s", "none", { "alloc_free" }, pool_setup,      \
	  pool_attach, work, pool_check, pool_detach, pool_cleanup }

static const struct bench_wcase cases[] = {
	POOL_CASE("pool_pair", 1, work_pair),
	POOL_CASE("pool_batch32", 1, work_batch),
	POOL_CASE("pool_2proc", 2, work_2proc),
};

int main(int argc, char **argv)
{
	return bench_work_main(argc, argv, cases,
			       sizeof(cases) / sizeof(cases[0]));
}
