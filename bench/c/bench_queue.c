/* SPDX-License-Identifier: MIT */
/*
 * bench_queue.c - cross-process benchmarks of zeroipc_queue.
 *
 * Cases (ratios in bench/run: single-message cases against the reference
 * ring, batched ones against its batched mode):
 *   queue_mpmc_{8,64}b        push / pop, one message per call, default
 *                             (MPMC-safe) handles
 *   queue_batch_{8,64}b       push_n of 32 / pop_n of up to 256, default
 *                             handles: one CAS per run
 *   queue_spsc_{8,64}b        push / pop with single-producer and
 *                             single-consumer handles
 *   queue_spsc_batch_{8,64}b  push_n / pop_n with those handles
 *   queue_rtt                 ping-pong of 8 bytes over two queues,
 *                             default handles
 *   queue_rtt_spsc            the same with single-mode handles
 * push/pop are the blocking calls with no deadline: they spin briefly, then
 * sleep in the kernel (here they rarely get that far).  Every queue holds
 * 4096 elements, as the reference ring does.
 *
 * usage: bench_queue --list | --case NAME [--quick]
 */
#include <zeroipc.h>

#include "bench_common.h"

#define QUEUE_CAP 4096

struct queue_bench {
	struct bench_zstate z; /* first: the driver's share */
	zeroipc_queue *q[2];   /* this process's handle per channel */
};

/* Cases whose name says "spsc" use single-mode handles. */
static bool single_mode(const struct bench_run *b)
{
	return strstr(b->c->name, "spsc") != NULL;
}

static int queue_create(struct bench_run *b, int chan)
{
	struct queue_bench *s = b->state;
	zeroipc_queue *q;
	int rc = zeroipc_queue_create(&q, s->z.mem, bench_chan_name(chan),
				      b->c->size, QUEUE_CAP, NULL);

	if (rc == 0)
		zeroipc_queue_close(q);
	return rc;
}

static int queue_setup(struct bench_run *b)
{
	return bench_zsetup(b, sizeof(struct queue_bench), "queue",
			    queue_create);
}

static int queue_open(struct bench_run *b, int chan, bool pushes)
{
	struct queue_bench *s = b->state;
	zeroipc_queue_opts o = ZEROIPC_QUEUE_OPTS_INIT;

	if (single_mode(b))
		o.flags = pushes ? ZEROIPC_QUEUE_SINGLE_PRODUCER
				 : ZEROIPC_QUEUE_SINGLE_CONSUMER;
	return zeroipc_queue_open(&s->q[chan], s->z.mem, bench_chan_name(chan),
				  b->c->size, &o);
}

static int queue_attach(struct bench_run *b)
{
	return bench_zattach(b, "queue", queue_open);
}

/* ---- one message per call ---- */

static unsigned send_single(struct bench_run *b, int chan, uint64_t seq,
			    unsigned n)
{
	struct queue_bench *s = b->state;
	int rc;

	(void)n;
	memcpy(s->z.msg, &seq, 8);
	rc = zeroipc_queue_push(s->q[chan], s->z.msg, ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		bench_zfail("push", rc);
	return 1;
}

static unsigned recv_single(struct bench_run *b, int chan,
			    struct bench_check *k)
{
	struct queue_bench *s = b->state;
	unsigned char msg[BENCH_MAX_MSG];
	int rc;

	rc = zeroipc_queue_pop(msg, s->q[chan], ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		bench_zfail("pop", rc);
	bench_seen(k, msg);
	return 1;
}

/* ---- batches: push_n / pop_n ---- */

static unsigned send_batch(struct bench_run *b, int chan, uint64_t seq,
			   unsigned n)
{
	struct queue_bench *s = b->state;
	unsigned size = b->c->size, done = 0;

	bench_by_size(size, bench_number, s->z.msg, seq, n);
	while (done < n) {
		size_t k;
		int rc = zeroipc_queue_push_n(&k, s->q[chan],
					      s->z.msg + done * size, n - done,
					      ZEROIPC_WAIT_FOREVER);

		if (rc != 0)
			bench_zfail("push_n", rc);
		done += (unsigned)k;
	}
	return n;
}

static unsigned recv_batch(struct bench_run *b, int chan,
			   struct bench_check *k)
{
	struct queue_bench *s = b->state;
	size_t n;
	int rc;

	rc = zeroipc_queue_pop_n(s->z.msg, &n, s->q[chan], BENCH_MAX_BATCH,
				 ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		bench_zfail("pop_n", rc);
	bench_by_size(b->c->size, bench_seen_n, k, s->z.msg, n);
	return (unsigned)n;
}

static void queue_detach(struct bench_run *b)
{
	struct queue_bench *s = b->state;

	for (int c = 0; c < 2; c++) {
		zeroipc_queue_close(s->q[c]);
		s->q[c] = NULL;
	}
}

#define QUEUE_CASE(name, kind, size, batch, ref, send, recv)                   \
	{ name, kind, size, batch, ref, queue_setup, queue_attach, send,       \
	  recv, queue_detach, bench_zcleanup }

static const struct bench_case cases[] = {
	QUEUE_CASE("queue_mpmc_8b", BENCH_TPUT, 8, 1, "ring", send_single,
		   recv_single),
	QUEUE_CASE("queue_mpmc_64b", BENCH_TPUT, 64, 1, "ring", send_single,
		   recv_single),
	QUEUE_CASE("queue_batch_8b", BENCH_TPUT, 8, 32, "batch", send_batch,
		   recv_batch),
	QUEUE_CASE("queue_batch_64b", BENCH_TPUT, 64, 32, "batch", send_batch,
		   recv_batch),
	QUEUE_CASE("queue_spsc_8b", BENCH_TPUT, 8, 1, "ring", send_single,
		   recv_single),
	QUEUE_CASE("queue_spsc_64b", BENCH_TPUT, 64, 1, "ring", send_single,
		   recv_single),
	QUEUE_CASE("queue_spsc_batch_8b", BENCH_TPUT, 8, 32, "batch",
		   send_batch, recv_batch),
	QUEUE_CASE("queue_spsc_batch_64b", BENCH_TPUT, 64, 32, "batch",
		   send_batch, recv_batch),
	QUEUE_CASE("queue_rtt", BENCH_RTT, 8, 1, "ring", send_single,
		   recv_single),
	QUEUE_CASE("queue_rtt_spsc", BENCH_RTT, 8, 1, "ring", send_single,
		   recv_single),
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
