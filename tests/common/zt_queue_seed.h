/* SPDX-License-Identifier: MIT */
/*
 * zt_queue_seed.h - start a fresh queue's counters at any position, as if
 * that many elements had passed, by writing its format v2 bytes directly
 * (SPECIFICATION.md, Queue "Layout"): the stress tests use it to cross
 * 2^32.  Needs <zeroipc.h>, <stdio.h> and <stdlib.h>.
 */
#ifndef ZT_QUEUE_SEED_H
#define ZT_QUEUE_SEED_H

#include <stdint.h>
#include <string.h>

/* Queue `name` (empty, never used) of `capacity` elements of `es` bytes:
 * head = tail = pos, and each slot's sequence word as a queue that far on
 * has it. */
static inline void zt_queue_seed(zeroipc_memory *mem, const char *name,
				 uint32_t capacity, uint32_t es, uint32_t pos)
{
	zeroipc_table_entry e;
	unsigned char *base;
	uint32_t *seq;

	if (zeroipc_table_find(&e, mem, name) != 0) {
		fprintf(stderr, "zt_queue_seed: find %s: %s\n", name,
			zeroipc_last_error());
		exit(1);
	}
	base = (unsigned char *)zeroipc_memory_base(mem) + e.offset;
	seq = (uint32_t *)(void *)(base + 16 + (((uint64_t)capacity * es + 7) &
						~(uint64_t)7));
	memcpy(base, &pos, 4);
	memcpy(base + 4, &pos, 4);
	for (uint32_t i = 0; i < capacity; i++)
		seq[(pos + i) & (capacity - 1)] = pos + i;
}

#endif /* ZT_QUEUE_SEED_H */
