/* SPDX-License-Identifier: MIT */
/*
 * zt_deadpeer.h - the dead-peer stress tests of the element containers
 * (Queue, Stack): a victim process dies at a crash point inside an
 * operation, then survivors work on the damaged structure.  What those
 * tests share: checks labelled with the crash point under test, the
 * victim's exit, and phase two, where forked survivors log what they
 * pushed and popped and the parent audits the logs (nothing popped twice,
 * nothing popped that no push delivered, no status outside the contract).
 *
 * For tests without cmocka that link libzeroipc; include after zt_test.h's
 * dependencies (it includes zt_test.h itself).
 */
#ifndef ZT_DEADPEER_H
#define ZT_DEADPEER_H

#include <inttypes.h>
#include <signal.h>

#include <zeroipc.h>

#include "zt_test.h"

/* The crash point (and variant) the checks below belong to. */
static const char *zt_dead_current = "";

/* ZT_CHECK with the case under test and the library's detail message. */
#define ZT_DEAD_CHECK(cond)                                                    \
	ZT_CHECK(cond, "[%s] last_error: %s", zt_dead_current,                 \
		 zeroipc_last_error())

/* An element's value: who pushed it (phase one < 100 <= survivors), and
 * its number in that pusher's sequence. */
static inline uint64_t zt_dead_tag(unsigned who, unsigned seq)
{
	return ((uint64_t)who << 32) | seq;
}

/* A victim child's exit when its crash point never fired. */
#define ZT_DEAD_MISSED 2

/* Wait for the victim, which must have died (SIGKILL) at `point`. */
static inline void zt_dead_wait_victim(pid_t pid, const char *point)
{
	int rc = zt_wait(pid);

	if (rc == ZT_DEAD_MISSED) {
		fprintf(stderr, "crash point %s did not fire\n", point);
		zt_failures++;
	}
	ZT_DEAD_CHECK(rc == 128 + SIGKILL);
}

/* ---- phase two: several survivors at once ---- */

#define ZT_DEAD_MAX_WORKERS 8
#define ZT_DEAD_MAX_OPS 4096

/* What one survivor did, in memory shared with the parent. */
struct zt_dead_log {
	unsigned pushed_ok; /* elements pushed */
	unsigned popped;    /* elements popped */
	unsigned timeouts;  /* ETIMEOUT results */
	unsigned bad;       /* statuses no call should return here */
	unsigned slow;      /* calls slower than the test's limit */
	uint64_t out[ZT_DEAD_MAX_OPS];          /* popped values */
	unsigned char ok[ZT_DEAD_MAX_OPS];      /* ok[seq]: seq was pushed */
};

struct zt_dead_phase2 {
	char seg[128];
	unsigned workers, ops;
	struct zt_gate gate;
	unsigned id;              /* the survivor's, set before each fork */
	struct zt_dead_log *logs; /* [workers], shared */
};

/*
 * Fork `workers` survivors running survivor(c) (each opens the segment
 * c->seg, calls zt_gate_wait(&c->gate), logs into c->logs[c->id]), start
 * them together and wait for all of them.  The logs stay for the audit.
 */
static inline void zt_dead_run_survivors(struct zt_dead_phase2 *c,
					 const char *seg, unsigned workers,
					 unsigned ops, int (*survivor)(void *))
{
	pid_t pids[ZT_DEAD_MAX_WORKERS];
	unsigned i;

	memset(c, 0, sizeof(*c));
	snprintf(c->seg, sizeof(c->seg), "%s", seg);
	c->workers = workers;
	c->ops = ops;
	c->logs = zt_shared_alloc(sizeof(struct zt_dead_log) * workers);
	ZT_DEAD_CHECK(zt_gate_init(&c->gate) == 0);
	for (i = 0; i < workers; i++) {
		c->id = i;
		pids[i] = zt_fork(survivor, c);
	}
	ZT_DEAD_CHECK(zt_gate_release(&c->gate, workers) == 0);
	for (i = 0; i < workers; i++)
		ZT_DEAD_CHECK(zt_wait(pids[i]) == 0);
}

/* Was v pushed, by a survivor (its log says so) or by phase one? */
static inline int zt_dead_delivered(const struct zt_dead_phase2 *c,
				    uint64_t v, const uint64_t *phase1,
				    unsigned n1)
{
	unsigned who = (unsigned)(v >> 32), seq = (uint32_t)v;

	if (who >= 100 && who < 100 + c->workers && seq < ZT_DEAD_MAX_OPS)
		return c->logs[who - 100].ok[seq];
	for (unsigned i = 0; i < n1; i++)
		if (phase1[i] == v)
			return 1;
	return 0;
}

/*
 * Audit the survivors' logs: no survivor saw a status outside the
 * contract or a call slower than its limit; every popped value (theirs,
 * and phase one's `popped1`) was delivered by a push (the survivors' or
 * phase one's `pushed1`), is not `poison` (the victim's element; 0: none)
 * and was popped once.  Frees the logs; returns the ETIMEOUTs seen.
 */
static inline unsigned zt_dead_audit(struct zt_dead_phase2 *c,
				     const uint64_t *pushed1, unsigned n1,
				     const uint64_t *popped1, unsigned np1,
				     uint64_t poison)
{
	unsigned n = 0, i, j, timeouts = 0;
	uint64_t *all;

	for (i = 0; i < c->workers; i++) {
		ZT_DEAD_CHECK(c->logs[i].bad == 0);
		ZT_DEAD_CHECK(c->logs[i].slow == 0);
		n += c->logs[i].popped;
		timeouts += c->logs[i].timeouts;
	}
	all = malloc(sizeof(*all) * (n + np1 + 1));
	ZT_DEAD_CHECK(all != NULL);
	if (all == NULL)
		return timeouts;
	n = 0;
	for (i = 0; i < np1; i++)
		all[n++] = popped1[i];
	for (i = 0; i < c->workers; i++)
		for (j = 0; j < c->logs[i].popped; j++) {
			uint64_t v = c->logs[i].out[j];

			ZT_DEAD_CHECK(poison == 0 || v != poison);
			ZT_DEAD_CHECK(zt_dead_delivered(c, v, pushed1, n1));
			all[n++] = v;
		}
	qsort(all, n, sizeof(*all), zt_cmp_u64);
	for (i = 1; i < n; i++)
		if (all[i] == all[i - 1]) {
			fprintf(stderr, "[%s] 0x%016" PRIx64 " popped twice\n",
				zt_dead_current, all[i]);
			zt_failures++;
		}
	printf("  %s: %u survivors x %u ops: %u popped, %u timeouts\n",
	       zt_dead_current, c->workers, c->ops, n, timeouts);
	free(all);
	zt_shared_free(c->logs, sizeof(struct zt_dead_log) * c->workers);
	c->logs = NULL;
	return timeouts;
}

#endif /* ZT_DEADPEER_H */
