/* SPDX-License-Identifier: MIT */
/*
 * ffi_stack.c - drive the stack API the way a foreign language does: every
 * zeroipc_stack_* symbol resolved at ZEROIPC_1.0 with dlvsym and called
 * through libffi (ffi_harness.h), on two handles.
 *
 * usage: ffi_stack <path to libzeroipc.so.1>
 */
#include "ffi_harness.h"

static const char *const stack_symbols[] = {
	"zeroipc_stack_capacity", "zeroipc_stack_close",
	"zeroipc_stack_create",   "zeroipc_stack_elem_size",
	"zeroipc_stack_empty",    "zeroipc_stack_full",
	"zeroipc_stack_open",     "zeroipc_stack_pop",
	"zeroipc_stack_push",     "zeroipc_stack_set_slot_timeout",
	"zeroipc_stack_size",     "zeroipc_stack_slot_timeout",
	"zeroipc_stack_top",      "zeroipc_stack_try_pop",
	"zeroipc_stack_try_push", "zeroipc_stack_validate",
};

static int64_t slot_timeout(void *s)
{
	int64_t ns = 0;

	FH_CALL("zeroipc_stack_slot_timeout", 'I', &ns, "p", &s);
	return ns;
}

static void scenario(void *mem)
{
	const char *stack_name = "ffi-stack";
	const char *too_long = "abcdefghijklmnopqrstuvwxyz0";
	void *s = NULL, *s2 = NULL;
	uint64_t in[4] = {11, 22, 33, 44}, v = 0;
	int64_t ns = 5000000, slot_ns;

	CHECK_RC(fh_create("zeroipc_stack_create", &s, mem, stack_name, 8, 3),
		 ST_OK);
	CHECK_MSG(s != NULL, "no handle");
	CHECK_RC(fh_create("zeroipc_stack_create", &s2, mem, too_long, 8, 3),
		 ST_ENAME);
	if (s == NULL)
		return;
	CHECK_RC(fh_u64("zeroipc_stack_capacity", s), 3);
	CHECK_RC(fh_u64("zeroipc_stack_elem_size", s), 8);
	CHECK_RC(fh_u64("zeroipc_stack_size", s), 0);
	CHECK_RC(fh_int_p("zeroipc_stack_empty", s), 1);
	CHECK_RC(fh_int_p("zeroipc_stack_full", s), 0);
	slot_ns = slot_timeout(s);
	CHECK_MSG(slot_ns == 1000000000LL, "default slot timeout %lld",
		  (long long)slot_ns);
	CHECK_RC(fh_int_pt("zeroipc_stack_set_slot_timeout", s, ns), ST_OK);
	CHECK_RC(fh_int_pt("zeroipc_stack_set_slot_timeout", s, 0), ST_EINVAL);
	slot_ns = slot_timeout(s);
	CHECK_MSG(slot_ns == ns, "slot timeout %lld", (long long)slot_ns);

	CHECK_RC(fh_int_pp("zeroipc_stack_try_pop", &v, s), ST_EEMPTY);
	CHECK_RC(fh_int_ppt("zeroipc_stack_pop", &v, s, 1000000), ST_ETIMEOUT);
	CHECK_RC(fh_int_pp("zeroipc_stack_top", &v, s), ST_EEMPTY);
	CHECK_RC(fh_int_pp("zeroipc_stack_try_push", s, &in[0]), ST_OK);
	CHECK_RC(fh_int_ppt("zeroipc_stack_push", s, &in[1], WAIT_FOREVER),
		 ST_OK);
	CHECK_RC(fh_int_ppt("zeroipc_stack_push", s, &in[2], 0), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_stack_try_push", s, &in[3]), ST_EFULL);
	CHECK_RC(fh_int_ppt("zeroipc_stack_push", s, &in[3], 1000000),
		 ST_ETIMEOUT);
	CHECK_RC(fh_int_p("zeroipc_stack_full", s), 1);
	CHECK_RC(fh_u64("zeroipc_stack_size", s), 3);

	/* A second handle, and the element-size check. */
	CHECK_RC(fh_open("zeroipc_stack_open", &s2, mem, stack_name, 4),
		 ST_ESIZE_MISMATCH);
	CHECK_RC(fh_open("zeroipc_stack_open", &s2, mem, stack_name, 8), ST_OK);
	if (s2 != NULL) {
		CHECK_RC(fh_int_pp("zeroipc_stack_top", &v, s2), ST_OK);
		CHECK_MSG(v == 33, "top %llu", (unsigned long long)v);
		CHECK_RC(fh_int_pp("zeroipc_stack_try_pop", &v, s2), ST_OK);
		CHECK_MSG(v == 33, "pop %llu", (unsigned long long)v);
		CHECK_RC(fh_int_ppt("zeroipc_stack_pop", &v, s2, WAIT_FOREVER),
			 ST_OK);
		CHECK_MSG(v == 22, "pop %llu", (unsigned long long)v);
		fh_close("zeroipc_stack_close", s2);
	}
	CHECK_RC(fh_int_ppt("zeroipc_stack_pop", &v, s, 0), ST_OK);
	CHECK_MSG(v == 11, "pop %llu", (unsigned long long)v);
	CHECK_RC(fh_int_pp("zeroipc_stack_validate", mem, stack_name), ST_OK);
	fh_close("zeroipc_stack_close", s);
	fh_close("zeroipc_stack_close", NULL);
}

int main(int argc, char **argv)
{
	return fh_run(argc, argv, "ffi_stack", stack_symbols,
		      FH_LEN(stack_symbols), scenario);
}
