/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/table.h - the registry of named structures inside a segment.
 *
 * The table maps a name (at most 31 bytes) to an (offset, size) region of the
 * segment.  Entries are append-only.  Adding is serialised between processes
 * by a lock that the kernel releases if its holder dies (blocking, bounded by
 * the holder's few microseconds of work); lookups take no lock (wait-free).
 */
#ifndef ZEROIPC_TABLE_H
#define ZEROIPC_TABLE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest structure name in bytes, excluding the NUL.  Since 1.0. */
#define ZEROIPC_NAME_MAX 31

/** One table entry, as copied out of the segment.  Since 1.0. */
typedef struct zeroipc_table_entry {
	char name[ZEROIPC_NAME_MAX + 1]; /**< NUL-terminated */
	uint64_t offset; /**< from the start of the segment, 8-byte aligned */
	uint64_t size;   /**< bytes requested by the creator, not rounded */
} zeroipc_table_entry;

/**
 * Reserve `size` bytes under `name`, zero them and publish the entry.  The
 * region is 8-byte aligned.  *offset_out (may be NULL) receives its offset.
 * A failed add leaves the table unchanged.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_EEXISTS,
 * ZEROIPC_ETABLE_FULL, ZEROIPC_ENO_SPACE, ZEROIPC_EREADONLY, ZEROIPC_ECORRUPT
 * or ZEROIPC_ESYS.  Since 1.0.
 */
ZEROIPC_API int zeroipc_table_add(uint64_t *offset_out, zeroipc_memory *mem,
				  const char *name, uint64_t size);

/**
 * Look `name` up.  On success copies the entry into *out.  Returns 0,
 * ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND or ZEROIPC_ECORRUPT.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_table_find(zeroipc_table_entry *out,
				   const zeroipc_memory *mem, const char *name);

/** Number of published entries (clamped to the table's capacity).  Since 1.0. */
ZEROIPC_API uint32_t zeroipc_table_count(const zeroipc_memory *mem);

/** Capacity of the table (max_entries).  Since 1.0. */
ZEROIPC_API uint32_t zeroipc_table_capacity(const zeroipc_memory *mem);

/**
 * Copy entry number `index` (0 .. count-1, in creation order) into *out.
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ERANGE or ZEROIPC_ECORRUPT.  Since 1.0.
 */
ZEROIPC_API int zeroipc_table_entry_at(zeroipc_table_entry *out,
				       const zeroipc_memory *mem,
				       uint32_t index);

/** Bytes not yet allocated in the segment.  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_table_free_bytes(const zeroipc_memory *mem);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_TABLE_H */
