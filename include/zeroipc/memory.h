/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/memory.h - named shared-memory segments.
 *
 * A segment is a POSIX shared-memory object ("/name") that starts with the
 * zeroipc format v2 table.  A zeroipc_memory handle is one process's mapping
 * of it.  Handles are process-local; one handle may be used by several
 * threads at once, except that zeroipc_memory_close() must not race with any
 * other use of the handle or of structure handles opened through it.
 */
#ifndef ZEROIPC_MEMORY_H
#define ZEROIPC_MEMORY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest segment name, including the leading '/'.  Since 1.0. */
#define ZEROIPC_MEMORY_NAME_MAX 255

/** Default number of table entries in a new segment.  Since 1.0. */
#define ZEROIPC_DEFAULT_MAX_ENTRIES 64

/** Open flag: map the segment read-only (an observer).  Since 1.0. */
#define ZEROIPC_OPEN_READONLY 0x1u

/**
 * Options for creating a segment.  Initialise with ZEROIPC_MEMORY_OPTS_INIT;
 * fields are only ever appended.  Since 1.0.
 */
typedef struct zeroipc_memory_opts {
	size_t size;          /**< sizeof(zeroipc_memory_opts) */
	uint32_t max_entries; /**< table capacity; 0 means 64 */
	uint32_t mode;        /**< permission bits, umask ignored; 0 means 0600 */
} zeroipc_memory_opts;

#define ZEROIPC_MEMORY_OPTS_INIT                                               \
	{ sizeof(zeroipc_memory_opts), ZEROIPC_DEFAULT_MAX_ENTRIES, 0600 }

/**
 * Create a new segment of `size` bytes with an empty table.  Exclusive: if
 * `name` exists, fails with ZEROIPC_EEXISTS and leaves it alone.  The segment
 * appears under its name only once fully initialised, and its pages are
 * reserved, so a full /dev/shm fails here (ZEROIPC_ENO_SPACE) rather than
 * with SIGBUS later.  `opts` may be NULL for the defaults.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENAME (bad or too long name),
 * ZEROIPC_ETOO_SMALL (size cannot hold the table), ZEROIPC_EEXISTS,
 * ZEROIPC_ENO_SPACE, ZEROIPC_EPERM, ZEROIPC_ENOMEM or ZEROIPC_ESYS.
 * On success *out owns the mapping; release it with zeroipc_memory_close().
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_memory_create(zeroipc_memory **out, const char *name,
				      uint64_t size,
				      const zeroipc_memory_opts *opts);

/**
 * Open an existing segment.  `flags` is 0 or ZEROIPC_OPEN_READONLY.  Every
 * header field and table entry is validated before it is trusted.
 *
 * Returns 0, ZEROIPC_EINVAL, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND, ZEROIPC_EPERM,
 * ZEROIPC_EBAD_FORMAT (not zeroipc), ZEROIPC_EVERSION (other format version),
 * ZEROIPC_ECORRUPT (inconsistent header or entries), ZEROIPC_ENOMEM or
 * ZEROIPC_ESYS.  Since 1.0.
 */
ZEROIPC_API int zeroipc_memory_open(zeroipc_memory **out, const char *name,
				    uint32_t flags);

/**
 * Open `name` if it exists, else create it as zeroipc_memory_create() would.
 * Racing callers agree: exactly one creates, the others open its segment.
 * An existing segment is used whatever its size.  *created_out (may be NULL)
 * tells which happened.  Returns the codes of create and open.  Since 1.0.
 */
ZEROIPC_API int zeroipc_memory_open_or_create(zeroipc_memory **out,
					      int *created_out,
					      const char *name, uint64_t size,
					      const zeroipc_memory_opts *opts);

/**
 * Unmap and release a handle.  Never unlinks.  Accepts NULL.  Since 1.0.
 */
ZEROIPC_API void zeroipc_memory_close(zeroipc_memory *mem);

/**
 * Remove the name `name`; mappings that exist stay valid until closed.
 * Returns 0, ZEROIPC_ENAME, ZEROIPC_ENOT_FOUND, ZEROIPC_EPERM or
 * ZEROIPC_ESYS.  Since 1.0.
 */
ZEROIPC_API int zeroipc_memory_unlink(const char *name);

/** Size of the segment in bytes (memory_size of its header).  Since 1.0. */
ZEROIPC_API uint64_t zeroipc_memory_size(const zeroipc_memory *mem);

/** The segment's name as given at open/create; owned by the handle.  Since 1.0. */
ZEROIPC_API const char *zeroipc_memory_name(const zeroipc_memory *mem);

/**
 * Base address of this process's mapping, for zero-copy access.  Valid until
 * zeroipc_memory_close().  Since 1.0.
 */
ZEROIPC_API void *zeroipc_memory_base(const zeroipc_memory *mem);

/** 1 if the handle was opened read-only, else 0.  Since 1.0. */
ZEROIPC_API int zeroipc_memory_is_readonly(const zeroipc_memory *mem);

/**
 * Check the table of a segment at rest: header, every entry's name, offset
 * and size.  Returns 0, ZEROIPC_EBAD_FORMAT, ZEROIPC_EVERSION or
 * ZEROIPC_ECORRUPT (detail in zeroipc_last_error()).  Since 1.0.
 */
ZEROIPC_API int zeroipc_memory_validate(const zeroipc_memory *mem);

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_MEMORY_H */
