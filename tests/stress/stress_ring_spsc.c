/* SPDX-License-Identifier: MIT */
/*
 * stress_ring_spsc.c - one producer process and one consumer process move a
 * sequence of tagged elements through a small ring whose byte capacity is
 * not a power of two, across thousands of wraps.  Each side picks its call
 * at random for every step: single try/blocking calls, bulk write_n /
 * read_n, and zero-copy reserve/commit / peek/release, with random
 * lengths.  The consumer checks that every element arrives exactly once,
 * in order and intact (a checksum over the whole element), and that the
 * last one is the producer's last.  The consumer publishes lazily (the
 * default release batch) in one run and on every read in the other, so
 * both publication paths and the producer's waits for space are covered.
 *
 * usage: stress_ring_spsc [messages] [capacity in elements]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zeroipc.h>

#include "zt_test.h"

#define WAIT_NS 10000000000LL /* a live peer never takes this long */

/* 40 bytes: the byte capacity is 40 * capacity, never a power of two. */
struct elem {
	uint64_t seq;
	uint64_t check; /* mix(seq): catches torn or stale elements */
	uint64_t pad[3]; /* filled from seq too */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ULL;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dULL;
	return x ^ (x >> 33);
}

static void fill(struct elem *e, uint64_t seq)
{
	e->seq = seq;
	e->check = mix(seq);
	e->pad[0] = ~seq;
	e->pad[1] = seq * 3;
	e->pad[2] = mix(~seq);
}

static int intact(const struct elem *e, uint64_t seq)
{
	return e->seq == seq && e->check == mix(seq) && e->pad[0] == ~seq &&
	       e->pad[1] == seq * 3 && e->pad[2] == mix(~seq);
}

struct shared {
	struct zt_gate gate;
	char seg[128];
	uint64_t messages;
	uint64_t release_batch;
	uint64_t received;
	uint64_t errors;
	int failed_call;
	char why[256];
};

static int fail_at(struct shared *sh, const char *what, int rc)
{
	snprintf(sh->why, sizeof(sh->why), "%s: %s (%s)", what,
		 zeroipc_status_name(rc), zeroipc_last_error());
	sh->failed_call = 1;
	return 1;
}

static int producer(void *p)
{
	struct shared *sh = p;
	zeroipc_memory *mem = NULL;
	zeroipc_ring *w = NULL;
	struct elem batch[32];
	uint64_t seq = 0, rng = 0x1234 + sh->release_batch, k;
	void *region;
	int rc;

	if (zeroipc_memory_open(&mem, sh->seg, 0) != 0 ||
	    zeroipc_ring_open(&w, mem, "r", sizeof(struct elem),
			      ZEROIPC_RING_PRODUCER, NULL) != 0)
		return fail_at(sh, "producer open", -1);
	if (zt_gate_wait(&sh->gate) != 0)
		return 2;
	while (seq < sh->messages) {
		uint64_t left = sh->messages - seq;
		uint64_t n = 1 + zt_rand(&rng) % 32;

		if (n > left)
			n = left;
		switch (zt_rand(&rng) % 4) {
		case 0:
			fill(&batch[0], seq);
			rc = zeroipc_ring_try_write(w, &batch[0]);
			if (rc == 0)
				seq++;
			else if (rc != ZEROIPC_EFULL)
				return fail_at(sh, "try_write", rc);
			break;
		case 1:
			fill(&batch[0], seq);
			rc = zeroipc_ring_write(w, &batch[0], WAIT_NS);
			if (rc != 0)
				return fail_at(sh, "write", rc);
			seq++;
			break;
		case 2:
			for (uint64_t i = 0; i < n; i++)
				fill(&batch[i], seq + i);
			rc = zeroipc_ring_write_n(&k, w, batch, n, WAIT_NS);
			if (rc != 0)
				return fail_at(sh, "write_n", rc);
			seq += k;
			break;
		default:
			rc = zeroipc_ring_reserve(&region, &k, w, n, WAIT_NS);
			if (rc != 0)
				return fail_at(sh, "reserve", rc);
			/* Commit a random part of what was reserved. */
			k = 1 + zt_rand(&rng) % k;
			for (uint64_t i = 0; i < k; i++)
				fill((struct elem *)region + i, seq + i);
			rc = zeroipc_ring_commit(w, k);
			if (rc != 0)
				return fail_at(sh, "commit", rc);
			seq += k;
			break;
		}
	}
	zeroipc_ring_close(w);
	zeroipc_memory_close(mem);
	return 0;
}

static int consumer(void *p)
{
	struct shared *sh = p;
	zeroipc_memory *mem = NULL;
	zeroipc_ring *r = NULL;
	zeroipc_ring_opts opts = ZEROIPC_RING_OPTS_INIT;
	struct elem batch[48];
	const void *region;
	uint64_t next = 0, rng = 0x9876 + sh->release_batch, k;
	int rc;

	opts.release_batch = sh->release_batch;
	if (zeroipc_memory_open(&mem, sh->seg, 0) != 0 ||
	    zeroipc_ring_open(&r, mem, "r", sizeof(struct elem),
			      ZEROIPC_RING_CONSUMER, &opts) != 0)
		return fail_at(sh, "consumer open", -1);
	if (zt_gate_wait(&sh->gate) != 0)
		return 2;
	while (next < sh->messages) {
		uint64_t n = 1 + zt_rand(&rng) % 48;

		switch (zt_rand(&rng) % 4) {
		case 0:
			rc = zeroipc_ring_try_read(&batch[0], r);
			if (rc == ZEROIPC_EEMPTY)
				break;
			if (rc != 0)
				return fail_at(sh, "try_read", rc);
			sh->errors += !intact(&batch[0], next);
			next++;
			break;
		case 1:
			rc = zeroipc_ring_read(&batch[0], r, WAIT_NS);
			if (rc != 0)
				return fail_at(sh, "read", rc);
			sh->errors += !intact(&batch[0], next);
			next++;
			break;
		case 2:
			rc = zeroipc_ring_read_n(&k, batch, r, n, WAIT_NS);
			if (rc != 0)
				return fail_at(sh, "read_n", rc);
			for (uint64_t i = 0; i < k; i++)
				sh->errors += !intact(&batch[i], next + i);
			next += k;
			break;
		default:
			rc = zeroipc_ring_peek(&region, &k, r, n, WAIT_NS);
			if (rc != 0)
				return fail_at(sh, "peek", rc);
			/* Look at all, consume a random part: the rest must
			 * come back on the next call. */
			for (uint64_t i = 0; i < k; i++)
				sh->errors += !intact(
					(const struct elem *)region + i,
					next + i);
			k = zt_rand(&rng) % (k + 1);
			rc = zeroipc_ring_release(r, k);
			if (rc != 0)
				return fail_at(sh, "release", rc);
			next += k;
			break;
		}
	}
	sh->received = next;
	/* Nothing may follow the last element. */
	rc = zeroipc_ring_try_read(&batch[0], r);
	if (rc != ZEROIPC_EEMPTY)
		return fail_at(sh, "read after the last element", rc);
	zeroipc_ring_close(r);
	zeroipc_memory_close(mem);
	return 0;
}

static int run(uint64_t messages, uint64_t capacity, uint64_t release_batch)
{
	struct shared *sh = zt_shared_alloc(sizeof(*sh));
	zeroipc_memory *mem = NULL;
	zeroipc_ring *r = NULL;
	pid_t pp, pc;
	int sp, sc, rc;

	sh->messages = messages;
	sh->release_batch = release_batch;
	zt_name(sh->seg, sizeof(sh->seg), "stress-ring");
	rc = zeroipc_memory_create(&mem, sh->seg,
				   capacity * sizeof(struct elem) + 65536,
				   NULL);
	if (rc == 0)
		rc = zeroipc_ring_create(&r, mem, "r", sizeof(struct elem),
					 capacity, 0, NULL);
	if (rc != 0) {
		fprintf(stderr, "setup: %s (%s)\n", zeroipc_status_name(rc),
			zeroipc_last_error());
		return 1;
	}
	if (zt_gate_init(&sh->gate) != 0)
		return 1;
	pp = zt_fork(producer, sh);
	pc = zt_fork(consumer, sh);
	if (zt_gate_release(&sh->gate, 2) != 0)
		fprintf(stderr, "a worker did not reach the gate\n");
	sp = zt_wait(pp);
	sc = zt_wait(pc);
	rc = 0;
	if (sp != 0 || sc != 0 || sh->failed_call) {
		fprintf(stderr, "producer exit %d, consumer exit %d: %s\n", sp,
			sc, sh->why);
		rc = 1;
	}
	if (sh->received != messages || sh->errors != 0) {
		fprintf(stderr, "received %" PRIu64 " of %" PRIu64
			", %" PRIu64 " lost, repeated, out of order or torn\n",
			sh->received, messages, sh->errors);
		rc = 1;
	}
	printf("release batch %" PRIu64 ": %" PRIu64 " elements through "
	       "%" PRIu64 " slots (%" PRIu64 " wraps): %s\n", release_batch,
	       sh->received, capacity, sh->received / capacity,
	       rc == 0 ? "ok" : "FAILED");
	zeroipc_ring_close(r);
	zeroipc_memory_close(mem);
	(void)zeroipc_memory_unlink(sh->seg);
	zt_shared_free(sh, sizeof(*sh));
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t messages = zt_arg(argc, argv, 1, 200000);
	uint64_t capacity = zt_arg(argc, argv, 2, 61);
	int rc = 0;

	/* Lazy publication (a quarter of the ring), then every read. */
	rc |= run(messages, capacity, 0);
	rc |= run(messages, capacity, 1);
	return rc;
}
