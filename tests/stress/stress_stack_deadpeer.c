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

#include "zt_deadpeer.h"

#define CAP 8u
#define SLOT_NS 10000000LL /* 10 ms: the dead slot costs this per visit */

/* Every check names the crash point under test. */
#define CHECK ZT_DEAD_CHECK

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
	zt_crash_at(a->point, false);
	if (a->push)
		zeroipc_stack_try_push(s, &v);
	else
		zeroipc_stack_try_pop(&v, s);
	return ZT_DEAD_MISSED;
}

/* ---- phase two: several survivors at once ---- */


static int survivor(void *p)
{
	struct zt_dead_phase2 *c = p;
	struct zt_dead_log *l = &c->logs[c->id];
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
			if ((zt_rand(&rng) & 1) && seq < ZT_DEAD_MAX_OPS) {
				v = zt_dead_tag(100 + c->id, seq);
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

static void run_phase2(zeroipc_stack *s, const char *seg, unsigned workers,
		       unsigned ops, uint64_t *phase1, unsigned n1)
{
	struct zt_dead_phase2 c;

	zt_dead_run_survivors(&c, seg, workers, ops, survivor);
	/* Drain what is reachable; the dead slot answers ETIMEOUT. */
	for (unsigned i = 0; i < 4 * CAP; i++) {
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
	/* Never the dead pusher's half-written element. */
	(void)zt_dead_audit(&c, phase1, n1, NULL, 0, 0xDEADDEADDEADDEADULL);
}

/* ---- phase one: an exact replay per crash point ---- */

static zeroipc_stack *fresh(zeroipc_memory **mem, char *seg, size_t len,
			    const char *point, int push, uint64_t *pushed,
			    unsigned *n_pushed)
{
	zeroipc_stack *s = NULL;
	struct victim_arg a;

	zt_name(seg, len, "stk-dead");
	if (zeroipc_memory_create(mem, seg, 1u << 20, NULL) != 0 ||
	    zeroipc_stack_create(&s, *mem, "stk", 8, CAP) != 0 ||
	    zeroipc_stack_set_slot_timeout(s, SLOT_NS) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		exit(1);
	}
	for (unsigned i = 0; i < 3; i++) {
		uint64_t v = zt_dead_tag(1, i);

		CHECK(zeroipc_stack_try_push(s, &v) == 0);
		pushed[(*n_pushed)++] = v;
	}
	a.seg = seg;
	a.point = point;
	a.push = push;
	zt_dead_wait_victim(zt_fork(victim, &a), point);
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
	run_phase2(s, seg, workers, ops, pushed, n_pushed);
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

	zt_dead_current = "stack.push.claimed";
	s = fresh(&mem, seg, sizeof(seg), zt_dead_current, 1, pushed,
		  &n_pushed);
	CHECK(zeroipc_stack_size(s) == 4);
	/* The pop that lands on the dead claim gives up; nothing moves. */
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	CHECK(zeroipc_stack_top(&v, s) == 0 && v == zt_dead_tag(1, 2));
	EXPECT_POP(s, zt_dead_tag(1, 2));
	EXPECT_POP(s, zt_dead_tag(1, 1));
	EXPECT_POP(s, zt_dead_tag(1, 0));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_EEMPTY);
	/* The slot was never touched, so the stack is whole again. */
	for (unsigned i = 0; i < CAP; i++)
		EXPECT_PUSH(s, zt_dead_tag(2, i));
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_EFULL);
	for (unsigned i = CAP; i-- > 0;)
		EXPECT_POP(s, zt_dead_tag(2, i));
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

	zt_dead_current = "stack.push.writing";
	s = fresh(&mem, seg, sizeof(seg), zt_dead_current, 1, pushed,
		  &n_pushed);
	CHECK(zeroipc_stack_validate(mem, "stk") == ZEROIPC_ECORRUPT);
	/* top sits on the WRITING slot: peek and pop refuse to read it. */
	CHECK(zeroipc_stack_top(&v, s) == ZEROIPC_ETIMEOUT);
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, zt_dead_tag(1, 2));
	EXPECT_POP(s, zt_dead_tag(1, 1));
	EXPECT_POP(s, zt_dead_tag(1, 0));
	for (unsigned i = 0; i < 3; i++)
		EXPECT_PUSH(s, zt_dead_tag(3, i));
	/* Index 3 is the dead slot: this push gives up, the next works. */
	v = zt_dead_tag(3, 3);
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_ETIMEOUT);
	EXPECT_PUSH(s, zt_dead_tag(3, 4));
	EXPECT_POP(s, zt_dead_tag(3, 4));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, zt_dead_tag(3, 2));
	finish(mem, s, seg, workers, ops, pushed, n_pushed);
}

static void case_pop_claimed(unsigned workers, unsigned ops)
{
	zeroipc_memory *mem;
	zeroipc_stack *s;
	uint64_t pushed[64], v = 0;
	unsigned n_pushed = 0;
	char seg[128];

	zt_dead_current = "stack.pop.claimed";
	s = fresh(&mem, seg, sizeof(seg), zt_dead_current, 0, pushed,
		  &n_pushed);
	CHECK(zeroipc_stack_size(s) == 2);
	EXPECT_POP(s, zt_dead_tag(1, 1));
	EXPECT_POP(s, zt_dead_tag(1, 0));
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_EEMPTY);
	EXPECT_PUSH(s, zt_dead_tag(4, 0));
	EXPECT_PUSH(s, zt_dead_tag(4, 1));
	/* Index 2 still holds the element the dead pop claimed: the push
	 * that lands there gives up, and the next pop there recovers it. */
	v = zt_dead_tag(4, 2);
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, zt_dead_tag(1, 2));
	EXPECT_POP(s, zt_dead_tag(4, 1));
	EXPECT_POP(s, zt_dead_tag(4, 0));
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

	zt_dead_current = "stack.pop.reading";
	s = fresh(&mem, seg, sizeof(seg), zt_dead_current, 0, pushed,
		  &n_pushed);
	CHECK(zeroipc_stack_validate(mem, "stk") == ZEROIPC_ECORRUPT);
	EXPECT_POP(s, zt_dead_tag(1, 1));
	EXPECT_POP(s, zt_dead_tag(1, 0));
	EXPECT_PUSH(s, zt_dead_tag(5, 0));
	EXPECT_PUSH(s, zt_dead_tag(5, 1));
	v = zt_dead_tag(5, 2);
	CHECK(zeroipc_stack_try_push(s, &v) == ZEROIPC_ETIMEOUT);
	/* top now sits on the READING slot. */
	CHECK(zeroipc_stack_top(&v, s) == ZEROIPC_ETIMEOUT);
	CHECK(zeroipc_stack_try_pop(&v, s) == ZEROIPC_ETIMEOUT);
	EXPECT_POP(s, zt_dead_tag(5, 1));
	finish(mem, s, seg, workers, ops, pushed, n_pushed);
}

int main(int argc, char **argv)
{
	unsigned workers = (unsigned)zt_arg(argc, argv, 1, 4);
	unsigned ops = (unsigned)zt_arg(argc, argv, 2, 1000);

	ZT_REQUIRE_CRASH_POINTS();
	if (workers > ZT_DEAD_MAX_WORKERS)
		workers = ZT_DEAD_MAX_WORKERS;
	if (ops > ZT_DEAD_MAX_OPS - 8 * CAP)
		ops = ZT_DEAD_MAX_OPS - 8 * CAP; /* room for the final drain */
	case_push_claimed(workers, ops);
	case_push_writing(workers, ops);
	case_pop_claimed(workers, ops);
	case_pop_reading(workers, ops);
	printf("stack dead peer: %s\n", zt_failures == 0 ? "ok" : "FAILED");
	return zt_failures == 0 ? 0 : 1;
}
