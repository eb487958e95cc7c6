/* SPDX-License-Identifier: MIT */
/*
 * ffi_map.c - drive the map API the way a foreign language does: dlopen the
 * built library, resolve every zeroipc_map_* symbol at ZEROIPC_1.0 with
 * dlvsym, and call each through libffi with raw argument types.
 *
 * Nothing from src/ or include/ is used.  Status numbers are ABI (frozen in
 * common.h) and appear as literals on purpose.
 *
 * usage: ffi_map <path to libzeroipc.so.1>
 */
#include <dlfcn.h>
#include <ffi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_test.h"

#define ST_OK 0
#define ST_EINVAL (-1)
#define ST_ENOT_FOUND (-4)
#define ST_EEXISTS (-5)
#define ST_ESIZE_MISMATCH (-12)
#define ST_EFULL (-15)

#define NODE "ZEROIPC_1.0"

static void *lib;

static void *resolve(const char *name)
{
	void *addr = dlvsym(lib, name, NODE);

	if (addr == NULL) {
		fprintf(stderr, "dlvsym(%s, %s) failed: %s\n", name, NODE,
			dlerror());
		exit(1);
	}
	return addr;
}

static void call(const char *name, ffi_type *rtype, void *ret, unsigned nargs,
		 ffi_type **types, void **values)
{
	ffi_cif cif;
	ffi_arg scratch;

	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, nargs, rtype, types) !=
	    FFI_OK) {
		fprintf(stderr, "ffi_prep_cif(%s) failed\n", name);
		exit(1);
	}
	ffi_call(&cif, FFI_FN(resolve(name)), ret != NULL ? ret : &scratch,
		 values);
}

static int call_int(const char *name, unsigned nargs, ffi_type **types,
		    void **values)
{
	ffi_arg r = 0;

	call(name, &ffi_type_sint, &r, nargs, types, values);
	return (int)(ffi_sarg)r;
}

static const char *last_error(void)
{
	const char *s = NULL;

	call("zeroipc_last_error", &ffi_type_pointer, &s, 0, NULL, NULL);
	return s != NULL ? s : "(NULL!)";
}

#define CHECK_RC(got, want)                                                    \
	do {                                                                   \
		long long got_ = (got), want_ = (want);                        \
		if (got_ != want_) {                                           \
			fprintf(stderr, "%s:%d: %s returned %lld, expected "   \
				"%lld (last_error: %s)\n", __FILE__, __LINE__, \
				#got, got_, want_, last_error());              \
			zt_failures++;                                         \
		}                                                              \
	} while (0)

/* ---- one wrapper per map symbol, with the documented signature ---- */

static int map_create(void **out, void *mem, const char *name, uint64_t ks,
		      uint64_t vs, uint64_t capacity)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_uint64, &ffi_type_uint64 };
	void *v[] = { &out, &mem, &name, &ks, &vs, &capacity };

	return call_int("zeroipc_map_create", 6, t, v);
}

static int map_open(void **out, void *mem, const char *name, uint64_t ks,
		    uint64_t vs)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_uint64 };
	void *v[] = { &out, &mem, &name, &ks, &vs };

	return call_int("zeroipc_map_open", 5, t, v);
}

static void map_close(void *map)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &map };

	call("zeroipc_map_close", &ffi_type_void, NULL, 1, t, v);
}

/* insert, insert_or_update: (map, key, value). */
static int map_kv(const char *fn, void *map, const void *key,
		  const void *value)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer };
	void *v[] = { &map, &key, &value };

	return call_int(fn, 3, t, v);
}

static int map_find(void *value_out, void *map, const void *key)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer };
	void *v[] = { &value_out, &map, &key };

	return call_int("zeroipc_map_find", 3, t, v);
}

/* contains, erase: (map, key). */
static int map_k(const char *fn, void *map, const void *key)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &map, &key };

	return call_int(fn, 2, t, v);
}

static int map_next(void *key_out, void *value_out, void *map,
		    uint64_t *cursor)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &key_out, &value_out, &map, &cursor };

	return call_int("zeroipc_map_next", 4, t, v);
}

static int map_set_timeout(void *map, int64_t ns)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_sint64 };
	void *v[] = { &map, &ns };

	return call_int("zeroipc_map_set_timeout", 2, t, v);
}

static uint64_t map_u64(const char *fn, void *map)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &map };
	uint64_t r = 0;

	call(fn, &ffi_type_uint64, &r, 1, t, v);
	return r;
}

/* By name on the memory handle: validation needs no map handle. */
static int map_validate(void *mem, const char *name)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &mem, &name };

	return call_int("zeroipc_map_validate", 2, t, v);
}

static int memory_create(void **out, const char *name, uint64_t size)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_uint64, &ffi_type_pointer };
	void *opts = NULL;
	void *v[] = { &out, &name, &size, &opts };

	return call_int("zeroipc_memory_create", 4, t, v);
}

static void memory_close(void *mem)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &mem };

	call("zeroipc_memory_close", &ffi_type_void, NULL, 1, t, v);
}

static int memory_unlink(const char *name)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &name };

	return call_int("zeroipc_memory_unlink", 1, t, v);
}

struct val {
	double x;
	char tag[12];
};

int main(int argc, char **argv)
{
	void *mem = NULL, *map = NULL, *again = NULL;
	uint64_t key, cursor = 0, sum = 0, n = 0;
	struct val val, got;
	char seg[128];

	if (argc < 2) {
		fprintf(stderr, "usage: %s <libzeroipc.so.1>\n", argv[0]);
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dlopen(%s): %s\n", argv[1], dlerror());
		return 1;
	}
	zt_name(seg, sizeof(seg), "ffi-map");
	CHECK_RC(memory_create(&mem, seg, 1 << 16), ST_OK);
	if (mem == NULL)
		return 1;

	CHECK_RC(map_create(&map, mem, "prices", 8, sizeof(val), 50), ST_OK);
	if (map == NULL)
		return 1;
	CHECK_RC(map_u64("zeroipc_map_capacity", map), 64);
	CHECK_RC(map_u64("zeroipc_map_key_size", map), 8);
	CHECK_RC(map_u64("zeroipc_map_value_size", map), sizeof(val));
	CHECK_RC(map_open(&again, mem, "prices", 8, 8), ST_ESIZE_MISMATCH);
	CHECK_RC(map_open(&again, mem, "prices", 8, sizeof(val)), ST_OK);
	CHECK_RC(map_set_timeout(again, 5000000), ST_OK);

	for (key = 1; key <= 20; key++) {
		memset(&val, 0, sizeof(val));
		val.x = (double)key / 4;
		snprintf(val.tag, sizeof(val.tag), "k%llu",
			 (unsigned long long)key);
		CHECK_RC(map_kv("zeroipc_map_insert", map, &key, &val), ST_OK);
	}
	key = 7;
	CHECK_RC(map_kv("zeroipc_map_insert", again, &key, &val), ST_EEXISTS);
	CHECK_RC(map_find(&got, again, &key), ST_OK);
	CHECK_RC(got.x == 1.75, 1);
	CHECK_RC(strcmp(got.tag, "k7"), 0);
	val.x = -1;
	CHECK_RC(map_kv("zeroipc_map_insert_or_update", again, &key, &val),
		 ST_OK);
	CHECK_RC(map_find(&got, map, &key), ST_OK);
	CHECK_RC(got.x == -1, 1);
	CHECK_RC(map_k("zeroipc_map_contains", map, &key), 1);
	CHECK_RC(map_k("zeroipc_map_erase", map, &key), ST_OK);
	CHECK_RC(map_k("zeroipc_map_contains", again, &key), 0);
	CHECK_RC(map_k("zeroipc_map_erase", map, &key), ST_ENOT_FOUND);
	CHECK_RC(map_find(&got, map, &key), ST_ENOT_FOUND);
	CHECK_RC(map_u64("zeroipc_map_size", again), 19);

	/* 64-bit cursor through the call; sum of the keys left. */
	while (map_next(&key, &got, again, &cursor) == ST_OK) {
		sum += key;
		n++;
	}
	CHECK_RC(n, 19);
	CHECK_RC(sum, 20 * 21 / 2 - 7);
	CHECK_RC(cursor, 64);
	CHECK_RC(map_validate(mem, "prices"), ST_OK);
	CHECK_RC(map_validate(NULL, "prices"), ST_EINVAL);
	CHECK_RC(map_validate(mem, "nope"), ST_ENOT_FOUND);
	CHECK_RC(map_k("zeroipc_map_contains", NULL, &key), ST_EINVAL);
	CHECK_RC(map_u64("zeroipc_map_size", NULL), 0);

	/* Fill it up. */
	for (key = 100; key < 200; key++) {
		int rc = map_kv("zeroipc_map_insert", map, &key, &val);

		if (rc == ST_EFULL)
			break;
		CHECK_RC(rc, ST_OK);
	}
	CHECK_RC(map_u64("zeroipc_map_size", map), 64);

	map_close(again);
	map_close(map);
	map_close(NULL);
	memory_close(mem);
	CHECK_RC(memory_unlink(seg), ST_OK);
	dlclose(lib);
	if (zt_failures == 0)
		printf("ffi_map: all map symbols called through libffi\n");
	return zt_failures != 0;
}
