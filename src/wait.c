/* SPDX-License-Identifier: MIT */
/* wait.c - futex-based bounded waits; see wait.h for the protocol. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "atomics.h"
#include "internal.h"
#include "wait.h"

int64_t zeroipc__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

zeroipc__deadline zeroipc__deadline_in(int64_t timeout_ns)
{
	zeroipc__deadline d = { 0, timeout_ns < 0 };

	if (!d.forever)
		d.at_ns = timeout_ns > INT64_MAX - zeroipc__now_ns()
				  ? INT64_MAX
				  : zeroipc__now_ns() + timeout_ns;
	return d;
}

bool zeroipc__deadline_passed(const zeroipc__deadline *d)
{
	return !d->forever && zeroipc__now_ns() >= d->at_ns;
}

int zeroipc__futex_wait(const uint32_t *word, uint32_t expected,
			const zeroipc__deadline *d)
{
	int64_t sleep_ns = ZEROIPC__WAIT_SLICE_NS;
	struct timespec ts;

	if (!d->forever) {
		int64_t left = d->at_ns - zeroipc__now_ns();

		if (left <= 0)
			return ZEROIPC_ETIMEOUT;
		if (left < sleep_ns)
			sleep_ns = left;
	}
	ts.tv_sec = (time_t)(sleep_ns / 1000000000LL);
	ts.tv_nsec = (long)(sleep_ns % 1000000000LL);
	/* Shared (not private) futex: wakers live in other processes.  EAGAIN
	 * (value already changed), EINTR and ETIMEDOUT all mean "recheck". */
	syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
	return 0;
}

void zeroipc__futex_wake(uint32_t *word, int count)
{
	syscall(SYS_futex, word, FUTEX_WAKE, count, NULL, NULL, 0);
}

/* The system-wide barrier of the asymmetric scheme (see wait.h). */
static void heavy_barrier(void)
{
	/* Failure leaves only the fence below: then no notifier can have
	 * registered on this kernel either, and each one fences itself. */
	(void)syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0);
}

static int wait_impl(struct zeroipc_fmt_eventcount *ec, zeroipc__ready_fn ready,
		     void *ctx, const zeroipc__deadline *d, bool asym);

int zeroipc__wait_until(struct zeroipc_fmt_eventcount *ec,
			zeroipc__ready_fn ready, void *ctx,
			const zeroipc__deadline *d)
{
	return wait_impl(ec, ready, ctx, d, false);
}

int zeroipc__wait_until_asym(struct zeroipc_fmt_eventcount *ec,
			     zeroipc__ready_fn ready, void *ctx,
			     const zeroipc__deadline *d)
{
	return wait_impl(ec, ready, ctx, d, true);
}

static int wait_impl(struct zeroipc_fmt_eventcount *ec, zeroipc__ready_fn ready,
		     void *ctx, const zeroipc__deadline *d, bool asym)
{
	for (int i = 0; i < ZEROIPC__WAIT_SPIN; i++) {
		if (ready(ctx))
			return 0;
		zeroipc__cpu_relax();
	}
	for (;;) {
		uint32_t key = 0;
		int rc;

		if (ec != NULL) {
			zeroipc__fetch_add_relaxed_u32(&ec->waiters, 1);
			/* Arming is a seq_cst read-modify-write: it orders the
			 * arming before the recheck below and pairs with the
			 * fence in zeroipc__notify(). */
			key = zeroipc__fetch_or_seq_cst_u32(&ec->seq,
							    ZEROIPC__EC_ARMED) |
			      ZEROIPC__EC_ARMED;
			/* ... and with the compiler barrier of
			 * zeroipc__notify_light() in other processes. */
			if (asym)
				heavy_barrier();
		}
		if (ready(ctx)) {
			if (ec != NULL)
				zeroipc__fetch_sub_relaxed_u32(&ec->waiters, 1);
			return 0;
		}
		if (ec != NULL) {
			rc = zeroipc__futex_wait(&ec->seq, key, d);
			zeroipc__fetch_sub_relaxed_u32(&ec->waiters, 1);
		} else {
			/* No shared word to sleep on: sleep one slice on a
			 * private word nobody wakes. */
			uint32_t never = 0;

			rc = zeroipc__futex_wait(&never, 0, d);
		}
		if (ready(ctx))
			return 0;
		if (rc == ZEROIPC_ETIMEOUT || zeroipc__deadline_passed(d))
			return zeroipc__fail(ZEROIPC_ETIMEOUT,
					     "wait timed out");
	}
}

void zeroipc__notify(struct zeroipc_fmt_eventcount *ec)
{
	uint32_t seq;

	if (ec == NULL)
		return;
	/* Orders the caller's published change before reading seq; pairs
	 * with the arming read-modify-write in wait_impl(). */
	zeroipc__fence_seq_cst();
	seq = zeroipc__load_relaxed_u32(&ec->seq);
	if ((seq & ZEROIPC__EC_ARMED) == 0)
		return;
	/* Disarm while counting: of racing notifiers one wins and wakes; the
	 * others see the count change, which wakes the same sleepers. */
	if (zeroipc__cas_seq_cst_u32(&ec->seq, &seq,
				     (seq + 2u) & ~ZEROIPC__EC_ARMED))
		zeroipc__futex_wake(&ec->seq, INT_MAX);
}

/*
 * Light notification state of this process.  Registration is kept per
 * address space, so a forked child starts unregistered: the fork handler
 * sends it back to LIGHT_UNKNOWN and its first notification registers.
 */
#define LIGHT_UNKNOWN 0u
#define LIGHT_ON ZEROIPC__LIGHT_ON
#define LIGHT_OFF 2u
uint32_t zeroipc__light_state = LIGHT_UNKNOWN;
static bool light_fork_handler;

static void light_after_fork(void)
{
	zeroipc__store_relaxed_u32(&zeroipc__light_state, LIGHT_UNKNOWN);
}

static void light_install_fork_handler(void)
{
	light_fork_handler = pthread_atfork(NULL, NULL, light_after_fork) == 0;
}

bool zeroipc__notify_light_enable(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	uint32_t state = zeroipc__load_relaxed_u32(&zeroipc__light_state);

	if (state != LIGHT_UNKNOWN)
		return state == LIGHT_ON;
	/* Without the fork handler a child could keep LIGHT_ON unregistered,
	 * so then light notifications stay off. */
	state = LIGHT_OFF;
	if (pthread_once(&once, light_install_fork_handler) == 0 &&
	    light_fork_handler &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
		    0, 0) == 0)
		state = LIGHT_ON;
	/* Racing threads all reach the same answer; registering twice is
	 * harmless. */
	zeroipc__store_relaxed_u32(&zeroipc__light_state, state);
	return state == LIGHT_ON;
}

void zeroipc__notify_light_slow(struct zeroipc_fmt_eventcount *ec)
{
	if (zeroipc__notify_light_enable())
		zeroipc__notify_light(ec);
	else
		zeroipc__notify(ec);
}

int zeroipc__wait_companion(struct zeroipc_fmt_eventcount **out,
			    zeroipc_memory *mem, const char *name,
			    unsigned count)
{
	char companion[ZEROIPC_NAME_MAX + 1];
	uint64_t want = (uint64_t)count * sizeof(struct zeroipc_fmt_eventcount);
	uint64_t offset, size;
	int rc;

	*out = NULL;
	rc = zeroipc__check_entry_name(name);
	if (rc != 0)
		return rc;
	if (strlen(name) > ZEROIPC__WAIT_NAME_MAX)
		return zeroipc__fail(ZEROIPC_ENAME,
				     "'%s' is longer than %d bytes, the limit "
				     "for structures that add '%s'", name,
				     ZEROIPC__WAIT_NAME_MAX,
				     ZEROIPC__WAIT_SUFFIX);
	snprintf(companion, sizeof(companion), "%s%s", name,
		 ZEROIPC__WAIT_SUFFIX);
	rc = zeroipc__table_lookup(&offset, &size, mem, companion);
	if (rc == ZEROIPC_ENOT_FOUND) {
		if (mem->readonly)
			return 0;
		rc = zeroipc_table_add(&offset, mem, companion, want);
		if (rc == ZEROIPC_EEXISTS)
			rc = zeroipc__table_lookup(&offset, &size, mem,
						   companion);
		else
			size = want;
	}
	if (rc != 0)
		return rc;
	if (size != want)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "'%s' has %llu bytes, expected %llu",
				     companion, (unsigned long long)size,
				     (unsigned long long)want);
	*out = (void *)(mem->base + offset);
	return 0;
}

int zeroipc__wait_companion_for_new(struct zeroipc_fmt_eventcount **out,
				    zeroipc_memory *mem, const char *name,
				    unsigned count)
{
	uint64_t offset, size;
	int rc;

	*out = NULL;
	rc = zeroipc__table_lookup(&offset, &size, mem, name);
	if (rc == 0)
		return zeroipc__fail(ZEROIPC_EEXISTS,
				     "'%s' already exists in %s", name,
				     mem->name);
	if (rc != ZEROIPC_ENOT_FOUND)
		return rc;
	return zeroipc__wait_companion(out, mem, name, count);
}
