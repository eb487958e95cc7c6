/* SPDX-License-Identifier: MIT */
/*
 * stress_ring_deadpeer.c - one side of a ring dies; the other side's
 * blocking calls return ZEROIPC_ETIMEOUT instead of hanging, nothing
 * unpublished becomes visible, and a new process can take the dead one's
 * place.
 *
 *   consumer killed      the producer, blocked on a full ring, times out;
 *                        a new consumer continues at the published
 *                        read_pos (re-reading what the dead one had read
 *                        but not yet published), in order
 *   producer crashes     at ring.write.before_publish,
 *   before publishing    ring.write_n.before_publish and
 *                        ring.commit.before_publish (crash points): the
 *                        consumer, blocked on the empty ring, times out
 *                        and never sees the half-published elements; a
 *                        new producer's elements arrive intact
 *
 * The crash-point cases need a library built with ZEROIPC_CRASH_POINTS;
 * without it they are skipped and only the first case runs.
 *
 * usage: stress_ring_deadpeer [rounds]
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zeroipc.h>

#include "zt_test.h"

#define CAP 12u
#define DEAD_NS 50000000LL    /* how long a survivor waits for the dead */
#define ALIVE_NS 10000000000LL /* a live peer never takes this long */

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s "             \
				"(last_error: %s)\n", __FILE__, __LINE__,      \
				#cond, zeroipc_last_error());                  \
			failures++;                                            \
		}                                                              \
	} while (0)

struct victim {
	char seg[128];
	const char *point; /* crash point, or NULL */
	uint64_t first;    /* first value it writes */
	int ready[2];      /* the victim says where it is */
};

/* Consumer that reads `CAP / 2` elements, reports, then waits to die. */
static int doomed_consumer(void *p)
{
	struct victim *v = p;
	zeroipc_memory *mem = NULL;
	zeroipc_ring *r = NULL;
	zeroipc_ring_opts opts = ZEROIPC_RING_OPTS_INIT;
	uint64_t x;
	char c = 'c';

	opts.release_batch = CAP; /* publish nothing before dying */
	if (zeroipc_memory_open(&mem, v->seg, 0) != 0 ||
	    zeroipc_ring_open(&r, mem, "r", 8, ZEROIPC_RING_CONSUMER,
			      &opts) != 0)
		return 10;
	for (unsigned i = 0; i < CAP / 2; i++)
		if (zeroipc_ring_read(&x, r, ALIVE_NS) != 0 || x != i)
			return 11;
	if (write(v->ready[1], &c, 1) != 1)
		return 12;
	pause(); /* killed here, holding unpublished reads */
	return 13;
}

static void case_consumer_killed(void)
{
	struct victim *v = zt_shared_alloc(sizeof(*v));
	zeroipc_memory *mem = NULL;
	zeroipc_ring *w = NULL, *r = NULL;
	uint64_t x;
	int64_t t0;
	pid_t pid;
	char c;

	zt_name(v->seg, sizeof(v->seg), "ring-dead-c");
	CHECK(zeroipc_memory_create(&mem, v->seg, 65536, NULL) == 0);
	CHECK(zeroipc_ring_create(&w, mem, "r", 8, CAP,
				  ZEROIPC_RING_PRODUCER, NULL) == 0);
	for (x = 0; x < CAP; x++)
		CHECK(zeroipc_ring_try_write(w, &x) == 0);
	CHECK(pipe(v->ready) == 0);
	pid = zt_fork(doomed_consumer, v);
	CHECK(read(v->ready[0], &c, 1) == 1);
	kill(pid, SIGKILL);
	CHECK(zt_wait(pid) == 128 + SIGKILL);

	/* The survivor blocks on a ring that stays full, and returns. */
	t0 = zt_now_ns();
	CHECK(zeroipc_ring_write(w, &x, DEAD_NS) == ZEROIPC_ETIMEOUT);
	CHECK(zt_now_ns() - t0 >= DEAD_NS);
	CHECK(zeroipc_ring_try_write(w, &x) == ZEROIPC_EFULL);
	CHECK(zeroipc_ring_validate(mem, "r") == 0);

	/* A successor starts at the published position: from 0 again. */
	CHECK(zeroipc_ring_open(&r, mem, "r", 8, ZEROIPC_RING_CONSUMER,
				NULL) == 0);
	for (uint64_t i = 0; i < CAP; i++) {
		CHECK(zeroipc_ring_read(&x, r, ALIVE_NS) == 0);
		CHECK(x == i);
	}
	/* And the producer carries on. */
	x = CAP;
	CHECK(zeroipc_ring_write(w, &x, ALIVE_NS) == 0);
	CHECK(zeroipc_ring_read(&x, r, ALIVE_NS) == 0);
	CHECK(x == CAP);
	zeroipc_ring_close(r);
	zeroipc_ring_close(w);
	zeroipc_memory_close(mem);
	(void)zeroipc_memory_unlink(v->seg);
	zt_shared_free(v, sizeof(*v));
}

#ifdef ZEROIPC_TEST_CRASH_POINTS
/* Producer that dies at v->point inside its first operation. */
static int doomed_producer(void *p)
{
	struct victim *v = p;
	zeroipc_memory *mem = NULL;
	zeroipc_ring *w = NULL;
	uint64_t x[3] = { v->first, v->first + 1, v->first + 2 }, k;
	void *region;

	if (zeroipc_memory_open(&mem, v->seg, 0) != 0 ||
	    zeroipc_ring_open(&w, mem, "r", 8, ZEROIPC_RING_PRODUCER,
			      NULL) != 0)
		return 10;
	zt_crash_at(v->point, false);
	if (strcmp(v->point, "ring.write.before_publish") == 0) {
		(void)zeroipc_ring_write(w, x, ALIVE_NS);
	} else if (strcmp(v->point, "ring.write_n.before_publish") == 0) {
		(void)zeroipc_ring_write_n(&k, w, x, 3, ALIVE_NS);
	} else {
		if (zeroipc_ring_reserve(&region, &k, w, 3, ALIVE_NS) != 0)
			return 11;
		memcpy(region, x, (size_t)k * 8);
		(void)zeroipc_ring_commit(w, k);
	}
	return 12; /* the crash point did not fire */
}

static void case_producer_crashes(const char *point, unsigned round)
{
	struct victim *v = zt_shared_alloc(sizeof(*v));
	zeroipc_memory *mem = NULL;
	zeroipc_ring *w = NULL, *r = NULL;
	uint64_t x, k, base = 1000u * round;
	int64_t t0;
	pid_t pid;

	zt_name(v->seg, sizeof(v->seg), "ring-dead-p");
	v->point = point;
	CHECK(zeroipc_memory_create(&mem, v->seg, 65536, NULL) == 0);
	CHECK(zeroipc_ring_create(&r, mem, "r", 8, CAP,
				  ZEROIPC_RING_CONSUMER, NULL) == 0);
	/* Move the positions so the victim's write lands mid-ring. */
	CHECK(zeroipc_ring_open(&w, mem, "r", 8, ZEROIPC_RING_PRODUCER,
				NULL) == 0);
	for (unsigned i = 0; i < round % CAP; i++) {
		x = base + i;
		CHECK(zeroipc_ring_write(w, &x, ALIVE_NS) == 0);
		CHECK(zeroipc_ring_read(&x, r, ALIVE_NS) == 0);
		CHECK(x == base + i);
	}
	zeroipc_ring_close(w);
	w = NULL;

	v->first = 0xDEAD0000u;
	pid = zt_fork(doomed_producer, v);
	CHECK(zt_wait(pid) == 128 + SIGKILL);
	/* Copied but never published: the consumer must not see it. */
	t0 = zt_now_ns();
	CHECK(zeroipc_ring_read(&x, r, DEAD_NS) == ZEROIPC_ETIMEOUT);
	CHECK(zt_now_ns() - t0 >= DEAD_NS);
	CHECK(zeroipc_ring_read_n(&k, &x, r, 1, 0) == ZEROIPC_EEMPTY);
	CHECK(zeroipc_ring_validate(mem, "r") == 0);

	/* A successor's elements arrive, intact, in the dead one's place. */
	CHECK(zeroipc_ring_open(&w, mem, "r", 8, ZEROIPC_RING_PRODUCER,
				NULL) == 0);
	for (uint64_t i = 0; i < 3; i++) {
		x = base + 500 + i;
		CHECK(zeroipc_ring_write(w, &x, ALIVE_NS) == 0);
	}
	for (uint64_t i = 0; i < 3; i++) {
		CHECK(zeroipc_ring_read(&x, r, ALIVE_NS) == 0);
		CHECK(x == base + 500 + i);
	}
	CHECK(zeroipc_ring_try_read(&x, r) == ZEROIPC_EEMPTY);
	zeroipc_ring_close(w);
	zeroipc_ring_close(r);
	zeroipc_memory_close(mem);
	(void)zeroipc_memory_unlink(v->seg);
	zt_shared_free(v, sizeof(*v));
}
#endif

int main(int argc, char **argv)
{
	unsigned rounds = (unsigned)zt_arg(argc, argv, 1, 4);

	for (unsigned i = 0; i < rounds; i++)
		case_consumer_killed();
#ifdef ZEROIPC_TEST_CRASH_POINTS
	static const char *const points[] = {
		"ring.write.before_publish",
		"ring.write_n.before_publish",
		"ring.commit.before_publish",
	};

	for (unsigned i = 0; i < rounds; i++)
		for (unsigned p = 0; p < 3; p++)
			case_producer_crashes(points[p], i * 3 + p);
#else
	printf("library built without ZEROIPC_CRASH_POINTS: producer crash "
	       "cases skipped\n");
#endif
	if (failures != 0) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
