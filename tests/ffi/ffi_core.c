/* SPDX-License-Identifier: MIT */
/*
 * ffi_core.c - drive the core of libzeroipc the way a foreign language does
 * (ffi_harness.h: dlopen, dlvsym at the version node, libffi with raw
 * argument types): status and version calls, memory, table and array.
 * It also holds the version script to account: every name the map exports
 * resolves at its node, and every symbol called here is in the map.
 *
 * The struct layouts are spelled as byte offsets, as a binding author
 * would write them down from the documentation.
 *
 * usage: ffi_core <path to libzeroipc.so.1> <path to abi/libzeroipc.map>
 */
#include "ffi_harness.h"

#define OPEN_READONLY 1u

/* zeroipc_table_entry: char name[32] @0, u64 offset @32, u64 size @40. */
#define ENTRY_BYTES 48
/* zeroipc_memory_opts: size_t size @0, u32 max_entries @8, u32 mode @12. */
#define OPTS_BYTES 16

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
#define N_USED FH_LEN(used)

/* A call with no arguments that returns a pointer or a uint32_t. */
static const char *string_of(const char *fn)
{
	const char *s = NULL;

	fh_call(fn, 'p', &s, "", NULL, 0);
	return s;
}

static uint32_t u32_of(const char *fn)
{
	uint32_t r = 0;

	fh_call(fn, 'w', &r, "", NULL, 0);
	return r;
}

static const char *status_str(const char *fn, int status)
{
	const char *s = NULL;

	FH_CALL(fn, 'p', &s, "i", &status);
	return s;
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
		CHECK_MSG(dlvsym(fh_lib, word, node) != NULL,
			  "map lists %s@%s but dlvsym fails: %s", word, node,
			  dlerror());
		/* The default version a plain dlsym finds is the same code. */
		CHECK(dlsym(fh_lib, word) == dlvsym(fh_lib, word, node));
		for (i = 0; i < N_USED; i++)
			if (strcmp(used[i], word) == 0 &&
			    strcmp(node, FH_NODE) == 0)
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
	unsigned a = 0, b = 0, c = 0, major, minor, patch;
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
	CHECK(string_of("zeroipc_last_error") != NULL);

	version = u32_of("zeroipc_version");
	CHECK(u32_of("zeroipc_format_version") == 2);
	s = string_of("zeroipc_version_string");
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK(sscanf(s, "%u.%u.%u", &major, &minor, &patch) == 3);
		CHECK(version == ((major << 16) | (minor << 8) | patch));
		snprintf(again, sizeof(again), "%u.%u.%u", major, minor, patch);
		CHECK(strcmp(again, s) == 0);
		CHECK(major >= 1);
	}
	CHECK(FH_INT("zeroipc_version_at_least", "uuu", &a, &b, &c) == 1);
	a = version >> 16;
	b = (version >> 8) & 0xff;
	c = version & 0xff;
	CHECK(FH_INT("zeroipc_version_at_least", "uuu", &a, &b, &c) == 1);
	c++;
	CHECK(FH_INT("zeroipc_version_at_least", "uuu", &a, &b, &c) == 0);
}

/* The u64 atomics, then get/set, on a 4-element u64 array at index 2. */
static void test_array_u64(void *arr, void *arr32)
{
	uint64_t val = 0x1122334455667788ull, delta = 0x10, desired = 5;
	uint64_t idx = 2, u64 = 0, expected = 0, out = 0, in = 0xCAFE;
	void *expp = &expected, *u64p = &u64, *outp = &out, *inp = &in;

	CHECK_RC(FH_INT("zeroipc_array_store_u64", "pUU", &arr, &idx, &val),
		 ST_OK);
	CHECK_RC(FH_INT("zeroipc_array_load_u64", "ppU", &u64p, &arr, &idx),
		 ST_OK);
	CHECK(u64 == val);
	CHECK_RC(FH_INT("zeroipc_array_fetch_add_u64", "ppUU", &u64p, &arr,
			&idx, &delta),
		 ST_OK);
	CHECK(u64 == val);
	/* Wrong expectation: ECHANGED, and *expected is refreshed. */
	CHECK_RC(FH_INT("zeroipc_array_compare_exchange_u64", "pUpU", &arr,
			&idx, &expp, &desired),
		 ST_ECHANGED);
	CHECK(expected == val + delta);
	CHECK_RC(FH_INT("zeroipc_array_compare_exchange_u64", "pUpU", &arr,
			&idx, &expp, &desired),
		 ST_OK);

	/* get/set copy raw element bytes. */
	CHECK_RC(FH_INT("zeroipc_array_get", "ppU", &outp, &arr, &idx), ST_OK);
	CHECK(out == desired);
	idx = 3;
	CHECK_RC(FH_INT("zeroipc_array_set", "pUp", &arr, &idx, &inp), ST_OK);
	CHECK_RC(FH_INT("zeroipc_array_get", "ppU", &outp, &arr, &idx), ST_OK);
	CHECK(out == 0xCAFE);
	idx = 4;
	CHECK_RC(FH_INT("zeroipc_array_get", "ppU", &outp, &arr, &idx),
		 ST_ERANGE);

	/* u64 calls on the u32 array are refused. */
	idx = 0;
	CHECK_RC(FH_INT("zeroipc_array_load_u64", "ppU", &u64p, &arr32, &idx),
		 ST_ESIZE_MISMATCH);
}

/* The same on a 5-element u32 array, whose values travel as 32-bit
 * arguments; the last index wraps. */
static void test_array_u32(void *arr32)
{
	uint32_t val = 0xFFFFFFFEu, delta = 3, desired = 77, u32 = 0;
	uint32_t expected = 1;
	uint64_t idx = 4;
	void *expp = &expected, *u32p = &u32;

	CHECK_RC(FH_INT("zeroipc_array_store_u32", "pUw", &arr32, &idx, &val),
		 ST_OK);
	CHECK_RC(FH_INT("zeroipc_array_fetch_add_u32", "ppUw", &u32p, &arr32,
			&idx, &delta),
		 ST_OK);
	CHECK(u32 == val);
	CHECK_RC(FH_INT("zeroipc_array_load_u32", "ppU", &u32p, &arr32, &idx),
		 ST_OK);
	CHECK(u32 == 1); /* wrapped */
	expected = 2;
	CHECK_RC(FH_INT("zeroipc_array_compare_exchange_u32", "pUpw", &arr32,
			&idx, &expp, &desired),
		 ST_ECHANGED);
	CHECK(expected == 1);
	CHECK_RC(FH_INT("zeroipc_array_compare_exchange_u32", "pUpw", &arr32,
			&idx, &expp, &desired),
		 ST_OK);
	CHECK_RC(FH_INT("zeroipc_array_load_u32", "ppU", &u32p, &arr32, &idx),
		 ST_OK);
	CHECK(u32 == 77);
	idx = 5;
	CHECK_RC(FH_INT("zeroipc_array_store_u32", "pUw", &arr32, &idx, &val),
		 ST_ERANGE);
}

static void test_memory_table_array(const char *name)
{
	unsigned char opts[OPTS_BYTES];
	unsigned char entry[ENTRY_BYTES];
	uint64_t size64 = 1 << 16, u64 = 0, off = 0, ent_off;
	uint32_t max_entries = 100, mode = 0600, flags = 0;
	size_t opts_size = OPTS_BYTES;
	void *mem = NULL, *mem2 = NULL, *arr = NULL, *arr32 = NULL;
	void *arr2 = NULL, *optsp = opts, *entryp = entry, *nullp = NULL;
	void *memp = &mem, *mem2p = &mem2, *offp = &off;
	const char *namep = name, *ename;
	int created = -1;
	void *createdp = &created;

	memcpy(opts, &opts_size, 8);
	memcpy(opts + 8, &max_entries, 4);
	memcpy(opts + 12, &mode, 4);

	/* create(&mem, name, size, &opts) */
	CHECK_RC(FH_INT("zeroipc_memory_create", "ppUp", &memp, &namep, &size64,
			&optsp),
		 ST_OK);
	CHECK(mem != NULL);
	if (mem == NULL)
		return;
	/* Exclusive: a second create is EEXISTS, with a detail. */
	CHECK_RC(FH_INT("zeroipc_memory_create", "ppUp", &mem2p, &namep,
			&size64, &optsp),
		 ST_EEXISTS);
	CHECK(fh_last_error()[0] != '\0');
	CHECK(fh_u64("zeroipc_memory_size", mem) == size64);
	CHECK(fh_u32("zeroipc_table_capacity", mem) == 100);
	CHECK(fh_u32("zeroipc_table_count", mem) == 0);
	CHECK(fh_int_p("zeroipc_memory_is_readonly", mem) == 0);
	CHECK(fh_int_p("zeroipc_memory_validate", mem) == 0);
	{
		const char *got = fh_ptr("zeroipc_memory_name", mem);

		CHECK(got != NULL && strcmp(got, name) == 0);
	}

	/* table_add(&off, mem, "raw", 13) */
	{
		const char *raw = "raw";
		uint64_t thirteen = 13;

		CHECK_RC(FH_INT("zeroipc_table_add", "pppU", &offp, &mem, &raw,
				&thirteen),
			 ST_OK);
		CHECK(off == 32 + 48 * 100);
		CHECK_RC(FH_INT("zeroipc_table_add", "pppU", &offp, &mem, &raw,
				&thirteen),
			 ST_EEXISTS);
	}
	CHECK(fh_u32("zeroipc_table_count", mem) == 1);
	CHECK(fh_u64("zeroipc_table_free_bytes", mem) ==
	      size64 - ((off + 13 + 7) & ~7ull));
	/* table_find(&entry, mem, "raw") */
	memset(entry, 0xAA, sizeof(entry));
	CHECK_RC(fh_int_ppp("zeroipc_table_find", entry, mem, "raw"), ST_OK);
	CHECK(strcmp((const char *)entry, "raw") == 0);
	memcpy(&ent_off, entry + 32, 8);
	memcpy(&u64, entry + 40, 8);
	CHECK(ent_off == off);
	CHECK(u64 == 13);
	CHECK_RC(fh_int_ppp("zeroipc_table_find", entry, mem, "nope"),
		 ST_ENOT_FOUND);
	CHECK_RC(fh_int_ppp("zeroipc_table_find", entry, mem,
			    "a-name-that-is-thirty-two-bytes!"),
		 ST_ENAME);
	/* table_entry_at(&entry, mem, index) */
	{
		uint32_t index = 0;

		CHECK_RC(FH_INT("zeroipc_table_entry_at", "ppw", &entryp, &mem,
				&index),
			 ST_OK);
		CHECK(strcmp((const char *)entry, "raw") == 0);
		index = 1;
		CHECK_RC(FH_INT("zeroipc_table_entry_at", "ppw", &entryp, &mem,
				&index),
			 ST_ERANGE);
	}

	/* A u64 array: create(&arr, mem, "u64s", 8, 4), and a u32 one. */
	CHECK_RC(fh_create("zeroipc_array_create", &arr, mem, "u64s", 8, 4),
		 ST_OK);
	CHECK(arr != NULL);
	if (arr == NULL)
		return;
	CHECK_RC(fh_create("zeroipc_array_create", &arr32, mem, "u32s", 4, 5),
		 ST_OK);
	CHECK(arr32 != NULL);
	if (arr32 == NULL)
		return;
	CHECK(fh_u64("zeroipc_array_capacity", arr) == 4);
	CHECK(fh_u64("zeroipc_array_elem_size", arr) == 8);
	{
		/* Data sits 8 bytes after the entry's offset. */
		unsigned char *base = fh_ptr("zeroipc_memory_base", mem);
		unsigned char *data = fh_ptr("zeroipc_array_data", arr);

		CHECK_RC(fh_int_ppp("zeroipc_table_find", entry, mem, "u64s"),
			 ST_OK);
		memcpy(&ent_off, entry + 32, 8);
		CHECK(data == base + ent_off + 8);
		memcpy(&u64, base + ent_off, 8);
		CHECK(u64 == 4);
	}

	test_array_u64(arr, arr32);
	test_array_u32(arr32);

	/* array_open checks the element size against the entry. */
	CHECK_RC(fh_open("zeroipc_array_open", &arr2, mem, "u64s", 4),
		 ST_ESIZE_MISMATCH);
	CHECK_RC(fh_open("zeroipc_array_open", &arr2, mem, "u64s", 8), ST_OK);
	CHECK(fh_u64("zeroipc_array_capacity", arr2) == 4);
	fh_close("zeroipc_array_close", arr2);

	/* open_or_create finds it; a read-only open refuses writes. */
	{
		uint64_t small = 4096;

		CHECK_RC(FH_INT("zeroipc_memory_open_or_create", "pppUp",
				&mem2p, &createdp, &namep, &small, &nullp),
			 ST_OK);
		CHECK(created == 0);
		CHECK(fh_u64("zeroipc_memory_size", mem2) == size64);
		fh_close("zeroipc_memory_close", mem2);
		mem2 = NULL;
	}
	flags = OPEN_READONLY;
	CHECK_RC(FH_INT("zeroipc_memory_open", "ppw", &mem2p, &namep, &flags),
		 ST_OK);
	CHECK(fh_int_p("zeroipc_memory_is_readonly", mem2) == 1);
	{
		const char *nn = "new";
		uint64_t eight = 8;

		CHECK_RC(FH_INT("zeroipc_table_add", "pppU", &nullp, &mem2, &nn,
				&eight),
			 ST_EREADONLY);
	}
	fh_close("zeroipc_memory_close", mem2);

	fh_close("zeroipc_array_close", arr32);
	fh_close("zeroipc_array_close", arr);
	fh_close("zeroipc_memory_close", mem);
	fh_close("zeroipc_memory_close", NULL);

	/* unlink, then the name is gone. */
	CHECK_RC(fh_int_p("zeroipc_memory_unlink", name), ST_OK);
	CHECK_RC(fh_int_p("zeroipc_memory_unlink", name), ST_ENOT_FOUND);
	flags = 0;
	CHECK_RC(FH_INT("zeroipc_memory_open", "ppw", &mem2p, &namep, &flags),
		 ST_ENOT_FOUND);
	ename = fh_last_error();
	CHECK(ename[0] != '\0');
}

int main(int argc, char **argv)
{
	int seen[N_USED] = {0};
	char name[128];
	int checked;
	size_t i;

	fh_start(argc, argv, 2, "libzeroipc.so.1 libzeroipc.map");
	fh_expect_calls(used, N_USED);

	checked = check_map(argv[2], seen);
	printf("map: %d symbols resolved with dlvsym\n", checked);
	/* An empty parse proves nothing: the 1.0 node alone has dozens. */
	CHECK(checked >= (int)N_USED);
	for (i = 0; i < N_USED; i++)
		CHECK_MSG(seen[i], "%s is called here but not in the map at %s",
			  used[i], FH_NODE);
	/* Internals stay hidden; versions that do not exist do not resolve. */
	CHECK(dlsym(fh_lib, "zeroipc__fail") == NULL);
	CHECK(dlsym(fh_lib, "zeroipc__table_lookup") == NULL);
	CHECK(dlvsym(fh_lib, "zeroipc_version", "ZEROIPC_0.9") == NULL);

	test_status_calls();
	zt_name(name, sizeof(name), "ffi-core");
	test_memory_table_array(name);
	zt_unlink_all();
	return fh_finish("ffi_core");
}
