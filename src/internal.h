/* SPDX-License-Identifier: MIT */
/*
 * internal.h - handle bodies and helpers shared by the library's sources
 * (private, never installed).
 */
#ifndef ZEROIPC_INTERNAL_H
#define ZEROIPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

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
/*
 * The same for an expected outcome on a hot path (full, empty, not found):
 * `fmt` is a literal with exactly one %s, for a structure name (at most
 * ZEROIPC_NAME_MAX bytes are kept).  The detail is formatted only when
 * zeroipc_last_error() asks for it: a polling caller would otherwise pay
 * more for the message than for the call.
 */
int zeroipc__fail_lazy(int status, const char *fmt, ...)
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

/*
 * Copy one element.  Inline with a case per common size, so that on the
 * per-message paths of Queue and Ring those sizes become a move or two
 * instead of a call to memcpy().
 */
static inline void zeroipc__copy_elem(void *dst, const void *src,
				      uint64_t size)
{
	switch (size) {
	case 4:
		memcpy(dst, src, 4);
		break;
	case 8:
		memcpy(dst, src, 8);
		break;
	case 16:
		memcpy(dst, src, 16);
		break;
	case 32:
		memcpy(dst, src, 32);
		break;
	case 64:
		memcpy(dst, src, 64);
		break;
	default:
		memcpy(dst, src, (size_t)size);
		break;
	}
}

/*
 * Ask for the cache line at `p` in a writable state (x86 PREFETCHW; the
 * compiler's write prefetch elsewhere).  Producers of Queue and Ring use it
 * for slots a consumer released: those lines were last written or read by
 * the consumer, so the first write to each would otherwise stall on
 * fetching it.  A hint only: it changes nothing a reader can see.
 */
static inline void zeroipc__prefetch_for_write(const void *p)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/*
 * Code that serves both directions of a structure (push and pop, write and
 * read) takes one element buffer, which a push only reads: this is the one
 * place the caller's const is dropped for it.
 */
static inline unsigned char *zeroipc__in_buf(const void *values)
{
	return (unsigned char *)(uintptr_t)values;
}

/*
 * Sections of a structure made of a header, `capacity` elements, then one
 * u32 word per slot (Queue: sequence words, Stack: state words), as offsets
 * from the structure base, and its entry size.
 */
struct zeroipc__slots_layout {
	uint64_t data;  /* element 0 */
	uint64_t words; /* the word of slot 0, 8-byte aligned */
	uint64_t total;
};

/* Fill *l; false if the structure would not fit in 2^64 bytes. */
static inline bool zeroipc__slots_layout_of(struct zeroipc__slots_layout *l,
					    uint64_t header_size,
					    uint64_t elem_size,
					    uint64_t capacity)
{
	uint64_t data_bytes, word_bytes;

	l->data = header_size;
	return zeroipc__mul_u64(&data_bytes, elem_size, capacity) &&
	       data_bytes <= UINT64_MAX - ZEROIPC_FMT_ALIGN &&
	       zeroipc__add_u64(&l->words, l->data,
				zeroipc__align8(data_bytes)) &&
	       zeroipc__mul_u64(&word_bytes, sizeof(uint32_t), capacity) &&
	       zeroipc__add_u64(&l->total, l->words, word_bytes);
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
 * zeroipc__table_lookup() for a structure whose entry starts with a
 * `header_size`-byte header: an entry too small to hold it is ECORRUPT, so
 * the caller may read the header at `offset_out`.  `what` names the kind of
 * structure ("queue") in the detail message.
 */
int zeroipc__table_lookup_header(uint64_t *offset_out, uint64_t *size_out,
				 const zeroipc_memory *mem, const char *what,
				 const char *name, uint64_t header_size);

/*
 * The ESIZE_MISMATCH of an open whose element size differs from the one
 * the structure was created with.
 */
int zeroipc__elem_size_mismatch(const char *what, const char *name,
				uint64_t stored, uint64_t wanted);

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
