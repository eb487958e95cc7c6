/* SPDX-License-Identifier: MIT */
/*
 * stress_queue_deadpeer.c - a process dies inside a queue operation,
 * between claiming its positions and publishing (or releasing) their slots:
 *
 *   queue.push.claimed   tail moved past the position, slot still free
 *   queue.pop.claimed    head moved past the position, slot still full
 *
 * once in a single push or pop and once in a batch.  The survivors must
 * keep working and never hang: the positions before the dead claim pop as
 * usual, pushes continue until the queue is full, and a call that needs the
 * dead slot returns ZEROIPC_ETIMEOUT (or EEMPTY/EFULL when it does not
 * wait).  Phase one replays an exact sequence in this process and checks
 * each result; phase two runs several processes at once over the damaged
 * queue and checks that every call returns a documented status, that
 * nothing is popped twice and nothing is popped that no push delivered.
 *
 * Needs a library built with ZEROIPC_CRASH_POINTS; skips (77) otherwise.
 *
 * usage: stress_queue_deadpeer [workers] [ops per worker]
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zeroipc.h>

#include "zt_deadpeer.h"

#define CAP 8u
#define SHORT_NS 5000000LL /* 5 ms: what a wait on the dead slot costs */
#define CALL_LIMIT_NS 2000000000LL /* a call slower than this "hung" */

/* Every check names the crash point under test. */
#define CHECK ZT_DEAD_CHECK

struct victim_arg {
	const char *seg;
	const char *point;
	int push;  /* 1: die in a push, 0: in a pop */
	int batch; /* die in push_n/pop_n of 3 */
};

/* Child: arm the crash point, then run the operation it sits in. */
static int victim(void *p)
{
	const struct victim_arg *a = p;
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t v[3] = {zt_dead_tag(9, 0), zt_dead_tag(9, 1),
			 zt_dead_tag(9, 2)};
	size_t n;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 8, NULL) != 0)
		return 1;
	zt_crash_at(a->point, false);
	if (a->push && a->batch)
		zeroipc_queue_push_n(&n, q, v, 3, 0);
	else if (a->push)
		zeroipc_queue_try_push(q, v);
	else if (a->batch)
		zeroipc_queue_pop_n(v, &n, q, 3, 0);
	else
		zeroipc_queue_try_pop(v, q);
	return ZT_DEAD_MISSED;
}

/* ---- phase two: several survivors at once ---- */


static void note(struct zt_dead_log *l, int rc, int64_t started)
{
	if (zt_now_ns() - started > CALL_LIMIT_NS)
		l->slow++;
	if (rc == ZEROIPC_ETIMEOUT)
		l->timeouts++;
	else if (rc != 0 && rc != ZEROIPC_EFULL && rc != ZEROIPC_EEMPTY)
		l->bad++;
}

static int survivor(void *p)
{
	struct zt_dead_phase2 *c = p;
	struct zt_dead_log *l = &c->logs[c->id];
	zeroipc_memory *mem = NULL;
	zeroipc_queue *q = NULL;
	uint64_t rng = 0xA0761D6478BD642FULL * (c->id + 7);
	unsigned seq = 0;

	if (zeroipc_memory_open(&mem, c->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 8, NULL) != 0 ||
	    zt_gate_wait(&c->gate) != 0)
		return 1;
	for (unsigned i = 0; i < c->ops; i++) {
		uint64_t v[4];
		int64_t t = zt_now_ns();
		size_t n = 0, want = 1 + zt_rand(&rng) % 4;
		int rc;

		switch (zt_rand(&rng) % 4) {
		case 0:
			if (seq + want > ZT_DEAD_MAX_OPS)
				break;
			for (size_t k = 0; k < want; k++)
				v[k] = zt_dead_tag(100 + c->id,
						   seq + (unsigned)k);
			rc = zeroipc_queue_push_n(&n, q, v, want,
						  zt_rand(&rng) & 1 ? SHORT_NS
								    : 0);
			for (size_t k = 0; rc == 0 && k < n; k++)
				l->ok[seq + k] = 1;
			l->pushed_ok += (unsigned)n;
			seq += (unsigned)want;
			note(l, rc, t);
			break;
		case 1:
			if (seq >= ZT_DEAD_MAX_OPS)
				break;
			v[0] = zt_dead_tag(100 + c->id, seq);
			rc = zeroipc_queue_push(q, v, SHORT_NS);
			if (rc == 0) {
				l->ok[seq] = 1;
				l->pushed_ok++;
			}
			seq++;
			note(l, rc, t);
			break;
		case 2:
			rc = zeroipc_queue_pop_n(v, &n, q, want,
						 zt_rand(&rng) & 1 ? SHORT_NS
								   : 0);
			for (size_t k = 0; rc == 0 && k < n &&
					   l->popped < ZT_DEAD_MAX_OPS; k++)
				l->out[l->popped++] = v[k];
			note(l, rc, t);
			break;
		default:
			rc = zeroipc_queue_pop(v, q, SHORT_NS);
			if (rc == 0 && l->popped < ZT_DEAD_MAX_OPS)
				l->out[l->popped++] = v[0];
			note(l, rc, t);
			break;
		}
	}
	zeroipc_queue_close(q);
	zeroipc_memory_close(mem);
	return 0;
}

static void run_phase2(const char *seg, unsigned workers, unsigned ops,
		       const uint64_t *phase1, unsigned n1,
		       const uint64_t *popped1, unsigned np1)
{
	struct zt_dead_phase2 c;

	zt_dead_run_survivors(&c, seg, workers, ops, survivor);
	/* The dead claim is still there: some waits must have met it. */
	CHECK(zt_dead_audit(&c, phase1, n1, popped1, np1, 0) > 0);
}

/* ---- phase one: an exact replay per crash point ---- */

struct replay {
	zeroipc_memory *mem;
	zeroipc_queue *q;
	char seg[128];
	uint64_t pushed[64]; /* everything pushed successfully */
	unsigned n_pushed;
	uint64_t popped[64]; /* everything popped in phase one */
	unsigned n_popped;
};

static void fresh(struct replay *r, const char *point, int push, int batch)
{
	struct victim_arg a;

	memset(r, 0, sizeof(*r));
	zt_name(r->seg, sizeof(r->seg), "q-dead");
	if (zeroipc_memory_create(&r->mem, r->seg, 1u << 20, NULL) != 0 ||
	    zeroipc_queue_create(&r->q, r->mem, "q", 8, CAP, NULL) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		exit(1);
	}
	for (unsigned i = 0; i < 3; i++) {
		uint64_t v = zt_dead_tag(1, i);

		CHECK(zeroipc_queue_try_push(r->q, &v) == 0);
		r->pushed[r->n_pushed++] = v;
	}
	a.seg = r->seg;
	a.point = point;
	a.push = push;
	a.batch = batch;
	zt_dead_wait_victim(zt_fork(victim, &a), point);
}

static void expect_pop(struct replay *r, uint64_t want)
{
	uint64_t got = 0;

	CHECK(zeroipc_queue_try_pop(&got, r->q) == 0);
	CHECK(got == want);
	r->popped[r->n_popped++] = got;
}

static void expect_push(struct replay *r, uint64_t v)
{
	CHECK(zeroipc_queue_try_push(r->q, &v) == 0);
	r->pushed[r->n_pushed++] = v;
}

/* A wait on the dead slot returns ETIMEOUT, after about the timeout. */
static void expect_timeout(struct replay *r, int push)
{
	uint64_t v = zt_dead_tag(7, 7);
	int64_t t = zt_now_ns();

	if (push)
		CHECK(zeroipc_queue_push(r->q, &v, SHORT_NS) ==
		      ZEROIPC_ETIMEOUT);
	else
		CHECK(zeroipc_queue_pop(&v, r->q, SHORT_NS) ==
		      ZEROIPC_ETIMEOUT);
	t = zt_now_ns() - t;
	CHECK(t >= SHORT_NS && t < CALL_LIMIT_NS);
}

static void finish(struct replay *r, unsigned workers, unsigned ops)
{
	run_phase2(r->seg, workers, ops, r->pushed, r->n_pushed, r->popped,
		   r->n_popped);
	zeroipc_queue_close(r->q);
	zeroipc_memory_close(r->mem);
	zeroipc_memory_unlink(r->seg);
}

/* The producer of position 3 (or 3..5) died before publishing. */
static void case_push_claimed(int batch, unsigned workers, unsigned ops)
{
	struct replay r;
	unsigned dead = batch ? 3 : 1, free_slots, i;
	uint64_t v;

	zt_dead_current =
		batch ? "queue.push.claimed (push_n)" : "queue.push.claimed";
	fresh(&r, "queue.push.claimed", 1, batch);
	CHECK(zeroipc_queue_validate(r.mem, "q") == ZEROIPC_ECORRUPT);
	CHECK(strstr(zeroipc_last_error(), "never published") != NULL);
	CHECK(zeroipc_queue_size(r.q) == 3 + dead);
	/* What was published before the dead claim pops as usual. */
	for (i = 0; i < 3; i++)
		expect_pop(&r, zt_dead_tag(1, i));
	/* Then the dead slot: nothing to pop, never a hang. */
	CHECK(zeroipc_queue_try_pop(&v, r.q) == ZEROIPC_EEMPTY);
	expect_timeout(&r, 0);
	/* Producers go on until the queue is full up to the dead slot. */
	free_slots = CAP - dead;
	for (i = 0; i < free_slots; i++)
		expect_push(&r, zt_dead_tag(2, i));
	CHECK(zeroipc_queue_try_push(r.q, &v) == ZEROIPC_EFULL);
	expect_timeout(&r, 1);
	expect_timeout(&r, 0);
	finish(&r, workers, ops);
}

/* The consumer of position 0 (or 0..2) died before releasing. */
static void case_pop_claimed(int batch, unsigned workers, unsigned ops)
{
	struct replay r;
	unsigned dead = batch ? 3 : 1, i;
	uint64_t v;

	zt_dead_current =
		batch ? "queue.pop.claimed (pop_n)" : "queue.pop.claimed";
	fresh(&r, "queue.pop.claimed", 0, batch);
	CHECK(zeroipc_queue_validate(r.mem, "q") == ZEROIPC_ECORRUPT);
	CHECK(strstr(zeroipc_last_error(), "never released") != NULL);
	CHECK(zeroipc_queue_size(r.q) == 3 - dead);
	/* The dead consumer's elements are gone; the rest pop. */
	for (i = dead; i < 3; i++)
		expect_pop(&r, zt_dead_tag(1, i));
	CHECK(zeroipc_queue_try_pop(&v, r.q) == ZEROIPC_EEMPTY);
	expect_timeout(&r, 0);
	/* Positions 3..7 are free; position 8 needs the dead slot 0. */
	for (i = 0; i < CAP - 3; i++)
		expect_push(&r, zt_dead_tag(2, i));
	CHECK(zeroipc_queue_try_push(r.q, &v) == ZEROIPC_EFULL);
	expect_timeout(&r, 1);
	/* Consumers still drain everything that was published. */
	for (i = 0; i < CAP - 3; i++)
		expect_pop(&r, zt_dead_tag(2, i));
	expect_timeout(&r, 0);
	expect_timeout(&r, 1);
	finish(&r, workers, ops);
}

int main(int argc, char **argv)
{
	unsigned workers = (unsigned)zt_arg(argc, argv, 1, 3);
	unsigned ops = (unsigned)zt_arg(argc, argv, 2, 300);

	ZT_REQUIRE_CRASH_POINTS();
	if (workers > ZT_DEAD_MAX_WORKERS)
		workers = ZT_DEAD_MAX_WORKERS;
	case_push_claimed(0, workers, ops);
	case_push_claimed(1, workers, ops);
	case_pop_claimed(0, workers, ops);
	case_pop_claimed(1, workers, ops);
	return zt_failures == 0 ? 0 : 1;
}
