/* SPDX-License-Identifier: MIT */
/*
 * stress_table_readers_during_writes.c - lock-free lookups while a writer
 * adds entries.
 *
 * One writer adds "w0", "w1", ... in order.  Readers, each with its own
 * mapping, loop over count/entry_at/find until the writer is done.  Every
 * entry a reader can see must be complete: the right name for its index,
 * the requested size, an aligned in-bounds offset below next_offset, and a
 * region that is already zeroed (the data area is filled with 0xEE first, so
 * a region published before it was cleared shows up).  The count never goes
 * backwards.
 *
 * usage: stress_table_readers_during_writes [readers [entries [rounds]]]
 */
#include <zeroipc.h>

#include "zt_test.h"

#define MAX_READERS 16

struct shared {
	uint32_t done;                 /* set by the writer (and parent) */
	uint64_t passes[MAX_READERS];  /* completed scans per reader */
	uint64_t partial[MAX_READERS]; /* scans that saw 0 < count < all */
};

struct child_args {
	struct zt_gate *gate;
	struct shared *sh;
	const char *seg;
	unsigned id, entries;
};

static uint64_t entry_size(unsigned i)
{
	return 1 + (i * 13) % 97;
}

static int writer(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	unsigned i;
	int rc = 0;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0)
		return 10;
	if (zt_gate_wait(a->gate) != 0)
		return 11;
	for (i = 0; i < a->entries && rc == 0; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%u", i);
		rc = zeroipc_table_add(NULL, mem, name, entry_size(i));
	}
	__atomic_store_n(&a->sh->done, 1, __ATOMIC_RELEASE);
	zeroipc_memory_close(mem);
	return rc == 0 ? 0 : 12;
}

/* Returns 0, or a small code naming the first broken invariant. */
static int check_entry(zeroipc_memory *mem, const zeroipc_table_entry *e,
		       unsigned i, uint64_t next)
{
	const unsigned char *base = zeroipc_memory_base(mem);
	uint64_t table_end = 32 + 48 * (uint64_t)zeroipc_table_capacity(mem);
	char want[32];

	snprintf(want, sizeof(want), "w%u", i);
	if (strcmp(e->name, want) != 0)
		return 20;
	if (e->size != entry_size(i))
		return 21;
	if (e->offset % 8 != 0 || e->offset < table_end)
		return 22;
	if (e->offset + e->size > next)
		return 23;
	for (uint64_t k = 0; k < e->size; k++)
		if (base[e->offset + k] != 0)
			return 24;
	return 0;
}

static int reader(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	uint32_t last = 0;
	int final = 0;

	if (zeroipc_memory_open(&mem, a->seg, ZEROIPC_OPEN_READONLY) != 0)
		return 10;
	if (zt_gate_wait(a->gate) != 0)
		return 11;
	while (!final) {
		const unsigned char *base = zeroipc_memory_base(mem);
		zeroipc_table_entry e, f;
		uint64_t next;
		uint32_t count, i;
		char name[32];
		int rc;

		/* Decide before scanning: a scan that starts after "done"
		 * must see everything. */
		final = __atomic_load_n(&a->sh->done, __ATOMIC_ACQUIRE);
		count = zeroipc_table_count(mem);
		/* Read after the count: everything counted lies below it. */
		next = __atomic_load_n((const uint64_t *)(base + 24),
				       __ATOMIC_ACQUIRE);
		if (count < last || count > a->entries)
			return 30;
		last = count;
		for (i = 0; i < count; i++) {
			if (zeroipc_table_entry_at(&e, mem, i) != 0)
				return 31;
			rc = check_entry(mem, &e, i, next);
			if (rc != 0)
				return rc;
		}
		if (count > 0) {
			snprintf(name, sizeof(name), "w%u", count - 1);
			if (zeroipc_table_find(&f, mem, name) != 0)
				return 32;
			if (f.offset != e.offset || f.size != e.size)
				return 33;
		}
		/* The next name is either not there yet or complete. */
		snprintf(name, sizeof(name), "w%u", count);
		rc = zeroipc_table_find(&f, mem, name);
		if (rc == 0) {
			uint64_t later =
				__atomic_load_n((const uint64_t *)(base + 24),
						__ATOMIC_ACQUIRE);

			rc = check_entry(mem, &f, count, later);
			if (rc != 0)
				return rc + 20;
		} else if (rc != ZEROIPC_ENOT_FOUND) {
			return 34;
		}
		a->sh->passes[a->id]++;
		if (count > 0 && count < a->entries)
			a->sh->partial[a->id]++;
		if (final && count != a->entries)
			return 35;
	}
	zeroipc_memory_close(mem);
	return 0;
}

static void one_round(unsigned readers, unsigned entries, unsigned round,
		      struct shared *sh)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	struct child_args args[MAX_READERS + 1];
	pid_t pids[MAX_READERS + 1];
	zeroipc_memory *mem = NULL;
	uint64_t table_end = 32 + 48 * (uint64_t)entries, size;
	struct zt_gate gate;
	char seg[128];
	unsigned i;
	int st;

	memset(sh, 0, sizeof(*sh));
	zt_name(seg, sizeof(seg), "readers-writes");
	opts.max_entries = entries;
	size = table_end + 104ull * entries;
	if (zeroipc_memory_create(&mem, seg, size, &opts) != 0) {
		fprintf(stderr, "create: %s\n", zeroipc_last_error());
		exit(1);
	}
	/* Stale bytes where regions will go: adds must clear them first. */
	memset((unsigned char *)zeroipc_memory_base(mem) + table_end, 0xEE,
	       size - table_end);

	if (zt_gate_init(&gate) != 0)
		exit(1);
	args[0] = (struct child_args){&gate, sh, seg, 0, entries};
	pids[0] = zt_fork(writer, &args[0]);
	for (i = 0; i < readers; i++) {
		args[i + 1] = (struct child_args){&gate, sh, seg, i, entries};
		pids[i + 1] = zt_fork(reader, &args[i + 1]);
	}
	ZT_CHECK(zt_gate_release(&gate, readers + 1) == 0,
		 "round %u: a child died before the gate", round);
	st = zt_wait(pids[0]);
	ZT_CHECK(st == 0, "round %u: writer exited %d", round, st);
	/* If the writer died early, readers must still stop. */
	__atomic_store_n(&sh->done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < readers; i++) {
		st = zt_wait(pids[i + 1]);
		ZT_CHECK(st == 0, "round %u: reader %u exited %d", round, i,
			 st);
		ZT_CHECK(sh->passes[i] > 0, "round %u: reader %u never scanned",
			 round, i);
	}
	ZT_CHECK(zeroipc_table_count(mem) == entries, "round %u: count %u",
		 round, zeroipc_table_count(mem));
	ZT_CHECK(zeroipc_memory_validate(mem) == 0, "validate: %s",
		 zeroipc_last_error());
	{
		uint64_t passes = 0, partial = 0;

		for (i = 0; i < readers; i++) {
			passes += sh->passes[i];
			partial += sh->partial[i];
		}
		printf("round %u: %llu scans, %llu while the writer was "
		       "mid-way\n",
		       round, (unsigned long long)passes,
		       (unsigned long long)partial);
	}
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
}

int main(int argc, char **argv)
{
	unsigned readers = (unsigned)zt_arg(argc, argv, 1, 3);
	unsigned entries = (unsigned)zt_arg(argc, argv, 2, 400);
	unsigned rounds = (unsigned)zt_arg(argc, argv, 3, 5);
	struct shared *sh = zt_shared_alloc(sizeof(*sh));
	unsigned r;

	if (readers > MAX_READERS)
		readers = MAX_READERS;
	for (r = 0; r < rounds; r++)
		one_round(readers, entries, r, sh);
	printf("stress_table_readers_during_writes: %u readers, %u entries, "
	       "%u rounds, %d failures\n",
	       readers, entries, rounds, zt_failures);
	return zt_failures == 0 ? 0 : 1;
}
