/* SPDX-License-Identifier: MIT */
/*
 * stress_map_threads.c - threads of one process share one map handle and
 * insert, erase, update and read overlapping keys at the same time.
 *
 * Usage: stress_map_threads [threads] [iterations]
 *
 * The multi-process tests cannot show ThreadSanitizer anything (it sees
 * one process at a time); this one runs the same protocol between threads,
 * so a TSan build checks that every shared access of the hash table is
 * atomic and ordered.  Checks: every successful insert and erase of a key
 * is tallied, and once all threads stop each key is present exactly when
 * its tally is 1; values read are never torn (they name their key and carry
 * a checksum); hot keys, always present, are rewritten and read throughout;
 * size and validate agree at the end.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define MAX_THREADS 16
#define COUNTED 96
#define HOT 4
#define NKEYS (COUNTED + HOT)

struct value {
	uint64_t key;
	uint64_t seq;
	uint64_t fill[3];
	uint64_t check;
};

struct worker {
	zeroipc_map *map;
	pthread_barrier_t *start;
	unsigned me;
	unsigned long iterations;
	uint64_t bad;
};

static int64_t tally[COUNTED];

static uint64_t checksum(const struct value *v)
{
	uint64_t c = v->key * 0x9E3779B97F4A7C15ull ^ v->seq;

	for (int i = 0; i < 3; i++)
		c = (c ^ v->fill[i]) * 0xff51afd7ed558ccdull;
	return c;
}

static void make_value(struct value *v, uint64_t key, uint64_t seq)
{
	v->key = key;
	v->seq = seq;
	for (int i = 0; i < 3; i++)
		v->fill[i] = seq + (uint64_t)i * key;
	v->check = checksum(v);
}

static bool value_ok(const struct value *v, uint64_t key)
{
	return v->key == key && v->check == checksum(v);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t rng = 0xABCDEFull * (w->me + 1) | 1, k, r;
	struct value v, got;
	int rc;

	pthread_barrier_wait(w->start);
	for (unsigned long it = 0; it < w->iterations; it++) {
		r = zt_rand(&rng);
		k = (r >> 8) % NKEYS;
		make_value(&v, k, it * MAX_THREADS + w->me);
		if (k >= COUNTED) {
			rc = (r & 1) ? zeroipc_map_insert_or_update(w->map, &k,
								    &v)
				     : zeroipc_map_find(&got, w->map, &k);
			if (rc != 0 || (!(r & 1) && !value_ok(&got, k)))
				w->bad++;
			continue;
		}
		switch (r & 3) {
		case 0:
		case 1:
			rc = zeroipc_map_insert(w->map, &k, &v);
			if (rc == 0)
				__atomic_fetch_add(&tally[k], 1,
						   __ATOMIC_RELAXED);
			else if (rc != ZEROIPC_EEXISTS)
				w->bad++;
			break;
		case 2:
			rc = zeroipc_map_erase(w->map, &k);
			if (rc == 0)
				__atomic_fetch_sub(&tally[k], 1,
						   __ATOMIC_RELAXED);
			else if (rc != ZEROIPC_ENOT_FOUND)
				w->bad++;
			break;
		default:
			rc = zeroipc_map_find(&got, w->map, &k);
			if ((rc == 0 && !value_ok(&got, k)) ||
			    (rc != 0 && rc != ZEROIPC_ENOT_FOUND))
				w->bad++;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker workers[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	pthread_barrier_t start;
	zeroipc_memory *mem = NULL;
	zeroipc_map *map = NULL;
	unsigned threads = (unsigned)zt_arg(argc, argv, 1, 4);
	unsigned long iterations = zt_arg(argc, argv, 2, 100000);
	uint64_t k, present = 0, cursor = 0;
	struct value v;
	char seg[128];

	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	zt_name(seg, sizeof(seg), "map-threads");
	ZT_CHECK(zeroipc_memory_create(&mem, seg, 1 << 18, NULL) == 0, "%s",
		 zeroipc_last_error());
	ZT_CHECK(zeroipc_map_create(&map, mem, "m", 8, sizeof(v), 256) == 0,
		 "%s", zeroipc_last_error());
	if (zt_failures)
		return 1;
	for (k = COUNTED; k < NKEYS; k++) {
		make_value(&v, k, 0);
		ZT_CHECK(zeroipc_map_insert(map, &k, &v) == 0, "hot key");
	}
	pthread_barrier_init(&start, NULL, threads);
	for (unsigned i = 0; i < threads; i++) {
		workers[i] = (struct worker){ map, &start, i, iterations, 0 };
		pthread_create(&tids[i], NULL, run, &workers[i]);
	}
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(tids[i], NULL);
		ZT_CHECK(workers[i].bad == 0, "thread %u: %" PRIu64
			 " bad results", i, workers[i].bad);
	}
	pthread_barrier_destroy(&start);
	for (k = 0; k < COUNTED; k++) {
		ZT_CHECK(tally[k] == 0 || tally[k] == 1,
			 "key %" PRIu64 ": tally %" PRId64, k, tally[k]);
		ZT_CHECK(zeroipc_map_contains(map, &k) == (tally[k] == 1),
			 "key %" PRIu64 ": tally %" PRId64 " but contains %d",
			 k, tally[k], zeroipc_map_contains(map, &k));
		present += tally[k] == 1;
	}
	while (zeroipc_map_next(&k, &v, map, &cursor) == 0)
		ZT_CHECK(value_ok(&v, k), "key %" PRIu64 ": bad value", k);
	ZT_CHECK(zeroipc_map_size(map) == present + HOT,
		 "size %" PRIu64 ", expected %" PRIu64, zeroipc_map_size(map),
		 present + HOT);
	ZT_CHECK(zeroipc_map_validate(mem, "m") == 0, "validate: %s",
		 zeroipc_last_error());
	zeroipc_map_close(map);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	if (zt_failures == 0)
		printf("stress_map_threads: %u threads x %lu ops, %" PRIu64
		       " counted keys present as tallied\n", threads,
		       iterations, present);
	return zt_failures != 0;
}
