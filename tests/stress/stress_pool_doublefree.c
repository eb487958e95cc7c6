/* SPDX-License-Identifier: MIT */
/*
 * stress_pool_doublefree.c - several processes race to free the same
 * objects; the pool must let exactly one free of each object succeed and
 * report ZEROIPC_ENOT_ALLOCATED to every other.
 *
 * Usage: stress_pool_doublefree [processes] [rounds] [capacity]
 *
 * Each round the parent allocates every object, then releases the children
 * together; each child frees every index, in its own random order.  Per
 * index, the children record in shared memory how many of their frees
 * succeeded: the count must be exactly 1, and every failure must be
 * ENOT_ALLOCATED.  Afterwards in_use is 0, validate passes, and the next
 * round's allocations find every object exactly once (a free that was
 * wrongly let through twice would have listed an object twice).
 */
#include <inttypes.h>

#include <zeroipc.h>

#include "zt_test.h"

#define MAX_PROCS 16

struct shared {
	uint32_t ok[1024];    /* successful frees per index */
	uint32_t other_error; /* failures other than ENOT_ALLOCATED */
};

struct child_arg {
	const char *seg;
	struct shared *sh;
	struct zt_gate *gate;
	unsigned capacity, id, round;
};

static int racer(void *varg)
{
	struct child_arg *a = varg;
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	uint32_t order[1024];
	uint64_t rng = ((uint64_t)a->round << 20) + a->id + 1;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_pool_open(&pool, mem, "objs", 8) != 0)
		return 2;
	for (unsigned i = 0; i < a->capacity; i++)
		order[i] = i;
	for (unsigned i = a->capacity - 1; i > 0; i--) {
		unsigned j = (unsigned)(zt_rand(&rng) % (i + 1));
		uint32_t t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	if (zt_gate_wait(a->gate) != 0)
		return 3;
	for (unsigned i = 0; i < a->capacity; i++) {
		int rc = zeroipc_pool_free(pool, order[i]);

		if (rc == 0)
			__atomic_fetch_add(&a->sh->ok[order[i]], 1,
					   __ATOMIC_SEQ_CST);
		else if (rc != ZEROIPC_ENOT_ALLOCATED)
			__atomic_fetch_add(&a->sh->other_error, 1,
					   __ATOMIC_SEQ_CST);
	}
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned procs = (unsigned)zt_arg(argc, argv, 1, 4);
	unsigned rounds = (unsigned)zt_arg(argc, argv, 2, 40);
	unsigned capacity = (unsigned)zt_arg(argc, argv, 3, 256);
	struct child_arg args[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	struct shared *sh;
	char seg[128];
	int failed = 0;

	if (procs < 2 || procs > MAX_PROCS || capacity > 1024) {
		fprintf(stderr, "2..%d processes, capacity <= 1024\n",
			MAX_PROCS);
		return 1;
	}
	zt_name(seg, sizeof(seg), "pool-dfree");
	sh = zt_shared_alloc(sizeof(*sh));
	if (zeroipc_memory_create(&mem, seg, 1 << 20, NULL) != 0 ||
	    zeroipc_pool_create(&pool, mem, "objs", 8, capacity) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		return 1;
	}
	for (unsigned r = 0; r < rounds && !failed; r++) {
		struct zt_gate gate;
		unsigned char seen[1024] = { 0 };

		/* Every object once: a double free that slipped through in the
		 * last round would show up here as a repeated index. */
		for (unsigned i = 0; i < capacity; i++) {
			uint64_t idx;
			int rc = zeroipc_pool_try_allocate(&idx, pool);

			if (rc != 0 || idx >= capacity || seen[idx]) {
				fprintf(stderr, "round %u: allocation %u: %s, "
					"index %" PRIu64 "\n", r, i,
					zeroipc_status_name(rc), idx);
				return 1;
			}
			seen[idx] = 1;
		}
		memset(sh, 0, sizeof(*sh));
		if (zt_gate_init(&gate) != 0)
			return 1;
		for (unsigned p = 0; p < procs; p++) {
			args[p] = (struct child_arg){ seg, sh, &gate, capacity,
						      p, r };
			pids[p] = zt_fork(racer, &args[p]);
		}
		if (zt_gate_release(&gate, procs) != 0)
			failed = 1;
		for (unsigned p = 0; p < procs; p++) {
			int rc = zt_wait(pids[p]);

			if (rc != 0) {
				fprintf(stderr, "round %u: child %u exited "
					"with %d\n", r, p, rc);
				failed = 1;
			}
		}
		for (unsigned i = 0; i < capacity; i++) {
			if (sh->ok[i] != 1) {
				fprintf(stderr, "round %u: object %u freed %u "
					"times\n", r, i, sh->ok[i]);
				failed = 1;
			}
		}
		if (sh->other_error != 0) {
			fprintf(stderr, "round %u: %u frees failed with a code "
				"other than ENOT_ALLOCATED\n", r,
				sh->other_error);
			failed = 1;
		}
		if (zeroipc_pool_in_use(pool) != 0 ||
		    zeroipc_pool_validate(mem, "objs") != 0) {
			fprintf(stderr, "round %u: in_use %" PRIu64 ", %s\n", r,
				zeroipc_pool_in_use(pool),
				zeroipc_last_error());
			failed = 1;
		}
	}
	if (!failed)
		printf("%u rounds: %u processes raced on %u objects; each "
		       "freed exactly once\n", rounds, procs, capacity);
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	return failed;
}
