/* SPDX-License-Identifier: MIT */
/*
 * Scenario "array": Arrays of int32, int64, float32 and float64.
 *
 * The writer creates NAME (4 MiB) with arrays "i32", "i64", "f32", "f64" of
 * COUNT elements and a uint64 array "published" of one element.  For each
 * index i in order it sets element i of the four arrays, then atomically
 * stores i + 1 into published[0].  The reader follows published[0] while
 * the writer runs and compares every element bit for bit, then checks the
 * whole arrays once more through the zero-copy data pointers.
 *
 * Values (identical in py_side.py): i32 = (int32)(i * 2654435761 mod 2^32),
 * i64 = (int64)(i * 0x9E3779B97F4A7C15 mod 2^64), f32 = i * 0.5f - 1000,
 * f64 = i / 3.0, except that elements 0-3 of the float arrays hold -0.0,
 * an infinity, the smallest subnormal and a NaN with a payload.
 */
#include "interop.h"

#define COUNT 5000u

static const uint32_t f32_special[4] = {
	0x80000000u, 0x7f800000u, 0x00000001u, 0x7fc12345u
};
static const uint64_t f64_special[4] = {
	0x8000000000000000ull, 0xfff0000000000000ull, 0x1ull,
	0x7ff80000000abcdeull
};

static int32_t i32_value(uint32_t i)
{
	return (int32_t)(i * 2654435761u);
}

static int64_t i64_value(uint32_t i)
{
	return (int64_t)((uint64_t)i * 0x9E3779B97F4A7C15ull);
}

static uint32_t f32_bits(uint32_t i)
{
	float f;
	uint32_t bits;

	if (i < 4)
		return f32_special[i];
	f = (float)i * 0.5f - 1000.0f;
	memcpy(&bits, &f, sizeof(bits));
	return bits;
}

static uint64_t f64_bits(uint32_t i)
{
	double d;
	uint64_t bits;

	if (i < 4)
		return f64_special[i];
	d = (double)i / 3.0;
	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

struct arrays {
	zeroipc_array *i32, *i64, *f32, *f64, *published;
};

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	struct arrays a;
	uint32_t i, b32;
	uint64_t b64;
	int32_t v32;
	int64_t v64;

	IC_OK(zeroipc_memory_create(&mem, name, 4u << 20, NULL));
	IC_OK(zeroipc_array_create(&a.i32, mem, "i32", 4, COUNT));
	IC_OK(zeroipc_array_create(&a.i64, mem, "i64", 8, COUNT));
	IC_OK(zeroipc_array_create(&a.f32, mem, "f32", 4, COUNT));
	IC_OK(zeroipc_array_create(&a.f64, mem, "f64", 8, COUNT));
	IC_OK(zeroipc_array_create(&a.published, mem, "published", 8, 1));
	ic_signal_ready(fifo);
	for (i = 0; i < COUNT; i++) {
		v32 = i32_value(i);
		v64 = i64_value(i);
		b32 = f32_bits(i);
		b64 = f64_bits(i);
		IC_OK(zeroipc_array_set(a.i32, i, &v32));
		IC_OK(zeroipc_array_set(a.i64, i, &v64));
		IC_OK(zeroipc_array_set(a.f32, i, &b32));
		IC_OK(zeroipc_array_set(a.f64, i, &b64));
		/* After the data: the reader's atomic load of it pairs here. */
		IC_OK(zeroipc_array_store_u64(a.published, 0, (uint64_t)i + 1));
	}
	zeroipc_array_close(a.i32);
	zeroipc_array_close(a.i64);
	zeroipc_array_close(a.f32);
	zeroipc_array_close(a.f64);
	zeroipc_array_close(a.published);
	zeroipc_memory_close(mem);
}

static void check_element(const struct arrays *a, uint32_t i)
{
	int32_t v32;
	int64_t v64;
	uint32_t b32;
	uint64_t b64;

	IC_OK(zeroipc_array_get(&v32, a->i32, i));
	IC_OK(zeroipc_array_get(&v64, a->i64, i));
	IC_OK(zeroipc_array_get(&b32, a->f32, i));
	IC_OK(zeroipc_array_get(&b64, a->f64, i));
	ic_expect(v32 == i32_value(i), "i32[%u] = %d, expected %d", i, v32,
		  i32_value(i));
	ic_expect(v64 == i64_value(i), "i64[%u] = %lld, expected %lld", i,
		  (long long)v64, (long long)i64_value(i));
	ic_expect(b32 == f32_bits(i), "f32[%u] bits %08x, expected %08x", i,
		  b32, f32_bits(i));
	ic_expect(b64 == f64_bits(i), "f64[%u] bits %016llx, expected %016llx",
		  i, (unsigned long long)b64, (unsigned long long)f64_bits(i));
}

static void check_shape(zeroipc_array *arr, const char *what, uint64_t size)
{
	ic_expect(zeroipc_array_capacity(arr) == COUNT, "%s capacity %llu",
		  what, (unsigned long long)zeroipc_array_capacity(arr));
	ic_expect(zeroipc_array_elem_size(arr) == size, "%s elem_size %llu",
		  what, (unsigned long long)zeroipc_array_elem_size(arr));
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_array *wrong;
	struct arrays a;
	uint64_t seen = 0, upto;
	const unsigned char *p32, *p64, *pf32, *pf64;
	uint32_t i, b32;
	uint64_t b64;
	int32_t v32;
	int64_t v64;

	IC_OK(zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY));
	IC_OK(zeroipc_array_open(&a.i32, mem, "i32", 4));
	IC_OK(zeroipc_array_open(&a.i64, mem, "i64", 8));
	IC_OK(zeroipc_array_open(&a.f32, mem, "f32", 4));
	IC_OK(zeroipc_array_open(&a.f64, mem, "f64", 8));
	IC_OK(zeroipc_array_open(&a.published, mem, "published", 8));
	check_shape(a.i32, "i32", 4);
	check_shape(a.i64, "i64", 8);
	check_shape(a.f32, "f32", 4);
	check_shape(a.f64, "f64", 8);
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_array_open(&wrong, mem, "i32", 8));

	/* Live: check each element as soon as it is published. */
	while (seen < COUNT) {
		upto = ic_wait_published(a.published, seen);
		if (upto > COUNT)
			ic_die("published %llu > %u", (unsigned long long)upto,
			       COUNT);
		for (; seen < upto; seen++)
			check_element(&a, (uint32_t)seen);
	}

	/* Again through the zero-copy pointers, all at once. */
	p32 = zeroipc_array_data(a.i32);
	p64 = zeroipc_array_data(a.i64);
	pf32 = zeroipc_array_data(a.f32);
	pf64 = zeroipc_array_data(a.f64);
	for (i = 0; i < COUNT; i++) {
		memcpy(&v32, p32 + 4 * (size_t)i, 4);
		memcpy(&v64, p64 + 8 * (size_t)i, 8);
		memcpy(&b32, pf32 + 4 * (size_t)i, 4);
		memcpy(&b64, pf64 + 8 * (size_t)i, 8);
		ic_expect(v32 == i32_value(i) && v64 == i64_value(i) &&
			  b32 == f32_bits(i) && b64 == f64_bits(i),
			  "element %u differs through the data pointer", i);
	}
	zeroipc_array_close(a.i32);
	zeroipc_array_close(a.i64);
	zeroipc_array_close(a.f32);
	zeroipc_array_close(a.f64);
	zeroipc_array_close(a.published);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
