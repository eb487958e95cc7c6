/* SPDX-License-Identifier: MIT */
/*
 * stress_memory_race_create.c - processes race zeroipc_memory_create on one
 * name while others keep opening it.
 *
 * Exactly one creator wins and the others get EEXISTS.  An opener gets
 * either ENOT_FOUND (nothing published yet) or a complete, valid segment:
 * never EBAD_FORMAT or ECORRUPT from a half-initialised one, and never
 * ENOT_FOUND once a creator has returned success.
 *
 * usage: stress_memory_race_create [processes [rounds]]
 */
#include <zeroipc.h>

#include "zt_test.h"

#define MAX_PROCS 64
#define SEG_SIZE (1u << 16)

struct shared {
	uint32_t created; /* creators that returned 0 */
	uint32_t creators_done;
	int rc[MAX_PROCS];
	uint64_t open_attempts[MAX_PROCS];
};

struct child_args {
	struct zt_gate *gate;
	struct shared *sh;
	const char *seg;
	unsigned id, creators;
};

static int creator(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	int rc;

	if (zt_gate_wait(a->gate) != 0)
		return 11;
	rc = zeroipc_memory_create(&mem, a->seg, SEG_SIZE, NULL);
	a->sh->rc[a->id] = rc;
	if (rc == 0) {
		__atomic_fetch_add(&a->sh->created, 1, __ATOMIC_RELEASE);
		zeroipc_memory_close(mem);
	}
	__atomic_fetch_add(&a->sh->creators_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* A segment seen through open must be complete. */
static int check_segment(zeroipc_memory *mem)
{
	const unsigned char *b = zeroipc_memory_base(mem);
	uint32_t magic, version, max;
	uint64_t size, next;

	memcpy(&magic, b, 4);
	memcpy(&version, b + 4, 4);
	memcpy(&max, b + 12, 4);
	memcpy(&size, b + 16, 8);
	memcpy(&next, b + 24, 8);
	if (magic != 0x5A49504Du || version != 2 || max != 64 ||
	    size != SEG_SIZE || next != 32 + 48 * 64)
		return -1;
	if (zeroipc_memory_size(mem) != SEG_SIZE)
		return -1;
	return zeroipc_memory_validate(mem) == 0 ? 0 : -1;
}

static int opener(void *arg)
{
	struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	uint64_t attempts = 0;
	int rc;

	if (zt_gate_wait(a->gate) != 0)
		return 11;
	for (;;) {
		/* Sample before opening: if a creator had already succeeded,
		 * the name must be there. */
		uint32_t created =
			__atomic_load_n(&a->sh->created, __ATOMIC_ACQUIRE);
		uint32_t done = __atomic_load_n(&a->sh->creators_done,
						__ATOMIC_ACQUIRE);

		attempts++;
		rc = zeroipc_memory_open(&mem, a->seg, 0);
		if (rc == 0) {
			if (check_segment(mem) != 0)
				rc = 1000; /* half-initialised */
			zeroipc_memory_close(mem);
			break;
		}
		if (rc != ZEROIPC_ENOT_FOUND)
			break;
		if (created > 0) {
			rc = 1001; /* vanished after creation */
			break;
		}
		if (done == a->creators)
			break; /* nobody created it: the parent reports that */
	}
	a->sh->rc[a->id] = rc;
	a->sh->open_attempts[a->id] = attempts;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned procs = (unsigned)zt_arg(argc, argv, 1, 8);
	unsigned rounds = (unsigned)zt_arg(argc, argv, 2, 30);
	struct shared *sh = zt_shared_alloc(sizeof(*sh));
	unsigned r, i, creators;

	if (procs > MAX_PROCS)
		procs = MAX_PROCS;
	if (procs < 2)
		procs = 2;
	creators = (procs + 1) / 2;
	for (r = 0; r < rounds; r++) {
		struct child_args args[MAX_PROCS];
		pid_t pids[MAX_PROCS];
		struct zt_gate gate;
		unsigned winners = 0, exists = 0;
		zeroipc_memory *mem = NULL;
		char seg[128];

		memset(sh, 0, sizeof(*sh));
		zt_name(seg, sizeof(seg), "race-create");
		if (zt_gate_init(&gate) != 0)
			return 1;
		/* Even ids create, odd ids open, interleaved in fork order. */
		for (i = 0; i < procs; i++) {
			args[i] = (struct child_args){&gate, sh, seg, i,
						      creators};
			pids[i] = zt_fork(i % 2 == 0 ? creator : opener,
					  &args[i]);
		}
		ZT_CHECK(zt_gate_release(&gate, procs) == 0,
			 "round %u: a child died before the gate", r);
		for (i = 0; i < procs; i++) {
			int st = zt_wait(pids[i]);

			ZT_CHECK(st == 0, "round %u: child %u exited %d", r, i,
				 st);
		}
		for (i = 0; i < procs; i += 2) {
			if (sh->rc[i] == 0)
				winners++;
			else if (sh->rc[i] == ZEROIPC_EEXISTS)
				exists++;
			else
				ZT_CHECK(0, "round %u creator %u: %s", r, i,
					 zeroipc_status_name(sh->rc[i]));
		}
		ZT_CHECK(winners == 1, "round %u: %u creators won", r, winners);
		ZT_CHECK(exists == creators - 1, "round %u: %u EEXISTS", r,
			 exists);
		for (i = 1; i < procs; i += 2)
			ZT_CHECK(sh->rc[i] == 0,
				 "round %u opener %u: %d (%s) after %llu "
				 "attempts",
				 r, i, sh->rc[i],
				 zeroipc_status_name(sh->rc[i]),
				 (unsigned long long)sh->open_attempts[i]);
		/* What is left under the name is one complete segment. */
		if (zeroipc_memory_open(&mem, seg, 0) == 0) {
			ZT_CHECK(check_segment(mem) == 0,
				 "round %u: final "
				 "segment invalid",
				 r);
			zeroipc_memory_close(mem);
		} else {
			ZT_CHECK(0, "round %u: open after race: %s", r,
				 zeroipc_last_error());
		}
		zeroipc_memory_unlink(seg);
	}
	printf("stress_memory_race_create: %u processes (%u creators), %u "
	       "rounds, %d failures\n",
	       procs, creators, rounds, zt_failures);
	return zt_failures == 0 ? 0 : 1;
}
