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

#include "zt_test.h"

#define CAP 8u
#define SHORT_NS 5000000LL /* 5 ms: what a wait on the dead slot costs */
#define CALL_LIMIT_NS 2000000000LL /* a call slower than this "hung" */

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

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t tag(unsigned who, unsigned seq)
{
	return ((uint64_t)who << 32) | seq;
}

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
	uint64_t v[3] = { tag(9, 0), tag(9, 1), tag(9, 2) };
	size_t n;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_queue_open(&q, mem, "q", 8, NULL) != 0)
		return 1;
	setenv("ZEROIPC_CRASH_AT", a->point, 1);
	if (a->push && a->batch)
		zeroipc_queue_push_n(&n, q, v, 3, 0);
	else if (a->push)
		zeroipc_queue_try_push(q, v);
	else if (a->batch)
		zeroipc_queue_pop_n(v, &n, q, 3, 0);
	else
		zeroipc_queue_try_pop(v, q);
	return 2; /* the crash point did not fire */
}

/* ---- phase two: several survivors at once ---- */

#define MAX_WORKERS 8
#define MAX_OPS 4096

struct log {
	unsigned pushed_ok; /* elements pushed */
	unsigned popped;    /* elements popped */
	unsigned timeouts;  /* ETIMEOUT results */
	unsigned bad;       /* statuses no call should return here */
	unsigned slow;      /* calls that took longer than CALL_LIMIT_NS */
	uint64_t out[MAX_OPS];
	unsigned char ok[MAX_OPS]; /* ok[seq]: element seq was pushed */
};

struct phase2 {
	char seg[128];
	unsigned workers, ops;
	struct zt_gate gate;
	unsigned id;
	struct log *logs; /* [workers], shared */
};

static void note(struct log *l, int rc, int64_t started)
{
	if (now_ns() - started > CALL_LIMIT_NS)
		l->slow++;
	if (rc == ZEROIPC_ETIMEOUT)
		l->timeouts++;
	else if (rc != 0 && rc != ZEROIPC_EFULL && rc != ZEROIPC_EEMPTY)
		l->bad++;
}

static int survivor(void *p)
{
	struct phase2 *c = p;
	struct log *l = &c->logs[c->id];
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
		int64_t t = now_ns();
		size_t n = 0, want = 1 + zt_rand(&rng) % 4;
		int rc;

		switch (zt_rand(&rng) % 4) {
		case 0:
			if (seq + want > MAX_OPS)
				break;
			for (size_t k = 0; k < want; k++)
				v[k] = tag(100 + c->id, seq + (unsigned)k);
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
			if (seq >= MAX_OPS)
				break;
			v[0] = tag(100 + c->id, seq);
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
					   l->popped < MAX_OPS; k++)
				l->out[l->popped++] = v[k];
			note(l, rc, t);
			break;
		default:
			rc = zeroipc_queue_pop(v, q, SHORT_NS);
			if (rc == 0 && l->popped < MAX_OPS)
				l->out[l->popped++] = v[0];
			note(l, rc, t);
			break;
		}
	}
	zeroipc_queue_close(q);
	zeroipc_memory_close(mem);
	return 0;
}

/* Was v pushed, by a survivor or by phase one? */
static int delivered(const struct phase2 *c, uint64_t v,
		     const uint64_t *phase1, unsigned n1)
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

static void run_phase2(const char *seg, unsigned workers, unsigned ops,
		       const uint64_t *phase1, unsigned n1,
		       const uint64_t *popped1, unsigned np1)
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
	for (i = 0; i < workers; i++) {
		CHECK(c.logs[i].bad == 0);
		CHECK(c.logs[i].slow == 0);
		n += c.logs[i].popped;
		timeouts += c.logs[i].timeouts;
	}
	/* The dead claim is still there: some waits must have met it. */
	CHECK(timeouts > 0);
	all = malloc(sizeof(*all) * (n + np1 + 1));
	CHECK(all != NULL);
	if (all == NULL)
		return;
	n = 0;
	for (i = 0; i < np1; i++)
		all[n++] = popped1[i];
	for (i = 0; i < workers; i++)
		for (j = 0; j < c.logs[i].popped; j++) {
			uint64_t v = c.logs[i].out[j];

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
	int rc;

	memset(r, 0, sizeof(*r));
	zt_name(r->seg, sizeof(r->seg), "q-dead");
	if (zeroipc_memory_create(&r->mem, r->seg, 1u << 20, NULL) != 0 ||
	    zeroipc_queue_create(&r->q, r->mem, "q", 8, CAP, NULL) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		exit(1);
	}
	for (unsigned i = 0; i < 3; i++) {
		uint64_t v = tag(1, i);

		CHECK(zeroipc_queue_try_push(r->q, &v) == 0);
		r->pushed[r->n_pushed++] = v;
	}
	a.seg = r->seg;
	a.point = point;
	a.push = push;
	a.batch = batch;
	rc = zt_wait(zt_fork(victim, &a));
	if (rc == 2) {
		fprintf(stderr, "crash point %s did not fire\n", point);
		zt_failures++;
	}
	CHECK(rc == 128 + SIGKILL);
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
	uint64_t v = tag(7, 7);
	int64_t t = now_ns();

	if (push)
		CHECK(zeroipc_queue_push(r->q, &v, SHORT_NS) ==
		      ZEROIPC_ETIMEOUT);
	else
		CHECK(zeroipc_queue_pop(&v, r->q, SHORT_NS) ==
		      ZEROIPC_ETIMEOUT);
	t = now_ns() - t;
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

	current = batch ? "queue.push.claimed (push_n)" : "queue.push.claimed";
	fresh(&r, "queue.push.claimed", 1, batch);
	CHECK(zeroipc_queue_validate(r.mem, "q") == ZEROIPC_ECORRUPT);
	CHECK(strstr(zeroipc_last_error(), "never published") != NULL);
	CHECK(zeroipc_queue_size(r.q) == 3 + dead);
	/* What was published before the dead claim pops as usual. */
	for (i = 0; i < 3; i++)
		expect_pop(&r, tag(1, i));
	/* Then the dead slot: nothing to pop, never a hang. */
	CHECK(zeroipc_queue_try_pop(&v, r.q) == ZEROIPC_EEMPTY);
	expect_timeout(&r, 0);
	/* Producers go on until the queue is full up to the dead slot. */
	free_slots = CAP - dead;
	for (i = 0; i < free_slots; i++)
		expect_push(&r, tag(2, i));
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

	current = batch ? "queue.pop.claimed (pop_n)" : "queue.pop.claimed";
	fresh(&r, "queue.pop.claimed", 0, batch);
	CHECK(zeroipc_queue_validate(r.mem, "q") == ZEROIPC_ECORRUPT);
	CHECK(strstr(zeroipc_last_error(), "never released") != NULL);
	CHECK(zeroipc_queue_size(r.q) == 3 - dead);
	/* The dead consumer's elements are gone; the rest pop. */
	for (i = dead; i < 3; i++)
		expect_pop(&r, tag(1, i));
	CHECK(zeroipc_queue_try_pop(&v, r.q) == ZEROIPC_EEMPTY);
	expect_timeout(&r, 0);
	/* Positions 3..7 are free; position 8 needs the dead slot 0. */
	for (i = 0; i < CAP - 3; i++)
		expect_push(&r, tag(2, i));
	CHECK(zeroipc_queue_try_push(r.q, &v) == ZEROIPC_EFULL);
	expect_timeout(&r, 1);
	/* Consumers still drain everything that was published. */
	for (i = 0; i < CAP - 3; i++)
		expect_pop(&r, tag(2, i));
	expect_timeout(&r, 0);
	expect_timeout(&r, 1);
	finish(&r, workers, ops);
}

int main(int argc, char **argv)
{
	unsigned workers = (unsigned)zt_arg(argc, argv, 1, 3);
	unsigned ops = (unsigned)zt_arg(argc, argv, 2, 300);

#ifndef ZEROIPC_TEST_CRASH_POINTS
	(void)workers;
	(void)ops;
	printf("library built without ZEROIPC_CRASH_POINTS: skipped\n");
	return ZT_SKIP;
#else
	if (workers > MAX_WORKERS)
		workers = MAX_WORKERS;
	case_push_claimed(0, workers, ops);
	case_push_claimed(1, workers, ops);
	case_pop_claimed(0, workers, ops);
	case_pop_claimed(1, workers, ops);
	return zt_failures == 0 ? 0 : 1;
#endif
}
