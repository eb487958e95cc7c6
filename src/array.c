/* SPDX-License-Identifier: MIT */
/*
 * array.c - fixed-capacity arrays: u64 capacity, then the elements.
 */
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"
#include "table_internal.h"

static int array_bytes(uint64_t *out, uint64_t elem_size, uint64_t capacity)
{
	uint64_t data;

	if (!zeroipc__mul_u64(&data, elem_size, capacity) ||
	    !zeroipc__add_u64(out, sizeof(struct zeroipc_fmt_array_header),
			      data))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "array of %llu elements of %llu bytes "
				     "overflows", (unsigned long long)capacity,
				     (unsigned long long)elem_size);
	return 0;
}

static int init_array(unsigned char *region, uint64_t size, void *arg)
{
	struct zeroipc_fmt_array_header *h = (void *)region;

	(void)size;
	h->capacity = *(const uint64_t *)arg;
	return 0;
}

static int new_handle(zeroipc_array **out, zeroipc_memory *mem,
		      uint64_t offset, uint64_t elem_size, uint64_t capacity)
{
	zeroipc_array *arr = calloc(1, sizeof(*arr));

	if (arr == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	arr->mem = mem;
	arr->data = mem->base + offset + sizeof(struct zeroipc_fmt_array_header);
	arr->capacity = capacity;
	arr->elem_size = elem_size;
	*out = arr;
	return 0;
}

int zeroipc_array_create(zeroipc_array **out, zeroipc_memory *mem,
			 const char *name, uint64_t elem_size,
			 uint64_t capacity)
{
	uint64_t bytes = 0, offset;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	ZEROIPC__CHECK_ARG(capacity > 0);
	rc = array_bytes(&bytes, elem_size, capacity);
	if (rc != 0)
		return rc;
	rc = zeroipc__table_add_init(&offset, mem, name, bytes, init_array,
				     &capacity);
	if (rc != 0)
		return rc;
	return new_handle(out, mem, offset, elem_size, capacity);
}

int zeroipc_array_open(zeroipc_array **out, zeroipc_memory *mem,
		       const char *name, uint64_t elem_size)
{
	const struct zeroipc_fmt_array_header *h;
	uint64_t offset, size, capacity, expected = 0;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	rc = zeroipc__table_lookup_header(&offset, &size, mem, "array", name,
					  sizeof(*h));
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + offset);
	capacity = h->capacity;
	/* The entry size is the only type check format v2 offers: it must be
	 * exactly header + capacity elements of the size the caller expects. */
	if (array_bytes(&expected, elem_size, capacity) != 0 || expected != size)
		return zeroipc__fail(ZEROIPC_ESIZE_MISMATCH,
				     "array '%s': %llu bytes do not hold %llu "
				     "elements of %llu bytes", name,
				     (unsigned long long)size,
				     (unsigned long long)capacity,
				     (unsigned long long)elem_size);
	rc = new_handle(out, mem, offset, elem_size, capacity);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

void zeroipc_array_close(zeroipc_array *arr)
{
	free(arr);
}

uint64_t zeroipc_array_capacity(const zeroipc_array *arr)
{
	return arr != NULL ? arr->capacity : 0;
}

uint64_t zeroipc_array_elem_size(const zeroipc_array *arr)
{
	return arr != NULL ? arr->elem_size : 0;
}

void *zeroipc_array_data(const zeroipc_array *arr)
{
	return arr != NULL ? arr->data : NULL;
}

static int check_index(const zeroipc_array *arr, uint64_t index)
{
	if (index >= arr->capacity)
		return zeroipc__fail(ZEROIPC_ERANGE,
				     "index %llu, capacity %llu",
				     (unsigned long long)index,
				     (unsigned long long)arr->capacity);
	return 0;
}

static int check_writable(const zeroipc_array *arr)
{
	if (arr->mem->readonly)
		return zeroipc__fail(ZEROIPC_EREADONLY, "%s is mapped read-only",
				     arr->mem->name);
	return 0;
}

int zeroipc_array_get(void *out, const zeroipc_array *arr, uint64_t index)
{
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(arr != NULL);
	rc = check_index(arr, index);
	if (rc != 0)
		return rc;
	memcpy(out, arr->data + index * arr->elem_size, (size_t)arr->elem_size);
	return 0;
}

int zeroipc_array_set(zeroipc_array *arr, uint64_t index, const void *value)
{
	int rc;

	ZEROIPC__CHECK_ARG(arr != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	rc = check_index(arr, index);
	if (rc == 0)
		rc = check_writable(arr);
	if (rc != 0)
		return rc;
	memcpy(arr->data + index * arr->elem_size, value, (size_t)arr->elem_size);
	return 0;
}

/* Address of an element for an atomic op of `width` bytes, or a status. */
static int atomic_slot(void **slot_out, const zeroipc_array *arr,
		       uint64_t index, uint64_t width, bool write)
{
	int rc;

	if (arr->elem_size != width)
		return zeroipc__fail(ZEROIPC_ESIZE_MISMATCH,
				     "%llu-byte atomic on %llu-byte elements",
				     (unsigned long long)width,
				     (unsigned long long)arr->elem_size);
	rc = check_index(arr, index);
	if (rc == 0 && write)
		rc = check_writable(arr);
	if (rc != 0)
		return rc;
	*slot_out = arr->data + index * width;
	return 0;
}

/*
 * The atomic element operations are sequentially consistent: users build
 * their own protocols on them and should not have to reason about weaker
 * orders through an FFI.
 */
#define ZEROIPC__ARRAY_ATOMICS(bits)                                           \
	int zeroipc_array_load_u##bits(uint##bits##_t *out,                    \
				       const zeroipc_array *arr,               \
				       uint64_t index)                         \
	{                                                                      \
		void *slot = NULL;                                             \
		int rc;                                                        \
		ZEROIPC__CHECK_ARG(out != NULL);                               \
		ZEROIPC__CHECK_ARG(arr != NULL);                               \
		rc = atomic_slot(&slot, arr, index, bits / 8, false);          \
		if (rc == 0)                                                   \
			*out = zeroipc__load_seq_cst_u##bits(slot);            \
		return rc;                                                     \
	}                                                                      \
	int zeroipc_array_store_u##bits(zeroipc_array *arr, uint64_t index,    \
					uint##bits##_t value)                  \
	{                                                                      \
		void *slot = NULL;                                             \
		int rc;                                                        \
		ZEROIPC__CHECK_ARG(arr != NULL);                               \
		rc = atomic_slot(&slot, arr, index, bits / 8, true);           \
		if (rc == 0)                                                   \
			zeroipc__store_seq_cst_u##bits(slot, value);           \
		return rc;                                                     \
	}                                                                      \
	int zeroipc_array_fetch_add_u##bits(uint##bits##_t *previous_out,      \
					    zeroipc_array *arr,                \
					    uint64_t index,                    \
					    uint##bits##_t delta)              \
	{                                                                      \
		uint##bits##_t previous;                                       \
		void *slot = NULL;                                             \
		int rc;                                                        \
		ZEROIPC__CHECK_ARG(arr != NULL);                               \
		rc = atomic_slot(&slot, arr, index, bits / 8, true);           \
		if (rc != 0)                                                   \
			return rc;                                             \
		previous = zeroipc__fetch_add_seq_cst_u##bits(slot, delta);    \
		if (previous_out != NULL)                                      \
			*previous_out = previous;                              \
		return 0;                                                      \
	}                                                                      \
	int zeroipc_array_compare_exchange_u##bits(zeroipc_array *arr,         \
						   uint64_t index,             \
						   uint##bits##_t *expected,   \
						   uint##bits##_t desired)     \
	{                                                                      \
		void *slot = NULL;                                             \
		int rc;                                                        \
		ZEROIPC__CHECK_ARG(arr != NULL);                               \
		ZEROIPC__CHECK_ARG(expected != NULL);                          \
		rc = atomic_slot(&slot, arr, index, bits / 8, true);           \
		if (rc != 0)                                                   \
			return rc;                                             \
		if (zeroipc__cas_seq_cst_u##bits(slot, expected, desired))     \
			return 0;                                              \
		return ZEROIPC_ECHANGED;                                       \
	}

ZEROIPC__ARRAY_ATOMICS(32)
ZEROIPC__ARRAY_ATOMICS(64)
