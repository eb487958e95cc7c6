/* SPDX-License-Identifier: MIT */
/*
 * stress_map_churn.c - several processes insert, erase, update and read
 * overlapping keys of one map at the same time; afterwards the contents and
 * the size must be exactly right.
 *
 * Usage: stress_map_churn [processes] [iterations]
 *
 * Keys fall in three classes, all shared by every process:
 *   counted keys: random insert / erase / find.  Each successful insert
 *     adds 1 and each successful erase subtracts 1 from the key's shared
 *     tally; when all processes have stopped, a key must be present exactly
 *     when its tally is 1, and no tally may be outside 0..1 (two inserts of
 *     one key both succeeding, or two erases, would break that).
 *   hot keys: always present; processes rewrite their 64-byte values with
 *     insert_or_update while others read them.
 *   wild keys: insert_or_update / erase / insert / find in any mix.
 * Every value names its key and carries a checksum over all its words, so a
 * read that mixed two writes, or returned another key's value from a
 * reused slot, is caught.
 *
 * Phase 2, after a barrier: each process p settles the keys k with
 * k % processes == p to a state fixed in advance (present with a known
 * value, or absent).  The parent then iterates the map and checks the exact
 * set of keys, every value, the size and validate.
 */
#include <inttypes.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define MAX_PROCS 16
#define COUNTED 192
#define HOT 8
#define WILD 56
#define NKEYS (COUNTED + HOT + WILD)
#define CAPACITY 512
#define FINAL_SEQ UINT64_MAX

struct value {
	uint64_t key;
	uint64_t writer;
	uint64_t seq;
	uint64_t fill[4];
	uint64_t check;
};

struct shared {
	int64_t tally[COUNTED];
	uint64_t ops[MAX_PROCS];
	uint64_t bad[MAX_PROCS];
};

struct config {
	const char *seg;
	unsigned procs;
	unsigned long iterations;
	/* Driven by the parent, which checks the map while everybody
	 * waits at `settle`. */
	struct zt_barrier start, settle;
	struct shared *sh;
};

static uint64_t checksum(const struct value *v)
{
	uint64_t c = 0x9E3779B97F4A7C15ull;

	c ^= v->key * 0xff51afd7ed558ccdull;
	c ^= v->writer * 0xc4ceb9fe1a85ec53ull;
	c ^= v->seq + (c << 6) + (c >> 2);
	for (int i = 0; i < 4; i++)
		c ^= v->fill[i] + 0x9E3779B97F4A7C15ull + (c << 6) + (c >> 2);
	return c;
}

static void make_value(struct value *v, uint64_t key, uint64_t writer,
		       uint64_t seq)
{
	v->key = key;
	v->writer = writer;
	v->seq = seq;
	for (int i = 0; i < 4; i++)
		v->fill[i] = seq * (uint64_t)(i + 3) ^ key;
	v->check = checksum(v);
}

static bool value_ok(const struct value *v, uint64_t key)
{
	return v->key == key && v->check == checksum(v);
}

/* Final state of key k: present unless its number is a multiple of 3. */
static bool final_present(uint64_t k)
{
	return (k * 2654435761u) % 3 != 0;
}

#define BAD(...)                                                               \
	do {                                                                   \
		fprintf(stderr, "proc %u: ", me);                              \
		fprintf(stderr, __VA_ARGS__);                                  \
		fputc('\n', stderr);                                           \
		cfg->sh->bad[me]++;                                            \
	} while (0)

static void churn(const struct config *cfg, zeroipc_map *map, unsigned me)
{
	uint64_t rng = 0x1234567ull * (me + 1) | 1, seq = 0;
	struct value v, got;
	uint64_t k, r;
	int rc;

	for (unsigned long it = 0; it < cfg->iterations; it++) {
		r = zt_rand(&rng);
		k = (r >> 8) % NKEYS;
		seq++;
		if (k < COUNTED) {
			switch (r & 3) {
			case 0:
			case 1:
				make_value(&v, k, me, seq);
				rc = zeroipc_map_insert(map, &k, &v);
				if (rc == 0)
					__atomic_fetch_add(&cfg->sh->tally[k],
							   1,
							   __ATOMIC_RELAXED);
				else if (rc != ZEROIPC_EEXISTS)
					BAD("insert %" PRIu64 ": %s", k,
					    zeroipc_status_name(rc));
				break;
			case 2:
				rc = zeroipc_map_erase(map, &k);
				if (rc == 0)
					__atomic_fetch_sub(&cfg->sh->tally[k],
							   1,
							   __ATOMIC_RELAXED);
				else if (rc != ZEROIPC_ENOT_FOUND)
					BAD("erase %" PRIu64 ": %s", k,
					    zeroipc_status_name(rc));
				break;
			default:
				rc = zeroipc_map_find(&got, map, &k);
				if (rc == 0 && !value_ok(&got, k))
					BAD("torn or foreign value for %" PRIu64
					    " (key field %" PRIu64 ")",
					    k, got.key);
				else if (rc != 0 && rc != ZEROIPC_ENOT_FOUND)
					BAD("find %" PRIu64 ": %s", k,
					    zeroipc_status_name(rc));
			}
		} else if (k < COUNTED + HOT) {
			if (r & 1) {
				make_value(&v, k, me, seq);
				rc = zeroipc_map_insert_or_update(map, &k, &v);
			} else {
				rc = zeroipc_map_find(&got, map, &k);
				if (rc == 0 && !value_ok(&got, k))
					BAD("torn hot value for %" PRIu64, k);
			}
			if (rc != 0)
				BAD("hot key %" PRIu64 ": %s", k,
				    zeroipc_status_name(rc));
		} else {
			make_value(&v, k, me, seq);
			switch (r & 3) {
			case 0:
				rc = zeroipc_map_insert_or_update(map, &k, &v);
				break;
			case 1:
				rc = zeroipc_map_erase(map, &k);
				break;
			case 2:
				rc = zeroipc_map_insert(map, &k, &v);
				break;
			default:
				rc = zeroipc_map_find(&got, map, &k);
				if (rc == 0 && !value_ok(&got, k))
					BAD("torn wild value for %" PRIu64, k);
			}
			if (rc != 0 && rc != ZEROIPC_EEXISTS &&
			    rc != ZEROIPC_ENOT_FOUND)
				BAD("wild key %" PRIu64 ": %s", k,
				    zeroipc_status_name(rc));
		}
	}
	cfg->sh->ops[me] = cfg->iterations;
}

/* Phase 2: settle this process's residue class. */
static void settle(const struct config *cfg, zeroipc_map *map, unsigned me)
{
	struct value v;
	int rc;

	for (uint64_t k = me; k < NKEYS; k += cfg->procs) {
		if (final_present(k)) {
			make_value(&v, k, me, FINAL_SEQ);
			rc = zeroipc_map_insert_or_update(map, &k, &v);
			if (rc != 0)
				BAD("settle %" PRIu64 ": %s", k,
				    zeroipc_status_name(rc));
		} else {
			rc = zeroipc_map_erase(map, &k);
			if (rc != 0 && rc != ZEROIPC_ENOT_FOUND)
				BAD("settle-erase %" PRIu64 ": %s", k,
				    zeroipc_status_name(rc));
		}
	}
}

struct child_arg {
	struct config *cfg;
	unsigned me;
};

static int child(void *varg)
{
	struct child_arg *a = varg;
	struct config *cfg = a->cfg;
	zeroipc_memory *mem = NULL;
	zeroipc_map *map = NULL;
	unsigned me = a->me;

	zt_barrier_child(&cfg->start);
	zt_barrier_child(&cfg->settle);
	if (zeroipc_memory_open(&mem, cfg->seg, 0) != 0 ||
	    zeroipc_map_open(&map, mem, "m", 8, sizeof(struct value)) != 0) {
		fprintf(stderr, "proc %u: open: %s\n", me,
			zeroipc_last_error());
		return 2;
	}
	if (zt_barrier_wait(&cfg->start) != 0)
		return 3;
	churn(cfg, map, me);
	if (zt_barrier_wait(&cfg->settle) != 0)
		return 4;
	settle(cfg, map, me);
	zeroipc_map_close(map);
	zeroipc_memory_close(mem);
	return cfg->sh->bad[me] != 0;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct child_arg args[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	zeroipc_memory *mem = NULL;
	zeroipc_map *map = NULL;
	unsigned char seen[NKEYS] = { 0 };
	struct value v;
	uint64_t k, cursor = 0, present = 0, expect = 0;
	char seg[128];
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.procs = (unsigned)zt_arg(argc, argv, 1, 4);
	cfg.iterations = zt_arg(argc, argv, 2, 100000);
	if (cfg.procs > MAX_PROCS)
		cfg.procs = MAX_PROCS;
	cfg.seg = zt_name(seg, sizeof(seg), "map-churn");
	cfg.sh = zt_shared_alloc(sizeof(*cfg.sh));
	if (zt_barrier_init(&cfg.start) != 0 ||
	    zt_barrier_init(&cfg.settle) != 0) {
		perror("pipe");
		return 1;
	}
	ZT_CHECK(zeroipc_memory_create(&mem, seg, 1 << 20, NULL) == 0, "%s",
		 zeroipc_last_error());
	ZT_CHECK(zeroipc_map_create(&map, mem, "m", 8, sizeof(struct value),
				    CAPACITY) == 0,
		 "%s", zeroipc_last_error());
	if (zt_failures)
		return 1;
	for (k = COUNTED; k < COUNTED + HOT; k++) {
		make_value(&v, k, 99, 0);
		ZT_CHECK(zeroipc_map_insert(map, &k, &v) == 0, "hot %" PRIu64,
			 k);
	}

	for (unsigned i = 0; i < cfg.procs; i++) {
		args[i].cfg = &cfg;
		args[i].me = i;
		pids[i] = zt_fork(child, &args[i]);
	}
	zt_barrier_parent(&cfg.start);
	zt_barrier_parent(&cfg.settle);
	ZT_CHECK(zt_barrier_collect(&cfg.start, cfg.procs) == 0, "start");
	zt_barrier_release(&cfg.start, cfg.procs);

	/* Everybody has stopped churning: the counted keys must agree with
	 * their tallies, exactly. */
	ZT_CHECK(zt_barrier_collect(&cfg.settle, cfg.procs) == 0, "settle");
	for (k = 0; k < COUNTED; k++) {
		int64_t t = cfg.sh->tally[k];

		ZT_CHECK(t == 0 || t == 1,
			 "key %" PRIu64 ": %" PRId64 " more inserts than "
			 "erases succeeded", k, t);
		ZT_CHECK(zeroipc_map_contains(map, &k) == (t == 1),
			 "key %" PRIu64 ": tally %" PRId64 ", contains %d", k,
			 t, zeroipc_map_contains(map, &k));
		if (t == 1) {
			ZT_CHECK(zeroipc_map_find(&v, map, &k) == 0 &&
					 value_ok(&v, k),
				 "key %" PRIu64 ": bad value", k);
		}
	}
	ZT_CHECK(zeroipc_map_validate(mem, "m") == 0, "mid validate: %s",
		 zeroipc_last_error());
	zt_barrier_release(&cfg.settle, cfg.procs);

	for (unsigned i = 0; i < cfg.procs; i++) {
		rc = zt_wait(pids[i]);
		ZT_CHECK(rc == 0, "child %u exited with %d (%" PRIu64
			 " bad results)", i, rc, cfg.sh->bad[i]);
	}

	/* The exact final contents. */
	while ((rc = zeroipc_map_next(&k, &v, map, &cursor)) == 0) {
		ZT_CHECK(k < NKEYS, "unknown key %" PRIu64, k);
		if (k >= NKEYS)
			continue;
		ZT_CHECK(!seen[k], "key %" PRIu64 " iterated twice", k);
		seen[k] = 1;
		present++;
		ZT_CHECK(final_present(k), "key %" PRIu64 " should be gone",
			 k);
		ZT_CHECK(value_ok(&v, k) && v.seq == FINAL_SEQ &&
				 v.writer == k % cfg.procs,
			 "key %" PRIu64 ": value from writer %" PRIu64
			 " seq %" PRIu64, k, v.writer, v.seq);
	}
	ZT_CHECK(rc == ZEROIPC_ENOT_FOUND, "next: %s", zeroipc_status_name(rc));
	for (k = 0; k < NKEYS; k++)
		if (final_present(k)) {
			expect++;
			ZT_CHECK(seen[k], "key %" PRIu64 " missing", k);
		}
	ZT_CHECK(present == expect, "%" PRIu64 " keys, expected %" PRIu64,
		 present, expect);
	ZT_CHECK(zeroipc_map_size(map) == expect,
		 "size %" PRIu64 ", expected %" PRIu64, zeroipc_map_size(map),
		 expect);
	ZT_CHECK(zeroipc_map_validate(mem, "m") == 0, "validate: %s",
		 zeroipc_last_error());
	zeroipc_map_close(map);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	if (zt_failures == 0)
		printf("stress_map_churn: %u processes x %lu ops; %" PRIu64
		       " keys settled exactly\n", cfg.procs, cfg.iterations,
		       expect);
	return zt_failures != 0;
}
