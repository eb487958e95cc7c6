/* SPDX-License-Identifier: MIT */
/*
 * ffi_set.c - drive the set API the way a foreign language does: dlopen the
 * built library, resolve every zeroipc_set_* symbol at ZEROIPC_1.0 with
 * dlvsym, and call each through libffi with raw argument types.
 *
 * Nothing from src/ or include/ is used.  Status numbers are ABI (frozen in
 * common.h) and appear as literals on purpose.
 *
 * usage: ffi_set <path to libzeroipc.so.1>
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

/* ---- one wrapper per set symbol, with the documented signature ---- */

static int set_create(void **out, void *mem, const char *name, uint64_t ks,
		      uint64_t capacity)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_uint64 };
	void *v[] = { &out, &mem, &name, &ks, &capacity };

	return call_int("zeroipc_set_create", 5, t, v);
}

static int set_open(void **out, void *mem, const char *name, uint64_t ks)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64 };
	void *v[] = { &out, &mem, &name, &ks };

	return call_int("zeroipc_set_open", 4, t, v);
}

static void set_close(void *set)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &set };

	call("zeroipc_set_close", &ffi_type_void, NULL, 1, t, v);
}

/* insert, contains, erase: (set, key). */
static int set_k(const char *fn, void *set, const void *key)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &set, &key };

	return call_int(fn, 2, t, v);
}

static int set_next(void *key_out, void *set, uint64_t *cursor)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer };
	void *v[] = { &key_out, &set, &cursor };

	return call_int("zeroipc_set_next", 3, t, v);
}

static uint64_t set_u64(const char *fn, void *set)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &set };
	uint64_t r = 0;

	call(fn, &ffi_type_uint64, &r, 1, t, v);
	return r;
}

/* By name on the memory handle: validation needs no set handle. */
static int set_validate(void *mem, const char *name)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &mem, &name };

	return call_int("zeroipc_set_validate", 2, t, v);
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

int main(int argc, char **argv)
{
	void *mem = NULL, *set = NULL, *again = NULL;
	uint64_t cursor = 0, n = 0;
	char key[6], got[6], seg[128];

	if (argc < 2) {
		fprintf(stderr, "usage: %s <libzeroipc.so.1>\n", argv[0]);
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dlopen(%s): %s\n", argv[1], dlerror());
		return 1;
	}
	zt_name(seg, sizeof(seg), "ffi-set");
	CHECK_RC(memory_create(&mem, seg, 1 << 16), ST_OK);
	if (mem == NULL)
		return 1;

	/* 6-byte keys: names padded with NULs. */
	CHECK_RC(set_create(&set, mem, "names", 6, 16), ST_OK);
	if (set == NULL)
		return 1;
	CHECK_RC(set_u64("zeroipc_set_capacity", set), 16);
	CHECK_RC(set_u64("zeroipc_set_key_size", set), 6);
	CHECK_RC(set_open(&again, mem, "names", 5), ST_ESIZE_MISMATCH);
	CHECK_RC(set_open(&again, mem, "names", 6), ST_OK);
	for (int i = 0; i < 10; i++) {
		memset(key, 0, sizeof(key));
		snprintf(key, sizeof(key), "n%d", i);
		CHECK_RC(set_k("zeroipc_set_insert", set, key), ST_OK);
	}
	memset(key, 0, sizeof(key));
	memcpy(key, "n3", 2);
	CHECK_RC(set_k("zeroipc_set_insert", again, key), ST_EEXISTS);
	CHECK_RC(set_k("zeroipc_set_contains", again, key), 1);
	CHECK_RC(set_k("zeroipc_set_erase", again, key), ST_OK);
	CHECK_RC(set_k("zeroipc_set_contains", set, key), 0);
	CHECK_RC(set_k("zeroipc_set_erase", set, key), ST_ENOT_FOUND);
	CHECK_RC(set_u64("zeroipc_set_size", set), 9);
	while (set_next(got, again, &cursor) == ST_OK) {
		CHECK_RC(got[0], 'n');
		CHECK_RC(strcmp(got, "n3") != 0, 1);
		n++;
	}
	CHECK_RC(n, 9);
	CHECK_RC(set_validate(mem, "names"), ST_OK);
	CHECK_RC(set_validate(NULL, "names"), ST_EINVAL);
	CHECK_RC(set_validate(mem, "nope"), ST_ENOT_FOUND);
	CHECK_RC(set_k("zeroipc_set_insert", NULL, key), ST_EINVAL);
	for (int i = 10; i < 40; i++) {
		int rc;

		memset(key, 0, sizeof(key));
		snprintf(key, sizeof(key), "n%d", i);
		rc = set_k("zeroipc_set_insert", set, key);
		if (rc == ST_EFULL)
			break;
		CHECK_RC(rc, ST_OK);
	}
	CHECK_RC(set_u64("zeroipc_set_size", again), 16);
	set_close(again);
	set_close(set);
	set_close(NULL);
	memory_close(mem);
	CHECK_RC(memory_unlink(seg), ST_OK);
	dlclose(lib);
	if (zt_failures == 0)
		printf("ffi_set: all set symbols called through libffi\n");
	return zt_failures != 0;
}
