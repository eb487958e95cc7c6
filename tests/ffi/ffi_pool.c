/* SPDX-License-Identifier: MIT */
/*
 * ffi_pool.c - drive the pool API the way a foreign language does: every
 * zeroipc_pool_* symbol resolved at ZEROIPC_1.0 with dlvsym and called
 * through libffi (ffi_harness.h), on two handles.
 *
 * usage: ffi_pool <path to libzeroipc.so.1>
 */
#include "ffi_harness.h"

static const char *const pool_symbols[] = {
	"zeroipc_pool_allocate",  "zeroipc_pool_capacity",
	"zeroipc_pool_close",     "zeroipc_pool_create",
	"zeroipc_pool_elem_size", "zeroipc_pool_free",
	"zeroipc_pool_in_use",    "zeroipc_pool_open",
	"zeroipc_pool_ptr",       "zeroipc_pool_try_allocate",
	"zeroipc_pool_validate",
};

/* pool_ptr(&out, pool, index): the one pool call no other shares. */
static int pool_ptr(void **out, void *pool, uint64_t index)
{
	return FH_INT("zeroipc_pool_ptr", "ppU", &out, &pool, &index);
}

static void scenario(void *mem)
{
	void *pool = NULL, *again = NULL, *p = NULL, *q = NULL;
	uint64_t idx = 0, idx2 = 0;

	CHECK_RC(fh_create("zeroipc_pool_create", &pool, mem, "objs", 24, 3),
		 ST_OK);
	CHECK_RC(fh_u64("zeroipc_pool_capacity", pool), 3);
	CHECK_RC(fh_u64("zeroipc_pool_elem_size", pool), 24);
	CHECK_RC(fh_u64("zeroipc_pool_in_use", pool), 0);
	CHECK_RC(fh_open("zeroipc_pool_open", &again, mem, "objs", 8),
		 ST_ESIZE_MISMATCH);
	CHECK_RC(fh_open("zeroipc_pool_open", &again, mem, "objs", 24), ST_OK);

	/* A 64-bit index crosses the call intact: 2^32 + 1 is out of range,
	 * not object 1. */
	CHECK_RC(fh_int_pp("zeroipc_pool_try_allocate", &idx, pool), ST_OK);
	CHECK_RC(idx, 0);
	CHECK_RC(fh_int_pn("zeroipc_pool_free", pool, ((uint64_t)1 << 32) + 1),
		 ST_ERANGE);
	CHECK_RC(pool_ptr(&p, pool, idx), ST_OK);
	if (p == NULL)
		return;
	memcpy(p, "through libffi", 15);
	CHECK_RC(pool_ptr(&q, again, idx), ST_OK);
	CHECK_RC(q != NULL && memcmp(q, "through libffi", 15) == 0, 1);

	CHECK_RC(fh_int_ppt("zeroipc_pool_allocate", &idx2, again, 0), ST_OK);
	CHECK_RC(idx2, 1);
	CHECK_RC(fh_int_pp("zeroipc_pool_try_allocate", &idx2, pool), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_pool_try_allocate", &idx2, pool), ST_EFULL);
	CHECK_RC(fh_int_ppt("zeroipc_pool_allocate", &idx2, pool, 1000000),
		 ST_ETIMEOUT);
	CHECK_RC(fh_u64("zeroipc_pool_in_use", again), 3);

	CHECK_RC(fh_int_pn("zeroipc_pool_free", again, 1), ST_OK);
	CHECK_RC(fh_int_pn("zeroipc_pool_free", pool, 1), ST_ENOT_ALLOCATED);
	CHECK_RC(pool_ptr(&p, pool, 1), ST_ENOT_ALLOCATED);
	CHECK_RC(fh_int_pp("zeroipc_pool_try_allocate", &idx2, pool), ST_OK);
	CHECK_RC(idx2, 1);
	/* By name on the memory handle: validation needs no pool handle. */
	CHECK_RC(fh_int_pp("zeroipc_pool_validate", mem, "objs"), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_pool_validate", NULL, "objs"), ST_EINVAL);
	CHECK_RC(fh_int_pp("zeroipc_pool_validate", mem, "nope"),
		 ST_ENOT_FOUND);
	for (uint64_t i = 0; i < 3; i++)
		CHECK_RC(fh_int_pn("zeroipc_pool_free", pool, i), ST_OK);
	CHECK_RC(fh_u64("zeroipc_pool_in_use", pool), 0);

	fh_close("zeroipc_pool_close", again);
	fh_close("zeroipc_pool_close", pool);
	fh_close("zeroipc_pool_close", NULL);
}

int main(int argc, char **argv)
{
	return fh_run(argc, argv, "ffi_pool", pool_symbols,
		      FH_LEN(pool_symbols), scenario);
}
