/* SPDX-License-Identifier: MIT */
/*
 * ffi_stack.c - drive the stack API the way a foreign language does:
 * dlopen the shared object, resolve every zeroipc_stack_* symbol at
 * ZEROIPC_1.0 with dlvsym, and call each through libffi with raw types.
 *
 * Nothing from src/ or include/ is used: status numbers and constants are
 * written as literals because they are frozen ABI.
 *
 * usage: ffi_stack <path to libzeroipc.so.1>
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
#define ST_ENAME (-6)
#define ST_ESIZE_MISMATCH (-12)
#define ST_EEMPTY (-14)
#define ST_EFULL (-15)
#define ST_ETIMEOUT (-16)
#define WAIT_FOREVER (-1)

#define NODE "ZEROIPC_1.0"

static void *lib;

/* Every stack symbol of the 1.0 ABI; each is called below. */
static const char *const stack_symbols[] = {
	"zeroipc_stack_capacity", "zeroipc_stack_close",
	"zeroipc_stack_create", "zeroipc_stack_elem_size",
	"zeroipc_stack_empty", "zeroipc_stack_full", "zeroipc_stack_open",
	"zeroipc_stack_pop", "zeroipc_stack_push",
	"zeroipc_stack_set_slot_timeout", "zeroipc_stack_size",
	"zeroipc_stack_slot_timeout", "zeroipc_stack_top",
	"zeroipc_stack_try_pop", "zeroipc_stack_try_push",
	"zeroipc_stack_validate",
};
#define N_SYMBOLS (sizeof(stack_symbols) / sizeof(stack_symbols[0]))
static int called[N_SYMBOLS];

static void *resolve(const char *name)
{
	void *addr = dlvsym(lib, name, NODE);
	size_t i;

	if (addr == NULL) {
		fprintf(stderr, "dlvsym(%s, %s) failed: %s\n", name, NODE,
			dlerror());
		exit(1);
	}
	for (i = 0; i < N_SYMBOLS; i++)
		if (strcmp(stack_symbols[i], name) == 0)
			called[i] = 1;
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
		ZT_CHECK(got_ == want_, "returned %lld, expected %lld "        \
			 "(last_error: %s)", got_, want_, last_error());       \
	} while (0)

static ffi_type *tp = &ffi_type_pointer;

static uint64_t handle_u64(const char *name, void *h)
{
	uint64_t r = 0;

	call(name, &ffi_type_uint64, &r, 1, &tp, (void *[]){ &h });
	return r;
}

static int handle_int(const char *name, void *h)
{
	return call_int(name, 1, &tp, (void *[]){ &h });
}

static int try_push(void *s, uint64_t value)
{
	void *vp = &value;

	return call_int("zeroipc_stack_try_push", 2, (ffi_type *[]){ tp, tp },
			(void *[]){ &s, &vp });
}

static int push(void *s, uint64_t value, int64_t timeout)
{
	void *vp = &value;

	return call_int("zeroipc_stack_push", 3,
			(ffi_type *[]){ tp, tp, &ffi_type_sint64 },
			(void *[]){ &s, &vp, &timeout });
}

static int pop_like(const char *fn, uint64_t *out, void *s, int64_t timeout,
		    int with_timeout)
{
	void *op = out;

	if (with_timeout)
		return call_int(fn, 3,
				(ffi_type *[]){ tp, tp, &ffi_type_sint64 },
				(void *[]){ &op, &s, &timeout });
	return call_int(fn, 2, (ffi_type *[]){ tp, tp },
			(void *[]){ &op, &s });
}

static void scenario(const char *seg)
{
	void *mem = NULL, *s = NULL, *s2 = NULL, *nullp = NULL;
	void *memp = &mem, *sp = &s, *s2p = &s2;
	const char *namep = seg, *stack_name = "ffi-stack";
	const char *too_long = "abcdefghijklmnopqrstuvwxyz0";
	uint64_t seg_size = 1 << 16, elem = 8, cap = 3, wrong = 4, v = 0;
	int64_t slot_ns = 0;

	{
		ffi_type *t[] = { tp, tp, &ffi_type_uint64, tp };
		void *a[] = { &memp, &namep, &seg_size, &nullp };

		CHECK_RC(call_int("zeroipc_memory_create", 4, t, a), ST_OK);
		if (mem == NULL)
			return;
	}
	{
		ffi_type *t[] = { tp, tp, tp, &ffi_type_uint64,
				  &ffi_type_uint64 };
		void *a[] = { &sp, &mem, &stack_name, &elem, &cap };

		CHECK_RC(call_int("zeroipc_stack_create", 5, t, a), ST_OK);
		ZT_CHECK(s != NULL, "no handle");
		a[2] = &too_long;
		a[0] = &s2p;
		CHECK_RC(call_int("zeroipc_stack_create", 5, t, a), ST_ENAME);
	}
	if (s == NULL)
		return;
	ZT_CHECK(handle_u64("zeroipc_stack_capacity", s) == 3, "capacity");
	ZT_CHECK(handle_u64("zeroipc_stack_elem_size", s) == 8, "elem_size");
	ZT_CHECK(handle_u64("zeroipc_stack_size", s) == 0, "size");
	ZT_CHECK(handle_int("zeroipc_stack_empty", s) == 1, "empty");
	ZT_CHECK(handle_int("zeroipc_stack_full", s) == 0, "full");
	call("zeroipc_stack_slot_timeout", &ffi_type_sint64, &slot_ns, 1, &tp,
	     (void *[]){ &s });
	ZT_CHECK(slot_ns == 1000000000LL, "default slot timeout %lld",
		 (long long)slot_ns);
	{
		int64_t ns = 5000000, bad = 0;

		CHECK_RC(call_int("zeroipc_stack_set_slot_timeout", 2,
				  (ffi_type *[]){ tp, &ffi_type_sint64 },
				  (void *[]){ &s, &ns }),
			 ST_OK);
		CHECK_RC(call_int("zeroipc_stack_set_slot_timeout", 2,
				  (ffi_type *[]){ tp, &ffi_type_sint64 },
				  (void *[]){ &s, &bad }),
			 ST_EINVAL);
		call("zeroipc_stack_slot_timeout", &ffi_type_sint64, &slot_ns,
		     1, &tp, (void *[]){ &s });
		ZT_CHECK(slot_ns == ns, "slot timeout %lld",
			 (long long)slot_ns);
	}

	CHECK_RC(pop_like("zeroipc_stack_try_pop", &v, s, 0, 0), ST_EEMPTY);
	CHECK_RC(pop_like("zeroipc_stack_pop", &v, s, 1000000, 1),
		 ST_ETIMEOUT);
	CHECK_RC(pop_like("zeroipc_stack_top", &v, s, 0, 0), ST_EEMPTY);
	CHECK_RC(try_push(s, 11), ST_OK);
	CHECK_RC(push(s, 22, WAIT_FOREVER), ST_OK);
	CHECK_RC(push(s, 33, 0), ST_OK);
	CHECK_RC(try_push(s, 44), ST_EFULL);
	CHECK_RC(push(s, 44, 1000000), ST_ETIMEOUT);
	ZT_CHECK(handle_int("zeroipc_stack_full", s) == 1, "full");
	ZT_CHECK(handle_u64("zeroipc_stack_size", s) == 3, "size");

	/* A second handle, and the element-size check. */
	{
		ffi_type *t[] = { tp, tp, tp, &ffi_type_uint64 };
		void *a[] = { &s2p, &mem, &stack_name, &wrong };

		CHECK_RC(call_int("zeroipc_stack_open", 4, t, a),
			 ST_ESIZE_MISMATCH);
		a[3] = &elem;
		CHECK_RC(call_int("zeroipc_stack_open", 4, t, a), ST_OK);
	}
	if (s2 != NULL) {
		CHECK_RC(pop_like("zeroipc_stack_top", &v, s2, 0, 0), ST_OK);
		ZT_CHECK(v == 33, "top %llu", (unsigned long long)v);
		CHECK_RC(pop_like("zeroipc_stack_try_pop", &v, s2, 0, 0),
			 ST_OK);
		ZT_CHECK(v == 33, "pop %llu", (unsigned long long)v);
		CHECK_RC(pop_like("zeroipc_stack_pop", &v, s2, WAIT_FOREVER,
				  1),
			 ST_OK);
		ZT_CHECK(v == 22, "pop %llu", (unsigned long long)v);
		call("zeroipc_stack_close", &ffi_type_void, NULL, 1, &tp,
		     (void *[]){ &s2 });
	}
	CHECK_RC(pop_like("zeroipc_stack_pop", &v, s, 0, 1), ST_OK);
	ZT_CHECK(v == 11, "pop %llu", (unsigned long long)v);
	CHECK_RC(call_int("zeroipc_stack_validate", 2,
			  (ffi_type *[]){ tp, tp },
			  (void *[]){ &mem, &stack_name }),
		 ST_OK);
	call("zeroipc_stack_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &s });
	call("zeroipc_stack_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &nullp });
	call("zeroipc_memory_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &mem });
	(void)call_int("zeroipc_memory_unlink", 1, &tp,
		       (void *[]){ &namep });
}

int main(int argc, char **argv)
{
	char seg[128];
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s libzeroipc.so.1\n", argv[0]);
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dlopen(%s): %s\n", argv[1], dlerror());
		return 1;
	}
	zt_name(seg, sizeof(seg), "ffi-stack");
	scenario(seg);
	for (i = 0; i < N_SYMBOLS; i++)
		ZT_CHECK(called[i], "%s never called", stack_symbols[i]);
	dlclose(lib);
	printf("ffi_stack: %s\n", zt_failures == 0 ? "ok" : "FAILED");
	return zt_failures == 0 ? 0 : 1;
}
