/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/ring.h - single-producer single-consumer ring of fixed-size
 * elements, shared between processes: the fast path for streaming data.
 *
 * Layout (format v2, shared with the other zeroipc implementations): u64
 * write_pos, u64 read_pos (bytes ever written / read, free-running), u32
 * capacity in BYTES, u32 elem_size, then the buffer; an element at position
 * p lives at byte p % capacity of the buffer.  This API counts capacity in
 * ELEMENTS: create stores capacity * elem_size.
 *
 * Contract (SPSC): at any time at most one handle writes (a handle opened
 * with ZEROIPC_RING_PRODUCER) and at most one handle reads (opened with
 * ZEROIPC_RING_CONSUMER), each used by one thread at a time.  One handle may
 * hold both roles (a loopback in one thread).  A second producer or consumer
 * is detected when a handle next looks at the shared positions and finds
 * the one it owns moved by someone else (ZEROIPC_EPROTOCOL); it is not
 * prevented, so data written or read meanwhile may be lost or repeated.
 *
 * Each handle caches the other side's position and rereads it only when the
 * cached view runs out, so the shared cache line moves rarely.  The producer
 * publishes write_pos on every write, commit and bulk write.  The consumer
 * publishes read_pos lazily: once every "release batch" of elements (by
 * default a quarter of the capacity), when it finds the producer waiting
 * for space, before it sleeps, and on zeroipc_ring_flush() (call it before
 * zeroipc_ring_close()).  So the producer may see up to a release batch
 * fewer free slots than there are;
 * a consumer that stops reading while the producer waits for space can
 * hold that space back until its next call.  Set release_batch to 1 in
 * zeroipc_ring_opts to publish on every read instead (slower).
 *
 * Progress: every non-blocking call is wait-free (a bounded number of
 * steps, no waiting on another process).  Blocking calls spin briefly, then
 * sleep in the kernel on eventcounts kept in the companion table entry
 * "<name>.wait" (so names are at most ZEROIPC_RING_NAME_MAX bytes), with
 * sliced sleeps that also notice a peer from another zeroipc implementation
 * that never wakes anyone; every wait ends by its deadline with
 * ZEROIPC_ETIMEOUT, also when the peer died.
 *
 * ZEROIPC_EFULL and ZEROIPC_EEMPTY are the normal answers of a polling
 * loop and record no detail message (zeroipc_last_error() may still show
 * an older one); every other failure records one.
 *
 * Handles are process-local and must not outlive the memory handle they
 * were opened through.
 */
#ifndef ZEROIPC_RING_H
#define ZEROIPC_RING_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A ring handle (process-local).  Since 1.0. */
typedef struct zeroipc_ring zeroipc_ring;

/**
 * Longest ring name: the companion entry "<name>.wait" must fit the 31
 * bytes of a table name.  Since 1.0.
 */
#define ZEROIPC_RING_NAME_MAX 26

/** Largest buffer: the stored capacity is a u32 count of bytes.  Since 1.0. */
#define ZEROIPC_RING_MAX_BYTES 0xFFFFFFFFu

/** Role flag: this handle writes.  Since 1.0. */
#define ZEROIPC_RING_PRODUCER 0x1u
/** Role flag: this handle reads.  Since 1.0. */
#define ZEROIPC_RING_CONSUMER 0x2u

/**
 * Options for create and open.  Initialise with ZEROIPC_RING_OPTS_INIT;
 * fields are only ever appended.  Since 1.0.
 */
typedef struct zeroipc_ring_opts {
	size_t size;            /**< sizeof(zeroipc_ring_opts) */
	uint64_t release_batch; /**< consumer: publish read_pos after this
				     many elements; 0 means capacity / 4
				     (at least 1), values above the capacity
				     mean the capacity */
} zeroipc_ring_opts;

#define ZEROIPC_RING_OPTS_INIT { sizeof(zeroipc_ring_opts), 0 }

/**
 * Create ring `name` holding `capacity` elements of `elem_size` bytes
 * (capacity * elem_size <= ZEROIPC_RING_MAX_BYTES), empty, and return a
 * handle with the given `role` (ZEROIPC_RING_PRODUCER, ZEROIPC_RING_CONSUMER,
 * both, or 0 for one that only inspects).  The ring is fully initialised
 * before any other process can find it.  Also adds the companion entry
 * "<name>.wait".  `opts` may be NULL.  On success *out owns a new handle;
 * release it with zeroipc_ring_close().
 *
 * Returns 0; ZEROIPC_EINVAL (NULL argument, elem_size or capacity 0, buffer
 * larger than ZEROIPC_RING_MAX_BYTES, unknown role bits, opts->size too
 * small); ZEROIPC_ENAME (name empty or longer than ZEROIPC_RING_NAME_MAX);
 * ZEROIPC_EEXISTS; ZEROIPC_EREADONLY; ZEROIPC_ENOMEM; or another
 * zeroipc_table_add() status.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_create(zeroipc_ring **out, zeroipc_memory *mem,
				    const char *name, uint64_t elem_size,
				    uint64_t capacity, unsigned role,
				    const zeroipc_ring_opts *opts);

/**
 * Open existing ring `name` whose elements are `elem_size` bytes, with the
 * given `role` (see zeroipc_ring_create()).  Every header field is checked
 * against the entry before use; later operations keep to the capacity read
 * here even if another process rewrites the header.  A producer continues
 * at the stored write_pos, a consumer at the stored read_pos (so elements a
 * consumer that died had read but not yet published are read again).  Adds
 * the companion "<name>.wait" if another implementation created the ring
 * without one.  On success *out owns a new handle.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND;
 * ZEROIPC_ESIZE_MISMATCH (the stored element size is not `elem_size`);
 * ZEROIPC_ECORRUPT (capacity 0 or not a multiple of the element size,
 * element size 0, entry size not 24 + capacity, write_pos - read_pos above
 * the capacity, a position that is not a whole number of elements, a
 * companion entry of the wrong size); ZEROIPC_EREADONLY (a role on a
 * read-only mapping); ZEROIPC_ENOMEM; or a zeroipc_table_add() status for
 * the companion.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_open(zeroipc_ring **out, zeroipc_memory *mem,
				  const char *name, uint64_t elem_size,
				  unsigned role, const zeroipc_ring_opts *opts);

/**
 * Release the handle (not the ring).  Never touches the segment, so it is
 * safe in any order with the memory handle's release.  A consumer should
 * call zeroipc_ring_flush() first: elements it read but did not publish
 * (up to a release batch) are otherwise read again by the next consumer,
 * and their space stays unavailable to the producer until then.  Accepts
 * NULL.  Since 1.0.
 */
ZEROIPC_API void zeroipc_ring_close(zeroipc_ring *ring);

/**
 * Check ring `name` at rest, reading the element size from its header:
 * capacity and element size non-zero, capacity a multiple of the element
 * size, entry size 24 + capacity, both positions whole elements,
 * write_pos - read_pos within the capacity, and the companion entry (if
 * present) of the right size.  Works on read-only mappings; changes
 * nothing.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND; or
 * ZEROIPC_ECORRUPT with the first problem in zeroipc_last_error().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_validate(const zeroipc_memory *mem,
				      const char *name);

/*
 * Producer calls.  They need a handle with ZEROIPC_RING_PRODUCER (else
 * ZEROIPC_EINVAL), publish write_pos before returning and wake a consumer
 * that sleeps.  Besides the codes listed, each may return ZEROIPC_EPROTOCOL
 * (write_pos was moved by another producer) or ZEROIPC_ECORRUPT (read_pos
 * is more than the capacity behind write_pos or ahead of it).
 */

/**
 * Append a copy of the elem_size bytes at `value` unless the ring is full.
 * Wait-free.  Returns 0, ZEROIPC_EFULL or ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_try_write(zeroipc_ring *ring, const void *value);

/**
 * As zeroipc_ring_try_write(), but while the ring is full wait (spinning
 * briefly, then sleeping in the kernel) up to `timeout_ns` nanoseconds:
 * ZEROIPC_WAIT_FOREVER waits without limit, 0 tries once (ZEROIPC_EFULL).
 * Returns 0, ZEROIPC_EFULL, ZEROIPC_ETIMEOUT or ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_write(zeroipc_ring *ring, const void *value,
				   int64_t timeout_ns);

/**
 * Append up to `count` elements from `values` (count * elem_size bytes) with
 * one publication, as many as fit; *written_out receives how many.  While
 * none fits, wait up to `timeout_ns` as zeroipc_ring_write() does.  A
 * count of 0 returns 0 at once.
 * Returns 0 (with *written_out >= 1 unless count is 0), ZEROIPC_EFULL
 * (timeout 0 and no room), ZEROIPC_ETIMEOUT or ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_write_n(uint64_t *written_out,
				     zeroipc_ring *ring, const void *values,
				     uint64_t count, int64_t timeout_ns);

/**
 * Zero-copy write, step 1: hand out the longest contiguous free region at
 * the write position, at most `max` elements (at least one; it ends at the
 * end of the buffer, so a call after it continues at the start).
 * *region_out points into the ring and *count_out is its length in
 * elements.  Fill it in place, then call zeroipc_ring_commit().  Waits
 * like zeroipc_ring_write() while the ring is full.  The region stays
 * reserved until the next producer call on this handle.
 * Returns 0, ZEROIPC_EFULL (timeout 0), ZEROIPC_ETIMEOUT or ZEROIPC_EINVAL
 * (max 0).  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_reserve(void **region_out, uint64_t *count_out,
				     zeroipc_ring *ring, uint64_t max,
				     int64_t timeout_ns);

/**
 * Zero-copy write, step 2: publish the first `count` elements of the
 * region the last zeroipc_ring_reserve() handed out (0 publishes nothing)
 * and end the reservation.  Returns 0, or ZEROIPC_EINVAL when `count` is
 * larger than the reserved region or nothing is reserved.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_commit(zeroipc_ring *ring, uint64_t count);

/*
 * Consumer calls.  They need a handle with ZEROIPC_RING_CONSUMER (else
 * ZEROIPC_EINVAL).  Besides the codes listed, each may return
 * ZEROIPC_EPROTOCOL (read_pos was moved by another consumer: noticed when
 * this handle publishes read_pos, so the call may have delivered its
 * elements already) or ZEROIPC_ECORRUPT (write_pos is behind read_pos or
 * more than the capacity ahead of it).
 */

/**
 * Remove the oldest element into `out` (elem_size bytes) unless the ring is
 * empty.  Wait-free.  Returns 0, ZEROIPC_EEMPTY or ZEROIPC_EINVAL.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_try_read(void *out, zeroipc_ring *ring);

/**
 * As zeroipc_ring_try_read(), but while the ring is empty wait (spinning
 * briefly, then sleeping in the kernel) up to `timeout_ns` nanoseconds:
 * ZEROIPC_WAIT_FOREVER waits without limit, 0 tries once (ZEROIPC_EEMPTY).
 * Returns 0, ZEROIPC_EEMPTY, ZEROIPC_ETIMEOUT or ZEROIPC_EINVAL.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_read(void *out, zeroipc_ring *ring,
				  int64_t timeout_ns);

/**
 * Remove up to `max` elements into `out` (room for max * elem_size bytes),
 * as many as are there; *read_out receives how many.  While the ring is
 * empty, wait up to `timeout_ns` as zeroipc_ring_read() does.  A max of 0
 * returns 0 at once.  Returns 0 (with *read_out >= 1 unless max is 0),
 * ZEROIPC_EEMPTY (timeout 0 and empty), ZEROIPC_ETIMEOUT or
 * ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_read_n(uint64_t *read_out, void *out,
				    zeroipc_ring *ring, uint64_t max,
				    int64_t timeout_ns);

/**
 * Zero-copy read, step 1: hand out the longest contiguous run of unread
 * elements at the read position, at most `max` (at least one; it ends at
 * the end of the buffer).  *region_out points into the ring and *count_out
 * is its length in elements; the elements stay in place, and the producer
 * cannot overwrite them, until zeroipc_ring_release().  Waits like
 * zeroipc_ring_read() while the ring is empty.  The region stays valid
 * until the next consumer call on this handle.
 * Returns 0, ZEROIPC_EEMPTY (timeout 0), ZEROIPC_ETIMEOUT or
 * ZEROIPC_EINVAL (max 0).  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_peek(const void **region_out, uint64_t *count_out,
				  zeroipc_ring *ring, uint64_t max,
				  int64_t timeout_ns);

/**
 * Zero-copy read, step 2: consume the first `count` elements of the region
 * the last zeroipc_ring_peek() handed out (0 consumes nothing) and end the
 * peek.  Returns 0, or ZEROIPC_EINVAL when `count` is larger than the region
 * or nothing was peeked.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_release(zeroipc_ring *ring, uint64_t count);

/**
 * Consumer: publish read_pos now, so the producer sees every element read
 * so far as free space.  A producer-only handle has nothing to publish.
 * Returns 0 or ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_ring_flush(zeroipc_ring *ring);

/**
 * Elements written and not yet read: for a consumer handle counted from its
 * own read position, otherwise from the published positions (so it may
 * include up to a release batch the consumer has already read).  A
 * snapshot, clamped to the capacity; 0 for NULL.  Since 1.0.
 */
ZEROIPC_API uint64_t zeroipc_ring_size(const zeroipc_ring *ring);

/** Capacity in elements, as read at open (0 for NULL).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_ring_capacity(const zeroipc_ring *ring);

/** Element size in bytes (0 for NULL).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_ring_elem_size(const zeroipc_ring *ring);

/** The handle's role flags (0 for NULL).  Since 1.0. */
ZEROIPC_API unsigned zeroipc_ring_role(const zeroipc_ring *ring);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_RING_H */
