/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/array.h - fixed-capacity array of fixed-size elements.
 *
 * Layout (format v2): u64 capacity, then capacity * elem_size bytes.  No type
 * is stored: every user states the element size.  get/set copy bytes without
 * synchronisation (the caller orders them, as with ordinary memory); the
 * atomic operations work on 4- and 8-byte elements and are sequentially
 * consistent.  Handles are process-local, may be shared by threads, and must
 * not outlive the memory handle they were opened through.
 */
#ifndef ZEROIPC_ARRAY_H
#define ZEROIPC_ARRAY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Create array `name` of `capacity` elements of `elem_size` bytes, zeroed.
 * Returns 0, ZEROIPC_EINVAL (elem_size 0, capacity 0 or size overflow), or
 * the codes of zeroipc_table_add().  Since 1.0.
 */
ZEROIPC_API int zeroipc_array_create(zeroipc_array **out, zeroipc_memory *mem,
				     const char *name, uint64_t elem_size,
				     uint64_t capacity);

/**
 * Open existing array `name` whose elements are `elem_size` bytes.  Returns
 * 0, ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND, ZEROIPC_ECORRUPT
 * (entry too small for its header) or ZEROIPC_ESIZE_MISMATCH (the entry's
 * size is not 8 + capacity * elem_size).  Since 1.0.
 */
ZEROIPC_API int zeroipc_array_open(zeroipc_array **out, zeroipc_memory *mem,
				   const char *name, uint64_t elem_size);

/** Release the handle (not the data).  Accepts NULL.  Since 1.0. */
ZEROIPC_API void zeroipc_array_close(zeroipc_array *arr);

/** Number of elements.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_array_capacity(const zeroipc_array *arr);

/** Element size in bytes.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_array_elem_size(const zeroipc_array *arr);

/** Address of element 0 in this process, for zero-copy use.  Since 1.0. */
ZEROIPC_API void *zeroipc_array_data(const zeroipc_array *arr);

/**
 * Copy element `index` into `out` (elem_size bytes).  Returns 0,
 * ZEROIPC_EINVAL or ZEROIPC_ERANGE.  Since 1.0.
 */
ZEROIPC_API int zeroipc_array_get(void *out, const zeroipc_array *arr,
				  uint64_t index);

/**
 * Copy elem_size bytes from `value` into element `index`.  Returns 0,
 * ZEROIPC_EINVAL, ZEROIPC_ERANGE or ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_array_set(zeroipc_array *arr, uint64_t index,
				  const void *value);

/*
 * Atomic element operations.  The _u32 forms need elem_size 4 and the _u64
 * forms elem_size 8 (else ZEROIPC_ESIZE_MISMATCH); an index past the end is
 * ZEROIPC_ERANGE; the modifying forms return ZEROIPC_EREADONLY on a
 * read-only segment.  Signed values use the same calls (two's complement).
 */

/** Atomically load element `index`.  Since 1.0. */
ZEROIPC_API int zeroipc_array_load_u32(uint32_t *out, const zeroipc_array *arr,
				       uint64_t index);
/** Atomically load element `index`.  Since 1.0. */
ZEROIPC_API int zeroipc_array_load_u64(uint64_t *out, const zeroipc_array *arr,
				       uint64_t index);
/** Atomically store `value` into element `index`.  Since 1.0. */
ZEROIPC_API int zeroipc_array_store_u32(zeroipc_array *arr, uint64_t index,
					uint32_t value);
/** Atomically store `value` into element `index`.  Since 1.0. */
ZEROIPC_API int zeroipc_array_store_u64(zeroipc_array *arr, uint64_t index,
					uint64_t value);
/**
 * Atomically add `delta` to element `index`; *previous_out (may be NULL)
 * receives the value before.  Since 1.0.
 */
ZEROIPC_API int zeroipc_array_fetch_add_u32(uint32_t *previous_out,
					    zeroipc_array *arr, uint64_t index,
					    uint32_t delta);
/** As zeroipc_array_fetch_add_u32 for 8-byte elements.  Since 1.0. */
ZEROIPC_API int zeroipc_array_fetch_add_u64(uint64_t *previous_out,
					    zeroipc_array *arr, uint64_t index,
					    uint64_t delta);
/**
 * If element `index` equals *expected, store `desired` and return 0;
 * otherwise write the current value to *expected and return ZEROIPC_ECHANGED.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_array_compare_exchange_u32(zeroipc_array *arr,
						   uint64_t index,
						   uint32_t *expected,
						   uint32_t desired);
/** As zeroipc_array_compare_exchange_u32 for 8-byte elements.  Since 1.0. */
ZEROIPC_API int zeroipc_array_compare_exchange_u64(zeroipc_array *arr,
						   uint64_t index,
						   uint64_t *expected,
						   uint64_t desired);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_ARRAY_H */
