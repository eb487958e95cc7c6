/* SPDX-License-Identifier: MIT */
/*
 * interop.h - the C half of the protocol every interop scenario speaks.
 *
 * A scenario program is run as `c_side write NAME FIFO` or
 * `c_side read NAME FIFO`.  The writer creates segment NAME, then writes one
 * line to FIFO to say the segment exists, then goes on producing.  The
 * reader blocks on FIFO until that line arrives, opens NAME and checks every
 * value, following what is published while the writer still runs.  Exit
 * status 0 only if everything matched; any mismatch is printed and fails.
 * interop/common/interop.py is the Python half; keep the two in step.
 *
 * Header-only (every function static): each scenario is one .c file.
 */
#ifndef INTEROP_H
#define INTEROP_H

#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zeroipc.h>

/* How long a reader waits for data the writer has not published yet. */
#define IC_DEADLINE_S 30

/* Mismatches printed before the rest are only counted. */
#define IC_MAX_REPORTED 10

static const char *ic_prog = "c_side";
static unsigned long ic_mismatches;

static inline void ic_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
static inline void ic_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: FAIL: ", ic_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* A library call that must succeed. */
#define IC_OK(call)                                                            \
	do {                                                                   \
		int ic_rc_ = (call);                                           \
		if (ic_rc_ != 0)                                               \
			ic_die("%s:%d: %s: %s (%s)", __FILE__, __LINE__,       \
			       #call, zeroipc_status_name(ic_rc_),             \
			       zeroipc_last_error());                          \
	} while (0)

/* A library call that must fail with `status`. */
#define IC_FAILS(status, call)                                                 \
	do {                                                                   \
		int ic_rc_ = (call);                                           \
		if (ic_rc_ != (status))                                        \
			ic_die("%s:%d: %s returned %s, expected %s",           \
			       __FILE__, __LINE__, #call,                      \
			       zeroipc_status_name(ic_rc_),                    \
			       zeroipc_status_name(status));                   \
	} while (0)

/* Record one mismatch (the run fails at the end); returns 0 if `ok`. */
static inline int ic_expect(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline int ic_expect(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return 0;
	if (ic_mismatches++ < IC_MAX_REPORTED) {
		fprintf(stderr, "%s: mismatch: ", ic_prog);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	return 1;
}

/* Tell the reader that the segment exists. */
static inline void ic_signal_ready(const char *fifo)
{
	FILE *f = fopen(fifo, "w");

	if (f == NULL || fputs("ready\n", f) == EOF || fclose(f) != 0)
		ic_die("cannot signal on %s", fifo);
}

/* Block until the writer signalled that the segment exists. */
static inline void ic_wait_ready(const char *fifo)
{
	char line[16] = "";
	FILE *f = fopen(fifo, "r");

	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		ic_die("no ready signal on %s", fifo);
	fclose(f);
	if (strcmp(line, "ready\n") != 0)
		ic_die("unexpected signal on %s: %s", fifo, line);
}

static inline double ic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Wait until element 0 of the uint64 array `published` exceeds `seen`, and
 * return its value.  The atomic load pairs with the writer's atomic store
 * made after the data it covers.  Polls (yielding) under a deadline: this is
 * test code waiting on a plain array, not a library wait.
 */
static inline uint64_t ic_wait_published(zeroipc_array *published,
					 uint64_t seen)
{
	double end = ic_now() + IC_DEADLINE_S;
	uint64_t now;

	for (;;) {
		IC_OK(zeroipc_array_load_u64(&now, published, 0));
		if (now > seen)
			return now;
		if (ic_now() > end)
			ic_die("waited %d s for the writer to publish more than "
			       "%llu", IC_DEADLINE_S, (unsigned long long)seen);
		sched_yield();
	}
}

/* Dispatch `write NAME FIFO` / `read NAME FIFO`; the exit status of main. */
static inline int ic_main(int argc, char **argv,
		   void (*writer)(const char *name, const char *fifo),
		   void (*reader)(const char *name))
{
	if (argc != 4 || (strcmp(argv[1], "write") != 0 &&
			  strcmp(argv[1], "read") != 0)) {
		fprintf(stderr, "usage: %s write|read NAME FIFO\n", argv[0]);
		return 2;
	}
	ic_prog = argv[0];
	if (strcmp(argv[1], "write") == 0) {
		/* The writer calls ic_signal_ready(fifo) once NAME exists. */
		writer(argv[2], argv[3]);
		return 0;
	}
	ic_wait_ready(argv[3]);
	reader(argv[2]);
	if (ic_mismatches != 0) {
		fprintf(stderr, "%s: FAIL: %lu mismatched value(s)\n", ic_prog,
			ic_mismatches);
		return 1;
	}
	return 0;
}

#endif /* INTEROP_H */
