/* SPDX-License-Identifier: MIT */
/*
 * stress_pool_deadpeer.c - processes that die inside allocate or free, or
 * while holding an object, or while waiting for one, leave the pool
 * consistent and usable: at most the one object they were moving is lost.
 *
 * Each case makes a fresh pool, lets a child die at a crash point
 * (SIGKILL, through ZEROIPC_CRASH_AT) or be killed, and then checks from
 * the parent: validate passes; exactly capacity - leaked objects can be
 * allocated, each once; a blocking allocate on the now exhausted pool
 * returns ZEROIPC_ETIMEOUT instead of hanging; everything freed comes back.
 * Needs a build with ZEROIPC_CRASH_POINTS; skips (77) otherwise.
 */
#include <inttypes.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define CAP 8

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s: %s:%d: check failed: %s (%s)\n",  \
				c->name, __FILE__, __LINE__, #cond,            \
				zeroipc_last_error());                         \
			return 1;                                              \
		}                                                              \
	} while (0)

enum action { DIE_IN_ALLOCATE, DIE_IN_FREE, DIE_HOLDING, DIE_WAITING };

struct dead_case {
	const char *name;
	const char *point; /* crash point, or NULL */
	enum action action;
	unsigned leaked;   /* objects the dead child takes with it */
};

static const struct dead_case cases[] = {
	{ "allocate dies before its CAS", "pool.allocate.before_cas",
	  DIE_IN_ALLOCATE, 0 },
	{ "allocate dies after popping", "pool.allocate.popped",
	  DIE_IN_ALLOCATE, 1 },
	{ "free dies after marking FREE", "pool.free.marked", DIE_IN_FREE, 1 },
	{ "free dies before its CAS", "pool.free.before_cas", DIE_IN_FREE, 1 },
	{ "holder dies", NULL, DIE_HOLDING, 1 },
	{ "waiter dies", NULL, DIE_WAITING, 0 },
};

struct child_arg {
	const char *seg;
	const struct dead_case *c;
	int ready_fd;
};

static int child(void *varg)
{
	struct child_arg *a = varg;
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	uint64_t idx;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_pool_open(&pool, mem, "objs", 16) != 0)
		return 100;
	switch (a->c->action) {
	case DIE_IN_ALLOCATE:
		zt_crash_at(a->c->point, false);
		(void)zeroipc_pool_try_allocate(&idx, pool);
		return 101; /* not reached: the crash point kills us */
	case DIE_IN_FREE:
		if (zeroipc_pool_try_allocate(&idx, pool) != 0)
			return 102;
		zt_crash_at(a->c->point, false);
		(void)zeroipc_pool_free(pool, idx);
		return 103;
	case DIE_HOLDING:
		if (zeroipc_pool_try_allocate(&idx, pool) != 0)
			return 104;
		raise(SIGKILL);
		return 105;
	case DIE_WAITING:
		/* The parent filled the pool; it kills us once we announce. */
		if (write(a->ready_fd, "r", 1) != 1)
			return 106;
		(void)zeroipc_pool_allocate(&idx, pool, ZEROIPC_WAIT_FOREVER);
		return 107;
	}
	return 108;
}

static int run_case(const struct dead_case *c)
{
	struct child_arg arg;
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	uint64_t held[CAP], idx;
	unsigned char seen[CAP] = { 0 };
	unsigned got = 0;
	int fds[2] = { -1, -1 };
	char seg[128];
	pid_t pid;

	zt_name(seg, sizeof(seg), "pool-dead");
	CHECK(zeroipc_memory_create(&mem, seg, 1 << 16, NULL) == 0);
	CHECK(zeroipc_pool_create(&pool, mem, "objs", 16, CAP) == 0);
	arg.seg = seg;
	arg.c = c;
	if (c->action == DIE_WAITING) {
		for (unsigned i = 0; i < CAP; i++)
			CHECK(zeroipc_pool_try_allocate(&held[i], pool) == 0);
		CHECK(pipe(fds) == 0);
	}
	arg.ready_fd = fds[1];
	pid = zt_fork(child, &arg);
	if (c->action == DIE_WAITING) {
		char ch;

		close(fds[1]);
		CHECK(read(fds[0], &ch, 1) == 1);
		close(fds[0]);
		kill(pid, SIGKILL);
	}
	CHECK(zt_wait(pid) == 128 + SIGKILL);
	if (c->action == DIE_WAITING) {
		/* The dead waiter may leave the eventcount's waiters word
		 * raised; frees and allocations go on regardless. */
		for (unsigned i = 0; i < CAP; i++)
			CHECK(zeroipc_pool_free(pool, held[i]) == 0);
	}

	CHECK(zeroipc_pool_validate(mem, "objs") == 0);
	CHECK(zeroipc_pool_in_use(pool) <= c->leaked);
	for (;;) {
		int rc = zeroipc_pool_try_allocate(&idx, pool);

		if (rc == ZEROIPC_EFULL)
			break;
		CHECK(rc == 0);
		CHECK(idx < CAP && !seen[idx]);
		seen[idx] = 1;
		held[got++] = idx;
	}
	CHECK(got == CAP - c->leaked);
	CHECK(zeroipc_pool_validate(mem, "objs") == 0);
	/* Nobody will ever free the leaked object: a bounded wait ends. */
	CHECK(zeroipc_pool_allocate(&idx, pool, 20 * 1000000LL) ==
	      ZEROIPC_ETIMEOUT);
	for (unsigned i = 0; i < got; i++)
		CHECK(zeroipc_pool_free(pool, held[i]) == 0);
	CHECK(zeroipc_pool_in_use(pool) <= c->leaked);
	CHECK(zeroipc_pool_validate(mem, "objs") == 0);
	/* And once more: the survivors circulate normally. */
	for (unsigned i = 0; i < got; i++)
		CHECK(zeroipc_pool_try_allocate(&idx, pool) == 0);
	CHECK(zeroipc_pool_try_allocate(&idx, pool) == ZEROIPC_EFULL);
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	printf("%s: ok, %u object(s) leaked\n", c->name, c->leaked);
	return 0;
}

int main(void)
{
	int failed = 0;

	ZT_REQUIRE_CRASH_POINTS();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed |= run_case(&cases[i]);
	return failed;
}
