/* SPDX-License-Identifier: MIT */
/*
 * inspect_kinds.c - what zeroipc-inspect makes of an entry's bytes.
 *
 * Format v2 stores a name, an offset and a size per entry, never a type.
 * A kind is therefore inferred: from the companion entry "<name>.wait" that
 * queues, stacks and rings keep (its size differs per family), else from
 * which families' header shapes fit the entry size and which validate()
 * accepts the bytes.  Every header field is untrusted: a field is read only
 * when the entry is large enough to hold it, and a data region is reported
 * only after the sizes the header implies were checked against the entry.
 */
#include <stdarg.h>
#include <string.h>

#include "atomics.h"
#include "format.h"
#include "inspect.h"

#define WAIT_SUFFIX ".wait"
/* Companion sizes: they tell the three families apart. */
#define WAIT_SIZE(n) ((n) * sizeof(struct zeroipc_fmt_eventcount))
#define QUEUE_WAIT_SIZE WAIT_SIZE(ZEROIPC_FMT_QUEUE_WAIT_EVENTCOUNTS)
#define STACK_WAIT_SIZE WAIT_SIZE(ZEROIPC_FMT_STACK_WAIT_EVENTCOUNTS)
#define RING_WAIT_SIZE WAIT_SIZE(ZEROIPC_FMT_RING_WAIT_EVENTCOUNTS)

static const char *const kind_names[INSPECT_KIND_COUNT] = {
	"unknown", "array", "queue", "stack", "ring",
	"map",     "set",   "pool",  "wait",
};

const char *inspect_kind_name(enum inspect_kind kind)
{
	if ((unsigned)kind >= INSPECT_KIND_COUNT)
		return "unknown";
	return kind_names[kind];
}

int inspect_kind_parse(const char *name)
{
	int k;

	for (k = INSPECT_ARRAY; k < INSPECT_KIND_COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return k;
	return -1;
}

const unsigned char *inspect_entry_bytes(const zeroipc_memory *mem,
					 const zeroipc_table_entry *e,
					 uint64_t off)
{
	/* The library checked offset + size against the mapping when it
	 * handed out the entry; callers keep off within size. */
	return (const unsigned char *)zeroipc_memory_base(mem) + e->offset +
	       off;
}

/*
 * Loads of header words.  Other processes may be changing them: relaxed
 * atomic loads give a torn-free snapshot of each word, and nothing here
 * orders them, because the tool only displays them.  Structure bases are
 * 8-byte aligned (the table guarantees it), so every field is aligned.
 */
static uint32_t ld32(const zeroipc_memory *mem, const zeroipc_table_entry *e,
		     uint64_t off)
{
	return zeroipc__load_relaxed_u32(
		(const uint32_t *)(const void *)inspect_entry_bytes(mem, e,
								    off));
}

static uint64_t ld64(const zeroipc_memory *mem, const zeroipc_table_entry *e,
		     uint64_t off)
{
	return zeroipc__load_relaxed_u64(
		(const uint64_t *)(const void *)inspect_entry_bytes(mem, e,
								    off));
}

static uint64_t align8(uint64_t n)
{
	return (n + 7u) & ~(uint64_t)7u;
}

static void add_u(struct inspect_decoded *d, const char *name, uint64_t v)
{
	if (d->nfields < INSPECT_MAX_FIELDS) {
		d->fields[d->nfields].name = name;
		d->fields[d->nfields].is_signed = 0;
		d->fields[d->nfields].u = v;
		d->nfields++;
	}
}

static void add_s(struct inspect_decoded *d, const char *name, int64_t v)
{
	if (d->nfields < INSPECT_MAX_FIELDS) {
		d->fields[d->nfields].name = name;
		d->fields[d->nfields].is_signed = 1;
		d->fields[d->nfields].s = v;
		d->nfields++;
	}
}

__attribute__((format(printf, 2, 3))) static void
bad_shape(struct inspect_decoded *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->problem, sizeof(d->problem), fmt, ap);
	va_end(ap);
	d->shape_ok = 0;
	d->data_len = 0;
}

static int too_small(struct inspect_decoded *d, const zeroipc_table_entry *e,
		     uint64_t header)
{
	if (e->size >= header)
		return 0;
	bad_shape(d, "entry of %llu bytes cannot hold the %llu-byte %s header",
		  (unsigned long long)e->size, (unsigned long long)header,
		  inspect_kind_name(d->kind));
	return 1;
}

static int is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static void decode_array(struct inspect_decoded *d, const zeroipc_memory *mem,
			 const zeroipc_table_entry *e)
{
	uint64_t cap, elem;

	if (too_small(d, e, 8))
		return;
	cap = ld64(mem, e, 0);
	add_u(d, "capacity", cap);
	if (cap == 0) {
		bad_shape(d, "capacity 0");
		return;
	}
	/* The element size is not stored: it is what the entry size
	 * implies, and only when the data divides evenly. */
	if ((e->size - 8) % cap != 0 || (e->size - 8) / cap == 0) {
		bad_shape(d, "%llu data bytes do not hold %llu equal elements",
			  (unsigned long long)(e->size - 8),
			  (unsigned long long)cap);
		return;
	}
	elem = (e->size - 8) / cap;
	add_u(d, "elem_size", elem);
	d->elem_size = elem;
	d->data_off = 8;
	d->data_len = e->size - 8;
	snprintf(d->summary, sizeof(d->summary), "capacity %llu, elem %llu",
		 (unsigned long long)cap, (unsigned long long)elem);
}

static void decode_queue(struct inspect_decoded *d, const zeroipc_memory *mem,
			 const zeroipc_table_entry *e)
{
	uint32_t head, tail, cap, elem;
	uint64_t want;

	if (too_small(d, e, sizeof(struct zeroipc_fmt_queue_header)))
		return;
	head = ld32(mem, e, 0);
	tail = ld32(mem, e, 4);
	cap = ld32(mem, e, 8);
	elem = ld32(mem, e, 12);
	add_u(d, "head", head);
	add_u(d, "tail", tail);
	add_u(d, "capacity", cap);
	add_u(d, "elem_size", elem);
	/* Positions wrap at 2^32; a lagging single-producer tail can make
	 * the difference negative for a moment. */
	add_s(d, "size", (int32_t)(tail - head));
	if (cap < 2 || cap > ZEROIPC_FMT_QUEUE_MAX_CAPACITY || !is_pow2(cap)) {
		bad_shape(d, "capacity %u is not a power of two in 2..2^30",
			  cap);
		return;
	}
	if (elem == 0) {
		bad_shape(d, "element size 0");
		return;
	}
	want = 16 + align8((uint64_t)cap * elem) + 4 * (uint64_t)cap;
	if (want != e->size) {
		bad_shape(d, "entry size %llu, header implies %llu",
			  (unsigned long long)e->size,
			  (unsigned long long)want);
		return;
	}
	d->elem_size = elem;
	d->data_off = 16;
	d->data_len = (uint64_t)cap * elem;
	snprintf(d->summary, sizeof(d->summary),
		 "capacity %u, elem %u, size %d", cap, elem,
		 (int)(int32_t)(tail - head));
}

static void decode_stack(struct inspect_decoded *d, const zeroipc_memory *mem,
			 const zeroipc_table_entry *e)
{
	int32_t top;
	uint32_t cap, elem;
	uint64_t want;

	if (too_small(d, e, sizeof(struct zeroipc_fmt_stack_header)))
		return;
	top = (int32_t)ld32(mem, e, 0);
	cap = ld32(mem, e, 4);
	elem = ld32(mem, e, 8);
	add_s(d, "top", top);
	add_u(d, "capacity", cap);
	add_u(d, "elem_size", elem);
	add_u(d, "reserved", ld32(mem, e, 12));
	add_s(d, "count", (int64_t)top + 1);
	if (cap == 0 || cap > 0x7FFFFFFFu) {
		bad_shape(d, "capacity %u is not in 1..2^31-1", cap);
		return;
	}
	if (elem == 0) {
		bad_shape(d, "element size 0");
		return;
	}
	want = 16 + align8((uint64_t)cap * elem) + 4 * (uint64_t)cap;
	if (want != e->size) {
		bad_shape(d, "entry size %llu, header implies %llu",
			  (unsigned long long)e->size,
			  (unsigned long long)want);
		return;
	}
	if (top < -1 || (int64_t)top >= (int64_t)cap) {
		bad_shape(d, "top %d outside -1..%u", (int)top, cap - 1);
		return;
	}
	d->elem_size = elem;
	d->data_off = 16;
	d->data_len = (uint64_t)cap * elem;
	snprintf(d->summary, sizeof(d->summary),
		 "capacity %u, elem %u, count %d", cap, elem, (int)top + 1);
}

static void decode_ring(struct inspect_decoded *d, const zeroipc_memory *mem,
			const zeroipc_table_entry *e)
{
	uint64_t w, r;
	uint32_t cap, elem;

	if (too_small(d, e, sizeof(struct zeroipc_fmt_ring_header)))
		return;
	w = ld64(mem, e, 0);
	r = ld64(mem, e, 8);
	cap = ld32(mem, e, 16);
	elem = ld32(mem, e, 20);
	add_u(d, "write_pos", w);
	add_u(d, "read_pos", r);
	add_u(d, "capacity", cap);
	add_u(d, "elem_size", elem);
	add_u(d, "used_bytes", w - r);
	if (elem == 0 || cap == 0 || cap % elem != 0) {
		bad_shape(d,
			  "capacity %u bytes is not a non-zero multiple of "
			  "element size %u",
			  cap, elem);
		return;
	}
	if (24 + (uint64_t)cap != e->size) {
		bad_shape(d, "entry size %llu, header implies %llu",
			  (unsigned long long)e->size,
			  (unsigned long long)(24 + (uint64_t)cap));
		return;
	}
	add_u(d, "capacity_elems", cap / elem);
	d->elem_size = elem;
	d->data_off = 24;
	d->data_len = cap;
	snprintf(d->summary, sizeof(d->summary),
		 "capacity %u bytes, elem %u, used %llu bytes", cap, elem,
		 (unsigned long long)(w - r));
}

/* Map and Set share the layout; a Set is the table with value_size 0. */
static void decode_map(struct inspect_decoded *d, const zeroipc_memory *mem,
		       const zeroipc_table_entry *e)
{
	uint32_t size, cap, key, value, slot;
	uint64_t want_slot;

	if (too_small(d, e, sizeof(struct zeroipc_fmt_map_header)))
		return;
	size = ld32(mem, e, 0);
	cap = ld32(mem, e, 4);
	key = ld32(mem, e, 8);
	value = ld32(mem, e, 12);
	slot = ld32(mem, e, 16);
	add_u(d, "size", size);
	add_u(d, "capacity", cap);
	add_u(d, "key_size", key);
	if (d->kind == INSPECT_MAP)
		add_u(d, "value_size", value);
	add_u(d, "slot_size", slot);
	if (!is_pow2(cap) || cap > ZEROIPC_FMT_MAP_MAX_CAPACITY) {
		bad_shape(d, "capacity %u is not a power of two in 1..2^31",
			  cap);
		return;
	}
	if (key == 0) {
		bad_shape(d, "key size 0");
		return;
	}
	if (d->kind == INSPECT_SET && value != 0) {
		bad_shape(d, "value size %u: a map, not a set", value);
		return;
	}
	want_slot = 8 + align8(key) + align8(value);
	if (want_slot != slot) {
		bad_shape(d, "slot size %u, key and value sizes imply %llu",
			  slot, (unsigned long long)want_slot);
		return;
	}
	/* cap <= 2^31 and slot < 2^32: the product fits 64 bits. */
	if (32 + (uint64_t)cap * slot != e->size) {
		bad_shape(d, "entry size %llu, header implies %llu",
			  (unsigned long long)e->size,
			  (unsigned long long)(32 + (uint64_t)cap * slot));
		return;
	}
	if (size > cap) {
		bad_shape(d, "size %u above capacity %u", size, cap);
		return;
	}
	d->elem_size = slot;
	d->data_off = 32;
	d->data_len = (uint64_t)cap * slot;
	if (d->kind == INSPECT_MAP)
		snprintf(d->summary, sizeof(d->summary),
			 "capacity %u, key %u, value %u, size %u", cap, key,
			 value, size);
	else
		snprintf(d->summary, sizeof(d->summary),
			 "capacity %u, key %u, size %u", cap, key, size);
}

static void decode_pool(struct inspect_decoded *d, const zeroipc_memory *mem,
			const zeroipc_table_entry *e)
{
	uint32_t cap, elem, in_use, index;
	uint64_t head, lists, want;

	if (too_small(d, e, sizeof(struct zeroipc_fmt_pool_header)))
		return;
	cap = ld32(mem, e, 0);
	elem = ld32(mem, e, 4);
	head = ld64(mem, e, 8);
	in_use = ld32(mem, e, 16);
	index = (uint32_t)head;
	add_u(d, "capacity", cap);
	add_u(d, "elem_size", elem);
	add_u(d, "in_use", in_use);
	add_u(d, "head_index", index);
	add_u(d, "head_tag", head >> 32);
	if (cap == 0 || cap > ZEROIPC_FMT_POOL_MAX_CAPACITY) {
		bad_shape(d, "capacity %u is not in 1..0xFFFFFFFE", cap);
		return;
	}
	if (elem == 0) {
		bad_shape(d, "element size 0");
		return;
	}
	lists = 2 * align8(4 * (uint64_t)cap);
	want = 32 + lists + (uint64_t)cap * elem;
	if (want != e->size) {
		bad_shape(d, "entry size %llu, header implies %llu",
			  (unsigned long long)e->size,
			  (unsigned long long)want);
		return;
	}
	if (index != ZEROIPC_FMT_POOL_NIL && index >= cap) {
		bad_shape(d, "free-list head %u outside the pool", index);
		return;
	}
	if (in_use > cap) {
		bad_shape(d, "in_use %u above capacity %u", in_use, cap);
		return;
	}
	d->elem_size = elem;
	d->data_off = 32 + lists;
	d->data_len = (uint64_t)cap * elem;
	snprintf(d->summary, sizeof(d->summary),
		 "capacity %u, elem %u, in use %u", cap, elem, in_use);
}

static void decode_wait(struct inspect_decoded *d, const zeroipc_memory *mem,
			const zeroipc_table_entry *e)
{
	static const char *const names[][2] = {
		{"ec0_waiters", "ec0_seq"},
		{"ec1_waiters", "ec1_seq"},
		{"ec2_waiters", "ec2_seq"},
		{"ec3_waiters", "ec3_seq"},
	};
	uint64_t n, i;

	if (e->size == 0 || e->size % 8 != 0) {
		bad_shape(d, "size %llu is not a whole number of eventcounts",
			  (unsigned long long)e->size);
		return;
	}
	n = e->size / 8;
	/* A ring's companion reserves 14 of its 16; show the used ones. */
	for (i = 0; i < n && i < 4; i++) {
		add_u(d, names[i][0], ld32(mem, e, 8 * i));
		add_u(d, names[i][1], ld32(mem, e, 8 * i + 4));
	}
	d->data_off = 0;
	d->data_len = e->size;
	snprintf(d->summary, sizeof(d->summary), "%llu eventcounts",
		 (unsigned long long)n);
}

void inspect_decode(struct inspect_decoded *dec, const zeroipc_memory *mem,
		    const zeroipc_table_entry *e, enum inspect_kind kind)
{
	memset(dec, 0, sizeof(*dec));
	dec->kind = kind;
	dec->shape_ok = 1;
	switch (kind) {
	case INSPECT_ARRAY:
		decode_array(dec, mem, e);
		break;
	case INSPECT_QUEUE:
		decode_queue(dec, mem, e);
		break;
	case INSPECT_STACK:
		decode_stack(dec, mem, e);
		break;
	case INSPECT_RING:
		decode_ring(dec, mem, e);
		break;
	case INSPECT_MAP:
	case INSPECT_SET:
		decode_map(dec, mem, e);
		break;
	case INSPECT_POOL:
		decode_pool(dec, mem, e);
		break;
	case INSPECT_WAIT:
		decode_wait(dec, mem, e);
		break;
	default:
		/* Unknown bytes: the whole entry is the data. */
		dec->data_off = 0;
		dec->data_len = e->size;
		break;
	}
}

void inspect_validate(struct inspect_verdict *v, const zeroipc_memory *mem,
		      const zeroipc_table_entry *e, enum inspect_kind kind)
{
	struct inspect_decoded dec;
	int rc;

	memset(v, 0, sizeof(*v));
	switch (kind) {
	case INSPECT_QUEUE:
		rc = zeroipc_queue_validate(mem, e->name);
		break;
	case INSPECT_STACK:
		rc = zeroipc_stack_validate(mem, e->name);
		break;
	case INSPECT_RING:
		rc = zeroipc_ring_validate(mem, e->name);
		break;
	case INSPECT_MAP:
		rc = zeroipc_map_validate(mem, e->name);
		break;
	case INSPECT_SET:
		rc = zeroipc_set_validate(mem, e->name);
		break;
	case INSPECT_POOL:
		rc = zeroipc_pool_validate(mem, e->name);
		break;
	default:
		/* Arrays and companions have no validate(): an array has no
		 * state besides its elements, so its shape is all there is. */
		inspect_decode(&dec, mem, e, kind);
		if (!dec.shape_ok) {
			v->status = ZEROIPC_ECORRUPT;
			snprintf(v->message, sizeof(v->message), "%s",
				 dec.problem);
		}
		return;
	}
	v->status = rc;
	if (rc != ZEROIPC_OK)
		snprintf(v->message, sizeof(v->message), "%s",
			 zeroipc_last_error());
}

static int popcount(unsigned v)
{
	int n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

static enum inspect_kind lowest_kind(unsigned mask)
{
	int k;

	for (k = 0; k < INSPECT_KIND_COUNT; k++)
		if (mask & (1u << k))
			return (enum inspect_kind)k;
	return INSPECT_UNKNOWN;
}

/* The kind "<name>.wait" declares for `name`, or INSPECT_UNKNOWN. */
static enum inspect_kind kind_by_companion(const zeroipc_memory *mem,
					   const char *name)
{
	char wait[ZEROIPC_NAME_MAX + 1];
	zeroipc_table_entry c;
	size_t len = strlen(name);

	if (len + sizeof(WAIT_SUFFIX) > sizeof(wait))
		return INSPECT_UNKNOWN;
	memcpy(wait, name, len);
	memcpy(wait + len, WAIT_SUFFIX, sizeof(WAIT_SUFFIX));
	if (zeroipc_table_find(&c, mem, wait) != ZEROIPC_OK)
		return INSPECT_UNKNOWN;
	switch (c.size) {
	case QUEUE_WAIT_SIZE:
		return INSPECT_QUEUE;
	case STACK_WAIT_SIZE:
		return INSPECT_STACK;
	case RING_WAIT_SIZE:
		return INSPECT_RING;
	default:
		return INSPECT_UNKNOWN;
	}
}

/* If `name` is "<x>.wait", x into owner and 1. */
static int wait_owner(char *owner, const char *name)
{
	size_t len = strlen(name), slen = sizeof(WAIT_SUFFIX) - 1;

	if (len <= slen || strcmp(name + len - slen, WAIT_SUFFIX) != 0)
		return 0;
	memcpy(owner, name, len - slen);
	owner[len - slen] = '\0';
	return 1;
}

static void settle(struct inspect_ident *id, const zeroipc_memory *mem,
		   const zeroipc_table_entry *e, enum inspect_kind kind)
{
	id->kind = kind;
	inspect_decode(&id->dec, mem, e, kind);
	inspect_validate(&id->verdict, mem, e, kind);
}

void inspect_identify(struct inspect_ident *id, const zeroipc_memory *mem,
		      const zeroipc_table_entry *e, int forced)
{
	struct inspect_decoded dec;
	struct inspect_verdict verdict;
	zeroipc_table_entry owner;
	enum inspect_kind k;
	int has_owner;

	memset(id, 0, sizeof(*id));
	has_owner = wait_owner(id->owner, e->name);
	if (forced >= 0) {
		settle(id, mem, e, (enum inspect_kind)forced);
		return;
	}

	/* A companion names the family even when the header is damaged, so
	 * a corrupt queue is reported as a corrupt queue, not as "unknown". */
	k = kind_by_companion(mem, e->name);
	if (k != INSPECT_UNKNOWN) {
		id->by_companion = 1;
		settle(id, mem, e, k);
		if (id->dec.shape_ok)
			id->shape_mask = 1u << k;
		if (id->verdict.status == ZEROIPC_OK)
			id->valid_mask = 1u << k;
		return;
	}
	if (has_owner &&
	    zeroipc_table_find(&owner, mem, id->owner) == ZEROIPC_OK &&
	    kind_by_companion(mem, id->owner) != INSPECT_UNKNOWN) {
		settle(id, mem, e, INSPECT_WAIT);
		return;
	}

	for (k = INSPECT_ARRAY; k <= INSPECT_POOL; k++) {
		inspect_decode(&dec, mem, e, k);
		if (!dec.shape_ok)
			continue;
		/* Guessing only: a stack's reserved word is 0 (opening does
		 * not check it, validate does).  Without this, other small
		 * headers read as stacks by coincidence: a pool of 4 x 16
		 * bytes fits the stack shape too. */
		if (k == INSPECT_STACK && ld32(mem, e, 12) != 0)
			continue;
		id->shape_mask |= 1u << k;
		inspect_validate(&verdict, mem, e, k);
		if (verdict.status == ZEROIPC_OK)
			id->valid_mask |= 1u << k;
	}
	/* A map with value size 0 is a set (SPECIFICATION.md 12). */
	if (id->shape_mask & (1u << INSPECT_SET)) {
		id->shape_mask &= ~(1u << INSPECT_MAP);
		id->valid_mask &= ~(1u << INSPECT_MAP);
	}

	if (popcount(id->valid_mask) == 1) {
		settle(id, mem, e, lowest_kind(id->valid_mask));
	} else if (popcount(id->valid_mask) > 1) {
		id->ambiguous = 1;
	} else if (popcount(id->shape_mask) == 1) {
		settle(id, mem, e, lowest_kind(id->shape_mask));
	} else if (popcount(id->shape_mask) > 1) {
		id->ambiguous = 1;
	} else if (has_owner && e->size != 0 && e->size % 8 == 0) {
		/* A companion whose structure is missing: its creator died
		 * between adding the two entries. */
		settle(id, mem, e, INSPECT_WAIT);
	}
}

void inspect_describe(char *buf, size_t len, const struct inspect_ident *id,
		      const zeroipc_memory *mem, const zeroipc_table_entry *e)
{
	struct inspect_decoded dec;
	unsigned mask;
	size_t used;
	int k;

	if (id->ambiguous) {
		mask = id->valid_mask ? id->valid_mask : id->shape_mask;
		used = (size_t)snprintf(buf, len, "ambiguous:");
		for (k = INSPECT_ARRAY; k <= INSPECT_POOL && used < len; k++) {
			if (!(mask & (1u << k)))
				continue;
			inspect_decode(&dec, mem, e, (enum inspect_kind)k);
			used += (size_t)snprintf(
				buf + used, len - used, " %s (%s)",
				inspect_kind_name(dec.kind), dec.summary);
		}
		return;
	}
	switch (id->kind) {
	case INSPECT_UNKNOWN:
		snprintf(buf, len, "unknown");
		return;
	case INSPECT_WAIT: {
		zeroipc_table_entry owner;

		if (zeroipc_table_find(&owner, mem, id->owner) == ZEROIPC_OK)
			snprintf(buf, len, "wait companion of %s (%s)",
				 id->owner, id->dec.summary);
		else
			snprintf(buf, len,
				 "wait companion of %s (%s; %s missing)",
				 id->owner, id->dec.summary, id->owner);
		return;
	}
	default:
		break;
	}
	if (id->verdict.status == ZEROIPC_OK)
		snprintf(buf, len, "%s (%s)", inspect_kind_name(id->kind),
			 id->dec.summary);
	else if (id->dec.shape_ok)
		snprintf(buf, len, "%s (%s) CORRUPT: %s",
			 inspect_kind_name(id->kind), id->dec.summary,
			 id->verdict.message);
	else
		snprintf(buf, len, "%s? CORRUPT: %s",
			 inspect_kind_name(id->kind), id->verdict.message);
}
