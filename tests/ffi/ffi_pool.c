/* SPDX-License-Identifier: MIT */
/*
 * ffi_pool.c - drive the pool API the way a foreign language does: dlopen
 * the built library, resolve every zeroipc_pool_* symbol at ZEROIPC_1.0
 * with dlvsym, and call each through libffi with raw argument types.
 *
 * Nothing from src/ or include/ is used.  Status numbers are ABI (frozen in
 * common.h) and appear as literals on purpose.
 *
 * usage: ffi_pool <path to libzeroipc.so.1>
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
#define ST_ESIZE_MISMATCH (-12)
#define ST_ERANGE (-13)
#define ST_EFULL (-15)
#define ST_ETIMEOUT (-16)
#define ST_ENOT_ALLOCATED (-22)

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

/* ---- one wrapper per pool symbol, with the documented signature ---- */

static int pool_create(void **out, void *mem, const char *name,
		       uint64_t elem_size, uint64_t capacity)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_uint64 };
	void *v[] = { &out, &mem, &name, &elem_size, &capacity };

	return call_int("zeroipc_pool_create", 5, t, v);
}

static int pool_open(void **out, void *mem, const char *name,
		     uint64_t elem_size)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64 };
	void *v[] = { &out, &mem, &name, &elem_size };

	return call_int("zeroipc_pool_open", 4, t, v);
}

static void pool_close(void *pool)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &pool };

	call("zeroipc_pool_close", &ffi_type_void, NULL, 1, t, v);
}

static int pool_try_allocate(uint64_t *index_out, void *pool)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &index_out, &pool };

	return call_int("zeroipc_pool_try_allocate", 2, t, v);
}

static int pool_allocate(uint64_t *index_out, void *pool, int64_t timeout)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_sint64 };
	void *v[] = { &index_out, &pool, &timeout };

	return call_int("zeroipc_pool_allocate", 3, t, v);
}

static int pool_free(void *pool, uint64_t index)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_uint64 };
	void *v[] = { &pool, &index };

	return call_int("zeroipc_pool_free", 2, t, v);
}

static int pool_ptr(void **out, void *pool, uint64_t index)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_uint64 };
	void *v[] = { &out, &pool, &index };

	return call_int("zeroipc_pool_ptr", 3, t, v);
}

static uint64_t pool_u64(const char *name, void *pool)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &pool };
	uint64_t r = 0;

	call(name, &ffi_type_uint64, &r, 1, t, v);
	return r;
}

/* By name on the memory handle: validation needs no pool handle. */
static int pool_validate(void *mem, const char *name)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &mem, &name };

	return call_int("zeroipc_pool_validate", 2, t, v);
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
	void *mem = NULL, *pool = NULL, *again = NULL, *p = NULL, *q = NULL;
	uint64_t idx = 0, idx2 = 0;
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
	zt_name(seg, sizeof(seg), "ffi-pool");
	CHECK_RC(memory_create(&mem, seg, 1 << 16), ST_OK);
	if (mem == NULL)
		return 1;

	CHECK_RC(pool_create(&pool, mem, "objs", 24, 3), ST_OK);
	CHECK_RC(pool_u64("zeroipc_pool_capacity", pool), 3);
	CHECK_RC(pool_u64("zeroipc_pool_elem_size", pool), 24);
	CHECK_RC(pool_u64("zeroipc_pool_in_use", pool), 0);
	CHECK_RC(pool_open(&again, mem, "objs", 8), ST_ESIZE_MISMATCH);
	CHECK_RC(pool_open(&again, mem, "objs", 24), ST_OK);

	/* A 64-bit index crosses the call intact: 2^32 + 1 is out of range,
	 * not object 1. */
	CHECK_RC(pool_try_allocate(&idx, pool), ST_OK);
	CHECK_RC(idx, 0);
	CHECK_RC(pool_free(pool, ((uint64_t)1 << 32) + 1), ST_ERANGE);
	CHECK_RC(pool_ptr(&p, pool, idx), ST_OK);
	memcpy(p, "through libffi", 15);
	CHECK_RC(pool_ptr(&q, again, idx), ST_OK);
	CHECK_RC(memcmp(q, "through libffi", 15), 0);

	CHECK_RC(pool_allocate(&idx2, again, 0), ST_OK);
	CHECK_RC(idx2, 1);
	CHECK_RC(pool_try_allocate(&idx2, pool), ST_OK);
	CHECK_RC(pool_try_allocate(&idx2, pool), ST_EFULL);
	CHECK_RC(pool_allocate(&idx2, pool, 1000000), ST_ETIMEOUT);
	CHECK_RC(pool_u64("zeroipc_pool_in_use", again), 3);

	CHECK_RC(pool_free(again, 1), ST_OK);
	CHECK_RC(pool_free(pool, 1), ST_ENOT_ALLOCATED);
	CHECK_RC(pool_ptr(&p, pool, 1), ST_ENOT_ALLOCATED);
	CHECK_RC(pool_try_allocate(&idx2, pool), ST_OK);
	CHECK_RC(idx2, 1);
	CHECK_RC(pool_validate(mem, "objs"), ST_OK);
	CHECK_RC(pool_validate(NULL, "objs"), ST_EINVAL);
	CHECK_RC(pool_validate(mem, "nope"), ST_ENOT_FOUND);
	for (uint64_t i = 0; i < 3; i++)
		CHECK_RC(pool_free(pool, i), ST_OK);
	CHECK_RC(pool_u64("zeroipc_pool_in_use", pool), 0);

	pool_close(again);
	pool_close(pool);
	pool_close(NULL);
	memory_close(mem);
	CHECK_RC(memory_unlink(seg), ST_OK);
	dlclose(lib);
	if (zt_failures == 0)
		printf("ffi_pool: all pool symbols called through libffi\n");
	return zt_failures != 0;
}
