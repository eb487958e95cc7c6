/* SPDX-License-Identifier: MIT */
/*
 * Scenario "record": an Array of C structs read as a NumPy structured dtype
 * and the other way round.
 *
 * struct record has padding after `id` and after `kind`; py_side.py states
 * the same layout as a dtype with explicit offsets and itemsize, and the
 * static assertions below pin the C side to those numbers.  The writer
 * creates NAME with an Array "records" of COUNT records and a uint64 Array
 * "published"; it fills record i, then atomically stores i + 1 into
 * published[0].  The reader follows published[0] and compares each record
 * byte for byte (padding included: both sides leave it zero).
 *
 * Record i: id = 7 * i + 1, value = 1.5 * i - 100, kind = (3 * i mod 65536)
 * - 32768, weight = i / 8, label = "r%06u" (NUL-padded to 8 bytes).
 */
#include <stddef.h>

#include "interop.h"

#define COUNT 2000u

struct record {
	uint32_t id;
	double value;
	int16_t kind;
	float weight;
	char label[8];
};

_Static_assert(offsetof(struct record, id) == 0, "id offset");
_Static_assert(offsetof(struct record, value) == 8, "value offset");
_Static_assert(offsetof(struct record, kind) == 16, "kind offset");
_Static_assert(offsetof(struct record, weight) == 20, "weight offset");
_Static_assert(offsetof(struct record, label) == 24, "label offset");
_Static_assert(sizeof(struct record) == 32, "record size");

static struct record make_record(uint32_t i)
{
	struct record r;

	/* Zero the padding too: readers compare whole records. */
	memset(&r, 0, sizeof(r));
	r.id = 7 * i + 1;
	r.value = 1.5 * i - 100.0;
	r.kind = (int16_t)((int32_t)((3 * i) % 65536) - 32768);
	r.weight = (float)i / 8.0f;
	snprintf(r.label, sizeof(r.label), "r%06u", i % 1000000u);
	return r;
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	zeroipc_array *records, *published;
	struct record r;
	uint32_t i;

	IC_OK(zeroipc_memory_create(&mem, name, 1u << 20, NULL));
	IC_OK(zeroipc_array_create(&records, mem, "records",
				   sizeof(struct record), COUNT));
	IC_OK(zeroipc_array_create(&published, mem, "published", 8, 1));
	ic_signal_ready(fifo);
	for (i = 0; i < COUNT; i++) {
		r = make_record(i);
		IC_OK(zeroipc_array_set(records, i, &r));
		/* After the data: the reader's atomic load of it pairs here. */
		IC_OK(zeroipc_array_store_u64(published, 0, (uint64_t)i + 1));
	}
	zeroipc_array_close(records);
	zeroipc_array_close(published);
	zeroipc_memory_close(mem);
}

static void check_record(const struct record *got, uint32_t i)
{
	struct record want = make_record(i);

	if (memcmp(got, &want, sizeof(want)) == 0)
		return;
	ic_expect(0, "record %u: id %u value %g kind %d weight %g label %.8s; "
		  "expected id %u value %g kind %d weight %g label %.8s", i,
		  got->id, got->value, got->kind, (double)got->weight,
		  got->label, want.id, want.value, want.kind,
		  (double)want.weight, want.label);
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_array *records, *published, *wrong;
	const struct record *all;
	struct record r;
	uint64_t seen = 0, upto;
	uint32_t i;

	IC_OK(zeroipc_memory_open(&mem, name, ZEROIPC_OPEN_READONLY));
	IC_OK(zeroipc_array_open(&records, mem, "records",
				 sizeof(struct record)));
	IC_OK(zeroipc_array_open(&published, mem, "published", 8));
	ic_expect(zeroipc_array_capacity(records) == COUNT, "capacity %llu",
		  (unsigned long long)zeroipc_array_capacity(records));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_array_open(&wrong, mem, "records", 24));

	while (seen < COUNT) {
		upto = ic_wait_published(published, seen);
		if (upto > COUNT)
			ic_die("published %llu > %u", (unsigned long long)upto,
			       COUNT);
		for (; seen < upto; seen++) {
			IC_OK(zeroipc_array_get(&r, records, seen));
			check_record(&r, (uint32_t)seen);
		}
	}
	/* The element size is sizeof(struct record), so the data pointer can
	 * be read as an array of them. */
	all = zeroipc_array_data(records);
	for (i = 0; i < COUNT; i++)
		check_record(&all[i], i);
	zeroipc_array_close(records);
	zeroipc_array_close(published);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
