/* SPDX-License-Identifier: MIT */
/*
 * bench_ring.c - cross-process benchmarks of zeroipc_ring.
 *
 * Cases (ratios in bench/run: single-message cases against the reference
 * ring, batched ones against its batched mode):
 *   ring_spsc_{8,64}b  zeroipc_ring_try_write / try_read, one message per
 *                      call, busy-polling like the reference ring
 *   ring_bulk_{8,64}b  write_n of 32 messages / read_n of up to 256
 *   ring_zc_{8,64}b    reserve/commit of up to 32 filled in place /
 *                      peek/release of up to 256 checked in place
 *   ring_rtt           ping-pong of 8 bytes over two rings, busy-polling
 *   ring_rtt_block     the same with the blocking write/read (spin, then
 *                      sleep in the kernel)
 * Every ring holds 4096 elements, as the reference ring does.
 */
#include <zeroipc.h>

#include "bench_common.h"

#define RING_CAP 4096

struct ring_bench {
	char shm[64];
	zeroipc_memory *mem;
	zeroipc_ring *ring[2]; /* this process's handle per channel */
	unsigned char msg[BENCH_MAX_BATCH * BENCH_MAX_MSG];
};

static const char *chan_name(int chan)
{
	return chan == BENCH_FWD ? "fwd" : "back";
}

static int ring_setup(struct bench_run *b)
{
	struct ring_bench *s = calloc(1, sizeof(*s));
	int chans = b->c->kind == BENCH_RTT ? 2 : 1;
	int rc;

	if (s == NULL)
		return -1;
	b->state = s;
	snprintf(s->shm, sizeof(s->shm), "/zb-ring-%d", (int)getpid());
	(void)zeroipc_memory_unlink(s->shm);
	rc = zeroipc_memory_create(&s->mem, s->shm,
				   (uint64_t)4 << 20, NULL);
	if (rc != 0)
		goto fail;
	/* The mapping is inherited by the child: the name is not needed
	 * again, and unlinking now leaves nothing behind if a run dies. */
	(void)zeroipc_memory_unlink(s->shm);
	for (int c = 0; c < chans; c++) {
		zeroipc_ring *r;

		rc = zeroipc_ring_create(&r, s->mem, chan_name(c), b->c->size,
					 RING_CAP, 0, NULL);
		if (rc != 0)
			goto fail;
		zeroipc_ring_close(r);
	}
	return 0;
fail:
	fprintf(stderr, "ring setup: %s: %s\n", zeroipc_strerror(rc),
		zeroipc_last_error());
	return -1;
}

static int ring_attach(struct bench_run *b)
{
	struct ring_bench *s = b->state;
	int chans = b->c->kind == BENCH_RTT ? 2 : 1;

	for (int c = 0; c < chans; c++) {
		/* fwd: the parent writes; back: the child writes. */
		bool writes = (c == BENCH_FWD) == (b->role == BENCH_PARENT);
		int rc = zeroipc_ring_open(&s->ring[c], s->mem, chan_name(c),
					   b->c->size,
					   writes ? ZEROIPC_RING_PRODUCER
						  : ZEROIPC_RING_CONSUMER,
					   NULL);

		if (rc != 0) {
			fprintf(stderr, "ring attach: %s: %s\n",
				zeroipc_strerror(rc), zeroipc_last_error());
			return -1;
		}
	}
	/* The message template: numbers are written per message. */
	for (unsigned i = 0; i < BENCH_MAX_BATCH; i++)
		bench_fill(s->msg + i * b->c->size, b->c->size, 0);
	return 0;
}

static void ring_fail(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", what, zeroipc_strerror(rc),
		zeroipc_last_error());
	exit(3);
}

/* ---- one message per call, busy-polling ---- */

static unsigned send_single(struct bench_run *b, int chan, uint64_t seq,
			    unsigned n)
{
	struct ring_bench *s = b->state;
	int rc;

	(void)n;
	memcpy(s->msg, &seq, 8);
	while ((rc = zeroipc_ring_try_write(s->ring[chan], s->msg)) != 0)
		if (rc != ZEROIPC_EFULL)
			ring_fail("try_write", rc);
	return 1;
}

static unsigned recv_single(struct bench_run *b, int chan,
			    struct bench_check *k)
{
	struct ring_bench *s = b->state;
	unsigned char msg[BENCH_MAX_MSG];
	int rc;

	while ((rc = zeroipc_ring_try_read(msg, s->ring[chan])) != 0)
		if (rc != ZEROIPC_EEMPTY)
			ring_fail("try_read", rc);
	bench_seen(k, msg);
	return 1;
}

/* ---- blocking calls ---- */

static unsigned send_block(struct bench_run *b, int chan, uint64_t seq,
			   unsigned n)
{
	struct ring_bench *s = b->state;
	int rc;

	(void)n;
	memcpy(s->msg, &seq, 8);
	rc = zeroipc_ring_write(s->ring[chan], s->msg, ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		ring_fail("write", rc);
	return 1;
}

static unsigned recv_block(struct bench_run *b, int chan,
			   struct bench_check *k)
{
	struct ring_bench *s = b->state;
	unsigned char msg[BENCH_MAX_MSG];
	int rc;

	rc = zeroipc_ring_read(msg, s->ring[chan], ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		ring_fail("read", rc);
	bench_seen(k, msg);
	return 1;
}

/* ---- bulk: write_n / read_n ---- */

static unsigned send_bulk(struct bench_run *b, int chan, uint64_t seq,
			  unsigned n)
{
	struct ring_bench *s = b->state;
	unsigned size = b->c->size, done = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t v = seq + i;

		memcpy(s->msg + i * size, &v, 8);
	}
	while (done < n) {
		uint64_t k;
		int rc = zeroipc_ring_write_n(&k, s->ring[chan],
					      s->msg + done * size, n - done,
					      0);

		if (rc == 0)
			done += (unsigned)k;
		else if (rc != ZEROIPC_EFULL)
			ring_fail("write_n", rc);
	}
	return n;
}

static unsigned recv_bulk(struct bench_run *b, int chan,
			  struct bench_check *k)
{
	struct ring_bench *s = b->state;
	unsigned size = b->c->size;
	uint64_t n;
	int rc;

	while ((rc = zeroipc_ring_read_n(&n, s->msg, s->ring[chan],
					 BENCH_MAX_BATCH, 0)) != 0)
		if (rc != ZEROIPC_EEMPTY)
			ring_fail("read_n", rc);
	for (uint64_t i = 0; i < n; i++)
		if (bench_seen(k, s->msg + i * size))
			break;
	return (unsigned)n;
}

/* ---- zero copy: reserve/commit, peek/release ---- */

static unsigned send_zc(struct bench_run *b, int chan, uint64_t seq,
			unsigned n)
{
	struct ring_bench *s = b->state;
	unsigned size = b->c->size;
	unsigned char *region;
	uint64_t got;
	int rc;

	while ((rc = zeroipc_ring_reserve((void **)&region, &got,
					  s->ring[chan], n, 0)) != 0)
		if (rc != ZEROIPC_EFULL)
			ring_fail("reserve", rc);
	/* Whole messages are written in place, as a real producer would:
	 * the template, then the number (constant sizes: plain moves). */
	if (size == 64) {
		for (uint64_t i = 0; i < got; i++) {
			uint64_t v = seq + i;

			memcpy(region + i * 64, s->msg, 64);
			memcpy(region + i * 64, &v, 8);
		}
	} else {
		for (uint64_t i = 0; i < got; i++) {
			uint64_t v = seq + i;

			memcpy(region + i * size, &v, 8);
		}
	}
	rc = zeroipc_ring_commit(s->ring[chan], got);
	if (rc != 0)
		ring_fail("commit", rc);
	return (unsigned)got;
}

static unsigned recv_zc(struct bench_run *b, int chan, struct bench_check *k)
{
	struct ring_bench *s = b->state;
	unsigned size = b->c->size;
	const unsigned char *region;
	uint64_t n;
	int rc;

	while ((rc = zeroipc_ring_peek((const void **)&region, &n,
				       s->ring[chan], BENCH_MAX_BATCH, 0)) != 0)
		if (rc != ZEROIPC_EEMPTY)
			ring_fail("peek", rc);
	for (uint64_t i = 0; i < n; i++)
		if (bench_seen(k, region + i * size))
			break;
	rc = zeroipc_ring_release(s->ring[chan], n);
	if (rc != 0)
		ring_fail("release", rc);
	return (unsigned)n;
}

static void ring_detach(struct bench_run *b)
{
	struct ring_bench *s = b->state;

	for (int c = 0; c < 2; c++) {
		zeroipc_ring_close(s->ring[c]);
		s->ring[c] = NULL;
	}
}

static void ring_cleanup(struct bench_run *b)
{
	struct ring_bench *s = b->state;

	zeroipc_memory_close(s->mem);
	free(s);
	b->state = NULL;
}

#define RING_CASE(name, kind, size, batch, ref, send, recv)                    \
	{ name, kind, size, batch, ref, ring_setup, ring_attach, send, recv,   \
	  ring_detach, ring_cleanup }

static const struct bench_case cases[] = {
	RING_CASE("ring_spsc_8b", BENCH_TPUT, 8, 1, "ring", send_single,
		  recv_single),
	RING_CASE("ring_spsc_64b", BENCH_TPUT, 64, 1, "ring", send_single,
		  recv_single),
	RING_CASE("ring_bulk_8b", BENCH_TPUT, 8, 32, "batch", send_bulk,
		  recv_bulk),
	RING_CASE("ring_bulk_64b", BENCH_TPUT, 64, 32, "batch", send_bulk,
		  recv_bulk),
	RING_CASE("ring_zc_8b", BENCH_TPUT, 8, 32, "batch", send_zc, recv_zc),
	RING_CASE("ring_zc_64b", BENCH_TPUT, 64, 32, "batch", send_zc,
		  recv_zc),
	RING_CASE("ring_rtt", BENCH_RTT, 8, 1, "ring", send_single,
		  recv_single),
	RING_CASE("ring_rtt_block", BENCH_RTT, 8, 1, "ring", send_block,
		  recv_block),
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
