/* SPDX-License-Identifier: MIT */
/*
 * stack.c - bounded MPMC stack with a four-state word per slot.
 *
 * An operation first claims an index with a CAS on top (push: top -> top+1
 * claims top+1; pop: top -> top-1 claims the old top), then works on that
 * slot under its state word:
 *
 *   push: wait EMPTY, CAS EMPTY -> WRITING, copy in, store READY
 *   pop:  wait READY, CAS READY -> READING, copy out, store EMPTY
 *
 * Because top moves by one, the claims on any index alternate push, pop,
 * push, pop.  The claim and the slot transition are two steps, so a pop can
 * claim an index whose pusher has not published yet, and a push can claim an
 * index whose popper is still reading: each then waits for the state it
 * needs.  Every push adds exactly one READY and every pop takes exactly one,
 * and the slot is exclusively held while WRITING or READING, so no element
 * is lost or read twice; with live peers a waiter always gets its turn (a
 * push waits only while more pushes than pops completed on the index, a pop
 * only while fewer, and the alternation of claims rules out both being
 * stuck at once).  A dead peer is the one case that needs the bound: the
 * slot wait gives up after the handle's slot timeout with ETIMEOUT and
 * changes nothing, so the call had no effect.
 *
 * Ordering: element bytes are handed over by the state word alone.  The
 * release store of READY (after copying in) pairs with the acquire of the
 * popper's READY -> READING CAS (before copying out); the release store of
 * EMPTY (after copying out) pairs with the acquire of the next pusher's
 * EMPTY -> WRITING CAS (before copying in).  top carries no data, so its
 * CAS needs no ordering of its own; it is acq_rel anyway, because the
 * atomics layer offers no weaker read-modify-write that reports the
 * current value on failure and the cost is the same on x86.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"
#include "table_internal.h"
#include "wait.h"

/* Eventcounts in the companion entry "<name>.wait". */
enum {
	STACK_EC_ITEMS, /* a slot became READY: pops and peeks wait on it */
	STACK_EC_SPACE, /* a slot became EMPTY: pushes wait on it */
	STACK_EC_COUNT
};
_Static_assert(STACK_EC_COUNT == ZEROIPC_FMT_STACK_WAIT_EVENTCOUNTS,
	       "the companion holds one eventcount per STACK_EC_*");

struct zeroipc_stack {
	zeroipc_memory *mem; /* borrowed; outlives the handle */
	struct zeroipc_fmt_stack_header *hdr;
	unsigned char *data;            /* slot 0 */
	uint32_t *state;                /* state word of slot 0 */
	struct zeroipc_fmt_eventcount *ec; /* STACK_EC_COUNT, or NULL */
	int64_t slot_timeout_ns;
	uint32_t capacity; /* validated at open: bounds */
	uint32_t elem_size;
	char name[ZEROIPC_NAME_MAX + 1];
};

/* The sections: header, elements, one state word per slot. */
static bool stack_layout_of(struct zeroipc__slots_layout *l,
			    uint64_t elem_size, uint64_t capacity)
{
	return zeroipc__slots_layout_of(
		l, sizeof(struct zeroipc_fmt_stack_header), elem_size,
		capacity);
}

/* top as the signed index it is; the atomics layer works on u32. */
static uint32_t *top_word(const zeroipc_stack *s)
{
	return (uint32_t *)(void *)&s->hdr->top;
}

static int32_t as_index(uint32_t word)
{
	return (int32_t)word;
}

static int corrupt_top(const zeroipc_stack *s, int32_t top)
{
	return zeroipc__fail(ZEROIPC_ECORRUPT,
			     "stack '%s': top %d outside -1..%u", s->name,
			     (int)top, (unsigned)s->capacity - 1);
}

static int corrupt_state(const zeroipc_stack *s, uint32_t index, uint32_t state)
{
	return zeroipc__fail(ZEROIPC_ECORRUPT,
			     "stack '%s': slot %u has state %u, not 0..3",
			     s->name, (unsigned)index, (unsigned)state);
}

static const char *state_name(uint32_t state)
{
	switch (state) {
	case ZEROIPC_FMT_STACK_EMPTY:
		return "EMPTY";
	case ZEROIPC_FMT_STACK_WRITING:
		return "WRITING";
	case ZEROIPC_FMT_STACK_READY:
		return "READY";
	case ZEROIPC_FMT_STACK_READING:
		return "READING";
	default:
		return "invalid";
	}
}

static struct zeroipc_fmt_eventcount *stack_ec(const zeroipc_stack *s, int which)
{
	return s->ec != NULL ? &s->ec[which] : NULL;
}

/* ---- slot hand-over ---- */

struct slot_wait {
	const zeroipc_stack *s;
	uint32_t index;
	uint32_t want;
};

static bool slot_has_state(void *ctx)
{
	const struct slot_wait *w = ctx;
	uint32_t st = zeroipc__load_relaxed_u32(&w->s->state[w->index]);

	/* An invalid state never changes by itself: stop waiting and let the
	 * caller's CAS fail on it and report it. */
	return st == w->want || st > ZEROIPC_FMT_STACK_READING;
}

/*
 * Move slot `index` from `from` to `to`, waiting (bounded by the slot
 * timeout) while another process holds it.  The CAS is acq_rel: its acquire
 * half pairs with the release store that put the slot in `from` (see the
 * file comment for which copy that orders), and its release half is
 * harmless.  Returns 0, ETIMEOUT or ECORRUPT.
 */
static int slot_acquire(const zeroipc_stack *s, uint32_t index, uint32_t from,
			uint32_t to, int ec_which, const char *op)
{
	uint32_t *word = &s->state[index];
	struct slot_wait w = {s, index, from};
	zeroipc__deadline d;
	uint32_t st = from;
	int rc;

	if (zeroipc__cas_acq_rel_u32(word, &st, to))
		return 0;
	d = zeroipc__deadline_in(s->slot_timeout_ns);
	for (;;) {
		if (st > ZEROIPC_FMT_STACK_READING)
			return corrupt_state(s, index, st);
		rc = zeroipc__wait_until(stack_ec(s, ec_which), slot_has_state,
					 &w, &d);
		st = from;
		if (zeroipc__cas_acq_rel_u32(word, &st, to))
			return 0;
		if (rc == ZEROIPC_ETIMEOUT || zeroipc__deadline_passed(&d)) {
			if (st > ZEROIPC_FMT_STACK_READING)
				return corrupt_state(s, index, st);
			return zeroipc__fail(ZEROIPC_ETIMEOUT,
					     "stack '%s': %s claimed slot %u "
					     "but it stayed %s (another "
					     "process holds it or died "
					     "holding it) past the slot "
					     "timeout of %lld ns; nothing "
					     "was done",
					     s->name, op, (unsigned)index,
					     state_name(st),
					     (long long)s->slot_timeout_ns);
		}
	}
}

/* ---- the two sides ---- */

/*
 * Push and pop mirror each other on a slot: each waits for the state the
 * other leaves, holds the slot while it copies and leaves the state the
 * other waits for.  The helpers below serve both; `side` is always a
 * constant and they are always inlined, so each use compiles to that
 * side's code alone (its stack_sides[] entry folds away).
 */
enum stack_side { STACK_PUSH, STACK_POP };

#define SIDE_INLINE static inline __attribute__((always_inline))
#define PUSHING(side) ((side) == STACK_PUSH)

static const struct {
	const char *op;
	uint32_t from;     /* the state the slot must be in */
	uint32_t held;     /* while we copy */
	uint32_t to;       /* the state we leave */
	int wait_ec;       /* where to sleep for `from` or for room/items */
	int wake_ec;       /* whom `to` wakes */
	int busy;          /* the status when no slot is there */
	const char *claimed_point, *held_point; /* crash points */
} stack_sides[] = {
	[STACK_PUSH] = { "push", ZEROIPC_FMT_STACK_EMPTY,
			 ZEROIPC_FMT_STACK_WRITING, ZEROIPC_FMT_STACK_READY,
			 STACK_EC_SPACE, STACK_EC_ITEMS, ZEROIPC_EFULL,
			 "stack.push.claimed", "stack.push.writing" },
	[STACK_POP] = { "pop", ZEROIPC_FMT_STACK_READY,
			ZEROIPC_FMT_STACK_READING, ZEROIPC_FMT_STACK_EMPTY,
			STACK_EC_ITEMS, STACK_EC_SPACE, ZEROIPC_EEMPTY,
			"stack.pop.claimed", "stack.pop.reading" },
};

/* ---- claims on top ---- */

/*
 * Claim an index: top + 1 for a push, top for a pop.  Returns 0, EFULL /
 * EEMPTY or ECORRUPT.
 */
SIDE_INLINE int claim(uint32_t *index_out, const zeroipc_stack *s,
		      enum stack_side side)
{
	uint32_t cur = zeroipc__load_relaxed_u32(top_word(s));
	/* Read once: the CAS below is a compiler barrier. */
	int64_t capacity = s->capacity;

	for (;;) {
		int32_t top = as_index(cur);

		if (top < -1 || top >= capacity)
			return corrupt_top(s, top);
		if (PUSHING(side) ? top == capacity - 1 : top == -1)
			return stack_sides[side].busy;
		/* No data moves with top (the slot state hands it over), so
		 * this CAS orders nothing; on failure cur is refreshed. */
		if (zeroipc__cas_acq_rel_u32(
			    top_word(s), &cur,
			    (uint32_t)(PUSHING(side) ? top + 1 : top - 1))) {
			*index_out = (uint32_t)(PUSHING(side) ? top + 1 : top);
			return 0;
		}
	}
}

static int check_writable(const zeroipc_stack *s)
{
	if (s->mem->readonly)
		return zeroipc__fail(ZEROIPC_EREADONLY,
				     "stack '%s': %s is mapped read-only",
				     s->name, s->mem->name);
	return 0;
}

/*
 * One push (pop): claim an index, take its slot, copy `buf` in (out), hand
 * the slot on.  The slot may still be held by the operation that claimed
 * the index before us (a pop still READING it, a push still WRITING it):
 * slot_acquire() waits for it.  Returns 0, EFULL / EEMPTY, ETIMEOUT or
 * ECORRUPT.
 */
SIDE_INLINE int once(zeroipc_stack *s, unsigned char *buf,
		     enum stack_side side)
{
	unsigned char *slot;
	uint32_t index = 0;
	int rc;

	rc = claim(&index, s, side);
	if (rc != 0)
		return rc;
	ZEROIPC__CRASH_POINT(stack_sides[side].claimed_point);
	rc = slot_acquire(s, index, stack_sides[side].from,
			  stack_sides[side].held, stack_sides[side].wait_ec,
			  stack_sides[side].op);
	if (rc != 0)
		return rc;
	ZEROIPC__CRASH_POINT(stack_sides[side].held_point);
	slot = s->data + (uint64_t)index * s->elem_size;
	if (PUSHING(side))
		memcpy(slot, buf, s->elem_size);
	else
		memcpy(buf, slot, s->elem_size);
	/* Release: after a push it publishes the bytes above and pairs with
	 * the acquire of the popper's READY -> READING CAS in
	 * slot_acquire(); after a pop it ends our reads of the slot before
	 * the next pusher may overwrite it, pairing with the acquire of its
	 * EMPTY -> WRITING CAS. */
	zeroipc__store_release_u32(&s->state[index], stack_sides[side].to);
	zeroipc__notify(stack_ec(s, stack_sides[side].wake_ec));
	return 0;
}

/* once() out of line, once per side. */
static int push_once(zeroipc_stack *s, const void *value)
{
	return once(s, zeroipc__in_buf(value), STACK_PUSH);
}

static int pop_once(void *out, zeroipc_stack *s)
{
	return once(s, out, STACK_POP);
}

/* ---- lifecycle ---- */

struct stack_init_arg {
	uint32_t capacity;
	uint32_t elem_size;
};

static int init_stack(unsigned char *region, uint64_t size, void *arg)
{
	const struct stack_init_arg *a = arg;
	struct zeroipc_fmt_stack_header *h = (void *)region;

	/* The region arrives zeroed: data, padding and every state word
	 * (EMPTY) are already right; reserved stays 0. */
	(void)size;
	h->top = -1;
	h->capacity = a->capacity;
	h->elem_size = a->elem_size;
	return 0;
}

static int new_handle(zeroipc_stack **out, zeroipc_memory *mem,
		      const char *name, uint64_t offset,
		      const struct zeroipc__slots_layout *l, uint32_t elem_size,
		      uint32_t capacity, struct zeroipc_fmt_eventcount *ec)
{
	zeroipc_stack *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	s->mem = mem;
	s->hdr = (void *)(mem->base + offset);
	s->data = mem->base + offset + l->data;
	s->state = (void *)(mem->base + offset + l->words);
	s->ec = ec;
	s->slot_timeout_ns = ZEROIPC_STACK_SLOT_TIMEOUT_DEFAULT_NS;
	s->capacity = capacity;
	s->elem_size = elem_size;
	snprintf(s->name, sizeof(s->name), "%s", name);
	*out = s;
	return 0;
}

int zeroipc_stack_create(zeroipc_stack **out, zeroipc_memory *mem,
			 const char *name, uint64_t elem_size,
			 uint64_t capacity)
{
	struct stack_init_arg arg;
	struct zeroipc_fmt_eventcount *ec;
	struct zeroipc__slots_layout l;
	uint64_t offset;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0 && elem_size <= UINT32_MAX);
	ZEROIPC__CHECK_ARG(capacity > 0 &&
			   capacity <= ZEROIPC_STACK_CAPACITY_MAX);
	if (!stack_layout_of(&l, elem_size, capacity))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "stack of %llu elements of %llu bytes "
				     "overflows",
				     (unsigned long long)capacity,
				     (unsigned long long)elem_size);
	rc = zeroipc__table_check_add(mem, name);
	if (rc != 0)
		return rc;
	/* The companion goes first, so whoever finds the stack finds it. */
	rc = zeroipc__wait_companion_for_new(&ec, mem, name, STACK_EC_COUNT);
	if (rc != 0)
		return rc;
	arg.capacity = (uint32_t)capacity;
	arg.elem_size = (uint32_t)elem_size;
	rc = zeroipc__table_add_init(&offset, mem, name, l.total, init_stack,
				     &arg);
	if (rc != 0)
		return rc;
	rc = new_handle(out, mem, name, offset, &l, arg.elem_size, arg.capacity,
			ec);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

/*
 * Read and check the header of stack `name`.  On success the layout and
 * the header fields are in the out-parameters.  A wrong element size is
 * ESIZE_MISMATCH only when the entry is otherwise consistent (it is a stack,
 * just not of the caller's type); anything else is ECORRUPT.
 */
static int read_header(uint64_t *offset_out, struct zeroipc__slots_layout *l,
		       uint32_t *capacity_out, uint32_t *elem_size_out,
		       int32_t *top_out, const zeroipc_memory *mem,
		       const char *name)
{
	const struct zeroipc_fmt_stack_header *h;
	uint64_t offset, size;
	uint32_t capacity, elem_size;
	int32_t top;
	int rc;

	rc = zeroipc__table_lookup_header(&offset, &size, mem, "stack", name,
					  sizeof(*h));
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + offset);
	/* One relaxed read of each field: another process may be writing
	 * top, and the checks below must judge the values we then use. */
	capacity = zeroipc__load_relaxed_u32(&h->capacity);
	elem_size = zeroipc__load_relaxed_u32(&h->elem_size);
	top = as_index(zeroipc__load_relaxed_u32(
		(const uint32_t *)(const void *)&h->top));
	if (capacity == 0 || capacity > ZEROIPC_STACK_CAPACITY_MAX)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "stack '%s': capacity %u outside 1..%u",
				     name, (unsigned)capacity,
				     (unsigned)ZEROIPC_STACK_CAPACITY_MAX);
	if (elem_size == 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "stack '%s': element size 0", name);
	if (!stack_layout_of(l, elem_size, capacity) || l->total != size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "stack '%s': entry of %llu bytes cannot "
				     "hold %u elements of %u bytes and their "
				     "states",
				     name, (unsigned long long)size,
				     (unsigned)capacity, (unsigned)elem_size);
	if (top < -1 || top >= (int64_t)capacity)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "stack '%s': top %d outside -1..%u", name,
				     (int)top, (unsigned)capacity - 1);
	*offset_out = offset;
	*capacity_out = capacity;
	*elem_size_out = elem_size;
	*top_out = top;
	return 0;
}

int zeroipc_stack_open(zeroipc_stack **out, zeroipc_memory *mem,
		       const char *name, uint64_t elem_size)
{
	struct zeroipc_fmt_eventcount *ec;
	struct zeroipc__slots_layout l;
	uint32_t capacity, stored_size;
	uint64_t offset;
	int32_t top;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	rc = read_header(&offset, &l, &capacity, &stored_size, &top, mem, name);
	if (rc != 0)
		return rc;
	if (stored_size != elem_size)
		return zeroipc__elem_size_mismatch("stack", name, stored_size,
						   elem_size);
	rc = zeroipc__wait_companion(&ec, mem, name, STACK_EC_COUNT);
	if (rc != 0)
		return rc;
	rc = new_handle(out, mem, name, offset, &l, stored_size, capacity, ec);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

void zeroipc_stack_close(zeroipc_stack *stack)
{
	free(stack);
}

int zeroipc_stack_validate(const zeroipc_memory *mem, const char *name)
{
	struct zeroipc__slots_layout l;
	const struct zeroipc_fmt_stack_header *h;
	const uint32_t *state;
	uint32_t capacity, elem_size, i;
	uint64_t offset;
	int32_t top;
	int rc;

	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = read_header(&offset, &l, &capacity, &elem_size, &top, mem, name);
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + offset);
	if (h->reserved != 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "stack '%s': reserved word is 0x%x, not 0",
				     name, (unsigned)h->reserved);
	state = (const void *)(mem->base + offset + l.words);
	for (i = 0; i < capacity; i++) {
		uint32_t st = zeroipc__load_relaxed_u32(&state[i]);
		uint32_t want = (int64_t)i <= top ? ZEROIPC_FMT_STACK_READY
						  : ZEROIPC_FMT_STACK_EMPTY;

		if (st > ZEROIPC_FMT_STACK_READING)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "stack '%s': slot %u has state "
					     "%u, not 0..3",
					     name, (unsigned)i, (unsigned)st);
		if (st != want)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "stack '%s': slot %u is %s but "
					     "top is %d, so it should be %s "
					     "(an operation was interrupted)",
					     name, (unsigned)i, state_name(st),
					     (int)top, state_name(want));
	}
	zeroipc__clear_error();
	return 0;
}

int zeroipc_stack_set_slot_timeout(zeroipc_stack *stack, int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(stack != NULL);
	ZEROIPC__CHECK_ARG(timeout_ns > 0);
	stack->slot_timeout_ns = timeout_ns;
	return 0;
}

int64_t zeroipc_stack_slot_timeout(const zeroipc_stack *stack)
{
	return stack != NULL ? stack->slot_timeout_ns : 0;
}

/* ---- operations ---- */

/* try_push() and try_pop() after their argument checks. */
SIDE_INLINE int try_once(zeroipc_stack *s, unsigned char *buf,
			 enum stack_side side)
{
	int rc = check_writable(s);

	if (rc != 0)
		return rc;
	rc = PUSHING(side) ? push_once(s, buf) : pop_once(buf, s);
	if (rc != stack_sides[side].busy)
		return rc;
	if (PUSHING(side))
		return zeroipc__fail(rc, "stack '%s' is full (%u elements)",
				     s->name, (unsigned)s->capacity);
	return zeroipc__fail(rc, "stack '%s' is empty", s->name);
}

int zeroipc_stack_try_push(zeroipc_stack *stack, const void *value)
{
	ZEROIPC__CHECK_ARG(stack != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	return try_once(stack, zeroipc__in_buf(value), STACK_PUSH);
}

int zeroipc_stack_try_pop(void *out, zeroipc_stack *stack)
{
	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(stack != NULL);
	return try_once(stack, out, STACK_POP);
}

/* Wait conditions of push() and pop(): top is off the full (empty) mark. */
SIDE_INLINE bool side_ready(const zeroipc_stack *s, enum stack_side side)
{
	int32_t top = as_index(zeroipc__load_relaxed_u32(top_word(s)));

	/* A corrupt top also ends the wait: the retry reports it. */
	return top != (PUSHING(side) ? (int32_t)(s->capacity - 1) : -1);
}

static bool has_space(void *ctx)
{
	return side_ready(ctx, STACK_PUSH);
}

static bool has_items(void *ctx)
{
	return side_ready(ctx, STACK_POP);
}

/*
 * push() and pop() after their argument checks: retry while the stack is
 * full (empty), sleeping until top moves, until the deadline.
 */
SIDE_INLINE int once_within(zeroipc_stack *s, unsigned char *buf,
			    int64_t timeout_ns, enum stack_side side)
{
	zeroipc__deadline d;
	int rc;

	rc = check_writable(s);
	if (rc != 0)
		return rc;
	d = zeroipc__deadline_in(timeout_ns);
	for (;;) {
		rc = PUSHING(side) ? push_once(s, buf) : pop_once(buf, s);
		if (rc != stack_sides[side].busy)
			return rc;
		if (zeroipc__deadline_passed(&d) ||
		    zeroipc__wait_until(stack_ec(s, stack_sides[side].wait_ec),
					PUSHING(side) ? has_space : has_items,
					s, &d) != 0)
			return zeroipc__fail(ZEROIPC_ETIMEOUT,
					     "stack '%s' stayed %s for the "
					     "timeout", s->name,
					     PUSHING(side) ? "full" : "empty");
	}
}

int zeroipc_stack_push(zeroipc_stack *stack, const void *value,
		       int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(stack != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	return once_within(stack, zeroipc__in_buf(value), timeout_ns,
			   STACK_PUSH);
}

int zeroipc_stack_pop(void *out, zeroipc_stack *stack, int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(stack != NULL);
	return once_within(stack, out, timeout_ns, STACK_POP);
}

struct peek_wait {
	const zeroipc_stack *s;
	uint32_t index;
};

static bool peek_can_retry(void *ctx)
{
	const struct peek_wait *w = ctx;
	uint32_t st = zeroipc__load_relaxed_u32(&w->s->state[w->index]);

	return st == ZEROIPC_FMT_STACK_READY ||
	       st > ZEROIPC_FMT_STACK_READING ||
	       zeroipc__load_relaxed_u32(top_word(w->s)) != w->index;
}

int zeroipc_stack_top(void *out, zeroipc_stack *stack)
{
	zeroipc__deadline d;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(stack != NULL);
	rc = check_writable(stack);
	if (rc != 0)
		return rc;
	d = zeroipc__deadline_in(stack->slot_timeout_ns);
	for (;;) {
		int32_t top =
			as_index(zeroipc__load_relaxed_u32(top_word(stack)));
		uint32_t st = ZEROIPC_FMT_STACK_READY;
		struct peek_wait w;

		if (top < -1 || top >= (int64_t)stack->capacity)
			return corrupt_top(stack, top);
		if (top == -1)
			return zeroipc__fail_lazy(ZEROIPC_EEMPTY,
						  "stack '%s' is empty",
						  stack->name);
		/* Claim the slot for reading, as a pop would, so the copy
		 * can never see a half-written element; acquire pairs with
		 * the pusher's release store of READY. */
		if (zeroipc__cas_acq_rel_u32(&stack->state[top], &st,
					     ZEROIPC_FMT_STACK_READING)) {
			ZEROIPC__CRASH_POINT("stack.top.reading");
			memcpy(out,
			       stack->data + (uint64_t)top * stack->elem_size,
			       stack->elem_size);
			/* Hand the element back: orders our reads before a
			 * popper's READY -> READING acquire, after which it
			 * may empty the slot. */
			zeroipc__store_release_u32(&stack->state[top],
						   ZEROIPC_FMT_STACK_READY);
			/* A pop may have found the slot READING and slept. */
			zeroipc__notify(stack_ec(stack, STACK_EC_ITEMS));
			return 0;
		}
		if (st > ZEROIPC_FMT_STACK_READING)
			return corrupt_state(stack, (uint32_t)top, st);
		/* Being written, read or claimed: wait until it is READY or
		 * top has moved, then look again. */
		w.s = stack;
		w.index = (uint32_t)top;
		if (zeroipc__wait_until(stack_ec(stack, STACK_EC_ITEMS),
					peek_can_retry, &w, &d) != 0)
			return zeroipc__fail(ZEROIPC_ETIMEOUT,
					     "stack '%s': top slot %d stayed "
					     "%s past the slot timeout of %lld "
					     "ns",
					     stack->name, (int)top,
					     state_name(st),
					     (long long)stack->slot_timeout_ns);
	}
}

uint64_t zeroipc_stack_size(const zeroipc_stack *stack)
{
	int32_t top;

	if (stack == NULL)
		return 0;
	top = as_index(zeroipc__load_relaxed_u32(top_word(stack)));
	if (top < 0)
		return 0;
	if ((int64_t)top >= (int64_t)stack->capacity)
		return stack->capacity;
	return (uint64_t)top + 1;
}

int zeroipc_stack_empty(const zeroipc_stack *stack)
{
	return zeroipc_stack_size(stack) == 0;
}

int zeroipc_stack_full(const zeroipc_stack *stack)
{
	return stack != NULL && zeroipc_stack_size(stack) == stack->capacity;
}

uint64_t zeroipc_stack_capacity(const zeroipc_stack *stack)
{
	return stack != NULL ? stack->capacity : 0;
}

uint64_t zeroipc_stack_elem_size(const zeroipc_stack *stack)
{
	return stack != NULL ? stack->elem_size : 0;
}
