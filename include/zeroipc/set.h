/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/set.h - hash set of fixed-size keys, shared between processes.
 *
 * A set is a map without values: the same layout (SPECIFICATION.md, "Set")
 * with value_size 0, so a map created with value_size 0 opens as a set and
 * the other way round.  Keys are compared as bytes: a key type with padding
 * must have the padding zeroed by the caller.
 *
 * Every operation is thread- and process-safe and lock-free: nothing ever
 * waits for another process, and a key is never stored twice, also when
 * several processes insert it at once.  A process that dies inside an
 * operation leaves at most one slot unusable and one count too many in
 * zeroipc_set_size(); its half-done insert is completed or discarded by the
 * next operation on that key.
 *
 * Handles are process-local, may be shared by threads, and must not outlive
 * the memory handle they were opened through.
 */
#ifndef ZEROIPC_SET_H
#define ZEROIPC_SET_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Set handle (opaque, process-local).  Since 1.0. */
typedef struct zeroipc_set zeroipc_set;

/**
 * Create set `name` with `capacity` slots (rounded up to a power of two,
 * at most ZEROIPC_MAP_MAX_CAPACITY) for keys of `key_size` bytes.  The set
 * is fully initialised before its table entry becomes visible.  Probing
 * gets slower as the set fills, so leave room (a quarter free is plenty).
 *
 * On success *out receives a handle to close with zeroipc_set_close(); on
 * failure *out is NULL.  Blocking: takes the segment's table lock.
 *
 * Returns 0, ZEROIPC_EINVAL (NULL argument, key_size 0, capacity 0 or too
 * large, size overflow), ZEROIPC_ENOMEM, or the codes of zeroipc_table_add()
 * (ZEROIPC_ENAME, ZEROIPC_EEXISTS, ZEROIPC_ETABLE_FULL, ZEROIPC_ENO_SPACE,
 * ZEROIPC_EREADONLY, ...).  Since 1.0.
 */
ZEROIPC_API int zeroipc_set_create(zeroipc_set **out, zeroipc_memory *mem,
				   const char *name, uint64_t key_size,
				   uint64_t capacity);

/**
 * Open existing set `name` whose keys are `key_size` bytes.  Every header
 * field is checked first, and the handle bounds every later access by the
 * values it validated here.  A read-only memory handle gives a set that can
 * be queried and iterated but not changed.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND,
 * ZEROIPC_ESIZE_MISMATCH (the stored key size differs from the caller's, or
 * the structure is a map with values), ZEROIPC_ECORRUPT (entry smaller than
 * the header, capacity 0, not a power of two or too large, key size 0, a
 * slot size or entry size other than the header implies, a size above the
 * capacity) or ZEROIPC_ENOMEM.  Since 1.0.
 */
ZEROIPC_API int zeroipc_set_open(zeroipc_set **out, zeroipc_memory *mem,
				 const char *name, uint64_t key_size);

/**
 * Release the handle; the set stays in the segment.  Accepts NULL.
 * Since 1.0.
 */
ZEROIPC_API void zeroipc_set_close(zeroipc_set *set);

/**
 * Add `key` unless it is present.  Lock-free.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_EEXISTS (already present),
 * ZEROIPC_EFULL (no free or reusable slot on the key's probe sequence) or
 * ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_set_insert(zeroipc_set *set, const void *key);

/**
 * 1 if `key` is present, 0 if not, or ZEROIPC_EINVAL.  Lock-free.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_set_contains(const zeroipc_set *set, const void *key);

/**
 * Remove `key`; its slot becomes a tombstone that later inserts reuse.
 * Lock-free.  Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENOT_FOUND or
 * ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_set_erase(zeroipc_set *set, const void *key);

/**
 * Number of keys: exact when no operation is in progress, never above the
 * capacity; a process that died inside an insert or erase may have left
 * one count too many.  0 for NULL.  Wait-free.  Since 1.0.
 */
ZEROIPC_API uint64_t zeroipc_set_size(const zeroipc_set *set);

/** Number of slots (a power of two); 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_set_capacity(const zeroipc_set *set);

/** Key size in bytes; 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_set_key_size(const zeroipc_set *set);

/**
 * Iterate: start with *cursor = 0 and call until ZEROIPC_ENOT_FOUND.  Each
 * call copies the next key into `key_out` (may be NULL) and advances
 * *cursor, a slot number valid in every process.  Weakly consistent under
 * concurrent changes, as zeroipc_map_next().
 *
 * Returns 0, ZEROIPC_EINVAL or ZEROIPC_ENOT_FOUND (no key at or after the
 * cursor).  Since 1.0.
 */
ZEROIPC_API int zeroipc_set_next(void *key_out, const zeroipc_set *set,
				 uint64_t *cursor);

/**
 * Check set `name` at rest, reading the key size from its header: the
 * checks of zeroipc_map_validate(), plus a value size of 0.  Works on
 * read-only mappings; changes nothing.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND;
 * ZEROIPC_ESIZE_MISMATCH (the entry holds values: it is a map); or
 * ZEROIPC_ECORRUPT with the first problem in zeroipc_last_error().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_set_validate(const zeroipc_memory *mem,
				     const char *name);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_SET_H */
