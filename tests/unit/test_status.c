/* SPDX-License-Identifier: MIT */
/*
 * test_status.c - status codes, their names and messages, the thread-local
 * error detail, and the version queries.
 *
 * The numeric value of every status is ABI: bindings and programs compiled
 * against 1.0 compare against these numbers forever.  So this file spells
 * each value out by hand instead of deriving it from the X-macro; a
 * renumbering has to break this test.
 */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

struct expected_status {
	int value;
	const char *name;
};

/* The contract, written out: value and symbolic name of every code. */
static const struct expected_status expected[] = {
	{0, "OK"},
	{-1, "EINVAL"},
	{-2, "ENOMEM"},
	{-3, "ESYS"},
	{-4, "ENOT_FOUND"},
	{-5, "EEXISTS"},
	{-6, "ENAME"},
	{-7, "ETABLE_FULL"},
	{-8, "ENO_SPACE"},
	{-9, "EBAD_FORMAT"},
	{-10, "EVERSION"},
	{-11, "ECORRUPT"},
	{-12, "ESIZE_MISMATCH"},
	{-13, "ERANGE"},
	{-14, "EEMPTY"},
	{-15, "EFULL"},
	{-16, "ETIMEOUT"},
	{-17, "ECLOSED"},
	{-18, "EREADONLY"},
	{-19, "EPERM"},
	{-20, "ETOO_SMALL"},
	{-21, "EPROTOCOL"},
	{-22, "ENOT_ALLOCATED"},
	{-23, "ECHANGED"},
};
#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* What the X-macro in common.h generates, for cross-checking. */
struct map_status {
	int value;
	const char *name;
	const char *message;
};

static const struct map_status map[] = {
#define ZT_ROW(name, value, message) {value, #name, message},
	ZEROIPC_STATUS_MAP(ZT_ROW)
#undef ZT_ROW
};
#define N_MAP (sizeof(map) / sizeof(map[0]))

static void test_status_enum_values_are_abi(void **state)
{
	(void)state;
	/* Each named constant, compared with its frozen number. */
	assert_int_equal(ZEROIPC_OK, 0);
	assert_int_equal(ZEROIPC_EINVAL, -1);
	assert_int_equal(ZEROIPC_ENOMEM, -2);
	assert_int_equal(ZEROIPC_ESYS, -3);
	assert_int_equal(ZEROIPC_ENOT_FOUND, -4);
	assert_int_equal(ZEROIPC_EEXISTS, -5);
	assert_int_equal(ZEROIPC_ENAME, -6);
	assert_int_equal(ZEROIPC_ETABLE_FULL, -7);
	assert_int_equal(ZEROIPC_ENO_SPACE, -8);
	assert_int_equal(ZEROIPC_EBAD_FORMAT, -9);
	assert_int_equal(ZEROIPC_EVERSION, -10);
	assert_int_equal(ZEROIPC_ECORRUPT, -11);
	assert_int_equal(ZEROIPC_ESIZE_MISMATCH, -12);
	assert_int_equal(ZEROIPC_ERANGE, -13);
	assert_int_equal(ZEROIPC_EEMPTY, -14);
	assert_int_equal(ZEROIPC_EFULL, -15);
	assert_int_equal(ZEROIPC_ETIMEOUT, -16);
	assert_int_equal(ZEROIPC_ECLOSED, -17);
	assert_int_equal(ZEROIPC_EREADONLY, -18);
	assert_int_equal(ZEROIPC_EPERM, -19);
	assert_int_equal(ZEROIPC_ETOO_SMALL, -20);
	assert_int_equal(ZEROIPC_EPROTOCOL, -21);
	assert_int_equal(ZEROIPC_ENOT_ALLOCATED, -22);
	assert_int_equal(ZEROIPC_ECHANGED, -23);
	assert_int_equal(ZEROIPC_WAIT_FOREVER, -1);
}

static void test_status_map_matches_frozen_list(void **state)
{
	size_t i;

	(void)state;
	/*
	 * Codes are only appended.  A new code makes this fail on purpose:
	 * add its frozen value to `expected` and to the enum test above.
	 */
	assert_int_equal(N_MAP, N_EXPECTED);
	for (i = 0; i < N_MAP; i++) {
		assert_int_equal(map[i].value, expected[i].value);
		assert_string_equal(map[i].name, expected[i].name);
	}
}

static void test_status_codes_are_unique(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < N_MAP; i++) {
		for (j = i + 1; j < N_MAP; j++) {
			assert_int_not_equal(map[i].value, map[j].value);
			assert_string_not_equal(map[i].name, map[j].name);
			assert_string_not_equal(map[i].message, map[j].message);
		}
	}
}

static void test_status_last_marker_is_lowest_code(void **state)
{
	int lowest = 0;
	size_t i;

	(void)state;
	for (i = 0; i < N_MAP; i++)
		if (map[i].value < lowest)
			lowest = map[i].value;
	assert_int_equal(ZEROIPC__STATUS_LAST, lowest);
	/* Failures are negative; only OK is zero. */
	for (i = 1; i < N_MAP; i++)
		assert_true(map[i].value < 0);
}

static void test_status_every_code_has_name_and_message(void **state)
{
	const char *unknown_msg = zeroipc_strerror(12345);
	size_t i;

	(void)state;
	for (i = 0; i < N_EXPECTED; i++) {
		const char *name = zeroipc_status_name(expected[i].value);
		const char *msg = zeroipc_strerror(expected[i].value);

		assert_non_null(name);
		assert_non_null(msg);
		assert_string_equal(name, expected[i].name);
		assert_true(msg[0] != '\0');
		assert_string_not_equal(msg, unknown_msg);
		assert_string_equal(msg, map[i].message);
	}
}

static void test_status_unknown_codes_give_static_strings(void **state)
{
	static const int unknown[] = {1,     2,       100,     -24,        -100,
				      -1000, INT_MAX, INT_MIN, INT_MIN + 1};
	const char *name0 = zeroipc_status_name(unknown[0]);
	const char *msg0 = zeroipc_strerror(unknown[0]);
	size_t i;

	(void)state;
	assert_non_null(name0);
	assert_non_null(msg0);
	assert_string_equal(name0, "UNKNOWN");
	assert_string_equal(msg0, "unknown zeroipc status");
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		/*
		 * One static string for every unknown input: the same
		 * address each time, so nothing is allocated per call.
		 */
		assert_ptr_equal(zeroipc_status_name(unknown[i]), name0);
		assert_ptr_equal(zeroipc_strerror(unknown[i]), msg0);
	}
	/* Known codes are static too. */
	assert_ptr_equal(zeroipc_strerror(ZEROIPC_EEXISTS),
			 zeroipc_strerror(ZEROIPC_EEXISTS));
	assert_ptr_equal(zeroipc_status_name(ZEROIPC_EEXISTS),
			 zeroipc_status_name(ZEROIPC_EEXISTS));
}

/* Make the calling thread's last call fail (a NULL out-parameter). */
static int fail_once(void)
{
	return zeroipc_memory_open(NULL, "/zt-status-never-created", 0);
}

struct thread_probe {
	const char *initial; /* last_error before this thread failed */
	char initial_copy[64];
	const char *after_fail; /* last_error after its own failure */
	char after_copy[512];
	int rc;
};

static void *probe_thread(void *arg)
{
	struct thread_probe *p = arg;

	p->initial = zeroipc_last_error();
	if (p->initial != NULL)
		snprintf(p->initial_copy, sizeof(p->initial_copy), "%s",
			 p->initial);
	p->rc = zeroipc_memory_open(NULL, "", 0);
	p->after_fail = zeroipc_last_error();
	if (p->after_fail != NULL)
		snprintf(p->after_copy, sizeof(p->after_copy), "%s",
			 p->after_fail);
	return NULL;
}

static void test_status_last_error_is_thread_local(void **state)
{
	struct thread_probe probe;
	pthread_t thread;
	char mine[512];

	(void)state;
	memset(&probe, 0, sizeof(probe));
	assert_non_null(zeroipc_last_error());

	assert_status(fail_once(), ZEROIPC_EINVAL);
	assert_non_null(zeroipc_last_error());
	assert_true(zeroipc_last_error()[0] != '\0');
	snprintf(mine, sizeof(mine), "%s", zeroipc_last_error());

	assert_int_equal(pthread_create(&thread, NULL, probe_thread, &probe),
			 0);
	assert_int_equal(pthread_join(thread, NULL), 0);

	/* A new thread starts with "" and never sees our detail... */
	assert_non_null(probe.initial);
	assert_string_equal(probe.initial_copy, "");
	/* ...and its own failure has a detail of its own... */
	assert_true(probe.rc < 0);
	assert_non_null(probe.after_fail);
	assert_true(probe.after_copy[0] != '\0');
	/* ...which leaves ours untouched. */
	assert_string_equal(zeroipc_last_error(), mine);
}

static void test_status_last_error_never_null(void **state)
{
	zeroipc_memory *mem = NULL;
	char name[128];

	(void)state;
	assert_non_null(zeroipc_last_error());
	/* After a failure... */
	assert_status(zeroipc_memory_open(&mem, "no-leading-slash", 0),
		      ZEROIPC_ENAME);
	assert_non_null(zeroipc_last_error());
	assert_true(zeroipc_last_error()[0] != '\0');
	/* ...and after a success. */
	mem = zt_create(name, sizeof(name), "status-nn", 1 << 16, 0);
	assert_non_null(zeroipc_last_error());
	zt_destroy(mem, name);
	assert_non_null(zeroipc_last_error());
}

static void test_status_version_matches_header(void **state)
{
	unsigned major, minor, patch;
	char again[32];

	(void)state;
	assert_int_equal(zeroipc_version(), ZEROIPC_VERSION_NUMBER);
	assert_int_equal(zeroipc_version(),
			 ((uint32_t)ZEROIPC_VERSION_MAJOR << 16) |
				 ((uint32_t)ZEROIPC_VERSION_MINOR << 8) |
				 (uint32_t)ZEROIPC_VERSION_PATCH);
	assert_non_null(zeroipc_version_string());
	assert_string_equal(zeroipc_version_string(), ZEROIPC_VERSION_STRING);
	assert_int_equal(sscanf(zeroipc_version_string(), "%u.%u.%u", &major,
				&minor, &patch),
			 3);
	assert_int_equal(major, ZEROIPC_VERSION_MAJOR);
	assert_int_equal(minor, ZEROIPC_VERSION_MINOR);
	assert_int_equal(patch, ZEROIPC_VERSION_PATCH);
	snprintf(again, sizeof(again), "%u.%u.%u", major, minor, patch);
	assert_string_equal(again, zeroipc_version_string());
	assert_ptr_equal(zeroipc_version_string(), zeroipc_version_string());
	/* The format version is separate from the library version. */
	assert_int_equal(zeroipc_format_version(), 2);
}

static void test_status_version_at_least_agrees_with_macro(void **state)
{
	const unsigned M = ZEROIPC_VERSION_MAJOR;
	const unsigned m = ZEROIPC_VERSION_MINOR;
	const unsigned p = ZEROIPC_VERSION_PATCH;

	(void)state;
	assert_int_equal(zeroipc_version_at_least(M, m, p), 1);
	assert_int_equal(zeroipc_version_at_least(0, 0, 0), 1);
	assert_int_equal(zeroipc_version_at_least(M, m, p + 1), 0);
	assert_int_equal(zeroipc_version_at_least(M, m + 1, 0), 0);
	assert_int_equal(zeroipc_version_at_least(M + 1, 0, 0), 0);
	if (p > 0)
		assert_int_equal(zeroipc_version_at_least(M, m, p - 1), 1);
	if (m > 0)
		assert_int_equal(zeroipc_version_at_least(M, m - 1, 99), 1);
	if (M > 0)
		assert_int_equal(zeroipc_version_at_least(M - 1, 99, 99), 1);
	assert_int_equal(zeroipc_version_at_least(M, m, p),
			 ZEROIPC_VERSION_AT_LEAST(ZEROIPC_VERSION_MAJOR,
						  ZEROIPC_VERSION_MINOR,
						  ZEROIPC_VERSION_PATCH));
	assert_int_equal(
		zeroipc_version_at_least(M + 1, 0, 0),
		ZEROIPC_VERSION_AT_LEAST(ZEROIPC_VERSION_MAJOR + 1, 0, 0));
}

static void test_status_version_at_least_does_not_wrap(void **state)
{
	const unsigned M = ZEROIPC_VERSION_MAJOR;
	const unsigned m = ZEROIPC_VERSION_MINOR;

	(void)state;
	/*
	 * Components are unsigned ints, not bytes: a request for minor 256
	 * or a major of 65536 is a newer version than any we are, however
	 * the number is packed internally.
	 */
	assert_int_equal(zeroipc_version_at_least(M, m + 256, 0), 0);
	assert_int_equal(zeroipc_version_at_least(M, m, 256 + 65536), 0);
	assert_int_equal(zeroipc_version_at_least(M + 65536, 0, 0), 0);
	assert_int_equal(zeroipc_version_at_least(UINT_MAX, 0, 0), 0);
	assert_int_equal(zeroipc_version_at_least(M, UINT_MAX, 0), 0);
	assert_int_equal(zeroipc_version_at_least(M, m, UINT_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_enum_values_are_abi),
		cmocka_unit_test(test_status_map_matches_frozen_list),
		cmocka_unit_test(test_status_codes_are_unique),
		cmocka_unit_test(test_status_last_marker_is_lowest_code),
		cmocka_unit_test(test_status_every_code_has_name_and_message),
		cmocka_unit_test(test_status_unknown_codes_give_static_strings),
		cmocka_unit_test(test_status_last_error_is_thread_local),
		cmocka_unit_test(test_status_last_error_never_null),
		cmocka_unit_test(test_status_version_matches_header),
		cmocka_unit_test(
			test_status_version_at_least_agrees_with_macro),
		cmocka_unit_test(test_status_version_at_least_does_not_wrap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
