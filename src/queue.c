/* SPDX-License-Identifier: MIT */
/*
 * queue.c - bounded MPMC queue with a sequence word per slot (after Dmitry
 * Vyukov's bounded MPMC queue), in the zeroipc format v2 layout.
 *
 * Slot i serves every position p with p & mask == i.  For each such p its
 * sequence word seq[i] goes through three values:
 *
 *   p          free: the producer of position p may fill the slot
 *   p + 1      published: the consumer of position p may take it
 *   p + cap    released: the slot is free for position p + cap
 *
 * A producer at position pos compares seq with pos: equal means free, below
 * means the slot still holds the element of pos - cap (the queue is full),
 * above means somebody already produced at pos.  A consumer compares seq
 * with pos + 1 the same way.  All comparisons are by signed 32-bit
 * difference, so positions wrap at 2^32; capacity is a power of two so that
 * the wrap lands on slot 0, and at most 2^30 so that the differences
 * (-cap..cap) stay clear of the sign bit.  A capacity of 1 would make
 * "published" (p + 1) and "released" (p + cap) the same value, so 2 is the
 * minimum.
 *
 * Claiming: in the default mode a position is claimed by a compare-and-swap
 * on tail (push) or head (pop); a batch reads the sequence words of the run
 * first and claims all of its ready slots with one compare-and-swap.  head
 * and tail carry no data, so their CAS is relaxed; the element bytes are
 * handed over by the sequence word alone:
 *
 *   - the producer's release store of p + 1 (after copying in) pairs with
 *     the consumer's acquire load of the sequence (before copying out);
 *   - the consumer's release store of p + cap (after copying out) pairs with
 *     the next producer's acquire load (before copying in).
 *
 * Single-producer (single-consumer) handles own their position: they skip
 * the CAS, keep the position in the handle and store tail (head) only when
 * it crosses a multiple of QUEUE_LAZY_MAX (or a quarter of the capacity, if
 * smaller), when the handle closes, and never otherwise.  Consumers and
 * producers never need the other side's counter (the sequence words say
 * everything), so only size() and a later opener see the lag; both read the
 * counter and then step over the slots whose sequence shows them done.
 * Opening repairs a counter left behind by a crashed single-mode handle the
 * same way, but with a CAS, so that it only ever moves a counter forward
 * over slots that are finished.
 *
 * Waking: every push and pop publishes and then notifies the other side
 * with zeroipc__notify_light() (a compiler barrier and a load, no fence:
 * the fence would wait for the just-published, usually missing, cache
 * lines on every message), so every wait on a queue uses
 * zeroipc__wait_until_asym(), whose system-wide barrier stands in for the
 * notifier's fence (wait.h).
 *
 * Broken promises: in the default mode, a slot whose sequence is already
 * past pos while the counter still reads pos cannot happen (whoever
 * produced at pos advanced tail before publishing, and our acquire of the
 * sequence makes that advance visible), so it means a single-mode handle is
 * storing the counter lazily: ZEROIPC_EPROTOCOL, rather than rereading the
 * counter forever.  A single-mode handle that finds its own next slot
 * already produced (consumed) reports ZEROIPC_EPROTOCOL too.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"
#include "table_internal.h"
#include "wait.h"

/* Eventcounts in the companion entry "<name>.wait". */
enum {
	QUEUE_EC_ITEMS,   /* a slot was published: pops wait on it */
	QUEUE_EC_SPACE,   /* a slot was released: pushes wait on it */
	QUEUE_EC_QUARTER, /* the last slot of a quarter-aligned block was
			   * released: a single producer waiting for a
			   * quarter of the queue waits on it */
	QUEUE_EC_COUNT
};
_Static_assert(QUEUE_EC_COUNT == ZEROIPC_FMT_QUEUE_WAIT_EVENTCOUNTS,
	       "the companion holds one eventcount per QUEUE_EC_*");

/*
 * A single-mode handle stores its counter at least every this many
 * positions (a power of two): often enough that size() and a repair step
 * over few slots, rarely enough that the shared header line stays quiet.
 */
#define QUEUE_LAZY_MAX 64u
#define QUEUE_MIN_CAPACITY 2u
#define QUEUE_KNOWN_FLAGS                                                      \
	(ZEROIPC_QUEUE_SINGLE_PRODUCER | ZEROIPC_QUEUE_SINGLE_CONSUMER)

_Static_assert(ZEROIPC_QUEUE_NAME_MAX == ZEROIPC__WAIT_NAME_MAX,
	       "the public name limit is the companion's");
_Static_assert(ZEROIPC_QUEUE_CAPACITY_MAX == ZEROIPC_FMT_QUEUE_MAX_CAPACITY,
	       "the public capacity limit is the format's");

struct zeroipc_queue {
	zeroipc_memory *mem; /* borrowed; outlives the handle */
	struct zeroipc_fmt_queue_header *hdr;
	unsigned char *data;              /* slot 0 */
	uint32_t *seq;                    /* sequence word of slot 0 */
	struct zeroipc_fmt_eventcount *ec;   /* QUEUE_EC_COUNT, or NULL */
	uint32_t capacity;                /* validated at open: bounds */
	uint32_t mask;                    /* capacity - 1 */
	uint32_t elem_size;
	uint32_t flags;                   /* ZEROIPC_QUEUE_SINGLE_* */
	uint32_t quarter;                 /* capacity / 4, at least 1 */
	uint32_t lazy_mask;               /* lazy store interval - 1 */
	bool writable;
	/* Writable, and elements of a size move_one() copies inline. */
	bool fast_one;
	/* Large enough for producers to prefetch (QUEUE_PREFETCH_AHEAD). */
	bool ahead;
	/* Single producer: next position, and "found full, wait a quarter".
	 * Default mode: where this handle expects tail, the end of its last
	 * claim (a guess that the claim's CAS checks; handle threads share
	 * it, so it is accessed atomically, relaxed). */
	bool pfull;
	uint32_t ppos;
	/* Single consumer: next position.  Default mode: the guess of head,
	 * as ppos. */
	uint32_t cpos;
	char name[ZEROIPC_NAME_MAX + 1];
};

/* The sections: header, elements, one sequence word per slot. */
static bool queue_layout_of(struct zeroipc__slots_layout *l,
			    uint64_t elem_size, uint64_t capacity)
{
	return zeroipc__slots_layout_of(
		l, sizeof(struct zeroipc_fmt_queue_header), elem_size,
		capacity);
}

/*
 * How often a single-mode handle stores its counter (QUEUE_LAZY_MAX, or a
 * quarter of the capacity if smaller, at least 1): between its calls, the
 * stored value lags the handle's position by less than this (during one,
 * see lazy_lag_max()).
 */
static uint32_t lazy_interval(uint32_t capacity)
{
	uint32_t quarter = capacity / 4 > 0 ? capacity / 4 : 1;

	return quarter < QUEUE_LAZY_MAX ? quarter : QUEUE_LAZY_MAX;
}

/*
 * The most a counter that a single-mode handle stores lazily lags behind
 * that handle's position: a batch (up to the capacity) published before
 * the store that follows it, plus the lazy interval.  Also what is left
 * when the handle dies between the two.
 */
static uint32_t lazy_lag_max(uint32_t capacity)
{
	return capacity + lazy_interval(capacity);
}

/* a - b as the signed distance between two wrapping positions. */
static inline int32_t pos_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static inline uint32_t *slot_seq(const zeroipc_queue *q, uint32_t pos)
{
	return &q->seq[pos & q->mask];
}

static inline unsigned char *slot_data(const zeroipc_queue *q, uint32_t pos)
{
	return q->data + (size_t)(pos & q->mask) * q->elem_size;
}

static struct zeroipc_fmt_eventcount *queue_ec(const zeroipc_queue *q, int which)
{
	return q->ec != NULL ? &q->ec[which] : NULL;
}

/*
 * Step from `pos` over the positions whose slot is already past the state
 * `offset` names (0: produced, so tail lags; 1: consumed, so head lags), at
 * most `limit` steps.  Relaxed loads: the result is an estimate or, in a
 * repair, the expected value of a CAS that rechecks it.
 */
static uint32_t step_over_done(const uint32_t *seq, uint32_t mask,
			       uint32_t pos, uint32_t offset, uint32_t limit)
{
	for (uint32_t i = 0; i < limit; i++) {
		uint32_t s = zeroipc__load_relaxed_u32(&seq[pos & mask]);

		if (pos_diff(s, pos + offset) <= 0)
			break;
		pos++;
	}
	return pos;
}

/* ---- errors ---- */

static int protocol_error(const zeroipc_queue *q, const char *what,
			  uint32_t pos, uint32_t seq)
{
	return zeroipc__fail(ZEROIPC_EPROTOCOL,
			     "queue '%s': %s at position %u finds its slot "
			     "already at sequence %u: another handle broke "
			     "a single-producer/single-consumer promise "
			     "(or one died; reopen to repair)",
			     q->name, what, (unsigned)pos, (unsigned)seq);
}

static int readonly_error(const zeroipc_queue *q)
{
	return zeroipc__fail(ZEROIPC_EREADONLY,
			     "queue '%s': %s is mapped read-only", q->name,
			     q->mem->name);
}

static int full_error(const zeroipc_queue *q)
{
	return zeroipc__fail_lazy(ZEROIPC_EFULL, "queue '%s' is full",
				  q->name);
}

static int empty_error(const zeroipc_queue *q)
{
	return zeroipc__fail_lazy(ZEROIPC_EEMPTY,
				  "queue '%s' has nothing to pop", q->name);
}

/* ---- the two sides ---- */

/*
 * Push and pop mirror each other: a push takes free slots at tail and
 * publishes them, a pop takes published slots at head and releases them.
 * The helpers from here on serve both.  `side` is QUEUE_PUSH or QUEUE_POP
 * and always a constant, and the helpers that take it are always inlined,
 * so each use compiles to that side's code alone: sharing them adds
 * neither a test of the side nor a call to a per-message path.
 */
enum queue_side { QUEUE_PUSH, QUEUE_POP };

#define SIDE_INLINE static inline __attribute__((always_inline))
#define PUSHING(side) ((side) == QUEUE_PUSH)
/* A slot's sequence when its position is the side's to take: p (free)
 * for a push, p + 1 (published) for a pop. */
#define SIDE_OFFSET(side) (PUSHING(side) ? 0u : 1u)
/* The handle flag that puts the side in single mode. */
#define SIDE_SINGLE(side)                                                      \
	(PUSHING(side) ? ZEROIPC_QUEUE_SINGLE_PRODUCER                         \
		       : ZEROIPC_QUEUE_SINGLE_CONSUMER)
/* What the side finds when no slot is ready: the queue is full (empty). */
#define SIDE_BUSY(side) (PUSHING(side) ? ZEROIPC_EFULL : ZEROIPC_EEMPTY)

/* The counter the side claims from: tail for a push, head for a pop. */
SIDE_INLINE uint32_t *side_counter(const zeroipc_queue *q,
				   enum queue_side side)
{
	return PUSHING(side) ? &q->hdr->tail : &q->hdr->head;
}

/* A single-mode handle's own next position for the side. */
SIDE_INLINE uint32_t *side_pos(zeroipc_queue *q, enum queue_side side)
{
	return PUSHING(side) ? &q->ppos : &q->cpos;
}

/* ---- copying elements ---- */

/*
 * A producer of a batch prefetches (zeroipc__prefetch_for_write()) the
 * slots and sequence words of the next batch, so that those fetches
 * overlap with copying this batch.  (Single pushes do not prefetch:
 * measured, it made them slower.)
 */
/*
 * At most how many positions a producer prefetches; only in queues of at
 * least four times that many slots, where the slots that far ahead are
 * usually free (a line the consumer has yet to read is not worth taking
 * from it).
 */
#define QUEUE_PREFETCH_AHEAD 32u
/* At most this many bytes of slots are prefetched per batch. */
#define QUEUE_PREFETCH_BYTES 2048u

/*
 * Prefetch (for writing) the slots and sequence words of the `n` (at most
 * QUEUE_PREFETCH_AHEAD) positions from `from` on, one access per cache
 * line, at most QUEUE_PREFETCH_BYTES of slots.
 */
static void prefetch_positions(const zeroipc_queue *q, uint32_t from,
			       uint32_t n)
{
	uint32_t step = q->elem_size >= 64 ? 1 : 64 / q->elem_size;

	if (n > QUEUE_PREFETCH_AHEAD)
		n = QUEUE_PREFETCH_AHEAD;
	if ((uint64_t)n * q->elem_size > QUEUE_PREFETCH_BYTES)
		n = QUEUE_PREFETCH_BYTES / q->elem_size + 1;
	for (uint32_t i = 0; i < n; i += step)
		zeroipc__prefetch_for_write(slot_data(q, from + i));
	for (uint32_t i = 0; i < n; i += 16)
		zeroipc__prefetch_for_write(slot_seq(q, from + i));
}

/* memcpy() in the side's direction: into the slots for a push. */
SIDE_INLINE void copy_bytes(unsigned char *slots, unsigned char *buf,
			    size_t n, enum queue_side side)
{
	if (PUSHING(side))
		memcpy(slots, buf, n);
	else
		memcpy(buf, slots, n);
}

/*
 * Copy `k` elements (k <= cap) between `buf` and the slots of positions
 * pos..pos+k-1: in for a push, out for a pop.  The run wraps at most once.
 */
SIDE_INLINE void copy_slots(const zeroipc_queue *q, uint32_t pos,
			    unsigned char *buf, uint32_t k,
			    enum queue_side side)
{
	uint32_t first = pos & q->mask;
	uint32_t run = q->capacity - first;

	if (k == 1) {
		/* The common case: the element size picks plain moves. */
		unsigned char *slot = q->data + (size_t)first * q->elem_size;

		if (PUSHING(side))
			zeroipc__copy_elem(slot, buf, q->elem_size);
		else
			zeroipc__copy_elem(buf, slot, q->elem_size);
		return;
	}
	if (run > k)
		run = k;
	copy_bytes(q->data + (size_t)first * q->elem_size, buf,
		   (size_t)run * q->elem_size, side);
	if (k > run)
		copy_bytes(q->data, buf + (size_t)run * q->elem_size,
			   (size_t)(k - run) * q->elem_size, side);
}

/* ---- claims ---- */

/*
 * Count how many of the slots from `pos` on, up to `want` (the first is
 * known to be), are in state `p + offset` for their position p.  Acquire:
 * as for the first slot, the claimer copies these slots next.
 */
static inline uint32_t run_length(const zeroipc_queue *q, uint32_t pos,
				  uint32_t offset, uint32_t want)
{
	/* Locals, and a pointer walk up to the end of the array, then from
	 * slot 0: each acquire load is a compiler barrier that would make
	 * every field be reloaded, and the index be remasked, per slot. */
	const uint32_t *seq = q->seq;
	uint32_t first = pos & q->mask;
	uint32_t upto = q->capacity - first < want ? q->capacity - first : want;
	uint32_t expect = pos + offset, k = 1;

	const uint32_t *p = &seq[first + 1], *end = &seq[first + upto];

	expect++;
	/* Four at a time first: a run is usually several slots long. */
	while (end - p >= 4 && zeroipc__load_acquire_u32(p) == expect &&
	       zeroipc__load_acquire_u32(p + 1) == expect + 1 &&
	       zeroipc__load_acquire_u32(p + 2) == expect + 2 &&
	       zeroipc__load_acquire_u32(p + 3) == expect + 3) {
		p += 4;
		expect += 4;
	}
	while (p < end && zeroipc__load_acquire_u32(p) == expect) {
		p++;
		expect++;
	}
	k = (uint32_t)(p - &seq[first]);
	if (k == upto)
		while (k < want &&
		       zeroipc__load_acquire_u32(&seq[k - upto]) == expect) {
			k++;
			expect++;
		}
	return k;
}

/*
 * Claim up to `want` slots for the side (default mode): free ones at the
 * tail for a push, published ones at the head for a pop.  Returns 0 with
 * the first position and the count, EFULL / EEMPTY or EPROTOCOL.
 */
SIDE_INLINE int mp_claim(uint32_t *pos_out, uint32_t *count_out,
			 zeroipc_queue *q, uint32_t want,
			 enum queue_side side)
{
	uint32_t *counter = side_counter(q, side);
	/* Start from the end of this handle's last claim rather than from
	 * the counter: when no other handle claimed since, the CAS below is
	 * the only access to the header line, which the other side's claims
	 * keep pulling away.  A wrong guess costs a failed CAS (which returns
	 * the counter) or a reread below.  Relaxed: a candidate only, like
	 * the counter itself. */
	uint32_t pos = zeroipc__load_relaxed_u32(side_pos(q, side));

	for (;;) {
		/* Acquire: pairs with the other side's release in publish():
		 * before a push copies in, the last consumer of the slot has
		 * finished copying out; before a pop copies out, the
		 * producer's copy in is complete. */
		uint32_t s = zeroipc__load_acquire_u32(slot_seq(q, pos));
		int32_t d = pos_diff(s, pos + SIDE_OFFSET(side));
		uint32_t now;

		if (d == 0) {
			uint32_t k = run_length(q, pos, SIDE_OFFSET(side),
						want);

			/* Relaxed: the CAS only decides who owns positions
			 * pos..pos+k-1; the sequence words carry the data. */
			if (zeroipc__cas_relaxed_u32(counter, &pos, pos + k)) {
				zeroipc__store_relaxed_u32(side_pos(q, side),
							   pos + k);
				*pos_out = pos;
				*count_out = k;
				return 0;
			}
			continue; /* pos now holds the current counter */
		}
		/* Relaxed: a candidate, as above. */
		now = zeroipc__load_relaxed_u32(counter);
		if (now != pos) {
			/* A stale guess, or the counter moved on. */
			pos = now;
			continue;
		}
		if (d < 0)
			return SIDE_BUSY(side);
		return protocol_error(q, PUSHING(side) ? "push" : "pop", pos,
				      s);
	}
}

/*
 * The slot a single producer that found the queue full waits for: the last
 * of the quarter-aligned block that ends at least a quarter of the capacity
 * after `pos`.  Aligned, because consumers wake such a producer (through
 * QUEUE_EC_QUARTER) only when they release the last slot of a block.
 */
static inline uint32_t sp_target(const zeroipc_queue *q, uint32_t pos)
{
	return (pos + q->quarter - 1) | (q->quarter - 1);
}

/*
 * Single mode: the position is ours, no CAS.  A single producer that found
 * the queue full reports full until the slot sp_target() names is free too
 * (a quarter to half of the queue), so that it refills in long runs
 * instead of chasing the consumer slot by slot over shared cache lines.
 */
SIDE_INLINE int single_claim(uint32_t *pos_out, uint32_t *count_out,
			     zeroipc_queue *q, uint32_t want,
			     enum queue_side side)
{
	const char *what = PUSHING(side) ? "single-producer push"
					 : "single-consumer pop";
	uint32_t pos = *side_pos(q, side);
	/* Acquire: pairs with the other side's release in publish(), as in
	 * mp_claim(). */
	uint32_t s = zeroipc__load_acquire_u32(slot_seq(q, pos));
	int32_t d = pos_diff(s, pos + SIDE_OFFSET(side));

	if (d > 0)
		return protocol_error(q, what, pos, s);
	if (d < 0) {
		if (PUSHING(side))
			q->pfull = true;
		return SIDE_BUSY(side);
	}
	if (PUSHING(side) && q->pfull) {
		uint32_t ahead = sp_target(q, pos);
		/* Relaxed: only a threshold; each slot is read with acquire
		 * before it is written. */
		uint32_t sa = zeroipc__load_relaxed_u32(slot_seq(q, ahead));
		int32_t da = pos_diff(sa, ahead);

		if (da > 0)
			return protocol_error(q, what, ahead, sa);
		if (da < 0)
			return ZEROIPC_EFULL;
		q->pfull = false;
	}
	*pos_out = pos;
	*count_out = run_length(q, pos, SIDE_OFFSET(side), want);
	return 0;
}

/* ---- publishing ---- */

/*
 * Store v, v - 1, ... into end[-1], end[-2], ... down to *begin, four at a
 * time first (a run is usually several slots long).  Returns the value
 * that would come next.  Release: see publish().
 */
static inline uint32_t store_down(uint32_t *begin, uint32_t *end, uint32_t v)
{
	while (end - begin >= 4) {
		end -= 4;
		zeroipc__store_release_u32(end + 3, v);
		zeroipc__store_release_u32(end + 2, v - 1);
		zeroipc__store_release_u32(end + 1, v - 2);
		zeroipc__store_release_u32(end, v - 3);
		v -= 4;
	}
	while (end > begin)
		zeroipc__store_release_u32(--end, v--);
	return v;
}

/*
 * Hand positions pos..pos+k-1 to the other side: published (p + 1) after
 * a push copied in, released (p + cap) after a pop copied out.
 *
 * Last position first: the other side claims from the first position on,
 * so it finds the first slot ready only once the whole run is (where
 * stores become visible in order, as on x86), and it takes the run in one
 * claim instead of chasing our stores slot by slot over the cache lines
 * we are still writing.  Each slot is still checked on its own, so the
 * order is only about speed.
 */
SIDE_INLINE void publish(const zeroipc_queue *q, uint32_t pos, uint32_t k,
			 enum queue_side side)
{
	uint32_t *seq = q->seq;
	uint32_t first = pos & q->mask;
	uint32_t upto = q->capacity - first < k ? q->capacity - first : k;
	uint32_t last = pos + k - 1 + (PUSHING(side) ? 1 : q->capacity);

	/* Release: pairs with the other side's acquire of this word in its
	 * claim; our copy in happens before the consumer's copy out, or our
	 * copy out before the next producer's copy in.  The part that
	 * wrapped to slot 0 holds the last positions. */
	last = store_down(seq, seq + (k - upto), last);
	store_down(&seq[first], &seq[first + upto], last);
}

/* Whether moving from `from` to `to` crosses a lazy-store boundary. */
static inline bool lazy_due(const zeroipc_queue *q, uint32_t from, uint32_t to)
{
	return ((from ^ to) & ~q->lazy_mask) != 0;
}

/*
 * Push or pop up to `want` (1..capacity) elements: claim, copy, publish,
 * wake.  Returns 0 with the count, EFULL / EEMPTY (no message recorded) or
 * EPROTOCOL.
 */
SIDE_INLINE int move_some(uint32_t *count_out, zeroipc_queue *q,
			  unsigned char *values, uint32_t want,
			  enum queue_side side)
{
	bool single = (q->flags & SIDE_SINGLE(side)) != 0;
	uint32_t pos = 0, k = 0;
	int rc;

	rc = single ? single_claim(&pos, &k, q, want, side)
		    : mp_claim(&pos, &k, q, want, side);
	if (rc != 0)
		return rc;
	ZEROIPC__CRASH_POINT(PUSHING(side) ? "queue.push.claimed"
					   : "queue.pop.claimed");
	/* The next run of a producer that pushes runs (see
	 * prefetch_positions()), while this one is copied. */
	if (PUSHING(side) && k > 1 && q->ahead)
		prefetch_positions(q, pos + k, k);
	copy_slots(q, pos, values, k, side);
	publish(q, pos, k, side);
	if (single) {
		*side_pos(q, side) = pos + k;
		/* Relaxed: tail and head are hints for size() and openers,
		 * never a hand-over (see the file comment). */
		if (lazy_due(q, pos, pos + k))
			zeroipc__store_relaxed_u32(side_counter(q, side),
						   pos + k);
	}
	/* Light: no fence on this per-message path; our waiters use
	 * zeroipc__wait_until_asym() (wait.h). */
	zeroipc__notify_light(queue_ec(q, PUSHING(side) ? QUEUE_EC_ITEMS
							: QUEUE_EC_SPACE));
	/* A single producer waiting for a quarter sleeps on its own
	 * eventcount, woken once per quarter instead of once per pop. */
	if (!PUSHING(side) && ((pos ^ (pos + k)) & ~(q->quarter - 1)) != 0)
		zeroipc__notify_light(queue_ec(q, QUEUE_EC_QUARTER));
	*count_out = k;
	return 0;
}

/* move_some() out of line, once per side: what every call runs. */
static int push_some(uint32_t *count_out, zeroipc_queue *q,
		     unsigned char *values, uint32_t want)
{
	return move_some(count_out, q, values, want, QUEUE_PUSH);
}

static int pop_some(uint32_t *count_out, zeroipc_queue *q,
		    unsigned char *values, uint32_t want)
{
	return move_some(count_out, q, values, want, QUEUE_POP);
}

/* ---- waiting ---- */

/*
 * Readiness check for zeroipc__wait_until_asym().  It only says "worth
 * another try": relaxed loads, since the claim that follows rereads with
 * acquire.  A slot that shows a broken promise counts as ready so that the
 * claim reports it instead of the wait sleeping on it.
 */
SIDE_INLINE bool side_ready(zeroipc_queue *q, enum queue_side side)
{
	bool single = (q->flags & SIDE_SINGLE(side)) != 0;
	uint32_t pos = single ? *side_pos(q, side)
			      : zeroipc__load_relaxed_u32(
					side_counter(q, side));
	int32_t d = pos_diff(zeroipc__load_relaxed_u32(slot_seq(q, pos)),
			     pos + SIDE_OFFSET(side));

	/* A single producer that found the queue full waits for
	 * sp_target() too, as its claim does. */
	if (PUSHING(side) && single && q->pfull && d == 0) {
		pos = sp_target(q, pos);
		d = pos_diff(zeroipc__load_relaxed_u32(slot_seq(q, pos)), pos);
	}
	return d >= 0;
}

static bool push_ready(void *ctx)
{
	return side_ready(ctx, QUEUE_PUSH);
}

/*
 * Readiness for a single producer that found the queue full while it
 * sleeps on QUEUE_EC_QUARTER: sp_target()'s slot is free (or its first
 * slot shows a broken promise).  Not "both slots free": with several
 * consumers the target may be released before the first slot, and that
 * later release notifies only QUEUE_EC_SPACE, so the wait must move there
 * (move_wait()) instead of sleeping on QUARTER until its slice ends.
 */
static bool quarter_ready(void *ctx)
{
	zeroipc_queue *q = ctx;
	uint32_t pos = q->ppos, target = sp_target(q, pos);

	return pos_diff(zeroipc__load_relaxed_u32(slot_seq(q, target)),
			target) >= 0 ||
	       pos_diff(zeroipc__load_relaxed_u32(slot_seq(q, pos)), pos) > 0;
}

static bool pop_ready(void *ctx)
{
	return side_ready(ctx, QUEUE_POP);
}

/* A wait that ended without a slot: ETIMEOUT, with what it waited for. */
static int wait_error(const zeroipc_queue *q, enum queue_side side, int rc,
		      int64_t timeout_ns)
{
	if (PUSHING(side))
		return zeroipc__fail(rc, "queue '%s' stayed full for %lld ns",
				     q->name, (long long)timeout_ns);
	return zeroipc__fail(rc, "queue '%s': nothing to pop within %lld ns "
			     "(empty, or the oldest position's producer "
			     "has not published it)",
			     q->name, (long long)timeout_ns);
}

/*
 * After a first attempt found the queue full (push) or empty (pop): wait
 * and retry until the deadline; with timeout 0, report it at once.
 */
static int move_wait(uint32_t *count_out, zeroipc_queue *q,
		     unsigned char *values, uint32_t want, int64_t timeout_ns,
		     enum queue_side side)
{
	zeroipc__deadline d;
	int rc;

	if (timeout_ns == 0)
		return PUSHING(side) ? full_error(q) : empty_error(q);
	d = zeroipc__deadline_in(timeout_ns);
	for (;;) {
		/* Pushes wait for pops to free a slot, pops for pushes to
		 * publish one.  A single producer that found the queue full
		 * waits for sp_target()'s slot first, so the pops before it
		 * need not wake it; then, if its first slot is still taken,
		 * for that one. */
		int which = !PUSHING(side) ? QUEUE_EC_ITEMS : QUEUE_EC_SPACE;
		bool (*ready)(void *) = PUSHING(side) ? push_ready : pop_ready;

		if (PUSHING(side) &&
		    (q->flags & ZEROIPC_QUEUE_SINGLE_PRODUCER) && q->pfull &&
		    !quarter_ready(q)) {
			which = QUEUE_EC_QUARTER;
			ready = quarter_ready;
		}
		/* _asym: pairs with the light notifications of the other
		 * side in move_some(). */
		rc = zeroipc__wait_until_asym(queue_ec(q, which), ready, q,
					      &d);
		if (rc != 0)
			return wait_error(q, side, rc, timeout_ns);
		rc = PUSHING(side) ? push_some(count_out, q, values, want)
				   : pop_some(count_out, q, values, want);
		if (rc != SIDE_BUSY(side))
			return rc;
		if (zeroipc__deadline_passed(&d))
			return wait_error(q, side, ZEROIPC_ETIMEOUT,
					  timeout_ns);
	}
}

/*
 * Every push and pop call after its argument checks: one attempt, then a
 * wait for up to `timeout_ns` if the queue was full (empty).  Returns 0
 * with the count moved, or a status.
 */
SIDE_INLINE int move(uint32_t *count_out, zeroipc_queue *q,
		     unsigned char *values, uint32_t want, int64_t timeout_ns,
		     enum queue_side side)
{
	int rc;

	if (!q->writable)
		return readonly_error(q);
	rc = PUSHING(side) ? push_some(count_out, q, values, want)
			   : pop_some(count_out, q, values, want);
	if (rc == SIDE_BUSY(side))
		rc = move_wait(count_out, q, values, want, timeout_ns, side);
	return rc;
}

/*
 * move() out of line, once per side, for the single-element calls: their
 * fast path below stays a short leaf function.
 */
__attribute__((noinline)) static int push_slow(zeroipc_queue *q,
					       unsigned char *value,
					       int64_t timeout_ns)
{
	uint32_t k;

	return move(&k, q, value, 1, timeout_ns, QUEUE_PUSH);
}

__attribute__((noinline)) static int pop_slow(zeroipc_queue *q,
					      unsigned char *value,
					      int64_t timeout_ns)
{
	uint32_t k;

	return move(&k, q, value, 1, timeout_ns, QUEUE_POP);
}

/*
 * The notifications of move_some() after one element moved to `next`.
 * Out of line and cold: move_one() calls it only when a notification
 * has more to do than its loads, so that the fast path makes no call.
 */
__attribute__((noinline, cold)) static void notify_one(zeroipc_queue *q,
						       uint32_t next,
						       enum queue_side side)
{
	zeroipc__notify_light(queue_ec(q, PUSHING(side) ? QUEUE_EC_ITEMS
							: QUEUE_EC_SPACE));
	if (!PUSHING(side) && (next & (q->quarter - 1)) == 0)
		zeroipc__notify_light(queue_ec(q, QUEUE_EC_QUARTER));
}

static void push_notify_one(zeroipc_queue *q, uint32_t next)
{
	notify_one(q, next, QUEUE_PUSH);
}

static void pop_notify_one(zeroipc_queue *q, uint32_t next)
{
	notify_one(q, next, QUEUE_POP);
}

/*
 * Whether the notifications after one element moved to `next` are only
 * zeroipc__notify_light()'s loads, finding nobody asleep: the test that
 * function makes first, for both eventcounts at once.
 */
SIDE_INLINE bool nobody_waits(const zeroipc_queue *q, uint32_t next,
			      enum queue_side side)
{
	const struct zeroipc_fmt_eventcount *ec = q->ec;

	if (ec == NULL)
		return true;
	if (zeroipc__load_relaxed_u32(&zeroipc__light_state) !=
	    ZEROIPC__LIGHT_ON)
		return false;
	/* As in zeroipc__notify_light(): a compiler barrier between the
	 * publication and the loads; the waiters' barrier does the rest. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (zeroipc__ec_armed(&ec[PUSHING(side) ? QUEUE_EC_ITEMS
						: QUEUE_EC_SPACE]))
		return false;
	return PUSHING(side) || (next & (q->quarter - 1)) != 0 ||
	       !zeroipc__ec_armed(&ec[QUEUE_EC_QUARTER]);
}

/*
 * One element when its slot is ready at once: the claim, copy, publication
 * and notification of move_some() for k = 1, with nothing else, for the
 * element sizes that copy as plain moves (q->fast_one).  Returns true if
 * it moved the element; false leaves everything as it was for the general
 * path (which also reports full, empty and broken promises).
 */
SIDE_INLINE bool move_one(zeroipc_queue *q, unsigned char *value,
			  enum queue_side side)
{
	bool single = (q->flags & SIDE_SINGLE(side)) != 0;
	uint32_t *seq = q->seq, mask = q->mask, pos;
	unsigned char *slot;

	if (__builtin_expect(!q->fast_one || (PUSHING(side) && q->pfull), 0))
		return false;
	/* Relaxed in the default mode: the guess of mp_claim(). */
	pos = single ? *side_pos(q, side)
		     : zeroipc__load_relaxed_u32(side_pos(q, side));
	/* Acquire: as in mp_claim(). */
	if (zeroipc__load_acquire_u32(&seq[pos & mask]) !=
	    pos + SIDE_OFFSET(side))
		return false;
	/* Relaxed: as in mp_claim(). */
	if (!single && !zeroipc__cas_relaxed_u32(side_counter(q, side), &pos,
						 pos + 1))
		return false;
	ZEROIPC__CRASH_POINT(PUSHING(side) ? "queue.push.claimed"
					   : "queue.pop.claimed");
	slot = q->data + (size_t)(pos & mask) * q->elem_size;
	/* Constant sizes: moves, no call (fast_one admits only these). */
	switch (q->elem_size) {
#define ONE_SIZE(n)                                                            \
	case n:                                                                \
		if (PUSHING(side))                                             \
			memcpy(slot, value, n);                                \
		else                                                           \
			memcpy(value, slot, n);                                \
		break
		ONE_SIZE(1);
		ONE_SIZE(2);
		ONE_SIZE(4);
		ONE_SIZE(8);
		ONE_SIZE(16);
		ONE_SIZE(32);
		ONE_SIZE(64);
#undef ONE_SIZE
	default:
		__builtin_unreachable();
	}
	/* Release: as in publish(). */
	zeroipc__store_release_u32(&seq[pos & mask],
				   pos + (PUSHING(side) ? 1 : q->capacity));
	pos++;
	if (single) {
		*side_pos(q, side) = pos;
		/* Relaxed: as in move_some(). */
		if ((pos & q->lazy_mask) == 0)
			zeroipc__store_relaxed_u32(side_counter(q, side), pos);
	} else {
		zeroipc__store_relaxed_u32(side_pos(q, side), pos);
	}
	if (__builtin_expect(!nobody_waits(q, pos, side), 0)) {
		if (PUSHING(side))
			push_notify_one(q, pos);
		else
			pop_notify_one(q, pos);
	}
	return true;
}

/* ---- lifecycle ---- */

static int parse_opts(uint32_t *flags_out, const zeroipc_queue_opts *opts)
{
	*flags_out = 0;
	if (opts == NULL)
		return 0;
	if (opts->size < offsetof(zeroipc_queue_opts, flags) +
				 sizeof(opts->flags))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "queue opts: size %zu is too small; "
				     "initialise with ZEROIPC_QUEUE_OPTS_INIT",
				     opts->size);
	if ((opts->flags & ~QUEUE_KNOWN_FLAGS) != 0)
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "queue opts: unknown flags 0x%x",
				     (unsigned)(opts->flags &
						~QUEUE_KNOWN_FLAGS));
	*flags_out = opts->flags;
	return 0;
}

struct queue_init {
	uint32_t capacity;
	uint32_t elem_size;
	uint64_t seq_offset;
};

/* Runs under the table lock before the entry is visible: plain stores. */
static int init_queue(unsigned char *region, uint64_t size, void *arg)
{
	const struct queue_init *in = arg;
	struct zeroipc_fmt_queue_header *h = (void *)region;
	uint32_t *seq = (void *)(region + in->seq_offset);

	(void)size;
	h->head = 0;
	h->tail = 0;
	h->capacity = in->capacity;
	h->elem_size = in->elem_size;
	for (uint32_t i = 0; i < in->capacity; i++)
		seq[i] = i;
	return 0;
}

static int new_handle(zeroipc_queue **out, zeroipc_memory *mem,
		      const char *name, uint64_t offset,
		      const struct zeroipc__slots_layout *l, uint32_t capacity,
		      uint32_t elem_size, uint32_t flags,
		      struct zeroipc_fmt_eventcount *ec)
{
	zeroipc_queue *q = calloc(1, sizeof(*q));
	uint32_t lazy;

	if (q == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	q->mem = mem;
	q->hdr = (void *)(mem->base + offset);
	q->data = mem->base + offset + l->data;
	q->seq = (void *)(mem->base + offset + l->words);
	q->ec = ec;
	q->capacity = capacity;
	q->mask = capacity - 1;
	q->elem_size = elem_size;
	q->flags = flags;
	q->quarter = capacity / 4 > 0 ? capacity / 4 : 1;
	lazy = lazy_interval(capacity);
	q->lazy_mask = lazy - 1;
	q->writable = !mem->readonly;
	q->fast_one = q->writable &&
		      (elem_size <= 64 && (elem_size & (elem_size - 1)) == 0);
	q->ahead = capacity >= 4 * QUEUE_PREFETCH_AHEAD;
	snprintf(q->name, sizeof(q->name), "%s", name);
	/* Register for light notifications now rather than on the first
	 * push or pop, which should not pay for a system call. */
	if (q->writable && ec != NULL)
		(void)zeroipc__notify_light_enable();
	/* Acquire: pairs with the release stores of a single-mode handle's
	 * close, so we start where it stopped. */
	q->ppos = zeroipc__load_acquire_u32(&q->hdr->tail);
	q->cpos = zeroipc__load_acquire_u32(&q->hdr->head);
	*out = q;
	return 0;
}

static uint32_t round_up_pow2(uint32_t v)
{
	uint32_t p = QUEUE_MIN_CAPACITY;

	while (p < v)
		p <<= 1;
	return p;
}

int zeroipc_queue_create(zeroipc_queue **out, zeroipc_memory *mem,
			 const char *name, uint64_t elem_size,
			 uint64_t capacity, const zeroipc_queue_opts *opts)
{
	struct zeroipc_fmt_eventcount *ec;
	struct zeroipc__slots_layout l;
	struct queue_init in;
	uint64_t offset;
	uint32_t flags;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0 && elem_size <= UINT32_MAX);
	ZEROIPC__CHECK_ARG(capacity > 0 &&
			   capacity <= ZEROIPC_QUEUE_CAPACITY_MAX);
	rc = parse_opts(&flags, opts);
	if (rc != 0)
		return rc;
	rc = zeroipc__table_check_add(mem, name);
	if (rc != 0)
		return rc;
	in.capacity = round_up_pow2((uint32_t)capacity);
	in.elem_size = (uint32_t)elem_size;
	if (!queue_layout_of(&l, in.elem_size, in.capacity))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "queue of %u elements of %u bytes "
				     "overflows", (unsigned)in.capacity,
				     (unsigned)in.elem_size);
	in.seq_offset = l.words;
	/* The companion first: whoever finds the queue finds its waits. */
	rc = zeroipc__wait_companion_for_new(&ec, mem, name, QUEUE_EC_COUNT);
	if (rc != 0)
		return rc;
	rc = zeroipc__table_add_init(&offset, mem, name, l.total, init_queue,
				     &in);
	if (rc != 0)
		return rc;
	return new_handle(out, mem, name, offset, &l, in.capacity,
			  in.elem_size, flags, ec);
}

/*
 * The checks common to open and validate: find the queue and check its
 * header against its entry.  On success fills the offset, layout,
 * capacity and element size.
 */
static int check_header(uint64_t *offset_out, struct zeroipc__slots_layout *l,
			uint32_t *capacity_out, uint32_t *elem_size_out,
			const zeroipc_memory *mem, const char *name)
{
	const struct zeroipc_fmt_queue_header *h;
	uint32_t capacity, elem_size;
	uint64_t size;
	int rc;

	rc = zeroipc__table_lookup_header(offset_out, &size, mem, "queue",
					  name, sizeof(*h));
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + *offset_out);
	/* Relaxed: capacity and elem_size never change after creation, and
	 * the entry was published (with release) after they were written. */
	capacity = zeroipc__load_relaxed_u32(
		(uint32_t *)(uintptr_t)&h->capacity);
	elem_size = zeroipc__load_relaxed_u32(
		(uint32_t *)(uintptr_t)&h->elem_size);
	if (capacity < QUEUE_MIN_CAPACITY ||
	    (capacity & (capacity - 1)) != 0 ||
	    capacity > ZEROIPC_QUEUE_CAPACITY_MAX)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "queue '%s': capacity %u is not a power "
				     "of two in 2..2^30", name,
				     (unsigned)capacity);
	if (elem_size == 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "queue '%s': element size 0", name);
	if (!queue_layout_of(l, elem_size, capacity) || l->total != size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "queue '%s': entry of %llu bytes does "
				     "not hold %u elements of %u bytes and "
				     "their sequence words", name,
				     (unsigned long long)size,
				     (unsigned)capacity, (unsigned)elem_size);
	*capacity_out = capacity;
	*elem_size_out = elem_size;
	return 0;
}

/*
 * head and tail may differ by up to the capacity either way (tail may lag
 * behind head while a single producer stores it lazily).  Further apart is
 * corruption, unless a lazily stored counter lags (a single-mode handle's,
 * open or dead: tail behind a head that consumers moved on, or head behind
 * a tail that producers moved a whole capacity on): so before deciding,
 * step both over the slots that are done, as a repair does, tail first (a
 * tail stepped after head could run more than the capacity ahead of it on
 * a busy queue).  Reread a few times so that a counter moving between our
 * loads is not taken for corruption.
 */
static bool positions_plausible(const struct zeroipc_fmt_queue_header *h,
				const uint32_t *seq, uint32_t capacity)
{
	/* Relaxed: a plausibility check on hints, ordering nothing. */
	for (int i = 0; i < 3; i++) {
		uint32_t head = zeroipc__load_relaxed_u32(
			(uint32_t *)(uintptr_t)&h->head);
		uint32_t tail = zeroipc__load_relaxed_u32(
			(uint32_t *)(uintptr_t)&h->tail);

		if (tail - head <= capacity || head - tail <= capacity)
			return true;
		tail = step_over_done(seq, capacity - 1, tail, 0,
				      lazy_lag_max(capacity));
		head = step_over_done(seq, capacity - 1, head, 1,
				      lazy_lag_max(capacity));
		if (tail - head <= capacity || head - tail <= capacity)
			return true;
	}
	return false;
}

/*
 * Move a lazily stored counter forward over the slots that are done (see
 * step_over_done()).  The CAS only succeeds while the counter still holds
 * the value we scanned from, and a single-mode handle only ever stores
 * positions at or past every slot it finished, so the counter never moves
 * back and never past a slot that is not done.
 */
static void repair_counter(const zeroipc_queue *q, uint32_t *counter,
			   uint32_t offset)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		/* Acquire, like the loads in new_handle(); the slots scanned
		 * next are read relaxed, as the CAS rechecks the start. */
		uint32_t now = zeroipc__load_acquire_u32(counter);
		uint32_t fixed = step_over_done(q->seq, q->mask, now, offset,
						lazy_lag_max(q->capacity));

		/* acq_rel: orders nothing the queue relies on (counters carry
		 * no data); the strong CAS is what keeps the move safe. */
		if (fixed == now ||
		    zeroipc__cas_acq_rel_u32(counter, &now, fixed))
			return;
	}
}

int zeroipc_queue_open(zeroipc_queue **out, zeroipc_memory *mem,
		       const char *name, uint64_t elem_size,
		       const zeroipc_queue_opts *opts)
{
	struct zeroipc_fmt_eventcount *ec = NULL;
	struct zeroipc__slots_layout l;
	uint64_t offset;
	uint32_t capacity, stored_size, flags;
	zeroipc_queue *q;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	rc = parse_opts(&flags, opts);
	if (rc != 0)
		return rc;
	rc = check_header(&offset, &l, &capacity, &stored_size, mem, name);
	if (rc != 0)
		return rc;
	if (stored_size != elem_size)
		return zeroipc__elem_size_mismatch("queue", name, stored_size,
						   elem_size);
	if (!positions_plausible((const void *)(mem->base + offset),
				 (const void *)(mem->base + offset + l.words),
				 capacity))
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "queue '%s': head and tail are further "
				     "apart than the capacity %u", name,
				     (unsigned)capacity);
	/* A foreign creator may have used a name too long for the suffix:
	 * open it anyway, with waits that poll in slices. */
	if (strlen(name) <= ZEROIPC__WAIT_NAME_MAX) {
		rc = zeroipc__wait_companion(&ec, mem, name, QUEUE_EC_COUNT);
		if (rc != 0)
			return rc;
	}
	rc = new_handle(&q, mem, name, offset, &l, capacity, stored_size,
			flags, ec);
	if (rc != 0)
		return rc;
	if (q->writable) {
		repair_counter(q, &q->hdr->tail, 0);
		repair_counter(q, &q->hdr->head, 1);
		/* Start a single-mode handle where the slots say (acquire:
		 * as in new_handle()). */
		q->ppos = zeroipc__load_acquire_u32(&q->hdr->tail);
		q->cpos = zeroipc__load_acquire_u32(&q->hdr->head);
	}
	zeroipc__clear_error();
	*out = q;
	return 0;
}

/* Store `pos` into `counter` unless the counter is already at or past it. */
static void store_forward(uint32_t *counter, uint32_t pos)
{
	uint32_t now = zeroipc__load_relaxed_u32(counter);

	/* Release: pairs with the acquire loads in new_handle(): a later
	 * opener starts at our exact position. */
	while (pos_diff(pos, now) > 0 &&
	       !zeroipc__cas_acq_rel_u32(counter, &now, pos))
		;
}

void zeroipc_queue_close(zeroipc_queue *queue)
{
	if (queue == NULL)
		return;
	if (queue->writable) {
		if (queue->flags & ZEROIPC_QUEUE_SINGLE_PRODUCER)
			store_forward(&queue->hdr->tail, queue->ppos);
		if (queue->flags & ZEROIPC_QUEUE_SINGLE_CONSUMER)
			store_forward(&queue->hdr->head, queue->cpos);
	}
	free(queue);
}

/* ---- validation at rest ---- */

int zeroipc_queue_validate(const zeroipc_memory *mem, const char *name)
{
	const struct zeroipc_fmt_queue_header *h;
	struct zeroipc__slots_layout l;
	uint64_t offset;
	uint32_t capacity, elem_size, mask, head, tail, pos;
	const uint32_t *seq;
	int rc;

	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = check_header(&offset, &l, &capacity, &elem_size, mem, name);
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + offset);
	seq = (const void *)(mem->base + offset + l.words);
	mask = capacity - 1;
	/* Relaxed throughout: the queue is at rest, and a report on a moving
	 * one is a snapshot anyway. */
	head = zeroipc__load_relaxed_u32((uint32_t *)(uintptr_t)&h->head);
	tail = zeroipc__load_relaxed_u32((uint32_t *)(uintptr_t)&h->tail);
	/* As at open (positions_plausible()): lazily stored counters may
	 * lag. */
	tail = step_over_done(seq, mask, tail, 0, lazy_lag_max(capacity));
	head = step_over_done(seq, mask, head, 1, lazy_lag_max(capacity));
	if (tail - head > capacity && head - tail > capacity)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "queue '%s': head %u and tail %u are "
				     "further apart than the capacity %u",
				     name, (unsigned)head, (unsigned)tail,
				     (unsigned)capacity);
	head = step_over_done(seq, mask, head, 1, capacity);
	tail = step_over_done(seq, mask, tail, 0, capacity);
	if (pos_diff(tail, head) < 0 || tail - head > capacity)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "queue '%s': the slots put head at %u "
				     "and tail at %u", name, (unsigned)head,
				     (unsigned)tail);
	for (pos = head; pos != tail; pos++) {
		uint32_t s = zeroipc__load_relaxed_u32(&seq[pos & mask]);

		if (s == pos)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "queue '%s': position %u (slot "
					     "%u) was claimed but never "
					     "published (its producer died "
					     "mid-push?)", name, (unsigned)pos,
					     (unsigned)(pos & mask));
		if (s != pos + 1)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "queue '%s': slot %u has sequence "
					     "%u, expected %u (published)",
					     name, (unsigned)(pos & mask),
					     (unsigned)s, (unsigned)(pos + 1));
	}
	for (; pos != head + capacity; pos++) {
		uint32_t s = zeroipc__load_relaxed_u32(&seq[pos & mask]);

		if (s == pos - capacity + 1)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "queue '%s': position %u (slot "
					     "%u) was popped but never "
					     "released (its consumer died "
					     "mid-pop?)", name,
					     (unsigned)(pos - capacity),
					     (unsigned)(pos & mask));
		if (s != pos)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "queue '%s': slot %u has sequence "
					     "%u, expected %u (free)", name,
					     (unsigned)(pos & mask),
					     (unsigned)s, (unsigned)pos);
	}
	zeroipc__clear_error();
	return 0;
}

/* ---- operations ---- */

int zeroipc_queue_try_push(zeroipc_queue *queue, const void *value)
{
	ZEROIPC__CHECK_ARG(queue != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	if (move_one(queue, zeroipc__in_buf(value), QUEUE_PUSH))
		return 0;
	return push_slow(queue, zeroipc__in_buf(value), 0);
}

int zeroipc_queue_try_pop(void *out, zeroipc_queue *queue)
{
	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(queue != NULL);
	if (move_one(queue, out, QUEUE_POP))
		return 0;
	return pop_slow(queue, out, 0);
}

int zeroipc_queue_push(zeroipc_queue *queue, const void *value,
		       int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(queue != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	if (move_one(queue, zeroipc__in_buf(value), QUEUE_PUSH))
		return 0;
	return push_slow(queue, zeroipc__in_buf(value), timeout_ns);
}

int zeroipc_queue_pop(void *out, zeroipc_queue *queue, int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(queue != NULL);
	if (move_one(queue, out, QUEUE_POP))
		return 0;
	return pop_slow(queue, out, timeout_ns);
}

int zeroipc_queue_push_n(size_t *pushed_out, zeroipc_queue *queue,
			 const void *values, size_t count, int64_t timeout_ns)
{
	uint32_t want, k = 0;
	int rc;

	ZEROIPC__CHECK_ARG(pushed_out != NULL);
	*pushed_out = 0;
	ZEROIPC__CHECK_ARG(queue != NULL);
	ZEROIPC__CHECK_ARG(values != NULL || count == 0);
	if (count == 0)
		return 0;
	want = count < queue->capacity ? (uint32_t)count : queue->capacity;
	rc = move(&k, queue, zeroipc__in_buf(values), want, timeout_ns,
		  QUEUE_PUSH);
	if (rc == 0)
		*pushed_out = k;
	return rc;
}

int zeroipc_queue_pop_n(void *values_out, size_t *popped_out,
			zeroipc_queue *queue, size_t max, int64_t timeout_ns)
{
	uint32_t want, k = 0;
	int rc;

	ZEROIPC__CHECK_ARG(popped_out != NULL);
	*popped_out = 0;
	ZEROIPC__CHECK_ARG(queue != NULL);
	ZEROIPC__CHECK_ARG(values_out != NULL || max == 0);
	if (max == 0)
		return 0;
	want = max < queue->capacity ? (uint32_t)max : queue->capacity;
	rc = move(&k, queue, values_out, want, timeout_ns, QUEUE_POP);
	if (rc == 0)
		*popped_out = k;
	return rc;
}

/* ---- observers ---- */

uint64_t zeroipc_queue_size(const zeroipc_queue *queue)
{
	uint32_t head, tail, lazy;
	int32_t d;

	if (queue == NULL)
		return 0;
	lazy = queue->lazy_mask + 1;
	/* Relaxed: a snapshot; lazily stored counters are stepped forward
	 * over the slots that are done, as far as they can lag. */
	head = step_over_done(queue->seq, queue->mask,
			      zeroipc__load_relaxed_u32(&queue->hdr->head), 1,
			      lazy);
	tail = step_over_done(queue->seq, queue->mask,
			      zeroipc__load_relaxed_u32(&queue->hdr->tail), 0,
			      lazy);
	d = pos_diff(tail, head);
	if (d <= 0)
		return 0;
	return (uint32_t)d > queue->capacity ? queue->capacity : (uint32_t)d;
}

int zeroipc_queue_empty(const zeroipc_queue *queue)
{
	return zeroipc_queue_size(queue) == 0;
}

int zeroipc_queue_full(const zeroipc_queue *queue)
{
	return queue != NULL && zeroipc_queue_size(queue) == queue->capacity;
}

uint64_t zeroipc_queue_capacity(const zeroipc_queue *queue)
{
	return queue != NULL ? queue->capacity : 0;
}

uint64_t zeroipc_queue_elem_size(const zeroipc_queue *queue)
{
	return queue != NULL ? queue->elem_size : 0;
}

uint32_t zeroipc_queue_flags(const zeroipc_queue *queue)
{
	return queue != NULL ? queue->flags : 0;
}
