/* SPDX-License-Identifier: MIT */
/*
 * bench_map.c - benchmarks of zeroipc_map and zeroipc_set (8-byte keys,
 * 8-byte values, 65536 slots).
 *
 * Cases (workload cases, see bench_common.h; no reference transport does
 * the same work, so bench/run shows absolute Mops/s, and the single-process
 * cases a ratio to a private baseline table measured in the same run):
 *   map_fill{50,90}        one process, the map filled to 50% / 90% of its
 *                          slots; metrics: insert and erase (the last 1024
 *                          keys erased and inserted again, over and over:
 *                          the fill stays within 1024 keys of the level),
 *                          find_hit (keys present, value checked),
 *                          find_miss (keys never inserted); a third of
 *                          the time each (insert and erase share one)
 *   map_fill{50,90}_base   the same workload on base_table below: a
 *                          process-local open-addressing table written
 *                          here, our own code, with the library's hash and
 *                          probing, no atomics, not shared.  What sharing
 *                          across processes costs, not a peer.
 *   set_fill{50,90}[_base] the same for a set: insert, contains_hit,
 *                          contains_miss, erase
 *   map_2proc              two processes (CPU 0 and 1) on one map over
 *                          32768 shared keys, half of them present at the
 *                          start: 90% find, 10% insert_or_update; ops/s
 *                          summed.  Afterwards each key must be absent if
 *                          nobody wrote it, else hold the last value one of
 *                          the two processes wrote to it.
 *   set_2proc              the same for a set: 90% contains, 5% insert,
 *                          5% erase; afterwards each key must be present or
 *                          absent as the last insert or erase of one of the
 *                          processes left it.
 * Every case also checks the size and runs zeroipc_*_validate() at the end.
 *
 * usage: bench_map --list | --case NAME [--quick]
 */
#include <zeroipc.h>

#include "bench_common.h"

#define MAP_CAP 65536
/* Keys erased and inserted again per batch of the insert/erase metric. */
#define CHURN 1024
/* Operations between two reads of the clock. */
#define BLOCK 1024
/* Keys of the two-process cases, and how many are present at the start. */
#define RANGE 32768
#define PREFILLED (RANGE / 2)
/* Keys numbered from here are never inserted (the miss metrics). */
#define MISS_BASE ((uint64_t)1 << 40)
#define SEGMENT_BYTES ((uint64_t)8 << 20)

enum { M_INSERT, M_HIT, M_MISS, M_ERASE };
enum impl { IMPL_MAP, IMPL_SET, IMPL_BASE_MAP, IMPL_BASE_SET };

/* Key number -> key: a bijection, so distinct numbers give distinct keys. */
static inline uint64_t key_of(uint64_t i)
{
	i *= 0x9e3779b97f4a7c15ull;
	i ^= i >> 29;
	i *= 0xd6e8feb86659fd93ull;
	i ^= i >> 32;
	return i;
}

/* Value of key number i in the single-process cases. */
static inline uint64_t val_of(uint64_t i)
{
	return ~i;
}

/*
 * Value written by the two-process map case: the key number (so a value
 * read under a key shows whose it is), the writer (1 parent, 2 child, 3
 * the prefill) and the writer's running count (so each write differs).
 */
static inline uint64_t shared_val(uint64_t i, unsigned tag, uint64_t count)
{
	return (i << 32) | ((uint64_t)tag << 28) | (count & 0x0fffffff);
}

static inline bool shared_val_ok(uint64_t v, uint64_t i)
{
	unsigned tag = (unsigned)(v >> 28) & 0xf;

	return (v >> 32) == i && tag >= 1 && tag <= 3;
}

/* ------------------------------------------------- the baseline table */

/*
 * base_table: the baseline, a private open-addressing table.  Same home
 * slot as the library (64-bit FNV-1a of the key's bytes, folded to 32
 * bits, masked), linear probing, tombstones that inserts reuse; so it
 * probes the same slots, and what differs is the library's shared-memory
 * work (atomics, slot states, bounds checks, an exported call).
 */
enum { BASE_EMPTY, BASE_FULL, BASE_TOMB };

struct base_table {
	uint64_t mask;
	uint64_t size;
	uint8_t *state;
	uint64_t *keys;
	uint64_t *vals;
};

static int base_init(struct base_table *t, uint64_t cap)
{
	t->mask = cap - 1;
	t->size = 0;
	t->state = calloc(cap, 1);
	t->keys = calloc(cap, sizeof(uint64_t));
	t->vals = calloc(cap, sizeof(uint64_t));
	return t->state && t->keys && t->vals ? 0 : -1;
}

static void base_free(struct base_table *t)
{
	free(t->state);
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

static inline uint64_t base_home(const struct base_table *t, uint64_t key)
{
	unsigned char b[8];
	uint64_t h = 0xcbf29ce484222325ull;

	memcpy(b, &key, 8);
	for (int i = 0; i < 8; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return (uint32_t)(h ^ (h >> 32)) & t->mask;
}

/* Slot of `key`, or UINT64_MAX. */
static inline uint64_t base_lookup(const struct base_table *t, uint64_t key)
{
	uint64_t i = base_home(t, key);

	for (uint64_t n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		if (t->state[i] == BASE_EMPTY)
			break;
		if (t->state[i] == BASE_FULL && t->keys[i] == key)
			return i;
	}
	return UINT64_MAX;
}

static inline int base_insert(struct base_table *t, uint64_t key,
			      uint64_t val, bool values)
{
	uint64_t i = base_home(t, key), tomb = UINT64_MAX, n;

	for (n = 0; n <= t->mask; n++, i = (i + 1) & t->mask) {
		if (t->state[i] == BASE_EMPTY)
			break;
		if (t->state[i] == BASE_TOMB) {
			if (tomb == UINT64_MAX)
				tomb = i;
		} else if (t->keys[i] == key) {
			return ZEROIPC_EEXISTS;
		}
	}
	if (tomb != UINT64_MAX)
		i = tomb;
	else if (n > t->mask)
		return ZEROIPC_EFULL;
	t->state[i] = BASE_FULL;
	t->keys[i] = key;
	if (values)
		t->vals[i] = val;
	t->size++;
	return 0;
}

/* ------------------------------------------------------------ state */

/* Per key, what each process of a two-process case did last. */
struct shared_log {
	uint64_t last[2][RANGE]; /* map: value written (0: none) */
	uint8_t op[2][RANGE];    /* set: 1 insert, 2 erase (0: none) */
};

struct map_bench {
	struct bench_wzstate z; /* first: the driver's share */
	zeroipc_map *map;
	zeroipc_set *set;
	struct base_table base;
	struct shared_log *log; /* two-process cases: shared mapping */
	uint64_t filled;        /* single-process cases: keys present */
};

static bool is_set(const struct bench_wrun *b)
{
	return strncmp(b->c->name, "set_", 4) == 0;
}

static bool is_base(const struct bench_wrun *b)
{
	return strstr(b->c->name, "_base") != NULL;
}

static bool is_shared(const struct bench_wrun *b)
{
	return b->c->procs > 1;
}

static uint64_t fill_of(const struct bench_wrun *b)
{
	return (uint64_t)MAP_CAP * (strstr(b->c->name, "fill90") ? 90 : 50) /
	       100;
}

static int map_setup(struct bench_wrun *b)
{
	struct map_bench *s;
	int rc;

	if (is_base(b)) {
		s = calloc(1, sizeof(*s));
		b->state = s;
		return s != NULL && base_init(&s->base, MAP_CAP) == 0 ? 0 : -1;
	}
	if (bench_wzsetup(b, sizeof(*s), is_set(b) ? "set" : "map",
			  SEGMENT_BYTES) != 0)
		return -1;
	s = b->state;
	if (is_set(b)) {
		rc = zeroipc_set_create(&s->set, s->z.mem, "s", 8, MAP_CAP);
	} else {
		rc = zeroipc_map_create(&s->map, s->z.mem, "m", 8, 8, MAP_CAP);
	}
	if (rc != 0)
		goto fail;
	if (is_shared(b)) {
		s->log = mmap(NULL, sizeof(*s->log), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (s->log == MAP_FAILED) {
			s->log = NULL;
			perror("map setup: mmap");
			return -1;
		}
		for (uint64_t i = 0; i < PREFILLED && rc == 0; i++) {
			uint64_t k = key_of(i), v = shared_val(i, 3, 0);

			rc = is_set(b) ? zeroipc_set_insert(s->set, &k)
				       : zeroipc_map_insert(s->map, &k, &v);
		}
		if (rc != 0)
			goto fail;
	}
	zeroipc_set_close(s->set);
	zeroipc_map_close(s->map);
	s->set = NULL;
	s->map = NULL;
	return 0;
fail:
	fprintf(stderr, "map setup: %s: %s\n", zeroipc_strerror(rc),
		zeroipc_last_error());
	return -1;
}

static int map_attach(struct bench_wrun *b)
{
	struct map_bench *s = b->state;
	int rc;

	if (is_base(b))
		return 0;
	rc = is_set(b) ? zeroipc_set_open(&s->set, s->z.mem, "s", 8)
		       : zeroipc_map_open(&s->map, s->z.mem, "m", 8, 8);
	if (rc != 0) {
		fprintf(stderr, "map attach: %s: %s\n", zeroipc_strerror(rc),
			zeroipc_last_error());
		return -1;
	}
	return 0;
}

static void map_detach(struct bench_wrun *b)
{
	struct map_bench *s = b->state;

	zeroipc_set_close(s->set);
	zeroipc_map_close(s->map);
	s->set = NULL;
	s->map = NULL;
}

static void map_cleanup(struct bench_wrun *b)
{
	struct map_bench *s = b->state;

	if (s == NULL)
		return;
	if (s->log != NULL)
		munmap(s->log, sizeof(*s->log));
	s->log = NULL;
	if (is_base(b)) {
		base_free(&s->base);
		free(s);
		b->state = NULL;
		return;
	}
	bench_wzcleanup(b);
}

/* -------------------------------------------------- single process */

/*
 * The operations, with the implementation a constant: each caller below is
 * one instance of local_work() for one implementation, so the switch is
 * resolved at compile time and the baseline pays for no indirection.
 */
BENCH_INLINE int op_insert(struct map_bench *s, enum impl im, uint64_t key,
			   uint64_t val)
{
	switch (im) {
	case IMPL_MAP:
		return zeroipc_map_insert(s->map, &key, &val);
	case IMPL_SET:
		return zeroipc_set_insert(s->set, &key);
	default:
		return base_insert(&s->base, key, val, im == IMPL_BASE_MAP);
	}
}

/* 1 and the value (maps) if present, 0 if not, else a negative status. */
BENCH_INLINE int op_find(struct map_bench *s, enum impl im, uint64_t key,
			 uint64_t *val)
{
	uint64_t i;
	int rc;

	switch (im) {
	case IMPL_MAP:
		rc = zeroipc_map_find(val, s->map, &key);
		return rc == 0 ? 1 : rc == ZEROIPC_ENOT_FOUND ? 0 : rc;
	case IMPL_SET:
		return zeroipc_set_contains(s->set, &key);
	default:
		i = base_lookup(&s->base, key);
		if (i == UINT64_MAX)
			return 0;
		if (im == IMPL_BASE_MAP)
			*val = s->base.vals[i];
		return 1;
	}
}

BENCH_INLINE int op_erase(struct map_bench *s, enum impl im, uint64_t key)
{
	uint64_t i;

	switch (im) {
	case IMPL_MAP:
		return zeroipc_map_erase(s->map, &key);
	case IMPL_SET:
		return zeroipc_set_erase(s->set, &key);
	default:
		i = base_lookup(&s->base, key);
		if (i == UINT64_MAX)
			return ZEROIPC_ENOT_FOUND;
		s->base.state[i] = BASE_TOMB;
		s->base.size--;
		return 0;
	}
}

/* Look up key numbers first, first+1, ... (cycling through n of them)
 * for `seconds`; each must be present (hit) or absent (miss). */
BENCH_INLINE void lookups(struct bench_wrun *b, enum impl im, int metric,
			  uint64_t first, uint64_t n, double seconds)
{
	struct map_bench *s = b->state;
	bool hit = metric == M_HIT, values = im == IMPL_MAP ||
					      im == IMPL_BASE_MAP;
	double t0 = bench_now(), t;
	uint64_t i = 0, v = 0, ops = 0, bad = 0;

	do {
		for (int j = 0; j < BLOCK; j++) {
			int rc = op_find(s, im, key_of(first + i), &v);

			if (rc < 0)
				bench_zfail("find", rc);
			bad += rc != hit;
			if (hit && values)
				bad += v != val_of(first + i);
			if (++i == n)
				i = 0;
		}
		ops += BLOCK;
		t = bench_now();
	} while (t - t0 < seconds);
	b->ops[metric] = ops;
	b->secs[metric] = t - t0;
	b->bad += bad;
}

BENCH_INLINE void local_work(struct bench_wrun *b, enum impl im)
{
	struct map_bench *s = b->state;
	uint64_t n = fill_of(b), bad = 0;
	double third = b->seconds / 3, t, t0, t1, end;

	for (uint64_t i = 0; i < n; i++) {
		int rc = op_insert(s, im, key_of(i), val_of(i));

		if (rc != 0)
			bench_zfail("fill", rc);
	}
	s->filled = n;
	/* insert / erase: the last CHURN keys out and back in. */
	t = bench_now();
	end = t + third;
	do {
		t0 = t;
		for (uint64_t i = n - CHURN; i < n; i++)
			bad += op_erase(s, im, key_of(i)) != 0;
		t1 = bench_now();
		for (uint64_t i = n - CHURN; i < n; i++)
			bad += op_insert(s, im, key_of(i), val_of(i)) != 0;
		t = bench_now();
		b->ops[M_ERASE] += CHURN;
		b->secs[M_ERASE] += t1 - t0;
		b->ops[M_INSERT] += CHURN;
		b->secs[M_INSERT] += t - t1;
	} while (t < end);
	b->bad += bad;
	lookups(b, im, M_HIT, 0, n, third);
	lookups(b, im, M_MISS, MISS_BASE, n, third);
}

static void work_map(struct bench_wrun *b)
{
	local_work(b, IMPL_MAP);
}

static void work_set(struct bench_wrun *b)
{
	local_work(b, IMPL_SET);
}

static void work_base_map(struct bench_wrun *b)
{
	local_work(b, IMPL_BASE_MAP);
}

static void work_base_set(struct bench_wrun *b)
{
	local_work(b, IMPL_BASE_SET);
}

/* ------------------------------------------------------ two processes */

static inline uint64_t rng_next(uint64_t *x)
{
	/* xorshift64 with a multiplied output: plenty for picking keys. */
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x * 0x2545f4914f6cdd1dull;
}

/* A tenth and a twentieth of the 32-bit range, for picking operations. */
#define P10 ((uint32_t)(UINT32_MAX / 10))
#define P20 ((uint32_t)(UINT32_MAX / 20))

static void work_map_2proc(struct bench_wrun *b)
{
	struct map_bench *s = b->state;
	unsigned tag = b->role == BENCH_PARENT ? 1 : 2;
	uint64_t *last = s->log->last[b->role];
	uint64_t x = 0x853c49e6748fea9bull + (uint64_t)getpid() * 2654435761u;
	uint64_t ops = 0, count = 0, bad = 0;
	double t0 = bench_now(), t;

	do {
		for (int j = 0; j < BLOCK; j++) {
			uint64_t r = rng_next(&x), i = r & (RANGE - 1);
			uint64_t k = key_of(i), v;
			int rc;

			if ((uint32_t)(r >> 32) < P10) {
				v = shared_val(i, tag, ++count);
				rc = zeroipc_map_insert_or_update(s->map, &k,
								  &v);
				if (rc != 0)
					bench_zfail("insert_or_update", rc);
				last[i] = v;
			} else {
				rc = zeroipc_map_find(&v, s->map, &k);
				if (rc == 0)
					bad += !shared_val_ok(v, i);
				else if (rc != ZEROIPC_ENOT_FOUND)
					bench_zfail("find", rc);
			}
		}
		ops += BLOCK;
		t = bench_now();
	} while (t - t0 < b->seconds);
	b->ops[0] = ops;
	b->secs[0] = t - t0;
	b->bad += bad;
}

static void check_map_2proc(struct bench_wrun *b)
{
	struct map_bench *s = b->state;
	uint64_t present = 0, bad = 0;
	int rc;

	for (uint64_t i = 0; i < RANGE; i++) {
		uint64_t k = key_of(i), v = 0;
		uint64_t l1 = s->log->last[0][i], l2 = s->log->last[1][i];
		uint64_t pre = i < PREFILLED ? shared_val(i, 3, 0) : 0;

		rc = zeroipc_map_find(&v, s->map, &k);
		if (rc != 0 && rc != ZEROIPC_ENOT_FOUND)
			bench_zfail("find", rc);
		present += rc == 0;
		if (l1 == 0 && l2 == 0)
			bad += rc == 0 ? v != pre : pre != 0;
		else
			bad += rc != 0 || !((l1 && v == l1) || (l2 && v == l2));
	}
	if (zeroipc_map_size(s->map) != present) {
		fprintf(stderr, "map: size %llu, %llu keys present\n",
			(unsigned long long)zeroipc_map_size(s->map),
			(unsigned long long)present);
		bad++;
	}
	if ((rc = zeroipc_map_validate(s->z.mem, "m")) != 0) {
		fprintf(stderr, "map: validate: %s\n", zeroipc_last_error());
		bad++;
	}
	if (bad)
		fprintf(stderr, "map: %llu keys not as last written\n",
			(unsigned long long)bad);
	b->bad += bad;
}

static void work_set_2proc(struct bench_wrun *b)
{
	struct map_bench *s = b->state;
	uint8_t *op = s->log->op[b->role];
	uint64_t x = 0x9b1c3f2a5e7d4c61ull + (uint64_t)getpid() * 2654435761u;
	uint64_t ops = 0;
	double t0 = bench_now(), t;

	do {
		for (int j = 0; j < BLOCK; j++) {
			uint64_t r = rng_next(&x), i = r & (RANGE - 1);
			uint64_t k = key_of(i);
			uint32_t pick = (uint32_t)(r >> 32);
			int rc;

			if (pick < P20) {
				rc = zeroipc_set_insert(s->set, &k);
				if (rc != 0 && rc != ZEROIPC_EEXISTS)
					bench_zfail("insert", rc);
				op[i] = 1;
			} else if (pick < P10) {
				rc = zeroipc_set_erase(s->set, &k);
				if (rc != 0 && rc != ZEROIPC_ENOT_FOUND)
					bench_zfail("erase", rc);
				op[i] = 2;
			} else {
				rc = zeroipc_set_contains(s->set, &k);
				if (rc < 0)
					bench_zfail("contains", rc);
			}
		}
		ops += BLOCK;
		t = bench_now();
	} while (t - t0 < b->seconds);
	b->ops[0] = ops;
	b->secs[0] = t - t0;
}

static void check_set_2proc(struct bench_wrun *b)
{
	struct map_bench *s = b->state;
	uint64_t present = 0, bad = 0;
	int rc;

	for (uint64_t i = 0; i < RANGE; i++) {
		uint64_t k = key_of(i);
		uint8_t o1 = s->log->op[0][i], o2 = s->log->op[1][i];

		rc = zeroipc_set_contains(s->set, &k);
		if (rc < 0)
			bench_zfail("contains", rc);
		present += rc;
		if (o1 == 0 && o2 == 0)
			bad += rc != (i < PREFILLED);
		else /* present: some last op was an insert; absent: erase */
			bad += rc ? o1 != 1 && o2 != 1 : o1 != 2 && o2 != 2;
	}
	if (zeroipc_set_size(s->set) != present) {
		fprintf(stderr, "set: size %llu, %llu keys present\n",
			(unsigned long long)zeroipc_set_size(s->set),
			(unsigned long long)present);
		bad++;
	}
	if ((rc = zeroipc_set_validate(s->z.mem, "s")) != 0) {
		fprintf(stderr, "set: validate: %s\n", zeroipc_last_error());
		bad++;
	}
	if (bad)
		fprintf(stderr, "set: %llu keys not as last changed\n",
			(unsigned long long)bad);
	b->bad += bad;
}

/* After a single-process case: the size is the fill, the table valid. */
static void check_local(struct bench_wrun *b)
{
	struct map_bench *s = b->state;
	uint64_t size;
	int rc = 0;

	if (is_base(b)) {
		size = s->base.size;
	} else if (is_set(b)) {
		size = zeroipc_set_size(s->set);
		rc = zeroipc_set_validate(s->z.mem, "s");
	} else {
		size = zeroipc_map_size(s->map);
		rc = zeroipc_map_validate(s->z.mem, "m");
	}
	if (size != s->filled) {
		fprintf(stderr, "%s: size %llu, expected %llu\n", b->c->name,
			(unsigned long long)size,
			(unsigned long long)s->filled);
		b->bad++;
	}
	if (rc != 0) {
		fprintf(stderr, "%s: validate: %s\n", b->c->name,
			zeroipc_last_error());
		b->bad++;
	}
}

#define MAP_METRICS { "insert", "find_hit", "find_miss", "erase" }
#define SET_METRICS { "insert", "contains_hit", "contains_miss", "erase" }

#define LOCAL_CASE(name, ref, metrics, work)                                   \
	{ name, 1, "Mops/s", ref, metrics, map_setup, map_attach, work,        \
	  check_local, map_detach, map_cleanup }

static const struct bench_wcase cases[] = {
	LOCAL_CASE("map_fill50", "case:map_fill50_base", MAP_METRICS,
		   work_map),
	LOCAL_CASE("map_fill90", "case:map_fill90_base", MAP_METRICS,
		   work_map),
	LOCAL_CASE("map_fill50_base", "none", MAP_METRICS, work_base_map),
	LOCAL_CASE("map_fill90_base", "none", MAP_METRICS, work_base_map),
	LOCAL_CASE("set_fill50", "case:set_fill50_base", SET_METRICS,
		   work_set),
	LOCAL_CASE("set_fill90", "case:set_fill90_base", SET_METRICS,
		   work_set),
	LOCAL_CASE("set_fill50_base", "none", SET_METRICS, work_base_set),
	LOCAL_CASE("set_fill90_base", "none", SET_METRICS, work_base_set),
	{ "map_2proc", 2, "Mops/s", "none", { "mixed" }, map_setup,
	  map_attach, work_map_2proc, check_map_2proc, map_detach,
	  map_cleanup },
	{ "set_2proc", 2, "Mops/s", "none", { "mixed" }, map_setup,
	  map_attach, work_set_2proc, check_set_2proc, map_detach,
	  map_cleanup },
};

int main(int argc, char **argv)
{
	return bench_work_main(argc, argv, cases,
			       sizeof(cases) / sizeof(cases[0]));
}
