/* SPDX-License-Identifier: MIT */
/*
 * stress_table_creator_killed.c - an adder dies in the middle of
 * zeroipc_table_add (and a creator in the middle of zeroipc_memory_create).
 *
 * Needs a library built with -DZEROIPC_CRASH_POINTS=ON: a child sets
 * ZEROIPC_CRASH_AT to a point inside the operation and is killed there by
 * the library itself.  The parent then checks that no half-written entry is
 * visible, the table still validates, and the next add neither blocks (the
 * table lock died with its holder) nor hands out dirty or overlapping space.
 * With ZEROIPC_CRASH_ACTION=stop the adder is frozen while holding the lock
 * instead, and lookups must still answer without waiting for it.
 *
 * Exits 77 (skip) when crash points are not compiled in.
 *
 * usage: stress_table_creator_killed [rounds-per-point]
 */
#include <dirent.h>

#include <zeroipc.h>

#include "zt_test.h"

#ifndef ZEROIPC_TEST_CRASH_POINTS
int main(void)
{
	printf("crash points are not compiled in "
	       "(configure with -DZEROIPC_CRASH_POINTS=ON): skipped\n");
	return ZT_SKIP;
}
#else

#define SEG_SIZE (1u << 16)
#define MAX_ENTRIES 16u
#define TABLE_END (32 + 48 * MAX_ENTRIES)
#define VICTIM_SIZE 64u
/* Seconds a child may take for work that should not block at all. */
#define WATCHDOG 20

/* The points inside table add, in the order the add reaches them. */
static const struct point {
	const char *name;
	int published; /* the entry is counted once this point is reached */
} points[] = {
	{"table.add.reserved", 0},
	{"table.add.entry_written", 0},
	{"table.add.published", 1},
};

struct child_args {
	const char *seg;
	const char *point;
	const char *action; /* NULL: die; "stop": freeze */
};

/* Child: add "victim" with a crash point armed.  Returning means the point
 * was never reached, which is a failure too. */
static int doomed_adder(void *arg)
{
	const struct child_args *a = arg;
	zeroipc_memory *mem = NULL;

	if (zeroipc_memory_open(&mem, a->seg, 0) != 0)
		return 10;
	setenv("ZEROIPC_CRASH_AT", a->point, 1);
	if (a->action != NULL)
		setenv("ZEROIPC_CRASH_ACTION", a->action, 1);
	(void)zeroipc_table_add(NULL, mem, "victim", VICTIM_SIZE);
	return 42;
}

/* Child: after the crash, adds must go through, promptly. */
static int survivor_adder(void *arg)
{
	const struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	int victim_rc;

	/* A watchdog, not a synchronisation: a blocked add dies of it. */
	alarm(WATCHDOG);
	if (zeroipc_memory_open(&mem, a->seg, 0) != 0)
		return 10;
	if (zeroipc_table_add(NULL, mem, "after", 24) != 0)
		return 11;
	victim_rc = zeroipc_table_add(NULL, mem, "victim", VICTIM_SIZE);
	zeroipc_memory_close(mem);
	/* 0 if the dead adder never published it, EEXISTS if it had. */
	if (victim_rc == 0)
		return 0;
	if (victim_rc == ZEROIPC_EEXISTS)
		return 1;
	return 12;
}

/* Child: lookups while another process holds the table lock. */
static int lock_free_reader(void *arg)
{
	const struct child_args *a = arg;
	zeroipc_memory *mem = NULL;
	zeroipc_table_entry e;

	alarm(WATCHDOG);
	if (zeroipc_memory_open(&mem, a->seg, ZEROIPC_OPEN_READONLY) != 0)
		return 10;
	if (zeroipc_table_count(mem) != 1)
		return 11;
	if (zeroipc_table_find(&e, mem, "before") != 0)
		return 12;
	if (zeroipc_table_find(&e, mem, "victim") != ZEROIPC_ENOT_FOUND)
		return 13;
	if (zeroipc_table_entry_at(&e, mem, 1) != ZEROIPC_ERANGE)
		return 14;
	if (zeroipc_memory_validate(mem) != 0)
		return 15;
	zeroipc_memory_close(mem);
	return 0;
}

static zeroipc_memory *fresh_segment(char *seg, size_t len)
{
	zeroipc_memory_opts opts = ZEROIPC_MEMORY_OPTS_INIT;
	zeroipc_memory *mem = NULL;

	zt_name(seg, len, "creator-killed");
	opts.max_entries = MAX_ENTRIES;
	if (zeroipc_memory_create(&mem, seg, SEG_SIZE, &opts) != 0 ||
	    zeroipc_table_add(NULL, mem, "before", 40) != 0) {
		fprintf(stderr, "setup: %s\n", zeroipc_last_error());
		exit(1);
	}
	/* Dirty the free space, as earlier dead adders might have. */
	memset((unsigned char *)zeroipc_memory_base(mem) + TABLE_END + 40, 0xEE,
	       SEG_SIZE - TABLE_END - 40);
	return mem;
}

static uint64_t next_offset(const zeroipc_memory *mem)
{
	uint64_t v;

	memcpy(&v, (const unsigned char *)zeroipc_memory_base(mem) + 24, 8);
	return v;
}

/* Every counted entry is whole, and regions neither overlap nor are dirty. */
static void check_table(zeroipc_memory *mem, const char *ctx)
{
	const unsigned char *base = zeroipc_memory_base(mem);
	uint32_t count = zeroipc_table_count(mem), i, j;
	zeroipc_table_entry e[MAX_ENTRIES];

	ZT_CHECK(zeroipc_memory_validate(mem) == 0, "%s: validate: %s", ctx,
		 zeroipc_last_error());
	for (i = 0; i < count && i < MAX_ENTRIES; i++) {
		ZT_CHECK(zeroipc_table_entry_at(&e[i], mem, i) == 0,
			 "%s: entry %u: %s", ctx, i, zeroipc_last_error());
		ZT_CHECK(e[i].offset % 8 == 0 && e[i].offset >= TABLE_END &&
				 e[i].offset + e[i].size <= next_offset(mem),
			 "%s: entry %s at %llu+%llu", ctx, e[i].name,
			 (unsigned long long)e[i].offset,
			 (unsigned long long)e[i].size);
		for (j = 0; j < i; j++)
			ZT_CHECK(e[j].offset + e[j].size <= e[i].offset ||
					 e[i].offset + e[i].size <= e[j].offset,
				 "%s: %s and %s overlap", ctx, e[j].name,
				 e[i].name);
		/* Nobody writes into these regions, so all stay zero. */
		if (strcmp(e[i].name, "before") != 0) {
			uint64_t k;

			for (k = 0; k < e[i].size; k++)
				if (base[e[i].offset + k] != 0)
					break;
			ZT_CHECK(k == e[i].size, "%s: %s not zeroed at %llu",
				 ctx, e[i].name, (unsigned long long)k);
		}
	}
}

static void kill_at(const struct point *pt, unsigned round)
{
	struct child_args args;
	zeroipc_memory *mem;
	zeroipc_table_entry e;
	uint64_t next_before;
	char seg[128], ctx[96];
	int st;

	snprintf(ctx, sizeof(ctx), "%s round %u", pt->name, round);
	mem = fresh_segment(seg, sizeof(seg));
	next_before = next_offset(mem);
	args = (struct child_args){seg, pt->name, NULL};

	st = zt_wait(zt_fork(doomed_adder, &args));
	ZT_CHECK(st == 128 + SIGKILL,
		 "%s: adder exited %d, not SIGKILL "
		 "(point renamed or never reached?)",
		 ctx, st);

	if (pt->published) {
		ZT_CHECK(zeroipc_table_count(mem) == 2, "%s: count %u", ctx,
			 zeroipc_table_count(mem));
		ZT_CHECK(zeroipc_table_find(&e, mem, "victim") == 0 &&
				 e.size == VICTIM_SIZE,
			 "%s: published victim not found whole", ctx);
	} else {
		/* Not counted, so not visible, and its space not taken. */
		ZT_CHECK(zeroipc_table_count(mem) == 1, "%s: count %u", ctx,
			 zeroipc_table_count(mem));
		ZT_CHECK(zeroipc_table_find(&e, mem, "victim") ==
				 ZEROIPC_ENOT_FOUND,
			 "%s: unpublished victim is visible", ctx);
		ZT_CHECK(next_offset(mem) == next_before,
			 "%s: next_offset moved from %llu to %llu", ctx,
			 (unsigned long long)next_before,
			 (unsigned long long)next_offset(mem));
	}
	check_table(mem, ctx);

	/* The lock died with the adder: the next adds go straight through. */
	st = zt_wait(zt_fork(survivor_adder, &args));
	ZT_CHECK(st == (pt->published ? 1 : 0), "%s: survivor exited %d%s", ctx,
		 st,
		 st == 128 + SIGALRM ? " (blocked on the dead adder's lock)"
				     : "");
	ZT_CHECK(zeroipc_table_count(mem) == 3, "%s: final count %u", ctx,
		 zeroipc_table_count(mem));
	check_table(mem, ctx);

	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
}

/* Freeze an adder holding the lock; readers must not wait for it. */
static void stop_at(const struct point *pt, unsigned round)
{
	struct child_args args;
	zeroipc_memory *mem;
	pid_t holder, adder;
	char seg[128], ctx[96];
	int status = 0, st;

	snprintf(ctx, sizeof(ctx), "stopped at %s round %u", pt->name, round);
	mem = fresh_segment(seg, sizeof(seg));
	args = (struct child_args){seg, pt->name, "stop"};
	holder = zt_fork(doomed_adder, &args);
	if (waitpid(holder, &status, WUNTRACED) != holder ||
	    !WIFSTOPPED(status)) {
		ZT_CHECK(0, "%s: adder did not stop (status 0x%x)", ctx,
			 status);
		kill(holder, SIGKILL);
		zeroipc_memory_close(mem);
		zeroipc_memory_unlink(seg);
		return;
	}
	st = zt_wait(zt_fork(lock_free_reader, &args));
	ZT_CHECK(st == 0, "%s: reader exited %d%s", ctx, st,
		 st == 128 + SIGALRM ? " (blocked behind the lock holder)"
				     : "");

	/* An adder queued behind the frozen holder gets in once it dies. */
	adder = zt_fork(survivor_adder, &args);
	kill(holder, SIGKILL);
	ZT_CHECK(zt_wait(holder) == 128 + SIGKILL, "%s: holder", ctx);
	st = zt_wait(adder);
	ZT_CHECK(st == 0, "%s: queued adder exited %d", ctx, st);
	ZT_CHECK(zeroipc_table_count(mem) == 3, "%s: final count %u", ctx,
		 zeroipc_table_count(mem));
	check_table(mem, ctx);
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
}

/* Child: create a segment with the crash point in create armed. */
static int doomed_creator(void *arg)
{
	const char *seg = arg;
	zeroipc_memory *mem = NULL;

	setenv("ZEROIPC_CRASH_AT", "memory.create.initialised", 1);
	(void)zeroipc_memory_create(&mem, seg, SEG_SIZE, NULL);
	return 42;
}

/* Leftover files a dead creator could leave under /dev/shm. */
static int leftovers_of(pid_t pid)
{
	char prefix[64];
	struct dirent *d;
	DIR *dir = opendir(ZT_SHM_DIR);
	int found = 0;

	if (dir == NULL)
		return 0;
	snprintf(prefix, sizeof(prefix), "-%ld-", (long)pid);
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] == '.' && strstr(d->d_name, prefix) != NULL)
			found++;
	closedir(dir);
	return found;
}

static void creator_killed(unsigned round)
{
	zeroipc_memory *mem = NULL;
	char seg[128], ctx[64];
	pid_t pid;
	int st;

	snprintf(ctx, sizeof(ctx), "memory.create.initialised round %u", round);
	zt_name(seg, sizeof(seg), "creator-killed-seg");
	pid = zt_fork(doomed_creator, seg);
	st = zt_wait(pid);
	ZT_CHECK(st == 128 + SIGKILL, "%s: creator exited %d", ctx, st);
	/* Nothing half-made is reachable under the name... */
	ZT_CHECK(zeroipc_memory_open(&mem, seg, 0) == ZEROIPC_ENOT_FOUND,
		 "%s: open after the crash: %s", ctx, zeroipc_last_error());
	ZT_CHECK(zt_shm_file_size(seg) == -1, "%s: file exists", ctx);
	ZT_CHECK(leftovers_of(pid) == 0, "%s: temporary files left", ctx);
	/* ...and the name is free for the next creator. */
	ZT_CHECK(zeroipc_memory_create(&mem, seg, SEG_SIZE, NULL) == 0,
		 "%s: create after the crash: %s", ctx, zeroipc_last_error());
	zeroipc_memory_close(mem);
	zeroipc_memory_unlink(seg);
}

int main(int argc, char **argv)
{
	unsigned rounds = (unsigned)zt_arg(argc, argv, 1, 5);
	size_t p;
	unsigned r;

	for (r = 0; r < rounds; r++) {
		for (p = 0; p < sizeof(points) / sizeof(points[0]); p++) {
			kill_at(&points[p], r);
			if (!points[p].published)
				stop_at(&points[p], r);
		}
		creator_killed(r);
	}
	printf("stress_table_creator_killed: %u rounds over %zu points, %d "
	       "failures\n",
	       rounds, sizeof(points) / sizeof(points[0]), zt_failures);
	return zt_failures == 0 ? 0 : 1;
}
#endif
