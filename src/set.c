/* SPDX-License-Identifier: MIT */
/*
 * set.c - the public Set API: the shared hash table (hashtable.c) with
 * value_size 0.
 */
#include <stddef.h>
#include <stdlib.h>

#include "hashtable.h"

/* The table is the first member: zeroipc__htab_new() fills it in place. */
struct zeroipc_set {
	struct zeroipc__htab t;
};
_Static_assert(offsetof(struct zeroipc_set, t) == 0,
	       "zeroipc__htab_new() builds the table at the handle's start");

int zeroipc_set_create(zeroipc_set **out, zeroipc_memory *mem,
		       const char *name, uint64_t key_size, uint64_t capacity)
{
	void *handle;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = zeroipc__htab_new(&handle, sizeof(**out), mem, name, key_size,
			       0, capacity, ZEROIPC__HTAB_SET, true);
	if (rc == 0)
		*out = handle;
	return rc;
}

int zeroipc_set_open(zeroipc_set **out, zeroipc_memory *mem, const char *name,
		     uint64_t key_size)
{
	void *handle;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(key_size > 0);
	rc = zeroipc__htab_new(&handle, sizeof(**out), mem, name, key_size,
			       0, 0, ZEROIPC__HTAB_SET, false);
	if (rc == 0)
		*out = handle;
	return rc;
}

void zeroipc_set_close(zeroipc_set *set)
{
	free(set);
}

int zeroipc_set_insert(zeroipc_set *set, const void *key)
{
	ZEROIPC__CHECK_ARG(set != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	return zeroipc__htab_put(&set->t, key, NULL, false);
}

int zeroipc_set_contains(const zeroipc_set *set, const void *key)
{
	ZEROIPC__CHECK_ARG(set != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	return zeroipc__htab_contains(&set->t, key);
}

int zeroipc_set_erase(zeroipc_set *set, const void *key)
{
	ZEROIPC__CHECK_ARG(set != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	return zeroipc__htab_erase(&set->t, key);
}

uint64_t zeroipc_set_size(const zeroipc_set *set)
{
	return set != NULL ? zeroipc__htab_size(&set->t) : 0;
}

uint64_t zeroipc_set_capacity(const zeroipc_set *set)
{
	return set != NULL ? set->t.capacity : 0;
}

uint64_t zeroipc_set_key_size(const zeroipc_set *set)
{
	return set != NULL ? set->t.key_size : 0;
}

int zeroipc_set_next(void *key_out, const zeroipc_set *set, uint64_t *cursor)
{
	ZEROIPC__CHECK_ARG(set != NULL);
	ZEROIPC__CHECK_ARG(cursor != NULL);
	return zeroipc__htab_next(key_out, NULL, &set->t, cursor);
}

int zeroipc_set_validate(const zeroipc_memory *mem, const char *name)
{
	ZEROIPC__CHECK_ARG(mem != NULL);
	return zeroipc__htab_validate(mem, name, ZEROIPC__HTAB_SET);
}
