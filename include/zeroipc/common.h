/* SPDX-License-Identifier: MIT */
/*
 * zeroipc/common.h - export macro, status codes, error details, handle types.
 *
 * Every fallible call in libzeroipc returns int: 0 (ZEROIPC_OK) on success or
 * one of the negative ZEROIPC_E* codes below.  Codes are never renumbered or
 * reused; new ones are only appended.
 */
#ifndef ZEROIPC_COMMON_H
#define ZEROIPC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ZEROIPC_API
#if defined(__GNUC__)
#define ZEROIPC_API __attribute__((visibility("default")))
#else
#define ZEROIPC_API
#endif
#endif

/*
 * The one list of statuses: X(NAME, value, message).  It generates the enum,
 * zeroipc_status_name(), zeroipc_strerror() and, through the enum, the Python
 * exception table.  Expected outcomes (EMPTY, FULL, TIMEOUT, NOT_FOUND,
 * EXISTS, CLOSED) have codes of their own so callers can branch on them.
 */
#define ZEROIPC_STATUS_MAP(X)                                                  \
	X(OK, 0, "success")                                                    \
	X(EINVAL, -1, "invalid argument")                                      \
	X(ENOMEM, -2, "out of process memory")                                 \
	X(ESYS, -3, "operating system call failed")                            \
	X(ENOT_FOUND, -4, "not found")                                         \
	X(EEXISTS, -5, "already exists")                                       \
	X(ENAME, -6, "invalid or too long name")                               \
	X(ETABLE_FULL, -7, "table has no free entry")                          \
	X(ENO_SPACE, -8, "segment has no room left")                           \
	X(EBAD_FORMAT, -9, "not a zeroipc segment")                            \
	X(EVERSION, -10, "unsupported zeroipc format version")                 \
	X(ECORRUPT, -11, "segment contents are corrupt")                       \
	X(ESIZE_MISMATCH, -12, "element or structure size mismatch")           \
	X(ERANGE, -13, "index out of range")                                   \
	X(EEMPTY, -14, "empty")                                                \
	X(EFULL, -15, "full")                                                  \
	X(ETIMEOUT, -16, "timed out")                                          \
	X(ECLOSED, -17, "closed")                                              \
	X(EREADONLY, -18, "segment is mapped read-only")                       \
	X(EPERM, -19, "permission denied")                                     \
	X(ETOO_SMALL, -20, "size too small")                                   \
	X(EPROTOCOL, -21, "concurrency contract violated by another handle")   \
	X(ENOT_ALLOCATED, -22, "object is not allocated")                      \
	X(ECHANGED, -23, "value changed; compare-exchange did not happen")

/** Status codes.  Since 1.0. */
typedef enum zeroipc_status {
#define ZEROIPC__STATUS_ENUM(name, value, message) ZEROIPC_##name = value,
	ZEROIPC_STATUS_MAP(ZEROIPC__STATUS_ENUM)
#undef ZEROIPC__STATUS_ENUM
	ZEROIPC__STATUS_LAST = -23
} zeroipc_status;

/** Wait forever: pass as a timeout to blocking calls.  Since 1.0. */
#define ZEROIPC_WAIT_FOREVER (-1)

/**
 * Static description of a status code; never NULL, also for unknown codes
 * ("unknown zeroipc status").  Since 1.0.
 */
ZEROIPC_API const char *zeroipc_strerror(int status);

/**
 * Symbolic name of a status code without the prefix ("EEMPTY", "OK"), or
 * "UNKNOWN".  Never NULL; the string is static.  Since 1.0.
 */
ZEROIPC_API const char *zeroipc_status_name(int status);

/**
 * Detail message of the last failed call on this thread, for diagnostics
 * only (decide on the returned status, not on this text).  Never NULL ("" if
 * nothing failed); valid until the next libzeroipc call on the same thread.
 * Since 1.0.
 */
ZEROIPC_API const char *zeroipc_last_error(void);

/** Run-time library version: (major << 16) | (minor << 8) | patch.  Since 1.0. */
ZEROIPC_API uint32_t zeroipc_version(void);

/** Run-time library version as "x.y.z"; static.  Since 1.0. */
ZEROIPC_API const char *zeroipc_version_string(void);

/**
 * 1 if the loaded library is at least version major.minor.patch, else 0.
 * Since 1.0.
 */
ZEROIPC_API int zeroipc_version_at_least(unsigned major, unsigned minor,
					 unsigned patch);

/** Binary format version this library reads and writes (2).  Since 1.0. */
ZEROIPC_API uint32_t zeroipc_format_version(void);

/* Opaque handles.  Process-local: never store them in shared memory. */
typedef struct zeroipc_memory zeroipc_memory;
typedef struct zeroipc_array zeroipc_array;

#ifdef __cplusplus
}
#endif

#endif /* ZEROIPC_COMMON_H */
