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
	struct bench_zstate z;  /* first: the driver's share */
	zeroipc_ring *ring[2]; /* this process's handle per channel */
};

static int ring_create(struct bench_run *b, int chan)
{
	struct ring_bench *s = b->state;
	zeroipc_ring *r;
	int rc = zeroipc_ring_create(&r, s->z.mem, bench_chan_name(chan),
				     b->c->size, RING_CAP, 0, NULL);

	if (rc == 0)
		zeroipc_ring_close(r);
	return rc;
}

static int ring_setup(struct bench_run *b)
{
	return bench_zsetup(b, sizeof(struct ring_bench), "ring", ring_create);
}

static int ring_open(struct bench_run *b, int chan, bool writes)
{
	struct ring_bench *s = b->state;

	return zeroipc_ring_open(&s->ring[chan], s->z.mem,
				 bench_chan_name(chan), b->c->size,
				 writes ? ZEROIPC_RING_PRODUCER
					: ZEROIPC_RING_CONSUMER,
				 NULL);
}

static int ring_attach(struct bench_run *b)
{
	return bench_zattach(b, "ring", ring_open);
}

/* ---- one message per call, busy-polling ---- */

static unsigned send_single(struct bench_run *b, int chan, uint64_t seq,
			    unsigned n)
{
	struct ring_bench *s = b->state;
	int rc;

	(void)n;
	memcpy(s->z.msg, &seq, 8);
	while ((rc = zeroipc_ring_try_write(s->ring[chan], s->z.msg)) != 0)
		if (rc != ZEROIPC_EFULL)
			bench_zfail("try_write", rc);
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
			bench_zfail("try_read", rc);
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
	memcpy(s->z.msg, &seq, 8);
	rc = zeroipc_ring_write(s->ring[chan], s->z.msg, ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		bench_zfail("write", rc);
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
		bench_zfail("read", rc);
	bench_seen(k, msg);
	return 1;
}

/* ---- bulk: write_n / read_n ---- */

static unsigned send_bulk(struct bench_run *b, int chan, uint64_t seq,
			  unsigned n)
{
	struct ring_bench *s = b->state;
	unsigned size = b->c->size, done = 0;

	bench_by_size(size, bench_number, s->z.msg, seq, n);
	while (done < n) {
		uint64_t k;
		int rc = zeroipc_ring_write_n(&k, s->ring[chan],
					      s->z.msg + done * size, n - done,
					      0);

		if (rc == 0)
			done += (unsigned)k;
		else if (rc != ZEROIPC_EFULL)
			bench_zfail("write_n", rc);
	}
	return n;
}

static unsigned recv_bulk(struct bench_run *b, int chan,
			  struct bench_check *k)
{
	struct ring_bench *s = b->state;
	uint64_t n;
	int rc;

	while ((rc = zeroipc_ring_read_n(&n, s->z.msg, s->ring[chan],
					 BENCH_MAX_BATCH, 0)) != 0)
		if (rc != ZEROIPC_EEMPTY)
			bench_zfail("read_n", rc);
	bench_by_size(b->c->size, bench_seen_n, k, s->z.msg, n);
	return (unsigned)n;
}

/* ---- zero copy: reserve/commit, peek/release ---- */

/*
 * Write whole messages in place, as a real producer would: the template
 * (what the reference ring copies from the caller's buffer), then the
 * number.
 */
BENCH_INLINE void fill_in_place(unsigned char *region,
				const unsigned char *tmpl, uint64_t seq,
				unsigned n, unsigned size)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = seq + i;

		if (size > 8)
			memcpy(region + i * size, tmpl, size);
		memcpy(region + i * size, &v, 8);
	}
}

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
			bench_zfail("reserve", rc);
	bench_by_size(size, fill_in_place, region, s->z.msg, seq,
		      (unsigned)got);
	rc = zeroipc_ring_commit(s->ring[chan], got);
	if (rc != 0)
		bench_zfail("commit", rc);
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
			bench_zfail("peek", rc);
	bench_by_size(size, bench_seen_n, k, region, n);
	rc = zeroipc_ring_release(s->ring[chan], n);
	if (rc != 0)
		bench_zfail("release", rc);
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

#define RING_CASE(name, kind, size, batch, ref, send, recv)                    \
	{ name, kind, size, batch, ref, ring_setup, ring_attach, send, recv,   \
	  ring_detach, bench_zcleanup }

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
