/* SPDX-License-Identifier: MIT */
/*
 * hashtable.c - the lock-free open-addressing hash table behind Map and Set.
 *
 * Slots are probed linearly from the key's home slot.  Each slot has a
 * 64-bit ctl word, generation << 3 | state, and every transition bumps the
 * generation, so a word read twice unchanged means nothing happened to the
 * slot in between (the seqlock rule every reader of keys and values uses).
 * A slot leaves EMPTY once and never returns, so the first EMPTY slot of a
 * probe sequence ends the search for any key; erased slots become
 * TOMBSTONE, which later inserts reuse.
 *
 *   EMPTY/TOMBSTONE -claim-> BUSY -write key, value, count-> INSERTING
 *   INSERTING -decide-> FULL (present) or RETIRING (yielded to a twin)
 *   FULL -lock-> LOCKED -rewrite value-> FULL
 *   FULL -erase-> RETIRING -uncount-> TOMBSTONE
 *
 * Uniqueness.  An insert first scans the whole chain for the key, then
 * claims the first reusable slot it saw (a lost claim means a rescan),
 * writes key and value, publishes INSERTING and decides: it scans the chain
 * again, and if the key is present, or an INSERTING twin sits earlier in the
 * chain, the slot yields (RETIRING) and the insert starts over; twins later
 * in the chain are made to yield instead.  Only then does the slot become
 * FULL.  Two twins each publish before they scan, so with all ctl accesses
 * sequentially consistent at least one sees the other, and the earlier one
 * in the chain always wins: a key is never FULL twice.  Anybody who meets an
 * INSERTING slot with its key may run this decision for it (helping), so an
 * insert whose process died after publishing is finished by the next
 * operation on that key, never waited for.
 *
 * Counting.  size goes up before INSERTING and down while the slot is still
 * RETIRING, so at every instant
 *     slots INSERTING, FULL or LOCKED <= size <= slots not EMPTY/TOMBSTONE
 * and size neither underflows nor exceeds the capacity.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "hashtable.h"
#include "table_internal.h"
#include "wait.h"

_Static_assert(offsetof(struct zeroipc_fmt_map_header, seq) ==
		       offsetof(struct zeroipc_fmt_map_header, waiters) + 4,
	       "map eventcount words must be adjacent");
_Static_assert(sizeof(struct zeroipc_fmt_map_header) % 8 == 0,
	       "slots must start 8-byte aligned for their 64-bit ctl words");

#define ST_MASK ZEROIPC_FMT_MAP_STATE_MASK
#define GEN_SHIFT ZEROIPC_FMT_MAP_GEN_SHIFT
#define EMPTY ZEROIPC_FMT_MAP_EMPTY
#define BUSY ZEROIPC_FMT_MAP_BUSY
#define INSERTING ZEROIPC_FMT_MAP_INSERTING
#define FULL ZEROIPC_FMT_MAP_FULL
#define LOCKED ZEROIPC_FMT_MAP_LOCKED
#define RETIRING ZEROIPC_FMT_MAP_RETIRING
#define TOMBSTONE ZEROIPC_FMT_MAP_TOMBSTONE

#define NO_SLOT UINT64_MAX
/* Internal outcome: the slot changed under us; scan again. */
#define RETRY 1

static const char *const kind_name[] = { "map", "set" };

/* ENOT_FOUND for a key: the answer to a lookup, so formatted lazily. */
static int not_present(const struct zeroipc__htab *t)
{
	return zeroipc__fail_lazy(ZEROIPC_ENOT_FOUND,
				  t->kind == ZEROIPC__HTAB_MAP
					  ? "map '%s': key not present"
					  : "set '%s': key not present",
				  t->name);
}

#ifdef ZEROIPC_CRASH_POINTS
enum { CP_INSERT_CLAIMED, CP_INSERT_PENDING, CP_UPDATE_LOCKED,
       CP_ERASE_RETIRING, CP_COUNT };
static const char *const crash_points[][CP_COUNT] = {
	{ "map.insert.claimed", "map.insert.pending", "map.update.locked",
	  "map.erase.retiring" },
	{ "set.insert.claimed", "set.insert.pending", "set.update.locked",
	  "set.erase.retiring" },
};
#define HTAB_CRASH_POINT(t, which)                                             \
	ZEROIPC__CRASH_POINT(crash_points[(t)->kind][CP_##which])
#else
#define HTAB_CRASH_POINT(t, which) ((void)0)
#endif

/* ---- slots and their ctl words ---- */

static inline unsigned state_of(uint64_t w)
{
	return (unsigned)(w & ST_MASK);
}

/* The word after a transition of a slot holding `w` into `state`. */
static inline uint64_t advance(uint64_t w, unsigned state)
{
	return (((w >> GEN_SHIFT) + 1) << GEN_SHIFT) | state;
}

/* States whose key bytes are meaningful and stable. */
static inline bool keyed(unsigned state)
{
	return state == INSERTING || state == FULL || state == LOCKED;
}

static inline bool present(unsigned state)
{
	return state == FULL || state == LOCKED;
}

/* ctl word of slot i; masking keeps any index inside the entry. */
static inline uint64_t *slot_ctl(const struct zeroipc__htab *t, uint64_t i)
{
	return (uint64_t *)(void *)(t->slots + (i & t->mask) * t->slot_size);
}

static inline uint64_t *slot_key(uint64_t *ctl)
{
	return ctl + 1;
}

static inline uint64_t *slot_value(const struct zeroipc__htab *t,
				   uint64_t *ctl)
{
	return (uint64_t *)(void *)((unsigned char *)ctl + t->value_offset);
}

/*
 * Every access to a ctl word is sequentially consistent.  Uniqueness rests
 * on a Dekker-style argument (two inserters of one key each publish
 * INSERTING and then read the other's ctl; at least one must see the
 * other), which needs the single total order over ctl operations that only
 * seq_cst gives.  The same operations give the release (publish) and
 * acquire (observe) pairing for key and value bytes written before a
 * transition.
 */
static inline uint64_t ctl_load(const uint64_t *ctl)
{
	return zeroipc__load_seq_cst_u64(ctl);
}

static inline void ctl_store(uint64_t *ctl, uint64_t w)
{
	zeroipc__store_seq_cst_u64(ctl, w);
}

static inline bool ctl_cas(uint64_t *ctl, uint64_t *expected,
			   uint64_t desired)
{
	return zeroipc__cas_seq_cst_u64(ctl, expected, desired);
}

/*
 * Key and value bytes are shared words accessed with relaxed atomics:
 * readers copy them while a writer may be reusing the slot and then reject
 * the copy when ctl changed (seqlock), so the accesses race by design and
 * must be atomic.  Sections are 8-byte aligned and padded to whole words;
 * writers zero the padding.
 */
static void words_read(void *dst, const uint64_t *src, size_t len)
{
	unsigned char *d = dst;
	uint64_t w;

	for (; len >= 8; len -= 8, d += 8) {
		w = zeroipc__load_relaxed_u64(src++);
		memcpy(d, &w, 8);
	}
	if (len > 0) {
		w = zeroipc__load_relaxed_u64(src);
		memcpy(d, &w, len);
	}
}

static void words_write(uint64_t *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	uint64_t w;

	for (; len >= 8; len -= 8, s += 8) {
		memcpy(&w, s, 8);
		zeroipc__store_relaxed_u64(dst++, w);
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, s, len);
		zeroipc__store_relaxed_u64(dst, w);
	}
}

static bool words_equal(const uint64_t *shared, const void *bytes, size_t len)
{
	const unsigned char *b = bytes;
	uint64_t w, v;

	for (; len >= 8; len -= 8, b += 8) {
		memcpy(&w, b, 8);
		if (zeroipc__load_relaxed_u64(shared++) != w)
			return false;
	}
	if (len > 0) {
		v = zeroipc__load_relaxed_u64(shared);
		return memcmp(&v, b, len) == 0;
	}
	return true;
}

/* Both sides shared (validate): compare key_size bytes. */
static bool words_equal_shared(const uint64_t *a, const uint64_t *b,
			       size_t len)
{
	uint64_t x, y;

	for (; len >= 8; len -= 8) {
		if (zeroipc__load_relaxed_u64(a++) !=
		    zeroipc__load_relaxed_u64(b++))
			return false;
	}
	if (len > 0) {
		x = zeroipc__load_relaxed_u64(a);
		y = zeroipc__load_relaxed_u64(b);
		return memcmp(&x, &y, len) == 0;
	}
	return true;
}

/* ---- hashing ---- */

static uint64_t fnv1a_step(uint64_t h, const unsigned char *p, size_t len)
{
	while (len-- > 0) {
		h ^= *p++;
		h *= ZEROIPC_FMT_MAP_FNV_PRIME;
	}
	return h;
}

uint64_t zeroipc__htab_hash(const void *key, size_t len)
{
	return fnv1a_step(ZEROIPC_FMT_MAP_FNV_OFFSET, key, len);
}

/*
 * Home slot: the hash folded to 32 bits, masked.  FNV-1a's low bits depend
 * only on the low bits of each byte (a multiply carries upwards only), so
 * keys that differ in a byte's high bits would share every home slot of a
 * small table; folding in the high half, which every bit reaches, fixes it.
 */
static inline uint64_t home_of_hash(const struct zeroipc__htab *t,
				    uint64_t h)
{
	return (uint64_t)(uint32_t)(h ^ (h >> 32)) & t->mask;
}

static inline uint64_t home_of(const struct zeroipc__htab *t, const void *key)
{
	return home_of_hash(t, zeroipc__htab_hash(key, t->key_size));
}

/* Home of the key stored in a slot (validate; the slot is at rest). */
static uint64_t home_of_slot(const struct zeroipc__htab *t, uint64_t *ctl)
{
	const uint64_t *src = slot_key(ctl);
	uint64_t h = ZEROIPC_FMT_MAP_FNV_OFFSET, w;
	size_t len = t->key_size, n;

	while (len > 0) {
		w = zeroipc__load_relaxed_u64(src++);
		n = len < 8 ? len : 8;
		h = fnv1a_step(h, (const unsigned char *)&w, n);
		len -= n;
	}
	return home_of_hash(t, h);
}

/* ---- comparing a slot's key ---- */

enum match { NO_MATCH, MATCH, CHANGED };

/* Compare the key of slot `ctl`, whose word was `w`, with `key`. */
static enum match key_check(const struct zeroipc__htab *t, uint64_t *ctl,
			    uint64_t w, const void *key)
{
	bool equal = words_equal(slot_key(ctl), key, t->key_size);

	/* Keeps the key loads above before the re-read below; pairs with the
	 * release fence a claimer issues before writing a new key into a
	 * reused slot (claim()), so a torn key always comes with a changed
	 * ctl word. */
	zeroipc__fence_acquire();
	if (zeroipc__load_relaxed_u64(ctl) != w)
		return CHANGED;
	return equal ? MATCH : NO_MATCH;
}

/* ---- waiting for a value rewrite ---- */

static struct zeroipc_fmt_eventcount *unlock_ec(const struct zeroipc__htab *t)
{
	return (struct zeroipc_fmt_eventcount *)(void *)&t->hdr->waiters;
}

struct change_wait {
	const uint64_t *ctl;
	uint64_t seen;
};

static bool ctl_changed(void *ctx)
{
	const struct change_wait *c = ctx;

	return ctl_load(c->ctl) != c->seen;
}

/* A deadline computed at the first wait of an operation, so retries share
 * one bound instead of each getting a fresh one. */
struct op_deadline {
	zeroipc__deadline d;
	bool set;
};

/* Wait until slot i leaves the LOCKED word `seen`: 0 or ETIMEOUT. */
static int wait_unlocked(const struct zeroipc__htab *t, uint64_t i,
			 uint64_t seen, struct op_deadline *od)
{
	struct change_wait c = { slot_ctl(t, i), seen };

	if (!od->set) {
		od->d = zeroipc__deadline_in(
			(int64_t)zeroipc__load_relaxed_u64(&t->timeout_ns));
		od->set = true;
	}
	/* Woken by the unlocking writer's zeroipc__notify(). */
	if (zeroipc__wait_until(unlock_ec(t), ctl_changed, &c, &od->d) == 0)
		return 0;
	return zeroipc__fail(ZEROIPC_ETIMEOUT,
			     "%s '%s': slot %llu stayed locked by another "
			     "process's value rewrite (did it die?)",
			     kind_name[t->kind], t->name,
			     (unsigned long long)(i & t->mask));
}

/* ---- the insert decision ---- */

/*
 * Decide slot p, seen INSERTING with word w, for `key` whose home is
 * `home`: make it FULL unless the key is present elsewhere in the chain or
 * an INSERTING twin sits earlier in it (p then yields: RETIRING).  Later
 * INSERTING twins are made to yield.  Whoever calls this, the owner or a
 * helper, leaves p decided: its word is no longer w on return.
 */
static void resolve(const struct zeroipc__htab *t, const void *key,
		    uint64_t home, uint64_t p, uint64_t w)
{
	uint64_t *pctl = slot_ctl(t, p);
	uint64_t dp = (p - home) & t->mask;
	uint64_t d, q, x;
	uint64_t *qctl;
	enum match m;

	for (d = 0; d < t->capacity; d++) {
		q = (home + d) & t->mask;
		if (q == p)
			continue;
		qctl = slot_ctl(t, q);
		for (;;) {
			x = ctl_load(qctl);
			if (state_of(x) == EMPTY)
				goto promote; /* the chain ends here */
			if (!keyed(state_of(x)))
				break;
			m = key_check(t, qctl, x, key);
			if (m == CHANGED)
				continue;
			if (m == NO_MATCH)
				break;
			if (state_of(x) == INSERTING && d > dp) {
				/* A later twin: it yields to p.  Unless p
				 * was decided meanwhile, in which case the
				 * twin is left to its own decision. */
				if (ctl_load(pctl) != w)
					return;
				if (ctl_cas(qctl, &x, advance(x, RETIRING)))
					break;
				continue;
			}
			/* Present, or an earlier twin: p yields.  A failed
			 * CAS means p was decided by someone else. */
			(void)ctl_cas(pctl, &w, advance(w, RETIRING));
			return;
		}
	}
promote:
	(void)ctl_cas(pctl, &w, advance(w, FULL));
}

/*
 * Scan the key's whole probe chain.  Returns true with the key's slot and
 * word (FULL or LOCKED) when present; false otherwise, with the first
 * reusable slot of the chain and its word (NO_SLOT if none: the table is
 * full along this chain).  INSERTING twins met on the way are decided first
 * when `help` is set (never on a read-only mapping), else passed over as
 * not yet present.
 */
static bool scan_chain(const struct zeroipc__htab *t, const void *key,
		       uint64_t home, bool help, uint64_t *slot_out,
		       uint64_t *word_out)
{
	uint64_t free_slot = NO_SLOT, free_word = 0;
	uint64_t d, i, x;
	uint64_t *ctl;
	enum match m;

	for (d = 0; d < t->capacity; d++) {
		i = (home + d) & t->mask;
		ctl = slot_ctl(t, i);
		for (;;) {
			x = ctl_load(ctl);
			if (state_of(x) == EMPTY || state_of(x) == TOMBSTONE) {
				if (free_slot == NO_SLOT) {
					free_slot = i;
					free_word = x;
				}
				if (state_of(x) == EMPTY)
					goto absent;
				break;
			}
			if (!keyed(state_of(x)))
				break;
			m = key_check(t, ctl, x, key);
			if (m == CHANGED)
				continue;
			if (m == NO_MATCH)
				break;
			if (state_of(x) == INSERTING) {
				if (!help)
					break;
				resolve(t, key, home, i, x);
				continue;
			}
			*slot_out = i;
			*word_out = x;
			return true;
		}
	}
absent:
	*slot_out = free_slot;
	*word_out = free_word;
	return false;
}

/* ---- writers ---- */

static int check_writable(const struct zeroipc__htab *t)
{
	if (t->mem->readonly)
		return zeroipc__fail(ZEROIPC_EREADONLY,
				     "%s '%s': segment %s is mapped read-only",
				     kind_name[t->kind], t->name, t->mem->name);
	return 0;
}

/*
 * Claim reusable slot i (seen with word x), write key and value, publish
 * and decide it.  Returns 0 when the entry is present, or RETRY (lost the
 * claim, or yielded to a twin): the caller scans again.
 */
static int claim(struct zeroipc__htab *t, const void *key, const void *value,
		 uint64_t home, uint64_t i, uint64_t x)
{
	uint64_t *ctl = slot_ctl(t, i);
	uint64_t w = advance(x, BUSY);

	if (!ctl_cas(ctl, &x, w))
		return RETRY; /* lost the claim: the chain may have changed */
	/* Seqlock writer: the key and value stores below must not become
	 * visible before the claim.  Pairs with the acquire fence of readers
	 * still holding the slot's previous word (key_check(), copy_entry()),
	 * who then see the word changed and drop what they read. */
	zeroipc__fence_release();
	HTAB_CRASH_POINT(t, INSERT_CLAIMED);
	words_write(slot_key(ctl), key, t->key_size);
	if (t->value_size > 0)
		words_write(slot_value(t, ctl), value, t->value_size);
	/* Count before publishing: an erase can uncount the entry only after
	 * it sees INSERTING (whose seq_cst store orders this increment first),
	 * so size never goes below zero. */
	zeroipc__fetch_add_relaxed_u32(&t->hdr->size, 1);
	w = advance(w, INSERTING);
	ctl_store(ctl, w);
	HTAB_CRASH_POINT(t, INSERT_PENDING);
	resolve(t, key, home, i, w);
	if (ctl_load(ctl) != advance(w, RETIRING))
		return 0; /* FULL now, by us or a helper */
	/* Yielded.  RETIRING is ours alone: only we move it on.  Uncount
	 * while the slot is still in use, then release it. */
	zeroipc__fetch_sub_acq_rel_u32(&t->hdr->size, 1);
	ctl_store(ctl, advance(advance(w, RETIRING), TOMBSTONE));
	return RETRY;
}

/*
 * Rewrite the value of present slot i (seen with word x).  Returns 0,
 * RETRY (the slot changed) or ETIMEOUT.
 */
static int rewrite_value(struct zeroipc__htab *t, uint64_t i, uint64_t x,
			 const void *value, struct op_deadline *od)
{
	uint64_t *ctl = slot_ctl(t, i);
	uint64_t locked;
	int rc;

	if (t->value_size == 0)
		return 0;
	if (state_of(x) == LOCKED) {
		rc = wait_unlocked(t, i, x, od);
		return rc != 0 ? rc : RETRY;
	}
	locked = advance(x, LOCKED);
	if (!ctl_cas(ctl, &x, locked))
		return RETRY;
	/* Seqlock writer: the value stores must follow the lock.  Pairs with
	 * the acquire fence in copy_entry(). */
	zeroipc__fence_release();
	HTAB_CRASH_POINT(t, UPDATE_LOCKED);
	words_write(slot_value(t, ctl), value, t->value_size);
	ctl_store(ctl, advance(locked, FULL)); /* publishes the value */
	zeroipc__notify(unlock_ec(t));
	return 0;
}

int zeroipc__htab_put(struct zeroipc__htab *t, const void *key,
		      const void *value, bool replace)
{
	struct op_deadline od = { { 0, false }, false };
	uint64_t home, i, x;
	int rc;

	rc = check_writable(t);
	if (rc != 0)
		return rc;
	home = home_of(t, key);
	for (;;) {
		if (scan_chain(t, key, home, true, &i, &x)) {
			if (!replace)
				return zeroipc__fail_lazy(
					ZEROIPC_EEXISTS,
					t->kind == ZEROIPC__HTAB_MAP
						? "map '%s': key present"
						: "set '%s': key present",
					t->name);
			rc = rewrite_value(t, i, x, value, &od);
		} else if (i == NO_SLOT) {
			return zeroipc__fail(ZEROIPC_EFULL,
					     "%s '%s': no free slot among %llu",
					     kind_name[t->kind], t->name,
					     (unsigned long long)t->capacity);
		} else {
			rc = claim(t, key, value, home, i, x);
		}
		if (rc != RETRY)
			return rc;
	}
}

int zeroipc__htab_erase(struct zeroipc__htab *t, const void *key)
{
	struct op_deadline od = { { 0, false }, false };
	uint64_t home, i, x, retiring;
	uint64_t *ctl;
	int rc;

	rc = check_writable(t);
	if (rc != 0)
		return rc;
	home = home_of(t, key);
	for (;;) {
		if (!scan_chain(t, key, home, true, &i, &x))
			return not_present(t);
		ctl = slot_ctl(t, i);
		/* Wait out a value rewrite: the slot must not be reused
		 * while its writer still stores into it.  (A Set has no
		 * values, so a LOCKED word there protects nothing.) */
		if (state_of(x) == LOCKED && t->value_size > 0) {
			rc = wait_unlocked(t, i, x, &od);
			if (rc != 0)
				return rc;
			continue;
		}
		retiring = advance(x, RETIRING);
		if (!ctl_cas(ctl, &x, retiring))
			continue;
		HTAB_CRASH_POINT(t, ERASE_RETIRING);
		/* Uncount while the slot is not reusable yet, so size never
		 * exceeds the slots in use. */
		zeroipc__fetch_sub_acq_rel_u32(&t->hdr->size, 1);
		ctl_store(ctl, advance(retiring, TOMBSTONE));
		return 0;
	}
}

/* ---- readers ---- */

/*
 * Copy the key and/or value of slot `ctl`, seen present with word x, and
 * check the word is unchanged.  Returns true for a consistent copy.
 */
static bool copy_entry(const struct zeroipc__htab *t, uint64_t *ctl,
		       uint64_t x, void *key_out, void *value_out)
{
	if (key_out != NULL)
		words_read(key_out, slot_key(ctl), t->key_size);
	if (value_out != NULL && t->value_size > 0)
		words_read(value_out, slot_value(t, ctl), t->value_size);
	/* Keeps the loads above before the re-read; pairs with the release
	 * fences in claim() and rewrite_value(): if we read any byte a later
	 * writer stored, we also see its ctl change. */
	zeroipc__fence_acquire();
	return zeroipc__load_relaxed_u64(ctl) == x;
}

int zeroipc__htab_find(void *value_out, const struct zeroipc__htab *t,
		       const void *key)
{
	struct op_deadline od = { { 0, false }, false };
	bool need_value = value_out != NULL && t->value_size > 0;
	uint64_t home = home_of(t, key), i, x;
	uint64_t *ctl;
	int rc;

	for (;;) {
		if (!scan_chain(t, key, home, !t->mem->readonly, &i, &x))
			return not_present(t);
		if (!need_value)
			return 0;
		ctl = slot_ctl(t, i);
		if (state_of(x) == LOCKED) {
			rc = wait_unlocked(t, i, x, &od);
			if (rc != 0)
				return rc;
			continue;
		}
		if (copy_entry(t, ctl, x, NULL, value_out))
			return 0;
	}
}

int zeroipc__htab_next(void *key_out, void *value_out,
		       const struct zeroipc__htab *t, uint64_t *cursor)
{
	struct op_deadline od = { { 0, false }, false };
	bool need_value = value_out != NULL && t->value_size > 0;
	uint64_t i, x;
	uint64_t *ctl;
	int rc;

	for (i = *cursor; i < t->capacity; i++) {
		ctl = slot_ctl(t, i);
		for (;;) {
			x = ctl_load(ctl);
			if (!present(state_of(x)))
				break;
			if (state_of(x) == LOCKED && need_value) {
				rc = wait_unlocked(t, i, x, &od);
				if (rc != 0) {
					*cursor = i + 1;
					return rc;
				}
				continue;
			}
			if (copy_entry(t, ctl, x, key_out, value_out)) {
				*cursor = i + 1;
				return 0;
			}
		}
	}
	if (*cursor < t->capacity)
		*cursor = t->capacity;
	return zeroipc__fail_lazy(ZEROIPC_ENOT_FOUND,
				  t->kind == ZEROIPC__HTAB_MAP
					  ? "map '%s': no entry after the cursor"
					  : "set '%s': no entry after the cursor",
				  t->name);
}

uint64_t zeroipc__htab_size(const struct zeroipc__htab *t)
{
	uint64_t n = zeroipc__load_relaxed_u32(&t->hdr->size);

	/* Only a scribbled header can hold more; report what can exist. */
	return n < t->capacity ? n : t->capacity;
}

/* ---- lifecycle ---- */

struct layout {
	uint64_t capacity;
	uint32_t key_size;
	uint32_t value_size;
	uint32_t slot_size;
	uint64_t bytes; /* entry size */
};

/* Slot and entry sizes for the given fields; false on overflow. */
static bool compute_layout(struct layout *l, uint64_t key_size,
			   uint64_t value_size, uint64_t capacity)
{
	uint64_t slot, data;

	if (key_size > UINT32_MAX || value_size > UINT32_MAX)
		return false;
	slot = 8 + zeroipc__align8(key_size) + zeroipc__align8(value_size);
	if (slot > UINT32_MAX || !zeroipc__mul_u64(&data, slot, capacity) ||
	    !zeroipc__add_u64(&l->bytes,
			      sizeof(struct zeroipc_fmt_map_header), data))
		return false;
	l->capacity = capacity;
	l->key_size = (uint32_t)key_size;
	l->value_size = (uint32_t)value_size;
	l->slot_size = (uint32_t)slot;
	return true;
}

static int init_table(unsigned char *region, uint64_t size, void *arg)
{
	struct zeroipc_fmt_map_header *h = (void *)region;
	const struct layout *l = arg;

	(void)size;
	/* The region is zeroed: size 0, every slot EMPTY with generation 0,
	 * padding and eventcount 0. */
	h->capacity = (uint32_t)l->capacity;
	h->key_size = l->key_size;
	h->value_size = l->value_size;
	h->slot_size = l->slot_size;
	return 0;
}

/*
 * Point `t` at the table whose header (already checked) is at `offset`.
 * Leaves t->mem to the caller: zeroipc__htab_validate() builds such a view
 * on a const memory handle it never writes through.
 */
static void fill_view(struct zeroipc__htab *t, const zeroipc_memory *mem,
		      const char *name, uint64_t offset,
		      const struct layout *l, enum zeroipc__htab_kind kind)
{
	memset(t, 0, sizeof(*t));
	t->hdr = (void *)(mem->base + offset);
	t->slots = mem->base + offset + sizeof(struct zeroipc_fmt_map_header);
	t->capacity = l->capacity;
	t->mask = l->capacity - 1;
	t->key_size = l->key_size;
	t->value_size = l->value_size;
	t->slot_size = l->slot_size;
	t->value_offset = 8 + (uint32_t)zeroipc__align8(l->key_size);
	t->timeout_ns = (uint64_t)(int64_t)ZEROIPC_MAP_DEFAULT_TIMEOUT_NS;
	t->kind = kind;
	snprintf(t->name, sizeof(t->name), "%s", name);
}

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int zeroipc__htab_create(struct zeroipc__htab *t, zeroipc_memory *mem,
			 const char *name, uint64_t key_size,
			 uint64_t value_size, uint64_t capacity,
			 enum zeroipc__htab_kind kind)
{
	struct layout l;
	uint64_t offset, rounded = 1;
	int rc;

	if (key_size == 0)
		return zeroipc__fail(ZEROIPC_EINVAL, "%s: key size 0",
				     kind_name[kind]);
	if (capacity == 0 || capacity > ZEROIPC_FMT_MAP_MAX_CAPACITY)
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "%s: capacity %llu is not in 1..%llu",
				     kind_name[kind],
				     (unsigned long long)capacity,
				     (unsigned long long)
					     ZEROIPC_FMT_MAP_MAX_CAPACITY);
	while (rounded < capacity)
		rounded <<= 1;
	if (!compute_layout(&l, key_size, value_size, rounded))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "%s: %llu slots for %llu-byte keys and "
				     "%llu-byte values overflow",
				     kind_name[kind],
				     (unsigned long long)rounded,
				     (unsigned long long)key_size,
				     (unsigned long long)value_size);
	rc = zeroipc__table_add_init(&offset, mem, name, l.bytes, init_table,
				     &l);
	if (rc != 0)
		return rc;
	fill_view(t, mem, name, offset, &l, kind);
	t->mem = mem;
	return 0;
}

/*
 * Read and check the header of table `name`, in the order SPECIFICATION.md
 * ("Map", "Opening") gives.  `key_size` and `value_size` are the opener's;
 * a key_size of 0 accepts any sizes (validation, which has none; open
 * rejects 0 before).  On success the offset and the layout the header
 * describes are in the out-parameters.
 */
static int read_header(uint64_t *offset_out, struct layout *l,
		       const zeroipc_memory *mem, const char *name,
		       uint64_t key_size, uint64_t value_size,
		       enum zeroipc__htab_kind kind)
{
	const struct zeroipc_fmt_map_header *h;
	const char *what = kind_name[kind];
	uint32_t cap, ks, vs, slot, size;
	uint64_t offset, bytes;
	int rc;

	rc = zeroipc__table_lookup_header(&offset, &bytes, mem, what, name,
					  sizeof(*h));
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + offset);
	/* Read each field once: another process may scribble on the header,
	 * and the caller must keep exactly what was checked. */
	cap = zeroipc__load_relaxed_u32(&h->capacity);
	ks = zeroipc__load_relaxed_u32(&h->key_size);
	vs = zeroipc__load_relaxed_u32(&h->value_size);
	slot = zeroipc__load_relaxed_u32(&h->slot_size);
	size = zeroipc__load_relaxed_u32(&h->size);
	if (!is_pow2(cap) || cap > ZEROIPC_FMT_MAP_MAX_CAPACITY)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': capacity %u is not a power of "
				     "two in 1..2^31", what, name, cap);
	if (ks == 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT, "%s '%s': key size 0",
				     what, name);
	if (key_size != 0 && (ks != key_size || vs != value_size))
		return zeroipc__fail(ZEROIPC_ESIZE_MISMATCH,
				     "%s '%s' holds %u-byte keys and %u-byte "
				     "values, not %llu and %llu", what, name,
				     ks, vs, (unsigned long long)key_size,
				     (unsigned long long)value_size);
	if (!compute_layout(l, ks, vs, cap))
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': %u slots for %u-byte keys and "
				     "%u-byte values overflow", what, name,
				     cap, ks, vs);
	if (slot != l->slot_size)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': slot size %u, expected %u", what,
				     name, slot, l->slot_size);
	if (bytes != l->bytes)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': entry of %llu bytes, its header "
				     "implies %llu", what, name,
				     (unsigned long long)bytes,
				     (unsigned long long)l->bytes);
	if (size > cap)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': size %u exceeds capacity %u",
				     what, name, size, cap);
	*offset_out = offset;
	return 0;
}

int zeroipc__htab_open(struct zeroipc__htab *t, zeroipc_memory *mem,
		       const char *name, uint64_t key_size, uint64_t value_size,
		       enum zeroipc__htab_kind kind)
{
	uint64_t offset;
	struct layout l;
	int rc;

	rc = read_header(&offset, &l, mem, name, key_size, value_size, kind);
	if (rc != 0)
		return rc;
	fill_view(t, mem, name, offset, &l, kind);
	t->mem = mem;
	return 0;
}

/* ---- validation at rest ---- */

/*
 * The structural checks of zeroipc__htab_validate(), on a view whose header
 * read_header() checked: every slot index is masked by the capacity.
 */
static int check_slots(const struct zeroipc__htab *t)
{
	const struct zeroipc_fmt_map_header *h = t->hdr;
	const char *what = kind_name[t->kind];
	uint64_t i, k, d, j, home, size, used = 0, live = 0;
	uint64_t empty = NO_SLOT, run;
	uint64_t *ctl, *other;
	unsigned st;

	for (i = 0; i < t->capacity; i++) {
		st = state_of(ctl_load(slot_ctl(t, i)));
		if (st > TOMBSTONE)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "%s '%s': slot %llu has unknown "
					     "state %u", what, t->name,
					     (unsigned long long)i, st);
		if (st == EMPTY) {
			if (empty == NO_SLOT)
				empty = i;
			continue;
		}
		if (st != TOMBSTONE)
			used++;
		if (keyed(st))
			live++;
	}
	size = zeroipc__load_relaxed_u32(&h->size);
	if (size < live || size > used)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "%s '%s': size %llu, but %llu entries "
				     "and %llu slots in use", what, t->name,
				     (unsigned long long)size,
				     (unsigned long long)live,
				     (unsigned long long)used);
	/* Reachability: every keyed slot lies at most `run` slots past its
	 * home, where run counts the non-EMPTY slots just before it.  With no
	 * EMPTY slot at all, every chain spans the table. */
	run = empty == NO_SLOT ? t->capacity : 0;
	for (k = 1; k <= t->capacity; k++) {
		i = empty == NO_SLOT ? k - 1 : (empty + k) & t->mask;
		ctl = slot_ctl(t, i);
		st = state_of(ctl_load(ctl));
		if (st == EMPTY) {
			run = 0;
			continue;
		}
		if (keyed(st)) {
			home = home_of_slot(t, ctl);
			d = (i - home) & t->mask;
			if (d > run)
				return zeroipc__fail(
					ZEROIPC_ECORRUPT,
					"%s '%s': the key in slot %llu is "
					"unreachable from its home slot %llu",
					what, t->name, (unsigned long long)i,
					(unsigned long long)home);
			/* No present twin earlier in the chain. */
			for (j = home; present(st) && j != i;
			     j = (j + 1) & t->mask) {
				other = slot_ctl(t, j);
				if (present(state_of(ctl_load(other))) &&
				    words_equal_shared(slot_key(other),
						       slot_key(ctl),
						       t->key_size))
					return zeroipc__fail(
						ZEROIPC_ECORRUPT,
						"%s '%s': slots %llu and %llu "
						"hold the same key", what,
						t->name,
						(unsigned long long)j,
						(unsigned long long)i);
			}
		}
		if (run < t->capacity)
			run++;
	}
	return 0;
}

int zeroipc__htab_validate(const zeroipc_memory *mem, const char *name,
			   enum zeroipc__htab_kind kind)
{
	struct zeroipc__htab view;
	uint64_t offset;
	struct layout l;
	int rc;

	rc = read_header(&offset, &l, mem, name, 0, 0, kind);
	if (rc != 0)
		return rc;
	/* A Set is the table without values; a table with values is a Map,
	 * not a damaged Set (zeroipc_set_open() says the same). */
	if (kind == ZEROIPC__HTAB_SET && l.value_size != 0)
		return zeroipc__fail(ZEROIPC_ESIZE_MISMATCH,
				     "set '%s' holds %u-byte values: it is a "
				     "map", name, l.value_size);
	/* view.mem stays NULL: the checks only read the segment. */
	fill_view(&view, mem, name, offset, &l, kind);
	rc = check_slots(&view);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

int zeroipc__htab_new(void **out, size_t handle_size, zeroipc_memory *mem,
		      const char *name, uint64_t key_size,
		      uint64_t value_size, uint64_t capacity,
		      enum zeroipc__htab_kind kind, bool create)
{
	struct zeroipc__htab *t;
	int rc;

	if (create) {
		rc = zeroipc__check_entry_name(name);
		if (rc != 0)
			return rc;
	}
	t = calloc(1, handle_size);
	if (t == NULL)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	rc = create ? zeroipc__htab_create(t, mem, name, key_size, value_size,
					   capacity, kind)
		    : zeroipc__htab_open(t, mem, name, key_size, value_size,
					 kind);
	if (rc != 0) {
		free(t);
		return rc;
	}
	if (!create)
		zeroipc__clear_error();
	*out = t;
	return 0;
}

int zeroipc__htab_contains(const struct zeroipc__htab *t, const void *key)
{
	int rc = zeroipc__htab_find(NULL, t, key);

	if (rc == 0)
		return 1;
	if (rc == ZEROIPC_ENOT_FOUND) {
		/* Not an error here: the answer is "no". */
		zeroipc__clear_error();
		return 0;
	}
	return rc;
}
