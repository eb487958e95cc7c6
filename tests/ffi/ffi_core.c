/* SPDX-License-Identifier: MIT */
/*
 * ffi_core.c - drive the core of libzeroipc the way a foreign language does:
 * dlopen the shared object, resolve each symbol at its version node with
 * dlvsym, and call it through libffi with raw argument types.
 *
 * Nothing from src/ or include/ is used: this file knows only what a
 * binding author would write down from the documentation.  The status
 * numbers below are ABI (frozen in common.h) and appear as literals on
 * purpose; the struct layouts are spelled as byte offsets for the same
 * reason.
 *
 * usage: ffi_core <path to libzeroipc.so.1> <path to abi/libzeroipc.map>
 */
#include <dlfcn.h>
#include <ffi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_test.h"

/* Status codes, as frozen in the 1.0 ABI. */
#define ST_OK 0
#define ST_ENOT_FOUND (-4)
#define ST_EEXISTS (-5)
#define ST_ENAME (-6)
#define ST_ESIZE_MISMATCH (-12)
#define ST_ERANGE (-13)
#define ST_EREADONLY (-18)
#define ST_ECHANGED (-23)
#define OPEN_READONLY 1u

/* zeroipc_table_entry: char name[32] @0, u64 offset @32, u64 size @40. */
#define ENTRY_BYTES 48
/* zeroipc_memory_opts: size_t size @0, u32 max_entries @8, u32 mode @12. */
#define OPTS_BYTES 16

#define NODE "ZEROIPC_1.0"

static int failures;
static void *lib;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

#define CHECK_RC(got, want)                                                    \
	do {                                                                   \
		long long got_ = (got), want_ = (want);                        \
		if (got_ != want_) {                                           \
			fprintf(stderr,                                        \
				"%s:%d: %s returned %lld, expected "           \
				"%lld (last_error: %s)\n",                     \
				__FILE__, __LINE__, #got, got_, want_,         \
				last_error());                                 \
			failures++;                                            \
		}                                                              \
	} while (0)

/* Symbols this file calls; each must also be listed in the map. */
static const char *const used[] = {
	"zeroipc_strerror",
	"zeroipc_status_name",
	"zeroipc_last_error",
	"zeroipc_version",
	"zeroipc_version_string",
	"zeroipc_version_at_least",
	"zeroipc_format_version",
	"zeroipc_memory_create",
	"zeroipc_memory_open",
	"zeroipc_memory_open_or_create",
	"zeroipc_memory_close",
	"zeroipc_memory_unlink",
	"zeroipc_memory_size",
	"zeroipc_memory_name",
	"zeroipc_memory_base",
	"zeroipc_memory_is_readonly",
	"zeroipc_memory_validate",
	"zeroipc_table_add",
	"zeroipc_table_find",
	"zeroipc_table_count",
	"zeroipc_table_capacity",
	"zeroipc_table_entry_at",
	"zeroipc_table_free_bytes",
	"zeroipc_array_create",
	"zeroipc_array_open",
	"zeroipc_array_close",
	"zeroipc_array_capacity",
	"zeroipc_array_elem_size",
	"zeroipc_array_data",
	"zeroipc_array_get",
	"zeroipc_array_set",
	"zeroipc_array_load_u32",
	"zeroipc_array_load_u64",
	"zeroipc_array_store_u32",
	"zeroipc_array_store_u64",
	"zeroipc_array_fetch_add_u32",
	"zeroipc_array_fetch_add_u64",
	"zeroipc_array_compare_exchange_u32",
	"zeroipc_array_compare_exchange_u64",
};
#define N_USED (sizeof(used) / sizeof(used[0]))

static void *resolve(const char *name)
{
	void *addr = dlvsym(lib, name, NODE);

	if (addr == NULL) {
		fprintf(stderr, "dlvsym(%s, %s) failed: %s\n", name, NODE,
			dlerror());
		exit(1);
	}
	return addr;
}

/*
 * Call `name` through libffi.  `ret` receives the raw return value (an
 * ffi_arg for integers narrower than a register, as libffi requires).
 */
static void call(const char *name, ffi_type *rtype, void *ret, unsigned nargs,
		 ffi_type **types, void **values)
{
	ffi_cif cif;
	ffi_arg scratch;

	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, nargs, rtype, types) !=
	    FFI_OK) {
		fprintf(stderr, "ffi_prep_cif(%s) failed\n", name);
		exit(1);
	}
	ffi_call(&cif, FFI_FN(resolve(name)), ret != NULL ? ret : &scratch,
		 values);
}

/* Shorthands for the shapes that recur: int f(...), pointer f(...). */
static int call_int(const char *name, unsigned nargs, ffi_type **types,
		    void **values)
{
	ffi_arg r = 0;

	call(name, &ffi_type_sint, &r, nargs, types, values);
	return (int)(ffi_sarg)r;
}

static void *call_ptr(const char *name, unsigned nargs, ffi_type **types,
		      void **values)
{
	void *r = NULL;

	call(name, &ffi_type_pointer, &r, nargs, types, values);
	return r;
}

static uint64_t call_u64(const char *name, void *handle)
{
	ffi_type *t[] = {&ffi_type_pointer};
	void *v[] = {&handle};
	uint64_t r = 0;

	call(name, &ffi_type_uint64, &r, 1, t, v);
	return r;
}

static uint32_t call_u32(const char *name, void *handle)
{
	ffi_type *t[] = {&ffi_type_pointer};
	void *v[] = {&handle};
	ffi_arg r = 0;

	call(name, &ffi_type_uint32, &r, 1, t, v);
	return (uint32_t)r;
}

static void call_void(const char *name, void *handle)
{
	ffi_type *t[] = {&ffi_type_pointer};
	void *v[] = {&handle};

	call(name, &ffi_type_void, NULL, 1, t, v);
}

static const char *last_error(void)
{
	const char *s = call_ptr("zeroipc_last_error", 0, NULL, NULL);

	return s != NULL ? s : "(NULL!)";
}

static const char *status_str(const char *fn, int status)
{
	ffi_type *t[] = {&ffi_type_sint};
	void *v[] = {&status};

	return call_ptr(fn, 1, t, v);
}

/* ---- the map file ---- */

/*
 * Every name under a `global:` label of every node resolves at that node.
 * Returns how many symbols were checked; `seen` marks the used[] names.
 */
static int check_map(const char *path, int *seen)
{
	char line[512];
	char node[128] = "";
	int in_global = 0, in_comment = 0, checked = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = line, *end;
		char word[128];
		size_t i;

		/* Drop C comments, also ones that span lines. */
		for (;;) {
			if (in_comment) {
				end = strstr(p, "*/");
				if (end == NULL) {
					*p = '\0';
					break;
				}
				memmove(p, end + 2, strlen(end + 2) + 1);
				in_comment = 0;
			}
			end = strstr(p, "/*");
			if (end == NULL)
				break;
			in_comment = 1;
			p = end;
		}
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (sscanf(p, "%127[A-Za-z0-9_.] {", word) == 1 &&
		    strchr(p, '{') != NULL) {
			snprintf(node, sizeof(node), "%s", word);
			in_global = 0;
			continue;
		}
		if (strncmp(p, "global:", 7) == 0) {
			in_global = 1;
			continue;
		}
		if (strncmp(p, "local:", 6) == 0 || *p == '}') {
			in_global = 0;
			continue;
		}
		if (!in_global || sscanf(p, "%127[A-Za-z0-9_];", word) != 1)
			continue;
		if (dlvsym(lib, word, node) == NULL) {
			fprintf(stderr,
				"map lists %s@%s but dlvsym fails: %s\n", word,
				node, dlerror());
			failures++;
		}
		/* The default version a plain dlsym finds is the same code. */
		CHECK(dlsym(lib, word) == dlvsym(lib, word, node));
		for (i = 0; i < N_USED; i++)
			if (strcmp(used[i], word) == 0 &&
			    strcmp(node, NODE) == 0)
				seen[i] = 1;
		checked++;
	}
	fclose(f);
	return checked;
}

/* ---- the scenario ---- */

static void test_status_calls(void)
{
	const char *s;
	ffi_type *t3[] = {&ffi_type_uint, &ffi_type_uint, &ffi_type_uint};
	unsigned a = 0, b = 0, c = 0, major, minor, patch;
	void *v3[] = {&a, &b, &c};
	uint32_t version;
	char again[32];

	CHECK(strcmp(status_str("zeroipc_status_name", ST_EEXISTS),
		     "EEXISTS") == 0);
	CHECK(strcmp(status_str("zeroipc_status_name", ST_OK), "OK") == 0);
	CHECK(strcmp(status_str("zeroipc_status_name", 12345), "UNKNOWN") == 0);
	s = status_str("zeroipc_strerror", ST_ECHANGED);
	CHECK(s != NULL && s[0] != '\0');
	s = status_str("zeroipc_strerror", -9999);
	CHECK(s != NULL && s[0] != '\0');
	CHECK(call_ptr("zeroipc_last_error", 0, NULL, NULL) != NULL);

	{
		ffi_arg r = 0;

		call("zeroipc_version", &ffi_type_uint32, &r, 0, NULL, NULL);
		version = (uint32_t)r;
		call("zeroipc_format_version", &ffi_type_uint32, &r, 0, NULL,
		     NULL);
		CHECK((uint32_t)r == 2);
	}
	s = call_ptr("zeroipc_version_string", 0, NULL, NULL);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK(sscanf(s, "%u.%u.%u", &major, &minor, &patch) == 3);
		CHECK(version == ((major << 16) | (minor << 8) | patch));
		snprintf(again, sizeof(again), "%u.%u.%u", major, minor, patch);
		CHECK(strcmp(again, s) == 0);
		CHECK(major >= 1);
	}
	CHECK(call_int("zeroipc_version_at_least", 3, t3, v3) == 1);
	a = version >> 16;
	b = (version >> 8) & 0xff;
	c = version & 0xff;
	CHECK(call_int("zeroipc_version_at_least", 3, t3, v3) == 1);
	c++;
	CHECK(call_int("zeroipc_version_at_least", 3, t3, v3) == 0);
}

static void test_memory_table_array(const char *name)
{
	unsigned char opts[OPTS_BYTES];
	unsigned char entry[ENTRY_BYTES];
	uint64_t size64 = 1 << 16, u64 = 0, off = 0, idx, elem, cap, ent_off;
	uint32_t max_entries = 100, mode = 0600, u32 = 0, flags = 0;
	size_t opts_size = OPTS_BYTES;
	void *mem = NULL, *mem2 = NULL, *arr = NULL, *arr32 = NULL;
	void *arr2 = NULL, *optsp = opts, *entryp = entry, *nullp = NULL;
	void *memp = &mem, *mem2p = &mem2, *arrp = &arr, *arr32p = &arr32;
	void *arr2p = &arr2, *offp = &off, *u64p = &u64, *u32p = &u32;
	const char *namep = name, *ename;
	int created = -1;
	void *createdp = &created;
	ffi_type *tp = &ffi_type_pointer;

	memcpy(opts, &opts_size, 8);
	memcpy(opts + 8, &max_entries, 4);
	memcpy(opts + 12, &mode, 4);

	/* create(&mem, name, size, &opts) */
	{
		ffi_type *t[] = {tp, tp, &ffi_type_uint64, tp};
		void *v[] = {&memp, &namep, &size64, &optsp};

		CHECK_RC(call_int("zeroipc_memory_create", 4, t, v), ST_OK);
		CHECK(mem != NULL);
		if (mem == NULL)
			return;
		/* Exclusive: a second create is EEXISTS, with a detail. */
		v[0] = &mem2p;
		CHECK_RC(call_int("zeroipc_memory_create", 4, t, v),
			 ST_EEXISTS);
		CHECK(last_error()[0] != '\0');
	}
	CHECK(call_u64("zeroipc_memory_size", mem) == size64);
	CHECK(call_u32("zeroipc_table_capacity", mem) == 100);
	CHECK(call_u32("zeroipc_table_count", mem) == 0);
	CHECK(call_int("zeroipc_memory_is_readonly", 1, &tp,
		       (void *[]){&mem}) == 0);
	CHECK(call_int("zeroipc_memory_validate", 1, &tp, (void *[]){&mem}) ==
	      0);
	{
		const char *got = call_ptr("zeroipc_memory_name", 1, &tp,
					   (void *[]){&mem});

		CHECK(got != NULL && strcmp(got, name) == 0);
	}

	/* table_add(&off, mem, "raw", 13) */
	{
		ffi_type *t[] = {tp, tp, tp, &ffi_type_uint64};
		const char *raw = "raw";
		uint64_t thirteen = 13;
		void *v[] = {&offp, &mem, &raw, &thirteen};

		CHECK_RC(call_int("zeroipc_table_add", 4, t, v), ST_OK);
		CHECK(off == 32 + 48 * 100);
		CHECK_RC(call_int("zeroipc_table_add", 4, t, v), ST_EEXISTS);
	}
	CHECK(call_u32("zeroipc_table_count", mem) == 1);
	CHECK(call_u64("zeroipc_table_free_bytes", mem) ==
	      size64 - ((off + 13 + 7) & ~7ull));
	/* table_find(&entry, mem, "raw") */
	{
		ffi_type *t[] = {tp, tp, tp};
		const char *raw = "raw";
		void *v[] = {&entryp, &mem, &raw};

		memset(entry, 0xAA, sizeof(entry));
		CHECK_RC(call_int("zeroipc_table_find", 3, t, v), ST_OK);
		CHECK(strcmp((const char *)entry, "raw") == 0);
		memcpy(&ent_off, entry + 32, 8);
		memcpy(&u64, entry + 40, 8);
		CHECK(ent_off == off);
		CHECK(u64 == 13);
		raw = "nope";
		CHECK_RC(call_int("zeroipc_table_find", 3, t, v),
			 ST_ENOT_FOUND);
		raw = "a-name-that-is-thirty-two-bytes!";
		CHECK_RC(call_int("zeroipc_table_find", 3, t, v), ST_ENAME);
	}
	/* table_entry_at(&entry, mem, index) */
	{
		ffi_type *t[] = {tp, tp, &ffi_type_uint32};
		uint32_t index = 0;
		void *v[] = {&entryp, &mem, &index};

		CHECK_RC(call_int("zeroipc_table_entry_at", 3, t, v), ST_OK);
		CHECK(strcmp((const char *)entry, "raw") == 0);
		index = 1;
		CHECK_RC(call_int("zeroipc_table_entry_at", 3, t, v),
			 ST_ERANGE);
	}

	/* A u64 array: create(&arr, mem, "u64s", 8, 4) */
	{
		ffi_type *t[] = {tp, tp, tp, &ffi_type_uint64,
				 &ffi_type_uint64};
		const char *an = "u64s";
		uint64_t es = 8, n = 4;
		void *v[] = {&arrp, &mem, &an, &es, &n};

		CHECK_RC(call_int("zeroipc_array_create", 5, t, v), ST_OK);
		CHECK(arr != NULL);
		if (arr == NULL)
			return;
		an = "u32s";
		es = 4;
		n = 5;
		v[0] = &arr32p;
		CHECK_RC(call_int("zeroipc_array_create", 5, t, v), ST_OK);
		CHECK(arr32 != NULL);
		if (arr32 == NULL)
			return;
	}
	cap = call_u64("zeroipc_array_capacity", arr);
	elem = call_u64("zeroipc_array_elem_size", arr);
	CHECK(cap == 4);
	CHECK(elem == 8);
	{
		/* Data sits 8 bytes after the entry's offset. */
		ffi_type *t[] = {tp, tp, tp};
		const char *an = "u64s";
		void *v[] = {&entryp, &mem, &an};
		unsigned char *base = call_ptr("zeroipc_memory_base", 1, &tp,
					       (void *[]){&mem});
		unsigned char *data = call_ptr("zeroipc_array_data", 1, &tp,
					       (void *[]){&arr});

		CHECK_RC(call_int("zeroipc_table_find", 3, t, v), ST_OK);
		memcpy(&ent_off, entry + 32, 8);
		CHECK(data == base + ent_off + 8);
		memcpy(&u64, base + ent_off, 8);
		CHECK(u64 == 4);
	}

	/* store/load/fetch_add/compare_exchange on u64 */
	{
		ffi_type *ts[] = {tp, &ffi_type_uint64, &ffi_type_uint64};
		ffi_type *tl[] = {tp, tp, &ffi_type_uint64};
		ffi_type *tf[] = {tp, tp, &ffi_type_uint64, &ffi_type_uint64};
		ffi_type *tc[] = {tp, &ffi_type_uint64, tp, &ffi_type_uint64};
		uint64_t val = 0x1122334455667788ull, delta = 0x10, desired = 5;
		uint64_t expected = 0;
		void *expp = &expected;

		idx = 2;
		CHECK_RC(call_int("zeroipc_array_store_u64", 3, ts,
				  (void *[]){&arr, &idx, &val}),
			 ST_OK);
		u64 = 0;
		CHECK_RC(call_int("zeroipc_array_load_u64", 3, tl,
				  (void *[]){&u64p, &arr, &idx}),
			 ST_OK);
		CHECK(u64 == val);
		CHECK_RC(call_int("zeroipc_array_fetch_add_u64", 4, tf,
				  (void *[]){&u64p, &arr, &idx, &delta}),
			 ST_OK);
		CHECK(u64 == val);
		/* Wrong expectation: ECHANGED, and *expected is refreshed. */
		CHECK_RC(call_int("zeroipc_array_compare_exchange_u64", 4, tc,
				  (void *[]){&arr, &idx, &expp, &desired}),
			 ST_ECHANGED);
		CHECK(expected == val + delta);
		CHECK_RC(call_int("zeroipc_array_compare_exchange_u64", 4, tc,
				  (void *[]){&arr, &idx, &expp, &desired}),
			 ST_OK);
		/* get/set copy raw element bytes. */
		{
			ffi_type *tg[] = {tp, tp, &ffi_type_uint64};
			ffi_type *tset[] = {tp, &ffi_type_uint64, tp};
			uint64_t out = 0, in = 0xCAFE;
			void *outp = &out, *inp = &in;

			CHECK_RC(call_int("zeroipc_array_get", 3, tg,
					  (void *[]){&outp, &arr, &idx}),
				 ST_OK);
			CHECK(out == desired);
			idx = 3;
			CHECK_RC(call_int("zeroipc_array_set", 3, tset,
					  (void *[]){&arr, &idx, &inp}),
				 ST_OK);
			CHECK_RC(call_int("zeroipc_array_get", 3, tg,
					  (void *[]){&outp, &arr, &idx}),
				 ST_OK);
			CHECK(out == 0xCAFE);
			idx = 4;
			CHECK_RC(call_int("zeroipc_array_get", 3, tg,
					  (void *[]){&outp, &arr, &idx}),
				 ST_ERANGE);
		}
		/* u64 calls on the u32 array are refused. */
		idx = 0;
		CHECK_RC(call_int("zeroipc_array_load_u64", 3, tl,
				  (void *[]){&u64p, &arr32, &idx}),
			 ST_ESIZE_MISMATCH);
	}

	/* The same on u32, whose values travel as 32-bit arguments. */
	{
		ffi_type *ts[] = {tp, &ffi_type_uint64, &ffi_type_uint32};
		ffi_type *tl[] = {tp, tp, &ffi_type_uint64};
		ffi_type *tf[] = {tp, tp, &ffi_type_uint64, &ffi_type_uint32};
		ffi_type *tc[] = {tp, &ffi_type_uint64, tp, &ffi_type_uint32};
		uint32_t val = 0xFFFFFFFEu, delta = 3, desired = 77;
		uint32_t expected = 1;
		void *expp = &expected;

		idx = 4;
		CHECK_RC(call_int("zeroipc_array_store_u32", 3, ts,
				  (void *[]){&arr32, &idx, &val}),
			 ST_OK);
		CHECK_RC(call_int("zeroipc_array_fetch_add_u32", 4, tf,
				  (void *[]){&u32p, &arr32, &idx, &delta}),
			 ST_OK);
		CHECK(u32 == val);
		CHECK_RC(call_int("zeroipc_array_load_u32", 3, tl,
				  (void *[]){&u32p, &arr32, &idx}),
			 ST_OK);
		CHECK(u32 == 1); /* wrapped */
		expected = 2;
		CHECK_RC(call_int("zeroipc_array_compare_exchange_u32", 4, tc,
				  (void *[]){&arr32, &idx, &expp, &desired}),
			 ST_ECHANGED);
		CHECK(expected == 1);
		CHECK_RC(call_int("zeroipc_array_compare_exchange_u32", 4, tc,
				  (void *[]){&arr32, &idx, &expp, &desired}),
			 ST_OK);
		CHECK_RC(call_int("zeroipc_array_load_u32", 3, tl,
				  (void *[]){&u32p, &arr32, &idx}),
			 ST_OK);
		CHECK(u32 == 77);
		idx = 5;
		CHECK_RC(call_int("zeroipc_array_store_u32", 3, ts,
				  (void *[]){&arr32, &idx, &val}),
			 ST_ERANGE);
	}

	/* array_open checks the element size against the entry. */
	{
		ffi_type *t[] = {tp, tp, tp, &ffi_type_uint64};
		const char *an = "u64s";
		uint64_t es = 4;
		void *v[] = {&arr2p, &mem, &an, &es};

		CHECK_RC(call_int("zeroipc_array_open", 4, t, v),
			 ST_ESIZE_MISMATCH);
		es = 8;
		CHECK_RC(call_int("zeroipc_array_open", 4, t, v), ST_OK);
		CHECK(call_u64("zeroipc_array_capacity", arr2) == 4);
		call_void("zeroipc_array_close", arr2);
	}

	/* open_or_create finds it; a read-only open refuses writes. */
	{
		ffi_type *t[] = {tp, tp, tp, &ffi_type_uint64, tp};
		uint64_t small = 4096;
		void *v[] = {&mem2p, &createdp, &namep, &small, &nullp};

		CHECK_RC(call_int("zeroipc_memory_open_or_create", 5, t, v),
			 ST_OK);
		CHECK(created == 0);
		CHECK(call_u64("zeroipc_memory_size", mem2) == size64);
		call_void("zeroipc_memory_close", mem2);
		mem2 = NULL;
	}
	{
		ffi_type *t[] = {tp, tp, &ffi_type_uint32};
		void *v[] = {&mem2p, &namep, &flags};

		flags = OPEN_READONLY;
		CHECK_RC(call_int("zeroipc_memory_open", 3, t, v), ST_OK);
		CHECK(call_int("zeroipc_memory_is_readonly", 1, &tp,
			       (void *[]){&mem2}) == 1);
		{
			ffi_type *ta[] = {tp, tp, tp, &ffi_type_uint64};
			const char *nn = "new";
			uint64_t eight = 8;

			CHECK_RC(call_int("zeroipc_table_add", 4, ta,
					  (void *[]){&nullp, &mem2, &nn,
						     &eight}),
				 ST_EREADONLY);
		}
		call_void("zeroipc_memory_close", mem2);
	}

	call_void("zeroipc_array_close", arr32);
	call_void("zeroipc_array_close", arr);
	call_void("zeroipc_memory_close", mem);
	call_void("zeroipc_memory_close", NULL);

	/* unlink, then the name is gone. */
	{
		ffi_type *t[] = {tp, tp, &ffi_type_uint32};
		void *v[] = {&mem2p, &namep, &flags};

		CHECK_RC(call_int("zeroipc_memory_unlink", 1, &tp,
				  (void *[]){&namep}),
			 ST_OK);
		CHECK_RC(call_int("zeroipc_memory_unlink", 1, &tp,
				  (void *[]){&namep}),
			 ST_ENOT_FOUND);
		flags = 0;
		CHECK_RC(call_int("zeroipc_memory_open", 3, t, v),
			 ST_ENOT_FOUND);
		ename = last_error();
		CHECK(ename[0] != '\0');
	}
}

int main(int argc, char **argv)
{
	int seen[N_USED] = {0};
	char name[128];
	int checked;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s libzeroipc.so.1 libzeroipc.map\n",
			argv[0]);
		return 2;
	}
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		fprintf(stderr, "dlopen(%s): %s\n", argv[1], dlerror());
		return 1;
	}

	checked = check_map(argv[2], seen);
	printf("map: %d symbols resolved with dlvsym\n", checked);
	/* An empty parse proves nothing: the 1.0 node alone has dozens. */
	CHECK(checked >= (int)N_USED);
	for (i = 0; i < N_USED; i++) {
		if (!seen[i]) {
			fprintf(stderr,
				"%s is called here but not in the map "
				"at %s\n",
				used[i], NODE);
			failures++;
		}
	}
	/* Internals stay hidden; versions that do not exist do not resolve. */
	CHECK(dlsym(lib, "zeroipc__fail") == NULL);
	CHECK(dlsym(lib, "zeroipc__table_lookup") == NULL);
	CHECK(dlvsym(lib, "zeroipc_version", "ZEROIPC_0.9") == NULL);

	test_status_calls();
	zt_name(name, sizeof(name), "ffi-core");
	test_memory_table_array(name);
	zt_unlink_all();

	dlclose(lib);
	if (failures != 0) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("ffi_core: all checks passed\n");
	return 0;
}
