/* SPDX-License-Identifier: MIT */
/*
 * stress_stack_mpmc.c - several pusher and several popper processes on one
 * small stack.  Every item is tagged (producer << 32 | sequence); at the
 * end every item must have been popped exactly once, the stack must be
 * empty and valid at rest, and no operation may have given up on a slot
 * (with live peers, every slot wait ends in the peer's hand-over).
 *
 * A small capacity keeps the stack swinging between full and empty, so
 * claims keep landing on slots whose previous owner is still writing or
 * reading them: the races the four-state protocol exists for.  Poppers also
 * peek (top), which claims the same slots.
 *
 * usage: stress_stack_mpmc [pushers] [poppers] [items per pusher] [capacity]
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zeroipc.h>

#include "zt_test.h"

/* Generous: with live peers no slot wait comes near it, so hitting it is a
 * bug, not a slow machine. */
#define SLOT_TIMEOUT_NS 20000000000LL
/* Whole-run bound for each worker, so a lost item fails instead of hangs. */
#define RUN_LIMIT_NS 120000000000LL

struct shared {
	unsigned popped;   /* items popped so far, all poppers */
	unsigned failures; /* workers that saw something wrong */
	unsigned seen[];   /* [pushers * items]: times each item was popped */
};

struct cfg {
	char seg[128];
	unsigned pushers, poppers, items, capacity;
	struct shared *sh;
	struct zt_gate gate;
	unsigned id;
};

static int open_stack(zeroipc_memory **mem, zeroipc_stack **s,
		      const struct cfg *c)
{
	if (zeroipc_memory_open(mem, c->seg, 0) != 0 ||
	    zeroipc_stack_open(s, *mem, "stk", 8) != 0 ||
	    zeroipc_stack_set_slot_timeout(*s, SLOT_TIMEOUT_NS) != 0) {
		fprintf(stderr, "worker: open failed: %s\n",
			zeroipc_last_error());
		return -1;
	}
	return 0;
}

static int pusher(void *arg)
{
	struct cfg *c = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_stack *s = NULL;
	uint64_t rng = 0x9E3779B97F4A7C15ULL * (c->id + 1);

	if (open_stack(&mem, &s, c) != 0 || zt_gate_wait(&c->gate) != 0)
		return 1;
	for (uint32_t i = 0; i < c->items; i++) {
		uint64_t v = ((uint64_t)c->id << 32) | i;
		int rc;

		/* Mix the non-blocking and the blocking call. */
		rc = zt_rand(&rng) % 4 == 0 ? zeroipc_stack_try_push(s, &v)
					    : ZEROIPC_EFULL;
		if (rc == ZEROIPC_EFULL)
			rc = zeroipc_stack_push(s, &v, RUN_LIMIT_NS);
		if (rc != 0) {
			fprintf(stderr, "pusher %u item %u: %s: %s\n", c->id,
				i, zeroipc_status_name(rc),
				zeroipc_last_error());
			__atomic_fetch_add(&c->sh->failures, 1,
					   __ATOMIC_RELAXED);
			return 1;
		}
	}
	zeroipc_stack_close(s);
	zeroipc_memory_close(mem);
	return 0;
}

static int check_tag(const struct cfg *c, uint64_t v, const char *what)
{
	if ((v >> 32) >= c->pushers || (uint32_t)v >= c->items) {
		fprintf(stderr, "%s returned a value never pushed: "
			"0x%016" PRIx64 "\n", what, v);
		return -1;
	}
	return 0;
}

static int popper(void *arg)
{
	struct cfg *c = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_stack *s = NULL;
	const unsigned total = c->pushers * c->items;
	uint64_t rng = 0xD1B54A32D192ED03ULL * (c->id + 1);
	int64_t limit;

	if (open_stack(&mem, &s, c) != 0 || zt_gate_wait(&c->gate) != 0)
		return 1;
	limit = zt_now_ns() + RUN_LIMIT_NS;
	while (__atomic_load_n(&c->sh->popped, __ATOMIC_ACQUIRE) < total) {
		uint64_t v;
		int rc;

		if (zt_now_ns() > limit) {
			fprintf(stderr, "popper %u: run limit reached with "
				"%u of %u items popped\n", c->id,
				__atomic_load_n(&c->sh->popped,
						__ATOMIC_RELAXED), total);
			goto fail;
		}
		if (zt_rand(&rng) % 8 == 0) {
			rc = zeroipc_stack_top(&v, s);
			if (rc == 0 && check_tag(c, v, "top") != 0)
				goto fail;
			if (rc != 0 && rc != ZEROIPC_EEMPTY) {
				fprintf(stderr, "popper %u: top: %s: %s\n",
					c->id, zeroipc_status_name(rc),
					zeroipc_last_error());
				goto fail;
			}
		}
		rc = zeroipc_stack_pop(&v, s, 20000000);
		if (rc == ZEROIPC_ETIMEOUT &&
		    strstr(zeroipc_last_error(), "claimed slot") == NULL)
			continue; /* merely empty for a while */
		if (rc != 0) {
			fprintf(stderr, "popper %u: pop: %s: %s\n", c->id,
				zeroipc_status_name(rc), zeroipc_last_error());
			goto fail;
		}
		if (check_tag(c, v, "pop") != 0)
			goto fail;
		__atomic_fetch_add(&c->sh->seen[(v >> 32) * c->items +
						(uint32_t)v],
				   1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&c->sh->popped, 1, __ATOMIC_RELEASE);
	}
	zeroipc_stack_close(s);
	zeroipc_memory_close(mem);
	return 0;
fail:
	__atomic_fetch_add(&c->sh->failures, 1, __ATOMIC_RELAXED);
	return 1;
}

int main(int argc, char **argv)
{
	struct cfg c;
	zeroipc_memory *mem = NULL;
	zeroipc_stack *s = NULL;
	size_t sh_len;
	pid_t pids[64];
	unsigned i, n;
	int rc;

	memset(&c, 0, sizeof(c));
	c.pushers = (unsigned)zt_arg(argc, argv, 1, 3);
	c.poppers = (unsigned)zt_arg(argc, argv, 2, 3);
	c.items = (unsigned)zt_arg(argc, argv, 3, 20000);
	c.capacity = (unsigned)zt_arg(argc, argv, 4, 8);
	if (c.pushers + c.poppers > 64) {
		fprintf(stderr, "at most 64 workers\n");
		return 2;
	}
	sh_len = sizeof(struct shared) +
		 sizeof(unsigned) * (size_t)c.pushers * c.items;
	c.sh = zt_shared_alloc(sh_len);
	zt_name(c.seg, sizeof(c.seg), "stress-stack");
	if (zeroipc_memory_create(&mem, c.seg,
				  (uint64_t)1 << 20, NULL) != 0 ||
	    zeroipc_stack_create(&s, mem, "stk", 8, c.capacity) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		return 1;
	}
	if (zt_gate_init(&c.gate) != 0)
		return 1;
	n = 0;
	for (i = 0; i < c.pushers; i++) {
		c.id = i;
		pids[n++] = zt_fork(pusher, &c);
	}
	for (i = 0; i < c.poppers; i++) {
		c.id = i;
		pids[n++] = zt_fork(popper, &c);
	}
	if (zt_gate_release(&c.gate, n) != 0)
		fprintf(stderr, "a worker died before the start\n");
	for (i = 0; i < n; i++) {
		rc = zt_wait(pids[i]);
		if (rc != 0) {
			fprintf(stderr, "worker %u exited with %d\n", i, rc);
			zt_failures++;
		}
	}
	for (i = 0; i < c.pushers * c.items; i++) {
		if (c.sh->seen[i] != 1) {
			if (zt_failures++ < 10)
				fprintf(stderr, "item %u/%u popped %u times\n",
					i / c.items, i % c.items,
					c.sh->seen[i]);
		}
	}
	if (zeroipc_stack_size(s) != 0) {
		fprintf(stderr, "stack not empty at the end: %llu\n",
			(unsigned long long)zeroipc_stack_size(s));
		zt_failures++;
	}
	if (zeroipc_stack_validate(mem, "stk") != 0) {
		fprintf(stderr, "validate: %s\n", zeroipc_last_error());
		zt_failures++;
	}
	printf("stack mpmc: %u pushers x %u items, %u poppers, capacity %u: "
	       "%u popped, %s\n", c.pushers, c.items, c.poppers, c.capacity,
	       c.sh->popped, zt_failures == 0 ? "ok" : "FAILED");
	zeroipc_stack_close(s);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(c.seg);
	zt_shared_free(c.sh, sh_len);
	return zt_failures == 0 ? 0 : 1;
}
