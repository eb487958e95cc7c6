/* SPDX-License-Identifier: MIT */
/*
 * ffi_queue.c - drive the queue API the way a foreign language does: every
 * zeroipc_queue_* symbol resolved at ZEROIPC_1.0 with dlvsym and called
 * through libffi (ffi_harness.h), on two handles.
 *
 * The flag values and the options struct are ABI (frozen in the public
 * headers) and are spelled out here on purpose.
 *
 * usage: ffi_queue <path to libzeroipc.so.1>
 */
#include "ffi_harness.h"

#define SINGLE_PRODUCER 0x1u
#define SINGLE_CONSUMER 0x2u

/* zeroipc_queue_opts as the header defines it. */
struct queue_opts {
	size_t size;
	uint32_t flags;
};

static const char *const queue_symbols[] = {
	"zeroipc_queue_capacity", "zeroipc_queue_close",
	"zeroipc_queue_create",   "zeroipc_queue_elem_size",
	"zeroipc_queue_empty",    "zeroipc_queue_flags",
	"zeroipc_queue_full",     "zeroipc_queue_open",
	"zeroipc_queue_pop",      "zeroipc_queue_pop_n",
	"zeroipc_queue_push",     "zeroipc_queue_push_n",
	"zeroipc_queue_size",     "zeroipc_queue_try_pop",
	"zeroipc_queue_try_push", "zeroipc_queue_validate",
};

/* ---- the queue calls no other family shares a shape with ---- */

static int queue_create(void **out, void *mem, const char *name,
			uint64_t elem_size, uint64_t capacity,
			const struct queue_opts *opts)
{
	return FH_INT("zeroipc_queue_create", "pppUUp", &out, &mem, &name,
		      &elem_size, &capacity, &opts);
}

static int queue_open(void **out, void *mem, const char *name,
		      uint64_t elem_size, const struct queue_opts *opts)
{
	return FH_INT("zeroipc_queue_open", "pppUp", &out, &mem, &name,
		      &elem_size, &opts);
}

/*
 * push_n(&pushed, q, values, count) and pop_n(values, &popped, q, max),
 * with a timeout: (p, p, p, size_t, int64_t), counts in size_t here.
 */
static int queue_batch(const char *fn, const void *a, const void *b,
		       const void *c, size_t n, int64_t timeout)
{
	return FH_INT(fn, "pppzI", &a, &b, &c, &n, &timeout);
}

static void scenario(void *mem)
{
	struct queue_opts sp = {sizeof(struct queue_opts), SINGLE_PRODUCER};
	struct queue_opts spsc = {sizeof(struct queue_opts),
				  SINGLE_PRODUCER | SINGLE_CONSUMER};
	struct queue_opts bad = {sizeof(struct queue_opts), 0x100};
	void *q = NULL, *again = NULL, *single = NULL;
	uint64_t in[6] = {11, 22, 33, 44, 55, 66}, out[8], v = 0;
	size_t n = 0;

	CHECK_RC(queue_create(&q, mem, "jobs", 8, 3, &bad), ST_EINVAL);
	CHECK_RC(queue_create(&q, mem, "jobs", 8, 3, NULL), ST_OK);
	CHECK_RC(fh_u64("zeroipc_queue_capacity", q), 4);
	CHECK_RC(fh_u64("zeroipc_queue_elem_size", q), 8);
	CHECK_RC(fh_u32("zeroipc_queue_flags", q), 0);
	CHECK_RC(fh_int_p("zeroipc_queue_empty", q), 1);
	CHECK_RC(queue_open(&again, mem, "jobs", 4, NULL), ST_ESIZE_MISMATCH);
	CHECK_RC(queue_open(&again, mem, "jobs", 8, NULL), ST_OK);

	/* Singles and batches, across two handles. */
	CHECK_RC(fh_int_pp("zeroipc_queue_try_push", q, &in[0]), ST_OK);
	CHECK_RC(fh_int_ppt("zeroipc_queue_push", q, &in[1], 0), ST_OK);
	CHECK_RC(queue_batch("zeroipc_queue_push_n", &n, q, &in[2], 4, 0),
		 ST_OK);
	CHECK_RC(n, 2);
	CHECK_RC(fh_int_p("zeroipc_queue_full", again), 1);
	CHECK_RC(fh_u64("zeroipc_queue_size", again), 4);
	CHECK_RC(fh_int_pp("zeroipc_queue_try_push", q, &in[4]), ST_EFULL);
	CHECK_RC(fh_int_ppt("zeroipc_queue_push", q, &in[4], 1000000),
		 ST_ETIMEOUT);
	CHECK_RC(fh_int_pp("zeroipc_queue_try_pop", &v, again), ST_OK);
	CHECK_RC(v, 11);
	CHECK_RC(fh_int_ppt("zeroipc_queue_pop", &v, again, 0), ST_OK);
	CHECK_RC(v, 22);
	CHECK_RC(queue_batch("zeroipc_queue_pop_n", out, &n, again, 8, 0),
		 ST_OK);
	CHECK_RC(n, 2);
	CHECK_RC(out[0], 33);
	CHECK_RC(out[1], 44);
	CHECK_RC(fh_int_pp("zeroipc_queue_try_pop", &v, again), ST_EEMPTY);
	CHECK_RC(fh_int_ppt("zeroipc_queue_pop", &v, again, 1000000),
		 ST_ETIMEOUT);
	CHECK_RC(queue_batch("zeroipc_queue_pop_n", out, &n, again, 8, 0),
		 ST_EEMPTY);
	CHECK_RC(fh_int_pp("zeroipc_queue_validate", mem, "jobs"), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_queue_validate", mem, "nope"),
		 ST_ENOT_FOUND);
	fh_close("zeroipc_queue_close", again);
	fh_close("zeroipc_queue_close", q);

	/* The options struct crosses the boundary: a single producer sees a
	 * second one as a broken promise. */
	CHECK_RC(queue_open(&single, mem, "jobs", 8, &spsc), ST_OK);
	CHECK_RC(fh_u32("zeroipc_queue_flags", single),
		 SINGLE_PRODUCER | SINGLE_CONSUMER);
	CHECK_RC(queue_open(&again, mem, "jobs", 8, &sp), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_queue_try_push", single, &in[5]), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_queue_try_push", again, &in[5]),
		 ST_EPROTOCOL);
	CHECK_RC(fh_int_ppt("zeroipc_queue_pop", &v, single, 0), ST_OK);
	CHECK_RC(v, 66);
	fh_close("zeroipc_queue_close", again);
	fh_close("zeroipc_queue_close", single);
	fh_close("zeroipc_queue_close", NULL);
	CHECK_RC(fh_int_pp("zeroipc_queue_validate", mem, "jobs"), ST_OK);
}

int main(int argc, char **argv)
{
	return fh_run(argc, argv, "ffi_queue", queue_symbols,
		      FH_LEN(queue_symbols), scenario);
}
