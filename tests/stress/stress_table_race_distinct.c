/* SPDX-License-Identifier: MIT */
/*
 * stress_table_race_distinct.c - many processes add distinct entries to one
 * table at the same time.
 *
 * Afterwards: the count is exact, every entry is present with the offset its
 * adder was given and the size it asked for, offsets are 8-byte aligned,
 * regions lie between the table and next_offset and never overlap, no space
 * leaked (next_offset is the end of the last region), and the bytes each
 * adder wrote into its own region are intact.
 *
 * usage: stress_table_race_distinct [processes [entries-per-process [rounds]]]
 */
#include <zeroipc.h>

#include "zt_test.h"

#define MAX_PROCS 32

struct child_args {
	struct zt_gate *gate;
	const char *seg;
	uint64_t *offsets; /* shared: [proc * per + i] */
	unsigned id, per;
};

static uint64_t region_size(unsigned id, unsigned i)
{
	return 1 + (id * 131 + i * 7) % 61;
}

static unsigned char region_byte(unsigned id, unsigned i)
{
	return (unsigned char)(1 + id * 31 + i * 7);
}

static int adder(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	unsigned i;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0)
		return 10;
	if (zt_gate_wait(a->gate) != 0)
		return 11;
	for (i = 0; i < a->per; i++) {
		char name[32];
		uint64_t off = 0, size = region_size(a->id, i);
		int rc;

		snprintf(name, sizeof(name), "p%u-%u", a->id, i);
		rc = zeroipc_table_add(&off, mem, name, size);
		if (rc != 0) {
			fprintf(stderr, "child %u add %s: %s (%s)\n", a->id,
				name, zeroipc_status_name(rc),
				zeroipc_last_error());
			return 12;
		}
		a->offsets[a->id * a->per + i] = off;
		memset((unsigned char *)zeroipc_memory_base(mem) + off,
		       region_byte(a->id, i), size);
	}
	zeroipc_memory_close(mem);
	return 0;
}

struct region {
	uint64_t off, size;
};

static int by_offset(const void *x, const void *y)
{
	const struct region *a = x, *b = y;

	return a->off < b->off ? -1 : a->off > b->off;
}

static void one_round(unsigned procs, unsigned per, unsigned round)
{
	const unsigned total = procs * per;
	const uint64_t table_end = 32 + 48 * (uint64_t)total;
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	struct child_args args[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	zeroipc_memory *mem = NULL;
	struct zt_gate gate;
	struct region *regs;
	uint64_t *offsets;
	const unsigned char *base;
	uint64_t next;
	char seg[128];
	unsigned p, i;

	offsets = zt_shared_alloc(total * sizeof(*offsets));
	regs = calloc(total, sizeof(*regs));
	zt_name(seg, sizeof(seg), "race-distinct");
	opts.max_entries = total;
	if (regs == NULL ||
	    zeroipc_memory_create(&mem, seg, table_end + total * 72ull + 4096,
				  &opts) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		exit(1);
	}
	if (zt_gate_init(&gate) != 0)
		exit(1);
	for (p = 0; p < procs; p++) {
		args[p] = (struct child_args){&gate, seg, offsets, p, per};
		pids[p] = zt_fork(adder, &args[p]);
	}
	ZT_CHECK(zt_gate_release(&gate, procs) == 0,
		 "round %u: a child died before the gate", round);
	for (p = 0; p < procs; p++) {
		int st = zt_wait(pids[p]);

		ZT_CHECK(st == 0, "round %u: child %u exited %d", round, p, st);
	}

	base = zeroipc_memory_base(mem);
	ZT_CHECK(zeroipc_table_count(mem) == total, "round %u: count %u of %u",
		 round, zeroipc_table_count(mem), total);
	for (p = 0; p < procs; p++) {
		for (i = 0; i < per; i++) {
			zeroipc_table_entry e;
			char name[32];
			uint64_t k, size = region_size(p, i);
			unsigned idx = p * per + i;

			snprintf(name, sizeof(name), "p%u-%u", p, i);
			if (zeroipc_table_find(&e, mem, name) != 0) {
				ZT_CHECK(0, "round %u: %s missing", round,
					 name);
				continue;
			}
			ZT_CHECK(e.offset == offsets[idx],
				 "%s: table %llu, adder got %llu", name,
				 (unsigned long long)e.offset,
				 (unsigned long long)offsets[idx]);
			ZT_CHECK(e.size == size, "%s: size %llu", name,
				 (unsigned long long)e.size);
			ZT_CHECK(e.offset % 8 == 0, "%s: offset %llu", name,
				 (unsigned long long)e.offset);
			regs[idx].off = e.offset;
			regs[idx].size = e.size;
			for (k = 0; k < size; k++) {
				if (base[e.offset + k] != region_byte(p, i)) {
					ZT_CHECK(0, "%s: byte %llu overwritten",
						 name, (unsigned long long)k);
					break;
				}
			}
		}
	}
	/* Sorted by offset, regions tile [table_end, next_offset) in order. */
	qsort(regs, total, sizeof(*regs), by_offset);
	memcpy(&next, base + 24, 8);
	ZT_CHECK(regs[0].off == table_end, "round %u: first region at %llu",
		 round, (unsigned long long)regs[0].off);
	for (i = 1; i < total; i++) {
		uint64_t prev_end = regs[i - 1].off + regs[i - 1].size;

		ZT_CHECK(regs[i].off >= prev_end,
			 "round %u: regions at %llu and %llu overlap", round,
			 (unsigned long long)regs[i - 1].off,
			 (unsigned long long)regs[i].off);
		/* Bump allocation under one lock leaves no holes either. */
		ZT_CHECK(regs[i].off == ((prev_end + 7) & ~7ull),
			 "round %u: gap before %llu", round,
			 (unsigned long long)regs[i].off);
	}
	ZT_CHECK(next == regs[total - 1].off + regs[total - 1].size,
		 "round %u: next_offset %llu", round, (unsigned long long)next);
	ZT_CHECK(zeroipc_memory_validate(mem) == 0, "validate: %s",
		 zeroipc_last_error());

	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	free(regs);
	zt_shared_free(offsets, total * sizeof(*offsets));
}

int main(int argc, char **argv)
{
	unsigned procs = (unsigned)zt_arg(argc, argv, 1, 8);
	unsigned per = (unsigned)zt_arg(argc, argv, 2, 50);
	unsigned rounds = (unsigned)zt_arg(argc, argv, 3, 5);
	unsigned r;

	if (procs > MAX_PROCS)
		procs = MAX_PROCS;
	for (r = 0; r < rounds; r++)
		one_round(procs, per, r);
	printf("stress_table_race_distinct: %u processes x %u entries, %u "
	       "rounds, %d failures\n",
	       procs, per, rounds, zt_failures);
	return zt_failures == 0 ? 0 : 1;
}
