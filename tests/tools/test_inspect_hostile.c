/* SPDX-License-Identifier: MIT */
/*
 * test_inspect_hostile - zeroipc-inspect on damaged and odd segments.
 *
 * Each case builds the fixture segment (inspect_fixture.h), overwrites one
 * structure header field through a writable mapping, runs the tool and
 * checks that it exits normally with the documented status and names the
 * problem.  Under the ASan build the tool itself is instrumented, so a read
 * past an entry would fail the case.
 *
 * usage: test_inspect_hostile PATH-TO-zeroipc-inspect
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "inspect_fixture.h"

static const char *tool;

struct seg {
	char name[128];
	zeroipc_memory *mem;
};

static int seg_setup(void **state)
{
	struct seg *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	zt_name(s->name, sizeof(s->name), "inspect");
	assert_int_equal(fixture_create(&s->mem, s->name), ZEROIPC_OK);
	*state = s;
	return 0;
}

static int seg_teardown(void **state)
{
	struct seg *s = *state;

	zeroipc_memory_close(s->mem);
	(void)zeroipc_memory_unlink(s->name);
	free(s);
	return 0;
}

/* Address of byte `off` of entry `entry`, writable. */
static unsigned char *at(struct seg *s, const char *entry, uint64_t off)
{
	zeroipc_table_entry e;

	assert_int_equal(zeroipc_table_find(&e, s->mem, entry), ZEROIPC_OK);
	assert_true(off < e.size);
	return (unsigned char *)zeroipc_memory_base(s->mem) + e.offset + off;
}

static void poke32(struct seg *s, const char *entry, uint64_t off, uint32_t v)
{
	memcpy(at(s, entry, off), &v, sizeof(v));
}

static void poke64(struct seg *s, const char *entry, uint64_t off, uint64_t v)
{
	memcpy(at(s, entry, off), &v, sizeof(v));
}

/* Run the tool with the given arguments (NULL-terminated). */
static void run(struct tool_run *r, const char *arg, ...)
{
	char *argv[16];
	va_list ap;
	int n = 0;

	argv[n++] = (char *)tool;
	va_start(ap, arg);
	for (; arg != NULL && n < 15; arg = va_arg(ap, const char *))
		argv[n++] = (char *)arg;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(tool_run(r, argv), 0);
	if (!r->exited)
		fail_msg("%s %s died of signal %d\nstdout:\n%s\nstderr:\n%s",
			 tool, argv[1], r->status, r->out, r->err);
}

static void expect(const struct tool_run *r, int status, const char *text)
{
	if (r->status != status || strstr(r->out, text) == NULL)
		fail_msg("expected exit %d and \"%s\"; got exit %d\n"
			 "stdout:\n%s\nstderr:\n%s",
			 status, text, r->status, r->out, r->err);
}

/*
 * The KIND column of `show SEGMENT` for entry `entry` must be `kind`
 * (or, with `prefix`, start with it).
 */
static void expect_kind_as(const struct tool_run *r, const char *entry,
			   const char *kind, int prefix)
{
	const char *line = r->out;

	while ((line = strchr(line, '\n')) != NULL) {
		char name[64], rest[512];
		unsigned idx;
		unsigned long long off, size;

		line++;
		if (sscanf(line, " %u %63s %llu %llu %511[^\n]", &idx, name,
			   &off, &size, rest) == 5 &&
		    strcmp(name, entry) == 0) {
			if (prefix ? strncmp(rest, kind, strlen(kind)) != 0
				   : strcmp(rest, kind) != 0)
				fail_msg("%s: kind \"%s\", expected \"%s\"",
					 entry, rest, kind);
			return;
		}
	}
	fail_msg("no line for %s in:\n%s", entry, r->out);
}

static void expect_kind(const struct tool_run *r, const char *entry,
			const char *kind)
{
	expect_kind_as(r, entry, kind, 0);
}

/* show, show ENTRY, show ENTRY --json and monitor on a corrupt structure. */
static void expect_corrupt(struct seg *s, const char *entry, const char *kind,
			   const char *field_line)
{
	struct tool_run r;

	run(&r, "show", s->name, NULL);
	expect(&r, 1, "CORRUPT");
	expect_kind_as(&r, entry, kind, 1);
	run(&r, "show", s->name, entry, NULL);
	expect(&r, 1, "validate: ECORRUPT: ");
	expect(&r, 1, field_line);
	run(&r, "show", s->name, entry, "--json", NULL);
	expect(&r, 1, "\"validate\":{\"ok\":false,\"status\":\"ECORRUPT\"");
	run(&r, "monitor", s->name, entry, "--count", "2", "--interval", "1",
	    NULL);
	expect(&r, 0, "t=");
}

static void test_inspect_queue_capacity_zero(void **state)
{
	struct seg *s = *state;

	poke32(s, "q", 8, 0);
	expect_corrupt(s, "q", "queue? CORRUPT: ", "  capacity        0\n");
}

static void test_inspect_queue_capacity_huge(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "q", 8, 0x80000000u);
	expect_corrupt(s, "q",
		       "queue? CORRUPT: ", "  capacity        2147483648\n");
	run(&r, "show", s->name, "q", NULL);
	expect(&r, 1,
	       "problem         capacity 2147483648 is not a power of "
	       "two in 2..2^30");
}

static void test_inspect_queue_elem_zero(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "q", 12, 0);
	run(&r, "show", s->name, "q", NULL);
	expect(&r, 1, "problem         element size 0\n");
	expect(&r, 1, "validate: ECORRUPT: ");
	/* Nothing to decode: the raw entry is dumped instead. */
	expect(&r, 1, "data: 112 of 112 bytes (raw entry)");
}

static void test_inspect_queue_bad_sequence_word(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	/* seq[0] at 16 + align8(8 * 8): the header still fits, the
	 * validator has to find it. */
	poke32(s, "q", 16 + 64, 0x12345);
	run(&r, "show", s->name, NULL);
	expect(&r, 1, "queue (capacity 8, elem 8, size 3) CORRUPT: ");
	run(&r, "show", s->name, "q", NULL);
	expect(&r, 1, "validate: ECORRUPT: ");
	expect(&r, 1, "  tail            4\n");
}

static void test_inspect_stack_top_out_of_range(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "stk", 0, 1000);
	expect_corrupt(s, "stk",
		       "stack? CORRUPT: ", "  top             1000\n");
	run(&r, "show", s->name, "stk", NULL);
	expect(&r, 1, "problem         top 1000 outside -1..3\n");
}

static void test_inspect_stack_capacity_huge(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "stk", 4, 0xFFFFFFFFu);
	expect_corrupt(s, "stk",
		       "stack? CORRUPT: ", "  capacity        4294967295\n");
	run(&r, "show", s->name, "stk", NULL);
	expect(&r, 1,
	       "problem         capacity 4294967295 is not in "
	       "1..2^31-1\n");
}

static void test_inspect_ring_elem_zero(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "rng", 20, 0);
	expect_corrupt(s, "rng", "ring? CORRUPT: ", "  elem_size       0\n");
	run(&r, "show", s->name, "rng", NULL);
	expect(&r, 1,
	       "problem         capacity 32 bytes is not a non-zero "
	       "multiple of element size 0\n");
}

static void test_inspect_ring_capacity_huge(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "rng", 16, 0xFFFFFFFCu);
	run(&r, "show", s->name, "rng", "--all", NULL);
	expect(&r, 1,
	       "problem         entry size 56, header implies "
	       "4294967316\n");
	/* --all dumps the raw entry, not the 4 GiB the header claims. */
	expect(&r, 1, "data: 56 of 56 bytes (raw entry)");
}

static void test_inspect_ring_read_ahead_of_write(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke64(s, "rng", 8, 40);
	run(&r, "show", s->name, NULL);
	expect(&r, 1,
	       "ring (capacity 32 bytes, elem 4, used "
	       "18446744073709551588 bytes) CORRUPT: ");
}

static void test_inspect_map_key_size_zero_is_unknown(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	/* No companion names a map's kind: a header that fits no family
	 * leaves the entry unknown, which is no error (raw entries are
	 * legitimate).  docs/zeroipc-inspect.md states this limit. */
	poke32(s, "m", 8, 0);
	run(&r, "show", s->name, NULL);
	expect(&r, 0, "");
	expect_kind(&r, "m", "unknown");
	run(&r, "show", s->name, "m", NULL);
	expect(&r, 0, "  kind            unknown\n");
	expect(&r, 0, "data: 224 of 224 bytes (raw entry)");
}

static void test_inspect_map_capacity_zero_reads_as_array(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	/* The limit of a format without type tags: with capacity 0, the
	 * map's first 8 bytes are the u64 3 (its size), and 216 data bytes
	 * hold 3 elements of 72.  The bytes are a valid array; the tool
	 * says so, and --as map shows the damage. */
	poke32(s, "m", 4, 0);
	run(&r, "show", s->name, NULL);
	expect(&r, 0, "");
	expect_kind(&r, "m", "array (capacity 3, elem 72)");
	run(&r, "show", s->name, "m", "--as", "map", NULL);
	expect(&r, 1,
	       "problem         capacity 0 is not a power of two in "
	       "1..2^31\n");
}

static void test_inspect_map_bad_slot_state(void **state)
{
	struct seg *s = *state;
	struct tool_run r;
	uint64_t ctl = 7; /* state 7 is not used by the format */

	memcpy(at(s, "m", 32), &ctl, sizeof(ctl));
	run(&r, "show", s->name, NULL);
	expect(&r, 1, "map (capacity 8, key 8, value 8, size 3) CORRUPT: ");
	run(&r, "show", s->name, "m", "--as", "map", NULL);
	expect(&r, 1, "validate: ECORRUPT: ");
}

static void test_inspect_pool_capacity_huge_is_unknown(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	poke32(s, "pl", 0, 0xFFFFFFFEu);
	run(&r, "show", s->name, NULL);
	expect(&r, 0, "");
	expect_kind(&r, "pl", "unknown");
	/* Forcing the reading reports what does not fit. */
	run(&r, "show", s->name, "pl", "--as", "pool", NULL);
	expect(&r, 1, "problem         entry size 128, header implies ");
	run(&r, "monitor", s->name, "pl", "--as", "pool", "--count", "1", NULL);
	expect(&r, 0, "in_use=3");
	expect(&r, 0, "problem=\"entry size 128, header implies ");
}

static void test_inspect_pool_bad_state_word(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	/* state[0] at 32 + align8(4 * 4). */
	poke32(s, "pl", 48, 5);
	run(&r, "show", s->name, NULL);
	expect(&r, 1, "pool (capacity 4, elem 16, in use 3) CORRUPT: ");
}

static void test_inspect_array_hostile_capacities(void **state)
{
	struct seg *s = *state;
	static const uint64_t bad[] = {0, 3, 33, 1ull << 63, UINT64_MAX};
	struct tool_run r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		poke64(s, "arr", 0, bad[i]);
		run(&r, "show", s->name, NULL);
		expect_kind(&r, "arr", "unknown");
		run(&r, "show", s->name, "arr", "--as", "array", NULL);
		expect(&r, 1, "validate: ECORRUPT: ");
		run(&r, "monitor", s->name, "arr", "--count", "1", NULL);
		expect(&r, 0, "checksum=0x");
	}
	/* Two elements of 16 bytes fit the same 32 bytes: format v2 cannot
	 * tell, so the tool reports what the bytes say. */
	poke64(s, "arr", 0, 2);
	run(&r, "show", s->name, NULL);
	expect_kind(&r, "arr", "array (capacity 2, elem 16)");
}

static void test_inspect_forced_kind_too_small(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	run(&r, "show", s->name, "raw", "--as", "pool", NULL);
	expect(&r, 1,
	       "problem         entry of 12 bytes cannot hold the "
	       "32-byte pool header\n");
	run(&r, "show", s->name, "raw", "--as", "ring", "--json", NULL);
	expect(&r, 1,
	       "\"problem\":\"entry of 12 bytes cannot hold the "
	       "24-byte ring header\"");
	run(&r, "monitor", s->name, "raw", "--as", "map", "--count", "1", NULL);
	expect(&r, 0,
	       "problem=\"entry of 12 bytes cannot hold the 32-byte "
	       "map header\"");
}

static void test_inspect_ambiguous_entry(void **state)
{
	struct seg *s = *state;
	struct tool_run r;
	uint64_t off;
	unsigned char *p;
	uint64_t w = 4, rd = 0;
	uint32_t cap = 32, elem = 4;

	/* 56 bytes that read as an array of 4 x 12 bytes and as a ring of
	 * 32 bytes with 4 bytes written. */
	assert_int_equal(zeroipc_table_add(&off, s->mem, "twofold", 56),
			 ZEROIPC_OK);
	p = (unsigned char *)zeroipc_memory_base(s->mem) + off;
	memcpy(p, &w, 8);
	memcpy(p + 8, &rd, 8);
	memcpy(p + 16, &cap, 4);
	memcpy(p + 20, &elem, 4);
	run(&r, "show", s->name, NULL);
	expect_kind(&r, "twofold",
		    "ambiguous: array (capacity 4, elem 12) ring (capacity "
		    "32 bytes, elem 4, used 4 bytes)");
	run(&r, "show", s->name, "twofold", NULL);
	expect(&r, 0, "header as array:\n");
	expect(&r, 0, "header as ring:\n");
	run(&r, "show", s->name, "twofold", "--json", NULL);
	expect(&r, 0,
	       "\"kind\":\"ambiguous\",\"identified_by\":\"header\","
	       "\"candidates\":[\"array\",\"ring\"]");
}

static void test_inspect_orphan_companion(void **state)
{
	struct seg *s = *state;
	struct tool_run r;

	/* A creator that died between adding "<x>.wait" and x. */
	assert_int_equal(zeroipc_table_add(NULL, s->mem, "gone.wait", 24),
			 ZEROIPC_OK);
	run(&r, "show", s->name, NULL);
	expect(&r, 0, "");
	expect_kind(&r, "gone.wait",
		    "wait companion of gone (3 eventcounts; gone missing)");
}

/* Files in /dev/shm that are not (good) segments: list must cope. */
static void test_inspect_list_odd_files(void **state)
{
	struct seg *s = *state;
	char shortf[128], future[128], empty[128], fifo[128], path[256];
	struct fake_header {
		uint32_t magic, version, count, max;
		uint64_t size, next;
	} h = {0x5A49504Du, 3, 0, 1, 4096, 80};
	struct tool_run r;
	int fd;

	zt_name(shortf, sizeof(shortf), "short");
	zt_name(future, sizeof(future), "v3");
	zt_name(empty, sizeof(empty), "empty");
	zt_name(fifo, sizeof(fifo), "fifo");

	fd = zt_shm_open_file(shortf, O_RDWR | O_CREAT | O_EXCL);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, 10), 10); /* magic, cut short */
	close(fd);
	fd = zt_shm_open_file(future, O_RDWR | O_CREAT | O_EXCL);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, &h, sizeof(h)), (int)sizeof(h));
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	fd = zt_shm_open_file(empty, O_RDWR | O_CREAT | O_EXCL);
	assert_true(fd >= 0);
	close(fd);
	/* A FIFO would block a plain open(): list must not hang on it. */
	assert_int_equal(mkfifo(zt_shm_path(path, sizeof(path), fifo), 0600),
			 0);

	run(&r, "list", NULL);
	expect(&r, 0, "NAME ");
	assert_null(strstr(r.out, shortf));
	assert_null(strstr(r.out, empty));
	assert_null(strstr(r.out, fifo));
	expect(&r, 0, future);
	expect(&r, 0, "EVERSION");
	expect(&r, 0, s->name);
	expect(&r, 0, "11/32");

	run(&r, "list", "--json", NULL);
	expect(&r, 0, "\"version\":3,");
	expect(&r, 0, "\"status\":\"EVERSION\"");
	assert_null(strstr(r.out, shortf));
	/* zt_name() registered all four: unlinked at exit. */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define CASE(fn) cmocka_unit_test_setup_teardown(fn, seg_setup, seg_teardown)
		CASE(test_inspect_queue_capacity_zero),
		CASE(test_inspect_queue_capacity_huge),
		CASE(test_inspect_queue_elem_zero),
		CASE(test_inspect_queue_bad_sequence_word),
		CASE(test_inspect_stack_top_out_of_range),
		CASE(test_inspect_stack_capacity_huge),
		CASE(test_inspect_ring_elem_zero),
		CASE(test_inspect_ring_capacity_huge),
		CASE(test_inspect_ring_read_ahead_of_write),
		CASE(test_inspect_map_key_size_zero_is_unknown),
		CASE(test_inspect_map_capacity_zero_reads_as_array),
		CASE(test_inspect_map_bad_slot_state),
		CASE(test_inspect_pool_capacity_huge_is_unknown),
		CASE(test_inspect_pool_bad_state_word),
		CASE(test_inspect_array_hostile_capacities),
		CASE(test_inspect_forced_kind_too_small),
		CASE(test_inspect_ambiguous_entry),
		CASE(test_inspect_orphan_companion),
		CASE(test_inspect_list_odd_files),
#undef CASE
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-zeroipc-inspect\n", argv[0]);
		return 2;
	}
	tool = argv[1];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
