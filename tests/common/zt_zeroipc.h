/* SPDX-License-Identifier: MIT */
/*
 * zt_zeroipc.h - helpers for cmocka tests that link libzeroipc: status
 * assertions that print names and the library's detail message, segment
 * fixtures built only from the public API, raw access to a structure's
 * bytes, and hostile headers.
 *
 * Include after <cmocka.h> (which needs <stdarg.h>, <stddef.h>, <setjmp.h>).
 */
#ifndef ZT_ZEROIPC_H
#define ZT_ZEROIPC_H

#include <zeroipc.h>

#include "zt_test.h"

/* Size of the table region (header + entries) for max_entries entries. */
#define ZT_TABLE_END(max_entries) (32u + 48u * (uint64_t)(max_entries))

/*
 * Assert that a call returned a given status; on mismatch say both by name
 * and show zeroipc_last_error(), which is what a user would look at.
 */
#define assert_status(expr, expected)                                          \
	do {                                                                   \
		int zt_rc_ = (expr);                                           \
		int zt_ex_ = (expected);                                       \
		if (zt_rc_ != zt_ex_) {                                        \
			print_error("%s\n  returned %s (%d), expected %s "     \
				    "(%d)\n  last_error: \"%s\"\n",            \
				    #expr, zeroipc_status_name(zt_rc_),        \
				    zt_rc_, zeroipc_status_name(zt_ex_),       \
				    zt_ex_, zeroipc_last_error());             \
			fail();                                                \
		}                                                              \
	} while (0)

#define assert_ok(expr) assert_status((expr), ZEROIPC_OK)

/*
 * A failure must come with a detail message: the header promises one for
 * every failed call, and users have nothing else to go on.
 */
#define assert_fails_with(expr, expected)                                      \
	do {                                                                   \
		assert_status((expr), (expected));                             \
		assert_non_null(zeroipc_last_error());                         \
		assert_true(zeroipc_last_error()[0] != '\0');                  \
	} while (0)

/* Create a fresh segment named after the test; asserts success. */
static inline zeroipc_memory *zt_create(char *name, size_t name_len,
					const char *tag, uint64_t size,
					uint32_t max_entries)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;

	zt_name(name, name_len, tag);
	(void)shm_unlink(name);
	opts.max_entries = max_entries;
	assert_ok(zeroipc_memory_create(&mem, name, size, &opts));
	assert_non_null(mem);
	return mem;
}

/* Close the handle and unlink the segment. */
static inline void zt_destroy(zeroipc_memory *mem, const char *name)
{
	zeroipc_memory_close(mem);
	(void)zeroipc_memory_unlink(name);
}

/* Copy of the header and table bytes, to show a failed call changed nothing. */
struct zt_snapshot {
	size_t len;
	unsigned char *bytes;
};

static inline void zt_snapshot_take(struct zt_snapshot *s,
				    const zeroipc_memory *mem)
{
	s->len = (size_t)ZT_TABLE_END(zeroipc_table_capacity(mem));
	s->bytes = malloc(s->len);
	assert_non_null(s->bytes);
	memcpy(s->bytes, zeroipc_memory_base(mem), s->len);
}

/* Assert the table is byte-identical to the snapshot, then free it. */
static inline void zt_snapshot_check(struct zt_snapshot *s,
				     const zeroipc_memory *mem)
{
	const unsigned char *now = zeroipc_memory_base(mem);
	size_t i;

	for (i = 0; i < s->len; i++) {
		if (now[i] != s->bytes[i]) {
			print_error(
				"table byte %zu changed: 0x%02x -> 0x%02x\n", i,
				s->bytes[i], now[i]);
			free(s->bytes);
			fail();
		}
	}
	free(s->bytes);
	s->bytes = NULL;
}

/* Header fields read straight from the mapping (FORMAT-FACTS offsets). */
static inline uint32_t zt_hdr_u32(const zeroipc_memory *mem, size_t off)
{
	uint32_t v;

	memcpy(&v, (const unsigned char *)zeroipc_memory_base(mem) + off,
	       sizeof(v));
	return v;
}

static inline uint64_t zt_hdr_u64(const zeroipc_memory *mem, size_t off)
{
	uint64_t v;

	memcpy(&v, (const unsigned char *)zeroipc_memory_base(mem) + off,
	       sizeof(v));
	return v;
}

/*
 * First byte of structure `name` in this mapping, for tests that check or
 * damage its layout; its table entry in *e_out unless NULL.
 */
static inline unsigned char *zt_entry_base(zeroipc_memory *mem,
					   const char *name,
					   zeroipc_table_entry *e_out)
{
	zeroipc_table_entry e;

	assert_ok(zeroipc_table_find(&e, mem, name));
	if (e_out != NULL)
		*e_out = e;
	return (unsigned char *)zeroipc_memory_base(mem) + e.offset;
}

/* Where a structure's bytes are, with the geometry the test gave it. */
struct zt_raw {
	unsigned char *base; /* structure base */
	uint64_t offset;     /* from segment start */
	uint64_t size;       /* entry size */
	uint32_t capacity;
	uint32_t elem_size;
};

static inline struct zt_raw zt_raw_of(zeroipc_memory *mem, const char *name,
				      uint32_t capacity, uint32_t elem_size)
{
	zeroipc_table_entry e;
	struct zt_raw r;

	r.base = zt_entry_base(mem, name, &e);
	r.offset = e.offset;
	r.size = e.size;
	r.capacity = capacity;
	r.elem_size = elem_size;
	return r;
}

/*
 * The u32 word of slot `i` in a structure laid out as a 16-byte header,
 * the elements, then one word per slot from the next multiple of 8 (Queue
 * sequence words, Stack state words).  Volatile: other threads and
 * processes change it under the test's eyes.
 */
static inline volatile uint32_t *zt_raw_slot_word(const struct zt_raw *r,
						  uint32_t i)
{
	return (volatile uint32_t *)(void *)(r->base + 16 +
					     zt_align8((uint64_t)r->capacity *
						       r->elem_size)) +
	       i;
}

/*
 * Hostile headers: another process rewrote a header field.  A test says
 * how its family opens and validates the structure; zt_expect_hostile()
 * writes the field, expects the open to fail with `status` and the
 * validation with `validate_status` (0: not checked, for the sizes that
 * only an opener states), both with a detail message, and puts the old
 * bytes back.
 */
struct zt_hostile {
	zeroipc_memory *mem;
	const char *name;    /* the structure */
	unsigned char *base; /* its first byte */
	/* Open as the test's opener does and return the status; a failed
	 * open must leave its handle NULL (the callback asserts it). */
	int (*open)(zeroipc_memory *mem, const char *name);
	int (*validate)(const zeroipc_memory *mem, const char *name);
	const char *what; /* the case, for a failure message; may be NULL */
};

static inline void zt_expect_hostile(const struct zt_hostile *h,
				     uint64_t off, unsigned width,
				     uint64_t value, int status,
				     int validate_status)
{
	unsigned char saved[8];
	int rc;

	assert_true(width == 4 || width == 8);
	memcpy(saved, h->base + off, width);
	if (width == 8)
		zt_wr64(h->base, off, value);
	else
		zt_wr32(h->base, off, (uint32_t)value);
	rc = h->open(h->mem, h->name);
	if (rc != status)
		print_error("open, %s: the %u-byte field at +%llu = 0x%llx\n",
			    h->what != NULL ? h->what : "hostile header",
			    width, (unsigned long long)off,
			    (unsigned long long)value);
	assert_fails_with(rc, status);
	if (validate_status != 0) {
		rc = h->validate(h->mem, h->name);
		if (rc != validate_status)
			print_error("validate, %s: the %u-byte field at +%llu "
				    "= 0x%llx\n",
				    h->what != NULL ? h->what
						    : "hostile header",
				    width, (unsigned long long)off,
				    (unsigned long long)value);
		assert_fails_with(rc, validate_status);
	}
	memcpy(h->base + off, saved, width);
}

#define ZT_HDR_MAGIC 0
#define ZT_HDR_VERSION 4
#define ZT_HDR_ENTRY_COUNT 8
#define ZT_HDR_MAX_ENTRIES 12
#define ZT_HDR_MEMORY_SIZE 16
#define ZT_HDR_NEXT_OFFSET 24
#define ZT_ENTRY_BASE 32
#define ZT_ENTRY_SIZE 48
#define ZT_ENTRY_NAME 0
#define ZT_ENTRY_OFFSET 32
#define ZT_ENTRY_LEN 40

/* Offset in the segment of field `field` of table entry `i`. */
#define ZT_ENTRY_FIELD(i, field)                                               \
	((uint64_t)ZT_ENTRY_BASE + (uint64_t)ZT_ENTRY_SIZE * (i) + (field))

#endif /* ZT_ZEROIPC_H */
