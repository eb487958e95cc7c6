/* SPDX-License-Identifier: MIT */
/*
 * inspect_fixture.h - the segment the zeroipc-inspect tests look at: one
 * structure of each family with known contents, built through the public
 * API only, plus helpers that run the tool and capture what it prints.
 *
 * Contents (the tests check these exact values in the tool's output):
 *   arr   array, 4 elements of 8 bytes: "zeroipc0" .. "zeroipc3"
 *   q     queue, capacity 8, elem 8: pushed 0xA1..0xA4, popped one
 *         (head 1, tail 4, size 3); companion q.wait
 *   stk   stack, capacity 4, elem 4: pushed 0x11223344, 0x55667788
 *         (top 1); companion stk.wait
 *   rng   ring, 8 elements of 4 bytes (32 bytes): wrote 0xCAFE0001..3,
 *         read one (write_pos 12, read_pos 4); companion rng.wait
 *   m     map, capacity 8, key 8, value 8: 1->100, 2->200, 3->300
 *   s     set, capacity 4, key 4: 7, 8
 *   pl    pool, capacity 4, elem 16: three allocated (in_use 3), object 0
 *         holds "pool-object-0..."
 *   raw   12 zero bytes added with zeroipc_table_add: no kind fits
 */
#ifndef INSPECT_FIXTURE_H
#define INSPECT_FIXTURE_H

#include <zeroipc.h>

#include "zt_test.h"

#define FIXTURE_SIZE (1024u * 1024u)
#define FIXTURE_MAX_ENTRIES 32u

/* Stops at the first failure, naming it on stderr; 0 or the status. */
#define FIXTURE_TRY(call)                                                      \
	do {                                                                   \
		int fx_rc_ = (call);                                           \
		if (fx_rc_ != ZEROIPC_OK) {                                    \
			fprintf(stderr, "fixture: %s: %s (%s)\n", #call,       \
				zeroipc_status_name(fx_rc_),                   \
				zeroipc_last_error());                         \
			return fx_rc_;                                         \
		}                                                              \
	} while (0)

static inline int fixture_fill(zeroipc_memory *mem)
{
	zeroipc_array *arr = NULL;
	zeroipc_queue *q = NULL;
	zeroipc_stack *stk = NULL;
	zeroipc_ring *rng = NULL;
	zeroipc_map *m = NULL;
	zeroipc_set *s = NULL;
	zeroipc_pool *pl = NULL;
	uint64_t u64, idx, i;
	uint32_t u32;
	void *obj;

	FIXTURE_TRY(zeroipc_array_create(&arr, mem, "arr", 8, 4));
	for (i = 0; i < 4; i++) {
		char elem[9];

		snprintf(elem, sizeof(elem), "zeroipc%u", (unsigned)i);
		FIXTURE_TRY(zeroipc_array_set(arr, i, elem));
	}
	zeroipc_array_close(arr);

	FIXTURE_TRY(zeroipc_queue_create(&q, mem, "q", 8, 8, NULL));
	for (u64 = 0xA1; u64 <= 0xA4; u64++)
		FIXTURE_TRY(zeroipc_queue_try_push(q, &u64));
	FIXTURE_TRY(zeroipc_queue_try_pop(&u64, q));
	zeroipc_queue_close(q);

	FIXTURE_TRY(zeroipc_stack_create(&stk, mem, "stk", 4, 4));
	u32 = 0x11223344;
	FIXTURE_TRY(zeroipc_stack_try_push(stk, &u32));
	u32 = 0x55667788;
	FIXTURE_TRY(zeroipc_stack_try_push(stk, &u32));
	zeroipc_stack_close(stk);

	FIXTURE_TRY(zeroipc_ring_create(
		&rng, mem, "rng", 4, 8,
		ZEROIPC_RING_PRODUCER | ZEROIPC_RING_CONSUMER, NULL));
	for (u32 = 0xCAFE0001; u32 <= 0xCAFE0003; u32++)
		FIXTURE_TRY(zeroipc_ring_try_write(rng, &u32));
	FIXTURE_TRY(zeroipc_ring_try_read(&u32, rng));
	/* The consumer publishes read_pos lazily; make it visible. */
	FIXTURE_TRY(zeroipc_ring_flush(rng));
	zeroipc_ring_close(rng);

	FIXTURE_TRY(zeroipc_map_create(&m, mem, "m", 8, 8, 8));
	for (u64 = 1; u64 <= 3; u64++) {
		uint64_t value = 100 * u64;

		FIXTURE_TRY(zeroipc_map_insert(m, &u64, &value));
	}
	zeroipc_map_close(m);

	FIXTURE_TRY(zeroipc_set_create(&s, mem, "s", 4, 4));
	for (u32 = 7; u32 <= 8; u32++)
		FIXTURE_TRY(zeroipc_set_insert(s, &u32));
	zeroipc_set_close(s);

	FIXTURE_TRY(zeroipc_pool_create(&pl, mem, "pl", 16, 4));
	for (i = 0; i < 3; i++)
		FIXTURE_TRY(zeroipc_pool_try_allocate(&idx, pl));
	FIXTURE_TRY(zeroipc_pool_ptr(&obj, pl, 0));
	memcpy(obj, "pool-object-0...", 16);
	zeroipc_pool_close(pl);

	FIXTURE_TRY(zeroipc_table_add(NULL, mem, "raw", 12));
	return ZEROIPC_OK;
}

/* Create segment `name` and fill it; 0 or the failing status. */
static inline int fixture_create(zeroipc_memory **out, const char *name)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	int rc;

	opts.max_entries = FIXTURE_MAX_ENTRIES;
	FIXTURE_TRY(zeroipc_memory_create(out, name, FIXTURE_SIZE, &opts));
	rc = fixture_fill(*out);
	if (rc != ZEROIPC_OK) {
		zeroipc_memory_close(*out);
		(void)zeroipc_memory_unlink(name);
	}
	return rc;
}

/* What one run of the tool did. */
struct tool_run {
	int exited; /* 1 if it exited (rather than died of a signal) */
	int status; /* exit status, or the signal number */
	char out[65536];
	char err[4096];
};

/* Read a memfd's contents (NUL-terminated, cut to fit). */
static inline void tool_slurp(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Run `argv` (argv[0] the tool's path) with stdout and stderr captured in
 * memory files, and wait for it.  Files, not pipes: nothing can block on a
 * full pipe, and the output is read once the tool has exited.
 */
static inline int tool_run(struct tool_run *r, char *const argv[])
{
	int out = memfd_create("inspect-out", MFD_CLOEXEC);
	int err = memfd_create("inspect-err", MFD_CLOEXEC);
	pid_t pid;
	int ws;

	memset(r, 0, sizeof(*r));
	if (out < 0 || err < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	r->exited = WIFEXITED(ws);
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws);
	tool_slurp(out, r->out, sizeof(r->out));
	tool_slurp(err, r->err, sizeof(r->err));
	return 0;
}

#endif /* INSPECT_FIXTURE_H */
