/* SPDX-License-Identifier: MIT */
/*
 * ffi_set.c - drive the set API the way a foreign language does: every
 * zeroipc_set_* symbol resolved at ZEROIPC_1.0 with dlvsym and called
 * through libffi (ffi_harness.h), on two handles.
 *
 * usage: ffi_set <path to libzeroipc.so.1>
 */
#include "ffi_harness.h"

static const char *const set_symbols[] = {
	"zeroipc_set_capacity", "zeroipc_set_close",    "zeroipc_set_contains",
	"zeroipc_set_create",   "zeroipc_set_erase",    "zeroipc_set_insert",
	"zeroipc_set_key_size", "zeroipc_set_next",     "zeroipc_set_open",
	"zeroipc_set_size",     "zeroipc_set_validate",
};

/* 6-byte keys: names padded with NULs. */
static void set_key(char key[6], int i)
{
	memset(key, 0, 6);
	snprintf(key, 6, "n%d", i);
}

static void scenario(void *mem)
{
	void *set = NULL, *again = NULL;
	uint64_t cursor = 0, n = 0;
	char key[6], got[6];

	CHECK_RC(fh_create("zeroipc_set_create", &set, mem, "names", 6, 16),
		 ST_OK);
	if (set == NULL)
		return;
	CHECK_RC(fh_u64("zeroipc_set_capacity", set), 16);
	CHECK_RC(fh_u64("zeroipc_set_key_size", set), 6);
	CHECK_RC(fh_open("zeroipc_set_open", &again, mem, "names", 5),
		 ST_ESIZE_MISMATCH);
	CHECK_RC(fh_open("zeroipc_set_open", &again, mem, "names", 6), ST_OK);
	for (int i = 0; i < 10; i++) {
		set_key(key, i);
		CHECK_RC(fh_int_pp("zeroipc_set_insert", set, key), ST_OK);
	}
	set_key(key, 3);
	CHECK_RC(fh_int_pp("zeroipc_set_insert", again, key), ST_EEXISTS);
	CHECK_RC(fh_int_pp("zeroipc_set_contains", again, key), 1);
	CHECK_RC(fh_int_pp("zeroipc_set_erase", again, key), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_set_contains", set, key), 0);
	CHECK_RC(fh_int_pp("zeroipc_set_erase", set, key), ST_ENOT_FOUND);
	CHECK_RC(fh_u64("zeroipc_set_size", set), 9);
	while (fh_int_ppp("zeroipc_set_next", got, again, &cursor) == ST_OK) {
		CHECK_RC(got[0], 'n');
		CHECK_RC(strcmp(got, "n3") != 0, 1);
		n++;
	}
	CHECK_RC(n, 9);
	/* By name on the memory handle: validation needs no set handle. */
	CHECK_RC(fh_int_pp("zeroipc_set_validate", mem, "names"), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_set_validate", NULL, "names"), ST_EINVAL);
	CHECK_RC(fh_int_pp("zeroipc_set_validate", mem, "nope"), ST_ENOT_FOUND);
	CHECK_RC(fh_int_pp("zeroipc_set_insert", NULL, key), ST_EINVAL);
	for (int i = 10; i < 40; i++) {
		int rc;

		set_key(key, i);
		rc = fh_int_pp("zeroipc_set_insert", set, key);
		if (rc == ST_EFULL)
			break;
		CHECK_RC(rc, ST_OK);
	}
	CHECK_RC(fh_u64("zeroipc_set_size", again), 16);
	fh_close("zeroipc_set_close", again);
	fh_close("zeroipc_set_close", set);
	fh_close("zeroipc_set_close", NULL);
}

int main(int argc, char **argv)
{
	return fh_run(argc, argv, "ffi_set", set_symbols, FH_LEN(set_symbols),
		      scenario);
}
