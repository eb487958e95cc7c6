/* SPDX-License-Identifier: MIT */
/*
 * format.h - the on-segment layouts of zeroipc format v2 (private).
 *
 * The single source of truth for the binary format: fixed-width fields and
 * integer constants only, no logic.  format_check.c asserts every offset and
 * size here against the numbers in SPECIFICATION.md.  All integers are host
 * byte order.  Every structure's sections start 8-byte aligned relative to
 * the structure base, which the table keeps 8-byte aligned in the segment.
 */
#ifndef ZEROIPC_FORMAT_H
#define ZEROIPC_FORMAT_H

#include <stdint.h>

#define ZEROIPC_FMT_MAGIC 0x5A49504Du /* "ZIPM" read as a little-endian u32 */
#define ZEROIPC_FMT_VERSION 2u
#define ZEROIPC_FMT_ALIGN 8u
#define ZEROIPC_FMT_NAME_SIZE 32u /* NUL-terminated, so 31 usable bytes */

/* Segment offset 0. */
struct zeroipc_fmt_table_header {
	uint32_t magic;        /* ZEROIPC_FMT_MAGIC */
	uint32_t version;      /* ZEROIPC_FMT_VERSION */
	uint32_t entry_count;  /* published entries; only ever grows */
	uint32_t max_entries;  /* entries that follow the header */
	uint64_t memory_size;  /* bytes in the segment */
	uint64_t next_offset;  /* bump pointer: first unallocated byte */
};

/* max_entries of these follow the header, at offset 32. */
struct zeroipc_fmt_table_entry {
	char name[ZEROIPC_FMT_NAME_SIZE];
	uint64_t offset; /* from segment start, 8-byte aligned */
	uint64_t size;   /* bytes requested, not rounded */
};

/*
 * Eventcount (SPECIFICATION.md, "Eventcount"): the words a blocking call
 * sleeps on.  Structures defined by libzeroipc embed them in their headers;
 * those whose format v2 layout has no room keep them in a companion entry.
 */
struct zeroipc_fmt_eventcount {
	uint32_t waiters; /* announced sleepers; diagnostics only */
	uint32_t seq;     /* futex word: notification count << 1 | ARMED */
};

/*
 * Companion entries "<name>.wait" (SPECIFICATION.md, "Companion entries"):
 * how many eventcounts each family keeps there; the entry is that many
 * times sizeof(struct zeroipc_fmt_eventcount) bytes.
 */
#define ZEROIPC_FMT_QUEUE_WAIT_EVENTCOUNTS 3
#define ZEROIPC_FMT_STACK_WAIT_EVENTCOUNTS 2
#define ZEROIPC_FMT_RING_WAIT_EVENTCOUNTS 16

/* Array: the header, then capacity * elem_size bytes of elements. */
struct zeroipc_fmt_array_header {
	uint64_t capacity;
};

/*
 * Stack (format v2, shared with the other zeroipc implementations): this
 * header, then capacity * elem_size bytes of elements, then, at
 * 16 + align8(capacity * elem_size), one u32 state word per slot.
 */
struct zeroipc_fmt_stack_header {
	int32_t top;       /* index of the top element; -1 when empty */
	uint32_t capacity; /* slots; 1..INT32_MAX */
	uint32_t elem_size;
	uint32_t reserved; /* 0 */
};

/* Slot states: a slot cycles EMPTY -> WRITING -> READY -> READING -> EMPTY. */
#define ZEROIPC_FMT_STACK_EMPTY 0u
#define ZEROIPC_FMT_STACK_WRITING 1u
#define ZEROIPC_FMT_STACK_READY 2u
#define ZEROIPC_FMT_STACK_READING 3u

/*
 * Pool (defined by libzeroipc; SPECIFICATION.md, "Pool"): this header, then
 * at 32 the u32 next[capacity] free-list links, then at
 * 32 + align8(4 * capacity) the u32 state[capacity] words, then at
 * 32 + 2 * align8(4 * capacity) capacity * elem_size bytes of objects.
 * The entry size is exactly the end of the objects.
 */
struct zeroipc_fmt_pool_header {
	uint32_t capacity;  /* objects; 1..ZEROIPC_FMT_POOL_MAX_CAPACITY */
	uint32_t elem_size; /* bytes per object; > 0 */
	uint64_t head;      /* free-list head: tag << 32 | index */
	uint32_t in_use;    /* objects counted as allocated */
	uint32_t reserved;  /* 0 */
	uint32_t waiters;   /* eventcount "an object was freed": sleepers */
	uint32_t seq;       /* eventcount: bumped by a free that saw sleepers */
};

/* Index meaning "no object": the end of the free list, an empty head. */
#define ZEROIPC_FMT_POOL_NIL 0xFFFFFFFFu
#define ZEROIPC_FMT_POOL_MAX_CAPACITY 0xFFFFFFFEu
/* Object states. */
#define ZEROIPC_FMT_POOL_FREE 0u
#define ZEROIPC_FMT_POOL_ALLOCATED 1u

/*
 * Queue (format v2, shared with the other zeroipc implementations; a
 * bounded multi-producer multi-consumer queue after D. Vyukov): this header,
 * then capacity * elem_size bytes of slots, then, at
 * 16 + align8(capacity * elem_size), the u32 seq[capacity] words, seq[i]
 * starting at i.  The entry size is exactly the end of seq.  head and tail
 * are free-running positions that wrap at 2^32; slot = position &
 * (capacity - 1), which is why capacity is a power of two.
 */
struct zeroipc_fmt_queue_header {
	uint32_t head;      /* next position to pop */
	uint32_t tail;      /* next position to push */
	uint32_t capacity;  /* slots; a power of two, 1..2^30 */
	uint32_t elem_size; /* bytes per slot; > 0 */
};

/*
 * Largest capacity.  Positions are compared by signed 32-bit difference, and
 * a slot's sequence may run up to capacity ahead of a position; 2^30 keeps
 * every such difference clear of the sign bit.
 */
#define ZEROIPC_FMT_QUEUE_MAX_CAPACITY 0x40000000u

/*
 * Ring (format v2, shared with the other zeroipc implementations; single
 * producer, single consumer): this header, then capacity bytes of buffer.
 * The entry size is exactly 24 + capacity.  write_pos and read_pos count the
 * bytes ever written and read; they never wrap in practice (2^64 bytes) and
 * an element at position p sits at buffer byte p % capacity.  capacity is a
 * multiple of elem_size and positions advance in whole elements, so an
 * element never straddles the end of the buffer.
 */
struct zeroipc_fmt_ring_header {
	uint64_t write_pos; /* producer's: bytes ever written */
	uint64_t read_pos;  /* consumer's: bytes ever read */
	uint32_t capacity;  /* buffer bytes; a multiple of elem_size, > 0 */
	uint32_t elem_size; /* bytes per element; > 0 */
};

/*
 * Map and Set (defined by libzeroipc; SPECIFICATION.md, "Map"): an
 * open-addressing hash table with fixed key and value sizes.  This header,
 * then at 32 capacity slots of slot_size bytes each.  A slot is a u64 ctl
 * word, the key at 8 and the value at 8 + align8(key_size); a Set is the same
 * table with value_size 0.  The entry size is exactly
 * 32 + capacity * slot_size.
 */
struct zeroipc_fmt_map_header {
	uint32_t size;       /* entries counted as present */
	uint32_t capacity;   /* slots; a power of two, 1..2^31 */
	uint32_t key_size;   /* bytes per key; > 0 */
	uint32_t value_size; /* bytes per value; 0 for a Set */
	uint32_t slot_size;  /* 8 + align8(key_size) + align8(value_size) */
	uint32_t reserved;   /* 0 */
	uint32_t waiters;    /* eventcount "a value write finished": sleepers */
	uint32_t seq;        /* eventcount: bumped by a writer that saw sleepers */
};

/* Slot ctl word: generation << 3 | state; every transition bumps the
 * generation, so a reader that sees the same word twice saw no change. */
#define ZEROIPC_FMT_MAP_STATE_MASK 7u
#define ZEROIPC_FMT_MAP_GEN_SHIFT 3u
#define ZEROIPC_FMT_MAP_EMPTY 0u     /* never used; ends every probe chain */
#define ZEROIPC_FMT_MAP_BUSY 1u      /* claimed; key and value being written */
#define ZEROIPC_FMT_MAP_INSERTING 2u /* written; uniqueness being decided */
#define ZEROIPC_FMT_MAP_FULL 3u      /* present */
#define ZEROIPC_FMT_MAP_LOCKED 4u    /* present; value being rewritten */
#define ZEROIPC_FMT_MAP_RETIRING 5u  /* removed; remover still uncounting */
#define ZEROIPC_FMT_MAP_TOMBSTONE 6u /* removed; reusable */
#define ZEROIPC_FMT_MAP_MAX_CAPACITY 0x80000000u
/* FNV-1a, 64-bit: the hash of a key's bytes. */
#define ZEROIPC_FMT_MAP_FNV_OFFSET 0xcbf29ce484222325ull
#define ZEROIPC_FMT_MAP_FNV_PRIME 0x100000001b3ull

#endif /* ZEROIPC_FORMAT_H */
