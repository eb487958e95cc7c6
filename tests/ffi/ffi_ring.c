/* SPDX-License-Identifier: MIT */
/*
 * ffi_ring.c - drive the ring API the way a foreign language does: dlopen
 * the shared object, resolve every zeroipc_ring_* symbol at ZEROIPC_1.0
 * with dlvsym, and call each through libffi with raw types.
 *
 * Nothing from src/ or include/ is used: status numbers, role flags and
 * the options layout are written as literals because they are frozen ABI.
 *
 * usage: ffi_ring <path to libzeroipc.so.1>
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
#define PRODUCER 1u
#define CONSUMER 2u

#define NODE "ZEROIPC_1.0"

/* zeroipc_ring_opts: size_t size, uint64_t release_batch. */
struct ring_opts {
	size_t size;
	uint64_t release_batch;
};

static void *lib;

/* Every ring symbol of the 1.0 ABI; each is called below. */
static const char *const ring_symbols[] = {
	"zeroipc_ring_capacity", "zeroipc_ring_close",
	"zeroipc_ring_commit",   "zeroipc_ring_create",
	"zeroipc_ring_elem_size", "zeroipc_ring_flush",
	"zeroipc_ring_open",     "zeroipc_ring_peek",
	"zeroipc_ring_read",     "zeroipc_ring_read_n",
	"zeroipc_ring_release",  "zeroipc_ring_reserve",
	"zeroipc_ring_role",     "zeroipc_ring_size",
	"zeroipc_ring_try_read", "zeroipc_ring_try_write",
	"zeroipc_ring_validate", "zeroipc_ring_write",
	"zeroipc_ring_write_n",
};
#define N_SYMBOLS (sizeof(ring_symbols) / sizeof(ring_symbols[0]))
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
		if (strcmp(ring_symbols[i], name) == 0)
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
static ffi_type *tu64 = &ffi_type_uint64;
static ffi_type *ti64 = &ffi_type_sint64;
static ffi_type *tuint = &ffi_type_uint;

static uint64_t handle_u64(const char *name, void *h)
{
	uint64_t r = 0;

	call(name, tu64, &r, 1, &tp, (void *[]){ &h });
	return r;
}

static int ring_open(void **out, void *mem, const char *name, uint64_t es,
		     unsigned role, const struct ring_opts *opts)
{
	void *outp = out;

	return call_int("zeroipc_ring_open", 6,
			(ffi_type *[]){ tp, tp, tp, tu64, tuint, tp },
			(void *[]){ &outp, &mem, &name, &es, &role, &opts });
}

static int try_write(void *r, uint64_t value)
{
	void *vp = &value;

	return call_int("zeroipc_ring_try_write", 2, (ffi_type *[]){ tp, tp },
			(void *[]){ &r, &vp });
}

static int write_t(void *r, uint64_t value, int64_t timeout)
{
	void *vp = &value;

	return call_int("zeroipc_ring_write", 3, (ffi_type *[]){ tp, tp, ti64 },
			(void *[]){ &r, &vp, &timeout });
}

static int try_read(uint64_t *out, void *r)
{
	void *op = out;

	return call_int("zeroipc_ring_try_read", 2, (ffi_type *[]){ tp, tp },
			(void *[]){ &op, &r });
}

static int read_t(uint64_t *out, void *r, int64_t timeout)
{
	void *op = out;

	return call_int("zeroipc_ring_read", 3, (ffi_type *[]){ tp, tp, ti64 },
			(void *[]){ &op, &r, &timeout });
}

static void scenario(const char *seg)
{
	void *mem = NULL, *w = NULL, *r = NULL, *x = NULL, *nullp = NULL;
	void *memp = &mem, *wp = &w, *xp = &x;
	const char *namep = seg, *ring_name = "ffi-ring";
	const char *too_long = "abcdefghijklmnopqrstuvwxyz0";
	uint64_t seg_size = 1 << 16, elem = 8, cap = 6, v = 0, k = 0;
	struct ring_opts eager = { sizeof(struct ring_opts), 1 };
	unsigned role = PRODUCER;

	{
		ffi_type *t[] = { tp, tp, tu64, tp };
		void *a[] = { &memp, &namep, &seg_size, &nullp };

		CHECK_RC(call_int("zeroipc_memory_create", 4, t, a), ST_OK);
		if (mem == NULL)
			return;
	}
	{
		ffi_type *t[] = { tp, tp, tp, tu64, tu64, tuint, tp };
		void *a[] = { &wp, &mem, &ring_name, &elem, &cap, &role,
			      &nullp };

		CHECK_RC(call_int("zeroipc_ring_create", 7, t, a), ST_OK);
		ZT_CHECK(w != NULL, "no handle");
		a[0] = &xp;
		a[2] = &too_long;
		CHECK_RC(call_int("zeroipc_ring_create", 7, t, a), ST_ENAME);
	}
	if (w == NULL)
		return;
	ZT_CHECK(handle_u64("zeroipc_ring_capacity", w) == 6, "capacity");
	ZT_CHECK(handle_u64("zeroipc_ring_elem_size", w) == 8, "elem_size");
	ZT_CHECK(handle_u64("zeroipc_ring_size", w) == 0, "size");
	{
		unsigned got = 0;

		call("zeroipc_ring_role", tuint, &got, 1, &tp,
		     (void *[]){ &w });
		ZT_CHECK(got == PRODUCER, "role %u", got);
	}
	CHECK_RC(ring_open(&x, mem, ring_name, 4, CONSUMER, NULL),
		 ST_ESIZE_MISMATCH);
	CHECK_RC(ring_open(&r, mem, ring_name, 8, CONSUMER, &eager), ST_OK);
	if (r == NULL)
		return;

	CHECK_RC(try_read(&v, r), ST_EEMPTY);
	CHECK_RC(read_t(&v, r, 1000000), ST_ETIMEOUT);
	CHECK_RC(try_write(w, 10), ST_OK);
	CHECK_RC(write_t(w, 11, WAIT_FOREVER), ST_OK);
	{
		uint64_t batch[2] = { 12, 13 };
		void *kp = &k, *bp = batch;
		uint64_t n = 2;
		int64_t t0 = 0;

		CHECK_RC(call_int("zeroipc_ring_write_n", 5,
				  (ffi_type *[]){ tp, tp, tp, tu64, ti64 },
				  (void *[]){ &kp, &w, &bp, &n, &t0 }),
			 ST_OK);
		ZT_CHECK(k == 2, "write_n wrote %llu", (unsigned long long)k);
	}
	{
		void *region = NULL, *regp = &region, *kp = &k;
		uint64_t max = 5, commit = 2;
		int64_t t0 = 0;

		/* Two slots left before the end of the buffer. */
		CHECK_RC(call_int("zeroipc_ring_reserve", 5,
				  (ffi_type *[]){ tp, tp, tp, tu64, ti64 },
				  (void *[]){ &regp, &kp, &w, &max, &t0 }),
			 ST_OK);
		ZT_CHECK(k == 2 && region != NULL, "reserved %llu",
			 (unsigned long long)k);
		if (region != NULL) {
			((uint64_t *)region)[0] = 14;
			((uint64_t *)region)[1] = 15;
		}
		CHECK_RC(call_int("zeroipc_ring_commit", 2,
				  (ffi_type *[]){ tp, tu64 },
				  (void *[]){ &w, &commit }),
			 ST_OK);
	}
	CHECK_RC(try_write(w, 99), ST_EFULL);
	CHECK_RC(write_t(w, 99, 1000000), ST_ETIMEOUT);
	ZT_CHECK(handle_u64("zeroipc_ring_size", r) == 6, "size");

	CHECK_RC(read_t(&v, r, WAIT_FOREVER), ST_OK);
	ZT_CHECK(v == 10, "read %llu", (unsigned long long)v);
	CHECK_RC(try_read(&v, r), ST_OK);
	ZT_CHECK(v == 11, "read %llu", (unsigned long long)v);
	{
		uint64_t out[2] = { 0, 0 }, max = 2;
		void *kp = &k, *op = out;
		int64_t t0 = 0;

		CHECK_RC(call_int("zeroipc_ring_read_n", 5,
				  (ffi_type *[]){ tp, tp, tp, tu64, ti64 },
				  (void *[]){ &kp, &op, &r, &max, &t0 }),
			 ST_OK);
		ZT_CHECK(k == 2 && out[0] == 12 && out[1] == 13,
			 "read_n %llu: %llu %llu", (unsigned long long)k,
			 (unsigned long long)out[0],
			 (unsigned long long)out[1]);
	}
	{
		const void *region = NULL;
		void *regp = &region, *kp = &k;
		uint64_t max = 8, rel = 2;
		int64_t t0 = 0;

		CHECK_RC(call_int("zeroipc_ring_peek", 5,
				  (ffi_type *[]){ tp, tp, tp, tu64, ti64 },
				  (void *[]){ &regp, &kp, &r, &max, &t0 }),
			 ST_OK);
		ZT_CHECK(k == 2 && region != NULL &&
				 ((const uint64_t *)region)[0] == 14 &&
				 ((const uint64_t *)region)[1] == 15,
			 "peek %llu", (unsigned long long)k);
		CHECK_RC(call_int("zeroipc_ring_release", 2,
				  (ffi_type *[]){ tp, tu64 },
				  (void *[]){ &r, &rel }),
			 ST_OK);
	}
	CHECK_RC(call_int("zeroipc_ring_flush", 1, &tp, (void *[]){ &r }),
		 ST_OK);
	CHECK_RC(try_read(&v, r), ST_EEMPTY);
	CHECK_RC(call_int("zeroipc_ring_validate", 2, (ffi_type *[]){ tp, tp },
			  (void *[]){ &mem, &ring_name }),
		 ST_OK);
	/* The role check. */
	CHECK_RC(try_write(r, 1), ST_EINVAL);

	call("zeroipc_ring_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &r });
	call("zeroipc_ring_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &w });
	call("zeroipc_ring_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &nullp });
	call("zeroipc_memory_close", &ffi_type_void, NULL, 1, &tp,
	     (void *[]){ &mem });
	(void)call_int("zeroipc_memory_unlink", 1, &tp, (void *[]){ &namep });
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
	zt_name(seg, sizeof(seg), "ffi-ring");
	scenario(seg);
	for (i = 0; i < N_SYMBOLS; i++)
		ZT_CHECK(called[i], "%s never called", ring_symbols[i]);
	dlclose(lib);
	printf("ffi_ring: %s\n", zt_failures == 0 ? "ok" : "FAILED");
	return zt_failures == 0 ? 0 : 1;
}
