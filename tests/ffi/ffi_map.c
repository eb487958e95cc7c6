/* SPDX-License-Identifier: MIT */
/*
 * ffi_map.c - drive the map API the way a foreign language does: every
 * zeroipc_map_* symbol resolved at ZEROIPC_1.0 with dlvsym and called
 * through libffi (ffi_harness.h), on two handles.
 *
 * usage: ffi_map <path to libzeroipc.so.1>
 */
#include "ffi_harness.h"

static const char *const map_symbols[] = {
	"zeroipc_map_capacity",   "zeroipc_map_close",
	"zeroipc_map_contains",   "zeroipc_map_create",
	"zeroipc_map_erase",      "zeroipc_map_find",
	"zeroipc_map_insert",     "zeroipc_map_insert_or_update",
	"zeroipc_map_key_size",   "zeroipc_map_next",
	"zeroipc_map_open",       "zeroipc_map_set_timeout",
	"zeroipc_map_size",       "zeroipc_map_validate",
	"zeroipc_map_value_size",
};

/* ---- the map calls no other family shares a shape with ---- */

static int map_create(void **out, void *mem, const char *name, uint64_t ks,
		      uint64_t vs, uint64_t capacity)
{
	return FH_INT("zeroipc_map_create", "pppUUU", &out, &mem, &name, &ks,
		      &vs, &capacity);
}

static int map_open(void **out, void *mem, const char *name, uint64_t ks,
		    uint64_t vs)
{
	return FH_INT("zeroipc_map_open", "pppUU", &out, &mem, &name, &ks, &vs);
}

static int map_next(void *key_out, void *value_out, void *map, uint64_t *cursor)
{
	return FH_INT("zeroipc_map_next", "pppp", &key_out, &value_out, &map,
		      &cursor);
}

struct val {
	double x;
	char tag[12];
};

static void scenario(void *mem)
{
	void *map = NULL, *again = NULL;
	uint64_t key, cursor = 0, sum = 0, n = 0;
	struct val val, got;

	CHECK_RC(map_create(&map, mem, "prices", 8, sizeof(val), 50), ST_OK);
	if (map == NULL)
		return;
	CHECK_RC(fh_u64("zeroipc_map_capacity", map), 64);
	CHECK_RC(fh_u64("zeroipc_map_key_size", map), 8);
	CHECK_RC(fh_u64("zeroipc_map_value_size", map), sizeof(val));
	CHECK_RC(map_open(&again, mem, "prices", 8, 8), ST_ESIZE_MISMATCH);
	CHECK_RC(map_open(&again, mem, "prices", 8, sizeof(val)), ST_OK);
	CHECK_RC(fh_int_pt("zeroipc_map_set_timeout", again, 5000000), ST_OK);

	for (key = 1; key <= 20; key++) {
		memset(&val, 0, sizeof(val));
		val.x = (double)key / 4;
		snprintf(val.tag, sizeof(val.tag), "k%llu",
			 (unsigned long long)key);
		CHECK_RC(fh_int_ppp("zeroipc_map_insert", map, &key, &val),
			 ST_OK);
	}
	key = 7;
	CHECK_RC(fh_int_ppp("zeroipc_map_insert", again, &key, &val),
		 ST_EEXISTS);
	CHECK_RC(fh_int_ppp("zeroipc_map_find", &got, again, &key), ST_OK);
	CHECK_RC(got.x == 1.75, 1);
	CHECK_RC(strcmp(got.tag, "k7"), 0);
	val.x = -1;
	CHECK_RC(fh_int_ppp("zeroipc_map_insert_or_update", again, &key, &val),
		 ST_OK);
	CHECK_RC(fh_int_ppp("zeroipc_map_find", &got, map, &key), ST_OK);
	CHECK_RC(got.x == -1, 1);
	CHECK_RC(fh_int_pp("zeroipc_map_contains", map, &key), 1);
	CHECK_RC(fh_int_pp("zeroipc_map_erase", map, &key), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_map_contains", again, &key), 0);
	CHECK_RC(fh_int_pp("zeroipc_map_erase", map, &key), ST_ENOT_FOUND);
	CHECK_RC(fh_int_ppp("zeroipc_map_find", &got, map, &key),
		 ST_ENOT_FOUND);
	CHECK_RC(fh_u64("zeroipc_map_size", again), 19);

	/* 64-bit cursor through the call; sum of the keys left. */
	while (map_next(&key, &got, again, &cursor) == ST_OK) {
		sum += key;
		n++;
	}
	CHECK_RC(n, 19);
	CHECK_RC(sum, 20 * 21 / 2 - 7);
	CHECK_RC(cursor, 64);
	/* By name on the memory handle: validation needs no map handle. */
	CHECK_RC(fh_int_pp("zeroipc_map_validate", mem, "prices"), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_map_validate", NULL, "prices"), ST_EINVAL);
	CHECK_RC(fh_int_pp("zeroipc_map_validate", mem, "nope"), ST_ENOT_FOUND);
	CHECK_RC(fh_int_pp("zeroipc_map_contains", NULL, &key), ST_EINVAL);
	CHECK_RC(fh_u64("zeroipc_map_size", NULL), 0);

	/* Fill it up. */
	for (key = 100; key < 200; key++) {
		int rc = fh_int_ppp("zeroipc_map_insert", map, &key, &val);

		if (rc == ST_EFULL)
			break;
		CHECK_RC(rc, ST_OK);
	}
	CHECK_RC(fh_u64("zeroipc_map_size", map), 64);

	fh_close("zeroipc_map_close", again);
	fh_close("zeroipc_map_close", map);
	fh_close("zeroipc_map_close", NULL);
}

int main(int argc, char **argv)
{
	return fh_run(argc, argv, "ffi_map", map_symbols, FH_LEN(map_symbols),
		      scenario);
}
