/* SPDX-License-Identifier: MIT */
/*
 * set.c - the public Set API: the shared hash table (hashtable.c) with
 * value_size 0.
 */
#include <stdlib.h>

#include "hashtable.h"

struct zeroipc_set {
	struct zeroipc__htab t;
};

static int new_set(zeroipc_set **m)
{
	*m = calloc(1, sizeof(**m));
	if (*m == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	return 0;
}

int zeroipc_set_create(zeroipc_set **out, zeroipc_memory *mem,
		       const char *name, uint64_t key_size, uint64_t capacity)
{
	zeroipc_set *s;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = zeroipc__check_entry_name(name);
	if (rc != 0)
		return rc;
	rc = new_set(&s);
	if (rc != 0)
		return rc;
	rc = zeroipc__htab_create(&s->t, mem, name, key_size, 0, capacity,
				  ZEROIPC__HTAB_SET);
	if (rc != 0) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int zeroipc_set_open(zeroipc_set **out, zeroipc_memory *mem, const char *name,
		     uint64_t key_size)
{
	zeroipc_set *s;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(key_size > 0);
	rc = new_set(&s);
	if (rc != 0)
		return rc;
	rc = zeroipc__htab_open(&s->t, mem, name, key_size, 0,
				ZEROIPC__HTAB_SET);
	if (rc != 0) {
		free(s);
		return rc;
	}
	zeroipc__clear_error();
	*out = s;
	return 0;
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
	int rc;

	ZEROIPC__CHECK_ARG(set != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	rc = zeroipc__htab_find(NULL, &set->t, key);
	if (rc == 0)
		return 1;
	if (rc == ZEROIPC_ENOT_FOUND) {
		zeroipc__clear_error();
		return 0;
	}
	return rc;
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
