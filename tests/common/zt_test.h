/* SPDX-License-Identifier: MIT */
/*
 * zt_test.h - helpers shared by the C tests: unique shm names with cleanup,
 * fork/wait, a one-shot process gate and a reusable barrier, crash points,
 * shared scratch memory, raw access to a segment's file and to bytes in a
 * mapping, and a monotonic clock.
 *
 * Header-only and independent of libzeroipc, so the ffi tests (which must not
 * link the library) use it too.  Every function is static: each test binary
 * gets its own copy of the name registry.
 */
#ifndef ZT_TEST_H
#define ZT_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Exit status a test uses to tell CTest it was skipped. */
#define ZT_SKIP 77

/* Where glibc's shm_open() keeps its objects. */
#define ZT_SHM_DIR "/dev/shm"

#define ZT_MAX_NAMES 256

/*
 * Names handed out by zt_name(), unlinked at exit by the process that made
 * them: a failing cmocka case longjmps past its own unlink, and a forked
 * child (which inherits this list) must not remove its parent's segments.
 */
static char zt_names[ZT_MAX_NAMES][256 + 1]; /* NAME_MAX 255 fits */
static unsigned zt_name_count;
static pid_t zt_names_owner;

static inline void zt_unlink_all(void)
{
	unsigned i;

	if (getpid() != zt_names_owner)
		return;
	for (i = 0; i < zt_name_count; i++)
		(void)shm_unlink(zt_names[i]);
	zt_name_count = 0;
}

/* Remember a name this process made, so it is unlinked at exit. */
static inline void zt_register(const char *name)
{
	if (zt_names_owner != getpid()) {
		/* First name in this process (or in a forked child). */
		zt_names_owner = getpid();
		zt_name_count = 0;
		atexit(zt_unlink_all);
	}
	if (zt_name_count < ZT_MAX_NAMES) {
		snprintf(zt_names[zt_name_count], sizeof(zt_names[0]), "%s",
			 name);
		zt_name_count++;
	}
}

/*
 * Write "/zt-<pid>-<tag>-<n>" into buf: unique per process and per call, so
 * parallel ctest runs and consecutive cases never share a segment.  The tag
 * is cut to keep the name short.  Returns buf.
 */
static inline char *zt_name(char *buf, size_t len, const char *tag)
{
	static unsigned serial;

	snprintf(buf, len, "/zt-%ld-%.40s-%u", (long)getpid(), tag, serial++);
	zt_register(buf);
	return buf;
}

/* "/dev/shm/<name>" for a segment name that starts with '/'. */
static inline char *zt_shm_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s%s", ZT_SHM_DIR, name);
	return buf;
}

/* ---- raw access to a segment's file, bypassing the library ---- */

static inline int zt_shm_open_file(const char *name, int flags)
{
	char path[512];

	return open(zt_shm_path(path, sizeof(path), name), flags | O_CLOEXEC);
}

/* pwrite len bytes at off into the segment's file; 0 or -1. */
static inline int zt_shm_pwrite(const char *name, uint64_t off, const void *buf,
				size_t len)
{
	int fd = zt_shm_open_file(name, O_RDWR);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pwrite(fd, buf, len, (off_t)off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* pread len bytes at off from the segment's file; 0 or -1. */
static inline int zt_shm_pread(const char *name, uint64_t off, void *buf,
			       size_t len)
{
	int fd = zt_shm_open_file(name, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, (off_t)off);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static inline int zt_shm_write_u32(const char *name, uint64_t off, uint32_t v)
{
	return zt_shm_pwrite(name, off, &v, sizeof(v));
}

static inline int zt_shm_write_u64(const char *name, uint64_t off, uint64_t v)
{
	return zt_shm_pwrite(name, off, &v, sizeof(v));
}

static inline int zt_shm_truncate(const char *name, uint64_t len)
{
	int fd = zt_shm_open_file(name, O_RDWR);
	int rc;

	if (fd < 0)
		return -1;
	rc = ftruncate(fd, (off_t)len);
	close(fd);
	return rc;
}

/* Size of the segment's file, or -1. */
static inline long long zt_shm_file_size(const char *name)
{
	char path[512];
	struct stat st;

	if (stat(zt_shm_path(path, sizeof(path), name), &st) != 0)
		return -1;
	return (long long)st.st_size;
}

/* ---- processes ---- */

/*
 * Memory shared with forked children (results, flags, counters).  Anonymous
 * and MAP_SHARED, so it is not a zeroipc segment and needs no name.
 */
static inline void *zt_shared_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("zt_shared_alloc: mmap");
		abort();
	}
	memset(p, 0, len);
	return p;
}

static inline void zt_shared_free(void *p, size_t len)
{
	munmap(p, len);
}

/*
 * cmocka catches SIGSEGV and friends and longjmps back into its runner; in a
 * forked child that would go on running the rest of the suite.  Children
 * restore the default action so a fault kills them and the parent sees it.
 */
static inline void zt_default_fault_signals(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE,
				   SIGILL,  SIGSYS, SIGABRT};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/*
 * Fork a child that runs fn(arg) and exits with its return value.  The child
 * leaves by _exit() so it neither runs the parent's atexit handlers nor
 * flushes the parent's stdio buffers a second time.  Returns the pid.
 */
static inline pid_t zt_fork(int (*fn)(void *arg), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("zt_fork: fork");
		abort();
	}
	if (pid == 0) {
		zt_default_fault_signals();
		_exit(fn(arg) & 0xff);
	}
	return pid;
}

/*
 * Wait for pid; returns its exit code, 128 + signal number if a signal
 * killed it (as a shell reports it), or -1 if waitpid failed.
 */
static inline int zt_wait(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/*
 * A one-shot gate that releases many processes at once, built on two pipes:
 * each child announces itself on `ready` and then blocks reading `go`; once
 * the parent has counted every child it closes its end of `go`, and every
 * blocked read returns EOF together.  No sleeps, no polling.
 *
 * Order: zt_gate_init() in the parent, fork the children (each calls
 * zt_gate_wait() when it is ready to race), then zt_gate_release() in the
 * parent.
 */
struct zt_gate {
	int ready[2];
	int go[2];
};

static inline int zt_gate_init(struct zt_gate *g)
{
	if (pipe(g->ready) != 0)
		return -1;
	if (pipe(g->go) != 0) {
		close(g->ready[0]);
		close(g->ready[1]);
		return -1;
	}
	return 0;
}

/* Child side: announce, then block until released.  0, or -1 on error. */
static inline int zt_gate_wait(struct zt_gate *g)
{
	char c = 'r';
	ssize_t n;

	/* EOF on `go` needs every copy of its write end closed, ours too. */
	close(g->go[1]);
	close(g->ready[0]);
	do
		n = write(g->ready[1], &c, 1);
	while (n < 0 && errno == EINTR);
	close(g->ready[1]);
	if (n != 1)
		return -1;
	do
		n = read(g->go[0], &c, 1);
	while (n < 0 && errno == EINTR);
	close(g->go[0]);
	return n == 0 ? 0 : -1;
}

/*
 * Parent side: wait until `children` have arrived, then release them all.
 * Returns 0, or -1 if a child went away before arriving (the gate is still
 * opened so the others do not hang).
 */
static inline int zt_gate_release(struct zt_gate *g, unsigned children)
{
	unsigned arrived = 0;
	ssize_t n;
	char buf[64];

	close(g->ready[1]);
	close(g->go[0]);
	while (arrived < children) {
		n = read(g->ready[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		arrived += (unsigned)n;
	}
	close(g->ready[0]);
	close(g->go[1]);
	return arrived == children ? 0 : -1;
}

/*
 * A barrier for the same children over several phases, driven by the
 * parent: each child writes a byte to `arrive` and reads one from the go
 * pipe of the current phase; the parent reads every arrival (and may
 * inspect shared state while all of them wait), then writes one byte per
 * child.  Phases alternate between two go pipes, so that a fast child that
 * reaches the next phase cannot eat a byte still meant for a slow child in
 * this one.  Each process counts phases in its own copy.  At most
 * ZT_BARRIER_MAX children.
 */
#define ZT_BARRIER_MAX 64

struct zt_barrier {
	int arrive[2];
	int go[2][2];
	unsigned phase;
};

static inline int zt_barrier_init(struct zt_barrier *b)
{
	memset(b, 0, sizeof(*b));
	if (pipe(b->arrive) != 0)
		return -1;
	if (pipe(b->go[0]) != 0 || pipe(b->go[1]) != 0)
		return -1;
	return 0;
}

/*
 * After the fork, each side closes the other's ends: the children the
 * parent's (zt_barrier_child()), the parent the children's once all are
 * forked (zt_barrier_parent()), so that a process that dies shows as EOF
 * instead of a wait forever.
 */
static inline void zt_barrier_child(struct zt_barrier *b)
{
	close(b->arrive[0]);
	close(b->go[0][1]);
	close(b->go[1][1]);
}

static inline void zt_barrier_parent(struct zt_barrier *b)
{
	close(b->arrive[1]);
	close(b->go[0][0]);
	close(b->go[1][0]);
}

/* Child side: arrive, then wait for the parent.  0, or -1 on error. */
static inline int zt_barrier_wait(struct zt_barrier *b)
{
	char c = 'a';

	if (write(b->arrive[1], &c, 1) != 1)
		return -1;
	return read(b->go[b->phase++ % 2][0], &c, 1) == 1 ? 0 : -1;
}

/* Parent side: wait until `n` children arrived.  0, or -1 on error. */
static inline int zt_barrier_collect(struct zt_barrier *b, unsigned n)
{
	char buf[ZT_BARRIER_MAX];
	unsigned got = 0;
	ssize_t r;

	while (got < n) {
		r = read(b->arrive[0], buf, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (unsigned)r;
	}
	return 0;
}

/* Parent side: let the `n` children that arrived go on. */
static inline void zt_barrier_release(struct zt_barrier *b, unsigned n)
{
	char buf[ZT_BARRIER_MAX];

	memset(buf, 'g', sizeof(buf));
	if (write(b->go[b->phase++ % 2][1], buf, n) != (ssize_t)n)
		perror("zt_barrier_release");
}

/* ---- crash points (a library built with ZEROIPC_CRASH_POINTS) ---- */

/*
 * A test that needs crash points skips (exits 77) where the library was
 * built without them: calling this from main() returns from main().
 */
#ifdef ZEROIPC_TEST_CRASH_POINTS
#define ZT_REQUIRE_CRASH_POINTS() ((void)0)
#else
#define ZT_REQUIRE_CRASH_POINTS()                                              \
	do {                                                                   \
		printf("library built without ZEROIPC_CRASH_POINTS: "          \
		       "skipped\n");                                           \
		return ZT_SKIP;                                                \
	} while (0)
#endif

/*
 * Arm crash point `point` in this process (a child about to run the
 * operation that contains it): the library kills the process there with
 * SIGKILL or, with `stop`, stops it with SIGSTOP so the parent can look at
 * what it left behind before killing it.
 */
static inline void zt_crash_at(const char *point, bool stop)
{
	setenv("ZEROIPC_CRASH_AT", point, 1);
	if (stop)
		setenv("ZEROIPC_CRASH_ACTION", "stop", 1);
}

/* ---- bytes in a mapping and time ---- */

static inline uint64_t zt_align8(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

/* Unaligned reads and writes of the fields at `off` past `base`. */
static inline uint32_t zt_rd32(const unsigned char *base, uint64_t off)
{
	uint32_t v;

	memcpy(&v, base + off, sizeof(v));
	return v;
}

static inline uint64_t zt_rd64(const unsigned char *base, uint64_t off)
{
	uint64_t v;

	memcpy(&v, base + off, sizeof(v));
	return v;
}

static inline void zt_wr32(unsigned char *base, uint64_t off, uint32_t v)
{
	memcpy(base + off, &v, sizeof(v));
}

static inline void zt_wr64(unsigned char *base, uint64_t off, uint64_t v)
{
	memcpy(base + off, &v, sizeof(v));
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline int64_t zt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* qsort() order of uint64_t values. */
static inline int zt_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ---- checks for tests that do not use cmocka (stress, ffi) ---- */

/* Failed checks in this process; main() turns it into the exit status. */
static int zt_failures;

/* Record a failed check with a printf-style explanation, and go on. */
#define ZT_CHECK(cond, ...)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			zt_failures++;                                         \
		}                                                              \
	} while (0)

/* ---- deterministic PRNG (xorshift64*), so failures replay ---- */

static inline uint64_t zt_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Parse argv[i] as a positive integer, or return def. */
static inline unsigned long zt_arg(int argc, char **argv, int i,
				   unsigned long def)
{
	char *end;
	unsigned long v;

	if (argc <= i)
		return def;
	v = strtoul(argv[i], &end, 10);
	if (*end != '\0' || v == 0) {
		fprintf(stderr, "bad argument %s, using %lu\n", argv[i], def);
		return def;
	}
	return v;
}

#endif /* ZT_TEST_H */
