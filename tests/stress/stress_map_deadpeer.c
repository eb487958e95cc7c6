/* SPDX-License-Identifier: MIT */
/*
 * stress_map_deadpeer.c - a process that dies, or stalls, in the middle of
 * a map or set operation leaves the table usable and every other operation
 * bounded.
 *
 * Each case makes a fresh table, lets a child run one operation up to a
 * crash point and then either die there (SIGKILL) or stop there (SIGSTOP,
 * resumed later: a slow peer, not a dead one).  The parent then checks what
 * the specification promises:
 *   insert.claimed  dead: the key is absent, one slot is lost, inserting the
 *                   key works.  Stalled: the parent inserts the same key
 *                   meanwhile; the resumed child yields and gets EEXISTS,
 *                   and the key is stored once, with the parent's value.
 *   insert.pending  the next operation on the key finishes the insert (the
 *                   child's value is there), dead or stalled; a resumed
 *                   child reports success.
 *   update.locked   reads, updates and erases of that key end in
 *                   ZEROIPC_ETIMEOUT; other keys work; once the stalled
 *                   writer resumes, its value is read.
 *   erase.retiring  the key is gone at once; a dead eraser leaves one count
 *                   too many, a resumed one takes it back.
 * Needs a build with ZEROIPC_CRASH_POINTS; skips (77) otherwise.
 */
#include <inttypes.h>
#include <stdbool.h>

#include <zeroipc.h>

#include "zt_test.h"

#define SHORT_NS (20LL * 1000000LL)
#define CAP 64

enum op { OP_INSERT, OP_UPDATE, OP_ERASE };

struct dead_case {
	const char *name;
	bool set;          /* run on a Set instead of a Map */
	const char *point; /* crash point */
	bool stop;         /* SIGSTOP there (stalled) instead of SIGKILL */
	enum op op;
};

static const struct dead_case cases[] = {
	{ "map insert dies after claiming", false, "map.insert.claimed",
	  false, OP_INSERT },
	{ "map insert dies after publishing", false, "map.insert.pending",
	  false, OP_INSERT },
	{ "map update dies holding the lock", false, "map.update.locked",
	  false, OP_UPDATE },
	{ "map erase dies before uncounting", false, "map.erase.retiring",
	  false, OP_ERASE },
	{ "map insert stalls after claiming", false, "map.insert.claimed",
	  true, OP_INSERT },
	{ "map insert stalls after publishing", false, "map.insert.pending",
	  true, OP_INSERT },
	{ "map update stalls holding the lock", false, "map.update.locked",
	  true, OP_UPDATE },
	{ "map erase stalls before uncounting", false, "map.erase.retiring",
	  true, OP_ERASE },
	{ "set insert dies after claiming", true, "set.insert.claimed", false,
	  OP_INSERT },
	{ "set insert dies after publishing", true, "set.insert.pending",
	  false, OP_INSERT },
	{ "set erase dies before uncounting", true, "set.erase.retiring",
	  false, OP_ERASE },
	{ "set insert stalls after claiming", true, "set.insert.claimed", true,
	  OP_INSERT },
	{ "set insert stalls after publishing", true, "set.insert.pending",
	  true, OP_INSERT },
};

#define KEY 0x5151ull
#define CHILD_VALUE 0xC41Dull
#define PARENT_VALUE 0x9A2Eull

/* A table of either family behind one set of calls. */
struct table {
	bool set;
	zeroipc_map *map;
	zeroipc_set *st;
};

static int t_open(struct table *t, zeroipc_memory *mem, bool create)
{
	if (t->set)
		return create ? zeroipc_set_create(&t->st, mem, "t", 8, CAP)
			      : zeroipc_set_open(&t->st, mem, "t", 8);
	return create ? zeroipc_map_create(&t->map, mem, "t", 8, 8, CAP)
		      : zeroipc_map_open(&t->map, mem, "t", 8, 8);
}

static int t_insert(struct table *t, uint64_t k, uint64_t v)
{
	return t->set ? zeroipc_set_insert(t->st, &k)
		      : zeroipc_map_insert(t->map, &k, &v);
}

static int t_erase(struct table *t, uint64_t k)
{
	return t->set ? zeroipc_set_erase(t->st, &k)
		      : zeroipc_map_erase(t->map, &k);
}

static int t_contains(struct table *t, uint64_t k)
{
	return t->set ? zeroipc_set_contains(t->st, &k)
		      : zeroipc_map_contains(t->map, &k);
}

static uint64_t t_size(struct table *t)
{
	return t->set ? zeroipc_set_size(t->st) : zeroipc_map_size(t->map);
}

static int t_validate(const struct table *t, const zeroipc_memory *mem)
{
	return t->set ? zeroipc_set_validate(mem, "t")
		      : zeroipc_map_validate(mem, "t");
}

/* How many times key k is returned by iteration. */
static unsigned t_count(struct table *t, uint64_t k)
{
	uint64_t cursor = 0, got;
	unsigned n = 0;

	while ((t->set ? zeroipc_set_next(&got, t->st, &cursor)
		       : zeroipc_map_next(&got, NULL, t->map, &cursor)) == 0)
		n += got == k;
	return n;
}

static void t_close(struct table *t)
{
	zeroipc_map_close(t->map);
	zeroipc_set_close(t->st);
}

/* Exit code of the child for a status: 0, 10 for EEXISTS, else 20 + n. */
static int exit_code(int rc)
{
	return rc == 0 ? 0 : rc == ZEROIPC_EEXISTS ? 10 : 20 - rc;
}

struct child_arg {
	const char *seg;
	const struct dead_case *c;
};

static int child(void *varg)
{
	struct child_arg *a = varg;
	struct table t = { a->c->set, NULL, NULL };
	zeroipc_memory *mem = NULL;
	uint64_t k = KEY, v = CHILD_VALUE;
	int rc;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0 ||
	    t_open(&t, mem, false) != 0)
		return 100;
	zt_crash_at(a->c->point, a->c->stop);
	switch (a->c->op) {
	case OP_INSERT:
		rc = t_insert(&t, k, v);
		break;
	case OP_UPDATE:
		rc = zeroipc_map_insert_or_update(t.map, &k, &v);
		break;
	default:
		rc = t_erase(&t, k);
	}
	return exit_code(rc);
}

/* Other keys keep working; a bounded amount of work. */
static void exercise_other_keys(const struct dead_case *c, struct table *t)
{
	uint64_t k, v;

	for (k = 1; k <= 40; k++) {
		ZT_CHECK(t_insert(t, k, k) == 0, "%s: insert %" PRIu64 ": %s",
			 c->name, k, zeroipc_last_error());
		if (!t->set) {
			ZT_CHECK(zeroipc_map_find(&v, t->map, &k) == 0 &&
					 v == k,
				 "%s: find %" PRIu64, c->name, k);
		}
	}
	for (k = 1; k <= 40; k++)
		ZT_CHECK(t_erase(t, k) == 0, "%s: erase %" PRIu64 ": %s",
			 c->name, k, zeroipc_last_error());
}

static uint64_t map_value(struct table *t, int *rc)
{
	uint64_t k = KEY, v = 0;

	*rc = zeroipc_map_find(&v, t->map, &k);
	return v;
}

static int run_case(const struct dead_case *c)
{
	struct table t = { c->set, NULL, NULL };
	struct child_arg arg;
	zeroipc_memory *mem = NULL;
	int failures = zt_failures, rc, status;
	uint64_t k = KEY, v;
	char seg[128];
	pid_t pid;

	zt_name(seg, sizeof(seg), "map-dead");
	if (zeroipc_memory_create(&mem, seg, 1 << 16, NULL) != 0 ||
	    t_open(&t, mem, true) != 0) {
		ZT_CHECK(0, "%s: setup: %s", c->name, zeroipc_last_error());
		return 1;
	}
	if (!c->set)
		zeroipc_map_set_timeout(t.map, SHORT_NS);
	if (c->op != OP_INSERT)
		ZT_CHECK(t_insert(&t, KEY, PARENT_VALUE) == 0, "%s: seed",
			 c->name);
	arg.seg = seg;
	arg.c = c;
	pid = zt_fork(child, &arg);
	if (c->stop) {
		while (waitpid(pid, &status, WUNTRACED) < 0 && errno == EINTR)
			;
		ZT_CHECK(WIFSTOPPED(status), "%s: child did not stop there",
			 c->name);
	} else {
		ZT_CHECK(zt_wait(pid) == 128 + SIGKILL,
			 "%s: child did not die there", c->name);
	}

	/* The peer is gone or frozen at the crash point. */
	switch (c->op) {
	case OP_INSERT:
		if (strstr(c->point, "claimed") != NULL) {
			ZT_CHECK(t_contains(&t, KEY) == 0,
				 "%s: claimed key visible", c->name);
			ZT_CHECK(t_insert(&t, KEY, PARENT_VALUE) == 0,
				 "%s: insert next to a dead claim: %s",
				 c->name, zeroipc_last_error());
		} else {
			ZT_CHECK(t_contains(&t, KEY) == 1,
				 "%s: published insert not finished", c->name);
			ZT_CHECK(t_insert(&t, KEY, PARENT_VALUE) ==
					 ZEROIPC_EEXISTS,
				 "%s: second insert", c->name);
		}
		break;
	case OP_UPDATE:
		ZT_CHECK(t_contains(&t, KEY) == 1, "%s: contains", c->name);
		(void)map_value(&t, &rc);
		ZT_CHECK(rc == ZEROIPC_ETIMEOUT, "%s: find gave %s", c->name,
			 zeroipc_status_name(rc));
		ZT_CHECK(t_erase(&t, KEY) == ZEROIPC_ETIMEOUT, "%s: erase",
			 c->name);
		v = 1;
		ZT_CHECK(zeroipc_map_insert_or_update(t.map, &k, &v) ==
				 ZEROIPC_ETIMEOUT,
			 "%s: update", c->name);
		break;
	case OP_ERASE:
		ZT_CHECK(t_contains(&t, KEY) == 0, "%s: erased key visible",
			 c->name);
		ZT_CHECK(t_size(&t) == 1, "%s: size %" PRIu64, c->name,
			 t_size(&t));
		break;
	}
	ZT_CHECK(t_validate(&t, mem) == 0, "%s: validate: %s", c->name,
		 zeroipc_last_error());
	exercise_other_keys(c, &t);

	if (c->stop) {
		kill(pid, SIGCONT);
		rc = zt_wait(pid);
		switch (c->op) {
		case OP_INSERT:
			/* claimed: we took the key meanwhile, it yields. */
			ZT_CHECK(rc == (strstr(c->point, "claimed") != NULL
						? 10
						: 0),
				 "%s: resumed child exited %d", c->name, rc);
			break;
		default:
			ZT_CHECK(rc == 0, "%s: resumed child exited %d",
				 c->name, rc);
		}
	}

	/* Final state of KEY. */
	switch (c->op) {
	case OP_INSERT:
		ZT_CHECK(t_count(&t, KEY) == 1, "%s: key stored %u times",
			 c->name, t_count(&t, KEY));
		if (!c->set) {
			v = map_value(&t, &rc);
			ZT_CHECK(rc == 0 &&
					 v == (strstr(c->point, "claimed")
						       ? PARENT_VALUE
						       : CHILD_VALUE),
				 "%s: value %" PRIx64, c->name, v);
		}
		/* A dead claimer had not counted yet; a dead publisher's
		 * count now belongs to its finished entry. */
		ZT_CHECK(t_size(&t) == 1, "%s: size %" PRIu64, c->name,
			 t_size(&t));
		break;
	case OP_UPDATE:
		v = map_value(&t, &rc);
		if (c->stop)
			ZT_CHECK(rc == 0 && v == CHILD_VALUE,
				 "%s: after resume: %s, %" PRIx64, c->name,
				 zeroipc_status_name(rc), v);
		else
			ZT_CHECK(rc == ZEROIPC_ETIMEOUT, "%s: still locked",
				 c->name);
		break;
	case OP_ERASE:
		ZT_CHECK(t_size(&t) == (c->stop ? 0u : 1u),
			 "%s: final size %" PRIu64, c->name, t_size(&t));
		ZT_CHECK(t_insert(&t, KEY, PARENT_VALUE) == 0,
			 "%s: insert after the erase", c->name);
		break;
	}
	ZT_CHECK(t_validate(&t, mem) == 0, "%s: final validate: %s", c->name,
		 zeroipc_last_error());
	t_close(&t);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
	if (zt_failures == failures)
		printf("%s: ok\n", c->name);
	return zt_failures != failures;
}

int main(void)
{
	int failed = 0;

	ZT_REQUIRE_CRASH_POINTS();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed |= run_case(&cases[i]);
	return failed;
}
