/* SPDX-License-Identifier: MIT */
/*
 * ffi_harness.h - what every ffi test does around its own calls: dlopen
 * libzeroipc.so.1, resolve each symbol at its version node with dlvsym,
 * call it through libffi with raw argument types, and check the results.
 * A test file keeps only its family: the symbols it must call, the calls
 * it makes and what it expects of them.
 *
 * Nothing from src/ or include/ is used, because a binding author has only
 * the documentation.  The status numbers below are ABI (frozen in
 * common.h) and are written as literals on purpose.
 *
 * Header-only with static functions, like zt_test.h: the checks count into
 * zt_test.h's zt_failures, which is per translation unit, so the harness
 * is compiled into each test's own file.
 */
#ifndef FFI_HARNESS_H
#define FFI_HARNESS_H

#include <dlfcn.h>
#include <ffi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zt_test.h"

/* Status codes, as frozen in the 1.0 ABI. */
#define ST_OK 0
#define ST_EINVAL (-1)
#define ST_ENOMEM (-2)
#define ST_ESYS (-3)
#define ST_ENOT_FOUND (-4)
#define ST_EEXISTS (-5)
#define ST_ENAME (-6)
#define ST_ETABLE_FULL (-7)
#define ST_ENO_SPACE (-8)
#define ST_EBAD_FORMAT (-9)
#define ST_EVERSION (-10)
#define ST_ECORRUPT (-11)
#define ST_ESIZE_MISMATCH (-12)
#define ST_ERANGE (-13)
#define ST_EEMPTY (-14)
#define ST_EFULL (-15)
#define ST_ETIMEOUT (-16)
#define ST_ECLOSED (-17)
#define ST_EREADONLY (-18)
#define ST_EPERM (-19)
#define ST_ETOO_SMALL (-20)
#define ST_EPROTOCOL (-21)
#define ST_ENOT_ALLOCATED (-22)
#define ST_ECHANGED (-23)

/* ZEROIPC_WAIT_FOREVER, the timeout that never expires. */
#define WAIT_FOREVER (-1)

/* The version node every symbol called here belongs to. */
#define FH_NODE "ZEROIPC_1.0"

/* fh_call() stores a 'u' result as a uint32_t. */
_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned is 32-bit");

#define FH_MAX_ARGS 8
#define FH_MAX_EXPECTED 64
#define FH_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void *fh_lib;
static long fh_checks;

/* The symbols a test promised to call, and which of them it has. */
static const char *const *fh_expected;
static size_t fh_expected_n;
static unsigned char fh_called[FH_MAX_EXPECTED];

static inline const char *fh_last_error(void);

/* ---- checks: counted, so that a test which checks nothing fails ---- */

#define CHECK(cond)                                                            \
	do {                                                                   \
		fh_checks++;                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			zt_failures++;                                         \
		}                                                              \
	} while (0)

/* CHECK with a printf-style explanation. */
#define CHECK_MSG(cond, ...)                                                   \
	do {                                                                   \
		fh_checks++;                                                   \
		ZT_CHECK(cond, __VA_ARGS__);                                   \
	} while (0)

/* A status (or any integer) against the one expected; the library's own
 * detail comes along, read after the call that set it. */
#define CHECK_RC(got, want)                                                    \
	do {                                                                   \
		long long got_ = (long long)(got);                             \
		long long want_ = (long long)(want);                           \
		fh_checks++;                                                   \
		if (got_ != want_) {                                           \
			fprintf(stderr,                                        \
				"%s:%d: %s returned %lld, expected %lld "      \
				"(last_error: %s)\n",                          \
				__FILE__, __LINE__, #got, got_, want_,         \
				fh_last_error());                              \
			zt_failures++;                                         \
		}                                                              \
	} while (0)

/* ---- resolving and calling ---- */

/* The symbol at FH_NODE, exactly as a binding would look it up. */
static inline void *fh_resolve(const char *name)
{
	void *addr = dlvsym(fh_lib, name, FH_NODE);
	size_t i;

	if (addr == NULL) {
		fprintf(stderr, "dlvsym(%s, %s) failed: %s\n", name, FH_NODE,
			dlerror());
		exit(1);
	}
	for (i = 0; i < fh_expected_n; i++)
		if (strcmp(fh_expected[i], name) == 0)
			fh_called[i] = 1;
	return addr;
}

/*
 * One letter per C type in a signature string:
 *   p  any pointer (handles, strings, out-parameters)
 *   i  int          u  unsigned int    w  uint32_t
 *   U  uint64_t     I  int64_t         z  size_t
 *   v  void (return type only)
 */
static inline ffi_type *fh_type(char code)
{
	switch (code) {
	case 'p':
		return &ffi_type_pointer;
	case 'i':
		return &ffi_type_sint;
	case 'u':
		return &ffi_type_uint;
	case 'w':
		return &ffi_type_uint32;
	case 'U':
		return &ffi_type_uint64;
	case 'I':
		return &ffi_type_sint64;
	case 'z':
		/* libffi has no size_t; pick the integer of its width. */
		return sizeof(size_t) == 8 ? &ffi_type_uint64
					   : &ffi_type_uint32;
	case 'v':
		return &ffi_type_void;
	}
	fprintf(stderr, "ffi_harness: unknown type code '%c'\n", code);
	exit(1);
}

/*
 * Call `name` with the argument types in `sig` and `args[i]` pointing at
 * argument i, and store the result, of type code `ret`, at `out` (NULL
 * drops it).  libffi widens integers narrower than a register to ffi_arg,
 * so the result lands in a buffer that size first and is narrowed here,
 * never in the caller's smaller variable.
 */
static inline void fh_call(const char *name, char ret, void *out,
			   const char *sig, void **args, size_t nargs)
{
	ffi_type *types[FH_MAX_ARGS];
	union {
		ffi_arg word;
		uint64_t u64;
		void *ptr;
	} r;
	size_t i, n = strlen(sig);
	ffi_cif cif;

	/* A signature that disagrees with its arguments is a bug in the
	 * test, not the library; catch it before libffi reads garbage. */
	if (n != nargs || n > FH_MAX_ARGS) {
		fprintf(stderr, "%s: signature \"%s\" for %zu arguments\n",
			name, sig, nargs);
		exit(1);
	}
	for (i = 0; i < n; i++)
		types[i] = fh_type(sig[i]);
	if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)n, fh_type(ret),
			 types) != FFI_OK) {
		fprintf(stderr, "ffi_prep_cif(%s) failed\n", name);
		exit(1);
	}
	memset(&r, 0, sizeof(r));
	ffi_call(&cif, FFI_FN(fh_resolve(name)), &r, args);
	if (out == NULL)
		return;
	switch (ret) {
	case 'i': {
		int v = (int)(ffi_sarg)r.word;

		memcpy(out, &v, sizeof(v));
		break;
	}
	case 'u': /* unsigned and uint32_t are one type on every Linux ABI */
	case 'w': {
		uint32_t v = (uint32_t)r.word;

		memcpy(out, &v, sizeof(v));
		break;
	}
	case 'U':
	case 'I':
		memcpy(out, &r.u64, sizeof(r.u64));
		break;
	case 'p':
		memcpy(out, &r.ptr, sizeof(r.ptr));
		break;
	}
}

/* The arguments of a call, each given by its address, and their count. */
#define FH_ARGV(...) ((void *[]){__VA_ARGS__})
#define FH_ARGC(...) (sizeof(FH_ARGV(__VA_ARGS__)) / sizeof(void *))

/* FH_CALL(name, ret, out, sig, &arg...): fh_call with the count taken
 * from the arguments written. */
#define FH_CALL(name, ret, out, sig, ...)                                      \
	fh_call(name, ret, out, sig, FH_ARGV(__VA_ARGS__), FH_ARGC(__VA_ARGS__))

static inline int fh_int_(const char *name, const char *sig, void **args,
			  size_t nargs)
{
	int r = 0;

	fh_call(name, 'i', &r, sig, args, nargs);
	return r;
}

/* FH_INT(name, sig, &arg...): a call that returns int (a status). */
#define FH_INT(name, sig, ...)                                                 \
	fh_int_(name, sig, FH_ARGV(__VA_ARGS__), FH_ARGC(__VA_ARGS__))

/* ---- the shapes most of the API shares ---- */

/* int f(void *a) */
static inline int fh_int_p(const char *name, const void *a)
{
	return FH_INT(name, "p", &a);
}

/* int f(void *a, void *b): validate(mem, name), try_push(h, value), ... */
static inline int fh_int_pp(const char *name, const void *a, const void *b)
{
	return FH_INT(name, "pp", &a, &b);
}

/* int f(void *a, void *b, void *c) */
static inline int fh_int_ppp(const char *name, const void *a, const void *b,
			     const void *c)
{
	return FH_INT(name, "ppp", &a, &b, &c);
}

/* int f(void *a, void *b, int64_t timeout_ns): the blocking calls. */
static inline int fh_int_ppt(const char *name, const void *a, const void *b,
			     int64_t timeout_ns)
{
	return FH_INT(name, "ppI", &a, &b, &timeout_ns);
}

/* int f(void *h, uint64_t n): free an index, commit or release a count. */
static inline int fh_int_pn(const char *name, const void *h, uint64_t n)
{
	return FH_INT(name, "pU", &h, &n);
}

/* int f(void *h, int64_t ns): set a timeout. */
static inline int fh_int_pt(const char *name, const void *h, int64_t ns)
{
	return FH_INT(name, "pI", &h, &ns);
}

/* create(&out, mem, name, elem_size, capacity), as array, stack, set and
 * pool spell it. */
static inline int fh_create(const char *name, void **out, void *mem,
			    const char *obj, uint64_t elem_size,
			    uint64_t capacity)
{
	return FH_INT(name, "pppUU", &out, &mem, &obj, &elem_size, &capacity);
}

/* open(&out, mem, name, elem_size), likewise. */
static inline int fh_open(const char *name, void **out, void *mem,
			  const char *obj, uint64_t elem_size)
{
	return FH_INT(name, "pppU", &out, &mem, &obj, &elem_size);
}

/* Calls that take only a handle. */
static inline uint64_t fh_u64(const char *name, const void *h)
{
	uint64_t r = 0;

	FH_CALL(name, 'U', &r, "p", &h);
	return r;
}

static inline uint32_t fh_u32(const char *name, const void *h)
{
	uint32_t r = 0;

	FH_CALL(name, 'w', &r, "p", &h);
	return r;
}

static inline void *fh_ptr(const char *name, const void *h)
{
	void *r = NULL;

	FH_CALL(name, 'p', &r, "p", &h);
	return r;
}

/* void f(void *h): every close. */
static inline void fh_close(const char *name, const void *h)
{
	FH_CALL(name, 'v', NULL, "p", &h);
}

/* The thread's detail message; never NULL, says the ABI, so say if it is. */
static inline const char *fh_last_error(void)
{
	const char *s = NULL;

	fh_call("zeroipc_last_error", 'p', &s, "", NULL, 0);
	return s != NULL ? s : "(NULL!)";
}

/* ---- a test's life ---- */

/*
 * Check the command line (the library's path, then `nparams - 1` more) and
 * dlopen the library.  Usage errors exit 2, a library that does not load 1.
 */
static inline void fh_start(int argc, char **argv, int nparams,
			    const char *usage)
{
	if (argc != nparams + 1) {
		fprintf(stderr, "usage: %s %s\n", argv[0], usage);
		exit(2);
	}
	fh_lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (fh_lib == NULL) {
		fprintf(stderr, "dlopen(%s): %s\n", argv[1], dlerror());
		exit(1);
	}
}

/* The symbols this test promises to call; fh_finish() checks it did. */
static inline void fh_expect_calls(const char *const *names, size_t n)
{
	if (n > FH_MAX_EXPECTED) {
		fprintf(stderr, "ffi_harness: more than %d symbols\n",
			FH_MAX_EXPECTED);
		exit(1);
	}
	fh_expected = names;
	fh_expected_n = n;
	memset(fh_called, 0, sizeof(fh_called));
}

/* Check the promised calls, unload, report; returns the exit status. */
static inline int fh_finish(const char *test)
{
	long own = fh_checks;
	size_t i;

	for (i = 0; i < fh_expected_n; i++)
		CHECK_MSG(fh_called[i], "%s is never called", fh_expected[i]);
	dlclose(fh_lib);
	fh_lib = NULL;
	if (own == 0) {
		fprintf(stderr, "%s: the test itself checked nothing\n", test);
		return 1;
	}
	if (zt_failures != 0) {
		fprintf(stderr, "%s: %d of %ld checks failed\n", test,
			zt_failures, fh_checks);
		return 1;
	}
	printf("%s: all %ld checks passed\n", test, fh_checks);
	return 0;
}

/*
 * main() of a family test: load the library, give `scenario` a fresh 64 KiB
 * segment, close and unlink it (checked), then check that every symbol in
 * `symbols` was called.  usage: <test> <path to libzeroipc.so.1>
 */
static inline int fh_run(int argc, char **argv, const char *test,
			 const char *const *symbols, size_t nsymbols,
			 void (*scenario)(void *mem))
{
	uint64_t size = 1 << 16;
	void *mem = NULL, *memp = &mem, *opts = NULL;
	char seg[128];
	const char *segp = seg;

	fh_start(argc, argv, 1, "libzeroipc.so.1");
	fh_expect_calls(symbols, nsymbols);
	zt_name(seg, sizeof(seg), test);
	CHECK_RC(FH_INT("zeroipc_memory_create", "ppUp", &memp, &segp, &size,
			&opts),
		 ST_OK);
	if (mem != NULL) {
		scenario(mem);
		fh_close("zeroipc_memory_close", mem);
		CHECK_RC(fh_int_p("zeroipc_memory_unlink", seg), ST_OK);
	}
	return fh_finish(test);
}

#endif /* FFI_HARNESS_H */
