/* SPDX-License-Identifier: MIT */
/*
 * inspect.h - the parts of zeroipc-inspect shared between its files:
 * structure identification and decoding (inspect_kinds.c) and output
 * helpers (inspect_out.c).  Private to the tool.
 */
#ifndef ZEROIPC_INSPECT_H
#define ZEROIPC_INSPECT_H

#include <stdint.h>
#include <stdio.h>

#include <zeroipc.h>

/* Exit statuses, documented in docs/zeroipc-inspect.md. */
#define INSPECT_EXIT_OK 0
#define INSPECT_EXIT_RUNTIME 1
#define INSPECT_EXIT_USAGE 2

/*
 * What an entry holds.  Format v2 stores no type, so a kind is a reading of
 * the bytes (or of a companion entry), never a fact.
 */
enum inspect_kind {
	INSPECT_UNKNOWN,
	INSPECT_ARRAY,
	INSPECT_QUEUE,
	INSPECT_STACK,
	INSPECT_RING,
	INSPECT_MAP,
	INSPECT_SET,
	INSPECT_POOL,
	INSPECT_WAIT, /* "<x>.wait": the eventcounts of structure x */
	INSPECT_KIND_COUNT
};

#define INSPECT_MAX_FIELDS 12

/* One decoded header field, for text and JSON output alike. */
struct inspect_field {
	const char *name;
	int is_signed;
	uint64_t u;
	int64_t s;
};

/*
 * An entry's header decoded under one kind.  Every number here was read
 * from the segment once; data_off/data_len (relative to the entry's start)
 * were checked against the entry size before being set.
 */
struct inspect_decoded {
	enum inspect_kind kind;
	int shape_ok;      /* header fields fit the entry size */
	char problem[160]; /* why the shape does not fit, when !shape_ok */
	struct inspect_field fields[INSPECT_MAX_FIELDS];
	unsigned nfields;
	char summary[160];  /* "capacity 8, elem 8, size 3" */
	uint64_t data_off;  /* element bytes, relative to the entry */
	uint64_t data_len;  /* 0 when the shape does not fit */
	uint64_t elem_size; /* 0 when unknown */
};

/* Verdict of the library's validate() for one kind. */
struct inspect_verdict {
	int status;        /* 0, ZEROIPC_ECORRUPT, ... */
	char message[256]; /* zeroipc_last_error() at the time; "" when ok */
};

/* The identification of one entry. */
struct inspect_ident {
	enum inspect_kind kind; /* chosen kind; UNKNOWN if none or ambiguous */
	int ambiguous;          /* several kinds fit the bytes */
	int by_companion;       /* kind taken from "<name>.wait" */
	unsigned shape_mask;    /* 1 << kind for each kind whose shape fits */
	unsigned valid_mask;    /* ... and whose validate() accepts it */
	char owner[ZEROIPC_NAME_MAX + 1]; /* INSPECT_WAIT: the structure */
	struct inspect_decoded dec;       /* under `kind`, if not UNKNOWN */
	struct inspect_verdict verdict;   /* under `kind`, if not UNKNOWN */
};

/* "queue", "array", ... ("unknown" for INSPECT_UNKNOWN). */
const char *inspect_kind_name(enum inspect_kind kind);

/* Parse a kind name as printed by inspect_kind_name(); -1 if none. */
int inspect_kind_parse(const char *name);

/*
 * Decode entry `e` of `mem` as `kind`.  Reads only inside the entry; a
 * field that does not fit is reported in dec->problem, never read past.
 */
void inspect_decode(struct inspect_decoded *dec, const zeroipc_memory *mem,
		    const zeroipc_table_entry *e, enum inspect_kind kind);

/* Run the library's validate() for `kind` on entry `e`. */
void inspect_validate(struct inspect_verdict *v, const zeroipc_memory *mem,
		      const zeroipc_table_entry *e, enum inspect_kind kind);

/*
 * Identify entry `e`: first by companion ("<name>.wait" of the size a
 * queue, stack or ring keeps), then by every kind's header shape and
 * validate().  `forced` >= 0 skips the guessing and decodes as that kind.
 */
void inspect_identify(struct inspect_ident *id, const zeroipc_memory *mem,
		      const zeroipc_table_entry *e, int forced);

/* One-line description for tables: "queue (capacity 8, elem 8, size 3)". */
void inspect_describe(char *buf, size_t len, const struct inspect_ident *id,
		      const zeroipc_memory *mem, const zeroipc_table_entry *e);

/* Address of byte `off` of entry `e` in this process. */
const unsigned char *inspect_entry_bytes(const zeroipc_memory *mem,
					 const zeroipc_table_entry *e,
					 uint64_t off);

/* Output helpers (inspect_out.c). */

/*
 * Classic hexdump of `len` bytes at `p`: offset (labelled from `label`),
 * 16 bytes in hex, the same as ASCII.  Runs of identical lines print as "*".
 */
void inspect_hexdump(FILE *out, const unsigned char *p, uint64_t len,
		     uint64_t label);

/* `s` as a JSON string, quotes included, every byte escaped as needed. */
void inspect_json_string(FILE *out, const char *s);

/* `s` for a terminal: control bytes and non-ASCII as \xNN. */
void inspect_print_safe(FILE *out, const char *s);

/* `len` bytes as lowercase hex without separators (for JSON). */
void inspect_hex_string(FILE *out, const unsigned char *p, uint64_t len);

#endif /* ZEROIPC_INSPECT_H */
