/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/map.h - hash map with fixed-size keys and values, shared between
 * processes.
 *
 * A map has a fixed number of slots (a power of two) and stores keys of
 * key_size bytes with values of value_size bytes, both chosen at creation.
 * Keys are compared as bytes: a key type with padding must have the padding
 * zeroed by the caller.  The layout is defined by libzeroipc
 * (SPECIFICATION.md, "Map"), completely enough for another language to
 * implement it: open addressing with linear probing from the key's FNV-1a
 * hash, a control word per slot, tombstones that later inserts reuse.
 *
 * Concurrency.  Every operation is thread- and process-safe.  Adding,
 * looking up and removing keys is lock-free: no operation waits for another
 * to finish, and a key is never stored twice, also when several processes
 * insert it at once (an insert whose owner died half-way is completed or
 * discarded by the next operation on that key).  Values are rewritten in
 * place by zeroipc_map_insert_or_update() under a per-slot lock: a reader of
 * that value, an eraser of that key or a second updater waits for the
 * rewrite (a copy of value_size bytes) to finish, in the kernel, bounded by
 * the handle's timeout (zeroipc_map_set_timeout(), one second by default)
 * and then fails with ZEROIPC_ETIMEOUT.  That is the only wait on another
 * process, and it concerns one key only; zeroipc_map_insert() and
 * zeroipc_map_contains() never wait.
 *
 * Dead peers.  A process that dies inside an operation never blocks the
 * others.  At most it leaves one slot unusable (lost capacity), one count
 * too many in zeroipc_map_size(), or, if it died rewriting a value, that one
 * key locked: its reads, erases and updates then fail with ZEROIPC_ETIMEOUT
 * while every other key works as before.
 *
 * Handles are process-local, may be shared by threads, and must not outlive
 * the memory handle they were opened through.
 */
#ifndef ZEROIPC_MAP_H
#define ZEROIPC_MAP_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Map handle (opaque, process-local).  Since 1.0. */
typedef struct zeroipc_map zeroipc_map;

/** Largest number of slots of a map or set.  Since 1.0. */
#define ZEROIPC_MAP_MAX_CAPACITY 0x80000000u

/**
 * Default bound, in nanoseconds, on waiting for a value rewrite by another
 * process (see zeroipc_map_set_timeout()).  Since 1.0.
 */
#define ZEROIPC_MAP_DEFAULT_TIMEOUT_NS 1000000000

/**
 * Create map `name` with `capacity` slots (rounded up to a power of two)
 * for keys of `key_size` and values of `value_size` bytes.  A map holds at
 * most its capacity in entries; probing gets slower as it fills, so leave
 * room (a quarter free is plenty).  The map is fully initialised before its
 * table entry becomes visible, so a concurrent open never sees it half-made.
 * value_size may be 0 (the map is then a set; see zeroipc/set.h).
 *
 * On success *out receives a handle to close with zeroipc_map_close(); on
 * failure *out is NULL.  Blocking: takes the segment's table lock.
 *
 * Returns 0, ZEROIPC_EINVAL (NULL argument, key_size 0, capacity 0 or above
 * ZEROIPC_MAP_MAX_CAPACITY, a slot larger than 4 GiB, size overflow),
 * ZEROIPC_ENOMEM, or the codes of zeroipc_table_add() (ZEROIPC_ENAME,
 * ZEROIPC_EEXISTS, ZEROIPC_ETABLE_FULL, ZEROIPC_ENO_SPACE,
 * ZEROIPC_EREADONLY, ...).  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_create(zeroipc_map **out, zeroipc_memory *mem,
				   const char *name, uint64_t key_size,
				   uint64_t value_size, uint64_t capacity);

/**
 * Open existing map `name` whose keys are `key_size` and values
 * `value_size` bytes.  Every header field is checked first; the handle keeps
 * the capacity and sizes it validated and bounds every later access with
 * them, whatever another process writes into the header afterwards.  A
 * read-only memory handle gives a map that can find and iterate but not
 * change anything.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND,
 * ZEROIPC_ESIZE_MISMATCH (the stored key or value size differs from the
 * caller's), ZEROIPC_ECORRUPT (entry smaller than the header, capacity 0,
 * not a power of two or too large, key size 0, a slot size or entry size
 * other than the header implies, a size above the capacity) or
 * ZEROIPC_ENOMEM.  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_open(zeroipc_map **out, zeroipc_memory *mem,
				 const char *name, uint64_t key_size,
				 uint64_t value_size);

/**
 * Release the handle; the map stays in the segment.  Accepts NULL.
 * Since 1.0.
 */
ZEROIPC_API void zeroipc_map_close(zeroipc_map *map);

/**
 * Add `key` with `value` (value_size bytes; may be NULL when value_size is
 * 0) unless the key is present.  Lock-free.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_EEXISTS (the key is present; its value
 * is unchanged), ZEROIPC_EFULL (no free or reusable slot on the key's probe
 * sequence: the map is full) or ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_insert(zeroipc_map *map, const void *key,
				   const void *value);

/**
 * Set the value of `key`, adding the key if it is absent.  An existing
 * value is rewritten in place under the slot's lock; readers see the old or
 * the new value, never a mix.  Waits (bounded by the handle's timeout) only
 * while another process rewrites the same key's value.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_EFULL, ZEROIPC_ETIMEOUT (another
 * process held the value longer than the timeout: it may have died) or
 * ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_insert_or_update(zeroipc_map *map,
					     const void *key,
					     const void *value);

/**
 * Copy the value of `key` into `value_out` (value_size bytes).  A
 * consistent copy: if the value changes while it is copied, the copy is
 * made again.  Waits (bounded) only while another process rewrites this
 * value.  On failure the bytes of value_out are unspecified.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENOT_FOUND or ZEROIPC_ETIMEOUT.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_map_find(void *value_out, const zeroipc_map *map,
				 const void *key);

/**
 * 1 if `key` is present, 0 if not, or ZEROIPC_EINVAL.  Lock-free; never
 * waits.  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_contains(const zeroipc_map *map, const void *key);

/**
 * Remove `key`.  Its slot becomes a tombstone that later inserts reuse.
 * Waits (bounded) only while another process rewrites this key's value.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENOT_FOUND, ZEROIPC_ETIMEOUT or
 * ZEROIPC_EREADONLY.  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_erase(zeroipc_map *map, const void *key);

/**
 * Number of entries: exact when no operation is in progress; while some
 * are, it may count an entry being inserted, and never exceeds the
 * capacity.  A process that died inside an insert or erase may have left
 * one count too many.  0 for NULL.  Wait-free.  Since 1.0.
 */
ZEROIPC_API uint64_t zeroipc_map_size(const zeroipc_map *map);

/** Number of slots (a power of two); 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_map_capacity(const zeroipc_map *map);

/** Key size in bytes; 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_map_key_size(const zeroipc_map *map);

/** Value size in bytes; 0 for NULL.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_map_value_size(const zeroipc_map *map);

/**
 * Iterate: start with *cursor = 0 and call until ZEROIPC_ENOT_FOUND.  Each
 * call copies the next entry's key into `key_out` and value into
 * `value_out` (either may be NULL) and advances *cursor.  The cursor is a
 * slot number, meaningful in every process and with every handle of the
 * map.  Under concurrent changes the iteration is weakly consistent: an
 * entry present from start to end is returned exactly once; one inserted or
 * erased meanwhile may or may not be; a key erased and inserted again
 * meanwhile may be returned twice.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENOT_FOUND (no entry at or after the
 * cursor) or ZEROIPC_ETIMEOUT (the entry's value stayed locked by another
 * process; *cursor is advanced past it so iteration can go on).  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_next(void *key_out, void *value_out,
				 const zeroipc_map *map, uint64_t *cursor);

/**
 * Bound, in nanoseconds, on each operation's wait for a value rewrite by
 * another process: 0 gives up after a brief spin, ZEROIPC_WAIT_FOREVER (-1)
 * waits without limit (a dead peer then hangs the caller).  The default is
 * ZEROIPC_MAP_DEFAULT_TIMEOUT_NS.  May be called while other threads use
 * the handle.  Returns 0 or ZEROIPC_EINVAL.  Since 1.0.
 */
ZEROIPC_API int zeroipc_map_set_timeout(zeroipc_map *map, int64_t timeout_ns);

/**
 * Check map `name` at rest, reading the key and value sizes from its
 * header: header fields against the entry size as zeroipc_map_open()
 * checks them, every slot state known, every key reachable from its home
 * slot, no key present twice, and the size between the entries present and
 * the slots in use.  What a dead process leaves behind is consistent and
 * not reported.  Takes time linear in the capacity plus the probe lengths.
 * Run while other processes change the map, it may report a state that was
 * only momentary.  Works on read-only mappings; changes nothing.
 *
 * Returns 0; ZEROIPC_EINVAL; ZEROIPC_ENAME; ZEROIPC_ENOT_FOUND; or
 * ZEROIPC_ECORRUPT with the first problem in zeroipc_last_error().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_map_validate(const zeroipc_memory *mem,
				     const char *name);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_MAP_H */
