/* SPDX-License-Identifier: MIT */
/*
 * stress_table_race_same_name.c - many processes, released together, claim
 * one name.
 *
 * Round part 1: every process tries to create the same array in a shared
 * segment.  Exactly one gets 0, the rest EEXISTS; only one region is
 * allocated (a loser must not leak space), and the array holds the winner's
 * mark.
 *
 * Round part 2: every process calls open_or_create on one new segment name.
 * Exactly one reports that it created the segment, all succeed, and all of
 * them are on the same segment (each adds its own entry; all are found).
 *
 * usage: stress_table_race_same_name [processes [rounds]]
 */
#include <zeroipc.h>

#include "zt_test.h"

#define MAX_PROCS 64
#define ARRAY_CAP 16 /* u64 elements: 8 + 128 = 136 bytes, a multiple of 8 */

struct shared {
	int rc[MAX_PROCS];
	int created[MAX_PROCS];
	int add_rc[MAX_PROCS];
};

struct child_args {
	struct zt_gate *gate;
	struct shared *sh;
	const char *seg;
	unsigned id;
	unsigned round;
};

/* Part 1: open the segment first, then race on the array name. */
static int race_array(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_array *arr = NULL;
	char name[32];

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0)
		return 10;
	snprintf(name, sizeof(name), "race-%u", a->round);
	if (zt_gate_wait(a->gate) != 0)
		return 11;
	a->sh->rc[a->id] = zeroipc_array_create(&arr, mem, name, 8, ARRAY_CAP);
	if (a->sh->rc[a->id] == 0) {
		zeroipc_array_store_u64(arr, 0, a->id + 1);
		zeroipc_array_close(arr);
	}
	zeroipc_memory_close(mem);
	return 0;
}

/* Part 2: race on the segment name itself. */
static int race_segment(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	char name[32];

	snprintf(name, sizeof(name), "c%u", a->id);
	if (zt_gate_wait(a->gate) != 0)
		return 11;
	a->sh->rc[a->id] = zeroipc_memory_open_or_create(
		&mem, &a->sh->created[a->id], a->seg, 1 << 16, NULL);
	if (a->sh->rc[a->id] == 0) {
		a->sh->add_rc[a->id] = zeroipc_table_add(NULL, mem, name, 8);
		zeroipc_memory_close(mem);
	}
	return 0;
}

static void run_children(int (*fn)(void *), struct shared *sh, const char *seg,
			 unsigned procs, unsigned round)
{
	struct child_args args[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	struct zt_gate gate;
	unsigned i;

	memset(sh, 0, sizeof(*sh));
	for (i = 0; i < procs; i++) {
		sh->rc[i] = 12345;
		sh->created[i] = -1;
		sh->add_rc[i] = 12345;
	}
	if (zt_gate_init(&gate) != 0) {
		perror("pipe");
		exit(1);
	}
	for (i = 0; i < procs; i++) {
		args[i] = (struct child_args){&gate, sh, seg, i, round};
		pids[i] = zt_fork(fn, &args[i]);
	}
	ZT_CHECK(zt_gate_release(&gate, procs) == 0,
		 "round %u: a child died before the gate", round);
	for (i = 0; i < procs; i++) {
		int st = zt_wait(pids[i]);

		ZT_CHECK(st == 0, "round %u: child %u exited %d", round, i, st);
	}
}

int main(int argc, char **argv)
{
	unsigned procs = (unsigned)zt_arg(argc, argv, 1, 8);
	unsigned rounds = (unsigned)zt_arg(argc, argv, 2, 20);
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	struct shared *sh;
	uint64_t table_end;
	char seg[128];
	unsigned r, i;

	if (procs > MAX_PROCS)
		procs = MAX_PROCS;
	sh = zt_shared_alloc(sizeof(*sh));

	/* Part 1: one segment, one contested array name per round. */
	zt_name(seg, sizeof(seg), "race-same-name");
	opts.max_entries = rounds;
	if (zeroipc_memory_create(&mem, seg, 1 << 20, &opts) != 0) {
		fprintf(stderr, "create %s: %s\n", seg, zeroipc_last_error());
		return 1;
	}
	table_end = 32 + 48 * (uint64_t)rounds;
	for (r = 0; r < rounds; r++) {
		unsigned winners = 0, exists = 0, winner = 0;
		zeroipc_array *arr = NULL;
		char name[32];
		uint64_t mark = 0, next;

		run_children(race_array, sh, seg, procs, r);
		for (i = 0; i < procs; i++) {
			if (sh->rc[i] == 0) {
				winners++;
				winner = i;
			} else if (sh->rc[i] == ZEROIPC_EEXISTS) {
				exists++;
			} else {
				ZT_CHECK(0, "round %u child %u: %s", r, i,
					 zeroipc_status_name(sh->rc[i]));
			}
		}
		ZT_CHECK(winners == 1, "round %u: %u winners", r, winners);
		ZT_CHECK(exists == procs - 1, "round %u: %u EEXISTS", r,
			 exists);
		ZT_CHECK(zeroipc_table_count(mem) == r + 1,
			 "round %u: count %u", r, zeroipc_table_count(mem));
		/* One allocation per round: losers reserved nothing. */
		memcpy(&next, (unsigned char *)zeroipc_memory_base(mem) + 24,
		       8);
		ZT_CHECK(next == table_end + (uint64_t)(r + 1) *
						     (8 + 8 * ARRAY_CAP),
			 "round %u: next_offset %llu", r,
			 (unsigned long long)next);
		snprintf(name, sizeof(name), "race-%u", r);
		if (zeroipc_array_open(&arr, mem, name, 8) == 0) {
			zeroipc_array_load_u64(&mark, arr, 0);
			zeroipc_array_close(arr);
		}
		ZT_CHECK(winners != 1 || mark == winner + 1,
			 "round %u: array holds mark %llu, winner %u", r,
			 (unsigned long long)mark, winner);
	}
	ZT_CHECK(zeroipc_memory_validate(mem) == 0, "validate: %s",
		 zeroipc_last_error());
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);

	/* Part 2: a new segment name per round, claimed by everyone. */
	for (r = 0; r < rounds; r++) {
		unsigned creators = 0;
		zeroipc_table_entry e;
		char name[32];

		zt_name(seg, sizeof(seg), "race-ooc");
		run_children(race_segment, sh, seg, procs, r);
		for (i = 0; i < procs; i++) {
			ZT_CHECK(sh->rc[i] == 0, "round %u child %u: %s", r, i,
				 zeroipc_status_name(sh->rc[i]));
			ZT_CHECK(sh->add_rc[i] == 0,
				 "round %u child %u add: %s", r, i,
				 zeroipc_status_name(sh->add_rc[i]));
			ZT_CHECK(sh->created[i] == 0 || sh->created[i] == 1,
				 "round %u child %u created=%d", r, i,
				 sh->created[i]);
			creators += sh->created[i] == 1;
		}
		ZT_CHECK(creators == 1, "round %u: %u creators", r, creators);
		mem = NULL;
		if (zeroipc_memory_open(&mem, seg, 0) != 0) {
			ZT_CHECK(0, "round %u: open: %s", r,
				 zeroipc_last_error());
			continue;
		}
		/* Everyone's entry is in the one segment. */
		ZT_CHECK(zeroipc_table_count(mem) == procs,
			 "round %u: %u entries", r, zeroipc_table_count(mem));
		for (i = 0; i < procs; i++) {
			snprintf(name, sizeof(name), "c%u", i);
			ZT_CHECK(zeroipc_table_find(&e, mem, name) == 0,
				 "round %u: %s missing", r, name);
		}
		zeroipc_memory_close(mem);
		zeroipc_memory_unlink(seg);
	}

	printf("stress_table_race_same_name: %u processes, %u rounds, %d "
	       "failures\n",
	       procs, rounds, zt_failures);
	return zt_failures == 0 ? 0 : 1;
}
