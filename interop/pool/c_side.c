/* SPDX-License-Identifier: MIT */
/*
 * Scenario "pool": objects handed from one language to the other by index.
 *
 * The writer creates NAME (1 MiB) with a Pool "objs" of CAPACITY records
 * (struct record below, 32 bytes), a uint64 Array "indices" of COUNT
 * elements and a uint64 Array "published" of one element.  For k = 0 ..
 * COUNT-1 it allocates an object (waiting up to 30 s while all CAPACITY are
 * in flight), fills it with record k, stores the object's index into
 * indices[k], then atomically stores k + 1 into published[0].
 *
 * The reader runs at the same time on a writable mapping: for each
 * published k it reads the object at indices[k] and compares it with record
 * k, then frees it, which is what lets the writer go on, since COUNT is far
 * above CAPACITY.  Once the writer is done (all COUNT published, so nobody
 * allocates any more), freeing each of the last CAPACITY indices a second
 * time must give ZEROIPC_ENOT_ALLOCATED.  (Earlier, a second free could hit
 * an object the writer had already allocated again: the pool records no
 * owners, so that is not an error it can see.)  At the end in_use must be
 * 0 and the pool must validate.
 *
 * Record k (identical in py_side.py): seq = k, a = (int32)(k * 2654435761
 * mod 2^32), b = k * 0.25f, label = "obj-%05u" % k, NUL-padded to 16 bytes.
 */
#include "interop.h"

#define COUNT 3000u
#define CAPACITY 64u
#define WAIT_NS (30LL * 1000000000LL)

struct record {
	uint64_t seq;   /* @0 */
	int32_t a;      /* @8 */
	float b;        /* @12 */
	char label[16]; /* @16 */
};

_Static_assert(sizeof(struct record) == 32, "record is 32 bytes");

static void make_record(struct record *r, uint32_t k)
{
	memset(r, 0, sizeof(*r));
	r->seq = k;
	r->a = (int32_t)(k * 2654435761u);
	r->b = (float)k * 0.25f;
	snprintf(r->label, sizeof(r->label), "obj-%05u", k);
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool;
	zeroipc_array *indices, *published;
	struct record r;
	uint64_t idx;
	void *p;

	IC_OK(zeroipc_memory_create(&mem, name, 1u << 20, NULL));
	IC_OK(zeroipc_pool_create(&pool, mem, "objs", sizeof(r), CAPACITY));
	IC_OK(zeroipc_array_create(&indices, mem, "indices", 8, COUNT));
	IC_OK(zeroipc_array_create(&published, mem, "published", 8, 1));
	ic_signal_ready(fifo);
	for (uint32_t k = 0; k < COUNT; k++) {
		/* Blocks while the reader still holds all CAPACITY objects. */
		IC_OK(zeroipc_pool_allocate(&idx, pool, WAIT_NS));
		if (idx >= CAPACITY)
			ic_die("allocate gave index %llu",
			       (unsigned long long)idx);
		IC_OK(zeroipc_pool_ptr(&p, pool, idx));
		make_record(&r, k);
		memcpy(p, &r, sizeof(r));
		IC_OK(zeroipc_array_store_u64(indices, k, idx));
		/* After the object and its index: the reader's atomic load of
		 * published pairs here. */
		IC_OK(zeroipc_array_store_u64(published, 0, (uint64_t)k + 1));
	}
	zeroipc_array_close(published);
	zeroipc_array_close(indices);
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_pool *pool, *wrong;
	zeroipc_array *indices, *published;
	struct record want;
	uint64_t seen = 0, upto, idx;
	void *p;

	IC_OK(zeroipc_memory_open(&mem, name, 0));
	IC_OK(zeroipc_pool_open(&pool, mem, "objs", sizeof(struct record)));
	IC_OK(zeroipc_array_open(&indices, mem, "indices", 8));
	IC_OK(zeroipc_array_open(&published, mem, "published", 8));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH, zeroipc_pool_open(&wrong, mem, "objs",
							   16));
	ic_expect(zeroipc_pool_capacity(pool) == CAPACITY, "capacity %llu",
		  (unsigned long long)zeroipc_pool_capacity(pool));

	while (seen < COUNT) {
		upto = ic_wait_published(published, seen);
		if (upto > COUNT)
			ic_die("published %llu > %u", (unsigned long long)upto,
			       COUNT);
		for (; seen < upto; seen++) {
			uint32_t k = (uint32_t)seen;

			IC_OK(zeroipc_array_load_u64(&idx, indices, k));
			if (ic_expect(idx < CAPACITY, "indices[%u] = %llu", k,
				      (unsigned long long)idx))
				continue;
			IC_OK(zeroipc_pool_ptr(&p, pool, idx));
			make_record(&want, k);
			ic_expect(memcmp(p, &want, sizeof(want)) == 0,
				  "object %llu does not hold record %u "
				  "(seq %llu, label %.16s)",
				  (unsigned long long)idx, k,
				  (unsigned long long)((struct record *)p)->seq,
				  ((struct record *)p)->label);
			IC_OK(zeroipc_pool_free(pool, idx));
		}
	}
	/* The writer allocates no more: every second free is caught. */
	for (uint32_t k = COUNT - CAPACITY; k < COUNT; k++) {
		IC_OK(zeroipc_array_load_u64(&idx, indices, k));
		IC_FAILS(ZEROIPC_ENOT_ALLOCATED, zeroipc_pool_free(pool, idx));
		IC_FAILS(ZEROIPC_ENOT_ALLOCATED,
			 zeroipc_pool_ptr(&p, pool, idx));
	}
	ic_expect(zeroipc_pool_in_use(pool) == 0, "in_use %llu at the end",
		  (unsigned long long)zeroipc_pool_in_use(pool));
	IC_OK(zeroipc_pool_validate(mem, "objs"));
	zeroipc_array_close(published);
	zeroipc_array_close(indices);
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
