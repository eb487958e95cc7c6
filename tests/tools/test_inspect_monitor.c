/* SPDX-License-Identifier: MIT */
/*
 * test_inspect_monitor - zeroipc-inspect monitor sees another process's
 * operations and stops cleanly on SIGINT.
 *
 * The tool runs without --count, its stdout on a pipe.  The test reads its
 * first line (the baseline, sampled before anything changed), then changes
 * the structure, then reads lines until one shows the new state.  Reading
 * the pipe is the synchronisation: no sleep stands in for it, and however
 * the samples fall between the operations, the per-line changes must add
 * up to exactly what was done.  Then SIGINT must end the tool with status 0.
 *
 * usage: test_inspect_monitor PATH-TO-zeroipc-inspect
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/prctl.h>

#include "inspect_fixture.h"

static const char *tool;

struct monitor {
	pid_t pid;
	FILE *out;
};

static void monitor_start(struct monitor *m, const char *seg, const char *entry)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	m->pid = fork();
	assert_true(m->pid >= 0);
	if (m->pid == 0) {
		/* A failed case longjmps past monitor_stop(): the monitor
		 * must not outlive the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(tool, tool, "monitor", seg, entry, "--interval", "5",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	m->out = fdopen(fds[0], "r");
	assert_non_null(m->out);
}

static void monitor_line(struct monitor *m, char *buf, size_t len)
{
	if (fgets(buf, (int)len, m->out) == NULL)
		fail_msg("monitor ended without a line");
	if (strchr(buf, '\n') == NULL)
		fail_msg("partial line: %s", buf);
}

/* SIGINT ends the monitor with status 0; nothing partial is left. */
static void monitor_stop(struct monitor *m)
{
	char buf[512];
	int ws;

	assert_int_equal(kill(m->pid, SIGINT), 0);
	while (fgets(buf, sizeof(buf), m->out) != NULL)
		assert_non_null(strchr(buf, '\n'));
	fclose(m->out);
	assert_int_equal(waitpid(m->pid, &ws, 0), m->pid);
	if (!WIFEXITED(ws))
		fail_msg("monitor died of signal %d", WTERMSIG(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
}

static void test_inspect_monitor_queue_counts_pushes_and_pops(void **state)
{
	char seg[128], line[512];
	zeroipc_memory *mem;
	zeroipc_queue *q;
	struct monitor m;
	unsigned head = 0, tail = 0, lines = 0;
	long long pushes, pops, sum_pushes = 0, sum_pops = 0;
	double t, rate_push, rate_pop;
	int size, i;
	uint64_t v;

	(void)state;
	zt_name(seg, sizeof(seg), "monitor-q");
	assert_int_equal(fixture_create(&mem, seg), ZEROIPC_OK);
	assert_int_equal(zeroipc_queue_open(&q, mem, "q", 8, NULL), ZEROIPC_OK);

	monitor_start(&m, seg, "q");
	monitor_line(&m, line, sizeof(line));
	assert_int_equal(sscanf(line,
				"t=%lf head=%u tail=%u size=%d pushes=%lld "
				"pushes/s=%lf pops=%lld pops/s=%lf",
				&t, &head, &tail, &size, &pushes, &rate_push,
				&pops, &rate_pop),
			 8);
	/* The fixture's state, and no change on the baseline line. */
	assert_int_equal(head, 1);
	assert_int_equal(tail, 4);
	assert_int_equal(size, 3);
	assert_int_equal(pushes, 0);
	assert_int_equal(pops, 0);

	for (i = 0; i < 5; i++) {
		v = 0xB0 + (uint64_t)i;
		assert_int_equal(zeroipc_queue_try_push(q, &v), ZEROIPC_OK);
	}
	for (i = 0; i < 2; i++)
		assert_int_equal(zeroipc_queue_try_pop(&v, q), ZEROIPC_OK);

	while (head != 3 || tail != 9) {
		monitor_line(&m, line, sizeof(line));
		lines++;
		assert_int_equal(sscanf(line,
					"t=%lf head=%u tail=%u size=%d "
					"pushes=%lld pushes/s=%lf pops=%lld "
					"pops/s=%lf",
					&t, &head, &tail, &size, &pushes,
					&rate_push, &pops, &rate_pop),
				 8);
		assert_true(pushes >= 0 && pops >= 0);
		assert_true(rate_push >= 0 && rate_pop >= 0);
		sum_pushes += pushes;
		sum_pops += pops;
		assert_int_equal(size, (int)(tail - head));
	}
	assert_true(lines >= 1);
	assert_int_equal(sum_pushes, 5);
	assert_int_equal(sum_pops, 2);
	monitor_stop(&m);

	zeroipc_queue_close(q);
	zeroipc_memory_close(mem);
	(void)zeroipc_memory_unlink(seg);
}

static void test_inspect_monitor_pool_in_use(void **state)
{
	char seg[128], line[512];
	zeroipc_memory *mem;
	zeroipc_pool *pl;
	struct monitor m;
	unsigned in_use = 0;
	long long change, sum = 0;
	double t, rate;

	(void)state;
	zt_name(seg, sizeof(seg), "monitor-pl");
	assert_int_equal(fixture_create(&mem, seg), ZEROIPC_OK);
	assert_int_equal(zeroipc_pool_open(&pl, mem, "pl", 16), ZEROIPC_OK);

	monitor_start(&m, seg, "pl");
	monitor_line(&m, line, sizeof(line));
	assert_int_equal(sscanf(line,
				"t=%lf in_use=%u in_use_change=%lld "
				"in_use_change/s=%lf",
				&t, &in_use, &change, &rate),
			 4);
	assert_int_equal(in_use, 3);
	assert_int_equal(change, 0);

	/* Free two objects: in_use falls by two, a negative change. */
	assert_int_equal(zeroipc_pool_free(pl, 0), ZEROIPC_OK);
	assert_int_equal(zeroipc_pool_free(pl, 2), ZEROIPC_OK);
	while (in_use != 1) {
		monitor_line(&m, line, sizeof(line));
		assert_int_equal(sscanf(line,
					"t=%lf in_use=%u in_use_change=%lld "
					"in_use_change/s=%lf",
					&t, &in_use, &change, &rate),
				 4);
		sum += change;
	}
	assert_int_equal(sum, -2);
	monitor_stop(&m);

	zeroipc_pool_close(pl);
	zeroipc_memory_close(mem);
	(void)zeroipc_memory_unlink(seg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_inspect_monitor_queue_counts_pushes_and_pops),
		cmocka_unit_test(test_inspect_monitor_pool_in_use),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-zeroipc-inspect\n", argv[0]);
		return 2;
	}
	tool = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
