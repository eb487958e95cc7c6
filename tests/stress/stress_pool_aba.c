/* SPDX-License-Identifier: MIT */
/*
 * stress_pool_aba.c - the ABA interleaving on the free list, made to happen
 * deterministically with a stopping crash point.
 *
 * A child process starts an allocation and is stopped (SIGSTOP through
 * ZEROIPC_CRASH_ACTION=stop) between reading the head (object 0, whose link
 * says 1) and its compare-and-swap.  While it is stopped the parent
 * allocates 0 and 1 and frees 0 again: the head is object 0 once more, now
 * followed by 2.  A free list with an untagged head would let the child's
 * CAS succeed and install the stale link 1, an object the parent holds;
 * with the generation tag the CAS fails and the child retries.  The test
 * checks the child stopped twice (one failed CAS, one retry), got object 0,
 * and that the parent then gets exactly objects 2 and 3.
 *
 * The second scenario stops a child inside free, before its CAS, while the
 * parent changes the list: the child's push must retry and the list stay
 * whole.  Needs a build with ZEROIPC_CRASH_POINTS; skips (77) otherwise.
 */
#include <inttypes.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s (%s)\n",      \
				__FILE__, __LINE__, #cond,                     \
				zeroipc_last_error());                         \
			return 1;                                              \
		}                                                              \
	} while (0)

struct child_arg {
	const char *seg;
	const char *point;
	int64_t free_index; /* -1: allocate; else free this index */
};

/* Exits with the allocated index, 0 after a successful free, or 100+. */
static int child(void *varg)
{
	struct child_arg *a = varg;
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	uint64_t idx;
	int rc;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    zeroipc_pool_open(&pool, mem, "objs", 8) != 0)
		return 100;
	zt_crash_at(a->point, true);
	if (a->free_index < 0) {
		rc = zeroipc_pool_try_allocate(&idx, pool);
		return rc == 0 ? (int)idx : 100 - rc;
	}
	rc = zeroipc_pool_free(pool, (uint64_t)a->free_index);
	return rc == 0 ? 0 : 100 - rc;
}

/* Wait until the child stops; false if it exited instead. */
static bool wait_stopped(pid_t pid, int *exit_out)
{
	int status;

	while (waitpid(pid, &status, WUNTRACED) < 0)
		if (errno != EINTR)
			abort();
	if (WIFSTOPPED(status))
		return true;
	*exit_out = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
	return false;
}

/* Let the child run to its end, continuing every stop; count the stops. */
static int finish(pid_t pid, unsigned *stops)
{
	int code = -1;

	kill(pid, SIGCONT);
	while (wait_stopped(pid, &code)) {
		(*stops)++;
		kill(pid, SIGCONT);
	}
	return code;
}

static int aba_on_allocate(zeroipc_memory *mem, zeroipc_pool *pool,
			   const char *seg)
{
	struct child_arg arg = { seg, "pool.allocate.before_cas", -1 };
	uint64_t a, b, c, d, x;
	unsigned stops = 1;
	int code = -1;
	pid_t pid;

	pid = zt_fork(child, &arg);
	CHECK(wait_stopped(pid, &code)); /* holds head 0, link 1 */
	CHECK(zeroipc_pool_try_allocate(&a, pool) == 0 && a == 0);
	CHECK(zeroipc_pool_try_allocate(&b, pool) == 0 && b == 1);
	CHECK(zeroipc_pool_free(pool, 0) == 0); /* head 0 again, link 2 */
	code = finish(pid, &stops);
	CHECK(code == 0); /* the child got object 0 */
	CHECK(stops == 2); /* its first CAS failed on the tag */
	CHECK(zeroipc_pool_in_use(pool) == 2);
	CHECK(zeroipc_pool_validate(mem, "objs") == 0);
	CHECK(zeroipc_pool_try_allocate(&c, pool) == 0 && c == 2);
	CHECK(zeroipc_pool_try_allocate(&d, pool) == 0 && d == 3);
	CHECK(zeroipc_pool_try_allocate(&x, pool) == ZEROIPC_EFULL);
	for (uint64_t i = 0; i < 4; i++)
		CHECK(zeroipc_pool_free(pool, i) == 0);
	CHECK(zeroipc_pool_validate(mem, "objs") == 0);
	return 0;
}

static int retry_on_free(zeroipc_memory *mem, zeroipc_pool *pool,
			 const char *seg)
{
	struct child_arg arg = { seg, "pool.free.before_cas", 0 };
	uint64_t a, b, x;
	unsigned char seen[4] = { 0 };
	unsigned stops = 1;
	int code = -1;
	pid_t pid;

	/* List is 3 -> 2 -> 1 -> 0 after the previous scenario's frees. */
	CHECK(zeroipc_pool_try_allocate(&a, pool) == 0);
	CHECK(a == 3);
	/* The child frees object 3 and stops after linking it to head 2. */
	arg.free_index = 3;
	pid = zt_fork(child, &arg);
	CHECK(wait_stopped(pid, &code));
	CHECK(zeroipc_pool_try_allocate(&b, pool) == 0 && b == 2);
	code = finish(pid, &stops);
	CHECK(code == 0);
	CHECK(stops == 2); /* the push retried after the head moved */
	CHECK(zeroipc_pool_validate(mem, "objs") == 0);
	CHECK(zeroipc_pool_in_use(pool) == 1);
	/* Objects 3, 1, 0 free, 2 held: each comes out exactly once. */
	seen[2] = 1;
	for (int i = 0; i < 3; i++) {
		CHECK(zeroipc_pool_try_allocate(&x, pool) == 0);
		CHECK(x < 4 && !seen[x]);
		seen[x] = 1;
	}
	CHECK(zeroipc_pool_try_allocate(&x, pool) == ZEROIPC_EFULL);
	return 0;
}

int main(void)
{
	zeroipc_memory *mem = NULL;
	zeroipc_pool *pool = NULL;
	char seg[128];
	int failed;

	ZT_REQUIRE_CRASH_POINTS();
	zt_name(seg, sizeof(seg), "pool-aba");
	if (zeroipc_memory_create(&mem, seg, 1 << 16, NULL) != 0 ||
	    zeroipc_pool_create(&pool, mem, "objs", 8, 4) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		return 1;
	}
	failed = aba_on_allocate(mem, pool, seg);
	if (!failed)
		failed = retry_on_free(mem, pool, seg);
	if (!failed)
		printf("tagged head: stale CAS refused, retries correct\n");
	zeroipc_pool_close(pool);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	return failed;
}
