/* SPDX-License-Identifier: MIT */
/*
 * Scenario "map": a Map and a Set filled in one language, followed live and
 * checked exactly in the other.
 *
 * The writer creates NAME (1 MiB) with a Map "prices" of 4096 slots, keys
 * uint64 and values struct record (24 bytes, below), a Set "seen" of 4096
 * slots of uint32 keys, and a uint64 Array "published" of one element.
 * Phase 1: for k = 0 .. COUNT-1 it inserts key(k) -> record(k) into the map
 * and 7 * k into the set, and after every 100 keys (and at the end)
 * atomically stores the number of keys inserted into published[0].
 * Phase 2: for every k with k % 5 == 0 it erases key(k) and 7 * k; for every
 * k with k % 5 == 1 it sets key(k) -> record(k + 100000) with
 * insert_or_update.  Then it stores COUNT + 1 into published[0].
 *
 * The reader runs at the same time.  For each published k it looks key(k)
 * up: record(k) is required unless phase 2 may already have touched it
 * (k % 5 == 0: also absent; k % 5 == 1: also record(k + 100000)), and 7 * k
 * must be in the set unless k % 5 == 0.  Once published[0] is COUNT + 1,
 * the exact final contents are checked by iterating both: every key once,
 * every value, the sizes, and validate.  Opening the map with other sizes
 * must fail with ZEROIPC_ESIZE_MISMATCH.
 *
 * key(k) = k * 0x9E3779B97F4A7C15 mod 2^64.  record(k) (identical in
 * py_side.py): price = k * 0.5, qty = (int32)(7 * k - 5000), sym = "S%06u"
 * of k, NUL-padded to 12 bytes.
 */
#include "interop.h"

#define COUNT 2000u
#define SLOTS 4096u
#define BATCH 100u
#define UPDATED 100000u

struct record {
	double price;  /* @0 */
	int32_t qty;   /* @8 */
	char sym[12];  /* @12 */
};

_Static_assert(sizeof(struct record) == 24, "record is 24 bytes");

static uint64_t key_of(uint32_t k)
{
	return (uint64_t)k * 0x9E3779B97F4A7C15ull;
}

static void make_record(struct record *r, uint32_t k)
{
	memset(r, 0, sizeof(*r));
	r->price = k * 0.5;
	r->qty = (int32_t)(7u * k - 5000u);
	snprintf(r->sym, sizeof(r->sym), "S%06u", k);
}

static void writer(const char *name, const char *fifo)
{
	zeroipc_memory *mem;
	zeroipc_map *map;
	zeroipc_set *set;
	zeroipc_array *published;
	struct record r;
	uint64_t key;
	uint32_t member;

	IC_OK(zeroipc_memory_create(&mem, name, 1u << 20, NULL));
	IC_OK(zeroipc_map_create(&map, mem, "prices", 8, sizeof(r), SLOTS));
	IC_OK(zeroipc_set_create(&set, mem, "seen", 4, SLOTS));
	IC_OK(zeroipc_array_create(&published, mem, "published", 8, 1));
	ic_signal_ready(fifo);
	for (uint32_t k = 0; k < COUNT; k++) {
		key = key_of(k);
		make_record(&r, k);
		IC_OK(zeroipc_map_insert(map, &key, &r));
		member = 7 * k;
		IC_OK(zeroipc_set_insert(set, &member));
		/* After the entries it covers: pairs with the reader's atomic
		 * load of published. */
		if ((k + 1) % BATCH == 0 || k + 1 == COUNT)
			IC_OK(zeroipc_array_store_u64(published, 0,
						      (uint64_t)k + 1));
	}
	for (uint32_t k = 0; k < COUNT; k++) {
		key = key_of(k);
		member = 7 * k;
		if (k % 5 == 0) {
			IC_OK(zeroipc_map_erase(map, &key));
			IC_OK(zeroipc_set_erase(set, &member));
		} else if (k % 5 == 1) {
			make_record(&r, k + UPDATED);
			IC_OK(zeroipc_map_insert_or_update(map, &key, &r));
		}
	}
	IC_OK(zeroipc_array_store_u64(published, 0, COUNT + 1));
	zeroipc_array_close(published);
	zeroipc_set_close(set);
	zeroipc_map_close(map);
	zeroipc_memory_close(mem);
}

/* Check key(k) in the map and 7k in the set; `final`: phase 2 is done. */
static void check_key(zeroipc_map *map, zeroipc_set *set, uint32_t k,
		      int final)
{
	struct record got, want, updated;
	uint64_t key = key_of(k);
	uint32_t member = 7 * k;
	int rc, in_set;

	make_record(&want, k);
	make_record(&updated, k + UPDATED);
	rc = zeroipc_map_find(&got, map, &key);
	in_set = zeroipc_set_contains(set, &member);
	if (k % 5 == 0) {
		if (final) {
			ic_expect(rc == ZEROIPC_ENOT_FOUND,
				  "key %u should be erased (%s)", k,
				  zeroipc_status_name(rc));
			ic_expect(in_set == 0, "member %u should be erased",
				  member);
			return;
		}
		if (rc == ZEROIPC_ENOT_FOUND)
			return;
	} else if (k % 5 == 1 &&
		   (final || (rc == 0 && memcmp(&got, &updated,
						sizeof(got)) == 0))) {
		want = updated;
	}
	if (ic_expect(rc == 0, "key %u: %s", k, zeroipc_status_name(rc)))
		return;
	ic_expect(memcmp(&got, &want, sizeof(got)) == 0,
		  "key %u: value (%g, %d, %.12s)", k, got.price, got.qty,
		  got.sym);
	ic_expect(k % 5 == 0 || in_set == 1, "member %u missing", member);
}

static void reader(const char *name)
{
	zeroipc_memory *mem;
	zeroipc_map *map, *wrong;
	zeroipc_set *set;
	zeroipc_array *published;
	static unsigned char seen[COUNT];
	struct record got;
	uint64_t done = 0, upto, key, cursor = 0, n = 0, expect = 0;
	uint32_t member;

	IC_OK(zeroipc_memory_open(&mem, name, 0));
	IC_OK(zeroipc_map_open(&map, mem, "prices", 8, sizeof(got)));
	IC_OK(zeroipc_set_open(&set, mem, "seen", 4));
	IC_OK(zeroipc_array_open(&published, mem, "published", 8));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_map_open(&wrong, mem, "prices", 8, 16));
	IC_FAILS(ZEROIPC_ESIZE_MISMATCH,
		 zeroipc_map_open(&wrong, mem, "prices", 4, sizeof(got)));

	while (done <= COUNT) {
		upto = ic_wait_published(published, done);
		if (upto > COUNT + 1)
			ic_die("published %llu", (unsigned long long)upto);
		for (; done < upto && done < COUNT; done++)
			check_key(map, set, (uint32_t)done, 0);
		if (upto == COUNT + 1)
			break;
	}
	/* Final state, exactly. */
	for (uint32_t k = 0; k < COUNT; k++) {
		check_key(map, set, k, 1);
		expect += k % 5 != 0;
	}
	while (zeroipc_map_next(&key, &got, map, &cursor) == 0) {
		uint32_t k;

		n++;
		if (ic_expect(got.sym[0] == 'S', "foreign entry"))
			continue;
		k = (uint32_t)strtoul(got.sym + 1, NULL, 10);
		if (k >= UPDATED)
			k -= UPDATED;
		if (ic_expect(k < COUNT && key == key_of(k),
			      "entry %.12s under key %llx", got.sym,
			      (unsigned long long)key))
			continue;
		ic_expect(!seen[k], "key %u iterated twice", k);
		seen[k] = 1;
	}
	ic_expect(n == expect, "%llu entries, expected %llu",
		  (unsigned long long)n, (unsigned long long)expect);
	ic_expect(zeroipc_map_size(map) == expect, "map size %llu",
		  (unsigned long long)zeroipc_map_size(map));
	cursor = 0;
	n = 0;
	while (zeroipc_set_next(&member, set, &cursor) == 0) {
		n++;
		ic_expect(member % 7 == 0 && member / 7 < COUNT &&
				  (member / 7) % 5 != 0,
			  "set member %u", member);
	}
	ic_expect(n == expect && zeroipc_set_size(set) == expect,
		  "set: %llu members iterated, size %llu",
		  (unsigned long long)n,
		  (unsigned long long)zeroipc_set_size(set));
	IC_OK(zeroipc_map_validate(mem, "prices"));
	IC_OK(zeroipc_set_validate(mem, "seen"));
	zeroipc_array_close(published);
	zeroipc_set_close(set);
	zeroipc_map_close(map);
	zeroipc_memory_close(mem);
}

int main(int argc, char **argv)
{
	return ic_main(argc, argv, writer, reader);
}
