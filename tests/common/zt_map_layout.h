/* SPDX-License-Identifier: MIT */
/*
 * zt_map_layout.h - the Map layout of SPECIFICATION.md ("Map"; a Set is a
 * Map with value_size 0), written from the specification's text, for the
 * Map and Set tests that check or damage the bytes directly: header field
 * offsets, slot states, the ctl word and the home slot of a key.
 */
#ifndef ZT_MAP_LAYOUT_H
#define ZT_MAP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* Header fields, from the structure base. */
#define M_SIZE 0
#define M_CAPACITY 4
#define M_KEY_SIZE 8
#define M_VALUE_SIZE 12
#define M_SLOT_SIZE 16
#define M_RESERVED 20
#define M_WAITERS 24
#define M_SEQ 28
#define M_SLOTS 32

/* Slot states, the low three bits of a slot's ctl word. */
#define S_EMPTY 0
#define S_BUSY 1
#define S_INSERTING 2
#define S_FULL 3
#define S_LOCKED 4
#define S_RETIRING 5
#define S_TOMBSTONE 6

/* A ctl word: generation above the state. */
#define CTL(gen, state) (((uint64_t)(gen) << 3) | (state))

/* The hash of a key: FNV-1a, 64 bits. */
static inline uint64_t zt_fnv1a64(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The slot where the probe for `key` starts. */
static inline uint64_t zt_home_slot(const void *key, size_t n,
				    uint64_t capacity)
{
	uint64_t h = zt_fnv1a64(key, n);

	return (uint32_t)(h ^ (h >> 32)) & (capacity - 1);
}

#endif /* ZT_MAP_LAYOUT_H */
