/* SPDX-License-Identifier: MIT */
/*
 * Scenario "stack": records handed across languages through a Stack, live.
 *
 * The writer creates NAME (1 MiB) with two stacks of RECORD (16 bytes):
 * "rest" (capacity REST) and "live" (capacity LIVE_CAP).  Before signalling
 * it pushes records 0 .. REST-1 onto "rest"; after signalling it pushes
 * records 0 .. COUNT-1 onto "live", waiting up to 30 s for space each time,
 * since COUNT is far above LIVE_CAP and the reader pops at the same time.
 *
 * The reader checks "rest" exactly: top() is record REST-1, then pops give
 * REST-1 .. 0 (last in, first out) and the stack is empty and valid.  On
 * "live" it pops (waiting up to 30 s each) until it has COUNT records,
 * peeking now and then, and checks that every record is intact, that each
 * id arrives exactly once, and that opening with the wrong element size
 * fails.
 *
 * Record k (identical in py_side.py): id = k, check = k * 2654435761 mod
 * 2^32, value = k / 4.0.
 */
#include "interop.h"

#define COUNT 5000u
#define LIVE_CAP 16u
#define REST 10u
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

static int intact(const struct record *r, uint32_t limit)
{
	struct record want;

	if (r->id >= limit)
		return 0;
	want = make_record(r->id);
	return r->check == want.check && r->value == want.value;
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	zeroipc_stack *rest, *live;
	struct record r;
	uint32_t k;

	IC_OK(zeroipc_memory_create(&mem, name, 1u << 20, NULL));
	IC_OK(zeroipc_stack_create(&rest, mem, "rest", sizeof(r), REST));
	IC_OK(zeroipc_stack_create(&live, mem, "live", sizeof(r), LIVE_CAP));
	for (k = 0; k < REST; k++) {
		r = make_record(k);
		IC_OK(zeroipc_stack_try_push(rest, &r));
	}
	ic_signal_ready(fifo);
	for (k = 0; k < COUNT; k++) {
		r = make_record(k);
		IC_OK(zeroipc_stack_push(live, &r, WAIT_NS));
	}
	zeroipc_stack_close(rest);
	zeroipc_stack_close(live);
	zeroipc_memory_close(mem);
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_stack *rest, *live, *wrong = NULL;
	struct record r;
	unsigned char *seen;
	uint32_t k, got = 0;

	IC_OK(zeroipc_memory_open(&mem, name, 0));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_stack_open(&wrong, mem, "live", 8));
	IC_OK(zeroipc_stack_open(&rest, mem, "rest", sizeof(r)));
	IC_OK(zeroipc_stack_open(&live, mem, "live", sizeof(r)));
	ic_expect(zeroipc_stack_capacity(live) == LIVE_CAP,
		  "live capacity %llu",
		  (unsigned long long)zeroipc_stack_capacity(live));

	IC_OK(zeroipc_stack_validate(mem, "rest"));
	ic_expect(zeroipc_stack_size(rest) == REST, "rest size %llu",
		  (unsigned long long)zeroipc_stack_size(rest));
	IC_OK(zeroipc_stack_top(&r, rest));
	ic_expect(r.id == REST - 1 && intact(&r, REST),
		  "rest top id %u, expected %u", r.id, REST - 1);
	for (k = REST; k-- > 0;) {
		IC_OK(zeroipc_stack_try_pop(&r, rest));
		ic_expect(r.id == k && intact(&r, REST),
			  "rest pop id %u, expected %u", r.id, k);
	}
	IC_FAILS(ZEROIPC_EEMPTY, zeroipc_stack_try_pop(&r, rest));
	IC_OK(zeroipc_stack_validate(mem, "rest"));

	seen = calloc(COUNT, 1);
	if (seen == NULL)
		ic_die("out of memory");
	while (got < COUNT) {
		if (got % 97 == 0) {
			int rc = zeroipc_stack_top(&r, live);

			if (rc == 0)
				ic_expect(intact(&r, COUNT),
					  "live top: broken record id %u",
					  r.id);
			else if (rc != ZEROIPC_EEMPTY)
				IC_OK(rc);
		}
		IC_OK(zeroipc_stack_pop(&r, live, WAIT_NS));
		if (ic_expect(intact(&r, COUNT), "live: broken record id %u "
			      "check %08x value %g", r.id, r.check, r.value))
			continue;
		ic_expect(seen[r.id] == 0, "live: id %u popped twice", r.id);
		seen[r.id] = 1;
		got++;
	}
	IC_FAILS(ZEROIPC_EEMPTY, zeroipc_stack_try_pop(&r, live));
	IC_OK(zeroipc_stack_validate(mem, "live"));
	free(seen);
	zeroipc_stack_close(rest);
	zeroipc_stack_close(live);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
