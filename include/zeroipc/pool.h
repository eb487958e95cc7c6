/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/pool.h - fixed-size object pool shared between processes.
 *
 * A pool holds `capacity` objects of `elem_size` bytes.  zeroipc_pool_allocate
 * hands out the index of a free object; the index means the same object in
 * every process that opens the pool, so it can be passed around (through a
 * queue, an array, a message) where a pointer could not.  zeroipc_pool_ptr
 * turns an index into this process's address of the object, and
 * zeroipc_pool_free gives it back.
 *
 * Allocation and free are lock-free: a Treiber free list whose 64-bit head
 * carries a generation tag next to the index, so a head that was popped and
 * pushed back in between is never mistaken for an unchanged one (ABA).  Each
 * object also has a state word, FREE or ALLOCATED, switched by compare-and-
 * swap, so freeing an object twice or freeing one that was never handed out
 * is detected and reported (ZEROIPC_ENOT_ALLOCATED), also when the two frees
 * come from different processes.  The layout is defined by libzeroipc
 * (SPECIFICATION.md, "Pool"); other zeroipc implementations have none that
 * is compatible.
 *
 * Object contents are not synchronised by the pool beyond the hand-over: the
 * bytes a process wrote into an object before freeing it are visible to the
 * process that allocates it next.  Passing an index to another process needs
 * the same ordering as passing any data (a Queue, an Array's seq_cst
 * atomics, ...).
 *
 * A process that dies while holding an object leaks that object: the pool
 * does not know owners.  A process that dies inside allocate or free leaks
 * at most the one object it was moving; the pool stays consistent and
 * usable for everyone else, and nothing ever waits on the dead process.
 *
 * Handles are process-local, may be shared by threads, and must not outlive
 * the memory handle they were opened through.
 */
#ifndef ZEROIPC_POOL_H
#define ZEROIPC_POOL_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Pool handle (opaque, process-local).  Since 1.0. */
typedef struct zeroipc_pool zeroipc_pool;

/**
 * Largest capacity of a pool: indices are 32-bit and 0xFFFFFFFF marks the
 * end of the free list.  Since 1.0.
 */
#define ZEROIPC_POOL_MAX_CAPACITY 0xFFFFFFFEu

/**
 * Create pool `name` of `capacity` objects of `elem_size` bytes each.  All
 * objects start free and zero-filled; the first allocations return indices
 * 0, 1, 2, ... in order.  The pool is fully initialised before its table
 * entry becomes visible, so a concurrent open never sees it half-made.
 *
 * On success *out receives a handle the caller closes with
 * zeroipc_pool_close(); on failure *out is NULL.  Blocking: takes the
 * segment's table lock (held only by processes adding entries).
 *
 * Returns 0, ZEROIPC_EINVAL (NULL argument, elem_size 0 or above
 * UINT32_MAX, capacity 0 or above ZEROIPC_POOL_MAX_CAPACITY, size overflow),
 * ZEROIPC_ENOMEM, or the codes of zeroipc_table_add() (ZEROIPC_ENAME,
 * ZEROIPC_EEXISTS, ZEROIPC_ETABLE_FULL, ZEROIPC_ENO_SPACE,
 * ZEROIPC_EREADONLY, ...).  Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_create(zeroipc_pool **out, zeroipc_memory *mem,
				    const char *name, uint64_t elem_size,
				    uint64_t capacity);

/**
 * Open existing pool `name` whose objects are `elem_size` bytes.  Every
 * header field is checked before the handle is made: the handle keeps the
 * capacity and element size it validated here and bounds every later access
 * with them, whatever another process writes into the header afterwards.
 *
 * On success *out receives a handle to close with zeroipc_pool_close(); on
 * failure *out is NULL.  A read-only memory handle gives a pool handle that
 * can read objects but not allocate or free.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND,
 * ZEROIPC_ESIZE_MISMATCH (the pool's objects are not `elem_size` bytes),
 * ZEROIPC_ECORRUPT (capacity 0 or too large, stored element size 0, an entry
 * size that differs from the size the header implies, a free-list head out
 * of range, more objects in use than exist) or ZEROIPC_ENOMEM.  Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_open(zeroipc_pool **out, zeroipc_memory *mem,
				  const char *name, uint64_t elem_size);

/**
 * Release the handle.  Objects stay allocated and the pool stays in the
 * segment.  Accepts NULL.  Since 1.0.
 */
ZEROIPC_API void zeroipc_pool_close(zeroipc_pool *pool);

/**
 * Take a free object without waiting.  *index_out receives its index (below
 * the capacity).  The object's bytes are what its previous owner left there
 * (zeros if it was never used).
 *
 * Thread- and process-safe, lock-free: a retry happens only when another
 * allocate or free changed the free list at the same moment.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_EFULL (every object is allocated: the
 * pool is full), ZEROIPC_EREADONLY, or ZEROIPC_ECORRUPT (the free list
 * points outside the pool or at an allocated object: someone wrote into the
 * pool's shared bytes).  Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_try_allocate(uint64_t *index_out,
					  zeroipc_pool *pool);

/**
 * Take a free object, waiting up to `timeout_ns` nanoseconds for one to be
 * freed when the pool is full (ZEROIPC_WAIT_FOREVER: no limit; 0: try once).
 * The wait sleeps in the kernel on a futex in the pool's header and is woken
 * by zeroipc_pool_free() in any process; it never spins for long.  Objects
 * leaked by a dead process are never freed, so a wait for them ends in
 * ZEROIPC_ETIMEOUT, never a hang (unless the caller asked to wait forever).
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ETIMEOUT (still full at the deadline,
 * also for a timeout of 0), ZEROIPC_EREADONLY or ZEROIPC_ECORRUPT.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_allocate(uint64_t *index_out, zeroipc_pool *pool,
				      int64_t timeout_ns);

/**
 * Return object `index` to the pool.  The caller must not use the object
 * afterwards; its bytes are handed, with release ordering, to the next
 * allocator.  Wakes processes waiting in zeroipc_pool_allocate().
 *
 * Thread- and process-safe, lock-free.  Exactly one of several concurrent
 * frees of the same object succeeds; the others get ZEROIPC_ENOT_ALLOCATED.
 * The pool records no owners, so a stale second free that comes after the
 * object was allocated again (by anyone) frees the new owner's object; only
 * frees of an object that is free right now are caught.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ERANGE (index not below the capacity),
 * ZEROIPC_ENOT_ALLOCATED (the object is free: a double free, or an index
 * never handed out), ZEROIPC_EREADONLY, or ZEROIPC_ECORRUPT (the object's
 * state word holds neither FREE nor ALLOCATED, or the free-list head is out
 * of range, in which case the object is lost).  Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_free(zeroipc_pool *pool, uint64_t index);

/**
 * Address of object `index` in this process (elem_size bytes, 8-byte
 * aligned when elem_size is a multiple of 8).  Valid while the memory handle
 * stays open; the object belongs to whoever allocated it.  The check that
 * the object is allocated is a snapshot: it catches use of a freed index,
 * but cannot stop another process from freeing the object right after.
 *
 * Wait-free.  Returns 0, ZEROIPC_EINVAL, ZEROIPC_ERANGE,
 * ZEROIPC_ENOT_ALLOCATED (the object is free) or ZEROIPC_ECORRUPT (its state
 * word is garbage).  Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_ptr(void **out, const zeroipc_pool *pool,
				 uint64_t index);

/**
 * Number of objects allocated right now (a snapshot that may be stale as
 * soon as it is returned; never more than the capacity).  0 for NULL.
 * Wait-free.  Since 1.0.
 */
ZEROIPC_API uint64_t zeroipc_pool_in_use(const zeroipc_pool *pool);

/** Number of objects in the pool; 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_pool_capacity(const zeroipc_pool *pool);

/** Size of one object in bytes; 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_pool_elem_size(const zeroipc_pool *pool);

/**
 * Check pool `name` at rest, reading the element size from its header:
 * header fields against the entry size as zeroipc_pool_open() checks them,
 * the free list in range, without a cycle and holding only FREE objects,
 * every state word FREE or ALLOCATED, and the in-use count between the
 * number of ALLOCATED objects and the number of objects off the free list.
 * Objects a dead process leaked are consistent and not reported.  Bounded
 * by the capacity.  Run while other processes allocate or free, it may
 * report a state that was only momentary.  Works on read-only mappings;
 * changes nothing.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND; or
 * ZEROIPC_ECORRUPT with the first problem in zeroipc_last_error().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_pool_validate(const zeroipc_memory *mem,
				      const char *name);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_POOL_H */
