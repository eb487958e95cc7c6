/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/queue.h - bounded FIFO queue of fixed-size elements, shared
 * between processes (multi-producer, multi-consumer).
 *
 * Layout (format v2, shared with the other zeroipc implementations): u32
 * head, u32 tail, u32 capacity (a power of two), u32 elem_size, the slots,
 * then one u32 sequence word per slot.  head and tail are positions that run
 * freely and wrap at 2^32; a slot's sequence word says whether the slot is
 * free for the position that maps to it, published by its producer, or
 * consumed.  A producer claims position tail by a compare-and-swap on tail,
 * copies the element in and publishes the slot by advancing its sequence; a
 * consumer claims position head the same way, copies out and frees the slot.
 *
 * Progress guarantee: claiming is lock-free and no call ever waits for
 * another process inside an operation.  But a consumer takes positions in
 * order, so a producer that claimed a position and died before publishing
 * it leaves the queue with nothing to pop from that position on: pops then
 * report ZEROIPC_EEMPTY (or ZEROIPC_ETIMEOUT when they wait) while pushes
 * continue until the queue is full.  Likewise a consumer that dies between
 * its claim and its release leaves a slot that pushes find full.  A wait is
 * bounded only by the timeout the caller passes: a peer that dies mid-call
 * makes a ZEROIPC_WAIT_FOREVER wait on its slot last forever, so pass a
 * finite timeout where peers may die.
 *
 * Order: elements pushed by one producer are popped in the order it pushed
 * them; pushes from different producers interleave in the order of their
 * claims.
 *
 * Single-producer / single-consumer mode (opt-in, per handle, see
 * zeroipc_queue_opts): a handle that promises to be the only producer (or
 * consumer) skips the compare-and-swap, keeps its position to itself and
 * stores tail (or head) only now and then, and a single producer that found
 * the queue full waits until at least a quarter of it is free before it
 * pushes again, so that both sides stop fighting over the same cache lines
 * (and a waiting producer is woken once per quarter, not per pop).
 * Breaking the promise is detected when a handle finds a slot already used
 * for a position it has not reached (ZEROIPC_EPROTOCOL), but two producers
 * that race for the same slot are not always caught: keep the promise.
 * Opening a queue repairs counters that such a handle left behind when its
 * process died before it could store them.
 *
 * Blocking calls sleep in the kernel on eventcounts kept in a companion table
 * entry named "<name>.wait", so a queue's name is at most
 * ZEROIPC_QUEUE_NAME_MAX bytes when this library creates it.  Handles are
 * process-local and must not outlive the memory handle they were opened
 * through.  A handle in the default mode may be used by any number of threads
 * at once; a single-producer handle by one pushing thread at a time (and a
 * single-consumer handle by one popping thread at a time).
 */
#ifndef ZEROIPC_QUEUE_H
#define ZEROIPC_QUEUE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A queue handle (process-local).  Since 1.0. */
typedef struct zeroipc_queue zeroipc_queue;

/**
 * Longest queue name this library creates: the companion entry
 * "<name>.wait" must fit the 31 bytes of a table name.  Since 1.0.
 */
#define ZEROIPC_QUEUE_NAME_MAX 26

/**
 * Largest capacity (2^30 slots): positions are compared by signed 32-bit
 * difference.  Since 1.0.
 */
#define ZEROIPC_QUEUE_CAPACITY_MAX 0x40000000u

/**
 * Handle flag: this handle is the only one that pushes to the queue, in any
 * process, while it is open.  Since 1.0.
 */
#define ZEROIPC_QUEUE_SINGLE_PRODUCER 0x1u

/**
 * Handle flag: this handle is the only one that pops from the queue, in any
 * process, while it is open.  Since 1.0.
 */
#define ZEROIPC_QUEUE_SINGLE_CONSUMER 0x2u

/**
 * Options for a queue handle.  Initialise with ZEROIPC_QUEUE_OPTS_INIT;
 * fields are only ever appended.  Since 1.0.
 */
typedef struct zeroipc_queue_opts {
	size_t size;    /**< sizeof(zeroipc_queue_opts) */
	uint32_t flags; /**< ZEROIPC_QUEUE_SINGLE_PRODUCER and/or _CONSUMER */
} zeroipc_queue_opts;

#define ZEROIPC_QUEUE_OPTS_INIT { sizeof(zeroipc_queue_opts), 0 }

/**
 * Create queue `name` with room for `capacity` elements of `elem_size`
 * bytes, empty.  The capacity is rounded up to a power of two, and to at
 * least 2 (with one slot, a full slot and a free one look alike); read the
 * result with zeroipc_queue_capacity().  The structure is fully initialised
 * before any other process can find it.  Also adds the companion entry
 * "<name>.wait" (first, so whoever finds the queue finds it too).  `opts`
 * (may be NULL) sets the mode of the returned handle.  On success *out owns
 * a new handle; release it with zeroipc_queue_close().
 *
 * Returns 0; ZEROIPC_EINVAL (NULL argument, elem_size 0 or above
 * UINT32_MAX, capacity 0 or above ZEROIPC_QUEUE_CAPACITY_MAX, size
 * overflow, bad opts); ZEROIPC_ENAME (name empty or longer than
 * ZEROIPC_QUEUE_NAME_MAX); ZEROIPC_EEXISTS; ZEROIPC_EREADONLY; or another
 * zeroipc_table_add() status.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_create(zeroipc_queue **out, zeroipc_memory *mem,
				     const char *name, uint64_t elem_size,
				     uint64_t capacity,
				     const zeroipc_queue_opts *opts);

/**
 * Open existing queue `name` whose elements are `elem_size` bytes.  Every
 * header field is checked against the entry before use, and later
 * operations keep to the capacity and element size read here even if
 * another process rewrites the header.  On a writable mapping, opening
 * repairs a lazily stored head or tail left behind by a single-producer or
 * single-consumer handle whose process died: it advances the counter over
 * the slots whose sequence words show them already pushed (or popped), with
 * a compare-and-swap, so it is safe while other handles work.  Adds the
 * companion "<name>.wait" if another implementation created the queue
 * without one (not on a read-only mapping, nor when the name is too long
 * for the suffix: blocking calls then poll in short slices).  `opts` (may
 * be NULL) sets the mode of the handle.  On success *out owns a new handle.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND;
 * ZEROIPC_ESIZE_MISMATCH (the stored element size is not `elem_size`);
 * ZEROIPC_ECORRUPT (capacity 0, 1, not a power of two or above
 * ZEROIPC_QUEUE_CAPACITY_MAX, element size 0, entry size not the one the
 * header implies, head and tail further apart than the capacity, a
 * companion entry of the wrong size); or a zeroipc_table_add() status for
 * the companion.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_open(zeroipc_queue **out, zeroipc_memory *mem,
				   const char *name, uint64_t elem_size,
				   const zeroipc_queue_opts *opts);

/**
 * Release the handle (not the queue).  A single-producer (single-consumer)
 * handle first stores its exact tail (head).  Accepts NULL.  Since 1.0.
 */
ZEROIPC_API void zeroipc_queue_close(zeroipc_queue *queue);

/**
 * Check queue `name` at rest (no operation in flight), reading the element
 * size from its header: header fields against the entry size, head and tail
 * at most the capacity apart, and every slot's sequence word consistent with
 * them: slots between head and tail published, the others free.  head and
 * tail may lag behind the slots (a single-producer or single-consumer handle
 * still open, or its process died); they are judged where the slots say
 * they are.  A slot claimed but never published (or popped but never
 * released) is what a process that died inside an operation leaves behind.
 * Works on read-only mappings; changes nothing.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND; or
 * ZEROIPC_ECORRUPT with the first problem in zeroipc_last_error().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_validate(const zeroipc_memory *mem,
				       const char *name);

/**
 * Push a copy of the elem_size bytes at `value` unless the queue is full.
 * Lock-free; never waits.  A single-producer handle that found the queue
 * full reports full until at least a quarter of the capacity is free
 * again.
 *
 * Returns 0; ZEROIPC_EFULL; ZEROIPC_EPROTOCOL (another producer pushed at
 * a position a single-producer handle owns, or this handle found tail
 * lagging behind published slots, which only a single-producer handle
 * leaves: the single-producer promise was broken); ZEROIPC_EINVAL;
 * ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_try_push(zeroipc_queue *queue,
				       const void *value);

/**
 * Pop the oldest element into `out` (elem_size bytes) unless there is none
 * to pop: the queue is empty, or the producer of the oldest position has not
 * published it yet (or died before it did).  Lock-free; never waits.
 *
 * Returns 0; ZEROIPC_EEMPTY; ZEROIPC_EPROTOCOL (as for try_push, for the
 * single-consumer promise); ZEROIPC_EINVAL; ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_try_pop(void *out, zeroipc_queue *queue);

/**
 * As zeroipc_queue_try_push(), but while the queue is full wait (spinning
 * briefly, then sleeping in the kernel) up to `timeout_ns` nanoseconds for
 * space: ZEROIPC_WAIT_FOREVER waits without limit, 0 tries once and then
 * reports ZEROIPC_EFULL.  Returns 0; ZEROIPC_ETIMEOUT (still full at the
 * deadline); or a zeroipc_queue_try_push() error.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_push(zeroipc_queue *queue, const void *value,
				   int64_t timeout_ns);

/**
 * As zeroipc_queue_try_pop(), but while there is nothing to pop wait up to
 * `timeout_ns` nanoseconds for an element (ZEROIPC_WAIT_FOREVER: no limit;
 * 0: try once, then ZEROIPC_EEMPTY).  Returns 0; ZEROIPC_ETIMEOUT (nothing
 * published at the oldest position by the deadline; also what a producer
 * that died after claiming that position causes); or a
 * zeroipc_queue_try_pop() error.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_pop(void *out, zeroipc_queue *queue,
				  int64_t timeout_ns);

/**
 * Push up to `count` elements from the array `values` (count * elem_size
 * bytes) as one run: the free slots at the tail are claimed with one
 * compare-and-swap, filled, and each published.  Pushes as many as are free
 * (in order, from the start of `values`), waiting as zeroipc_queue_push()
 * only while none is.  *pushed_out receives the number pushed (0 on error).
 * A count of 0 pushes nothing and returns 0.
 *
 * Returns 0 (*pushed_out >= 1 unless count is 0); ZEROIPC_EFULL (nothing
 * pushed, timeout 0); ZEROIPC_ETIMEOUT; or a zeroipc_queue_try_push()
 * error.  Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_push_n(size_t *pushed_out, zeroipc_queue *queue,
				     const void *values, size_t count,
				     int64_t timeout_ns);

/**
 * Pop up to `max` elements, oldest first, into the array `values_out` (room
 * for max * elem_size bytes): the published slots at the head are claimed
 * with one compare-and-swap, copied out, and each released.  Waits as
 * zeroipc_queue_pop() only while there is nothing to pop.  *popped_out
 * receives the number popped (0 on error).  A max of 0 pops nothing and
 * returns 0.
 *
 * Returns 0 (*popped_out >= 1 unless max is 0); ZEROIPC_EEMPTY (nothing
 * popped, timeout 0); ZEROIPC_ETIMEOUT; or a zeroipc_queue_try_pop() error.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_pop_n(void *values_out, size_t *popped_out,
				    zeroipc_queue *queue, size_t max,
				    int64_t timeout_ns);

/**
 * Number of elements pushed and not yet popped, clamped to 0..capacity:
 * includes pushes still copying in and excludes pops still copying out.  A
 * snapshot; counters that a single-mode handle stores lazily are read where
 * the slots say they are.  0 for NULL.  Since 1.0.
 */
ZEROIPC_API uint64_t zeroipc_queue_size(const zeroipc_queue *queue);

/** 1 if zeroipc_queue_size() is 0 (or queue is NULL), else 0.  Since 1.0. */
ZEROIPC_API int zeroipc_queue_empty(const zeroipc_queue *queue);

/**
 * 1 if zeroipc_queue_size() is the capacity, else 0 (0 for NULL).
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_queue_full(const zeroipc_queue *queue);

/** Number of slots, as read at open (0 for NULL).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_queue_capacity(const zeroipc_queue *queue);

/** Element size in bytes (0 for NULL).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_queue_elem_size(const zeroipc_queue *queue);

/** The handle's mode flags (ZEROIPC_QUEUE_SINGLE_*; 0 for NULL).  Since 1.0. */
ZEROIPC_API uint32_t zeroipc_queue_flags(const zeroipc_queue *queue);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_QUEUE_H */
