/* SPDX-License-Identifier: MIT */
/*
 * pool.c - fixed-size object pool: a Treiber free list of indices with a
 * tagged 64-bit head, and one FREE/ALLOCATED state word per object.
 *
 * Allocate: pop an index off the free list (CAS on the tagged head), count
 * it in in_use, then switch its state FREE -> ALLOCATED.  Free: switch the
 * state ALLOCATED -> FREE (the CAS that catches double frees), uncount it,
 * then push it back.  The counting order keeps
 *     number of ALLOCATED states <= in_use <= objects off the free list
 * true at every instant, so in_use never exceeds the capacity or goes
 * below zero, and a process that dies anywhere in between leaves at most
 * one object off the list (a leak), never a broken list.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"
#include "table_internal.h"
#include "wait.h"

/* The header's waiters/seq pair is used as a struct zeroipc_fmt_eventcount. */
_Static_assert(offsetof(struct zeroipc_fmt_pool_header, seq) ==
		       offsetof(struct zeroipc_fmt_pool_header, waiters) + 4,
	       "pool eventcount words must be adjacent");
_Static_assert(offsetof(struct zeroipc_fmt_pool_header, head) % 8 == 0,
	       "the tagged head needs 8-byte alignment for 64-bit atomics");

#define POOL_NIL ZEROIPC_FMT_POOL_NIL
#define POOL_FREE ZEROIPC_FMT_POOL_FREE
#define POOL_ALLOCATED ZEROIPC_FMT_POOL_ALLOCATED

struct zeroipc_pool {
	zeroipc_memory *mem; /* borrowed; must outlive the pool handle */
	struct zeroipc_fmt_pool_header *hdr;
	uint32_t *next;      /* next[capacity] */
	uint32_t *state;     /* state[capacity] */
	unsigned char *data; /* object 0 */
	/* Validated at open; every bound below uses these, never the header,
	 * so a scribbled header cannot move an access out of the entry. */
	uint32_t capacity;
	uint32_t elem_size;
	char name[ZEROIPC_NAME_MAX + 1];
};

/* Head word: generation tag in the high half, index in the low half. */
static inline uint32_t head_index(uint64_t head)
{
	return (uint32_t)head;
}

static inline uint64_t head_make(uint64_t old_head, uint32_t index)
{
	/* Every successful CAS bumps the tag (mod 2^32), so a head that went
	 * away and came back with the same index no longer compares equal. */
	return (((old_head >> 32) + 1) << 32) | index;
}

/* Byte offsets of the sections; false if the pool would not fit in 2^64. */
struct pool_layout {
	uint64_t next_off, state_off, data_off, total;
};

static bool pool_layout(struct pool_layout *l, uint64_t capacity,
			uint64_t elem_size)
{
	uint64_t links = zeroipc__align8(4 * capacity); /* capacity < 2^32 */
	uint64_t data;

	l->next_off = sizeof(struct zeroipc_fmt_pool_header);
	l->state_off = l->next_off + links;
	l->data_off = l->state_off + links;
	return zeroipc__mul_u64(&data, capacity, elem_size) &&
	       zeroipc__add_u64(&l->total, l->data_off, data);
}

struct pool_init_arg {
	uint32_t capacity;
	uint32_t elem_size;
	uint64_t next_off;
};

/*
 * Runs under the table lock on the zeroed region before the entry is
 * published (the release store of entry_count publishes these plain
 * stores too).  Free list 0 -> 1 -> ... -> capacity-1, all states FREE (0,
 * already), tag 0.
 */
static int init_pool(unsigned char *region, uint64_t size, void *arg)
{
	const struct pool_init_arg *a = arg;
	struct zeroipc_fmt_pool_header *h = (void *)region;
	uint32_t *next = (void *)(region + a->next_off);

	(void)size;
	h->capacity = a->capacity;
	h->elem_size = a->elem_size;
	h->head = 0;
	for (uint32_t i = 0; i + 1 < a->capacity; i++)
		next[i] = i + 1;
	next[a->capacity - 1] = POOL_NIL;
	return 0;
}

/*
 * Point `pool` at the pool whose header (already checked) is at `offset`.
 * Leaves pool->mem to the caller: zeroipc_pool_validate() builds such a
 * view on a const memory handle it never writes through.
 */
static void fill_view(zeroipc_pool *pool, const zeroipc_memory *mem,
		      const char *name, uint64_t offset, uint32_t capacity,
		      uint32_t elem_size)
{
	unsigned char *base = mem->base + offset;
	struct pool_layout l;

	(void)pool_layout(&l, capacity, elem_size); /* checked by caller */
	pool->hdr = (void *)base;
	pool->next = (void *)(base + l.next_off);
	pool->state = (void *)(base + l.state_off);
	pool->data = base + l.data_off;
	pool->capacity = capacity;
	pool->elem_size = elem_size;
	snprintf(pool->name, sizeof(pool->name), "%s", name);
}

static int new_handle(zeroipc_pool **out, zeroipc_memory *mem,
		      const char *name, uint64_t offset, uint32_t capacity,
		      uint32_t elem_size)
{
	zeroipc_pool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	fill_view(pool, mem, name, offset, capacity, elem_size);
	pool->mem = mem;
	*out = pool;
	return 0;
}

int zeroipc_pool_create(zeroipc_pool **out, zeroipc_memory *mem,
			const char *name, uint64_t elem_size,
			uint64_t capacity)
{
	struct pool_init_arg arg;
	struct pool_layout l;
	uint64_t offset;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0 && elem_size <= UINT32_MAX);
	ZEROIPC__CHECK_ARG(capacity > 0 &&
			   capacity <= ZEROIPC_FMT_POOL_MAX_CAPACITY);
	if (!pool_layout(&l, capacity, elem_size))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "pool of %llu objects of %llu bytes "
				     "overflows", (unsigned long long)capacity,
				     (unsigned long long)elem_size);
	arg.capacity = (uint32_t)capacity;
	arg.elem_size = (uint32_t)elem_size;
	arg.next_off = l.next_off;
	rc = zeroipc__table_add_init(&offset, mem, name, l.total, init_pool,
				     &arg);
	if (rc != 0)
		return rc;
	return new_handle(out, mem, name, offset, arg.capacity,
			  arg.elem_size);
}

/*
 * Read and check the header of pool `name`, in the order SPECIFICATION.md
 * ("Pool", "Opening") gives.  `elem_size` is the opener's element size, or
 * 0 to accept any (validation, which has none; open rejects 0 before).  On
 * success the offset and the header fields that were checked are in the
 * out-parameters.
 */
static int read_header(uint64_t *offset_out, uint32_t *capacity_out,
		       uint32_t *elem_size_out, const zeroipc_memory *mem,
		       const char *name, uint64_t elem_size)
{
	const struct zeroipc_fmt_pool_header *h;
	uint64_t offset, size, head;
	uint32_t capacity, stored_elem, in_use, index;
	struct pool_layout l;
	int rc;

	rc = zeroipc__table_lookup_header(&offset, &size, mem, "pool", name,
					  sizeof(*h));
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + offset);
	/* Each field is read once; the checks and the caller use the copies. */
	capacity = zeroipc__load_relaxed_u32(&h->capacity);
	stored_elem = zeroipc__load_relaxed_u32(&h->elem_size);
	if (capacity == 0 || capacity > ZEROIPC_FMT_POOL_MAX_CAPACITY)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': capacity %u is not in "
				     "1..%u", name, capacity,
				     ZEROIPC_FMT_POOL_MAX_CAPACITY);
	if (stored_elem == 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': element size 0", name);
	if (elem_size != 0 && stored_elem != elem_size)
		return zeroipc__fail(ZEROIPC_ESIZE_MISMATCH,
				     "pool '%s' holds %u-byte objects, not "
				     "%llu", name, stored_elem,
				     (unsigned long long)elem_size);
	if (!pool_layout(&l, capacity, stored_elem) || l.total != size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': entry has %llu bytes, %u "
				     "objects of %u bytes need %llu", name,
				     (unsigned long long)size, capacity,
				     stored_elem, (unsigned long long)l.total);
	/* Not a proof of consistency (each link is checked when it is used,
	 * and zeroipc_pool_validate() walks them all), but a cheap sign of a
	 * foreign or broken header. */
	head = zeroipc__load_relaxed_u64(&h->head);
	index = head_index(head);
	if (index != POOL_NIL && index >= capacity)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': free-list head %u is out of "
				     "range (capacity %u)", name, index,
				     capacity);
	in_use = zeroipc__load_relaxed_u32(&h->in_use);
	if (in_use > capacity)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': %u objects in use, capacity "
				     "%u", name, in_use, capacity);
	*offset_out = offset;
	*capacity_out = capacity;
	*elem_size_out = stored_elem;
	return 0;
}

int zeroipc_pool_open(zeroipc_pool **out, zeroipc_memory *mem,
		      const char *name, uint64_t elem_size)
{
	uint32_t capacity, stored_elem;
	uint64_t offset;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	rc = read_header(&offset, &capacity, &stored_elem, mem, name,
			 elem_size);
	if (rc != 0)
		return rc;
	rc = new_handle(out, mem, name, offset, capacity, stored_elem);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

void zeroipc_pool_close(zeroipc_pool *pool)
{
	free(pool);
}

static int check_writable(const zeroipc_pool *pool)
{
	if (pool->mem->readonly)
		return zeroipc__fail(ZEROIPC_EREADONLY,
				     "%s is mapped read-only",
				     pool->mem->name);
	return 0;
}

static int check_index(const zeroipc_pool *pool, uint64_t index)
{
	if (index >= pool->capacity)
		return zeroipc__fail(ZEROIPC_ERANGE,
				     "pool '%s': index %llu, capacity %u",
				     pool->name, (unsigned long long)index,
				     pool->capacity);
	return 0;
}

/* Pop one index; 0, EFULL or ECORRUPT.  The caller checked writability. */
static int pool_pop(uint32_t *index_out, zeroipc_pool *pool)
{
	struct zeroipc_fmt_pool_header *h = pool->hdr;
	uint64_t head;
	uint32_t index, next, state;

	/* Acquire pairs with the push CAS in pool_push(): we see the next[]
	 * link it wrote, and the object bytes its freer wrote. */
	head = zeroipc__load_acquire_u64(&h->head);
	for (;;) {
		index = head_index(head);
		if (index == POOL_NIL)
			return zeroipc__fail_lazy(ZEROIPC_EFULL,
						  "pool '%s': every object is "
						  "allocated", pool->name);
		if (index >= pool->capacity)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': free-list head %u is "
					     "out of range", pool->name, index);
		/* Relaxed: ordered by the acquire above (or by the failed
		 * CAS's acquire below).  If another process popped `index`
		 * meanwhile, the link may be newer than our head, but then
		 * the head's tag moved on and our CAS fails. */
		next = zeroipc__load_relaxed_u32(&pool->next[index]);
		if (next != POOL_NIL && next >= pool->capacity)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': free-list link %u -> "
					     "%u is out of range", pool->name,
					     index, next);
		ZEROIPC__CRASH_POINT("pool.allocate.before_cas");
		/* acq_rel: acquire as above (there is no acquire-only CAS
		 * wrapper; the release half is not needed, since the state
		 * CAS below orders this pop before any later free of the
		 * object).  On failure `head` is reloaded with acquire. */
		if (zeroipc__cas_acq_rel_u64(&h->head, &head,
					     head_make(head, next)))
			break;
	}
	ZEROIPC__CRASH_POINT("pool.allocate.popped");
	/* Count before marking ALLOCATED, so a free (which uncounts after the
	 * mark) never drives in_use below zero.  Relaxed: only the total
	 * matters; the CASes around it order it against the other side. */
	zeroipc__fetch_add_relaxed_u32(&h->in_use, 1);
	state = POOL_FREE;
	/* acq_rel: release pairs with the acquire of the state CAS in
	 * zeroipc_pool_free() and the acquire load in zeroipc_pool_ptr(). */
	if (!zeroipc__cas_acq_rel_u32(&pool->state[index], &state,
				      POOL_ALLOCATED)) {
		/* A listed object must be FREE: the list or the state words
		 * were overwritten.  Leave the object out of circulation. */
		zeroipc__fetch_add_relaxed_u32(&h->in_use, UINT32_MAX);
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': object %u was on the free "
				     "list in state %u", pool->name, index,
				     state);
	}
	*index_out = index;
	return 0;
}

int zeroipc_pool_try_allocate(uint64_t *index_out, zeroipc_pool *pool)
{
	uint32_t index;
	int rc;

	ZEROIPC__CHECK_ARG(index_out != NULL);
	ZEROIPC__CHECK_ARG(pool != NULL);
	rc = check_writable(pool);
	if (rc == 0)
		rc = pool_pop(&index, pool);
	if (rc != 0)
		return rc;
	*index_out = index;
	return 0;
}

/* Wait condition: the free list is non-empty (or broken: pop reports it). */
static bool pool_has_free(void *ctx)
{
	const zeroipc_pool *pool = ctx;

	/* Acquire pairs with the push CAS; a retry of pool_pop() reloads the
	 * head anyway, this only decides whether to retry. */
	return head_index(zeroipc__load_acquire_u64(&pool->hdr->head)) !=
	       POOL_NIL;
}

int zeroipc_pool_allocate(uint64_t *index_out, zeroipc_pool *pool,
			  int64_t timeout_ns)
{
	zeroipc__deadline deadline;
	uint32_t index;
	int rc;

	ZEROIPC__CHECK_ARG(index_out != NULL);
	ZEROIPC__CHECK_ARG(pool != NULL);
	rc = check_writable(pool);
	if (rc != 0)
		return rc;
	deadline = zeroipc__deadline_in(timeout_ns);
	for (;;) {
		rc = pool_pop(&index, pool);
		if (rc == 0) {
			*index_out = index;
			return 0;
		}
		if (rc != ZEROIPC_EFULL)
			return rc;
		if (zeroipc__deadline_passed(&deadline))
			return zeroipc__fail(ZEROIPC_ETIMEOUT,
					     "pool '%s': no object was freed "
					     "before the deadline", pool->name);
		/* Sleeps on the header's eventcount, woken by
		 * zeroipc_pool_free(); sliced, so it returns at the deadline
		 * whatever other processes do. */
		rc = zeroipc__wait_until(
			(struct zeroipc_fmt_eventcount *)(void *)&pool->hdr
				->waiters,
			pool_has_free, pool, &deadline);
		if (rc != 0)
			return zeroipc__fail(ZEROIPC_ETIMEOUT,
					     "pool '%s': no object was freed "
					     "before the deadline", pool->name);
	}
}

static int pool_push(zeroipc_pool *pool, uint32_t index)
{
	struct zeroipc_fmt_pool_header *h = pool->hdr;
	uint64_t head = zeroipc__load_relaxed_u64(&h->head);
	uint32_t first;

	for (;;) {
		first = head_index(head);
		if (first != POOL_NIL && first >= pool->capacity)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': free-list head %u is "
					     "out of range; object %llu is "
					     "lost", pool->name, first,
					     (unsigned long long)index);
		/* Relaxed: published by the release CAS below.  The object
		 * is ours (FREE, not listed): nobody else writes its link. */
		zeroipc__store_relaxed_u32(&pool->next[index], first);
		ZEROIPC__CRASH_POINT("pool.free.before_cas");
		/* Release pairs with the acquire loads of the head in
		 * pool_pop(): the popper sees our link and our object bytes. */
		if (zeroipc__cas_acq_rel_u64(&h->head, &head,
					     head_make(head, index)))
			return 0;
	}
}

int zeroipc_pool_free(zeroipc_pool *pool, uint64_t index)
{
	uint32_t state = POOL_ALLOCATED;
	int rc;

	ZEROIPC__CHECK_ARG(pool != NULL);
	rc = check_index(pool, index);
	if (rc == 0)
		rc = check_writable(pool);
	if (rc != 0)
		return rc;
	/* The one CAS that decides which of several frees owns the object.
	 * acq_rel: acquire pairs with the allocator's release of the same
	 * word; release orders the caller's use of the object before it. */
	if (!zeroipc__cas_acq_rel_u32(&pool->state[index], &state,
				      POOL_FREE)) {
		if (state == POOL_FREE)
			return zeroipc__fail(ZEROIPC_ENOT_ALLOCATED,
					     "pool '%s': object %llu is not "
					     "allocated (double free?)",
					     pool->name,
					     (unsigned long long)index);
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': object %llu has state %u",
				     pool->name, (unsigned long long)index,
				     state);
	}
	ZEROIPC__CRASH_POINT("pool.free.marked");
	/* Uncount before the object is listed again, so in_use never counts
	 * more objects than are off the list (subtracting 1 mod 2^32). */
	zeroipc__fetch_add_relaxed_u32(&pool->hdr->in_use, UINT32_MAX);
	rc = pool_push(pool, (uint32_t)index);
	if (rc != 0)
		return rc;
	zeroipc__notify((struct zeroipc_fmt_eventcount *)(void *)&pool->hdr
				->waiters);
	return 0;
}

int zeroipc_pool_ptr(void **out, const zeroipc_pool *pool, uint64_t index)
{
	uint32_t state;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(pool != NULL);
	rc = check_index(pool, index);
	if (rc != 0)
		return rc;
	/* Acquire pairs with the allocator's release CAS on this word. */
	state = zeroipc__load_acquire_u32(&pool->state[index]);
	if (state == POOL_FREE)
		return zeroipc__fail(ZEROIPC_ENOT_ALLOCATED,
				     "pool '%s': object %llu is free",
				     pool->name, (unsigned long long)index);
	if (state != POOL_ALLOCATED)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': object %llu has state %u",
				     pool->name, (unsigned long long)index,
				     state);
	*out = pool->data + index * pool->elem_size;
	return 0;
}

uint64_t zeroipc_pool_in_use(const zeroipc_pool *pool)
{
	uint32_t n;

	if (pool == NULL)
		return 0;
	n = zeroipc__load_relaxed_u32(&pool->hdr->in_use);
	/* Only a scribbled header exceeds the capacity; keep callers'
	 * arithmetic (capacity - in_use) sane anyway. */
	return n <= pool->capacity ? n : pool->capacity;
}

uint64_t zeroipc_pool_capacity(const zeroipc_pool *pool)
{
	return pool != NULL ? pool->capacity : 0;
}

uint64_t zeroipc_pool_elem_size(const zeroipc_pool *pool)
{
	return pool != NULL ? pool->elem_size : 0;
}

/*
 * The structural checks of zeroipc_pool_validate(), on a view whose header
 * read_header() checked: every index is bounded by pool->capacity.
 */
static int check_lists(const zeroipc_pool *pool)
{
	const struct zeroipc_fmt_pool_header *h = pool->hdr;
	uint32_t index, listed = 0, allocated = 0, in_use, v;

	/* Acquire: see the links of the pushes that made this head. */
	index = head_index(zeroipc__load_acquire_u64(&h->head));
	while (index != POOL_NIL) {
		if (index >= pool->capacity)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': free list reaches "
					     "index %u after %u objects",
					     pool->name, index, listed);
		/* A list of more than capacity objects revisits one. */
		if (++listed > pool->capacity)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': free list has a cycle",
					     pool->name);
		v = zeroipc__load_relaxed_u32(&pool->state[index]);
		if (v != POOL_FREE)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': object %u is on the "
					     "free list in state %u",
					     pool->name, index, v);
		index = zeroipc__load_relaxed_u32(&pool->next[index]);
	}
	for (uint32_t i = 0; i < pool->capacity; i++) {
		v = zeroipc__load_relaxed_u32(&pool->state[i]);
		if (v == POOL_ALLOCATED)
			allocated++;
		else if (v != POOL_FREE)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "pool '%s': object %u has state "
					     "%u", pool->name, i, v);
	}
	in_use = zeroipc__load_relaxed_u32(&h->in_use);
	/* A process that died between counting and marking (or marking and
	 * uncounting) leaves in_use above the ALLOCATED count; nothing leaves
	 * it below, or above the objects off the list. */
	if (in_use < allocated || in_use > pool->capacity - listed)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "pool '%s': in_use %u, but %u objects "
				     "are allocated and %u are listed free",
				     pool->name, in_use, allocated, listed);
	return 0;
}

int zeroipc_pool_validate(const zeroipc_memory *mem, const char *name)
{
	zeroipc_pool view;
	uint32_t capacity, elem_size;
	uint64_t offset;
	int rc;

	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = read_header(&offset, &capacity, &elem_size, mem, name, 0);
	if (rc != 0)
		return rc;
	/* A handle body on the stack; view.mem stays NULL, since the checks
	 * only read the segment. */
	memset(&view, 0, sizeof(view));
	fill_view(&view, mem, name, offset, capacity, elem_size);
	rc = check_lists(&view);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}
