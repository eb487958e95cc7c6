/* SPDX-License-Identifier: MIT */
/*
 * ffi_ring.c - drive the ring API the way a foreign language does: every
 * zeroipc_ring_* symbol resolved at ZEROIPC_1.0 with dlvsym and called
 * through libffi (ffi_harness.h), on a producer and a consumer handle.
 *
 * Role flags and the options layout are written as literals because they
 * are frozen ABI.
 *
 * usage: ffi_ring <path to libzeroipc.so.1>
 */
#include "ffi_harness.h"

#define PRODUCER 1u
#define CONSUMER 2u

/* zeroipc_ring_opts: size_t size, uint64_t release_batch. */
struct ring_opts {
	size_t size;
	uint64_t release_batch;
};

static const char *const ring_symbols[] = {
	"zeroipc_ring_capacity",  "zeroipc_ring_close",
	"zeroipc_ring_commit",    "zeroipc_ring_create",
	"zeroipc_ring_elem_size", "zeroipc_ring_flush",
	"zeroipc_ring_open",      "zeroipc_ring_peek",
	"zeroipc_ring_read",      "zeroipc_ring_read_n",
	"zeroipc_ring_release",   "zeroipc_ring_reserve",
	"zeroipc_ring_role",      "zeroipc_ring_size",
	"zeroipc_ring_try_read",  "zeroipc_ring_try_write",
	"zeroipc_ring_validate",  "zeroipc_ring_write",
	"zeroipc_ring_write_n",
};

/* ---- the ring calls no other family shares a shape with ---- */

static int ring_create(void **out, void *mem, const char *name, uint64_t es,
		       uint64_t capacity, unsigned role,
		       const struct ring_opts *opts)
{
	return FH_INT("zeroipc_ring_create", "pppUUup", &out, &mem, &name, &es,
		      &capacity, &role, &opts);
}

static int ring_open(void **out, void *mem, const char *name, uint64_t es,
		     unsigned role, const struct ring_opts *opts)
{
	return FH_INT("zeroipc_ring_open", "pppUup", &out, &mem, &name, &es,
		      &role, &opts);
}

static unsigned ring_role(void *r)
{
	unsigned role = 0;

	FH_CALL("zeroipc_ring_role", 'u', &role, "p", &r);
	return role;
}

/*
 * The batch calls share one shape, (p, p, p, uint64_t, int64_t timeout):
 * write_n(&written, ring, values, n), read_n(&nread, out, ring, max),
 * reserve(&region, &count, ring, max) and peek(&region, &count, ring, max).
 */
static int ring_batch(const char *fn, const void *a, const void *b,
		      const void *c, uint64_t n, int64_t timeout)
{
	return FH_INT(fn, "pppUI", &a, &b, &c, &n, &timeout);
}

static void scenario(void *mem)
{
	void *w = NULL, *r = NULL, *x = NULL, *region = NULL;
	const void *seen = NULL;
	const char *ring_name = "ffi-ring";
	const char *too_long = "abcdefghijklmnopqrstuvwxyz0";
	uint64_t v = 0, k = 0, batch[2] = {12, 13}, out[2] = {0, 0};
	uint64_t val[3] = {10, 11, 99};
	struct ring_opts eager = {sizeof(struct ring_opts), 1};
	unsigned role;

	CHECK_RC(ring_create(&w, mem, ring_name, 8, 6, PRODUCER, NULL), ST_OK);
	CHECK_MSG(w != NULL, "no handle");
	CHECK_RC(ring_create(&x, mem, too_long, 8, 6, PRODUCER, NULL),
		 ST_ENAME);
	if (w == NULL)
		return;
	CHECK_RC(fh_u64("zeroipc_ring_capacity", w), 6);
	CHECK_RC(fh_u64("zeroipc_ring_elem_size", w), 8);
	CHECK_RC(fh_u64("zeroipc_ring_size", w), 0);
	role = ring_role(w);
	CHECK_MSG(role == PRODUCER, "role %u", role);
	CHECK_RC(ring_open(&x, mem, ring_name, 4, CONSUMER, NULL),
		 ST_ESIZE_MISMATCH);
	CHECK_RC(ring_open(&r, mem, ring_name, 8, CONSUMER, &eager), ST_OK);
	if (r == NULL)
		return;

	CHECK_RC(fh_int_pp("zeroipc_ring_try_read", &v, r), ST_EEMPTY);
	CHECK_RC(fh_int_ppt("zeroipc_ring_read", &v, r, 1000000), ST_ETIMEOUT);
	CHECK_RC(fh_int_pp("zeroipc_ring_try_write", w, &val[0]), ST_OK);
	CHECK_RC(fh_int_ppt("zeroipc_ring_write", w, &val[1], WAIT_FOREVER),
		 ST_OK);
	CHECK_RC(ring_batch("zeroipc_ring_write_n", &k, w, batch, 2, 0), ST_OK);
	CHECK_MSG(k == 2, "write_n wrote %llu", (unsigned long long)k);

	/* Two slots left before the end of the buffer. */
	CHECK_RC(ring_batch("zeroipc_ring_reserve", &region, &k, w, 5, 0),
		 ST_OK);
	CHECK_MSG(k == 2 && region != NULL, "reserved %llu",
		  (unsigned long long)k);
	if (region != NULL) {
		((uint64_t *)region)[0] = 14;
		((uint64_t *)region)[1] = 15;
	}
	CHECK_RC(fh_int_pn("zeroipc_ring_commit", w, 2), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_ring_try_write", w, &val[2]), ST_EFULL);
	CHECK_RC(fh_int_ppt("zeroipc_ring_write", w, &val[2], 1000000),
		 ST_ETIMEOUT);
	CHECK_RC(fh_u64("zeroipc_ring_size", r), 6);

	CHECK_RC(fh_int_ppt("zeroipc_ring_read", &v, r, WAIT_FOREVER), ST_OK);
	CHECK_MSG(v == 10, "read %llu", (unsigned long long)v);
	CHECK_RC(fh_int_pp("zeroipc_ring_try_read", &v, r), ST_OK);
	CHECK_MSG(v == 11, "read %llu", (unsigned long long)v);
	CHECK_RC(ring_batch("zeroipc_ring_read_n", &k, out, r, 2, 0), ST_OK);
	CHECK_MSG(k == 2 && out[0] == 12 && out[1] == 13,
		  "read_n %llu: %llu %llu", (unsigned long long)k,
		  (unsigned long long)out[0], (unsigned long long)out[1]);
	CHECK_RC(ring_batch("zeroipc_ring_peek", &seen, &k, r, 8, 0), ST_OK);
	CHECK_MSG(k == 2 && seen != NULL && ((const uint64_t *)seen)[0] == 14 &&
			  ((const uint64_t *)seen)[1] == 15,
		  "peek %llu", (unsigned long long)k);
	CHECK_RC(fh_int_pn("zeroipc_ring_release", r, 2), ST_OK);
	CHECK_RC(fh_int_p("zeroipc_ring_flush", r), ST_OK);
	CHECK_RC(fh_int_pp("zeroipc_ring_try_read", &v, r), ST_EEMPTY);
	CHECK_RC(fh_int_pp("zeroipc_ring_validate", mem, ring_name), ST_OK);
	/* The role check. */
	CHECK_RC(fh_int_pp("zeroipc_ring_try_write", r, &val[0]), ST_EINVAL);

	fh_close("zeroipc_ring_close", r);
	fh_close("zeroipc_ring_close", w);
	fh_close("zeroipc_ring_close", NULL);
}

int main(int argc, char **argv)
{
	return fh_run(argc, argv, "ffi_ring", ring_symbols,
		      FH_LEN(ring_symbols), scenario);
}
