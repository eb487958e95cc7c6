/* SPDX-License-Identifier: MIT */
/*
 * test_map.c - hash maps: create/open, the layout and hash of
 * SPECIFICATION.md ("Map") checked against bytes in the segment, insert /
 * insert_or_update / find / contains / erase / size / iteration, tombstone
 * reuse and the two-phase insert, a full table, odd key and value sizes,
 * read-only handles, what dead peers leave behind (BUSY, INSERTING twins,
 * a LOCKED value) and hostile headers that must give errors and never an
 * access outside the entry (run under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zt_map_layout.h"
#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 20)

static uint64_t slot_size(uint64_t ks, uint64_t vs)
{
	return 8 + zt_align8(ks) + zt_align8(vs);
}

/* Offset of slot i from the map's base. */
static uint64_t slot_off(uint64_t i, uint64_t ks, uint64_t vs)
{
	return M_SLOTS + i * slot_size(ks, vs);
}

/* `n` distinct u64 keys that share one home slot in a table of `cap`. */
static void colliding_keys(uint64_t *keys, unsigned n, uint64_t cap,
			   uint64_t *home_out)
{
	uint64_t want = zt_home_slot(&(uint64_t){ 1 }, 8, cap);
	unsigned got = 0;

	for (uint64_t k = 1; got < n; k++)
		if (zt_home_slot(&k, 8, cap) == want)
			keys[got++] = k;
	*home_out = want;
}

static void test_map_create_open_and_getters(void **state)
{
	zeroipc_memory *mem, *other = NULL;
	zeroipc_map *map = NULL, *again = NULL;
	uint64_t k = 42, v = 4242, got = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-basic", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, 100));
	assert_non_null(map);
	/* Rounded up to a power of two. */
	assert_int_equal(zeroipc_map_capacity(map), 128);
	assert_int_equal(zeroipc_map_key_size(map), 8);
	assert_int_equal(zeroipc_map_value_size(map), 8);
	assert_int_equal(zeroipc_map_size(map), 0);
	assert_ok(zeroipc_map_validate(mem, "m"));

	/* A second mapping at another address sees the same entries. */
	assert_ok(zeroipc_memory_open(&other, name, 0));
	assert_ok(zeroipc_map_open(&again, other, "m", 8, 8));
	assert_int_equal(zeroipc_map_capacity(again), 128);
	assert_ok(zeroipc_map_insert(map, &k, &v));
	assert_int_equal(zeroipc_map_size(again), 1);
	assert_ok(zeroipc_map_find(&got, again, &k));
	assert_int_equal(got, 4242);
	assert_ok(zeroipc_map_erase(again, &k));
	assert_int_equal(zeroipc_map_contains(map, &k), 0);
	zeroipc_map_close(again);
	zeroipc_memory_close(other);

	/* Creating the same name again is refused, the map untouched. */
	again = (void *)1;
	assert_fails_with(zeroipc_map_create(&again, mem, "m", 8, 8, 4),
			  ZEROIPC_EEXISTS);
	assert_null(again);
	assert_int_equal(zeroipc_map_capacity(map), 128);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_close_and_getters_accept_null(void **state)
{
	(void)state;
	zeroipc_map_close(NULL);
	assert_int_equal(zeroipc_map_size(NULL), 0);
	assert_int_equal(zeroipc_map_capacity(NULL), 0);
	assert_int_equal(zeroipc_map_key_size(NULL), 0);
	assert_int_equal(zeroipc_map_value_size(NULL), 0);
}

static void test_map_rejects_bad_arguments(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL, *bad = (void *)1;
	uint64_t k = 1, v = 2, cursor = 0;
	uint64_t too_many_slots = (uint64_t)ZEROIPC_MAP_MAX_CAPACITY + 1;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-args", SEG_SIZE, 0);
	assert_fails_with(zeroipc_map_create(NULL, mem, "m", 8, 8, 8),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_create(&bad, NULL, "m", 8, 8, 8),
			  ZEROIPC_EINVAL);
	assert_null(bad);
	assert_fails_with(zeroipc_map_create(&bad, mem, "m", 0, 8, 8),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_create(&bad, mem, "m", 8, 8, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_create(&bad, mem, "m", 8, 8,
					     too_many_slots),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_create(&bad, mem, "m", 1ull << 32, 8, 8),
			  ZEROIPC_EINVAL);
	/* Fits the rules but not the segment. */
	assert_fails_with(zeroipc_map_create(&bad, mem, "m", 8, 8,
					     ZEROIPC_MAP_MAX_CAPACITY),
			  ZEROIPC_ENO_SPACE);
	assert_fails_with(zeroipc_map_create(&bad, mem, NULL, 8, 8, 8),
			  ZEROIPC_ENAME);
	assert_fails_with(zeroipc_map_create(&bad, mem, "", 8, 8, 8),
			  ZEROIPC_ENAME);
	assert_int_equal(zeroipc_table_count(mem), 0);

	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, 8));
	assert_fails_with(zeroipc_map_insert(NULL, &k, &v), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_insert(map, NULL, &v), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_insert(map, &k, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_insert_or_update(map, &k, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_find(NULL, map, &k), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_find(&v, map, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_contains(NULL, &k), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_contains(map, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_erase(map, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_next(&k, &v, map, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_next(&k, &v, NULL, &cursor),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_set_timeout(NULL, 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_validate(NULL, "m"), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_validate(mem, NULL), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_map_validate(mem, "nope"),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_map_open(&bad, mem, "m", 0, 8),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_map_open(&bad, mem, "nope", 8, 8),
			  ZEROIPC_ENOT_FOUND);
	assert_int_equal(zeroipc_map_size(map), 0);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_layout_matches_specification(void **state)
{
	enum { KS = 13, VS = 20, CAP = 16 };
	unsigned char key[KS], value[VS], *base, *slot;
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	zeroipc_table_entry entry;
	uint64_t home;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-layout", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "odd", KS, VS, CAP));
	base = zt_entry_base(mem, "odd", &entry);
	assert_int_equal(slot_size(KS, VS), 8 + 16 + 24);
	assert_int_equal(entry.size, 32 + CAP * slot_size(KS, VS));
	assert_int_equal(zt_rd32(base, M_SIZE), 0);
	assert_int_equal(zt_rd32(base, M_CAPACITY), CAP);
	assert_int_equal(zt_rd32(base, M_KEY_SIZE), KS);
	assert_int_equal(zt_rd32(base, M_VALUE_SIZE), VS);
	assert_int_equal(zt_rd32(base, M_SLOT_SIZE), slot_size(KS, VS));
	assert_int_equal(zt_rd32(base, M_RESERVED), 0);
	assert_int_equal(zt_rd32(base, M_WAITERS), 0);
	assert_int_equal(zt_rd32(base, M_SEQ), 0);
	for (int i = 0; i < CAP; i++)
		assert_int_equal(zt_rd64(base, slot_off(i, KS, VS)), 0);

	memset(key, 0xA5, KS);
	memset(value, 0x5A, VS);
	assert_ok(zeroipc_map_insert(map, key, value));
	home = zt_home_slot(key, KS, CAP);
	slot = base + slot_off(home, KS, VS);
	/* EMPTY -> BUSY -> INSERTING -> FULL: generation 3. */
	assert_int_equal(zt_rd64(slot, 0), CTL(3, S_FULL));
	assert_memory_equal(slot + 8, key, KS);
	for (int i = KS; i < 16; i++)
		assert_int_equal(slot[8 + i], 0); /* key padding */
	assert_memory_equal(slot + 8 + 16, value, VS);
	for (int i = VS; i < 24; i++)
		assert_int_equal(slot[24 + i], 0); /* value padding */
	assert_int_equal(zt_rd32(base, M_SIZE), 1);

	/* An update locks and unlocks: two more transitions. */
	memset(value, 0x11, VS);
	assert_ok(zeroipc_map_insert_or_update(map, key, value));
	assert_int_equal(zt_rd64(slot, 0), CTL(5, S_FULL));
	assert_memory_equal(slot + 24, value, VS);
	/* Erase: FULL -> RETIRING -> TOMBSTONE. */
	assert_ok(zeroipc_map_erase(map, key));
	assert_int_equal(zt_rd64(slot, 0), CTL(7, S_TOMBSTONE));
	assert_int_equal(zt_rd32(base, M_SIZE), 0);
	/* The tombstone is reused by the next insert with that home. */
	assert_ok(zeroipc_map_insert(map, key, value));
	assert_int_equal(zt_rd64(slot, 0), CTL(10, S_FULL));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_hash_is_fnv1a_folded(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	unsigned char *base;
	char name[128];

	(void)state;
	/* Published FNV-1a 64 test vectors: the hash itself is right. */
	assert_int_equal(zt_fnv1a64("", 0), 0xcbf29ce484222325ull);
	assert_int_equal(zt_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
	assert_int_equal(zt_fnv1a64("foobar", 6), 0x85944171f73967e8ull);

	/* The specification's worked example: 8-byte key 42. */
	{
		uint64_t k42 = 42;

		assert_int_equal(zt_fnv1a64(&k42, 8), 0xff3add6b3789daefull);
		assert_int_equal(zt_home_slot(&k42, 8, 1024), 900);
	}

	/* And the library puts keys where the specification says: with a
	 * large table few collide, so most land exactly on their home. */
	mem = zt_create(name, sizeof(name), "map-hash", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "h", 4, 4, 1024));
	base = zt_entry_base(mem, "h", NULL);
	for (uint32_t k = 0; k < 32; k++) {
		uint64_t home = zt_home_slot(&k, 4, 1024), i;
		uint32_t v = k * 3, stored;

		assert_ok(zeroipc_map_insert(map, &k, &v));
		/* Linear probing from home to the first slot with our key. */
		for (i = home;; i = (i + 1) & 1023) {
			memcpy(&stored, base + slot_off(i, 4, 4) + 8, 4);
			if ((zt_rd64(base, slot_off(i, 4, 4)) & 7) == S_FULL &&
			    stored == k)
				break;
			assert_int_not_equal(zt_rd64(base, slot_off(i, 4, 4)) &
						     7,
					     S_EMPTY);
		}
	}
	{
		zeroipc_map *big = NULL;
		uint64_t k42 = 42, v = 1;
		unsigned char *b;

		assert_ok(zeroipc_map_create(&big, mem, "h8", 8, 8, 1024));
		assert_ok(zeroipc_map_insert(big, &k42, &v));
		b = zt_entry_base(mem, "h8", NULL);
		assert_int_equal(zt_rd64(b, slot_off(900, 8, 8)),
				 CTL(3, S_FULL));
		assert_int_equal(zt_rd64(b, slot_off(900, 8, 8) + 8), 42);
		zeroipc_map_close(big);
	}
	/* Keys differing only in a high bit of a byte get different homes
	 * thanks to the fold (FNV-1a's low bits would not see the bit). */
	{
		uint32_t a = 0x00, b = 0x80;

		assert_int_equal(zt_fnv1a64(&a, 4) & 127,
				 zt_fnv1a64(&b, 4) & 127);
		assert_int_not_equal(zt_home_slot(&a, 4, 128),
				     zt_home_slot(&b, 4, 128));
	}
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_insert_find_erase(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t k, v, got;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-ops", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, 256));
	for (k = 0; k < 150; k++) {
		v = k * k + 7;
		assert_ok(zeroipc_map_insert(map, &k, &v));
		assert_int_equal(zeroipc_map_size(map), k + 1);
	}
	for (k = 0; k < 150; k++) {
		assert_int_equal(zeroipc_map_contains(map, &k), 1);
		got = 0;
		assert_ok(zeroipc_map_find(&got, map, &k));
		assert_int_equal(got, k * k + 7);
	}
	k = 150;
	assert_int_equal(zeroipc_map_contains(map, &k), 0);
	assert_fails_with(zeroipc_map_find(&got, map, &k), ZEROIPC_ENOT_FOUND);
	/* Answers (absent, present) still carry their exact detail, formatted
	 * when it is asked for. */
	assert_string_equal(zeroipc_last_error(), "map 'm': key not present");
	assert_fails_with(zeroipc_map_erase(map, &k), ZEROIPC_ENOT_FOUND);
	k = 3;
	assert_status(zeroipc_map_insert(map, &k, &v), ZEROIPC_EEXISTS);
	assert_string_equal(zeroipc_last_error(), "map 'm': key present");
	k = 150;
	/* Erase the even keys. */
	for (k = 0; k < 150; k += 2)
		assert_ok(zeroipc_map_erase(map, &k));
	assert_int_equal(zeroipc_map_size(map), 75);
	for (k = 0; k < 150; k++)
		assert_int_equal(zeroipc_map_contains(map, &k), (int)(k & 1));
	k = 4;
	assert_fails_with(zeroipc_map_erase(map, &k), ZEROIPC_ENOT_FOUND);
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_insert_existing_returns_eexists(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t k = 9, v = 1, got = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-exists", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, 8));
	assert_ok(zeroipc_map_insert(map, &k, &v));
	v = 2;
	assert_fails_with(zeroipc_map_insert(map, &k, &v), ZEROIPC_EEXISTS);
	assert_ok(zeroipc_map_find(&got, map, &k));
	assert_int_equal(got, 1);
	assert_int_equal(zeroipc_map_size(map), 1);
	/* insert_or_update replaces in place, size unchanged. */
	assert_ok(zeroipc_map_insert_or_update(map, &k, &v));
	assert_ok(zeroipc_map_find(&got, map, &k));
	assert_int_equal(got, 2);
	assert_int_equal(zeroipc_map_size(map), 1);
	/* ... and adds when absent. */
	k = 10;
	v = 3;
	assert_ok(zeroipc_map_insert_or_update(map, &k, &v));
	assert_ok(zeroipc_map_find(&got, map, &k));
	assert_int_equal(got, 3);
	assert_int_equal(zeroipc_map_size(map), 2);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_full_returns_efull_until_an_erase(void **state)
{
	enum { CAP = 8 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t k, v = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-full", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	for (k = 0; k < CAP; k++)
		assert_ok(zeroipc_map_insert(map, &k, &v));
	assert_fails_with(zeroipc_map_insert(map, &k, &v), ZEROIPC_EFULL);
	assert_fails_with(zeroipc_map_insert_or_update(map, &k, &v),
			  ZEROIPC_EFULL);
	/* Present keys still answer, also when absent keys scan it all. */
	assert_int_equal(zeroipc_map_contains(map, &k), 0);
	v = 5;
	k = 3;
	assert_ok(zeroipc_map_insert_or_update(map, &k, &v));
	assert_ok(zeroipc_map_erase(map, &k));
	k = 100;
	assert_ok(zeroipc_map_insert(map, &k, &v));
	assert_int_equal(zeroipc_map_size(map), CAP);
	k = 3;
	assert_int_equal(zeroipc_map_contains(map, &k), 0);
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/*
 * The reference bug: an insert that claims the first tombstone without
 * scanning the rest of the chain duplicates a key stored behind it.
 */
static void test_map_insert_scans_past_tombstones(void **state)
{
	enum { CAP = 16 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t keys[3], home, v = 1, got = 0, cursor = 0, k, count = 0;
	unsigned char *base;
	char name[128];

	(void)state;
	colliding_keys(keys, 3, CAP, &home);
	mem = zt_create(name, sizeof(name), "map-twophase", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	base = zt_entry_base(mem, "m", NULL);
	for (int i = 0; i < 3; i++) {
		v = 10 + (uint64_t)i;
		assert_ok(zeroipc_map_insert(map, &keys[i], &v));
		assert_int_equal(
			zt_rd64(base,
				slot_off((home + (uint64_t)i) & 15, 8, 8)) &
				7,
			S_FULL);
	}
	/* Tombstones at home and home + 1; keys[2] sits behind them. */
	assert_ok(zeroipc_map_erase(map, &keys[0]));
	assert_ok(zeroipc_map_erase(map, &keys[1]));
	v = 99;
	assert_fails_with(zeroipc_map_insert(map, &keys[2], &v),
			  ZEROIPC_EEXISTS);
	assert_ok(zeroipc_map_insert_or_update(map, &keys[2], &v));
	assert_int_equal(zt_rd64(base, slot_off(home, 8, 8)) & 7, S_TOMBSTONE);
	assert_int_equal(zeroipc_map_size(map), 1);
	while (zeroipc_map_next(&k, &got, map, &cursor) == 0) {
		assert_int_equal(k, keys[2]);
		assert_int_equal(got, 99);
		count++;
	}
	assert_int_equal(count, 1);
	/* A new key with that home reuses the first tombstone. */
	v = 7;
	assert_ok(zeroipc_map_insert(map, &keys[1], &v));
	assert_int_equal(zt_rd64(base, slot_off(home, 8, 8)) & 7, S_FULL);
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_iterates_each_entry_once(void **state)
{
	enum { N = 300 };
	static unsigned char seen[N];
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t k, v, cursor = 0, count = 0;
	char name[128];
	int rc;

	(void)state;
	memset(seen, 0, sizeof(seen));
	mem = zt_create(name, sizeof(name), "map-iter", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, 512));
	for (k = 0; k < N; k++) {
		v = ~k;
		assert_ok(zeroipc_map_insert(map, &k, &v));
	}
	while ((rc = zeroipc_map_next(&k, &v, map, &cursor)) == 0) {
		assert_true(k < N);
		assert_int_equal(v, ~k);
		assert_false(seen[k]);
		seen[k] = 1;
		count++;
	}
	assert_int_equal(rc, ZEROIPC_ENOT_FOUND);
	assert_int_equal(count, N);
	assert_int_equal(cursor, 512);
	/* At the end it stays at the end. */
	assert_fails_with(zeroipc_map_next(&k, &v, map, &cursor),
			  ZEROIPC_ENOT_FOUND);
	cursor = UINT64_MAX;
	assert_fails_with(zeroipc_map_next(&k, &v, map, &cursor),
			  ZEROIPC_ENOT_FOUND);
	/* NULL outputs count entries. */
	cursor = 0;
	count = 0;
	while (zeroipc_map_next(NULL, NULL, map, &cursor) == 0)
		count++;
	assert_int_equal(count, N);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

struct record {
	uint32_t id;
	char label[21];
	double score;
};

static void test_map_odd_sizes_and_records(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	unsigned char key[3];
	struct record r, got;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-odd", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", sizeof(key), sizeof(r),
				     64));
	for (int i = 0; i < 40; i++) {
		key[0] = (unsigned char)i;
		key[1] = 'k';
		key[2] = (unsigned char)(255 - i);
		memset(&r, 0, sizeof(r));
		r.id = (uint32_t)i;
		snprintf(r.label, sizeof(r.label), "item-%d", i);
		r.score = i * 0.5;
		assert_ok(zeroipc_map_insert(map, key, &r));
	}
	for (int i = 39; i >= 0; i--) {
		key[0] = (unsigned char)i;
		key[1] = 'k';
		key[2] = (unsigned char)(255 - i);
		assert_ok(zeroipc_map_find(&got, map, key));
		assert_int_equal(got.id, i);
		assert_true(got.score == i * 0.5);
		assert_string_equal(got.label, (snprintf(r.label,
							  sizeof(r.label),
							  "item-%d", i),
						 r.label));
	}
	key[1] = 'x';
	assert_int_equal(zeroipc_map_contains(map, key), 0);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_value_size_zero_works_as_a_set(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	zeroipc_set *set = NULL;
	uint32_t k = 5;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-noval", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "keys", 4, 0, 8));
	assert_ok(zeroipc_map_insert(map, &k, NULL));
	assert_ok(zeroipc_map_find(NULL, map, &k));
	assert_ok(zeroipc_map_insert_or_update(map, &k, NULL));
	assert_int_equal(zeroipc_map_size(map), 1);
	assert_ok(zeroipc_set_open(&set, mem, "keys", 4));
	assert_int_equal(zeroipc_set_contains(set, &k), 1);
	assert_ok(zeroipc_map_validate(mem, "keys"));
	assert_ok(zeroipc_set_validate(mem, "keys"));
	zeroipc_set_close(set);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_open_with_wrong_sizes_is_size_mismatch(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL, *bad = (void *)1;
	zeroipc_set *set = (void *)1;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-mismatch", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 16, 8));
	assert_fails_with(zeroipc_map_open(&bad, mem, "m", 4, 16),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_null(bad);
	assert_fails_with(zeroipc_map_open(&bad, mem, "m", 8, 8),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_map_open(&bad, mem, "m", 16, 8),
			  ZEROIPC_ESIZE_MISMATCH);
	/* A map with values is no set. */
	assert_fails_with(zeroipc_set_open(&set, mem, "m", 8),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_null(set);
	assert_ok(zeroipc_map_validate(mem, "m"));
	assert_fails_with(zeroipc_set_validate(mem, "m"),
			  ZEROIPC_ESIZE_MISMATCH);
	/* Not a map at all: an Array entry too small for the header. */
	{
		zeroipc_array *arr = NULL;

		assert_ok(zeroipc_array_create(&arr, mem, "arr", 4, 2));
		assert_fails_with(zeroipc_map_open(&bad, mem, "arr", 8, 16),
				  ZEROIPC_ECORRUPT);
		assert_fails_with(zeroipc_map_validate(mem, "arr"),
				  ZEROIPC_ECORRUPT);
		zeroipc_array_close(arr);
	}
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_readonly_handle_reads_only(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_map *map = NULL, *rmap = NULL;
	uint64_t k = 1, v = 11, got = 0, cursor = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, 8));
	assert_ok(zeroipc_map_insert(map, &k, &v));
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_ok(zeroipc_map_open(&rmap, ro, "m", 8, 8));
	assert_ok(zeroipc_map_find(&got, rmap, &k));
	assert_int_equal(got, 11);
	assert_int_equal(zeroipc_map_contains(rmap, &k), 1);
	assert_ok(zeroipc_map_next(&k, &got, rmap, &cursor));
	assert_ok(zeroipc_map_validate(ro, "m"));
	k = 2;
	assert_fails_with(zeroipc_map_insert(rmap, &k, &v), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_map_insert_or_update(rmap, &k, &v),
			  ZEROIPC_EREADONLY);
	k = 1;
	assert_fails_with(zeroipc_map_erase(rmap, &k), ZEROIPC_EREADONLY);
	assert_int_equal(zeroipc_map_size(rmap), 1);
	zeroipc_map_close(rmap);
	zeroipc_memory_close(ro);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/*
 * A process that died right after publishing INSERTING: the next operation
 * on that key finishes the insert instead of waiting for anybody.
 */
static void test_map_finishes_an_orphaned_insert(void **state)
{
	enum { CAP = 8 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t keys[1], home, v = 77, got = 0;
	unsigned char *base, *slot;
	char name[128];

	(void)state;
	colliding_keys(keys, 1, CAP, &home);
	mem = zt_create(name, sizeof(name), "map-orphan", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	base = zt_entry_base(mem, "m", NULL);
	slot = base + slot_off(home, 8, 8);
	/* What the dead inserter wrote: key, value, count, INSERTING. */
	zt_wr64(slot, 8, keys[0]);
	zt_wr64(slot, 16, v);
	zt_wr32(base, M_SIZE, 1);
	zt_wr64(slot, 0, CTL(2, S_INSERTING));
	assert_ok(zeroipc_map_validate(mem, "m"));
	/* Not present until decided; contains decides it. */
	assert_int_equal(zeroipc_map_contains(map, &keys[0]), 1);
	assert_int_equal(zt_rd64(slot, 0), CTL(3, S_FULL));
	assert_ok(zeroipc_map_find(&got, map, &keys[0]));
	assert_int_equal(got, 77);
	assert_int_equal(zeroipc_map_size(map), 1);
	assert_fails_with(zeroipc_map_insert(map, &keys[0], &v),
			  ZEROIPC_EEXISTS);
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/*
 * Two dead inserters of the same key, both INSERTING: the earlier one in
 * the chain wins, the later one yields, and the key is there once.
 */
static void test_map_orphaned_twins_resolve_to_one(void **state)
{
	enum { CAP = 8 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t keys[1], home, k, v, got = 0, cursor = 0, n = 0;
	unsigned char *base, *first, *second;
	char name[128];

	(void)state;
	colliding_keys(keys, 1, CAP, &home);
	mem = zt_create(name, sizeof(name), "map-twins", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	base = zt_entry_base(mem, "m", NULL);
	first = base + slot_off(home, 8, 8);
	second = base + slot_off((home + 1) & (CAP - 1), 8, 8);
	zt_wr64(first, 8, keys[0]);
	zt_wr64(first, 16, 1);
	zt_wr64(second, 8, keys[0]);
	zt_wr64(second, 16, 2);
	zt_wr32(base, M_SIZE, 2);
	zt_wr64(first, 0, CTL(2, S_INSERTING));
	zt_wr64(second, 0, CTL(2, S_INSERTING));

	assert_ok(zeroipc_map_find(&got, map, &keys[0]));
	assert_int_equal(got, 1);
	assert_int_equal(zt_rd64(first, 0), CTL(3, S_FULL));
	/* The later twin was made to yield; its dead owner never frees it. */
	assert_int_equal(zt_rd64(second, 0) & 7, S_RETIRING);
	assert_ok(zeroipc_map_validate(mem, "m"));
	while (zeroipc_map_next(&k, &v, map, &cursor) == 0) {
		assert_int_equal(k, keys[0]);
		n++;
	}
	assert_int_equal(n, 1);
	/* The leaked count is within what validate accepts. */
	assert_int_equal(zeroipc_map_size(map), 2);
	assert_ok(zeroipc_map_erase(map, &keys[0]));
	assert_int_equal(zeroipc_map_contains(map, &keys[0]), 0);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/* A dead claimer leaves a BUSY slot: lost capacity, nothing else. */
static void test_map_skips_a_dead_claim(void **state)
{
	enum { CAP = 4 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t k, v = 0;
	unsigned char *base;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-busy", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	base = zt_entry_base(mem, "m", NULL);
	zt_wr64(base, slot_off(2, 8, 8), CTL(1, S_BUSY));
	for (k = 0; k < CAP - 1; k++)
		assert_ok(zeroipc_map_insert(map, &k, &v));
	assert_fails_with(zeroipc_map_insert(map, &k, &v), ZEROIPC_EFULL);
	for (k = 0; k < CAP - 1; k++)
		assert_int_equal(zeroipc_map_contains(map, &k), 1);
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/*
 * A process that died rewriting a value leaves that key LOCKED: its reads,
 * updates and erases time out; everything else keeps working.
 */
static void test_map_locked_value_times_out(void **state)
{
	enum { CAP = 8 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t keys[1], home, k, v = 5, got = 0, cursor = 0;
	unsigned char *base, *slot;
	char name[128];

	(void)state;
	colliding_keys(keys, 1, CAP, &home);
	mem = zt_create(name, sizeof(name), "map-locked", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	assert_ok(zeroipc_map_set_timeout(map, 20 * 1000000LL));
	assert_ok(zeroipc_map_insert(map, &keys[0], &v));
	base = zt_entry_base(mem, "m", NULL);
	slot = base + slot_off(home, 8, 8);
	assert_int_equal(zt_rd64(slot, 0), CTL(3, S_FULL));
	zt_wr64(slot, 0, CTL(4, S_LOCKED));

	assert_int_equal(zeroipc_map_contains(map, &keys[0]), 1);
	assert_fails_with(zeroipc_map_find(&got, map, &keys[0]),
			  ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_map_insert_or_update(map, &keys[0], &v),
			  ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_map_erase(map, &keys[0]), ZEROIPC_ETIMEOUT);
	assert_fails_with(zeroipc_map_insert(map, &keys[0], &v),
			  ZEROIPC_EEXISTS);
	assert_fails_with(zeroipc_map_next(&k, &got, map, &cursor),
			  ZEROIPC_ETIMEOUT);
	assert_int_equal(cursor, home + 1);
	/* Keys only: no wait. */
	cursor = 0;
	assert_ok(zeroipc_map_next(&k, NULL, map, &cursor));
	assert_int_equal(k, keys[0]);
	/* A timeout of 0 gives up at once. */
	assert_ok(zeroipc_map_set_timeout(map, 0));
	assert_fails_with(zeroipc_map_find(&got, map, &keys[0]),
			  ZEROIPC_ETIMEOUT);
	/* Other keys are unaffected. */
	k = keys[0] + 1;
	assert_ok(zeroipc_map_insert(map, &k, &v));
	assert_ok(zeroipc_map_find(&got, map, &k));
	assert_ok(zeroipc_map_erase(map, &k));
	assert_ok(zeroipc_map_validate(mem, "m"));
	/* Unlocked again (the writer finished after all): all works. */
	zt_wr64(slot, 0, CTL(5, S_FULL));
	assert_ok(zeroipc_map_find(&got, map, &keys[0]));
	assert_int_equal(got, 5);
	assert_ok(zeroipc_map_erase(map, &keys[0]));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/* ---- hostile headers ---- */

/* Create a fresh 8/8 map of 16 slots named "m" and return its base. */
static unsigned char *hostile_setup(zeroipc_memory **mem, char *name,
				    size_t len, const char *tag)
{
	zeroipc_map *map = NULL;
	uint64_t k, v;

	*mem = zt_create(name, len, tag, SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, *mem, "m", 8, 8, 16));
	for (k = 0; k < 5; k++) {
		v = k;
		assert_ok(zeroipc_map_insert(map, &k, &v));
	}
	zeroipc_map_close(map);
	return zt_entry_base(*mem, "m", NULL);
}

/* The opener of the hostile-header cases: 8-byte keys and values. */
static int open_hostile(zeroipc_memory *mem, const char *mname)
{
	zeroipc_map *map = (void *)1;
	int rc = zeroipc_map_open(&map, mem, mname, 8, 8);

	if (rc == 0)
		zeroipc_map_close(map);
	else
		assert_null(map);
	return rc;
}

static void test_map_hostile_headers_are_rejected(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t value;
		int status;
	} cases[] = {
		{ M_CAPACITY, 0, ZEROIPC_ECORRUPT },
		{ M_CAPACITY, 12, ZEROIPC_ECORRUPT },      /* not 2^n */
		{ M_CAPACITY, 32, ZEROIPC_ECORRUPT },      /* entry too small */
		{ M_CAPACITY, 0x80000000u, ZEROIPC_ECORRUPT },
		{ M_CAPACITY, 0xFFFFFFFFu, ZEROIPC_ECORRUPT },
		{ M_CAPACITY, 8, ZEROIPC_ECORRUPT },       /* entry too big */
		{ M_KEY_SIZE, 0, ZEROIPC_ECORRUPT },
		{ M_KEY_SIZE, 4, ZEROIPC_ESIZE_MISMATCH },
		{ M_VALUE_SIZE, 0xFFFFFFFFu, ZEROIPC_ESIZE_MISMATCH },
		{ M_SLOT_SIZE, 16, ZEROIPC_ECORRUPT },
		{ M_SLOT_SIZE, 0, ZEROIPC_ECORRUPT },
		{ M_SIZE, 17, ZEROIPC_ECORRUPT },
		{ M_SIZE, 0xFFFFFFFFu, ZEROIPC_ECORRUPT },
	};
	zeroipc_memory *mem;
	zeroipc_map *map;
	struct zt_hostile h;
	unsigned char *base;
	char name[128];

	(void)state;
	base = hostile_setup(&mem, name, sizeof(name), "map-hostile");
	h = (struct zt_hostile){ .mem = mem, .name = "m", .base = base,
				 .open = open_hostile,
				 .validate = zeroipc_map_validate };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		/* Validation states no sizes: a header the opener finds
		 * corrupt is corrupt for it too. */
		zt_expect_hostile(&h, cases[i].off, 4, cases[i].value,
				  cases[i].status,
				  cases[i].status == ZEROIPC_ECORRUPT
					  ? ZEROIPC_ECORRUPT
					  : 0);
	/* Restored, it opens. */
	assert_ok(zeroipc_map_open(&map, mem, "m", 8, 8));
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

/* An entry whose recorded size disagrees with its header. */
static void test_map_entry_size_mismatch_is_corrupt(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = (void *)1;
	unsigned char *base;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "map-entry", SEG_SIZE, 0);
	/* A raw entry of the wrong size with a plausible header. */
	assert_ok(zeroipc_table_add(NULL, mem, "m", 32 + 16 * 24 - 8));
	base = zt_entry_base(mem, "m", NULL);
	zt_wr32(base, M_CAPACITY, 16);
	zt_wr32(base, M_KEY_SIZE, 8);
	zt_wr32(base, M_VALUE_SIZE, 8);
	zt_wr32(base, M_SLOT_SIZE, 24);
	assert_fails_with(zeroipc_map_open(&map, mem, "m", 8, 8),
			  ZEROIPC_ECORRUPT);
	assert_null(map);
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	zt_destroy(mem, name);
}

/*
 * Scribbles after open: the handle keeps what it validated, so every
 * operation stays inside the entry (ASan checks), and validate reports.
 */
static void test_map_scribbles_after_open_stay_in_bounds(void **state)
{
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t k, v, cursor = 0;
	unsigned char *base;
	char name[128];

	(void)state;
	base = hostile_setup(&mem, name, sizeof(name), "map-scribble");
	assert_ok(zeroipc_map_open(&map, mem, "m", 8, 8));
	zt_wr32(base, M_CAPACITY, 0x80000000u);
	zt_wr32(base, M_SLOT_SIZE, 0xFFFFFFF8u);
	zt_wr32(base, M_SIZE, 0xFFFFFFF0u);
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	assert_int_equal(zeroipc_map_size(map), 16); /* clamped */
	for (k = 0; k < 40; k++) {
		v = k;
		(void)zeroipc_map_insert_or_update(map, &k, &v);
		(void)zeroipc_map_contains(map, &k);
		(void)zeroipc_map_find(&v, map, &k);
	}
	while (zeroipc_map_next(&k, &v, map, &cursor) == 0)
		assert_true(cursor <= 16);
	zt_wr32(base, M_CAPACITY, 16);
	zt_wr32(base, M_SLOT_SIZE, 24);
	zt_wr32(base, M_SIZE, 16);
	assert_ok(zeroipc_map_validate(mem, "m"));

	/* Slot states that do not exist: skipped by operations, reported by
	 * validate. */
	for (int i = 0; i < 16; i++)
		zt_wr64(base, slot_off(i, 8, 8), CTL(9, 7));
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	k = 1;
	assert_int_equal(zeroipc_map_contains(map, &k), 0);
	assert_fails_with(zeroipc_map_insert(map, &k, &v), ZEROIPC_EFULL);
	assert_fails_with(zeroipc_map_erase(map, &k), ZEROIPC_ENOT_FOUND);
	cursor = 0;
	assert_fails_with(zeroipc_map_next(&k, &v, map, &cursor),
			  ZEROIPC_ENOT_FOUND);
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

static void test_map_validate_finds_duplicates_and_lost_keys(void **state)
{
	enum { CAP = 16 };
	zeroipc_memory *mem;
	zeroipc_map *map = NULL;
	uint64_t keys[2], home, v = 1;
	unsigned char *base, *a, *b;
	char name[128];

	(void)state;
	colliding_keys(keys, 2, CAP, &home);
	mem = zt_create(name, sizeof(name), "map-validate", SEG_SIZE, 0);
	assert_ok(zeroipc_map_create(&map, mem, "m", 8, 8, CAP));
	base = zt_entry_base(mem, "m", NULL);
	assert_ok(zeroipc_map_insert(map, &keys[0], &v));
	assert_ok(zeroipc_map_insert(map, &keys[1], &v));
	a = base + slot_off(home, 8, 8);
	b = base + slot_off((home + 1) & (CAP - 1), 8, 8);
	assert_ok(zeroipc_map_validate(mem, "m"));

	/* The same key twice. */
	zt_wr64(b, 8, keys[0]);
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	zt_wr64(b, 8, keys[1]);
	/* A key cut off from its home by an EMPTY slot. */
	zt_wr64(a, 0, CTL(0, S_EMPTY));
	zt_wr32(base, M_SIZE, 1);
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	zt_wr64(a, 0, CTL(3, S_FULL));
	/* Counts: size below the entries present, above the slots used. */
	zt_wr32(base, M_SIZE, 1);
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	zt_wr32(base, M_SIZE, 3);
	assert_fails_with(zeroipc_map_validate(mem, "m"), ZEROIPC_ECORRUPT);
	zt_wr32(base, M_SIZE, 2);
	assert_ok(zeroipc_map_validate(mem, "m"));
	zeroipc_map_close(map);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_create_open_and_getters),
		cmocka_unit_test(test_map_close_and_getters_accept_null),
		cmocka_unit_test(test_map_rejects_bad_arguments),
		cmocka_unit_test(test_map_layout_matches_specification),
		cmocka_unit_test(test_map_hash_is_fnv1a_folded),
		cmocka_unit_test(test_map_insert_find_erase),
		cmocka_unit_test(test_map_insert_existing_returns_eexists),
		cmocka_unit_test(test_map_full_returns_efull_until_an_erase),
		cmocka_unit_test(test_map_insert_scans_past_tombstones),
		cmocka_unit_test(test_map_iterates_each_entry_once),
		cmocka_unit_test(test_map_odd_sizes_and_records),
		cmocka_unit_test(test_map_value_size_zero_works_as_a_set),
		cmocka_unit_test(
			test_map_open_with_wrong_sizes_is_size_mismatch),
		cmocka_unit_test(test_map_readonly_handle_reads_only),
		cmocka_unit_test(test_map_finishes_an_orphaned_insert),
		cmocka_unit_test(test_map_orphaned_twins_resolve_to_one),
		cmocka_unit_test(test_map_skips_a_dead_claim),
		cmocka_unit_test(test_map_locked_value_times_out),
		cmocka_unit_test(test_map_hostile_headers_are_rejected),
		cmocka_unit_test(test_map_entry_size_mismatch_is_corrupt),
		cmocka_unit_test(test_map_scribbles_after_open_stay_in_bounds),
		cmocka_unit_test(
			test_map_validate_finds_duplicates_and_lost_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
