/* SPDX-License-Identifier: MIT */
/*
 * Scenario "table": a segment and its table of raw entries.
 *
 * The writer creates NAME (1 MiB, 100 table entries, not the default 64),
 * then adds "entry_00".."entry_39", entry i of 1 + 37 * i bytes with byte k
 * equal to (31 * i + 7 * k) & 0xff, and finally "done".  The reader follows
 * the entries as they appear, then, once "done" is there, checks names,
 * sizes, alignment, overlap, lookups and every byte.  py_side.py is the
 * same in Python.
 */
#include "interop.h"

#define SEGMENT_SIZE (1u << 20)
#define MAX_ENTRIES 100u
#define ENTRIES 40u

static uint64_t entry_size(uint32_t i)
{
	return 1 + 37 * (uint64_t)i;
}

static unsigned char entry_byte(uint32_t i, uint64_t k)
{
	return (unsigned char)((31 * i + 7 * k) & 0xff);
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem;
	unsigned char *base;
	uint64_t offset, k;
	char entry[32];
	uint32_t i;

	opts.max_entries = MAX_ENTRIES;
	IC_OK(zeroipc_memory_create(&mem, name, SEGMENT_SIZE, &opts));
	ic_signal_ready(fifo);
	base = zeroipc_memory_base(mem);
	for (i = 0; i < ENTRIES; i++) {
		snprintf(entry, sizeof(entry), "entry_%02u", i);
		IC_OK(zeroipc_table_add(&offset, mem, entry, entry_size(i)));
		for (k = 0; k < entry_size(i); k++)
			base[offset + k] = entry_byte(i, k);
	}
	/* Added last: the reader checks contents only after it appears. */
	IC_OK(zeroipc_table_add(NULL, mem, "done", 8));
	zeroipc_memory_close(mem);
}

static void check_entry(const zeroipc_table_entry *e, uint32_t i)
{
	char want[32];

	snprintf(want, sizeof(want), "entry_%02u", i);
	ic_expect(strcmp(e->name, want) == 0, "entry %u is named %s, not %s",
		  i, e->name, want);
	ic_expect(e->size == entry_size(i), "entry %u has %llu bytes, not %llu",
		  i, (unsigned long long)e->size,
		  (unsigned long long)entry_size(i));
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_table_entry e, found, prev = { "", 0, 0 };
	const unsigned char *base;
	uint32_t seen = 0, count, i;
	uint64_t k, size;
	int rc;
	double end = ic_now() + IC_DEADLINE_S;

	IC_OK(zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY));
	ic_expect(zeroipc_table_capacity(mem) == MAX_ENTRIES,
		  "table capacity %u", zeroipc_table_capacity(mem));
	size = zeroipc_memory_size(mem);
	ic_expect(size == SEGMENT_SIZE, "segment size %llu",
		  (unsigned long long)size);

	/* Live: check each entry as it is published, until "done". */
	while ((rc = zeroipc_table_find(&found, mem, "done")) != 0) {
		if (rc != ZEROIPC_ENOT_FOUND)
			IC_OK(rc);
		count = zeroipc_table_count(mem);
		for (; seen < count && seen < ENTRIES; seen++) {
			IC_OK(zeroipc_table_entry_at(&e, mem, seen));
			check_entry(&e, seen);
		}
		if (ic_now() > end)
			ic_die("no \"done\" entry after %d s", IC_DEADLINE_S);
		sched_yield();
	}

	count = zeroipc_table_count(mem);
	ic_expect(count == ENTRIES + 1, "%u entries, expected %u", count,
		  ENTRIES + 1);
	base = zeroipc_memory_base(mem);
	for (i = 0; i < ENTRIES && i < count; i++) {
		IC_OK(zeroipc_table_entry_at(&e, mem, i));
		check_entry(&e, i);
		ic_expect(e.offset % 8 == 0, "entry %u at unaligned offset %llu",
			  i, (unsigned long long)e.offset);
		ic_expect(i == 0 || e.offset >= prev.offset + prev.size,
			  "entry %u overlaps entry %u", i, i - 1);
		if (ic_expect(e.offset <= size && e.size <= size - e.offset,
			      "entry %u lies outside the segment", i))
			continue;
		IC_OK(zeroipc_table_find(&found, mem, e.name));
		ic_expect(found.offset == e.offset && found.size == e.size,
			  "find(%s) disagrees with entry_at(%u)", e.name, i);
		for (k = 0; k < e.size; k++)
			if (ic_expect(base[e.offset + k] == entry_byte(i, k),
				      "entry %u byte %llu is %u, expected %u",
				      i, (unsigned long long)k,
				      base[e.offset + k], entry_byte(i, k)))
				break;
		prev = e;
	}
	IC_OK(zeroipc_table_entry_at(&e, mem, ENTRIES));
	ic_expect(strcmp(e.name, "done") == 0, "last entry is %s", e.name);
	IC_FAILS(ZEROIPC_ENOT_FOUND, zeroipc_table_find(&found, mem, "absent"));
	IC_OK(zeroipc_memory_validate(mem));
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
