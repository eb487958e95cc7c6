/* SPDX-License-Identifier: MIT */
/*
 * bench_common.h - the two-process driver every C benchmark uses.
 *
 * A benchmark file fills a table of struct bench_case and calls
 * bench_main().  The driver speaks the protocol bench/run expects (see
 * bench/README.md): `--list` prints the case names, `--case NAME [--quick]`
 * runs one round of one case and prints RESULT lines.
 *
 * A round forks once.  The parent is the producer (throughput) or the
 * pinger (round trip), pinned to CPU 0; the child is the consumer or echoer,
 * pinned to CPU 1.  Both attach to the structures, then start together on a
 * barrier in shared memory.  Every message carries a 64-bit sequence number
 * in its first 8 bytes; the consumer checks it, so a case that loses,
 * repeats or reorders a message fails instead of reporting a number.
 *
 * The zeroipc section holds what the zeroipc cases of every family share:
 * the segment both processes use, its channels, and their messages.
 *
 * The last section is a second driver, for structures that are not
 * channels (Map, Set, Pool): workload cases that run for a fixed time in
 * one process or in two at once and report operations per second
 * (bench_work_main()).
 *
 * Header-only, for benchmark programs only (not installed, not part of the
 * library).  The entry points of each driver are static inline: a program
 * uses one of the two, and must compile without warnings about the other.
 */
#ifndef ZEROIPC_BENCH_COMMON_H
#define ZEROIPC_BENCH_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zeroipc.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#endif

/* Sequence number that ends a run. */
#define BENCH_END UINT64_MAX
/* Largest message and largest batch a case may use. */
#define BENCH_MAX_MSG 64
#define BENCH_MAX_BATCH 256
#define BENCH_RTT_WARMUP 2000
#define BENCH_RTT_MAX 200000

enum bench_kind { BENCH_TPUT, BENCH_RTT };

/* Channel 0 carries producer -> consumer (and pings); 1 carries echoes. */
enum { BENCH_FWD = 0, BENCH_BACK = 1 };

/* Role of a process in a round. */
enum { BENCH_PARENT = 0, BENCH_CHILD = 1 };

/*
 * Receiver-side bookkeeping: the next sequence number expected (one past
 * the last number seen, which is what an echoer sends back) and errors.
 */
struct bench_check {
	uint64_t expect;
	uint64_t bad;
	bool done; /* the end marker arrived */
};

struct bench_case;

/* One round's state, passed to every callback. */
struct bench_run {
	const struct bench_case *c;
	void *state;     /* the case's own, set by setup() */
	unsigned batch;  /* messages per send() call the producer asks for */
	double seconds;  /* how long the producer sends (tput) */
	int role;        /* BENCH_PARENT or BENCH_CHILD, after the fork */
};

struct bench_case {
	const char *name; /* unique, [a-z0-9_], starts with the family */
	enum bench_kind kind;
	unsigned size;    /* message bytes: 8..BENCH_MAX_MSG */
	unsigned batch;   /* producer batch (1 = one message per call) */
	const char *ref;  /* "ring", "batch" or "none" (see README.md) */
	/* Parent, before the fork: create the structures. */
	int (*setup)(struct bench_run *b);
	/* Each process after the fork: open its side(s). */
	int (*attach)(struct bench_run *b);
	/*
	 * Send the messages numbered seq, seq+1, ... (at most `n`, at least
	 * one), busy-waiting while there is no room; return how many went.
	 * Each message is `size` bytes with its number in the first 8.
	 */
	unsigned (*send)(struct bench_run *b, int chan, uint64_t seq,
			 unsigned n);
	/*
	 * Receive at least one message, busy-waiting until there is one, and
	 * pass each to bench_seen() in order; return how many.
	 */
	unsigned (*recv)(struct bench_run *b, int chan, struct bench_check *k);
	/* Each process before it exits; then the parent alone. */
	void (*detach)(struct bench_run *b);
	void (*cleanup)(struct bench_run *b);
};

/* ---------------------------------------------------------- utilities */

static inline void bench_die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static inline double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Timestamps for single round trips: the TSC where there is one. */
static inline uint64_t bench_ticks_start(void)
{
#ifdef BENCH_HAVE_TSC
	uint64_t t = __rdtsc();

	_mm_lfence(); /* no later instruction starts before the read */
	return t;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static inline uint64_t bench_ticks_end(void)
{
#ifdef BENCH_HAVE_TSC
	_mm_lfence(); /* every earlier instruction finished first */
	return __rdtsc();
#else
	return bench_ticks_start();
#endif
}

/* Ticks per nanosecond, measured against CLOCK_MONOTONIC over 50 ms. */
static inline double bench_ticks_per_ns(void)
{
#ifdef BENCH_HAVE_TSC
	double t0 = bench_now(), t1;
	uint64_t c0 = __rdtsc(), c1;

	do
		t1 = bench_now();
	while (t1 - t0 < 0.05);
	c1 = __rdtsc();
	return (double)(c1 - c0) / ((t1 - t0) * 1e9);
#else
	return 1.0;
#endif
}

static inline void bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* A machine with one CPU still runs; the numbers just mean less. */
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "bench: cannot pin to CPU %d: %s\n", cpu,
			strerror(errno));
}

static inline void bench_spin_hint(void)
{
#ifdef BENCH_HAVE_TSC
	_mm_pause();
#endif
}

/* Fill a message: its number first, a fixed pattern after it. */
static inline void bench_fill(unsigned char *msg, unsigned size, uint64_t seq)
{
	memcpy(msg, &seq, 8);
	if (size > 8)
		memset(msg + 8, 0x5a, size - 8);
}

/*
 * The per-message helpers below take the message size as an argument and
 * are always inlined; callers pass a constant (bench_by_size()), so that,
 * as in the reference ring's driver, the stride is a constant and the
 * copies are plain moves.
 */
#define BENCH_INLINE static inline __attribute__((always_inline))

/* Number a batch: messages seq, seq+1, ... in the first n of `msg`. */
BENCH_INLINE void bench_number(unsigned char *msg, uint64_t seq, unsigned n,
			       unsigned size)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = seq + i;

		memcpy(msg + i * size, &v, 8);
	}
}

/*
 * Account for one received message.  Returns true for the end marker.
 * Inline and branch-light: it runs once per message on the consumer.
 */
BENCH_INLINE bool bench_seen(struct bench_check *k, const void *msg)
{
	uint64_t s;

	memcpy(&s, msg, 8);
	if (s == BENCH_END) {
		k->done = true;
		return true;
	}
	k->bad += (s != k->expect);
	k->expect = s + 1;
	return false;
}

/*
 * bench_seen() for each of n received messages, up to the end marker.
 * The counters live in locals for the loop: through `k` (which the
 * compiler must assume the messages may alias) every message would store
 * them to memory and load them back, more work per message than the
 * reference ring's consumer does.
 */
BENCH_INLINE void bench_seen_n(struct bench_check *k,
			       const unsigned char *msg, uint64_t n,
			       unsigned size)
{
	uint64_t expect = k->expect, bad = k->bad, s;

	for (uint64_t i = 0; i < n; i++) {
		memcpy(&s, msg + i * size, 8);
		if (s == BENCH_END) {
			k->done = true;
			break;
		}
		bad += (s != expect);
		expect = s + 1;
	}
	k->expect = expect;
	k->bad = bad;
}

/*
 * Call `fn(args..., size)` (bench_number(), bench_seen_n(), ...) with the
 * message size as a constant where it is one the cases use.
 */
#define bench_by_size(size, fn, ...)                                           \
	((size) == 8	? fn(__VA_ARGS__, 8)                                   \
	 : (size) == 64 ? fn(__VA_ARGS__, 64)                                  \
			: fn(__VA_ARGS__, (size)))

/* ---------------------------------------------------------- the driver */

/* Shared between the two processes of a round (anonymous mapping). */
struct bench_ctl {
	int ready __attribute__((aligned(128))); /* child attached */
	int go __attribute__((aligned(128)));    /* start */
	int failed __attribute__((aligned(128)));
	uint64_t count;  /* messages received (tput) */
	uint64_t bad;    /* sequence errors seen by the child */
	double seconds;  /* child's time from start to end marker */
};

static inline void bench_flag_set(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline int bench_flag_get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench_producer(struct bench_run *b)
{
	const struct bench_case *c = b->c;
	double t0 = bench_now();
	uint64_t seq = 0;

	for (;;) {
		/* Check the clock only every few thousand messages. */
		uint64_t stop = seq + 4096;

		while (seq < stop)
			seq += c->send(b, BENCH_FWD, seq, b->batch);
		if (bench_now() - t0 >= b->seconds)
			break;
	}
	c->send(b, BENCH_FWD, BENCH_END, 1);
}

static void bench_consumer(struct bench_run *b, struct bench_ctl *ctl)
{
	struct bench_check k = { 0, 0, false };
	double t0 = bench_now();

	while (!k.done)
		b->c->recv(b, BENCH_FWD, &k);
	ctl->seconds = bench_now() - t0;
	ctl->count = k.expect;
	ctl->bad = k.bad;
}

static void bench_echoer(struct bench_run *b, struct bench_ctl *ctl)
{
	struct bench_check k = { 0, 0, false };

	for (;;) {
		b->c->recv(b, BENCH_FWD, &k);
		if (k.done)
			break;
		b->c->send(b, BENCH_BACK, k.expect - 1, 1);
	}
	ctl->bad = k.bad;
}

/* Returns the number of timed round trips in samples[]. */
static size_t bench_pinger(struct bench_run *b, uint64_t *samples,
			   double tpn, uint64_t *bad)
{
	const struct bench_case *c = b->c;
	struct bench_check back = { 0, 0, false };
	uint64_t seq, budget, start;
	size_t n = 0;

	for (seq = 0; seq < BENCH_RTT_WARMUP; seq++) {
		c->send(b, BENCH_FWD, seq, 1);
		c->recv(b, BENCH_BACK, &back);
	}
	budget = (uint64_t)(b->seconds * 1e9 * tpn);
	start = bench_ticks_start();
	while (n < BENCH_RTT_MAX) {
		uint64_t t = bench_ticks_start(), e;

		c->send(b, BENCH_FWD, seq, 1);
		c->recv(b, BENCH_BACK, &back);
		e = bench_ticks_end();
		samples[n++] = e - t;
		seq++;
		if (e - start > budget)
			break;
	}
	c->send(b, BENCH_FWD, BENCH_END, 1);
	*bad = back.bad;
	return n;
}

static int bench_run_case(const struct bench_case *c, bool quick)
{
	struct bench_run b = { c, NULL, c->batch ? c->batch : 1, 0, 0 };
	struct bench_ctl *ctl;
	uint64_t *samples = NULL, bad = 0;
	double tpn = bench_ticks_per_ns(), t0;
	size_t n = 0;
	int status = 0;
	pid_t pid;

	b.seconds = c->kind == BENCH_TPUT ? (quick ? 0.15 : 0.4)
					  : (quick ? 0.3 : 1.0);
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		bench_die("mmap");
	memset(ctl, 0, sizeof(*ctl));
	if (c->setup(&b) != 0) {
		fprintf(stderr, "bench: %s: setup failed\n", c->name);
		return 2;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		bench_die("fork");
	if (pid == 0) {
		b.role = BENCH_CHILD;
		bench_pin(1);
		if (c->attach(&b) != 0) {
			bench_flag_set(&ctl->failed, 1);
			_exit(1);
		}
		bench_flag_set(&ctl->ready, 1);
		while (!bench_flag_get(&ctl->go))
			bench_spin_hint();
		if (c->kind == BENCH_TPUT)
			bench_consumer(&b, ctl);
		else
			bench_echoer(&b, ctl);
		c->detach(&b);
		_exit(0);
	}
	b.role = BENCH_PARENT;
	bench_pin(0);
	if (c->attach(&b) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		c->cleanup(&b);
		fprintf(stderr, "bench: %s: attach failed\n", c->name);
		return 2;
	}
	/* Barrier: the child announces itself, the parent opens the gate. */
	t0 = bench_now();
	while (!bench_flag_get(&ctl->ready)) {
		if (bench_flag_get(&ctl->failed) || bench_now() - t0 > 30 ||
		    waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "bench: %s: child failed to attach\n",
				c->name);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			c->cleanup(&b);
			return 2;
		}
		sched_yield();
	}
	if (c->kind == BENCH_RTT) {
		samples = malloc(sizeof(*samples) * BENCH_RTT_MAX);
		if (samples == NULL)
			bench_die("malloc");
	}
	bench_flag_set(&ctl->go, 1);
	if (c->kind == BENCH_TPUT)
		bench_producer(&b);
	else
		n = bench_pinger(&b, samples, tpn, &bad);
	if (waitpid(pid, &status, 0) != pid)
		bench_die("waitpid");
	c->detach(&b);
	c->cleanup(&b);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s: child failed (status 0x%x)\n",
			c->name, status);
		free(samples);
		return 2;
	}
	bad += ctl->bad;
	if (c->kind == BENCH_TPUT) {
		printf("RESULT case=%s metric=tput unit=Mmsg/s value=%.3f "
		       "size=%u ref=%s n=%llu bad=%llu\n", c->name,
		       (double)ctl->count / ctl->seconds / 1e6, c->size,
		       c->ref, (unsigned long long)ctl->count,
		       (unsigned long long)bad);
	} else {
		qsort(samples, n, sizeof(*samples), bench_cmp_u64);
		printf("RESULT case=%s metric=rtt_median unit=ns value=%.1f "
		       "size=%u ref=%s n=%zu bad=%llu\n", c->name,
		       (double)samples[n / 2] / tpn, c->size, c->ref, n,
		       (unsigned long long)bad);
		printf("RESULT case=%s metric=rtt_p99 unit=ns value=%.1f "
		       "size=%u ref=%s n=%zu bad=%llu\n", c->name,
		       (double)samples[(size_t)((double)(n - 1) * 0.99)] / tpn,
		       c->size, c->ref, n, (unsigned long long)bad);
	}
	free(samples);
	munmap(ctl, sizeof(*ctl));
	if (bad != 0) {
		fprintf(stderr, "bench: %s: %llu sequence errors\n", c->name,
			(unsigned long long)bad);
		return 4;
	}
	return 0;
}

static void bench_usage(const char *prog)
{
	fprintf(stderr, "usage: %s --list | --case NAME [--quick]\n", prog);
	exit(1);
}

/*
 * The command line every benchmark program takes, over a table of `n`
 * cases of `stride` bytes each, each starting with its name (struct
 * bench_case, struct bench_wcase): --list prints the names and gives -1;
 * --case NAME [--quick] gives NAME's index and sets *quick.  Anything else,
 * or an unknown name, exits with a message.
 */
static inline long bench_pick(int argc, char **argv, const void *cases,
			      size_t stride, size_t n, bool *quick)
{
	const char *name = NULL;
	bool list = false;

#define BENCH_NAME_AT(i)                                                       \
	(*(const char *const *)(const void *)((const char *)cases +            \
					      (i) * stride))
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0)
			list = true;
		else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--quick") == 0)
			*quick = true;
		else
			bench_usage(argv[0]);
	}
	if (list) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", BENCH_NAME_AT(i));
		return -1;
	}
	if (name == NULL)
		bench_usage(argv[0]);
	for (size_t i = 0; i < n; i++)
		if (strcmp(BENCH_NAME_AT(i), name) == 0)
			return (long)i;
#undef BENCH_NAME_AT
	fprintf(stderr, "bench: no case '%s'\n", name);
	exit(1);
}

static inline int bench_main(int argc, char **argv,
			     const struct bench_case *cases, size_t ncases)
{
	bool quick = false;
	long i = bench_pick(argc, argv, cases, sizeof(cases[0]), ncases,
			    &quick);

	return i < 0 ? 0 : bench_run_case(&cases[i], quick);
}

/* ---------------------------------------------------------- zeroipc cases */

/*
 * What every zeroipc case keeps in b->state, as the first member of its own
 * state: the segment (created before the fork, so the child inherits the
 * mapping) and this process's message buffer.
 */
struct bench_zstate {
	char shm[64];
	zeroipc_memory *mem;
	unsigned char msg[BENCH_MAX_BATCH * BENCH_MAX_MSG];
};

/* Structure names of the channels (BENCH_FWD, BENCH_BACK). */
static inline const char *bench_chan_name(int chan)
{
	return chan == BENCH_FWD ? "fwd" : "back";
}

/* Channels a round uses: one for throughput, ping and echo for RTT. */
static inline int bench_chans(const struct bench_run *b)
{
	return b->c->kind == BENCH_RTT ? 2 : 1;
}

/* Whether this process sends on `chan`: fwd the parent, back the child. */
static inline bool bench_sends(const struct bench_run *b, int chan)
{
	return (chan == BENCH_FWD) == (b->role == BENCH_PARENT);
}

/* A zeroipc call failed mid-round: say which and why, fail the round. */
static inline void bench_zfail(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", what, zeroipc_strerror(rc),
		zeroipc_last_error());
	exit(3);
}

/*
 * setup() of a zeroipc case: `state_size` bytes of state (starting with a
 * struct bench_zstate), a 4 MiB segment, and create_chan(b, chan) for
 * each channel (it creates the structure and closes its handle).
 */
static inline int bench_zsetup(struct bench_run *b, size_t state_size,
			       const char *family,
			       int (*create_chan)(struct bench_run *b,
						  int chan))
{
	struct bench_zstate *s = calloc(1, state_size);
	int rc;

	if (s == NULL)
		return -1;
	b->state = s;
	snprintf(s->shm, sizeof(s->shm), "/zb-%s-%d", family, (int)getpid());
	(void)zeroipc_memory_unlink(s->shm);
	rc = zeroipc_memory_create(&s->mem, s->shm, (uint64_t)4 << 20, NULL);
	if (rc != 0)
		goto fail;
	/* The mapping is inherited by the child: the name is not needed
	 * again, and unlinking now leaves nothing behind if a run dies. */
	(void)zeroipc_memory_unlink(s->shm);
	for (int c = 0; c < bench_chans(b); c++) {
		rc = create_chan(b, c);
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "%s setup: %s: %s\n", family, zeroipc_strerror(rc),
		zeroipc_last_error());
	return -1;
}

/*
 * attach() of a zeroipc case: open_chan(b, chan, sends) for each channel,
 * as its sending or its receiving side, then the message template.
 */
static inline int bench_zattach(struct bench_run *b, const char *family,
				int (*open_chan)(struct bench_run *b, int chan,
						 bool sends))
{
	struct bench_zstate *s = b->state;

	for (int c = 0; c < bench_chans(b); c++) {
		int rc = open_chan(b, c, bench_sends(b, c));

		if (rc != 0) {
			fprintf(stderr, "%s attach: %s: %s\n", family,
				zeroipc_strerror(rc), zeroipc_last_error());
			return -1;
		}
	}
	/* The message template: numbers are written per message. */
	for (unsigned i = 0; i < BENCH_MAX_BATCH; i++)
		bench_fill(s->msg + i * b->c->size, b->c->size, 0);
	return 0;
}

/* cleanup() of a zeroipc case, after its detach() closed the handles. */
static inline void bench_zcleanup(struct bench_run *b)
{
	struct bench_zstate *s = b->state;

	zeroipc_memory_close(s->mem);
	free(s);
	b->state = NULL;
}

/* ---------------------------------------------------------- workload cases */

/*
 * The second kind of case, for structures that are not channels (Map,
 * Set, Pool): a workload that runs for a fixed time, in one process (the
 * parent, on CPU 0) or in two at once (the parent on CPU 0, a forked child
 * on CPU 1, started together on the same kind of barrier), and reports
 * operations per second for each of up to BENCH_WMETRICS metrics (insert,
 * find_hit, ...), summed over the processes.  A program of such cases
 * calls bench_work_main() instead of bench_main(); the protocol towards
 * bench/run is the same.
 */
#define BENCH_WMETRICS 4

struct bench_wcase;

/* One round of a workload case, in one process. */
struct bench_wrun {
	const struct bench_wcase *c;
	void *state;                  /* the case's own, set by setup() */
	double seconds;               /* time budget of work() */
	int role;                     /* BENCH_PARENT or BENCH_CHILD */
	uint64_t ops[BENCH_WMETRICS]; /* work(): operations per metric */
	double secs[BENCH_WMETRICS];  /* work(): time they took */
	uint64_t bad;                 /* work(), check(): errors found */
};

struct bench_wcase {
	const char *name;  /* unique, [a-z0-9_], starts with the family */
	unsigned procs;    /* 1 or 2 processes */
	const char *unit;  /* of ops / 1e6 per second: "Mops/s", ... */
	/* "none", or "case:NAME": compare with our case NAME (README.md) */
	const char *ref;
	const char *metrics[BENCH_WMETRICS]; /* names; unused ones NULL */
	/* Parent, before the fork: create the structures. */
	int (*setup)(struct bench_wrun *b);
	/* Each process after the fork (or the parent alone): open them. */
	int (*attach)(struct bench_wrun *b);
	/* Each process, from the barrier on: run for b->seconds. */
	void (*work)(struct bench_wrun *b);
	/* Parent, after every process finished: check the result at rest,
	 * adding errors to b->bad (may be NULL). */
	void (*check)(struct bench_wrun *b);
	/* Each process before it exits; then the parent alone. */
	void (*detach)(struct bench_wrun *b);
	void (*cleanup)(struct bench_wrun *b);
};

/* What the child reports to the parent (anonymous shared mapping). */
struct bench_wctl {
	int ready __attribute__((aligned(128)));
	int go __attribute__((aligned(128)));
	int failed __attribute__((aligned(128)));
	uint64_t ops[BENCH_WMETRICS];
	double secs[BENCH_WMETRICS];
	uint64_t bad;
};

static int bench_run_wcase(const struct bench_wcase *c, bool quick)
{
	struct bench_wrun b;
	struct bench_wctl *ctl;
	uint64_t bad;
	double t0;
	int status = 0;
	pid_t pid = -1;

	memset(&b, 0, sizeof(b));
	b.c = c;
	b.seconds = quick ? 0.15 : 0.4;
	ctl = mmap(NULL, sizeof(*ctl), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED)
		bench_die("mmap");
	memset(ctl, 0, sizeof(*ctl));
	if (c->setup(&b) != 0) {
		fprintf(stderr, "bench: %s: setup failed\n", c->name);
		return 2;
	}
	fflush(NULL);
	if (c->procs > 1) {
		pid = fork();
		if (pid < 0)
			bench_die("fork");
	}
	if (pid == 0) {
		b.role = BENCH_CHILD;
		bench_pin(1);
		if (c->attach(&b) != 0) {
			bench_flag_set(&ctl->failed, 1);
			_exit(1);
		}
		bench_flag_set(&ctl->ready, 1);
		while (!bench_flag_get(&ctl->go))
			bench_spin_hint();
		c->work(&b);
		memcpy(ctl->ops, b.ops, sizeof(b.ops));
		memcpy(ctl->secs, b.secs, sizeof(b.secs));
		ctl->bad = b.bad;
		c->detach(&b);
		_exit(0);
	}
	b.role = BENCH_PARENT;
	bench_pin(0);
	if (c->attach(&b) != 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		c->cleanup(&b);
		fprintf(stderr, "bench: %s: attach failed\n", c->name);
		return 2;
	}
	t0 = bench_now();
	while (pid > 0 && !bench_flag_get(&ctl->ready)) {
		if (bench_flag_get(&ctl->failed) || bench_now() - t0 > 30 ||
		    waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "bench: %s: child failed to attach\n",
				c->name);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			c->cleanup(&b);
			return 2;
		}
		sched_yield();
	}
	bench_flag_set(&ctl->go, 1);
	c->work(&b);
	if (pid > 0) {
		if (waitpid(pid, &status, 0) != pid)
			bench_die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "bench: %s: child failed (status "
				"0x%x)\n", c->name, status);
			c->detach(&b);
			c->cleanup(&b);
			return 2;
		}
	}
	/* Checked before the parent's handles close: check() uses them. */
	if (c->check != NULL)
		c->check(&b);
	c->detach(&b);
	c->cleanup(&b);
	bad = b.bad + ctl->bad;
	for (int m = 0; m < BENCH_WMETRICS && c->metrics[m] != NULL; m++) {
		double rate = 0;
		uint64_t n = b.ops[m] + ctl->ops[m];

		/* Each process's rate, summed: they ran at the same time. */
		if (b.secs[m] > 0)
			rate += (double)b.ops[m] / b.secs[m];
		if (ctl->secs[m] > 0)
			rate += (double)ctl->ops[m] / ctl->secs[m];
		printf("RESULT case=%s metric=%s unit=%s value=%.3f ref=%s "
		       "procs=%u n=%llu bad=%llu\n", c->name, c->metrics[m],
		       c->unit, rate / 1e6, c->ref, c->procs,
		       (unsigned long long)n, (unsigned long long)bad);
	}
	munmap(ctl, sizeof(*ctl));
	if (bad != 0) {
		fprintf(stderr, "bench: %s: %llu errors\n", c->name,
			(unsigned long long)bad);
		return 4;
	}
	return 0;
}

static inline int bench_work_main(int argc, char **argv,
				  const struct bench_wcase *cases,
				  size_t ncases)
{
	bool quick = false;
	long i = bench_pick(argc, argv, cases, sizeof(cases[0]), ncases,
			    &quick);

	return i < 0 ? 0 : bench_run_wcase(&cases[i], quick);
}

/*
 * A zeroipc segment for a workload case: `state_size` bytes of state
 * starting with a struct bench_wzstate, and a segment of `bytes`, created
 * before the fork (the child inherits the mapping) and unlinked at once.
 */
struct bench_wzstate {
	char shm[64];
	zeroipc_memory *mem;
};

static inline int bench_wzsetup(struct bench_wrun *b, size_t state_size,
				const char *family, uint64_t bytes)
{
	struct bench_wzstate *s = calloc(1, state_size);
	int rc;

	if (s == NULL)
		return -1;
	b->state = s;
	snprintf(s->shm, sizeof(s->shm), "/zb-%s-%d", family, (int)getpid());
	(void)zeroipc_memory_unlink(s->shm);
	rc = zeroipc_memory_create(&s->mem, s->shm, bytes, NULL);
	(void)zeroipc_memory_unlink(s->shm);
	if (rc != 0) {
		fprintf(stderr, "%s setup: %s: %s\n", family,
			zeroipc_strerror(rc), zeroipc_last_error());
		free(s);
		b->state = NULL;
		return -1;
	}
	return 0;
}

/* cleanup() of a zeroipc workload case, after detach() closed handles. */
static inline void bench_wzcleanup(struct bench_wrun *b)
{
	struct bench_wzstate *s = b->state;

	if (s == NULL)
		return;
	zeroipc_memory_close(s->mem);
	free(s);
	b->state = NULL;
}

#endif /* ZEROIPC_BENCH_COMMON_H */
