/* SPDX-License-Identifier: MIT */
/*
 * hashtable.h - the open-addressing hash table behind Map and Set
 * (private).
 *
 * One implementation serves both families: a Set is the table with
 * value_size 0.  The on-segment layout is struct zeroipc_fmt_map_header and
 * the slot format in format.h; the protocol is specified in
 * SPECIFICATION.md, "Map", and summarised at the top of hashtable.c.
 */
#ifndef ZEROIPC_HASHTABLE_H
#define ZEROIPC_HASHTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Which public family a table handle belongs to: names in messages and
 * crash points ("map.insert.claimed", "set.insert.claimed"). */
enum zeroipc__htab_kind { ZEROIPC__HTAB_MAP = 0, ZEROIPC__HTAB_SET = 1 };

struct zeroipc__htab {
	zeroipc_memory *mem;   /* borrowed; must outlive the handle */
	struct zeroipc_fmt_map_header *hdr;
	unsigned char *slots;  /* slot 0 */
	uint64_t capacity;     /* validated: a power of two */
	uint64_t mask;         /* capacity - 1 */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t slot_size;    /* 8 + align8(key_size) + align8(value_size) */
	uint32_t value_offset; /* 8 + align8(key_size) */
	uint64_t timeout_ns;   /* int64_t bits; relaxed atomic: set_timeout */
	enum zeroipc__htab_kind kind;
	char name[ZEROIPC_NAME_MAX + 1];
};

/* FNV-1a 64 of len bytes (SPECIFICATION.md, "Map", hash). */
uint64_t zeroipc__htab_hash(const void *key, size_t len);

/* Create a table: sizes checked, capacity rounded up to a power of two. */
int zeroipc__htab_create(struct zeroipc__htab *t, zeroipc_memory *mem,
			 const char *name, uint64_t key_size,
			 uint64_t value_size, uint64_t capacity,
			 enum zeroipc__htab_kind kind);

/* Open and validate an existing table for the caller's sizes. */
int zeroipc__htab_open(struct zeroipc__htab *t, zeroipc_memory *mem,
		       const char *name, uint64_t key_size, uint64_t value_size,
		       enum zeroipc__htab_kind kind);

/*
 * What zeroipc_map_* and zeroipc_set_* create and open share: allocate a
 * zeroed handle of `handle_size` bytes whose first member is the table,
 * then create (`create`) or open the table in it.  Returns 0 with the
 * handle in *out, or a status of zeroipc__htab_create() / _open() (the
 * handle is then freed).
 */
int zeroipc__htab_new(void **out, size_t handle_size, zeroipc_memory *mem,
		      const char *name, uint64_t key_size,
		      uint64_t value_size, uint64_t capacity,
		      enum zeroipc__htab_kind kind, bool create);

/* Insert key/value; with `replace`, rewrite the value of a present key
 * instead of failing with EEXISTS. */
int zeroipc__htab_put(struct zeroipc__htab *t, const void *key,
		      const void *value, bool replace);

/* 0 and the value copied into value_out (NULL: presence only), ENOT_FOUND
 * or ETIMEOUT. */
int zeroipc__htab_find(void *value_out, const struct zeroipc__htab *t,
		       const void *key);

/* 1 if `key` is present, 0 if not (no error recorded), or a status. */
int zeroipc__htab_contains(const struct zeroipc__htab *t, const void *key);

int zeroipc__htab_erase(struct zeroipc__htab *t, const void *key);

int zeroipc__htab_next(void *key_out, void *value_out,
		       const struct zeroipc__htab *t, uint64_t *cursor);

uint64_t zeroipc__htab_size(const struct zeroipc__htab *t);

/* Check table `name` at rest (zeroipc_map_validate()): its header as open
 * checks it, then every slot.  With ZEROIPC__HTAB_SET, a table that has
 * values is ESIZE_MISMATCH.  Clears the error detail on success. */
int zeroipc__htab_validate(const zeroipc_memory *mem, const char *name,
			   enum zeroipc__htab_kind kind);

#endif /* ZEROIPC_HASHTABLE_H */
