/* SPDX-License-Identifier: MIT */
/*
 * map.c - the public Map API over the shared hash table (hashtable.c).
 */
#include <stddef.h>
#include <stdlib.h>

#include "atomics.h"
#include "hashtable.h"

/* The table is the first member: zeroipc__htab_new() fills it in place. */
struct zeroipc_map {
	struct zeroipc__htab t;
};
_Static_assert(offsetof(struct zeroipc_map, t) == 0,
	       "zeroipc__htab_new() builds the table at the handle's start");

int zeroipc_map_create(zeroipc_map **out, zeroipc_memory *mem,
		       const char *name, uint64_t key_size,
		       uint64_t value_size, uint64_t capacity)
{
	void *handle;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = zeroipc__htab_new(&handle, sizeof(**out), mem, name, key_size,
			       value_size, capacity, ZEROIPC__HTAB_MAP, true);
	if (rc == 0)
		*out = handle;
	return rc;
}

int zeroipc_map_open(zeroipc_map **out, zeroipc_memory *mem,
		     const char *name, uint64_t key_size, uint64_t value_size)
{
	void *handle;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(key_size > 0);
	rc = zeroipc__htab_new(&handle, sizeof(**out), mem, name, key_size,
			       value_size, 0, ZEROIPC__HTAB_MAP, false);
	if (rc == 0)
		*out = handle;
	return rc;
}

void zeroipc_map_close(zeroipc_map *map)
{
	free(map);
}

int zeroipc_map_insert(zeroipc_map *map, const void *key, const void *value)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	ZEROIPC__CHECK_ARG(value != NULL || map->t.value_size == 0);
	return zeroipc__htab_put(&map->t, key, value, false);
}

int zeroipc_map_insert_or_update(zeroipc_map *map, const void *key,
				 const void *value)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	ZEROIPC__CHECK_ARG(value != NULL || map->t.value_size == 0);
	return zeroipc__htab_put(&map->t, key, value, true);
}

int zeroipc_map_find(void *value_out, const zeroipc_map *map, const void *key)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	ZEROIPC__CHECK_ARG(value_out != NULL || map->t.value_size == 0);
	return zeroipc__htab_find(value_out, &map->t, key);
}

int zeroipc_map_contains(const zeroipc_map *map, const void *key)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	return zeroipc__htab_contains(&map->t, key);
}

int zeroipc_map_erase(zeroipc_map *map, const void *key)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	ZEROIPC__CHECK_ARG(key != NULL);
	return zeroipc__htab_erase(&map->t, key);
}

uint64_t zeroipc_map_size(const zeroipc_map *map)
{
	return map != NULL ? zeroipc__htab_size(&map->t) : 0;
}

uint64_t zeroipc_map_capacity(const zeroipc_map *map)
{
	return map != NULL ? map->t.capacity : 0;
}

uint64_t zeroipc_map_key_size(const zeroipc_map *map)
{
	return map != NULL ? map->t.key_size : 0;
}

uint64_t zeroipc_map_value_size(const zeroipc_map *map)
{
	return map != NULL ? map->t.value_size : 0;
}

int zeroipc_map_next(void *key_out, void *value_out, const zeroipc_map *map,
		     uint64_t *cursor)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	ZEROIPC__CHECK_ARG(cursor != NULL);
	return zeroipc__htab_next(key_out, value_out, &map->t, cursor);
}

int zeroipc_map_set_timeout(zeroipc_map *map, int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(map != NULL);
	/* Relaxed: a plain setting read at the start of each wait, with no
	 * data attached to it. */
	zeroipc__store_relaxed_u64(&map->t.timeout_ns, (uint64_t)timeout_ns);
	return 0;
}

int zeroipc_map_validate(const zeroipc_memory *mem, const char *name)
{
	ZEROIPC__CHECK_ARG(mem != NULL);
	return zeroipc__htab_validate(mem, name, ZEROIPC__HTAB_MAP);
}
