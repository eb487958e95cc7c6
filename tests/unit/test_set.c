/* SPDX-License-Identifier: MIT */
/*
 * test_set.c - hash sets: create/open, the layout of SPECIFICATION.md
 * ("Set": a Map with value_size 0), insert / contains / erase / size /
 * iteration, tombstone reuse and the two-phase insert, a full set, record
 * keys, read-only handles, dead peers' leftovers and hostile headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "zt_map_layout.h"
#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 18)

static void test_set_create_open_and_getters(void **state)
{
	zeroipc_memory *mem, *other = NULL;
	zeroipc_set *set = NULL, *again = NULL;
	zeroipc_map *map = NULL;
	uint32_t k = 7;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-basic", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 4, 33));
	assert_int_equal(zeroipc_set_capacity(set), 64);
	assert_int_equal(zeroipc_set_key_size(set), 4);
	assert_int_equal(zeroipc_set_size(set), 0);
	assert_ok(zeroipc_set_validate(mem, "s"));
	assert_ok(zeroipc_memory_open(&other, name, 0));
	assert_ok(zeroipc_set_open(&again, other, "s", 4));
	assert_ok(zeroipc_set_insert(set, &k));
	assert_int_equal(zeroipc_set_contains(again, &k), 1);
	assert_int_equal(zeroipc_set_size(again), 1);
	/* The same bytes open as a map without values. */
	assert_ok(zeroipc_map_open(&map, other, "s", 4, 0));
	assert_int_equal(zeroipc_map_contains(map, &k), 1);
	zeroipc_map_close(map);
	zeroipc_set_close(again);
	zeroipc_memory_close(other);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

static void test_set_close_and_getters_accept_null(void **state)
{
	(void)state;
	zeroipc_set_close(NULL);
	assert_int_equal(zeroipc_set_size(NULL), 0);
	assert_int_equal(zeroipc_set_capacity(NULL), 0);
	assert_int_equal(zeroipc_set_key_size(NULL), 0);
}

static void test_set_rejects_bad_arguments(void **state)
{
	zeroipc_memory *mem;
	zeroipc_set *set = NULL, *bad = (void *)1;
	const char *long_name = "a-name-of-32-bytes-one-too-many!";
	uint32_t k = 1;
	uint64_t cursor = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-args", SEG_SIZE, 0);
	assert_fails_with(zeroipc_set_create(NULL, mem, "s", 4, 8),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_create(&bad, NULL, "s", 4, 8),
			  ZEROIPC_EINVAL);
	assert_null(bad);
	assert_fails_with(zeroipc_set_create(&bad, mem, "s", 0, 8),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_create(&bad, mem, "s", 4, 0),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_create(&bad, mem, long_name, 4, 8),
			  ZEROIPC_ENAME);
	assert_int_equal(zeroipc_table_count(mem), 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 4, 8));
	assert_fails_with(zeroipc_set_insert(set, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_insert(NULL, &k), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_contains(set, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_erase(set, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_next(&k, set, NULL), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_next(&k, NULL, &cursor),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_validate(NULL, "s"), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_validate(mem, NULL), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_set_validate(mem, "none"),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_set_open(&bad, mem, "s", 0), ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_set_open(&bad, mem, "s", 8),
			  ZEROIPC_ESIZE_MISMATCH);
	assert_fails_with(zeroipc_set_open(&bad, mem, "none", 4),
			  ZEROIPC_ENOT_FOUND);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

static void test_set_layout_matches_specification(void **state)
{
	zeroipc_memory *mem;
	zeroipc_set *set = NULL;
	unsigned char key[5] = { 1, 2, 3, 4, 5 }, *base, *slot;
	zeroipc_table_entry entry;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-layout", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 5, 8));
	base = zt_entry_base(mem, "s", &entry);
	/* Slot: ctl, then the key padded to 8: 16 bytes. */
	assert_int_equal(entry.size, 32 + 8 * 16);
	assert_int_equal(zt_rd32(base, M_CAPACITY), 8);
	assert_int_equal(zt_rd32(base, M_KEY_SIZE), 5);
	assert_int_equal(zt_rd32(base, M_VALUE_SIZE), 0);
	assert_int_equal(zt_rd32(base, M_SLOT_SIZE), 16);
	assert_ok(zeroipc_set_insert(set, key));
	slot = base + M_SLOTS + 16 * zt_home_slot(key, 5, 8);
	assert_int_equal(zt_rd64(slot, 0), CTL(3, S_FULL));
	assert_memory_equal(slot + 8, key, 5);
	assert_int_equal(slot[13] | slot[14] | slot[15], 0);
	assert_int_equal(zt_rd32(base, M_SIZE), 1);
	assert_ok(zeroipc_set_erase(set, key));
	assert_int_equal(zt_rd64(slot, 0), CTL(5, S_TOMBSTONE));
	assert_int_equal(zt_rd32(base, M_SIZE), 0);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

static void test_set_insert_contains_erase_iterate(void **state)
{
	enum { N = 200 };
	static unsigned char seen[N];
	zeroipc_memory *mem;
	zeroipc_set *set = NULL;
	uint64_t cursor = 0, count = 0;
	uint16_t k;
	char name[128];

	(void)state;
	memset(seen, 0, sizeof(seen));
	mem = zt_create(name, sizeof(name), "set-ops", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 2, 256));
	for (k = 0; k < N; k++)
		assert_ok(zeroipc_set_insert(set, &k));
	for (k = 0; k < N; k++)
		assert_fails_with(zeroipc_set_insert(set, &k),
				  ZEROIPC_EEXISTS);
	assert_int_equal(zeroipc_set_size(set), N);
	for (k = 0; k < N; k += 3)
		assert_ok(zeroipc_set_erase(set, &k));
	k = 0;
	assert_fails_with(zeroipc_set_erase(set, &k), ZEROIPC_ENOT_FOUND);
	for (k = 0; k < N + 10; k++)
		assert_int_equal(zeroipc_set_contains(set, &k),
				 k < N && k % 3 != 0);
	while (zeroipc_set_next(&k, set, &cursor) == 0) {
		assert_true(k < N && k % 3 != 0);
		assert_false(seen[k]);
		seen[k] = 1;
		count++;
	}
	assert_int_equal(count, zeroipc_set_size(set));
	assert_int_equal(count, N - (N + 2) / 3);
	assert_ok(zeroipc_set_validate(mem, "s"));
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

static void test_set_full_and_tombstone_reuse(void **state)
{
	enum { CAP = 4 };
	zeroipc_memory *mem;
	zeroipc_set *set = NULL;
	uint64_t k;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-full", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 8, CAP));
	for (k = 0; k < CAP; k++)
		assert_ok(zeroipc_set_insert(set, &k));
	assert_fails_with(zeroipc_set_insert(set, &k), ZEROIPC_EFULL);
	/* Churn through the tombstones many times: they are reused, so the
	 * set never fills up with the dead. */
	{
		uint64_t cur[CAP] = { 0, 1, 2, 3 };

		for (uint64_t round = 0; round < 100; round++) {
			assert_ok(zeroipc_set_erase(set, &cur[round % CAP]));
			cur[round % CAP] = 1000 + round;
			assert_ok(zeroipc_set_insert(set, &cur[round % CAP]));
			assert_int_equal(zeroipc_set_size(set), CAP);
		}
		for (k = 0; k < CAP; k++)
			assert_int_equal(zeroipc_set_contains(set, &cur[k]),
					 1);
	}
	assert_ok(zeroipc_set_validate(mem, "s"));
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

/* Two-phase insert on a set: a key behind a tombstone is not duplicated. */
static void test_set_insert_scans_past_tombstones(void **state)
{
	enum { CAP = 8 };
	zeroipc_memory *mem;
	zeroipc_set *set = NULL;
	uint64_t keys[2], want, k, cursor = 0, n = 0;
	unsigned got = 0;
	char name[128];

	(void)state;
	k = 1;
	want = zt_home_slot(&k, 8, CAP);
	for (k = 1; got < 2; k++)
		if (zt_home_slot(&k, 8, CAP) == want)
			keys[got++] = k;
	mem = zt_create(name, sizeof(name), "set-twophase", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 8, CAP));
	assert_ok(zeroipc_set_insert(set, &keys[0]));
	assert_ok(zeroipc_set_insert(set, &keys[1]));
	assert_ok(zeroipc_set_erase(set, &keys[0]));
	assert_fails_with(zeroipc_set_insert(set, &keys[1]), ZEROIPC_EEXISTS);
	while (zeroipc_set_next(&k, set, &cursor) == 0)
		n++;
	assert_int_equal(n, 1);
	assert_ok(zeroipc_set_validate(mem, "s"));
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

struct point {
	int32_t x, y;
	uint8_t tag;
	uint8_t pad[3]; /* keys compare as bytes: padding must be zero */
};

static void test_set_record_keys(void **state)
{
	zeroipc_memory *mem;
	zeroipc_set *set = NULL;
	struct point p;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-records", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "pts", sizeof(p), 128));
	for (int i = -20; i < 20; i++) {
		memset(&p, 0, sizeof(p));
		p.x = i;
		p.y = -i * 7;
		p.tag = (uint8_t)(i & 3);
		assert_ok(zeroipc_set_insert(set, &p));
	}
	memset(&p, 0, sizeof(p));
	p.x = 3;
	p.y = -21;
	p.tag = 3;
	assert_int_equal(zeroipc_set_contains(set, &p), 1);
	p.tag = 2;
	assert_int_equal(zeroipc_set_contains(set, &p), 0);
	assert_int_equal(zeroipc_set_size(set), 40);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

static void test_set_readonly_handle_reads_only(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_set *set = NULL, *rset = NULL;
	uint32_t k = 3;
	uint64_t cursor = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 4, 8));
	assert_ok(zeroipc_set_insert(set, &k));
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_ok(zeroipc_set_open(&rset, ro, "s", 4));
	assert_int_equal(zeroipc_set_contains(rset, &k), 1);
	k = 0;
	assert_ok(zeroipc_set_next(&k, rset, &cursor));
	assert_int_equal(k, 3);
	assert_fails_with(zeroipc_set_insert(rset, &k), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_set_erase(rset, &k), ZEROIPC_EREADONLY);
	assert_ok(zeroipc_set_validate(ro, "s"));
	zeroipc_set_close(rset);
	zeroipc_memory_close(ro);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

/*
 * A read-only handle cannot finish an orphaned insert: it treats the key as
 * not yet present.  A writable handle finishes it.
 */
static void test_set_orphaned_insert(void **state)
{
	zeroipc_memory *mem, *ro = NULL;
	zeroipc_set *set = NULL, *rset = NULL;
	unsigned char *base, *slot;
	uint64_t k = 12345;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "set-orphan", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 8, 16));
	base = zt_entry_base(mem, "s", NULL);
	slot = base + M_SLOTS + 16 * zt_home_slot(&k, 8, 16);
	zt_wr64(slot, 8, k);
	zt_wr32(base, M_SIZE, 1);
	zt_wr64(slot, 0, CTL(2, S_INSERTING));
	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_ok(zeroipc_set_open(&rset, ro, "s", 8));
	assert_int_equal(zeroipc_set_contains(rset, &k), 0);
	assert_int_equal(zt_rd64(slot, 0), CTL(2, S_INSERTING));
	assert_fails_with(zeroipc_set_insert(set, &k), ZEROIPC_EEXISTS);
	assert_int_equal(zt_rd64(slot, 0), CTL(3, S_FULL));
	assert_int_equal(zeroipc_set_contains(rset, &k), 1);
	assert_int_equal(zeroipc_set_size(set), 1);
	assert_ok(zeroipc_set_validate(mem, "s"));
	zeroipc_set_close(rset);
	zeroipc_memory_close(ro);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

/* The opener of the hostile-header cases: 8-byte keys. */
static int open_hostile(zeroipc_memory *mem, const char *sname)
{
	zeroipc_set *set = (void *)1;
	int rc = zeroipc_set_open(&set, mem, sname, 8);

	if (rc == 0)
		zeroipc_set_close(set);
	else
		assert_null(set);
	return rc;
}

static void test_set_hostile_headers_are_rejected(void **state)
{
	static const struct {
		uint64_t off;
		uint32_t value;
		int status;
	} cases[] = {
		{ M_CAPACITY, 0, ZEROIPC_ECORRUPT },
		{ M_CAPACITY, 6, ZEROIPC_ECORRUPT },
		{ M_CAPACITY, 1u << 31, ZEROIPC_ECORRUPT },
		{ M_KEY_SIZE, 0, ZEROIPC_ECORRUPT },
		{ M_KEY_SIZE, 16, ZEROIPC_ESIZE_MISMATCH },
		{ M_VALUE_SIZE, 8, ZEROIPC_ESIZE_MISMATCH },
		{ M_SLOT_SIZE, 24, ZEROIPC_ECORRUPT },
		{ M_SIZE, 9, ZEROIPC_ECORRUPT },
	};
	zeroipc_memory *mem;
	zeroipc_set *set = NULL;
	struct zt_hostile h;
	unsigned char *base;
	char name[128];
	uint64_t k = 1;

	(void)state;
	mem = zt_create(name, sizeof(name), "set-hostile", SEG_SIZE, 0);
	assert_ok(zeroipc_set_create(&set, mem, "s", 8, 8));
	assert_ok(zeroipc_set_insert(set, &k));
	zeroipc_set_close(set);
	base = zt_entry_base(mem, "s", NULL);
	h = (struct zt_hostile){ .mem = mem, .name = "s",
				 .base = base,
				 .open = open_hostile,
				 .validate = zeroipc_set_validate };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		/* Validation states no key size: a header the opener finds
		 * corrupt is corrupt for it too. */
		zt_expect_hostile(&h, cases[i].off, 4, cases[i].value,
				  cases[i].status,
				  cases[i].status == ZEROIPC_ECORRUPT
					  ? ZEROIPC_ECORRUPT
					  : 0);
	assert_ok(zeroipc_set_open(&set, mem, "s", 8));
	/* Scribbled ctl words after open: no crash, validate reports. */
	for (int i = 0; i < 8; i++)
		zt_wr64(base, M_SLOTS + 16 * (uint64_t)i, UINT64_MAX);
	assert_fails_with(zeroipc_set_validate(mem, "s"), ZEROIPC_ECORRUPT);
	assert_int_equal(zeroipc_set_contains(set, &k), 0);
	assert_fails_with(zeroipc_set_insert(set, &k), ZEROIPC_EFULL);
	zeroipc_set_close(set);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_create_open_and_getters),
		cmocka_unit_test(test_set_close_and_getters_accept_null),
		cmocka_unit_test(test_set_rejects_bad_arguments),
		cmocka_unit_test(test_set_layout_matches_specification),
		cmocka_unit_test(test_set_insert_contains_erase_iterate),
		cmocka_unit_test(test_set_full_and_tombstone_reuse),
		cmocka_unit_test(test_set_insert_scans_past_tombstones),
		cmocka_unit_test(test_set_record_keys),
		cmocka_unit_test(test_set_readonly_handle_reads_only),
		cmocka_unit_test(test_set_orphaned_insert),
		cmocka_unit_test(test_set_hostile_headers_are_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
