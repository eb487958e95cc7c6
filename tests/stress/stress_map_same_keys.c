/* SPDX-License-Identifier: MIT */
/*
 * stress_map_same_keys.c - several processes insert the SAME keys at the
 * same time, then erase them all at the same time, for several rounds.
 *
 * Usage: stress_map_same_keys [processes] [keys] [rounds]
 *
 * Each insert that returns 0 claims the key for its process (a shared
 * per-key counter, and the value names the winner).  After each insert
 * round: every key has exactly one winner, the stored value names that
 * winner, iteration returns every key exactly once, size equals the number
 * of keys, validate passes.  After each erase round: every key was erased
 * by exactly one process, the map is empty.  From the second round on, the
 * chains are full of tombstones: the reference bug (claiming the first
 * tombstone without scanning the rest of the chain) duplicates keys here.
 * The processes walk the keys in different orders so they collide both on
 * the same key and on the same free slot.
 *
 * Compiled with STRESS_SET the same test runs on a Set (no values; the
 * winner is only counted).
 */
#include <inttypes.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define MAX_PROCS 16
#define MAX_KEYS 4096

#ifdef STRESS_SET
#define FAMILY "set"
typedef zeroipc_set table_t;
#define T_CREATE(out, mem, cap) zeroipc_set_create(out, mem, "t", 8, cap)
#define T_OPEN(out, mem) zeroipc_set_open(out, mem, "t", 8)
#define T_INSERT(t, k, v) ((void)(v), zeroipc_set_insert(t, k))
#define T_ERASE(t, k) zeroipc_set_erase(t, k)
#define T_NEXT(k, v, t, c) ((void)(v), zeroipc_set_next(k, t, c))
#define T_SIZE(t) zeroipc_set_size(t)
#define T_VALIDATE(mem) zeroipc_set_validate(mem, "t")
#define T_CLOSE(t) zeroipc_set_close(t)
#define HAS_VALUES 0
#else
#define FAMILY "map"
typedef zeroipc_map table_t;
#define T_CREATE(out, mem, cap) zeroipc_map_create(out, mem, "t", 8, 8, cap)
#define T_OPEN(out, mem) zeroipc_map_open(out, mem, "t", 8, 8)
#define T_INSERT(t, k, v) zeroipc_map_insert(t, k, v)
#define T_ERASE(t, k) zeroipc_map_erase(t, k)
#define T_NEXT(k, v, t, c) zeroipc_map_next(k, v, t, c)
#define T_SIZE(t) zeroipc_map_size(t)
#define T_VALIDATE(mem) zeroipc_map_validate(mem, "t")
#define T_CLOSE(t) zeroipc_map_close(t)
#define HAS_VALUES 1
#endif

struct shared {
	uint32_t inserted[MAX_KEYS];  /* successful inserts this round */
	uint32_t winner[MAX_KEYS];    /* the last process that won */
	uint32_t erased[MAX_KEYS];    /* successful erases this round */
	uint64_t bad[MAX_PROCS];
	uint64_t wins[MAX_PROCS];     /* keys won, over all rounds */
};

struct config {
	const char *seg;
	unsigned procs, keys, rounds;
	struct zt_barrier bar; /* reused for every phase */
	struct shared *sh;
};

/*
 * Key of position i for process me: every process starts on the same
 * eight keys, then walks the rest from its own offset, forwards (even
 * processes) or backwards (odd ones), so walks cross.
 */
static uint64_t key_at(const struct config *cfg, unsigned me, unsigned i)
{
	unsigned rest = cfg->keys - 8, j;

	if (i < 8)
		j = i;
	else {
		j = (i - 8 + me * 97) % rest;
		if (me % 2 == 1)
			j = rest - 1 - j;
		j += 8;
	}
	return 0x100000000ull + (uint64_t)j * 0x9E3779B1u;
}

static unsigned index_of(const struct config *cfg, uint64_t key)
{
	uint64_t j = (key - 0x100000000ull) / 0x9E3779B1u;

	return j < cfg->keys ? (unsigned)j : UINT32_MAX;
}

struct child_arg {
	struct config *cfg;
	unsigned me;
};

static int child(void *varg)
{
	struct child_arg *a = varg;
	struct config *cfg = a->cfg;
	struct shared *sh = cfg->sh;
	zeroipc_memory *mem = NULL;
	table_t *t = NULL;
	unsigned me = a->me;
	uint64_t k, v;
	int rc;

	zt_barrier_child(&cfg->bar);
	if (zeroipc_memory_open(&mem, cfg->seg, 0) != 0 ||
	    T_OPEN(&t, mem) != 0) {
		fprintf(stderr, "proc %u: open: %s\n", me,
			zeroipc_last_error());
		return 2;
	}
	for (unsigned r = 0; r < cfg->rounds; r++) {
		if (zt_barrier_wait(&cfg->bar) != 0)
			return 3;
		for (unsigned i = 0; i < cfg->keys; i++) {
			k = key_at(cfg, me, i);
			v = ((uint64_t)r << 32) | me;
			rc = T_INSERT(t, &k, &v);
			if (rc == 0) {
				__atomic_fetch_add(&sh->inserted[index_of(cfg,
									  k)],
						   1, __ATOMIC_RELAXED);
				__atomic_store_n(&sh->winner[index_of(cfg, k)],
						 me, __ATOMIC_RELAXED);
			} else if (rc != ZEROIPC_EEXISTS) {
				fprintf(stderr, "proc %u: insert: %s\n", me,
					zeroipc_status_name(rc));
				sh->bad[me]++;
			}
		}
		if (zt_barrier_wait(&cfg->bar) != 0)
			return 4;
		for (unsigned i = 0; i < cfg->keys; i++) {
			k = key_at(cfg, me, cfg->keys - 1 - i);
			rc = T_ERASE(t, &k);
			if (rc == 0)
				__atomic_fetch_add(&sh->erased[index_of(cfg,
									k)],
						   1, __ATOMIC_RELAXED);
			else if (rc != ZEROIPC_ENOT_FOUND) {
				fprintf(stderr, "proc %u: erase: %s\n", me,
					zeroipc_status_name(rc));
				sh->bad[me]++;
			}
		}
	}
	if (zt_barrier_wait(&cfg->bar) != 0)
		return 5;
	T_CLOSE(t);
	zeroipc_memory_close(mem);
	return sh->bad[me] != 0;
}

static void check_inserted(const struct config *cfg, zeroipc_memory *mem,
			   table_t *t, unsigned r)
{
	static unsigned char seen[MAX_KEYS];
	uint64_t cursor = 0, k, v, n = 0;
	unsigned j;
	int rc;

	memset(seen, 0, sizeof(seen));
	for (j = 0; j < cfg->keys; j++)
		ZT_CHECK(cfg->sh->inserted[j] == 1,
			 "round %u key %u: %u winners", r, j,
			 cfg->sh->inserted[j]);
	while ((rc = T_NEXT(&k, &v, t, &cursor)) == 0) {
		j = index_of(cfg, k);
		ZT_CHECK(j != UINT32_MAX, "round %u: foreign key %" PRIx64, r,
			 k);
		if (j == UINT32_MAX)
			continue;
		ZT_CHECK(!seen[j], "round %u: key %u iterated twice", r, j);
		seen[j] = 1;
		n++;
#if HAS_VALUES
		ZT_CHECK(v == (((uint64_t)r << 32) | cfg->sh->winner[j]),
			 "round %u key %u: value %" PRIx64 ", winner %u", r, j,
			 v, cfg->sh->winner[j]);
#endif
	}
	ZT_CHECK(rc == ZEROIPC_ENOT_FOUND, "next: %s", zeroipc_status_name(rc));
	ZT_CHECK(n == cfg->keys, "round %u: %" PRIu64 " keys iterated", r, n);
	ZT_CHECK(T_SIZE(t) == cfg->keys, "round %u: size %" PRIu64, r,
		 T_SIZE(t));
	ZT_CHECK(T_VALIDATE(mem) == 0, "round %u: validate: %s", r,
		 zeroipc_last_error());
	for (j = 0; j < cfg->keys; j++)
		cfg->sh->wins[cfg->sh->winner[j] % MAX_PROCS]++;
	memset(cfg->sh->inserted, 0, sizeof(cfg->sh->inserted));
}

static void check_erased(const struct config *cfg, zeroipc_memory *mem,
			 table_t *t, unsigned r)
{
	uint64_t cursor = 0, k, v;

	for (unsigned j = 0; j < cfg->keys; j++)
		ZT_CHECK(cfg->sh->erased[j] == 1, "round %u key %u: %u erasers",
			 r, j, cfg->sh->erased[j]);
	ZT_CHECK(T_NEXT(&k, &v, t, &cursor) == ZEROIPC_ENOT_FOUND,
		 "round %u: entries left after erasing", r);
	ZT_CHECK(T_SIZE(t) == 0, "round %u: size %" PRIu64 " after erasing",
		 r, T_SIZE(t));
	ZT_CHECK(T_VALIDATE(mem) == 0, "round %u: validate: %s", r,
		 zeroipc_last_error());
	memset(cfg->sh->erased, 0, sizeof(cfg->sh->erased));
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct child_arg args[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	zeroipc_memory *mem = NULL;
	table_t *t = NULL;
	char seg[128];
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.procs = (unsigned)zt_arg(argc, argv, 1, 4);
	cfg.keys = (unsigned)zt_arg(argc, argv, 2, 1000);
	cfg.rounds = (unsigned)zt_arg(argc, argv, 3, 20);
	if (cfg.procs > MAX_PROCS)
		cfg.procs = MAX_PROCS;
	if (cfg.keys > MAX_KEYS)
		cfg.keys = MAX_KEYS;
	if (cfg.keys < 8)
		cfg.keys = 8;
	cfg.seg = zt_name(seg, sizeof(seg), FAMILY "-same-keys");
	cfg.sh = zt_shared_alloc(sizeof(*cfg.sh));
	if (zt_barrier_init(&cfg.bar) != 0) {
		perror("pipe");
		return 1;
	}
	ZT_CHECK(zeroipc_memory_create(&mem, seg, 1 << 20, NULL) == 0, "%s",
		 zeroipc_last_error());
	/* About 75% full when every key is in: long chains, many
	 * collisions on free slots. */
	ZT_CHECK(T_CREATE(&t, mem, cfg.keys * 4 / 3 + 1) == 0, "%s",
		 zeroipc_last_error());
	if (zt_failures)
		return 1;
	for (unsigned i = 0; i < cfg.procs; i++) {
		args[i].cfg = &cfg;
		args[i].me = i;
		pids[i] = zt_fork(child, &args[i]);
	}
	zt_barrier_parent(&cfg.bar);
	for (unsigned r = 0; r < cfg.rounds; r++) {
		if (zt_barrier_collect(&cfg.bar, cfg.procs) != 0)
			break;
		if (r > 0)
			check_erased(&cfg, mem, t, r - 1);
		zt_barrier_release(&cfg.bar, cfg.procs);
		if (zt_barrier_collect(&cfg.bar, cfg.procs) != 0)
			break;
		check_inserted(&cfg, mem, t, r);
		zt_barrier_release(&cfg.bar, cfg.procs);
	}
	if (zt_barrier_collect(&cfg.bar, cfg.procs) == 0)
		check_erased(&cfg, mem, t, cfg.rounds - 1);
	zt_barrier_release(&cfg.bar, cfg.procs);
	for (unsigned i = 0; i < cfg.procs; i++) {
		rc = zt_wait(pids[i]);
		ZT_CHECK(rc == 0, "child %u exited with %d", i, rc);
	}
	T_CLOSE(t);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	/* Not a check (scheduling decides), but a record of how much the
	 * processes actually raced. */
	printf("keys won per process:");
	for (unsigned i = 0; i < cfg.procs; i++)
		printf(" %" PRIu64, cfg.sh->wins[i]);
	printf("\n");
	if (zt_failures == 0)
		printf("stress_%s_same_keys: %u processes, %u keys, %u rounds: "
		       "one winner per key, no duplicates\n",
		       FAMILY, cfg.procs, cfg.keys, cfg.rounds);
	return zt_failures != 0;
}
