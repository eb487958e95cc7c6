/* SPDX-License-Identifier: MIT */
/*
 * internal.h - handle bodies and helpers shared by the library's sources
 * (private, never installed).
 */
#ifndef ZEROIPC_INTERNAL_H
#define ZEROIPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "zeroipc.h"
#include "format.h"

/* Directory where Linux keeps POSIX shared-memory objects (glibc shm_open). */
#define ZEROIPC__SHM_DIR "/dev/shm"

struct zeroipc_memory {
	unsigned char *base;  /* mapping of the whole segment */
	uint64_t size;        /* bytes mapped == header memory_size */
	uint32_t max_entries; /* validated copy of the header field */
	int fd;               /* kept open: the table lock lives on it */
	bool readonly;
	char name[ZEROIPC_MEMORY_NAME_MAX + 1];
};

struct zeroipc_array {
	zeroipc_memory *mem;   /* borrowed; must outlive the array handle */
	unsigned char *data;   /* element 0 */
	uint64_t capacity;
	uint64_t elem_size;
};

/*
 * Errors: record a detail message for zeroipc_last_error() and return the
 * status, so a failure is one statement: return zeroipc__fail(...).
 */
int zeroipc__fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Forget the last detail (called on success paths that report status 0). */
void zeroipc__clear_error(void);
/* Map an errno from a failed system call to a status, with its detail. */
int zeroipc__fail_errno(int err, const char *what, const char *name);

/* Argument check: record which condition failed and return EINVAL. */
#define ZEROIPC__CHECK_ARG(cond)                                               \
	do {                                                                   \
		if (!(cond))                                                   \
			return zeroipc__fail(ZEROIPC_EINVAL,                   \
					     "%s: invalid argument: %s",       \
					     __func__, #cond);                 \
	} while (0)

static inline uint64_t zeroipc__align8(uint64_t n)
{
	return (n + (ZEROIPC_FMT_ALIGN - 1)) & ~(uint64_t)(ZEROIPC_FMT_ALIGN - 1);
}

/* a * b without wrap-around; false when it would overflow. */
static inline bool zeroipc__mul_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	return !__builtin_mul_overflow(a, b, out);
}

/* a + b without wrap-around; false when it would overflow. */
static inline bool zeroipc__add_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline struct zeroipc_fmt_table_header *
zeroipc__header(const zeroipc_memory *mem)
{
	return (struct zeroipc_fmt_table_header *)(void *)mem->base;
}

/* Check a structure name: non-NULL, 1..31 bytes.  Returns 0 or ENAME. */
int zeroipc__check_entry_name(const char *name);

/*
 * Find `name` and return its region, validated to lie inside the mapping.
 * Returns 0, ENAME, ENOT_FOUND or ECORRUPT.
 */
int zeroipc__table_lookup(uint64_t *offset_out, uint64_t *size_out,
			  const zeroipc_memory *mem, const char *name);

/*
 * Test-only crash points.  In a build with ZEROIPC_CRASH_POINTS, reaching a
 * point whose name equals the environment variable ZEROIPC_CRASH_AT makes the
 * process die (SIGKILL) or, if ZEROIPC_CRASH_ACTION=stop, stop (SIGSTOP) so a
 * test can inspect the segment and then kill it.  Elsewhere they cost nothing.
 */
#ifdef ZEROIPC_CRASH_POINTS
void zeroipc__crash_point(const char *point);
#define ZEROIPC__CRASH_POINT(point) zeroipc__crash_point(point)
#else
#define ZEROIPC__CRASH_POINT(point) ((void)0)
#endif

#endif /* ZEROIPC_INTERNAL_H */
