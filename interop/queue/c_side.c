/* SPDX-License-Identifier: MIT */
/*
 * Scenario "queue": records and numbers handed across languages through
 * Queues, live (both sides run at the same time).
 *
 * The writer creates NAME (1 MiB) with three queues:
 *   "rest"   capacity REST, RECORD (16 bytes): records 0 .. REST-1 pushed
 *            before signalling;
 *   "live"   capacity LIVE_CAP, RECORD: after signalling, records
 *            0 .. COUNT-1, alternately one push and a push_n of up to 5,
 *            waiting up to 30 s for space each time;
 *   "stream" capacity STREAM_CAP, uint64, opened by the writer as the
 *            single producer: after signalling, the numbers
 *            0 .. STREAM_COUNT-1 * 3 (each k pushed as 3k), in runs of up
 *            to 64.
 *
 * The reader checks "rest" exactly (records 0 .. REST-1 in order, then
 * empty, valid at rest); that opening "live" with the wrong element size
 * fails; pops "live" (alternately pop and pop_n of up to 7, waiting up to
 * 30 s) until it has COUNT records, each intact and in order 0, 1, 2, ...
 * (one producer: FIFO); and pops "stream" as its single consumer, in runs,
 * checking 0, 3, 6, ... in order.  At the end both queues are empty and
 * valid.
 *
 * Record k (identical in py_side.py): id = k, check = k * 2654435761 mod
 * 2^32, value = k / 4.0.
 */
#include "interop.h"

#define COUNT 20000u
#define LIVE_CAP 16u
#define REST 8u
#define STREAM_CAP 256u
#define STREAM_COUNT 200000u
#define WAIT_NS (30LL * 1000000000LL)

struct record {
	uint32_t id;
	uint32_t check;
	double value;
};

static struct record make_record(uint32_t k)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.id = k;
	r.check = k * 2654435761u;
	r.value = (double)k / 4.0;
	return r;
}

static int intact(const struct record *r, uint32_t want)
{
	struct record w = make_record(want);

	return r->id == w.id && r->check == w.check && r->value == w.value;
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_queue_opts sp = ZEROIPC_QUEUE_OPTS_INIT;
	zeroipc_memory *mem;
	zeroipc_queue *rest, *live, *stream;
	struct record batch[5];
	uint64_t nums[64];
	uint32_t k;
	size_t n;

	sp.flags = ZEROIPC_QUEUE_SINGLE_PRODUCER;
	IC_OK(zeroipc_memory_create(&mem, name, 1u << 20, NULL));
	IC_OK(zeroipc_queue_create(&rest, mem, "rest", sizeof(struct record),
				   REST, NULL));
	IC_OK(zeroipc_queue_create(&live, mem, "live", sizeof(struct record),
				   LIVE_CAP, NULL));
	IC_OK(zeroipc_queue_create(&stream, mem, "stream", 8, STREAM_CAP,
				   &sp));
	for (k = 0; k < REST; k++) {
		struct record r = make_record(k);

		IC_OK(zeroipc_queue_try_push(rest, &r));
	}
	ic_signal_ready(fifo);
	for (k = 0; k < COUNT;) {
		uint32_t want = (k / 3) % 2 ? 5 : 1;

		if (want > COUNT - k)
			want = COUNT - k;
		for (uint32_t i = 0; i < want; i++)
			batch[i] = make_record(k + i);
		if (want == 1) {
			IC_OK(zeroipc_queue_push(live, batch, WAIT_NS));
			n = 1;
		} else {
			IC_OK(zeroipc_queue_push_n(&n, live, batch, want,
						   WAIT_NS));
		}
		k += (uint32_t)n;
	}
	for (k = 0; k < STREAM_COUNT;) {
		uint32_t want = STREAM_COUNT - k < 64 ? STREAM_COUNT - k : 64;

		for (uint32_t i = 0; i < want; i++)
			nums[i] = 3ull * (k + i);
		IC_OK(zeroipc_queue_push_n(&n, stream, nums, want, WAIT_NS));
		k += (uint32_t)n;
	}
	zeroipc_queue_close(rest);
	zeroipc_queue_close(live);
	zeroipc_queue_close(stream);
	zeroipc_memory_close(mem);
}

static void reader(const char *name)
{
	zeroipc_queue_opts sc = ZEROIPC_QUEUE_OPTS_INIT;
	zeroipc_memory *mem;
	zeroipc_queue *rest, *live, *stream, *wrong = NULL;
	struct record r, batch[7];
	uint64_t nums[100];
	uint32_t k, got;
	size_t n;

	sc.flags = ZEROIPC_QUEUE_SINGLE_CONSUMER;
	IC_OK(zeroipc_memory_open(&mem, name, 0));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_queue_open(&wrong, mem, "live", 8, NULL));
	IC_OK(zeroipc_queue_open(&rest, mem, "rest", sizeof(r), NULL));
	IC_OK(zeroipc_queue_open(&live, mem, "live", sizeof(r), NULL));
	IC_OK(zeroipc_queue_open(&stream, mem, "stream", 8, &sc));
	ic_expect(zeroipc_queue_capacity(live) == LIVE_CAP,
		  "live capacity %llu",
		  (unsigned long long)zeroipc_queue_capacity(live));

	IC_OK(zeroipc_queue_validate(mem, "rest"));
	ic_expect(zeroipc_queue_size(rest) == REST, "rest size %llu",
		  (unsigned long long)zeroipc_queue_size(rest));
	for (k = 0; k < REST; k++) {
		IC_OK(zeroipc_queue_try_pop(&r, rest));
		ic_expect(intact(&r, k), "rest pop id %u, expected %u", r.id,
			  k);
	}
	IC_FAILS(ZEROIPC_EEMPTY, zeroipc_queue_try_pop(&r, rest));
	IC_OK(zeroipc_queue_validate(mem, "rest"));

	for (got = 0; got < COUNT;) {
		if (got % 2) {
			IC_OK(zeroipc_queue_pop_n(batch, &n, live, 7, WAIT_NS));
		} else {
			IC_OK(zeroipc_queue_pop(batch, live, WAIT_NS));
			n = 1;
		}
		for (size_t i = 0; i < n; i++, got++)
			ic_expect(intact(&batch[i], got),
				  "live: record id %u check %08x value %g, "
				  "expected id %u", batch[i].id,
				  batch[i].check, batch[i].value, got);
	}
	for (got = 0; got < STREAM_COUNT;) {
		IC_OK(zeroipc_queue_pop_n(nums, &n, stream, 100, WAIT_NS));
		for (size_t i = 0; i < n; i++, got++)
			ic_expect(nums[i] == 3ull * got,
				  "stream: %llu, expected %llu",
				  (unsigned long long)nums[i],
				  3ull * got);
	}
	IC_FAILS(ZEROIPC_EEMPTY, zeroipc_queue_try_pop(&r, live));
	zeroipc_queue_close(stream);
	IC_OK(zeroipc_queue_validate(mem, "live"));
	IC_OK(zeroipc_queue_validate(mem, "stream"));
	zeroipc_queue_close(rest);
	zeroipc_queue_close(live);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
