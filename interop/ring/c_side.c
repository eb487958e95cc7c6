/* SPDX-License-Identifier: MIT */
/*
 * Scenario "ring": a stream of records handed across languages through a
 * Ring, live (the reader consumes while the writer produces).
 *
 * The writer creates NAME (1 MiB) with the ring "live" of RECORD (24 bytes),
 * capacity LIVE_CAP = 37 elements (888 bytes: not a power of two), writes
 * records 0 .. REST-1 before signalling, then records REST .. COUNT-1
 * after it, waiting up to 30 s for space each time.  It cycles through
 * every way of writing: one element at a time (blocking), a bulk write of
 * CHUNK elements, and a zero-copy reserve/fill/commit of up to CHUNK.
 *
 * The reader checks that opening with the wrong element size fails, that
 * at least REST records are there at once, then reads until it has COUNT
 * records, cycling through one at a time (blocking), bulk reads of up to
 * CHUNK and zero-copy peek/check/release of up to CHUNK (releasing part of
 * what it peeked), and checks that every record arrives once, in order,
 * intact, that nothing follows the last one and that the ring is valid.
 *
 * Record k (identical in py_side.py): seq = k (u64), check = k * 2654435761
 * mod 2^32 (u32), tag = k mod 251 (u32), value = k / 8.0 (f64).
 */
#include "interop.h"

#define COUNT 20000u
#define REST 20u
#define LIVE_CAP 37u
#define CHUNK 13u
#define WAIT_NS (30LL * 1000000000LL)

struct record {
	uint64_t seq;
	uint32_t check;
	uint32_t tag;
	double value;
};

static struct record make_record(uint64_t k)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.seq = k;
	r.check = (uint32_t)(k * 2654435761u);
	r.tag = (uint32_t)(k % 251);
	r.value = (double)k / 8.0;
	return r;
}

static int same(const struct record *r, uint64_t k)
{
	struct record want = make_record(k);

	return r->seq == want.seq && r->check == want.check &&
	       r->tag == want.tag && r->value == want.value;
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	zeroipc_ring *w;
	struct record batch[CHUNK];
	uint64_t k = 0, n, i;
	unsigned step = 0;

	IC_OK(zeroipc_memory_create(&mem, name, 1u << 20, NULL));
	IC_OK(zeroipc_ring_create(&w, mem, "live", sizeof(struct record),
				  LIVE_CAP, ZEROIPC_RING_PRODUCER, NULL));
	for (; k < REST; k++) {
		batch[0] = make_record(k);
		IC_OK(zeroipc_ring_try_write(w, &batch[0]));
	}
	ic_signal_ready(fifo);
	while (k < COUNT) {
		uint64_t want = COUNT - k < CHUNK ? COUNT - k : CHUNK;

		switch (step++ % 3) {
		case 0:
			batch[0] = make_record(k);
			IC_OK(zeroipc_ring_write(w, &batch[0], WAIT_NS));
			k++;
			break;
		case 1:
			for (i = 0; i < want; i++)
				batch[i] = make_record(k + i);
			IC_OK(zeroipc_ring_write_n(&n, w, batch, want,
						   WAIT_NS));
			k += n;
			break;
		default: {
			void *region;

			IC_OK(zeroipc_ring_reserve(&region, &n, w, want,
						   WAIT_NS));
			for (i = 0; i < n; i++) {
				struct record r = make_record(k + i);

				memcpy((struct record *)region + i, &r,
				       sizeof(r));
			}
			IC_OK(zeroipc_ring_commit(w, n));
			k += n;
			break;
		}
		}
	}
	zeroipc_ring_close(w);
	zeroipc_memory_close(mem);
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_ring *r, *wrong = NULL;
	struct record batch[CHUNK];
	uint64_t next = 0, n, i;
	unsigned step = 0;

	IC_OK(zeroipc_memory_open(&mem, name, 0));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_ring_open(&wrong, mem, "live", 16,
				   ZEROIPC_RING_CONSUMER, NULL));
	IC_OK(zeroipc_ring_open(&r, mem, "live", sizeof(struct record),
				ZEROIPC_RING_CONSUMER, NULL));
	ic_expect(zeroipc_ring_capacity(r) == LIVE_CAP, "capacity %llu",
		  (unsigned long long)zeroipc_ring_capacity(r));
	ic_expect(zeroipc_ring_size(r) >= REST, "only %llu records at start",
		  (unsigned long long)zeroipc_ring_size(r));
	while (next < COUNT) {
		switch (step++ % 3) {
		case 0:
			IC_OK(zeroipc_ring_read(&batch[0], r, WAIT_NS));
			ic_expect(same(&batch[0], next),
				  "record %llu: seq %llu check %08x",
				  (unsigned long long)next,
				  (unsigned long long)batch[0].seq,
				  batch[0].check);
			next++;
			break;
		case 1:
			IC_OK(zeroipc_ring_read_n(&n, batch, r, CHUNK,
						  WAIT_NS));
			for (i = 0; i < n; i++)
				ic_expect(same(&batch[i], next + i),
					  "record %llu: seq %llu",
					  (unsigned long long)(next + i),
					  (unsigned long long)batch[i].seq);
			next += n;
			break;
		default: {
			const void *region;
			struct record one;

			IC_OK(zeroipc_ring_peek(&region, &n, r, CHUNK,
						WAIT_NS));
			for (i = 0; i < n; i++) {
				memcpy(&one, (const struct record *)region + i,
				       sizeof(one));
				ic_expect(same(&one, next + i),
					  "peeked record %llu: seq %llu",
					  (unsigned long long)(next + i),
					  (unsigned long long)one.seq);
			}
			/* Keep the last one for the next call. */
			n = n > 1 ? n - 1 : n;
			IC_OK(zeroipc_ring_release(r, n));
			next += n;
			break;
		}
		}
	}
	IC_FAILS(ZEROIPC_EEMPTY, zeroipc_ring_try_read(&batch[0], r));
	IC_OK(zeroipc_ring_validate(mem, "live"));
	zeroipc_ring_close(r);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
