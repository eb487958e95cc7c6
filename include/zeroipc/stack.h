/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/stack.h - bounded multi-producer multi-consumer stack of
 * fixed-size elements, shared between processes.
 *
 * Layout (format v2, shared with the other zeroipc implementations): i32 top
 * (-1 when empty), u32 capacity, u32 elem_size, u32 reserved, the elements,
 * then one u32 state word per slot (EMPTY, WRITING, READY, READING).  A push
 * claims index top + 1 by a compare-and-swap on top, then fills that slot;
 * a pop claims index top, then drains that slot.  The state word keeps a
 * popper from reading a slot whose pusher has not finished writing, and a
 * pusher from overwriting a slot whose popper has not finished reading.
 *
 * Progress guarantee: blocking, with every wait bounded.  Claiming an index
 * is lock-free, but an operation that claimed an index may then have to wait
 * for the process that claimed the same index before it (a pusher still
 * writing it, a popper still reading it).  That wait lasts at most the
 * handle's slot timeout (zeroipc_stack_set_slot_timeout(), default
 * ZEROIPC_STACK_SLOT_TIMEOUT_DEFAULT_NS), after which the call returns
 * ZEROIPC_ETIMEOUT: a process that dies inside a push or pop never hangs
 * the others, but each later operation that lands on the slot it left
 * behind fails that way until the slot's state is consistent again.
 *
 * Order: operations that do not overlap in time see last-in first-out
 * order.  Overlapping operations on the same index may exchange elements
 * (a pop may return the element of the push that claimed the index after
 * the one it was paired with); no element is ever lost or returned twice.
 *
 * Blocking push/pop sleep in the kernel on eventcounts kept in a companion
 * table entry named "<name>.wait", so a stack's name is at most
 * ZEROIPC_STACK_NAME_MAX bytes.  Handles are process-local, may be shared by
 * threads, and must not outlive the memory handle they were opened through.
 */
#ifndef ZEROIPC_STACK_H
#define ZEROIPC_STACK_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A stack handle (process-local).  Since 1.0. */
typedef struct zeroipc_stack zeroipc_stack;

/**
 * Longest stack name: the companion entry "<name>.wait" must fit the 31
 * bytes of a table name.  Since 1.0.
 */
#define ZEROIPC_STACK_NAME_MAX 26

/** Largest capacity: top is a signed 32-bit index.  Since 1.0. */
#define ZEROIPC_STACK_CAPACITY_MAX 0x7FFFFFFFu

/**
 * Default bound, in nanoseconds, on waiting for a slot that another process
 * holds (one second).  Since 1.0.
 */
#define ZEROIPC_STACK_SLOT_TIMEOUT_DEFAULT_NS 1000000000LL

/**
 * Create stack `name` with room for `capacity` elements of `elem_size`
 * bytes, empty.  The structure is fully initialised before any other
 * process can find it.  Also adds the companion entry "<name>.wait".
 * On success *out owns a new handle; release it with zeroipc_stack_close().
 *
 * Returns 0; ZEROIPC_EINVAL (NULL argument, elem_size 0 or above
 * UINT32_MAX, capacity 0 or above ZEROIPC_STACK_CAPACITY_MAX, size
 * overflow); ZEROIPC_ENAME (name NULL, empty or longer than
 * ZEROIPC_STACK_NAME_MAX); ZEROIPC_EEXISTS; ZEROIPC_EREADONLY; or another
 * zeroipc_table_add() status.  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_create(zeroipc_stack **out, zeroipc_memory *mem,
				     const char *name, uint64_t elem_size,
				     uint64_t capacity);

/**
 * Open existing stack `name` whose elements are `elem_size` bytes.  Every
 * header field is checked against the entry before use; later operations
 * keep to the capacity read here even if another process rewrites the
 * header.  Adds the companion "<name>.wait" if another implementation
 * created the stack without one (not on a read-only mapping: blocking calls
 * then poll in short slices).  On success *out owns a new handle.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND;
 * ZEROIPC_ESIZE_MISMATCH (the stored element size is not `elem_size`);
 * ZEROIPC_ECORRUPT (capacity 0 or above ZEROIPC_STACK_CAPACITY_MAX,
 * element size 0, entry size not the one the header implies, top outside
 * -1..capacity-1, a companion entry of the wrong size); or a
 * zeroipc_table_add() status for the companion.  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_open(zeroipc_stack **out, zeroipc_memory *mem,
				   const char *name, uint64_t elem_size);

/** Release the handle (not the stack).  Accepts NULL.  Since 1.0. */
ZEROIPC_API void zeroipc_stack_close(zeroipc_stack *stack);

/**
 * Check stack `name` at rest (no operation in flight), reading the element
 * size from its header: header fields against the entry size, top within
 * -1..capacity-1, reserved word 0, every slot state one of the four, slots
 * 0..top READY and the slots above EMPTY.  A slot left WRITING or READING,
 * or out of step with top, is what a process that died inside an operation
 * leaves behind.  Works on read-only mappings; changes nothing.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND; or
 * ZEROIPC_ECORRUPT with the first problem in zeroipc_last_error().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_validate(const zeroipc_memory *mem,
				       const char *name);

/**
 * Bound the wait for a slot that another process holds (its pusher still
 * writing or its popper still reading) to `timeout_ns` nanoseconds, which
 * must be positive.  Affects this handle only.  Returns 0 or
 * ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_set_slot_timeout(zeroipc_stack *stack,
					       int64_t timeout_ns);

/** The handle's slot timeout in nanoseconds (0 for NULL).  Since 1.0. */
ZEROIPC_API int64_t zeroipc_stack_slot_timeout(const zeroipc_stack *stack);

/**
 * Push a copy of the elem_size bytes at `value` unless the stack is full.
 * Safe from any number of threads and processes.  Does not wait for space,
 * but after claiming an index may wait up to the slot timeout for the
 * process that popped that index to finish reading it.
 *
 * Returns 0; ZEROIPC_EFULL; ZEROIPC_ETIMEOUT (the claimed slot stayed busy
 * for the slot timeout: the element was not pushed); ZEROIPC_EINVAL;
 * ZEROIPC_EREADONLY; ZEROIPC_ECORRUPT (top or a slot state holds a value
 * no valid stack has).  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_try_push(zeroipc_stack *stack, const void *value);

/**
 * Pop the top element into `out` (elem_size bytes) unless the stack is
 * empty.  Safe from any number of threads and processes.  Does not wait for
 * an element, but after claiming an index may wait up to the slot timeout
 * for the process that pushed that index to finish writing it.
 *
 * Returns 0; ZEROIPC_EEMPTY; ZEROIPC_ETIMEOUT (the claimed slot was not
 * published within the slot timeout: nothing was popped); ZEROIPC_EINVAL;
 * ZEROIPC_EREADONLY; ZEROIPC_ECORRUPT.  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_try_pop(void *out, zeroipc_stack *stack);

/**
 * As zeroipc_stack_try_push(), but while the stack is full wait (sleeping
 * in the kernel) up to `timeout_ns` nanoseconds for space:
 * ZEROIPC_WAIT_FOREVER waits without limit, 0 tries once.  The slot wait
 * after claiming is bounded separately by the slot timeout.  Returns 0;
 * ZEROIPC_ETIMEOUT (still full at the deadline, or the claimed slot stayed
 * busy); or a zeroipc_stack_try_push() error.  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_push(zeroipc_stack *stack, const void *value,
				   int64_t timeout_ns);

/**
 * As zeroipc_stack_try_pop(), but while the stack is empty wait (sleeping
 * in the kernel) up to `timeout_ns` nanoseconds for an element:
 * ZEROIPC_WAIT_FOREVER waits without limit, 0 tries once.  Returns 0;
 * ZEROIPC_ETIMEOUT (still empty at the deadline, or the claimed slot was
 * not published); or a zeroipc_stack_try_pop() error.  Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_pop(void *out, zeroipc_stack *stack,
				  int64_t timeout_ns);

/**
 * Copy the top element into `out` without removing it.  The slot is claimed
 * (READY -> READING) for the copy and then handed back, so the result is
 * always a complete element some push published, never a half-written one;
 * under concurrent pushes and pops it is the element at the top at some
 * instant during the call.  Waits at most the slot timeout for a slot that
 * another process is writing.
 *
 * Returns 0; ZEROIPC_EEMPTY; ZEROIPC_ETIMEOUT; ZEROIPC_EINVAL;
 * ZEROIPC_EREADONLY (the claim writes to the segment); ZEROIPC_ECORRUPT.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_stack_top(void *out, zeroipc_stack *stack);

/**
 * Number of claimed slots (top + 1, clamped to 0..capacity): includes
 * pushes still writing and excludes pops still reading.  A snapshot; 0 for
 * NULL.  Since 1.0.
 */
ZEROIPC_API uint64_t zeroipc_stack_size(const zeroipc_stack *stack);

/** 1 if zeroipc_stack_size() is 0 (or stack is NULL), else 0.  Since 1.0. */
ZEROIPC_API int zeroipc_stack_empty(const zeroipc_stack *stack);

/** 1 if every slot is claimed, else 0 (0 for NULL).  Since 1.0. */
ZEROIPC_API int zeroipc_stack_full(const zeroipc_stack *stack);

/** Number of slots, as read at open (0 for NULL).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_stack_capacity(const zeroipc_stack *stack);

/** Element size in bytes (0 for NULL).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_stack_elem_size(const zeroipc_stack *stack);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_STACK_H */
