/* SPDX-License-Identifier: MIT */
/*
 * stress_stack_deadpeer.c - a process dies inside a stack operation, at
 * each crash point between claiming an index and handing its slot over:
 *
 *   stack.push.claimed   top moved, slot still EMPTY
 *   stack.push.writing   slot left WRITING, element half written
 *   stack.pop.claimed    top moved, slot still READY (element stranded)
 *   stack.pop.reading    slot left READING
 *
 * The survivors must keep working: an operation that lands on the dead
 * process's slot returns ZEROIPC_ETIMEOUT after the slot timeout, never
 * hangs, never returns a half-written element, and every other operation
 * behaves as usual.  Phase one replays an exact sequence in this process
 * and checks each result; phase two runs several processes at once over
 * the damaged stack and checks that every call returns, that nothing is
 * popped twice and nothing is popped that no push delivered.
 *
 * Needs a library built with ZEROIPC_CRASH_POINTS; skips (77) otherwise.
 *
 * usage: stress_stack_deadpeer [workers] [ops per worker]
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zeroipc.h>

#include "zt_test.h"

#define CAP 8u
#define SLOT_NS 10000000LL /* 10 ms: the dead slot costs this per visit */

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d [%s]: check failed: %s "        \
				"(last_error: %s)\n", __FILE__, __LINE__,      \
				current, #cond, zeroipc_last_error());         \
			zt_failures++;                                         \
		}                                                              \
	} while (0)

static const char *current = "";

struct victim_arg {
	const char *seg;
	const char *point;
	int push; /* 1: die in a push, 0: in a pop */
};

/* Child: arm the crash point, then run the operation it sits in. */
static int victim(void *p)
{
	const struct victim_arg *a = p;
	zeroipc_memory *mem = NULL;
	zeroipc_stack *s = NULL;
	uint64_t v = 0xDEADDEADDEADDEADULL;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_stack_open(&s, mem, "stk", 8) != 0)
		return 1;
	setenv("ZEROIPC_CRASH_AT", a->point, 1);
	if (a->push)
		zeroipc_stack_try_push(s, &v);
	else
		zeroipc_stack_try_pop(&v, s);
	return 2; /* the crash point did not fire */
}

static uint64_t tag(unsigned who, unsigned seq)
{
	return ((uint64_t)who << 32) | seq;
}

/* ---- phase two: several survivors at once ---- */

#define MAX_WORKERS 8
#define MAX_OPS 4096

struct log {
	unsigned pushed_ok;  /* pushes that returned 0 */
	unsigned popped;     /* pops that returned 0 */
	unsigned timeouts;   /* ETIMEOUT results */
	unsigned bad;        /* unexpected statuses */
	uint64_t out[MAX_OPS]; /* popped values */
	unsigned char ok[MAX_OPS]; /* ok[seq]: push of seq returned 0 */
};

struct phase2 {
	char seg[128];
	unsigned workers, ops;
	struct zt_gate gate;
	unsigned id;
	struct log *logs; /* [workers], shared */
};

static int survivor(void *p)
{
	struct phase2 *c = p;
	struct log *l = &c->logs[c->id];
	zeroipc_memory *mem = NULL;
	zeroipc_stack *s = NULL;
	uint64_t rng = 0xA0761D6478BD642FULL * (c->id + 7);
	unsigned seq = 0;

	if (zeroipc_memory_open(&mem, c->seg, 0) != 0 ||
	    zeroipc_stack_open(&s, mem, "stk", 8) != 0 ||
	    zeroipc_stack_set_slot_timeout(s, SLOT_NS) != 0 ||
	    zt_gate_wait(&c->gate) != 0)
		return 1;
	for (unsigned i = 0; i < c->ops; i++) {
		uint64_t v;
		int rc;

		switch (zt_rand(&rng) % 3) {
		case 0:
		case 1:
			if ((zt_rand(&rng) & 1) && seq < MAX_OPS) {
				v = tag(100 + c->id, seq);
				rc = zeroipc_stack_try_push(s, &v);
				if (rc == 0) {
					l->ok[seq] = 1;
					l->pushed_ok++;
				}
				seq++;
				if (rc == 0 || rc == ZEROIPC_EFULL)
					break;
			} else {
				rc = zeroipc_stack_try_pop(&v, s);
				if (rc == 0) {
					l->out[l->popped++] = v;
					break;
				}
				if (rc == ZEROIPC_EEMPTY)
					break;
			}
			if (rc == ZEROIPC_ETIMEOUT)
				l->timeouts++;
			else
				l->bad++;
			break;
		default:
			rc = zeroipc_stack_top(&v, s);
			if (rc == ZEROIPC_ETIMEOUT)
				l->timeouts++;
			else if (rc != 0 && rc != ZEROIPC_EEMPTY)
				l->bad++;
			break;
		}
	}
	zeroipc_stack_close(s);
	zeroipc_memory_close(mem);
	return 0;
}

/* Was v pushed successfully, by a survivor or by phase one (who < 100)? */
static int delivered(const struct phase2 *c, uint64_t v, uint64_t *phase1,
		     unsigned n1)
{
	unsigned who = (unsigned)(v >> 32), seq = (uint32_t)v;

	if (who >= 100 && who < 100 + c->workers && seq < MAX_OPS)
		return c->logs[who - 100].ok[seq];
	for (unsigned i = 0; i < n1; i++)
		if (phase1[i] == v)
			return 1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void run_phase2(zeroipc_memory *mem, zeroipc_stack *s,
		       const char *seg, unsigned workers, unsigned ops,
		       uint64_t *phase1, unsigned n1)
{
	struct phase2 c;
	size_t len = sizeof(struct log) * workers;
	pid_t pids[MAX_WORKERS];
	uint64_t *all;
	unsigned n = 0, i, j, timeouts = 0;

	memset(&c, 0, sizeof(c));
	snprintf(c.seg, sizeof(c.seg), "%s", seg);
	c.workers = workers;
	c.ops = ops;
	c.logs = zt_shared_alloc(len);
	CHECK(zt_gate_init(&c.gate) == 0);
	for (i = 0; i < workers; i++) {
		c.id = i;
		pids[i] = zt_fork(survivor, &c);
	}
	CHECK(zt_gate_release(&c.gate, workers) == 0);
	for (i = 0; i < workers; i++)
		CHECK(zt_wait(pids[i]) == 0);
	/* Drain what is reachable; the dead slot answers ETIMEOUT. */
	for (i = 0; i < 4 * CAP; i++) {
		uint64_t v;
		int rc = zeroipc_stack_try_pop(&v, s);

		if (rc == ZEROIPC_EEMPTY)
			break;
		if (rc == 0) {
			c.logs[0].out[c.logs[0].popped++] = v;
			continue;
		}
		CHECK(rc == ZEROIPC_ETIMEOUT);
	}
	for (i = 0; i < workers; i++) {
		CHECK(c.logs[i].bad == 0);
		n += c.logs[i].popped;
		timeouts += c.logs[i].timeouts;
	}
	all = malloc(sizeof(*all) * (n + 1));
	CHECK(all != NULL);
	if (all == NULL)
		return;
	n = 0;
	for (i = 0; i < workers; i++)
		for (j = 0; j < c.logs[i].popped; j++) {
			uint64_t v = c.logs[i].out[j];

			/* Never the dead pusher's half-written element. */
			CHECK(v != 0xDEADDEADDEADDEADULL);
			CHECK(delivered(&c, v, phase1, n1));
			all[n++] = v;
		}
	qsort(all, n, sizeof(*all), cmp_u64);
	for (i = 1; i < n; i++)
		if (all[i] == all[i - 1]) {
			fprintf(stderr, "[%s] 0x%016" PRIx64 " popped twice\n",
				current, all[i]);
			zt_failures++;
		}
	printf("  %s: %u survivors x %u ops: %u popped, %u timeouts\n",
	       current, workers, ops, n, timeouts);
	free(all);
	zt_shared_free(c.logs, len);
	(void)mem;
}

/* ---- phase one: an exact replay per crash point ---- */

static zeroipc_stack *fresh(zeroipc_memory **mem, char *seg, size_t len,
			    const char *point, int push, uint64_t *pushed,
			    unsigned *n_pushed)
{
	zeroipc_stack *s = NULL;
	struct victim_arg a;
	int rc;

	zt_name(seg, len, "stk-dead");
	if (zeroipc_memory_create(mem, seg, 1u << 20, NULL) != 0 ||
	    zeroipc_stack_create(&s, *mem, "stk", 8, CAP) != 0 ||
	    zeroipc_stack_set_slot_timeout(s, SLOT_NS) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		exit(1);
	}
	for (unsigned i = 0; i < 3; i++) {
		uint64_t v = tag(1, i);

		CHECK(zeroipc_stack_try_push(s, &v) == 0);
		pushed[(*n_pushed)++] = v;
	}
	a.seg = seg;
	a.point = point;
	a.push = push;
	rc = zt_wait(zt_fork(victim, &a));
	if (rc == 2) {
		fprintf(stderr, "crash point %s did not fire\n", point);
		zt_failures++;
	}
	CHECK(rc == 128 + SIGKILL);
	return s;
}

#define EXPECT_POP(s, want)                                                    \
	do {                                                                   \
		uint64_t got_ = 0;                                             \
		CHECK(zeroipc_stack_try_pop(&got_, s) == 0);                   \
		CHECK(got_ == (want));                                         \
	} while (0)

#define EXPECT_PUSH(s, value)                                                  \
	do {                                                                   \
		uint64_t v_ = (value);                                         \
		CHECK(zeroipc_stack_try_push(s, &v_) == 0);                    \
		pushed[n_pushed++] = v_;                                       \
	} while (0)

static void finish(zeroipc_memory *mem, zeroipc_stack *s, const char *seg,
		   unsigned workers, unsigned ops, uint64_t *pushed,
		   unsigned n_pushed)
{
	run_phase2(mem, s, seg, workers, ops, pushed, n_pushed);
	zeroipc_stack_close(s);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
}

static void case_push_claimed(unsigned workers, unsigned ops)
{
	zeroipc_memory *mem;
	zeroipc_stack *s;
	uint64_t pushed[64], v;
	unsigned n_pushed = 0;
	char seg[128];

	current = "stack.push.claimed";
	s = fresh(&mem, seg, sizeof(seg), current, 1, pushed, &n_pushed);
	CHECK(zeroipc_stack_size(s) == 4);
	/* The pop that lands on the dead claim gives up; nothing moves. */
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	CHECK(zeroipc_stack_top(&v, s) == 0 && v == tag(1, 2));
	EXPECT_POP(s, tag(1, 2));
	EXPECT_POP(s, tag(1, 1));
	EXPECT_POP(s, tag(1, 0));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_EEMPTY);
	/* The slot was never touched, so the stack is whole again. */
	for (unsigned i = 0; i < CAP; i++)
		EXPECT_PUSH(s, tag(2, i));
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_EFULL);
	for (unsigned i = CAP; i-- > 0;)
		EXPECT_POP(s, tag(2, i));
	CHECK(zeroipc_stack_validate(mem, "stk") == 0);
	finish(mem, s, seg, workers, ops, pushed, n_pushed);
}

static void case_push_writing(unsigned workers, unsigned ops)
{
	zeroipc_memory *mem;
	zeroipc_stack *s;
	uint64_t pushed[64], v = 0;
	unsigned n_pushed = 0;
	char seg[128];

	current = "stack.push.writing";
	s = fresh(&mem, seg, sizeof(seg), current, 1, pushed, &n_pushed);
	CHECK(zeroipc_stack_validate(mem, "stk") == ZEROIPC_ECORRUPT);
	/* top sits on the WRITING slot: peek and pop refuse to read it. */
	CHECK(zeroipc_stack_top(&v, s) == ZEROIPC_ETIMEOUT);
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, tag(1, 2));
	EXPECT_POP(s, tag(1, 1));
	EXPECT_POP(s, tag(1, 0));
	for (unsigned i = 0; i < 3; i++)
		EXPECT_PUSH(s, tag(3, i));
	/* Index 3 is the dead slot: this push gives up, the next works. */
	v = tag(3, 3);
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_ETIMEOUT);
	EXPECT_PUSH(s, tag(3, 4));
	EXPECT_POP(s, tag(3, 4));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, tag(3, 2));
	finish(mem, s, seg, workers, ops, pushed, n_pushed);
}

static void case_pop_claimed(unsigned workers, unsigned ops)
{
	zeroipc_memory *mem;
	zeroipc_stack *s;
	uint64_t pushed[64], v = 0;
	unsigned n_pushed = 0;
	char seg[128];

	current = "stack.pop.claimed";
	s = fresh(&mem, seg, sizeof(seg), current, 0, pushed, &n_pushed);
	CHECK(zeroipc_stack_size(s) == 2);
	EXPECT_POP(s, tag(1, 1));
	EXPECT_POP(s, tag(1, 0));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_EEMPTY);
	EXPECT_PUSH(s, tag(4, 0));
	EXPECT_PUSH(s, tag(4, 1));
	/* Index 2 still holds the element the dead pop claimed: the push
	 * that lands there gives up, and the next pop there recovers it. */
	v = tag(4, 2);
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, tag(1, 2));
	EXPECT_POP(s, tag(4, 1));
	EXPECT_POP(s, tag(4, 0));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_EEMPTY);
	CHECK(zeroipc_stack_validate(mem, "stk") == 0);
	finish(mem, s, seg, workers, ops, pushed, n_pushed);
}

static void case_pop_reading(unsigned workers, unsigned ops)
{
	zeroipc_memory *mem;
	zeroipc_stack *s;
	uint64_t pushed[64], v = 0;
	unsigned n_pushed = 0;
	char seg[128];

	current = "stack.pop.reading";
	s = fresh(&mem, seg, sizeof(seg), current, 0, pushed, &n_pushed);
	CHECK(zeroipc_stack_validate(mem, "stk") == ZEROIPC_ECORRUPT);
	EXPECT_POP(s, tag(1, 1));
	EXPECT_POP(s, tag(1, 0));
	EXPECT_PUSH(s, tag(5, 0));
	EXPECT_PUSH(s, tag(5, 1));
	v = tag(5, 2);
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_ETIMEOUT);
	/* top now sits on the READING slot. */
	CHECK(zeroipc_stack_top(&v, s) == ZEROIPC_ETIMEOUT);
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, tag(5, 1));
	finish(mem, s, seg, workers, ops, pushed, n_pushed);
}

int main(int argc, char **argv)
{
	unsigned workers = (unsigned)zt_arg(argc, argv, 1, 4);
	unsigned ops = (unsigned)zt_arg(argc, argv, 2, 1000);

#ifndef ZEROIPC_TEST_CRASH_POINTS
	(void)workers;
	(void)ops;
	printf("library built without ZEROIPC_CRASH_POINTS: skipped\n");
	return ZT_SKIP;
#else
	if (workers > MAX_WORKERS)
		workers = MAX_WORKERS;
	if (ops > MAX_OPS - 8 * CAP)
		ops = MAX_OPS - 8 * CAP; /* room for the final drain */
	case_push_claimed(workers, ops);
	case_push_writing(workers, ops);
	case_pop_claimed(workers, ops);
	case_pop_reading(workers, ops);
	printf("stack dead peer: %s\n", zt_failures == 0 ? "ok" : "FAILED");
	return zt_failures == 0 ? 0 : 1;
#endif
}
