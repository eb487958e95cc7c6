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
	char shm[64];
	zeroipc_memory *mem;
	zeroipc_queue *q[2]; /* this process's handle per channel */
	unsigned char msg[BENCH_MAX_BATCH * BENCH_MAX_MSG];
};

static const char *chan_name(int chan)
{
	return chan == BENCH_FWD ? "fwd" : "back";
}

/* Cases whose name says "spsc" use single-mode handles. */
static bool single_mode(const struct bench_run *b)
{
	return strstr(b->c->name, "spsc") != NULL;
}

static void queue_fail(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", what, zeroipc_strerror(rc),
		zeroipc_last_error());
	exit(3);
}

static int queue_setup(struct bench_run *b)
{
	struct queue_bench *s = calloc(1, sizeof(*s));
	int chans = b->c->kind == BENCH_RTT ? 2 : 1;
	int rc;

	if (s == NULL)
		return -1;
	b->state = s;
	snprintf(s->shm, sizeof(s->shm), "/zb-queue-%d", (int)getpid());
	(void)zeroipc_memory_unlink(s->shm);
	rc = zeroipc_memory_create(&s->mem, s->shm, (uint64_t)4 << 20, NULL);
	if (rc != 0)
		goto fail;
	/* The child inherits the mapping; unlinking now leaves nothing
	 * behind if a run dies. */
	(void)zeroipc_memory_unlink(s->shm);
	for (int c = 0; c < chans; c++) {
		zeroipc_queue *q;

		rc = zeroipc_queue_create(&q, s->mem, chan_name(c),
					  b->c->size, QUEUE_CAP, NULL);
		if (rc != 0)
			goto fail;
		zeroipc_queue_close(q);
	}
	return 0;
fail:
	fprintf(stderr, "queue setup: %s: %s\n", zeroipc_strerror(rc),
		zeroipc_last_error());
	return -1;
}

static int queue_attach(struct bench_run *b)
{
	struct queue_bench *s = b->state;
	int chans = b->c->kind == BENCH_RTT ? 2 : 1;

	for (int c = 0; c < chans; c++) {
		zeroipc_queue_opts o = ZEROIPC_QUEUE_OPTS_INIT;
		/* fwd: the parent pushes; back: the child pushes. */
		bool pushes = (c == BENCH_FWD) == (b->role == BENCH_PARENT);
		int rc;

		if (single_mode(b))
			o.flags = pushes ? ZEROIPC_QUEUE_SINGLE_PRODUCER
					 : ZEROIPC_QUEUE_SINGLE_CONSUMER;
		rc = zeroipc_queue_open(&s->q[c], s->mem, chan_name(c),
					b->c->size, &o);
		if (rc != 0) {
			fprintf(stderr, "queue attach: %s: %s\n",
				zeroipc_strerror(rc), zeroipc_last_error());
			return -1;
		}
	}
	for (unsigned i = 0; i < BENCH_MAX_BATCH; i++)
		bench_fill(s->msg + i * b->c->size, b->c->size, 0);
	return 0;
}

/* ---- one message per call ---- */

static unsigned send_single(struct bench_run *b, int chan, uint64_t seq,
			    unsigned n)
{
	struct queue_bench *s = b->state;
	int rc;

	(void)n;
	memcpy(s->msg, &seq, 8);
	rc = zeroipc_queue_push(s->q[chan], s->msg, ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		queue_fail("push", rc);
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
		queue_fail("pop", rc);
	bench_seen(k, msg);
	return 1;
}

/* ---- batches: push_n / pop_n ---- */

static unsigned send_batch(struct bench_run *b, int chan, uint64_t seq,
			   unsigned n)
{
	struct queue_bench *s = b->state;
	unsigned size = b->c->size, done = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t v = seq + i;

		memcpy(s->msg + i * size, &v, 8);
	}
	while (done < n) {
		size_t k;
		int rc = zeroipc_queue_push_n(&k, s->q[chan],
					      s->msg + done * size, n - done,
					      ZEROIPC_WAIT_FOREVER);

		if (rc != 0)
			queue_fail("push_n", rc);
		done += (unsigned)k;
	}
	return n;
}

static unsigned recv_batch(struct bench_run *b, int chan,
			   struct bench_check *k)
{
	struct queue_bench *s = b->state;
	unsigned size = b->c->size;
	size_t n;
	int rc;

	rc = zeroipc_queue_pop_n(s->msg, &n, s->q[chan], BENCH_MAX_BATCH,
				 ZEROIPC_WAIT_FOREVER);
	if (rc != 0)
		queue_fail("pop_n", rc);
	for (size_t i = 0; i < n; i++)
		if (bench_seen(k, s->msg + i * size))
			break;
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

static void queue_cleanup(struct bench_run *b)
{
	struct queue_bench *s = b->state;

	zeroipc_memory_close(s->mem);
	free(s);
	b->state = NULL;
}

#define QUEUE_CASE(name, kind, size, batch, ref, send, recv)                   \
	{ name, kind, size, batch, ref, queue_setup, queue_attach, send,       \
	  recv, queue_detach, queue_cleanup }

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
