/* SPDX-License-Identifier: MIT */
/*
 * test_hostile.c - segments written by someone else: every header field and
 * table entry field replaced by hostile values, truncated and empty files,
 * and seeded random damage.  Whatever the bytes, the library must answer
 * with a status code and never read or write outside its mapping.  Run under
 * ASan+UBSan by CI (-DZEROIPC_SANITIZE=address).
 *
 * Damage goes straight to /dev/shm/<name> with pwrite/ftruncate, never
 * through the library.  A damaged segment is either refused at open
 * (EBAD_FORMAT, EVERSION, ECORRUPT) or, where open may accept it, every call
 * that touches the damaged part fails and memory_validate() reports it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "zt_zeroipc.h"

/* The sample segment: 8 entries, three of them used. */
#define SEG_SIZE 8192u
#define MAX_ENTRIES 8u
#define TABLE_END ZT_TABLE_END(MAX_ENTRIES) /* 416 */
#define A_CAP 16u                           /* "a": 16 x u32 */
#define B_CAP 8u                            /* "b": 8 x u64 */
#define RAW_SIZE 100u                       /* "raw": plain region */

struct sample {
	char name[128];
	unsigned char image[SEG_SIZE]; /* the undamaged file */
	uint64_t off_a, off_b, off_raw;
};

static struct sample sample;

/* Build the sample segment and keep a copy of its bytes. */
static int setup_sample(void **state)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;
	zeroipc_array *arr = NULL;
	zeroipc_table_entry e;
	uint64_t i;

	(void)state;
	zt_name(sample.name, sizeof(sample.name), "hostile");
	opts.max_entries = MAX_ENTRIES;
	if (zeroipc_memory_create(&mem, sample.name, SEG_SIZE, &opts) != 0)
		return -1;
	if (zeroipc_array_create(&arr, mem, "a", 4, A_CAP) != 0)
		return -1;
	for (i = 0; i < A_CAP; i++)
		zeroipc_array_store_u32(arr, i, (uint32_t)(i * 3));
	zeroipc_array_close(arr);
	if (zeroipc_array_create(&arr, mem, "b", 8, B_CAP) != 0)
		return -1;
	for (i = 0; i < B_CAP; i++)
		zeroipc_array_store_u64(arr, i, i << 40);
	zeroipc_array_close(arr);
	if (zeroipc_table_add(&sample.off_raw, mem, "raw", RAW_SIZE) != 0)
		return -1;
	if (zeroipc_table_find(&e, mem, "a") != 0)
		return -1;
	sample.off_a = e.offset;
	if (zeroipc_table_find(&e, mem, "b") != 0)
		return -1;
	sample.off_b = e.offset;
	zeroipc_memory_close(mem);
	return zt_shm_pread(sample.name, 0, sample.image, SEG_SIZE);
}

static int teardown_sample(void **state)
{
	(void)state;
	(void)zeroipc_memory_unlink(sample.name);
	return 0;
}

/* Put the undamaged bytes back (and the original length). */
static void restore(void)
{
	assert_int_equal(zt_shm_truncate(sample.name, SEG_SIZE), 0);
	assert_int_equal(zt_shm_pwrite(sample.name, 0, sample.image, SEG_SIZE),
			 0);
}

static void poke_u32(uint64_t off, uint32_t v)
{
	assert_int_equal(zt_shm_write_u32(sample.name, off, v), 0);
}

static void poke_u64(uint64_t off, uint64_t v)
{
	assert_int_equal(zt_shm_write_u64(sample.name, off, v), 0);
}

/* ---- the exerciser: every read-side call, checked for sane answers ---- */

static char why[512];

#define EX_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond)) {                                                 \
			snprintf(why, sizeof(why), "line %d: %s (last: %s)",   \
				 __LINE__, #cond, zeroipc_last_error());       \
			return -1;                                             \
		}                                                              \
	} while (0)

static int is_one_of(int rc, const int *codes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rc == codes[i])
			return 1;
	return 0;
}

#define ONE_OF(rc, ...)                                                        \
	is_one_of((rc), (const int[]){__VA_ARGS__},                            \
		  sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* An entry handed out by the library must describe memory we mapped. */
static int entry_sane(const zeroipc_memory *mem, const zeroipc_table_entry *e)
{
	uint64_t size = zeroipc_memory_size(mem);
	uint64_t table = ZT_TABLE_END(zeroipc_table_capacity(mem));

	EX_CHECK(strnlen(e->name, sizeof(e->name)) < sizeof(e->name));
	EX_CHECK(e->name[0] != '\0');
	EX_CHECK(e->offset % 8 == 0);
	EX_CHECK(e->offset >= table);
	EX_CHECK(e->offset <= size);
	EX_CHECK(e->size <= size - e->offset);
	return 0;
}

/* Open array `nm` with element size `es` and use it; never crash. */
static int exercise_array(zeroipc_memory *mem, const char *nm, uint64_t es)
{
	unsigned char buf[16];
	zeroipc_array *arr = NULL;
	uint64_t cap;
	int rc;

	rc = zeroipc_array_open(&arr, mem, nm, es);
	if (rc != 0) {
		EX_CHECK(ONE_OF(rc, ZEROIPC_ENOT_FOUND, ZEROIPC_ECORRUPT,
				ZEROIPC_ESIZE_MISMATCH));
		EX_CHECK(arr == NULL);
		return 0;
	}
	cap = zeroipc_array_capacity(arr);
	EX_CHECK(zeroipc_array_elem_size(arr) == es);
	/* The whole data range lies inside the mapping. */
	EX_CHECK((unsigned char *)zeroipc_array_data(arr) >=
		 (unsigned char *)zeroipc_memory_base(mem) + 8);
	EX_CHECK(cap <= zeroipc_memory_size(mem) / es);
	EX_CHECK((unsigned char *)zeroipc_array_data(arr) + cap * es <=
		 (unsigned char *)zeroipc_memory_base(mem) +
			 zeroipc_memory_size(mem));
	if (cap > 0) {
		EX_CHECK(zeroipc_array_get(buf, arr, 0) == 0);
		EX_CHECK(zeroipc_array_get(buf, arr, cap - 1) == 0);
		if (es == 4) {
			uint32_t v;

			EX_CHECK(zeroipc_array_load_u32(&v, arr, cap - 1) == 0);
		}
		if (es == 8) {
			uint64_t v;

			EX_CHECK(zeroipc_array_load_u64(&v, arr, cap - 1) == 0);
		}
	}
	EX_CHECK(zeroipc_array_get(buf, arr, cap) == ZEROIPC_ERANGE);
	zeroipc_array_close(arr);
	return 0;
}

/*
 * Use an opened (possibly damaged) segment through every read call and one
 * add.  Returns 0 if every answer was a status or in-bounds data, else -1
 * with the reason in `why`.
 */
static int exercise(zeroipc_memory *mem)
{
	static const char *const names[] = {"a", "b", "raw", "missing"};
	static const uint64_t sizes[] = {1, 4, 8};
	zeroipc_table_entry e;
	uint32_t count = zeroipc_table_count(mem);
	uint32_t cap = zeroipc_table_capacity(mem);
	uint32_t i;
	size_t n, s;
	int rc;

	EX_CHECK(cap > 0);
	EX_CHECK(count <= cap);
	EX_CHECK(ZT_TABLE_END(cap) <= zeroipc_memory_size(mem));
	EX_CHECK(zeroipc_table_free_bytes(mem) <= zeroipc_memory_size(mem));
	rc = zeroipc_memory_validate(mem);
	EX_CHECK(ONE_OF(rc, 0, ZEROIPC_EBAD_FORMAT, ZEROIPC_EVERSION,
			ZEROIPC_ECORRUPT));
	for (i = 0; i < count + 2; i++) {
		rc = zeroipc_table_entry_at(&e, mem, i);
		if (rc == 0) {
			EX_CHECK(i < count);
			if (entry_sane(mem, &e) != 0)
				return -1;
		} else if (i < count) {
			EX_CHECK(rc == ZEROIPC_ECORRUPT);
		} else {
			EX_CHECK(rc == ZEROIPC_ERANGE);
		}
	}
	for (n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		rc = zeroipc_table_find(&e, mem, names[n]);
		if (rc == 0) {
			EX_CHECK(strcmp(e.name, names[n]) == 0);
			if (entry_sane(mem, &e) != 0)
				return -1;
		} else {
			EX_CHECK(ONE_OF(rc, ZEROIPC_ENOT_FOUND,
					ZEROIPC_ECORRUPT));
		}
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			if (exercise_array(mem, names[n], sizes[s]) != 0)
				return -1;
	}
	if (!zeroipc_memory_is_readonly(mem)) {
		uint64_t off = 0;

		rc = zeroipc_table_add(&off, mem, "added", 24);
		if (rc == 0) {
			EX_CHECK(off % 8 == 0);
			EX_CHECK(off >= ZT_TABLE_END(cap));
			EX_CHECK(off + 24 <= zeroipc_memory_size(mem));
		} else {
			EX_CHECK(ONE_OF(rc, ZEROIPC_ECORRUPT, ZEROIPC_ENO_SPACE,
					ZEROIPC_ETABLE_FULL, ZEROIPC_EEXISTS));
		}
	}
	return 0;
}

/* ---- expectations for one kind of damage ---- */

/* The damaged segment must be refused at open with exactly `code`. */
static void expect_refused(const char *what, int code)
{
	static const uint32_t modes[] = {0, ZEROIPC_OPEN_READONLY};
	size_t m;

	for (m = 0; m < 2; m++) {
		zeroipc_memory *mem = NULL;
		int rc = zeroipc_memory_open(&mem, sample.name, modes[m]);

		if (rc != code) {
			print_error("%s (flags %u): open gave %s, expected %s; "
				    "last_error \"%s\"\n",
				    what, modes[m], zeroipc_status_name(rc),
				    zeroipc_status_name(code),
				    zeroipc_last_error());
			zeroipc_memory_close(mem);
			fail();
		}
		assert_null(mem);
		assert_true(zeroipc_last_error()[0] != '\0');
	}
	/* open_or_create must not "repair" it by creating over it either. */
	{
		zeroipc_memory *mem = NULL;
		int created = -1;
		int rc = zeroipc_memory_open_or_create(
			&mem, &created, sample.name, SEG_SIZE, NULL);

		if (rc != code) {
			print_error("%s: open_or_create gave %s, expected %s\n",
				    what, zeroipc_status_name(rc),
				    zeroipc_status_name(code));
			zeroipc_memory_close(mem);
			fail();
		}
		assert_int_not_equal(created, 1);
	}
}

/*
 * Damage to one entry (index `idx`, named `nm`, or NULL when the damage
 * leaves it without a usable name): open may refuse the
 * segment as ECORRUPT, or accept it; then that entry is unusable, the
 * segment does not validate, and nothing crashes.
 */
static void expect_entry_unusable(const char *what, uint32_t idx,
				  const char *nm, uint64_t es)
{
	zeroipc_memory *mem = NULL;
	zeroipc_array *arr = NULL;
	zeroipc_table_entry e;
	int rc = zeroipc_memory_open(&mem, sample.name, 0);

	if (rc != 0) {
		if (rc != ZEROIPC_ECORRUPT) {
			print_error("%s: open gave %s, expected ECORRUPT or "
				    "success\n",
				    what, zeroipc_status_name(rc));
			fail();
		}
		return;
	}
	if (exercise(mem) != 0) {
		print_error("%s: %s\n", what, why);
		zeroipc_memory_close(mem);
		fail();
	}
	assert_status(zeroipc_table_entry_at(&e, mem, idx), ZEROIPC_ECORRUPT);
	if (nm != NULL) {
		rc = zeroipc_table_find(&e, mem, nm);
		assert_true(rc == ZEROIPC_ECORRUPT || rc == ZEROIPC_ENOT_FOUND);
		rc = zeroipc_array_open(&arr, mem, nm, es);
		assert_true(rc != 0);
		assert_null(arr);
	}
	assert_status(zeroipc_memory_validate(mem), ZEROIPC_ECORRUPT);
	zeroipc_memory_close(mem);
}

/* ---- header fields ---- */

static void test_hostile_bad_magic(void **state)
{
	(void)state;
	restore();
	poke_u32(ZT_HDR_MAGIC, 0);
	expect_refused("magic 0", ZEROIPC_EBAD_FORMAT);
	poke_u32(ZT_HDR_MAGIC, 0x4D50495Au); /* byte-swapped */
	expect_refused("magic byte-swapped", ZEROIPC_EBAD_FORMAT);
	poke_u32(ZT_HDR_MAGIC, 0xFFFFFFFFu);
	expect_refused("magic all ones", ZEROIPC_EBAD_FORMAT);
	restore();
}

static void test_hostile_bad_version(void **state)
{
	static const uint32_t versions[] = {0, 1, 3, 0xFFFFFFFFu};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		restore();
		poke_u32(ZT_HDR_VERSION, versions[i]);
		expect_refused("version", ZEROIPC_EVERSION);
	}
	restore();
}

static void test_hostile_entry_count(void **state)
{
	(void)state;
	restore();
	poke_u32(ZT_HDR_ENTRY_COUNT, MAX_ENTRIES + 1);
	expect_refused("entry_count max+1", ZEROIPC_ECORRUPT);
	poke_u32(ZT_HDR_ENTRY_COUNT, 0xFFFFFFFFu);
	expect_refused("entry_count huge", ZEROIPC_ECORRUPT);
	/* A count above the used slots publishes all-zero entries. */
	poke_u32(ZT_HDR_ENTRY_COUNT, 5);
	expect_entry_unusable("entry_count over zero slots", 3, NULL, 0);
	restore();
}

static void test_hostile_max_entries(void **state)
{
	static const uint32_t values[] = {
		0,           /* no table at all */
		2,           /* fewer than the 3 published entries */
		1000,        /* table would overlap the data */
		170,         /* table would end exactly at memory_size */
		171,         /* table would end past memory_size */
		0x05555556u, /* 48 * this wraps a 32-bit product */
		0xFFFFFFFFu,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char what[64];

		restore();
		poke_u32(ZT_HDR_MAX_ENTRIES, values[i]);
		snprintf(what, sizeof(what), "max_entries %u", values[i]);
		expect_refused(what, ZEROIPC_ECORRUPT);
	}
	restore();
}

static void test_hostile_memory_size(void **state)
{
	static const uint64_t values[] = {
		SEG_SIZE + 1, /* one byte past the file: SIGBUS bait */
		SEG_SIZE * 2ull,
		UINT64_MAX,
		1ull << 63,
		0,
		16,        /* smaller than the header */
		100,       /* smaller than the table */
		TABLE_END, /* the table, but not the entries' data */
		600,       /* cuts "raw" and next_offset off */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char what[64];

		restore();
		poke_u64(ZT_HDR_MEMORY_SIZE, values[i]);
		snprintf(what, sizeof(what), "memory_size %llu",
			 (unsigned long long)values[i]);
		expect_refused(what, ZEROIPC_ECORRUPT);
	}
	restore();
}

static void test_hostile_memory_size_smaller_than_file(void **state)
{
	zeroipc_memory *mem = NULL;

	(void)state;
	/*
	 * A header that claims less than the file holds is legitimate (a
	 * file rounded up to pages by someone); the library maps what the
	 * header says, and its checks use that size.
	 */
	restore();
	poke_u64(ZT_HDR_MEMORY_SIZE, 4096);
	poke_u64(ZT_HDR_NEXT_OFFSET, 4096);
	assert_ok(zeroipc_memory_open(&mem, sample.name, 0));
	assert_int_equal(zeroipc_memory_size(mem), 4096);
	assert_int_equal(zeroipc_table_free_bytes(mem), 0);
	assert_status(zeroipc_table_add(NULL, mem, "more", 8),
		      ZEROIPC_ENO_SPACE);
	if (exercise(mem) != 0) {
		print_error("%s\n", why);
		fail();
	}
	zeroipc_memory_close(mem);
	restore();
}

static void test_hostile_next_offset(void **state)
{
	static const uint64_t values[] = {
		SEG_SIZE + 1ull,
		SEG_SIZE + 8ull,
		UINT64_MAX,
		UINT64_MAX - 7,
		0,
		8,
		TABLE_END - 1,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char what[64];

		restore();
		poke_u64(ZT_HDR_NEXT_OFFSET, values[i]);
		snprintf(what, sizeof(what), "next_offset %llu",
			 (unsigned long long)values[i]);
		expect_refused(what, ZEROIPC_ECORRUPT);
	}
	restore();
}

/* ---- entry fields ---- */

struct entry_damage {
	const char *what;
	uint32_t field; /* ZT_ENTRY_OFFSET or ZT_ENTRY_LEN */
	uint64_t value;
};

static void test_hostile_entry_offset_and_size(void **state)
{
	static const struct entry_damage damage[] = {
		{"offset past end", ZT_ENTRY_OFFSET, SEG_SIZE + 8ull},
		{"offset at end", ZT_ENTRY_OFFSET, SEG_SIZE},
		{"offset unaligned", ZT_ENTRY_OFFSET, TABLE_END + 4},
		{"offset in header", ZT_ENTRY_OFFSET, 0},
		{"offset in table", ZT_ENTRY_OFFSET, 32},
		{"offset+size wraps", ZT_ENTRY_OFFSET, UINT64_MAX - 7},
		{"offset 2^63", ZT_ENTRY_OFFSET, 1ull << 63},
		{"size huge", ZT_ENTRY_LEN, UINT64_MAX},
		{"size = memory_size", ZT_ENTRY_LEN, SEG_SIZE},
		{"size past end", ZT_ENTRY_LEN, SEG_SIZE - TABLE_END + 1},
	};
	/* Damage each of the three entries in turn. */
	static const struct {
		const char *name;
		uint64_t elem;
	} victims[] = {{"a", 4}, {"b", 8}, {"raw", 4}};
	size_t d;
	uint32_t v;

	(void)state;
	for (v = 0; v < 3; v++) {
		for (d = 0; d < sizeof(damage) / sizeof(damage[0]); d++) {
			char what[96];

			restore();
			poke_u64(ZT_ENTRY_FIELD(v, damage[d].field),
				 damage[d].value);
			snprintf(what, sizeof(what), "entry %s: %s",
				 victims[v].name, damage[d].what);
			expect_entry_unusable(what, v, victims[v].name,
					      victims[v].elem);
		}
	}
	restore();
}

static void test_hostile_entry_names(void **state)
{
	unsigned char name[32];

	(void)state;
	/* 32 bytes and no NUL. */
	restore();
	memset(name, 'A', sizeof(name));
	assert_int_equal(zt_shm_pwrite(sample.name,
				       ZT_ENTRY_FIELD(1, ZT_ENTRY_NAME), name,
				       sizeof(name)),
			 0);
	expect_entry_unusable("name without NUL", 1, "b", 8);

	/* "b" followed by garbage up to byte 31 and no NUL. */
	restore();
	memset(name, 0xFF, sizeof(name));
	name[0] = 'b';
	assert_int_equal(zt_shm_pwrite(sample.name,
				       ZT_ENTRY_FIELD(1, ZT_ENTRY_NAME), name,
				       sizeof(name)),
			 0);
	expect_entry_unusable("name 'b' unterminated", 1, "b", 8);

	/* Empty name. */
	restore();
	memset(name, 0, sizeof(name));
	assert_int_equal(zt_shm_pwrite(sample.name,
				       ZT_ENTRY_FIELD(2, ZT_ENTRY_NAME), name,
				       sizeof(name)),
			 0);
	expect_entry_unusable("empty name", 2, "raw", 4);
	restore();
}

static void test_hostile_array_capacity_field(void **state)
{
	static const uint64_t values[] = {
		0,
		A_CAP + 1,
		A_CAP - 1,
		UINT64_MAX,
		/* 4 * this == 2^64 + 64, which wraps to the real size. */
		(1ull << 62) + A_CAP,
		1ull << 63,
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		zeroipc_memory *mem = NULL;
		zeroipc_array *arr = NULL;
		int rc;

		restore();
		poke_u64(sample.off_a, values[i]);
		assert_ok(zeroipc_memory_open(&mem, sample.name, 0));
		rc = zeroipc_array_open(&arr, mem, "a", 4);
		if (rc != ZEROIPC_ESIZE_MISMATCH && rc != ZEROIPC_ECORRUPT) {
			print_error("capacity %llu: array_open gave %s\n",
				    (unsigned long long)values[i],
				    zeroipc_status_name(rc));
			zeroipc_array_close(arr);
			fail();
		}
		assert_null(arr);
		if (exercise(mem) != 0) {
			print_error("capacity %llu: %s\n",
				    (unsigned long long)values[i], why);
			fail();
		}
		zeroipc_memory_close(mem);
	}
	restore();
}

/* ---- damage while a handle is open ---- */

static void test_hostile_damage_after_open(void **state)
{
	zeroipc_memory *mem = NULL;
	zeroipc_array *arr = NULL;
	zeroipc_table_entry e;
	uint32_t v = 0;
	int rc;

	(void)state;
	restore();
	assert_ok(zeroipc_memory_open(&mem, sample.name, 0));
	assert_ok(zeroipc_array_open(&arr, mem, "a", 4));

	/* Entry "b" now points past the end: lookups re-check. */
	poke_u64(ZT_ENTRY_FIELD(1, ZT_ENTRY_OFFSET), SEG_SIZE * 4ull);
	assert_status(zeroipc_table_find(&e, mem, "b"), ZEROIPC_ECORRUPT);
	assert_status(zeroipc_table_entry_at(&e, mem, 1), ZEROIPC_ECORRUPT);
	{
		zeroipc_array *b = NULL;

		rc = zeroipc_array_open(&b, mem, "b", 8);
		assert_true(rc != 0);
		assert_null(b);
	}
	assert_status(zeroipc_memory_validate(mem), ZEROIPC_ECORRUPT);
	/* Undamaged entries keep working. */
	assert_ok(zeroipc_table_find(&e, mem, "raw"));
	poke_u64(ZT_ENTRY_FIELD(1, ZT_ENTRY_OFFSET), sample.off_b);

	/* The count jumps far past the table: clamped, never trusted. */
	poke_u32(ZT_HDR_ENTRY_COUNT, 0xFFFFFFFFu);
	assert_true(zeroipc_table_count(mem) <= MAX_ENTRIES);
	assert_status(zeroipc_table_entry_at(&e, mem, MAX_ENTRIES),
		      ZEROIPC_ERANGE);
	if (exercise(mem) != 0) {
		print_error("entry_count huge after open: %s\n", why);
		fail();
	}
	poke_u32(ZT_HDR_ENTRY_COUNT, 3);

	/* The bump pointer runs off the end: add refuses, no write. */
	poke_u64(ZT_HDR_NEXT_OFFSET, UINT64_MAX - 3);
	rc = zeroipc_table_add(NULL, mem, "late", 8);
	assert_true(rc == ZEROIPC_ECORRUPT || rc == ZEROIPC_ENO_SPACE);
	assert_int_equal(zeroipc_table_count(mem), 3);
	poke_u64(ZT_HDR_NEXT_OFFSET, TABLE_END - 8);
	rc = zeroipc_table_add(NULL, mem, "late", 8);
	assert_status(rc, ZEROIPC_ECORRUPT);
	assert_int_equal(zeroipc_table_count(mem), 3);
	assert_int_equal(zt_shm_pwrite(sample.name, ZT_HDR_NEXT_OFFSET,
				       sample.image + ZT_HDR_NEXT_OFFSET, 8),
			 0);

	/* Header fields the handle validated at open are not re-read. */
	poke_u32(ZT_HDR_MAX_ENTRIES, 0xFFFFFFFFu);
	poke_u64(ZT_HDR_MEMORY_SIZE, UINT64_MAX);
	assert_int_equal(zeroipc_table_capacity(mem), MAX_ENTRIES);
	assert_int_equal(zeroipc_memory_size(mem), SEG_SIZE);
	if (exercise(mem) != 0) {
		print_error("max_entries/memory_size after open: %s\n", why);
		fail();
	}
	/* And the array handle keeps its own validated geometry. */
	poke_u64(sample.off_a, UINT64_MAX);
	assert_int_equal(zeroipc_array_capacity(arr), A_CAP);
	assert_ok(zeroipc_array_load_u32(&v, arr, A_CAP - 1));
	assert_int_equal(v, (A_CAP - 1) * 3);
	assert_status(zeroipc_array_load_u32(&v, arr, A_CAP), ZEROIPC_ERANGE);

	zeroipc_array_close(arr);
	zeroipc_memory_close(mem);
	restore();
}

static void test_hostile_free_bytes_with_next_offset_past_end(void **state)
{
	static const uint64_t values[] = {SEG_SIZE + 1ull, UINT64_MAX - 3,
					  UINT64_MAX};
	zeroipc_memory *mem = NULL;
	size_t i;

	(void)state;
	restore();
	assert_ok(zeroipc_memory_open(&mem, sample.name, 0));
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		/*
		 * Changed behind the handle's back: nothing is free, however
		 * the value is rounded (aligning UINT64_MAX - 3 wraps to 0).
		 */
		poke_u64(ZT_HDR_NEXT_OFFSET, values[i]);
		if (zeroipc_table_free_bytes(mem) != 0) {
			print_error("next_offset %llu: free_bytes %llu\n",
				    (unsigned long long)values[i],
				    (unsigned long long)
					    zeroipc_table_free_bytes(mem));
			zeroipc_memory_close(mem);
			fail();
		}
	}
	zeroipc_memory_close(mem);
	restore();
}

/* ---- files of the wrong length ---- */

/* Cut the sample's file to each length: every open is refused. */
static void expect_cut_refused(const uint64_t *lengths, size_t n,
			       const char *how, int status)
{
	for (size_t i = 0; i < n; i++) {
		char what[64];

		restore();
		assert_int_equal(zt_shm_truncate(sample.name, lengths[i]), 0);
		snprintf(what, sizeof(what), "file %s %llu bytes", how,
			 (unsigned long long)lengths[i]);
		expect_refused(what, status);
	}
	restore();
}

static void test_hostile_truncated_file(void **state)
{
	static const uint64_t lengths[] = {
		SEG_SIZE / 2, SEG_SIZE - 1, 600, TABLE_END, 300, 33, 32};

	(void)state;
	/* memory_size (8192) is more than the file holds. */
	expect_cut_refused(lengths, sizeof(lengths) / sizeof(lengths[0]),
			   "cut to", ZEROIPC_ECORRUPT);
}

static void test_hostile_file_shorter_than_header(void **state)
{
	static const uint64_t lengths[] = {31, 16, 4, 1, 0};

	(void)state;
	expect_cut_refused(lengths, sizeof(lengths) / sizeof(lengths[0]),
			   "of", ZEROIPC_EBAD_FORMAT);
}

static void test_hostile_foreign_zero_length_file(void **state)
{
	zeroipc_memory *mem = NULL;
	char name[128];
	int fd;

	(void)state;
	/* Made by someone else with plain shm_open, never sized. */
	zt_name(name, sizeof(name), "hostile-empty");
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_status(zeroipc_memory_open(&mem, name, 0), ZEROIPC_EBAD_FORMAT);
	assert_null(mem);
	assert_status(zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY),
		      ZEROIPC_EBAD_FORMAT);
	/* Exclusive create does not take it over... */
	assert_status(zeroipc_memory_create(&mem, name, SEG_SIZE, NULL),
		      ZEROIPC_EEXISTS);
	/* ...and neither does open_or_create. */
	assert_status(
		zeroipc_memory_open_or_create(&mem, NULL, name, SEG_SIZE, NULL),
		ZEROIPC_EBAD_FORMAT);
	assert_int_equal(zt_shm_file_size(name), 0);
	assert_ok(zeroipc_memory_unlink(name));
}

static void test_hostile_grown_file_still_opens(void **state)
{
	zeroipc_memory *mem = NULL;

	(void)state;
	restore();
	assert_int_equal(zt_shm_truncate(sample.name, SEG_SIZE * 3), 0);
	assert_ok(zeroipc_memory_open(&mem, sample.name, 0));
	assert_int_equal(zeroipc_memory_size(mem), SEG_SIZE);
	assert_ok(zeroipc_memory_validate(mem));
	zeroipc_memory_close(mem);
	restore();
}

/* ---- seeded random damage ---- */

static void open_and_exercise(const char *what, unsigned long iter,
			      uint64_t seed, uint32_t flags)
{
	zeroipc_memory *mem = NULL;
	int rc = zeroipc_memory_open(&mem, sample.name, flags);

	if (rc != 0) {
		if (!ONE_OF(rc, ZEROIPC_EBAD_FORMAT, ZEROIPC_EVERSION,
			    ZEROIPC_ECORRUPT)) {
			print_error("%s iteration %lu (seed %llu): open gave "
				    "%s\n",
				    what, iter, (unsigned long long)seed,
				    zeroipc_status_name(rc));
			fail();
		}
		assert_null(mem);
		return;
	}
	if (exercise(mem) != 0) {
		print_error("%s iteration %lu (seed %llu): %s\n", what, iter,
			    (unsigned long long)seed, why);
		zeroipc_memory_close(mem);
		fail();
	}
	zeroipc_memory_close(mem);
}

static void test_hostile_random_byte_flips(void **state)
{
	enum {
		ITERATIONS = 3000
	};
	unsigned char img[SEG_SIZE];
	uint64_t seed = 0x5EED0001u;
	uint64_t rng = seed;
	unsigned long it;
	int opened = 0;

	(void)state;
	for (it = 0; it < ITERATIONS; it++) {
		unsigned flips = 1 + (unsigned)(zt_rand(&rng) % 8);
		unsigned f;

		memcpy(img, sample.image, SEG_SIZE);
		for (f = 0; f < flips; f++) {
			/* Mostly the header, table and array headers. */
			uint64_t span = (zt_rand(&rng) % 4) ? 700 : SEG_SIZE;
			uint64_t at = zt_rand(&rng) % span;

			img[at] = (unsigned char)zt_rand(&rng);
		}
		assert_int_equal(zt_shm_pwrite(sample.name, 0, img, SEG_SIZE),
				 0);
		open_and_exercise("byte flips", it, seed,
				  (it & 1) ? ZEROIPC_OPEN_READONLY : 0);
		{
			zeroipc_memory *m = NULL;

			if (zeroipc_memory_open(&m, sample.name,
						ZEROIPC_OPEN_READONLY) == 0) {
				opened++;
				zeroipc_memory_close(m);
			}
		}
	}
	/* The fuzz reached past open, or it proved little. */
	assert_true(opened > ITERATIONS / 10);
	restore();
}

static void test_hostile_random_field_values(void **state)
{
	/* Values that sit on the edges of every bounds check. */
	const uint64_t interesting[] = {
		0,
		1,
		7,
		8,
		31,
		32,
		33,
		TABLE_END - 1,
		TABLE_END,
		TABLE_END + 1,
		SEG_SIZE - 8,
		SEG_SIZE - 1,
		SEG_SIZE,
		SEG_SIZE + 1,
		0x7FFFFFFF,
		0x80000000u,
		0xFFFFFFFFu,
		0x100000000ull,
		1ull << 62,
		1ull << 63,
		UINT64_MAX - 8,
		UINT64_MAX - 7,
		UINT64_MAX - 1,
		UINT64_MAX,
	};
	const size_t n_int = sizeof(interesting) / sizeof(interesting[0]);
	/* Aligned u64 words of the header, entries and array headers. */
	const uint64_t words[] = {
		0,
		8,
		16,
		24,
		ZT_ENTRY_FIELD(0, ZT_ENTRY_OFFSET),
		ZT_ENTRY_FIELD(0, ZT_ENTRY_LEN),
		ZT_ENTRY_FIELD(1, ZT_ENTRY_OFFSET),
		ZT_ENTRY_FIELD(1, ZT_ENTRY_LEN),
		ZT_ENTRY_FIELD(2, ZT_ENTRY_OFFSET),
		ZT_ENTRY_FIELD(2, ZT_ENTRY_LEN),
		ZT_ENTRY_FIELD(3, ZT_ENTRY_OFFSET),
		ZT_ENTRY_FIELD(3, ZT_ENTRY_LEN),
		sample.off_a,
		sample.off_b,
	};
	const size_t n_words = sizeof(words) / sizeof(words[0]);
	enum {
		ITERATIONS = 3000
	};
	unsigned char img[SEG_SIZE];
	uint64_t seed = 0x5EED0002u;
	uint64_t rng = seed;
	unsigned long it;

	(void)state;
	for (it = 0; it < ITERATIONS; it++) {
		unsigned changes = 1 + (unsigned)(zt_rand(&rng) % 3);
		unsigned c;

		memcpy(img, sample.image, SEG_SIZE);
		for (c = 0; c < changes; c++) {
			uint64_t at = words[zt_rand(&rng) % n_words];
			uint64_t val = interesting[zt_rand(&rng) % n_int];
			uint64_t roll = zt_rand(&rng) % 4;

			if (roll == 0) {
				/* Only the low half (a u32 field). */
				uint32_t v32 = (uint32_t)val;

				memcpy(img + at, &v32, 4);
			} else if (roll == 1) {
				uint32_t v32 = (uint32_t)val;

				memcpy(img + at + 4, &v32, 4);
			} else {
				memcpy(img + at, &val, 8);
			}
		}
		assert_int_equal(zt_shm_pwrite(sample.name, 0, img, SEG_SIZE),
				 0);
		open_and_exercise("field values", it, seed,
				  (it & 1) ? ZEROIPC_OPEN_READONLY : 0);
	}
	restore();
}

static void test_hostile_random_files(void **state)
{
	enum {
		ITERATIONS = 500
	};
	static unsigned char img[SEG_SIZE];
	uint64_t seed = 0x5EED0003u;
	uint64_t rng = seed;
	unsigned long it;

	(void)state;
	for (it = 0; it < ITERATIONS; it++) {
		uint64_t len = zt_rand(&rng) % (SEG_SIZE + 1);
		uint64_t i;

		for (i = 0; i < len; i++)
			img[i] = (unsigned char)zt_rand(&rng);
		/* Half the time give it a real magic and version. */
		if (len >= 8 && (it & 1)) {
			uint32_t magic = 0x5A49504Du, version = 2;

			memcpy(img, &magic, 4);
			memcpy(img + 4, &version, 4);
		}
		/* Sometimes a plausible memory_size, so mmap happens. */
		if (len >= 24 && (it % 4) == 1) {
			memcpy(img + 16, &len, 8);
		}
		assert_int_equal(zt_shm_truncate(sample.name, 0), 0);
		assert_int_equal(zt_shm_truncate(sample.name, len), 0);
		if (len > 0)
			assert_int_equal(
				zt_shm_pwrite(sample.name, 0, img, (size_t)len),
				0);
		open_and_exercise("random file", it, seed, 0);
	}
	restore();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_bad_magic),
		cmocka_unit_test(test_hostile_bad_version),
		cmocka_unit_test(test_hostile_entry_count),
		cmocka_unit_test(test_hostile_max_entries),
		cmocka_unit_test(test_hostile_memory_size),
		cmocka_unit_test(test_hostile_memory_size_smaller_than_file),
		cmocka_unit_test(test_hostile_next_offset),
		cmocka_unit_test(test_hostile_entry_offset_and_size),
		cmocka_unit_test(test_hostile_entry_names),
		cmocka_unit_test(test_hostile_array_capacity_field),
		cmocka_unit_test(test_hostile_damage_after_open),
		cmocka_unit_test(
			test_hostile_free_bytes_with_next_offset_past_end),
		cmocka_unit_test(test_hostile_truncated_file),
		cmocka_unit_test(test_hostile_file_shorter_than_header),
		cmocka_unit_test(test_hostile_foreign_zero_length_file),
		cmocka_unit_test(test_hostile_grown_file_still_opens),
		cmocka_unit_test(test_hostile_random_byte_flips),
		cmocka_unit_test(test_hostile_random_field_values),
		cmocka_unit_test(test_hostile_random_files),
	};

	return cmocka_run_group_tests(tests, setup_sample, teardown_sample);
}
