/* SPDX-License-Identifier: MIT */
/*
 * bench_stack.c - cross-process benchmarks of zeroipc_stack.
 *
 * Cases (ratios in bench/run against the reference ring, one message per
 * call; a stack is not a FIFO, so these say what a stack costs when it is
 * used as a channel, not which one to pick):
 *   stack_{8,64}b  zeroipc_stack_try_push / try_pop, one message per call,
 *                  busy-polling, producer on CPU 0, consumer on CPU 1
 *   stack_rtt      ping-pong of 8 bytes over two stacks, busy-polling
 * Every stack holds 4096 elements, as the reference ring does.
 *
 * A stack hands elements back in no particular order once pushes and pops
 * overlap, so the throughput consumer does not check order: it marks each
 * sequence number in a bitmap (a number seen twice, or beyond what was
 * sent, is an error) and, at the end, compares how many it received with
 * how many the producer says it sent.  The end marker carries that count
 * (top bit set, count below), because a stack may deliver it before
 * messages pushed earlier: the consumer drains the stack after it.  In the
 * round trip only one message is ever in flight, so order holds and the
 * common sequence check applies.
 *
 * usage: bench_stack --list | --case NAME [--quick]
 */
#include <zeroipc.h>

#include "bench_common.h"

#define STACK_CAP 4096
/* End marker of a throughput run: this bit, and the count below it. */
#define STACK_END_BIT ((uint64_t)1 << 63)
/*
 * Bitmap of sequence numbers: 2^30 bits (128 MiB of address space, only
 * touched as far as numbers go: a 0.4 s run uses well under 1 MiB).
 */
#define STACK_MAP_BITS ((uint64_t)1 << 30)

struct stack_bench {
	struct bench_zstate z;   /* first: the driver's share */
	zeroipc_stack *st[2];    /* this process's handle per channel */
	uint64_t sent;           /* producer: messages pushed so far */
	uint64_t *seen;          /* consumer: bitmap of sequence numbers */
	uint64_t top;            /* consumer: largest number seen, plus 1 */
};

static int stack_create(struct bench_run *b, int chan)
{
	struct stack_bench *s = b->state;
	zeroipc_stack *st;
	int rc = zeroipc_stack_create(&st, s->z.mem, bench_chan_name(chan),
				      b->c->size, STACK_CAP);

	if (rc == 0)
		zeroipc_stack_close(st);
	return rc;
}

static int stack_setup(struct bench_run *b)
{
	return bench_zsetup(b, sizeof(struct stack_bench), "stack",
			    stack_create);
}

static int stack_open(struct bench_run *b, int chan, bool pushes)
{
	struct stack_bench *s = b->state;

	(void)pushes;
	return zeroipc_stack_open(&s->st[chan], s->z.mem,
				  bench_chan_name(chan), b->c->size);
}

static int stack_attach(struct bench_run *b)
{
	struct stack_bench *s = b->state;

	if (b->c->kind == BENCH_TPUT && b->role == BENCH_CHILD) {
		/* Reserve address space only; pages appear as bits are set. */
		s->seen = mmap(NULL, STACK_MAP_BITS / 8, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
			       0);
		if (s->seen == MAP_FAILED) {
			s->seen = NULL;
			perror("stack attach: mmap");
			return -1;
		}
	}
	return bench_zattach(b, "stack", stack_open);
}

/* Push one message, busy-polling while the stack is full. */
static void push_one(struct stack_bench *s, int chan, uint64_t v)
{
	int rc;

	memcpy(s->z.msg, &v, 8);
	while ((rc = zeroipc_stack_try_push(s->st[chan], s->z.msg)) != 0)
		if (rc != ZEROIPC_EFULL)
			bench_zfail("try_push", rc);
}

/* Pop one message into msg, busy-polling while the stack is empty. */
static void pop_one(struct stack_bench *s, int chan, unsigned char *msg)
{
	int rc;

	while ((rc = zeroipc_stack_try_pop(msg, s->st[chan])) != 0)
		if (rc != ZEROIPC_EEMPTY)
			bench_zfail("try_pop", rc);
}

/* ---- throughput: order-free check ---- */

static unsigned send_tput(struct bench_run *b, int chan, uint64_t seq,
			  unsigned n)
{
	struct stack_bench *s = b->state;

	(void)n;
	if (seq == BENCH_END) {
		push_one(s, chan, STACK_END_BIT | s->sent);
		return 1;
	}
	push_one(s, chan, seq);
	s->sent = seq + 1;
	return 1;
}

/* Mark one received sequence number; true if it was new and in range. */
static bool mark(struct stack_bench *s, uint64_t seq)
{
	uint64_t bit = (uint64_t)1 << (seq & 63);
	uint64_t *w;

	if (seq >= STACK_MAP_BITS)
		return false;
	w = &s->seen[seq >> 6];
	if (*w & bit)
		return false;
	*w |= bit;
	if (seq >= s->top)
		s->top = seq + 1;
	return true;
}

/*
 * k->expect counts the messages received (what the driver reports as the
 * count), k->bad the numbers seen twice or never sent, and, at the end,
 * the difference between the count received and the count sent.
 */
static unsigned recv_tput(struct bench_run *b, int chan,
			  struct bench_check *k)
{
	struct stack_bench *s = b->state;
	unsigned char msg[BENCH_MAX_MSG];
	uint64_t seq, sent, got = 0;
	int rc;

	pop_one(s, chan, msg);
	memcpy(&seq, msg, 8);
	if (!(seq & STACK_END_BIT)) {
		k->bad += !mark(s, seq);
		k->expect++;
		return 1;
	}
	/*
	 * The end marker: every earlier push has returned, so what is left
	 * is in the stack and nobody pushes any more.  Drain it.
	 */
	sent = seq & ~STACK_END_BIT;
	while ((rc = zeroipc_stack_try_pop(msg, s->st[chan])) == 0) {
		memcpy(&seq, msg, 8);
		k->bad += (seq & STACK_END_BIT) || !mark(s, seq);
		k->expect++;
		got++;
	}
	if (rc != ZEROIPC_EEMPTY)
		bench_zfail("try_pop", rc);
	/*
	 * No duplicates, nothing above the last number sent, and the right
	 * count: then nothing was lost either.
	 */
	if (s->top > sent) {
		fprintf(stderr, "stack: received number %llu, sent %llu\n",
			(unsigned long long)s->top - 1,
			(unsigned long long)sent);
		k->bad++;
	}
	if (k->expect != sent) {
		fprintf(stderr, "stack: received %llu of %llu messages\n",
			(unsigned long long)k->expect,
			(unsigned long long)sent);
		k->bad += k->expect > sent ? k->expect - sent
					   : sent - k->expect;
	}
	k->done = true;
	return (unsigned)(got + 1);
}

/* ---- round trip: one message in flight, ordinary sequence check ---- */

static unsigned send_rtt(struct bench_run *b, int chan, uint64_t seq,
			 unsigned n)
{
	(void)n;
	push_one(b->state, chan, seq);
	return 1;
}

static unsigned recv_rtt(struct bench_run *b, int chan, struct bench_check *k)
{
	unsigned char msg[BENCH_MAX_MSG];

	pop_one(b->state, chan, msg);
	bench_seen(k, msg);
	return 1;
}

static void stack_detach(struct bench_run *b)
{
	struct stack_bench *s = b->state;

	for (int c = 0; c < 2; c++) {
		zeroipc_stack_close(s->st[c]);
		s->st[c] = NULL;
	}
	if (s->seen != NULL) {
		munmap(s->seen, STACK_MAP_BITS / 8);
		s->seen = NULL;
	}
}

#define STACK_CASE(name, kind, size, send, recv)                               \
	{ name, kind, size, 1, "ring", stack_setup, stack_attach, send, recv,  \
	  stack_detach, bench_zcleanup }

static const struct bench_case cases[] = {
	STACK_CASE("stack_8b", BENCH_TPUT, 8, send_tput, recv_tput),
	STACK_CASE("stack_64b", BENCH_TPUT, 64, send_tput, recv_tput),
	STACK_CASE("stack_rtt", BENCH_RTT, 8, send_rtt, recv_rtt),
};

int main(int argc, char **argv)
{
	return bench_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
