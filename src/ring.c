/* SPDX-License-Identifier: MIT */
/*
 * ring.c - single-producer single-consumer byte ring (format v2 layout).
 *
 * Shared state is only the two free-running byte positions; everything else
 * a side needs lives in its handle: its own position (and the buffer offset
 * of that position, so the fast path never divides), a cached copy of the
 * other side's position, and for the consumer the position it last
 * published.  write_pos and read_pos share one cache line (the layout is
 * fixed by format v2), so the consumer publishes read_pos rarely: a store
 * per message would pull the line away from the producer on every message.
 *
 * Bounds never depend on shared memory after open: offsets are kept in the
 * handle, always < capacity and a multiple of the element size, and the
 * capacity is the value validated at open.  A position read later is only
 * used to count elements, after checking that it is within the capacity of
 * our own position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomics.h"
#include "internal.h"
#include "table_internal.h"
#include "wait.h"

#define RING_ROLES (ZEROIPC_RING_PRODUCER | ZEROIPC_RING_CONSUMER)
#define RING_HEADER ((uint64_t)sizeof(struct zeroipc_fmt_ring_header))
#define RING_EC_DATA 0  /* consumers sleep here until data arrives */
#define RING_EC_SPACE 1 /* producers sleep here until space frees up */
/*
 * The companion "<name>.wait" is 16 eventcounts (128 bytes) of which the
 * first two are used: the ring's header follows the companion, so the
 * padding keeps the waiter words, which each side reads on its fast path,
 * off the cache line that write_pos and read_pos bounce on.
 */
#define RING_EC_COUNT ZEROIPC_FMT_RING_WAIT_EVENTCOUNTS
#define RING_COMPANION_BYTES                                                   \
	(RING_EC_COUNT * sizeof(struct zeroipc_fmt_eventcount))
/* Keeps the two sides' hot fields of a handle off each other's line. */
#define RING_LINE 64
/* The producer prefetches (prefetch_after()) in rings this large. */
#define RING_PREFETCH_MIN 4096u

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

struct zeroipc_ring {
	/* Producer side, touched on every write. */
	uint64_t wpos;     /* bytes written; == write_pos after each call */
	uint64_t woff;     /* wpos % cap */
	uint64_t rcache;   /* read_pos as last seen */
	uint64_t reserved; /* elements handed out by reserve, not committed */

	/* Consumer side, on its own line. */
	uint64_t rpos __attribute__((aligned(RING_LINE))); /* bytes read */
	uint64_t roff;     /* rpos % cap */
	uint64_t wcache;   /* write_pos as last seen */
	uint64_t rpub;     /* read_pos as we last published it */
	uint64_t peeked;   /* elements handed out by peek, not released */
	uint64_t release;  /* publish once rpos - rpub reaches this */

	/* Fixed at open. */
	struct zeroipc_fmt_ring_header *hdr __attribute__((aligned(RING_LINE)));
	unsigned char *buf;
	uint64_t cap; /* buffer bytes, validated at open */
	uint64_t es;  /* element size */
	uint64_t cap_n;    /* capacity in elements */
	unsigned es_shift; /* log2(es) if es is a power of two, else 64 */
	bool ahead;        /* the producer prefetches (prefetch_after()) */
	struct zeroipc_fmt_eventcount *ec; /* RING_EC_COUNT words, or NULL */
	zeroipc_memory *mem;
	unsigned role;
	char name[ZEROIPC_FMT_NAME_SIZE];
};

/* ------------------------------------------------------------ helpers */

/*
 * Whole elements in `bytes`, and those elements' bytes (rounding down).
 * A shift and a mask for the usual power-of-two element sizes: a division
 * on every call would cost more than the rest of a zero-copy call.
 */
static inline uint64_t elems_in(const zeroipc_ring *r, uint64_t bytes)
{
	return likely(r->es_shift < 64) ? bytes >> r->es_shift
					: bytes / r->es;
}

static inline uint64_t whole_bytes(const zeroipc_ring *r, uint64_t bytes)
{
	return likely(r->es_shift < 64) ? bytes & ~(r->es - 1)
					: bytes - bytes % r->es;
}

static inline struct zeroipc_fmt_eventcount *ring_ec(const zeroipc_ring *r,
						   int which)
{
	return r->ec != NULL ? &r->ec[which] : NULL;
}

static int not_role(const zeroipc_ring *r, unsigned role)
{
	return zeroipc__fail(ZEROIPC_EINVAL,
			     "ring '%s': handle is not a %s", r->name,
			     role == ZEROIPC_RING_PRODUCER ? "producer"
							   : "consumer");
}

/*
 * Tell sleepers the caller has published.  The producer publishes on every
 * write, so it takes the light path (no fence; its consumers wait with
 * zeroipc__wait_until_asym()); the consumer publishes once per release
 * batch and can afford the fence.
 */
static inline void notify_data(const zeroipc_ring *r)
{
	zeroipc__notify_light(ring_ec(r, RING_EC_DATA));
}

static inline void notify_space(const zeroipc_ring *r)
{
	if (r->ec != NULL)
		zeroipc__notify(&r->ec[RING_EC_SPACE]);
}

/*
 * EFULL / EEMPTY from a call that was not to wait: the normal answer of a
 * polling loop, so it must cost next to nothing (a poll that runs slower
 * reacts later).  No detail is recorded: formatting one costs more than
 * the call, and even clearing the thread-local one is a call into the
 * TLS resolver.
 */
static inline int expected_outcome(int status)
{
	return status;
}

/* ------------------------------------------------------------ layout */

struct ring_params {
	uint32_t cap;
	uint32_t es;
};

static int init_ring(unsigned char *region, uint64_t size, void *arg)
{
	struct zeroipc_fmt_ring_header *h = (void *)region;
	const struct ring_params *p = arg;

	(void)size;
	/* The region is zeroed and not yet published: plain stores. */
	h->write_pos = 0;
	h->read_pos = 0;
	h->capacity = p->cap;
	h->elem_size = p->es;
	return 0;
}

/*
 * Find ring `name` and check its header against its entry.  `es` is the
 * caller's element size, or 0 to take the stored one (validate).  Fills
 * *offset_out and *p on success.
 */
static int check_header(uint64_t *offset_out, struct ring_params *p,
			const zeroipc_memory *mem, const char *name,
			uint64_t es)
{
	const struct zeroipc_fmt_ring_header *h;
	uint64_t size, w, rd;
	int rc;

	rc = zeroipc__table_lookup_header(offset_out, &size, mem, "ring", name,
					  RING_HEADER);
	if (rc != 0)
		return rc;
	h = (const void *)(mem->base + *offset_out);
	p->cap = h->capacity;
	p->es = h->elem_size;
	if (p->es == 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': element size 0", name);
	if (es != 0 && p->es != es)
		return zeroipc__elem_size_mismatch("ring", name, p->es, es);
	if (p->cap == 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': capacity 0", name);
	if (p->cap % p->es != 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': capacity %u bytes is not a "
				     "multiple of the %u-byte element", name,
				     (unsigned)p->cap, (unsigned)p->es);
	if (size != RING_HEADER + p->cap)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': entry has %llu bytes, the "
				     "header says %llu", name,
				     (unsigned long long)size,
				     (unsigned long long)RING_HEADER + p->cap);
	/* Acquire: pairs with the release stores that published the
	 * positions, so a handle opened now starts from complete data. */
	w = zeroipc__load_acquire_u64(&h->write_pos);
	rd = zeroipc__load_acquire_u64(&h->read_pos);
	if (w - rd > p->cap)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': write_pos %llu and read_pos "
				     "%llu are more than the capacity (%u) "
				     "apart", name, (unsigned long long)w,
				     (unsigned long long)rd, (unsigned)p->cap);
	if (w % p->es != 0 || rd % p->es != 0)
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': position %llu is not a whole "
				     "number of %u-byte elements", name,
				     (unsigned long long)(w % p->es != 0 ? w
									: rd),
				     (unsigned)p->es);
	return 0;
}

static int check_opts(const zeroipc_ring_opts *opts, unsigned role)
{
	if (role & ~RING_ROLES)
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "unknown ring role bits 0x%x", role);
	if (opts != NULL && opts->size < sizeof(*opts))
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "zeroipc_ring_opts.size %zu, expected "
				     "%zu (use ZEROIPC_RING_OPTS_INIT)",
				     opts->size, sizeof(*opts));
	return 0;
}

static int new_handle(zeroipc_ring **out, zeroipc_memory *mem,
		      const char *name, uint64_t offset,
		      const struct ring_params *p,
		      struct zeroipc_fmt_eventcount *ec, unsigned role,
		      const zeroipc_ring_opts *opts)
{
	zeroipc_ring *r;
	uint64_t batch;

	/* Aligned, so a producer and a consumer handle in one process do not
	 * share a line with each other's hot fields. */
	if (posix_memalign((void **)&r, RING_LINE, sizeof(*r)) != 0)
		return zeroipc__fail(ZEROIPC_ENOMEM, "no memory for a handle");
	memset(r, 0, sizeof(*r));
	r->hdr = (void *)(mem->base + offset);
	r->buf = mem->base + offset + RING_HEADER;
	r->cap = p->cap;
	r->es = p->es;
	r->cap_n = r->cap / r->es;
	r->es_shift = (r->es & (r->es - 1)) == 0
			      ? (unsigned)__builtin_ctzll(r->es)
			      : 64;
	r->ahead = r->cap >= RING_PREFETCH_MIN;
	r->ec = ec;
	r->mem = mem;
	r->role = role;
	snprintf(r->name, sizeof(r->name), "%s", name);

	batch = opts != NULL ? opts->release_batch : 0;
	if (batch == 0)
		batch = r->cap / r->es / 4;
	if (batch == 0)
		batch = 1;
	if (batch > r->cap / r->es)
		batch = r->cap / r->es;
	r->release = batch * r->es;

	/* Acquire: pairs with the release stores of the previous owner of
	 * each side, whose positions we continue from. */
	r->wpos = zeroipc__load_acquire_u64(&r->hdr->write_pos);
	r->rpos = zeroipc__load_acquire_u64(&r->hdr->read_pos);
	r->woff = r->wpos % r->cap;
	r->roff = r->rpos % r->cap;
	r->rcache = r->rpos;
	r->wcache = r->wpos;
	r->rpub = r->rpos;
	/* Register for light notifications now rather than on the first
	 * write; a failure only means the producer fences (see wait.h). */
	if (role & ZEROIPC_RING_PRODUCER)
		(void)zeroipc__notify_light_enable();
	*out = r;
	return 0;
}

/* ------------------------------------------------------------ lifecycle */

int zeroipc_ring_create(zeroipc_ring **out, zeroipc_memory *mem,
			const char *name, uint64_t elem_size,
			uint64_t capacity, unsigned role,
			const zeroipc_ring_opts *opts)
{
	struct zeroipc_fmt_eventcount *ec;
	struct ring_params p;
	uint64_t bytes, offset;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	ZEROIPC__CHECK_ARG(capacity > 0);
	rc = check_opts(opts, role);
	if (rc != 0)
		return rc;
	if (!zeroipc__mul_u64(&bytes, elem_size, capacity) ||
	    bytes > ZEROIPC_RING_MAX_BYTES)
		return zeroipc__fail(ZEROIPC_EINVAL,
				     "ring of %llu elements of %llu bytes "
				     "exceeds %u bytes",
				     (unsigned long long)capacity,
				     (unsigned long long)elem_size,
				     ZEROIPC_RING_MAX_BYTES);
	rc = zeroipc__table_check_add(mem, name);
	if (rc != 0)
		return rc;
	/* The companion goes first: whoever finds the ring finds it too. */
	rc = zeroipc__wait_companion_for_new(&ec, mem, name, RING_EC_COUNT);
	if (rc != 0)
		return rc;
	p.cap = (uint32_t)bytes;
	p.es = (uint32_t)elem_size;
	rc = zeroipc__table_add_init(&offset, mem, name, RING_HEADER + bytes,
				     init_ring, &p);
	if (rc != 0)
		return rc;
	return new_handle(out, mem, name, offset, &p, ec, role, opts);
}

int zeroipc_ring_open(zeroipc_ring **out, zeroipc_memory *mem,
		      const char *name, uint64_t elem_size, unsigned role,
		      const zeroipc_ring_opts *opts)
{
	struct zeroipc_fmt_eventcount *ec = NULL;
	struct ring_params p;
	uint64_t offset;
	int rc;

	ZEROIPC__CHECK_ARG(out != NULL);
	*out = NULL;
	ZEROIPC__CHECK_ARG(mem != NULL);
	ZEROIPC__CHECK_ARG(elem_size > 0);
	rc = check_opts(opts, role);
	if (rc != 0)
		return rc;
	if (role != 0 && mem->readonly)
		return zeroipc__fail(ZEROIPC_EREADONLY,
				     "%s is mapped read-only: a ring "
				     "producer or consumer writes to it",
				     mem->name);
	rc = check_header(&offset, &p, mem, name, elem_size);
	if (rc != 0)
		return rc;
	/* After the ring is known to exist, so a failed open adds nothing. */
	rc = zeroipc__wait_companion(&ec, mem, name, RING_EC_COUNT);
	if (rc != 0)
		return rc;
	rc = new_handle(out, mem, name, offset, &p, ec, role, opts);
	if (rc == 0)
		zeroipc__clear_error();
	return rc;
}

void zeroipc_ring_close(zeroipc_ring *ring)
{
	/* Never touches the segment: bindings with garbage collectors close
	 * handles in any order, possibly after the mapping is gone.  Handing
	 * back space is zeroipc_ring_flush()'s job. */
	free(ring);
}

int zeroipc_ring_validate(const zeroipc_memory *mem, const char *name)
{
	char companion[ZEROIPC_FMT_NAME_SIZE];
	struct ring_params p;
	uint64_t offset, size;
	int rc;

	ZEROIPC__CHECK_ARG(mem != NULL);
	rc = check_header(&offset, &p, mem, name, 0);
	if (rc != 0)
		return rc;
	if (strlen(name) <= ZEROIPC__WAIT_NAME_MAX) {
		snprintf(companion, sizeof(companion), "%s%s", name,
			 ZEROIPC__WAIT_SUFFIX);
		rc = zeroipc__table_lookup(&offset, &size, mem, companion);
		if (rc == 0 && size != RING_COMPANION_BYTES)
			return zeroipc__fail(ZEROIPC_ECORRUPT,
					     "'%s' has %llu bytes, expected "
					     "%zu", companion,
					     (unsigned long long)size,
					     RING_COMPANION_BYTES);
		if (rc != 0 && rc != ZEROIPC_ENOT_FOUND)
			return rc;
	}
	zeroipc__clear_error();
	return 0;
}

/* ------------------------------------------------------------ producer */

/*
 * Reread read_pos because the cached view shows less than `need` bytes
 * free.  Also the cheap place to notice a second producer: write_pos is on
 * the line we are loading anyway and must still be what we stored.
 * Returns 0 or ECORRUPT / EPROTOCOL; the caller rechecks the space.
 */
static int refresh_space(zeroipc_ring *r)
{
	uint64_t rd, w;

	/* Acquire: pairs with the consumer's release store of read_pos, so
	 * its reads of the slots it freed are done before we overwrite them. */
	rd = zeroipc__load_acquire_u64(&r->hdr->read_pos);
	w = zeroipc__load_relaxed_u64(&r->hdr->write_pos);
	if (unlikely(w != r->wpos))
		return zeroipc__fail(ZEROIPC_EPROTOCOL,
				     "ring '%s': write_pos is %llu, this "
				     "producer wrote up to %llu: another "
				     "producer is writing", r->name,
				     (unsigned long long)w,
				     (unsigned long long)r->wpos);
	if (unlikely(r->wpos - rd > r->cap))
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': read_pos %llu is not within "
				     "the capacity of write_pos %llu", r->name,
				     (unsigned long long)rd,
				     (unsigned long long)r->wpos);
	r->rcache = rd;
	return 0;
}

static inline uint64_t free_bytes(const zeroipc_ring *r)
{
	return r->cap - (r->wpos - r->rcache);
}

/* At most this many bytes are prefetched per call (see below). */
#define RING_PREFETCH_BYTES 2048u

/*
 * Producer, about to write `bytes` (<= the free space) at woff: prefetch
 * as many bytes again after them for writing.  Those lines were last read
 * by the consumer, so the first write to each would stall on fetching it;
 * fetched now, the next call's writes find them ready.  Never beyond the
 * free space we know of: lines the consumer has yet to read are its own.
 * Only in rings of RING_PREFETCH_MIN bytes or more (r->ahead).
 */
static void prefetch_after(const zeroipc_ring *r, uint64_t bytes)
{
	uint64_t n = free_bytes(r) - bytes, off = r->woff + bytes;

	if (n > bytes)
		n = bytes;
	if (n > RING_PREFETCH_BYTES)
		n = RING_PREFETCH_BYTES;
	if (off >= r->cap)
		off -= r->cap;
	for (uint64_t i = 0; i < n; i += 64) {
		zeroipc__prefetch_for_write(r->buf + off);
		off += 64;
		if (off >= r->cap)
			off -= r->cap;
	}
}

/* Publish `bytes` more written bytes and wake a sleeping consumer. */
static inline void publish_write(zeroipc_ring *r, uint64_t bytes)
{
	r->wpos += bytes;
	r->woff += bytes;
	if (r->woff >= r->cap)
		r->woff -= r->cap;
	/* Release: pairs with the consumer's acquire load of write_pos; the
	 * element bytes copied before this are visible once it is. */
	zeroipc__store_release_u64(&r->hdr->write_pos, r->wpos);
	notify_data(r);
}

/* ------------------------------------------------------------ consumer */

/*
 * read_pos must still be what we last stored: otherwise another consumer
 * is reading too.  Checked where we touch read_pos anyway: when
 * publishing, once per release batch.
 */
static int check_own_read_pos(const zeroipc_ring *r)
{
	uint64_t rd = zeroipc__load_relaxed_u64(&r->hdr->read_pos);

	if (unlikely(rd != r->rpub))
		return zeroipc__fail(ZEROIPC_EPROTOCOL,
				     "ring '%s': read_pos is %llu, this "
				     "consumer published %llu: another "
				     "consumer is reading", r->name,
				     (unsigned long long)rd,
				     (unsigned long long)r->rpub);
	return 0;
}

/*
 * Publish everything read so far and wake a producer waiting for space.
 * Returns 0, or EPROTOCOL (then nothing is stored: read_pos belongs to
 * whoever moved it).
 */
static int publish_read(zeroipc_ring *r)
{
	int rc = check_own_read_pos(r);

	if (rc != 0)
		return rc;
	r->rpub = r->rpos;
	/* Release: pairs with the producer's acquire load of read_pos; our
	 * copies out of the freed slots are done before it may reuse them. */
	zeroipc__store_release_u64(&r->hdr->read_pos, r->rpos);
	notify_space(r);
	return 0;
}

/*
 * After consuming: publish once a release batch has accumulated.  Returns
 * 0 or EPROTOCOL (the elements were delivered all the same).
 */
static inline int consumed(zeroipc_ring *r, uint64_t bytes)
{
	r->rpos += bytes;
	r->roff += bytes;
	if (r->roff >= r->cap)
		r->roff -= r->cap;
	if (r->rpos - r->rpub >= r->release)
		return publish_read(r);
	return 0;
}

/*
 * Reread write_pos because the cached view shows no complete element.  It
 * is also where a waiting producer is noticed (its waiter word is on a
 * quiet line).  A polling consumer runs this in a loop, so it loads the
 * contended line once: a second load of it (read_pos, to spot another
 * consumer) can miss again after the producer takes the line back, and
 * that costs the producer a transfer.  Returns 0 or ECORRUPT / EPROTOCOL
 * (from publishing); the caller rechecks.
 */
static int refresh_data(zeroipc_ring *r)
{
	uint64_t w;

	/* Acquire: pairs with the producer's release store of write_pos, so
	 * the element bytes before it are visible to our copies. */
	w = zeroipc__load_acquire_u64(&r->hdr->write_pos);
	if (unlikely(w - r->rpos > r->cap))
		return zeroipc__fail(ZEROIPC_ECORRUPT,
				     "ring '%s': write_pos %llu is not within "
				     "the capacity ahead of read position %llu",
				     r->name, (unsigned long long)w,
				     (unsigned long long)r->rpos);
	r->wcache = w;
	/* A producer that announced itself waits for space we hold back. */
	if (r->rpos != r->rpub && r->ec != NULL &&
	    zeroipc__ec_armed(&r->ec[RING_EC_SPACE]))
		return publish_read(r);
	return 0;
}

static inline uint64_t avail_bytes(const zeroipc_ring *r)
{
	return r->wcache - r->rpos;
}

/* ------------------------------------------------------------ both sides */

/*
 * The sides mirror each other: the producer fills the space read_pos
 * frees, the consumer drains the elements write_pos publishes.  The
 * helpers below serve both.  `side` is ZEROIPC_RING_PRODUCER or
 * ZEROIPC_RING_CONSUMER and always a constant, and they are always
 * inlined, so each use compiles to its side's code alone: sharing them
 * adds neither a test of the side nor a call to a per-message path.
 */
#define SIDE_INLINE static inline __attribute__((always_inline))
#define PRODUCING(side) ((side) == ZEROIPC_RING_PRODUCER)

/* Bytes the side may move by its cached view of the other side. */
SIDE_INLINE uint64_t ready_bytes(const zeroipc_ring *r, unsigned side)
{
	return PRODUCING(side) ? free_bytes(r) : avail_bytes(r);
}

/* Reread the other side's position (refresh_space(), refresh_data()). */
SIDE_INLINE int refresh(zeroipc_ring *r, unsigned side)
{
	return PRODUCING(side) ? refresh_space(r) : refresh_data(r);
}

/* Where in the buffer the side's next element goes or comes from. */
SIDE_INLINE uint64_t side_off(const zeroipc_ring *r, unsigned side)
{
	return PRODUCING(side) ? r->woff : r->roff;
}

struct side_wait {
	zeroipc_ring *r;
	int rc;
};

SIDE_INLINE bool side_ready(struct side_wait *w, unsigned side)
{
	w->rc = refresh(w->r, side);
	return w->rc != 0 || ready_bytes(w->r, side) >= w->r->es;
}

static bool space_ready(void *ctx)
{
	return side_ready(ctx, ZEROIPC_RING_PRODUCER);
}

static bool data_ready(void *ctx)
{
	return side_ready(ctx, ZEROIPC_RING_CONSUMER);
}

/*
 * Make sure at least one element fits (producer) or is there (consumer),
 * waiting up to `timeout_ns`.  `fresh`: the caller has just refreshed, so
 * the first reread is skipped (a polling caller would load the contended
 * line twice per poll).  Returns 0, EFULL / EEMPTY (timeout 0), ETIMEOUT,
 * EPROTOCOL or ECORRUPT.
 */
SIDE_INLINE int need(zeroipc_ring *r, unsigned side, int64_t timeout_ns,
		     bool fresh)
{
	struct side_wait w = { r, 0 };
	zeroipc__deadline d;
	int rc;

	if (likely(ready_bytes(r, side) >= r->es))
		return 0;
	if (!fresh) {
		rc = refresh(r, side);
		if (rc != 0)
			return rc;
		if (ready_bytes(r, side) >= r->es)
			return 0;
	}
	if (timeout_ns == 0)
		return expected_outcome(PRODUCING(side) ? ZEROIPC_EFULL
						       : ZEROIPC_EEMPTY);
	d = zeroipc__deadline_in(timeout_ns);
	if (PRODUCING(side)) {
		rc = zeroipc__wait_until(ring_ec(r, RING_EC_SPACE),
					 space_ready, &w, &d);
	} else {
		/* Spin first without publishing: a consumer that keeps up
		 * with the producer finds the ring empty after nearly every
		 * element, and a read_pos store each time is the cost lazy
		 * publication avoids. */
		for (int i = 0; i < ZEROIPC__WAIT_SPIN; i++) {
			if (data_ready(&w))
				return w.rc;
			zeroipc__cpu_relax();
		}
		/* About to sleep: hand back all space first, so the producer
		 * can never wait for space while we wait for data. */
		if (r->rpos != r->rpub) {
			rc = publish_read(r);
			if (rc != 0)
				return rc;
		}
		/* _asym: pairs with the producer's zeroipc__notify_light(). */
		rc = zeroipc__wait_until_asym(ring_ec(r, RING_EC_DATA),
					      data_ready, &w, &d);
	}
	if (w.rc != 0)
		return w.rc;
	if (rc == ZEROIPC_ETIMEOUT)
		return zeroipc__fail(ZEROIPC_ETIMEOUT,
				     "ring '%s' stayed %s until the deadline",
				     r->name,
				     PRODUCING(side) ? "full" : "empty");
	return rc;
}

/* need() out of line: it is the slow path of every call. */
static int need_space(zeroipc_ring *r, int64_t timeout_ns, bool fresh)
{
	return need(r, ZEROIPC_RING_PRODUCER, timeout_ns, fresh);
}

static int need_data(zeroipc_ring *r, int64_t timeout_ns, bool fresh)
{
	return need(r, ZEROIPC_RING_CONSUMER, timeout_ns, fresh);
}

/*
 * Size the run of a bulk call: whole elements, up to `max` of them (capped
 * at the capacity, so that no count overflows), for the zero-copy calls
 * (`to_end`) no further than the end of the buffer, and at least one,
 * waiting up to `timeout_ns` for it.  Returns 0 with the bytes in
 * *bytes_out, or a status of need().
 */
SIDE_INLINE int span(uint64_t *bytes_out, zeroipc_ring *r, unsigned side,
		     uint64_t max, bool to_end, int64_t timeout_ns)
{
	uint64_t want, n;
	int rc;

	want = max > r->cap_n ? r->cap : max * r->es;
	if (to_end && r->cap - side_off(r, side) < want)
		want = r->cap - side_off(r, side);
	n = ready_bytes(r, side);
	if (n < want) {
		/* Worth a reread: the other side may have moved on. */
		rc = refresh(r, side);
		if (rc != 0)
			return rc;
		n = ready_bytes(r, side);
		if (unlikely(n < r->es)) {
			rc = PRODUCING(side) ? need_space(r, timeout_ns, true)
					     : need_data(r, timeout_ns, true);
			if (rc != 0)
				return rc;
			n = ready_bytes(r, side);
		}
	}
	if (n > want)
		n = want;
	*bytes_out = whole_bytes(r, n);
	return 0;
}

/*
 * The EINVAL of a commit() or release() of more than the last reserve() or
 * peek() handed out.  Cold and out of line, so those calls only pay for
 * testing the count.
 */
__attribute__((cold, noinline)) static int
over_handed_out(const zeroipc_ring *r, unsigned side, uint64_t count)
{
	uint64_t held = PRODUCING(side) ? r->reserved : r->peeked;

	return zeroipc__fail(ZEROIPC_EINVAL,
			     "ring '%s': %s of %llu elements, %llu %s",
			     r->name, PRODUCING(side) ? "commit" : "release",
			     (unsigned long long)count,
			     (unsigned long long)held,
			     PRODUCING(side) ? "reserved" : "peeked");
}

/* Refuse a call of the side the handle was not opened for. */
#define CHECK_ROLE(ring, side)                                                 \
	do {                                                                   \
		if (unlikely(!((ring)->role & (side))))                        \
			return not_role((ring), (side));                       \
	} while (0)

/* ------------------------------------------------------------ writing */

/*
 * try_write() and write() after their argument checks.  Inline in both, so
 * a call that finds room goes straight to the copy.
 */
SIDE_INLINE int write_one(zeroipc_ring *ring, const void *value,
			  int64_t timeout_ns)
{
	int rc;

	/* A store per call would only add to the store buffer the
	 * publication drains through. */
	if (unlikely(ring->reserved != 0))
		ring->reserved = 0;
	if (unlikely(free_bytes(ring) < ring->es)) {
		rc = need_space(ring, timeout_ns, false);
		if (rc != 0)
			return rc;
	}
	zeroipc__copy_elem(ring->buf + ring->woff, value, ring->es);
	ZEROIPC__CRASH_POINT("ring.write.before_publish");
	publish_write(ring, ring->es);
	return 0;
}

int zeroipc_ring_try_write(zeroipc_ring *ring, const void *value)
{
	ZEROIPC__CHECK_ARG(ring != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	CHECK_ROLE(ring, ZEROIPC_RING_PRODUCER);
	return write_one(ring, value, 0);
}

int zeroipc_ring_write(zeroipc_ring *ring, const void *value,
		       int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(ring != NULL);
	ZEROIPC__CHECK_ARG(value != NULL);
	CHECK_ROLE(ring, ZEROIPC_RING_PRODUCER);
	return write_one(ring, value, timeout_ns);
}

int zeroipc_ring_write_n(uint64_t *written_out, zeroipc_ring *ring,
			 const void *values, uint64_t count,
			 int64_t timeout_ns)
{
	const unsigned char *src = values;
	uint64_t n, first;
	int rc;

	ZEROIPC__CHECK_ARG(written_out != NULL);
	*written_out = 0;
	ZEROIPC__CHECK_ARG(ring != NULL);
	ZEROIPC__CHECK_ARG(values != NULL || count == 0);
	CHECK_ROLE(ring, ZEROIPC_RING_PRODUCER);
	ring->reserved = 0;
	if (count == 0)
		return 0;
	rc = span(&n, ring, ZEROIPC_RING_PRODUCER, count, false, timeout_ns);
	if (rc != 0)
		return rc;
	if (ring->ahead)
		prefetch_after(ring, n);
	/* At most two copies: up to the end of the buffer, then from 0. */
	first = ring->cap - ring->woff;
	if (first > n)
		first = n;
	memcpy(ring->buf + ring->woff, src, (size_t)first);
	if (n > first)
		memcpy(ring->buf, src + first, (size_t)(n - first));
	ZEROIPC__CRASH_POINT("ring.write_n.before_publish");
	publish_write(ring, n);
	*written_out = elems_in(ring, n);
	return 0;
}

int zeroipc_ring_reserve(void **region_out, uint64_t *count_out,
			 zeroipc_ring *ring, uint64_t max, int64_t timeout_ns)
{
	uint64_t n;
	int rc;

	ZEROIPC__CHECK_ARG(region_out != NULL);
	*region_out = NULL;
	ZEROIPC__CHECK_ARG(count_out != NULL);
	*count_out = 0;
	ZEROIPC__CHECK_ARG(ring != NULL);
	ZEROIPC__CHECK_ARG(max > 0);
	CHECK_ROLE(ring, ZEROIPC_RING_PRODUCER);
	ring->reserved = 0;
	rc = span(&n, ring, ZEROIPC_RING_PRODUCER, max, true, timeout_ns);
	if (rc != 0)
		return rc;
	if (ring->ahead)
		prefetch_after(ring, n);
	ring->reserved = elems_in(ring, n);
	*region_out = ring->buf + ring->woff;
	*count_out = ring->reserved;
	return 0;
}

int zeroipc_ring_commit(zeroipc_ring *ring, uint64_t count)
{
	ZEROIPC__CHECK_ARG(ring != NULL);
	CHECK_ROLE(ring, ZEROIPC_RING_PRODUCER);
	if (count > ring->reserved)
		return over_handed_out(ring, ZEROIPC_RING_PRODUCER, count);
	ring->reserved = 0;
	if (count == 0)
		return 0;
	ZEROIPC__CRASH_POINT("ring.commit.before_publish");
	publish_write(ring, count * ring->es);
	return 0;
}

/* ------------------------------------------------------------ reading */

/* try_read() and read() after their argument checks, as write_one(). */
SIDE_INLINE int read_one(void *out, zeroipc_ring *ring, int64_t timeout_ns)
{
	int rc;

	if (unlikely(ring->peeked != 0))
		ring->peeked = 0;
	if (unlikely(avail_bytes(ring) < ring->es)) {
		rc = need_data(ring, timeout_ns, false);
		if (rc != 0)
			return rc;
	}
	zeroipc__copy_elem(out, ring->buf + ring->roff, ring->es);
	return consumed(ring, ring->es);
}

int zeroipc_ring_try_read(void *out, zeroipc_ring *ring)
{
	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(ring != NULL);
	CHECK_ROLE(ring, ZEROIPC_RING_CONSUMER);
	return read_one(out, ring, 0);
}

int zeroipc_ring_read(void *out, zeroipc_ring *ring, int64_t timeout_ns)
{
	ZEROIPC__CHECK_ARG(out != NULL);
	ZEROIPC__CHECK_ARG(ring != NULL);
	CHECK_ROLE(ring, ZEROIPC_RING_CONSUMER);
	return read_one(out, ring, timeout_ns);
}

int zeroipc_ring_read_n(uint64_t *read_out, void *out, zeroipc_ring *ring,
			uint64_t max, int64_t timeout_ns)
{
	unsigned char *dst = out;
	uint64_t n, first;
	int rc;

	ZEROIPC__CHECK_ARG(read_out != NULL);
	*read_out = 0;
	ZEROIPC__CHECK_ARG(ring != NULL);
	ZEROIPC__CHECK_ARG(out != NULL || max == 0);
	CHECK_ROLE(ring, ZEROIPC_RING_CONSUMER);
	ring->peeked = 0;
	if (max == 0)
		return 0;
	rc = span(&n, ring, ZEROIPC_RING_CONSUMER, max, false, timeout_ns);
	if (rc != 0)
		return rc;
	first = ring->cap - ring->roff;
	if (first > n)
		first = n;
	memcpy(dst, ring->buf + ring->roff, (size_t)first);
	if (n > first)
		memcpy(dst + first, ring->buf, (size_t)(n - first));
	*read_out = elems_in(ring, n);
	return consumed(ring, n);
}

int zeroipc_ring_peek(const void **region_out, uint64_t *count_out,
		      zeroipc_ring *ring, uint64_t max, int64_t timeout_ns)
{
	uint64_t n;
	int rc;

	ZEROIPC__CHECK_ARG(region_out != NULL);
	*region_out = NULL;
	ZEROIPC__CHECK_ARG(count_out != NULL);
	*count_out = 0;
	ZEROIPC__CHECK_ARG(ring != NULL);
	ZEROIPC__CHECK_ARG(max > 0);
	CHECK_ROLE(ring, ZEROIPC_RING_CONSUMER);
	ring->peeked = 0;
	rc = span(&n, ring, ZEROIPC_RING_CONSUMER, max, true, timeout_ns);
	if (rc != 0)
		return rc;
	ring->peeked = elems_in(ring, n);
	*region_out = ring->buf + ring->roff;
	*count_out = ring->peeked;
	return 0;
}

int zeroipc_ring_release(zeroipc_ring *ring, uint64_t count)
{
	ZEROIPC__CHECK_ARG(ring != NULL);
	CHECK_ROLE(ring, ZEROIPC_RING_CONSUMER);
	if (count > ring->peeked)
		return over_handed_out(ring, ZEROIPC_RING_CONSUMER, count);
	ring->peeked = 0;
	if (count == 0)
		return 0;
	return consumed(ring, count * ring->es);
}

int zeroipc_ring_flush(zeroipc_ring *ring)
{
	ZEROIPC__CHECK_ARG(ring != NULL);
	if ((ring->role & ZEROIPC_RING_CONSUMER) && ring->rpos != ring->rpub)
		return publish_read(ring);
	return 0;
}

/* ------------------------------------------------------------ queries */

uint64_t zeroipc_ring_size(const zeroipc_ring *ring)
{
	uint64_t w, rd, n;

	if (ring == NULL)
		return 0;
	/* Acquire: pairs with the producer's release store of write_pos. */
	w = zeroipc__load_acquire_u64(&ring->hdr->write_pos);
	rd = (ring->role & ZEROIPC_RING_CONSUMER)
		     ? ring->rpos
		     : zeroipc__load_acquire_u64(&ring->hdr->read_pos);
	n = w - rd;
	if (n > ring->cap) /* torn snapshot or a hostile header */
		n = (int64_t)n < 0 ? 0 : ring->cap;
	return n / ring->es;
}

uint64_t zeroipc_ring_capacity(const zeroipc_ring *ring)
{
	return ring != NULL ? ring->cap / ring->es : 0;
}

uint64_t zeroipc_ring_elem_size(const zeroipc_ring *ring)
{
	return ring != NULL ? ring->es : 0;
}

unsigned zeroipc_ring_role(const zeroipc_ring *ring)
{
	return ring != NULL ? ring->role : 0;
}
