/* SPDX-License-Identifier: MIT */
/*
 * wait.h - blocking on shared words: deadlines, futexes and eventcounts
 * (private).
 *
 * Every blocking call in the library waits through this layer, so that it
 * sleeps in the kernel (futex(2) on the shared word, never
 * FUTEX_PRIVATE_FLAG: the waker is usually another process), is bounded by a
 * deadline, and still notices a writer from another zeroipc implementation
 * that changes the data but never issues a wake: each sleep lasts at most
 * ZEROIPC__WAIT_SLICE_NS, then the condition is checked again.
 *
 * An eventcount is two shared u32 words, {waiters, seq}.  Bit 0 of seq is
 * ARMED: "someone may sleep on the current value"; the other bits count
 * notifications.  A waiter counts itself in waiters (diagnostics only), arms
 * seq with an atomic OR, rechecks its condition and only then sleeps on
 * seq.  A notifier publishes its change, issues a full fence and, only if
 * seq is armed, replaces it by the next count with ARMED clear and wakes
 * everyone.  Either the waiter's recheck sees the change or the notifier
 * sees ARMED, so no wake-up is lost.  The common case, nobody sleeping,
 * costs the notifier one fence and one load; and because the first
 * notification disarms seq, the publications that follow it make no system
 * call even before the woken waiter has run.  A waiter that dies while
 * armed costs the next notifier one needless wake, nothing more.
 */
#ifndef ZEROIPC_WAIT_H
#define ZEROIPC_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "atomics.h"
#include "internal.h"

/* Longest single sleep before the condition is rechecked. */
#define ZEROIPC__WAIT_SLICE_NS 1000000LL
/* Busy-wait iterations before sleeping: a hand-off between two running
 * processes usually completes within this, and waking a sleeper on another
 * CPU costs far more. */
#define ZEROIPC__WAIT_SPIN 2000

typedef struct zeroipc__deadline {
	int64_t at_ns; /* CLOCK_MONOTONIC; meaningless when forever */
	bool forever;
} zeroipc__deadline;

/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t zeroipc__now_ns(void);

/* Deadline `timeout_ns` from now; negative means forever, 0 means now. */
zeroipc__deadline zeroipc__deadline_in(int64_t timeout_ns);

bool zeroipc__deadline_passed(const zeroipc__deadline *d);

/*
 * Sleep while *word == expected, for at most one slice and never past the
 * deadline.  Returns 0 when the caller should recheck its condition (woken,
 * value changed, slice over, signal) or ZEROIPC_ETIMEOUT when the deadline
 * has passed.
 */
int zeroipc__futex_wait(const uint32_t *word, uint32_t expected,
			const zeroipc__deadline *d);

/* Wake up to `count` sleepers on `word` (INT32_MAX: all). */
void zeroipc__futex_wake(uint32_t *word, int count);

/* The shared words of an eventcount: struct zeroipc_fmt_eventcount in
 * format.h.  Bit 0 of seq is ARMED. */
#define ZEROIPC__EC_ARMED 1u

/* True if a waiter may be asleep on `ec` (relaxed: a hint unless fenced). */
static inline bool zeroipc__ec_armed(const struct zeroipc_fmt_eventcount *ec)
{
	return (zeroipc__load_relaxed_u32(&ec->seq) & ZEROIPC__EC_ARMED) != 0;
}

/* A condition a waiter checks; `ctx` is the caller's. */
typedef bool (*zeroipc__ready_fn)(void *ctx);

/*
 * Wait until ready(ctx) is true: spin briefly, then sleep on the eventcount
 * in slices until the deadline.  `ec` may be NULL for a structure without
 * eventcount words (it then sleeps in slices only).  Returns 0 when ready or
 * ZEROIPC_ETIMEOUT.
 */
int zeroipc__wait_until(struct zeroipc_fmt_eventcount *ec,
			zeroipc__ready_fn ready, void *ctx,
			const zeroipc__deadline *d);

/*
 * Tell waiters the condition may have changed.  Call after the change is
 * published.  No system call unless someone waits.
 */
void zeroipc__notify(struct zeroipc_fmt_eventcount *ec);

/*
 * Asymmetric variant, for a notifier that publishes on every message (the
 * Ring producer).  There the full fence of zeroipc__notify() costs a
 * cross-CPU round trip per message: the store it orders usually misses,
 * because the consumer just read that line.  Instead the notifier's process
 * registers once for membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) and then
 * orders "publish, then read waiters" with a compiler barrier only; a waiter
 * that may pair with such a notifier sleeps through
 * zeroipc__wait_until_asym(), which after announcing itself runs the
 * system-wide barrier.  That barrier acts as a full fence in every running
 * thread of every registered process, so either the notifier's later load
 * sees the announcement or the waiter's recheck sees the published change:
 * the same guarantee as the two fences.  Registration is per process and
 * is redone lazily in a forked child.  Where membarrier is unavailable the
 * notifier issues the fence after all.
 */

/* Register this process for light notifications; true if it may use them. */
bool zeroipc__notify_light_enable(void);

/* This process's registration: ZEROIPC__LIGHT_ON once registered. */
#define ZEROIPC__LIGHT_ON 1u
extern uint32_t zeroipc__light_state;

/* zeroipc__notify_light() when not (yet) registered: registers, or falls
 * back to zeroipc__notify(). */
void zeroipc__notify_light_slow(struct zeroipc_fmt_eventcount *ec);

/*
 * zeroipc__notify() for a publication on a hot path; pair its waiters with
 * zeroipc__wait_until_asym().  Inline: on the fast path it is two loads
 * and no store, so it adds nothing to the store buffer the caller's
 * publication is draining through.
 */
static inline void zeroipc__notify_light(struct zeroipc_fmt_eventcount *ec)
{
	if (ec == NULL)
		return;
	if (zeroipc__load_relaxed_u32(&zeroipc__light_state) !=
	    ZEROIPC__LIGHT_ON) {
		zeroipc__notify_light_slow(ec);
		return;
	}
	/* Compiler barrier only: the caller's publishing store stays before
	 * this load in program order, and the waiter's membarrier supplies
	 * the hardware ordering (see above). */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (zeroipc__ec_armed(ec))
		zeroipc__notify(ec);
}

/* zeroipc__wait_until() that also pairs with zeroipc__notify_light(). */
int zeroipc__wait_until_asym(struct zeroipc_fmt_eventcount *ec,
			     zeroipc__ready_fn ready, void *ctx,
			     const zeroipc__deadline *d);

/*
 * Structures whose shared layout is fixed by format v2 (Queue, Stack, Ring)
 * have no room for eventcount words, so theirs live in a companion table
 * entry named "<name>" ZEROIPC__WAIT_SUFFIX holding `count` eventcounts.
 * Creators add the companion before the structure itself, so whoever finds
 * the structure finds its companion; opening a structure that another
 * zeroipc implementation created adds the companion then.  A read-only
 * handle that finds none gets *out = NULL and waits in slices.
 */
#define ZEROIPC__WAIT_SUFFIX ".wait"
#define ZEROIPC__WAIT_SUFFIX_LEN 5

/* Longest user name a structure with a companion entry can have. */
#define ZEROIPC__WAIT_NAME_MAX (ZEROIPC_NAME_MAX - ZEROIPC__WAIT_SUFFIX_LEN)

/*
 * Find or add the companion of `name` with `count` eventcounts.  Returns 0,
 * ZEROIPC_ENAME (name too long for the suffix), ZEROIPC_ECORRUPT (an entry of
 * that name with the wrong size) or a zeroipc_table_add() status.
 */
int zeroipc__wait_companion(struct zeroipc_fmt_eventcount **out,
			    zeroipc_memory *mem, const char *name,
			    unsigned count);

/*
 * For a creator: refuse a `name` that already exists (ZEROIPC_EEXISTS), so
 * that a failed create adds no companion, then find or add the companion.
 * The structure's own add still decides a race between two creators.
 */
int zeroipc__wait_companion_for_new(struct zeroipc_fmt_eventcount **out,
				    zeroipc_memory *mem, const char *name,
				    unsigned count);

#endif /* ZEROIPC_WAIT_H */
