/* SPDX-License-Identifier: MIT */
/*
 * ffi_queue.c - drive the queue API the way a foreign language does: dlopen
 * the built library, resolve every zeroipc_queue_* symbol at ZEROIPC_1.0
 * with dlvsym, and call each through libffi with raw argument types.
 *
 * Nothing from src/ or include/ is used.  Status numbers, flag values and
 * the options struct are ABI (frozen in the public headers) and are
 * spelled out here on purpose.
 *
 * usage: ffi_queue <path to libzeroipc.so.1>
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
#define ST_ECORRUPT (-11)
#define ST_ESIZE_MISMATCH (-12)
#define ST_EEMPTY (-14)
#define ST_EFULL (-15)
#define ST_ETIMEOUT (-16)
#define ST_EPROTOCOL (-21)

#define SINGLE_PRODUCER 0x1u
#define SINGLE_CONSUMER 0x2u

#define NODE "ZEROIPC_1.0"

/* zeroipc_queue_opts as the header defines it. */
struct queue_opts {
	size_t size;
	uint32_t flags;
};

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
		long long got_ = (long long)(got), want_ = (want);             \
		if (got_ != want_) {                                           \
			fprintf(stderr, "%s:%d: %s returned %lld, expected "   \
				"%lld (last_error: %s)\n", __FILE__, __LINE__, \
				#got, got_, want_, last_error());              \
			zt_failures++;                                         \
		}                                                              \
	} while (0)

/* ---- one wrapper per queue symbol, with the documented signature ---- */

static int queue_create(void **out, void *mem, const char *name,
			uint64_t elem_size, uint64_t capacity,
			const struct queue_opts *opts)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_uint64, &ffi_type_pointer };
	void *v[] = { &out, &mem, &name, &elem_size, &capacity, &opts };

	return call_int("zeroipc_queue_create", 6, t, v);
}

static int queue_open(void **out, void *mem, const char *name,
		      uint64_t elem_size, const struct queue_opts *opts)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_pointer };
	void *v[] = { &out, &mem, &name, &elem_size, &opts };

	return call_int("zeroipc_queue_open", 5, t, v);
}

static void queue_close(void *q)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &q };

	call("zeroipc_queue_close", &ffi_type_void, NULL, 1, t, v);
}

static int queue_validate(void *mem, const char *name)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &mem, &name };

	return call_int("zeroipc_queue_validate", 2, t, v);
}

static int queue_try_push(void *q, const void *value)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &q, &value };

	return call_int("zeroipc_queue_try_push", 2, t, v);
}

static int queue_try_pop(void *out, void *q)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer };
	void *v[] = { &out, &q };

	return call_int("zeroipc_queue_try_pop", 2, t, v);
}

static int queue_push(void *q, const void *value, int64_t timeout)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_sint64 };
	void *v[] = { &q, &value, &timeout };

	return call_int("zeroipc_queue_push", 3, t, v);
}

static int queue_pop(void *out, void *q, int64_t timeout)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_sint64 };
	void *v[] = { &out, &q, &timeout };

	return call_int("zeroipc_queue_pop", 3, t, v);
}

static int queue_push_n(size_t *pushed, void *q, const void *values,
			size_t count, int64_t timeout)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_sint64 };
	uint64_t n = count;
	void *v[] = { &pushed, &q, &values, &n, &timeout };

	return call_int("zeroipc_queue_push_n", 5, t, v);
}

static int queue_pop_n(void *values, size_t *popped, void *q, size_t max,
		       int64_t timeout)
{
	ffi_type *t[] = { &ffi_type_pointer, &ffi_type_pointer,
			  &ffi_type_pointer, &ffi_type_uint64,
			  &ffi_type_sint64 };
	uint64_t n = max;
	void *v[] = { &values, &popped, &q, &n, &timeout };

	return call_int("zeroipc_queue_pop_n", 5, t, v);
}

static uint64_t queue_u64(const char *name, void *q)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &q };
	uint64_t r = 0;

	call(name, &ffi_type_uint64, &r, 1, t, v);
	return r;
}

static int queue_int(const char *name, void *q)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &q };

	return call_int(name, 1, t, v);
}

static uint32_t queue_flags(void *q)
{
	ffi_type *t[] = { &ffi_type_pointer };
	void *v[] = { &q };
	ffi_arg r = 0;

	call("zeroipc_queue_flags", &ffi_type_uint32, &r, 1, t, v);
	return (uint32_t)r;
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
	struct queue_opts sp = { sizeof(struct queue_opts), SINGLE_PRODUCER };
	struct queue_opts spsc = { sizeof(struct queue_opts),
				   SINGLE_PRODUCER | SINGLE_CONSUMER };
	struct queue_opts bad = { sizeof(struct queue_opts), 0x100 };
	void *mem = NULL, *q = NULL, *again = NULL, *single = NULL;
	uint64_t in[6] = { 11, 22, 33, 44, 55, 66 }, out[8], v;
	size_t n = 0;
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
	zt_name(seg, sizeof(seg), "ffi-queue");
	CHECK_RC(memory_create(&mem, seg, 1 << 16), ST_OK);
	if (mem == NULL)
		return 1;

	CHECK_RC(queue_create(&q, mem, "jobs", 8, 3, &bad), ST_EINVAL);
	CHECK_RC(queue_create(&q, mem, "jobs", 8, 3, NULL), ST_OK);
	CHECK_RC(queue_u64("zeroipc_queue_capacity", q), 4);
	CHECK_RC(queue_u64("zeroipc_queue_elem_size", q), 8);
	CHECK_RC(queue_flags(q), 0);
	CHECK_RC(queue_int("zeroipc_queue_empty", q), 1);
	CHECK_RC(queue_open(&again, mem, "jobs", 4, NULL), ST_ESIZE_MISMATCH);
	CHECK_RC(queue_open(&again, mem, "jobs", 8, NULL), ST_OK);

	/* Singles and batches, across two handles. */
	CHECK_RC(queue_try_push(q, &in[0]), ST_OK);
	CHECK_RC(queue_push(q, &in[1], 0), ST_OK);
	CHECK_RC(queue_push_n(&n, q, &in[2], 4, 0), ST_OK);
	CHECK_RC(n, 2);
	CHECK_RC(queue_int("zeroipc_queue_full", again), 1);
	CHECK_RC(queue_u64("zeroipc_queue_size", again), 4);
	CHECK_RC(queue_try_push(q, &in[4]), ST_EFULL);
	CHECK_RC(queue_push(q, &in[4], 1000000), ST_ETIMEOUT);
	CHECK_RC(queue_try_pop(&v, again), ST_OK);
	CHECK_RC(v, 11);
	CHECK_RC(queue_pop(&v, again, 0), ST_OK);
	CHECK_RC(v, 22);
	CHECK_RC(queue_pop_n(out, &n, again, 8, 0), ST_OK);
	CHECK_RC(n, 2);
	CHECK_RC(out[0], 33);
	CHECK_RC(out[1], 44);
	CHECK_RC(queue_try_pop(&v, again), ST_EEMPTY);
	CHECK_RC(queue_pop(&v, again, 1000000), ST_ETIMEOUT);
	CHECK_RC(queue_pop_n(out, &n, again, 8, 0), ST_EEMPTY);
	CHECK_RC(queue_validate(mem, "jobs"), ST_OK);
	CHECK_RC(queue_validate(mem, "nope"), -4);
	queue_close(again);
	queue_close(q);

	/* The options struct crosses the boundary: a single producer sees a
	 * second one as a broken promise. */
	CHECK_RC(queue_open(&single, mem, "jobs", 8, &spsc), ST_OK);
	CHECK_RC(queue_flags(single), SINGLE_PRODUCER | SINGLE_CONSUMER);
	CHECK_RC(queue_open(&again, mem, "jobs", 8, &sp), ST_OK);
	CHECK_RC(queue_try_push(single, &in[5]), ST_OK);
	CHECK_RC(queue_try_push(again, &in[5]), ST_EPROTOCOL);
	CHECK_RC(queue_pop(&v, single, 0), ST_OK);
	CHECK_RC(v, 66);
	queue_close(again);
	queue_close(single);
	queue_close(NULL);
	CHECK_RC(queue_validate(mem, "jobs"), ST_OK);

	memory_close(mem);
	CHECK_RC(memory_unlink(seg), ST_OK);
	dlclose(lib);
	if (zt_failures == 0)
		printf("ffi_queue: all queue symbols called through libffi\n");
	return zt_failures != 0;
}
