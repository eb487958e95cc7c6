/* SPDX-License-Identifier: MIT */
/*
 * test_memory.c - segment lifecycle: create, open, open_or_create, close,
 * unlink; name rules; sizes; permissions; read-only mappings; the header
 * bytes a new segment carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

#define SEG_SIZE ((uint64_t)1 << 16)

static void test_memory_create_open_close_unlink(void **state)
{
	zeroipc_memory *mem = NULL;
	zeroipc_memory *again = NULL;
	char name[128];

	(void)state;
	zt_name(name, sizeof(name), "mem-life");
	assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, NULL));
	assert_non_null(mem);
	assert_int_equal(zeroipc_memory_size(mem), SEG_SIZE);
	assert_string_equal(zeroipc_memory_name(mem), name);
	assert_int_equal(zeroipc_memory_is_readonly(mem), 0);
	assert_non_null(zeroipc_memory_base(mem));
	assert_ok(zeroipc_memory_validate(mem));
	assert_int_equal(zt_shm_file_size(name), (long long)SEG_SIZE);

	/* A second handle on the same name sees the same bytes. */
	assert_ok(zeroipc_memory_open(&again, name, 0));
	assert_non_null(again);
	assert_int_equal(zeroipc_memory_size(again), SEG_SIZE);
	assert_string_equal(zeroipc_memory_name(again), name);
	assert_ok(zeroipc_table_add(NULL, mem, "shared", 16));
	assert_int_equal(zeroipc_table_count(again), 1);
	zeroipc_memory_close(again);
	zeroipc_memory_close(mem);

	/* Close never unlinks. */
	assert_ok(zeroipc_memory_open(&again, name, 0));
	assert_int_equal(zeroipc_table_count(again), 1);
	zeroipc_memory_close(again);

	assert_ok(zeroipc_memory_unlink(name));
	again = NULL;
	assert_fails_with(zeroipc_memory_open(&again, name, 0),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(zeroipc_memory_unlink(name), ZEROIPC_ENOT_FOUND);
}

static void test_memory_close_accepts_null(void **state)
{
	(void)state;
	zeroipc_memory_close(NULL);
}

static void test_memory_unlink_keeps_existing_mappings(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	uint32_t v = 0;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-unlink-mapped", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "a", 4, 4));
	assert_ok(zeroipc_memory_unlink(name));
	/* The name is gone but this mapping still works. */
	assert_ok(zeroipc_array_store_u32(arr, 3, 77));
	assert_ok(zeroipc_array_load_u32(&v, arr, 3));
	assert_int_equal(v, 77);
	assert_int_equal(zeroipc_table_count(mem), 1);
	zeroipc_array_close(arr);
	zeroipc_memory_close(mem);
}

static void test_memory_create_exclusive_keeps_existing(void **state)
{
	zeroipc_memory *mem;
	zeroipc_memory *second = NULL;
	zeroipc_memory *again = NULL;
	zeroipc_table_entry e;
	unsigned char *data;
	char name[128];
	size_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-excl", SEG_SIZE, 0);
	assert_ok(zeroipc_table_add(NULL, mem, "keep", 64));
	assert_ok(zeroipc_table_find(&e, mem, "keep"));
	data = (unsigned char *)zeroipc_memory_base(mem) + e.offset;
	for (i = 0; i < 64; i++)
		data[i] = (unsigned char)(0xA0 + i);
	zeroipc_memory_close(mem);

	/* Same size, other size, other table capacity: all refused. */
	assert_fails_with(zeroipc_memory_create(&second, name, SEG_SIZE, NULL),
			  ZEROIPC_EEXISTS);
	assert_fails_with(
		zeroipc_memory_create(&second, name, SEG_SIZE * 2, NULL),
		ZEROIPC_EEXISTS);
	{
		zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;

		opts.max_entries = 8;
		assert_fails_with(
			zeroipc_memory_create(&second, name, 8192, &opts),
			ZEROIPC_EEXISTS);
	}

	/* The original is untouched: size, table and data. */
	assert_int_equal(zt_shm_file_size(name), (long long)SEG_SIZE);
	assert_ok(zeroipc_memory_open(&again, name, 0));
	assert_int_equal(zeroipc_memory_size(again), SEG_SIZE);
	assert_int_equal(zeroipc_table_capacity(again),
			 ZEROIPC_DEFAULT_MAX_ENTRIES);
	assert_int_equal(zeroipc_table_count(again), 1);
	assert_ok(zeroipc_table_find(&e, again, "keep"));
	assert_int_equal(e.size, 64);
	data = (unsigned char *)zeroipc_memory_base(again) + e.offset;
	for (i = 0; i < 64; i++)
		assert_int_equal(data[i], (unsigned char)(0xA0 + i));
	assert_ok(zeroipc_memory_validate(again));
	zt_destroy(again, name);
}

static void test_memory_open_or_create_creates_then_opens(void **state)
{
	zeroipc_memory *first = NULL;
	zeroipc_memory *second = NULL;
	zeroipc_memory *third = NULL;
	int created = -1;
	char name[128];

	(void)state;
	zt_name(name, sizeof(name), "mem-ooc");
	assert_ok(zeroipc_memory_open_or_create(&first, &created, name,
						SEG_SIZE, NULL));
	assert_int_equal(created, 1);
	assert_int_equal(zeroipc_memory_size(first), SEG_SIZE);
	assert_ok(zeroipc_table_add(NULL, first, "marker", 8));

	/* Exists now: opened whatever size is asked for. */
	created = -1;
	assert_ok(zeroipc_memory_open_or_create(&second, &created, name,
						SEG_SIZE * 4, NULL));
	assert_int_equal(created, 0);
	assert_int_equal(zeroipc_memory_size(second), SEG_SIZE);
	assert_int_equal(zeroipc_table_count(second), 1);

	/* created_out may be NULL. */
	assert_ok(
		zeroipc_memory_open_or_create(&third, NULL, name, 4096, NULL));
	assert_int_equal(zeroipc_table_count(third), 1);

	zeroipc_memory_close(third);
	zeroipc_memory_close(second);
	zt_destroy(first, name);
}

static void test_memory_open_or_create_reports_create_errors(void **state)
{
	zeroipc_memory *mem = NULL;
	char name[128];

	(void)state;
	zt_name(name, sizeof(name), "mem-ooc-small");
	assert_fails_with(
		zeroipc_memory_open_or_create(&mem, NULL, name, 64, NULL),
		ZEROIPC_ETOO_SMALL);
	assert_fails_with(zeroipc_memory_open_or_create(&mem, NULL, "bad",
							SEG_SIZE, NULL),
			  ZEROIPC_ENAME);
	/* Nothing was left behind by the failed create. */
	assert_int_equal(zt_shm_file_size(name), -1);
}

static void check_bad_name(const char *bad)
{
	zeroipc_memory *mem = NULL;
	int created = -1;

	assert_fails_with(zeroipc_memory_create(&mem, bad, SEG_SIZE, NULL),
			  ZEROIPC_ENAME);
	assert_null(mem);
	assert_fails_with(zeroipc_memory_open(&mem, bad, 0), ZEROIPC_ENAME);
	assert_fails_with(zeroipc_memory_open_or_create(&mem, &created, bad,
							SEG_SIZE, NULL),
			  ZEROIPC_ENAME);
	assert_fails_with(zeroipc_memory_unlink(bad), ZEROIPC_ENAME);
}

static void test_memory_rejects_bad_names(void **state)
{
	char longest[ZEROIPC_MEMORY_NAME_MAX + 2];

	(void)state;
	check_bad_name("");
	check_bad_name("/");
	check_bad_name("no-leading-slash");
	check_bad_name("/two/parts");
	check_bad_name("//double");
	check_bad_name("/trailing/");
	check_bad_name("/.");
	check_bad_name("/..");

	/* One byte over the limit (the limit counts the leading '/'). */
	memset(longest, 'n', sizeof(longest) - 1);
	longest[0] = '/';
	longest[sizeof(longest) - 1] = '\0';
	assert_int_equal(strlen(longest), ZEROIPC_MEMORY_NAME_MAX + 1);
	check_bad_name(longest);
}

static void test_memory_accepts_longest_name(void **state)
{
	char longest[ZEROIPC_MEMORY_NAME_MAX + 1];
	zeroipc_memory *mem = NULL;
	int n;

	(void)state;
	memset(longest, 'x', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	/* Unique per pid, padded with 'x' to exactly the maximum. */
	n = snprintf(longest, sizeof(longest), "/zt-%ld-mem-longest-",
		     (long)getpid());
	longest[n] = 'x';
	assert_int_equal(strlen(longest), ZEROIPC_MEMORY_NAME_MAX);
	zt_register(longest);

	assert_ok(zeroipc_memory_create(&mem, longest, SEG_SIZE, NULL));
	assert_string_equal(zeroipc_memory_name(mem), longest);
	zeroipc_memory_close(mem);
	assert_ok(zeroipc_memory_open(&mem, longest, 0));
	zeroipc_memory_close(mem);
	assert_ok(zeroipc_memory_unlink(longest));
}

static void test_memory_null_arguments_are_einval(void **state)
{
	zeroipc_memory *mem = NULL;
	char name[128];

	(void)state;
	zt_name(name, sizeof(name), "mem-null");
	assert_fails_with(zeroipc_memory_create(NULL, name, SEG_SIZE, NULL),
			  ZEROIPC_EINVAL);
	assert_fails_with(zeroipc_memory_open(NULL, name, 0), ZEROIPC_EINVAL);
	assert_fails_with(
		zeroipc_memory_open_or_create(NULL, NULL, name, SEG_SIZE, NULL),
		ZEROIPC_EINVAL);
	/* Nothing was created by the refused calls. */
	assert_int_equal(zt_shm_file_size(name), -1);
	/* A NULL name is refused, as an argument error or a name error. */
	{
		int rc = zeroipc_memory_create(&mem, NULL, SEG_SIZE, NULL);

		assert_true(rc == ZEROIPC_EINVAL || rc == ZEROIPC_ENAME);
		rc = zeroipc_memory_open(&mem, NULL, 0);
		assert_true(rc == ZEROIPC_EINVAL || rc == ZEROIPC_ENAME);
		rc = zeroipc_memory_unlink(NULL);
		assert_true(rc == ZEROIPC_EINVAL || rc == ZEROIPC_ENAME);
	}
}

static void test_memory_unknown_open_flags_are_einval(void **state)
{
	zeroipc_memory *mem;
	zeroipc_memory *other = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-flags", SEG_SIZE, 0);
	assert_fails_with(zeroipc_memory_open(&other, name, 0x80000000u),
			  ZEROIPC_EINVAL);
	zt_destroy(mem, name);
}

static void test_memory_size_too_small(void **state)
{
	const uint64_t table = ZT_TABLE_END(ZEROIPC_DEFAULT_MAX_ENTRIES);
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	char name[128];

	(void)state;
	zt_name(name, sizeof(name), "mem-small");
	assert_fails_with(zeroipc_memory_create(&mem, name, 0, NULL),
			  ZEROIPC_ETOO_SMALL);
	assert_fails_with(zeroipc_memory_create(&mem, name, 31, NULL),
			  ZEROIPC_ETOO_SMALL);
	assert_fails_with(zeroipc_memory_create(&mem, name, table - 1, NULL),
			  ZEROIPC_ETOO_SMALL);
	/* Refused creates leave no file behind. */
	assert_int_equal(zt_shm_file_size(name), -1);

	opts.max_entries = 200;
	assert_fails_with(
		zeroipc_memory_create(&mem, name, ZT_TABLE_END(200) - 1, &opts),
		ZEROIPC_ETOO_SMALL);
	assert_int_equal(zt_shm_file_size(name), -1);

	/* Exactly the table: valid, with no room for data. */
	assert_ok(zeroipc_memory_create(&mem, name, table, NULL));
	assert_int_equal(zeroipc_table_free_bytes(mem), 0);
	assert_fails_with(zeroipc_table_add(NULL, mem, "x", 1),
			  ZEROIPC_ENO_SPACE);
	zt_destroy(mem, name);
}

static unsigned file_mode(const char *name)
{
	char path[512];
	struct stat st;

	assert_int_equal(stat(zt_shm_path(path, sizeof(path), name), &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static void test_memory_default_mode_is_0600_regardless_of_umask(void **state)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	mode_t old;
	char name[128];

	(void)state;
	old = umask(0);
	zt_name(name, sizeof(name), "mem-mode-null");
	assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, NULL));
	assert_int_equal(file_mode(name), 0600);
	zt_destroy(mem, name);

	/* mode 0 in the options means the default too. */
	opts.mode = 0;
	zt_name(name, sizeof(name), "mem-mode-zero");
	assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, &opts));
	assert_int_equal(file_mode(name), 0600);
	zt_destroy(mem, name);

	/* A strict umask does not narrow it either. */
	umask(0777);
	zt_name(name, sizeof(name), "mem-mode-strict");
	assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, NULL));
	assert_int_equal(file_mode(name), 0600);
	zt_destroy(mem, name);

	/* open_or_create uses the same rule. */
	umask(0);
	zt_name(name, sizeof(name), "mem-mode-ooc");
	assert_ok(zeroipc_memory_open_or_create(&mem, NULL, name, SEG_SIZE,
						NULL));
	assert_int_equal(file_mode(name), 0600);
	zt_destroy(mem, name);
	umask(old);
}

static void test_memory_mode_option_widens(void **state)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	mode_t old;
	char name[128];

	(void)state;
	/* umask 077 would strip the group/other bits: it is ignored. */
	old = umask(077);
	opts.mode = 0644;
	zt_name(name, sizeof(name), "mem-mode-0644");
	assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, &opts));
	assert_int_equal(file_mode(name), 0644);
	zt_destroy(mem, name);

	opts.mode = 0666;
	zt_name(name, sizeof(name), "mem-mode-0666");
	assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, &opts));
	assert_int_equal(file_mode(name), 0666);
	zt_destroy(mem, name);
	umask(old);
}

static void test_memory_open_missing_is_not_found(void **state)
{
	zeroipc_memory *mem = NULL;
	char name[128];

	(void)state;
	zt_name(name, sizeof(name), "mem-missing");
	assert_fails_with(zeroipc_memory_open(&mem, name, 0),
			  ZEROIPC_ENOT_FOUND);
	assert_fails_with(
		zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY),
		ZEROIPC_ENOT_FOUND);
}

/* Child body: write through a read-only mapping; must die by SIGSEGV. */
static int write_through_readonly(void *arg)
{
	volatile unsigned char *p = arg;

	p[0] = 0;
	return 0;
}

static void test_memory_readonly_open_refuses_writes(void **state)
{
	zeroipc_memory *mem;
	zeroipc_memory *ro = NULL;
	zeroipc_array *arr = NULL;
	zeroipc_array *ro_arr = NULL;
	zeroipc_table_entry e;
	uint32_t v = 0;
	uint32_t expected;
	struct zt_snapshot snap;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-ro", SEG_SIZE, 0);
	assert_ok(zeroipc_array_create(&arr, mem, "counts", 4, 8));
	assert_ok(zeroipc_array_store_u32(arr, 2, 42));

	assert_ok(zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
	assert_int_equal(zeroipc_memory_is_readonly(ro), 1);
	assert_ok(zeroipc_memory_validate(ro));
	zt_snapshot_take(&snap, ro);

	/* Reads work. */
	assert_int_equal(zeroipc_table_count(ro), 1);
	assert_ok(zeroipc_table_find(&e, ro, "counts"));
	assert_ok(zeroipc_table_entry_at(&e, ro, 0));
	assert_ok(zeroipc_array_open(&ro_arr, ro, "counts", 4));
	assert_ok(zeroipc_array_load_u32(&v, ro_arr, 2));
	assert_int_equal(v, 42);
	assert_ok(zeroipc_array_get(&v, ro_arr, 2));
	assert_int_equal(v, 42);

	/* Every write through the API is refused, not a SIGSEGV. */
	assert_fails_with(zeroipc_table_add(NULL, ro, "more", 8),
			  ZEROIPC_EREADONLY);
	{
		zeroipc_array *tmp = NULL;

		assert_fails_with(zeroipc_array_create(&tmp, ro, "more", 4, 4),
				  ZEROIPC_EREADONLY);
	}
	v = 7;
	assert_fails_with(zeroipc_array_set(ro_arr, 2, &v), ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_array_store_u32(ro_arr, 2, 7),
			  ZEROIPC_EREADONLY);
	assert_fails_with(zeroipc_array_fetch_add_u32(NULL, ro_arr, 2, 1),
			  ZEROIPC_EREADONLY);
	expected = 42;
	assert_fails_with(
		zeroipc_array_compare_exchange_u32(ro_arr, 2, &expected, 9),
		ZEROIPC_EREADONLY);
	zt_snapshot_check(&snap, ro);
	assert_ok(zeroipc_array_load_u32(&v, arr, 2));
	assert_int_equal(v, 42);

	/* The mapping itself is read-only, not just the API. */
	{
		pid_t pid = zt_fork(write_through_readonly,
				    zeroipc_memory_base(ro));

		assert_int_equal(zt_wait(pid), 128 + SIGSEGV);
	}

	zeroipc_array_close(ro_arr);
	zeroipc_memory_close(ro);
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

/*
 * Child body, run as an unprivileged user: the segment is 0644 and owned
 * by root, so read-write opens must be refused and a read-only open allowed.
 */
static int open_as_nobody(void *arg)
{
	const char *name = arg;
	zeroipc_memory *mem = NULL;

	/* A root without CAP_SETUID (some containers) cannot do this. */
	if (setgid(65534) != 0 || setuid(65534) != 0)
		return ZT_SKIP;
	if (zeroipc_memory_open(&mem, name, 0) != ZEROIPC_EPERM)
		return 11;
	if (zeroipc_memory_open_or_create(&mem, NULL, name, SEG_SIZE, NULL) !=
	    ZEROIPC_EPERM)
		return 12;
	if (zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY) != 0)
		return 13;
	if (zeroipc_memory_is_readonly(mem) != 1)
		return 14;
	zeroipc_memory_close(mem);
	if (zeroipc_memory_unlink(name) != ZEROIPC_EPERM)
		return 15;
	return 0;
}

static void test_memory_open_without_permission_is_eperm(void **state)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	zeroipc_memory *ro = NULL;
	char name[128];
	int st;

	(void)state;
	zt_name(name, sizeof(name), "mem-perm");
	if (geteuid() == 0) {
		/* Root may open anything: check as another user instead. */
		opts.mode = 0644;
		assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, &opts));
		zeroipc_memory_close(mem);
		st = zt_wait(zt_fork(open_as_nobody, name));
		if (st == ZT_SKIP) {
			assert_ok(zeroipc_memory_unlink(name));
			skip();
		}
		assert_int_equal(st, 0);
	} else {
		opts.mode = 0400;
		assert_ok(zeroipc_memory_create(&mem, name, SEG_SIZE, &opts));
		zeroipc_memory_close(mem);
		assert_fails_with(zeroipc_memory_open(&mem, name, 0),
				  ZEROIPC_EPERM);
		assert_ok(
			zeroipc_memory_open(&ro, name, ZEROIPC_OPEN_READONLY));
		zeroipc_memory_close(ro);
	}
	assert_ok(zeroipc_memory_unlink(name));
}

static void test_memory_header_fields(void **state)
{
	zeroipc_memory *mem;
	char name[128];
	const uint64_t table = ZT_TABLE_END(ZEROIPC_DEFAULT_MAX_ENTRIES);

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-header", SEG_SIZE, 0);
	assert_int_equal(zt_hdr_u32(mem, ZT_HDR_MAGIC), 0x5A49504D);
	assert_int_equal(zt_hdr_u32(mem, ZT_HDR_VERSION), 2);
	assert_int_equal(zt_hdr_u32(mem, ZT_HDR_ENTRY_COUNT), 0);
	assert_int_equal(zt_hdr_u32(mem, ZT_HDR_MAX_ENTRIES), 64);
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_MEMORY_SIZE), SEG_SIZE);
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET), 32 + 48 * 64);
	assert_int_equal(table, 3104);
	/* "ZIPM" as bytes in memory on a little-endian host. */
	assert_memory_equal(zeroipc_memory_base(mem), "MPIZ", 4);
	/* The empty table is all zero. */
	{
		const unsigned char *p = zeroipc_memory_base(mem);
		uint64_t i;

		for (i = 32; i < table; i++)
			assert_int_equal(p[i], 0);
	}
	assert_int_equal(zeroipc_table_capacity(mem), 64);
	assert_int_equal(zeroipc_table_count(mem), 0);
	assert_int_equal(zeroipc_table_free_bytes(mem), SEG_SIZE - table);

	/* Adding an entry moves entry_count and next_offset. */
	assert_ok(zeroipc_table_add(NULL, mem, "first", 10));
	assert_int_equal(zt_hdr_u32(mem, ZT_HDR_ENTRY_COUNT), 1);
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET), table + 10);
	assert_memory_equal((const unsigned char *)zeroipc_memory_base(mem) +
				    ZT_ENTRY_FIELD(0, ZT_ENTRY_NAME),
			    "first\0", 6);
	assert_int_equal(zt_hdr_u64(mem, ZT_ENTRY_FIELD(0, ZT_ENTRY_OFFSET)),
			 table);
	assert_int_equal(zt_hdr_u64(mem, ZT_ENTRY_FIELD(0, ZT_ENTRY_LEN)), 10);
	zt_destroy(mem, name);
}

static void test_memory_max_entries_option(void **state)
{
	zeroipc_memory *mem;
	zeroipc_memory *again = NULL;
	zeroipc_table_entry e;
	char name[128];
	char ename[32];
	uint32_t i;

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-200", 1 << 20, 200);
	assert_int_equal(zeroipc_table_capacity(mem), 200);
	assert_int_equal(zt_hdr_u32(mem, ZT_HDR_MAX_ENTRIES), 200);
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET), 32 + 48 * 200);
	for (i = 0; i < 200; i++) {
		snprintf(ename, sizeof(ename), "entry-%u", i);
		assert_ok(zeroipc_table_add(NULL, mem, ename, 1 + i % 17));
	}
	assert_fails_with(zeroipc_table_add(NULL, mem, "one-too-many", 8),
			  ZEROIPC_ETABLE_FULL);
	zeroipc_memory_close(mem);

	/* Reopen: the capacity comes from the header, not a default. */
	assert_ok(zeroipc_memory_open(&again, name, 0));
	assert_int_equal(zeroipc_table_capacity(again), 200);
	assert_int_equal(zeroipc_table_count(again), 200);
	assert_ok(zeroipc_memory_validate(again));
	for (i = 0; i < 200; i++) {
		snprintf(ename, sizeof(ename), "entry-%u", i);
		assert_ok(zeroipc_table_find(&e, again, ename));
		assert_int_equal(e.size, 1 + i % 17);
		assert_ok(zeroipc_table_entry_at(&e, again, i));
		assert_string_equal(e.name, ename);
	}
	zt_destroy(again, name);

	/* A small table, and the default when max_entries is 0. */
	mem = zt_create(name, sizeof(name), "mem-1", 4096, 1);
	assert_int_equal(zeroipc_table_capacity(mem), 1);
	assert_int_equal(zt_hdr_u64(mem, ZT_HDR_NEXT_OFFSET), 80);
	zt_destroy(mem, name);
	mem = zt_create(name, sizeof(name), "mem-0", SEG_SIZE, 0);
	assert_int_equal(zeroipc_table_capacity(mem), 64);
	zt_destroy(mem, name);
}

static void test_memory_huge_max_entries_is_too_small(void **state)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	char name[128];

	(void)state;
	/* 48 * 2^32 bytes of table cannot fit a 64 KiB segment. */
	opts.max_entries = UINT32_MAX;
	zt_name(name, sizeof(name), "mem-maxent-huge");
	assert_fails_with(zeroipc_memory_create(&mem, name, SEG_SIZE, &opts),
			  ZEROIPC_ETOO_SMALL);
	assert_int_equal(zt_shm_file_size(name), -1);
}

static void test_memory_new_segment_validates(void **state)
{
	zeroipc_memory *mem;
	zeroipc_array *arr = NULL;
	char name[128];

	(void)state;
	mem = zt_create(name, sizeof(name), "mem-validate", SEG_SIZE, 16);
	assert_ok(zeroipc_memory_validate(mem));
	assert_ok(zeroipc_array_create(&arr, mem, "a", 8, 100));
	assert_ok(zeroipc_table_add(NULL, mem, "odd", 13));
	assert_ok(zeroipc_memory_validate(mem));
	zeroipc_array_close(arr);
	zt_destroy(mem, name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_create_open_close_unlink),
		cmocka_unit_test(test_memory_close_accepts_null),
		cmocka_unit_test(test_memory_unlink_keeps_existing_mappings),
		cmocka_unit_test(test_memory_create_exclusive_keeps_existing),
		cmocka_unit_test(test_memory_open_or_create_creates_then_opens),
		cmocka_unit_test(
			test_memory_open_or_create_reports_create_errors),
		cmocka_unit_test(test_memory_rejects_bad_names),
		cmocka_unit_test(test_memory_accepts_longest_name),
		cmocka_unit_test(test_memory_null_arguments_are_einval),
		cmocka_unit_test(test_memory_unknown_open_flags_are_einval),
		cmocka_unit_test(test_memory_size_too_small),
		cmocka_unit_test(
			test_memory_default_mode_is_0600_regardless_of_umask),
		cmocka_unit_test(test_memory_mode_option_widens),
		cmocka_unit_test(test_memory_open_missing_is_not_found),
		cmocka_unit_test(test_memory_readonly_open_refuses_writes),
		cmocka_unit_test(test_memory_open_without_permission_is_eperm),
		cmocka_unit_test(test_memory_header_fields),
		cmocka_unit_test(test_memory_max_entries_option),
		cmocka_unit_test(test_memory_huge_max_entries_is_too_small),
		cmocka_unit_test(test_memory_new_segment_validates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
