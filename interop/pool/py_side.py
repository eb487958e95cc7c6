# SPDX-License-Identifier: MIT
"""Scenario "pool": objects handed from one language to the other by index.

The writer creates NAME (1 MiB) with a Pool "objs" of CAPACITY records
(RECORD below, 32 bytes), a uint64 Array "indices" of COUNT elements and a
uint64 Array "published" of one element.  For k = 0 .. COUNT-1 it allocates
an object (waiting up to 30 s while all CAPACITY are in flight), fills it
with record k, stores the object's index into indices[k], then atomically
stores k + 1 into published[0].

The reader runs at the same time on a writable mapping: for each published
k it reads the object at indices[k] and compares it with record k, then
frees it, which is what lets the writer go on, since COUNT is far above
CAPACITY.  Once the writer is done (all COUNT published, so nobody allocates
any more), freeing each of the last CAPACITY indices a second time must
raise NotAllocated.  (Earlier, a second free could hit an object the writer
had already allocated again: the pool records no owners, so that is not an
error it can see.)  At the end in_use must be 0 and the pool must
validate.

Record k (identical in c_side.c): seq = k, a = (int32)(k * 2654435761 mod
2^32), b = k * 0.25f, label = "obj-%05u" % k, NUL-padded to 16 bytes.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
import interop  # noqa: E402
from interop import expect  # noqa: E402

import zeroipc  # noqa: E402
from zeroipc import Array, Memory, Pool  # noqa: E402

COUNT = 3000
CAPACITY = 64
WAIT_S = 30.0

# struct record { uint64_t seq; int32_t a; float b; char label[16]; }
RECORD = np.dtype({
    "names": ["seq", "a", "b", "label"],
    "formats": ["<u8", "<i4", "<f4", "S16"],
    "offsets": [0, 8, 12, 16],
    "itemsize": 32,
})


def make_record(k):
    r = np.zeros((), dtype=RECORD)
    r["seq"] = k
    r["a"] = np.uint32((k * 2654435761) & 0xFFFFFFFF).view(np.int32)
    r["b"] = np.float32(k) * np.float32(0.25)
    r["label"] = ("obj-%05u" % k).encode()
    return r


def writer(name, fifo):
    with Memory(name, 1 << 20, exclusive=True) as mem:
        pool = Pool(mem, "objs", CAPACITY, dtype=RECORD)
        indices = Array(mem, "indices", COUNT, dtype=np.uint64)
        published = Array(mem, "published", 1, dtype=np.uint64)
        interop.signal_ready(fifo)
        for k in range(COUNT):
            # Blocks while the reader still holds all CAPACITY objects.
            idx = pool.allocate(timeout=WAIT_S)
            if idx is None:
                interop.die("no object freed within %.0f s" % WAIT_S)
            pool[idx] = make_record(k)
            indices.store(k, idx)
            # After the object and its index: the reader's atomic load of
            # published pairs here.
            published.store(0, k + 1)


def reader(name):
    with Memory(name) as mem:
        pool = Pool(mem, "objs", dtype=RECORD)
        indices = Array(mem, "indices", dtype=np.uint64)
        published = Array(mem, "published", dtype=np.uint64)
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Pool(mem, "objs", dtype=np.uint64),
                             "opening objs with 8-byte objects")
        expect(pool.capacity == CAPACITY, "capacity %d" % pool.capacity)
        seen = 0
        while seen < COUNT:
            upto = interop.wait_published(published, seen)
            if upto > COUNT:
                interop.die("published %d > %d" % (upto, COUNT))
            for k in range(seen, upto):
                idx = int(indices.load(k))
                if not expect(0 <= idx < CAPACITY,
                              "indices[%d] = %d" % (k, idx)):
                    continue
                got = pool[idx]
                want = make_record(k)
                expect(got.tobytes() == want.tobytes(),
                       "object %d holds %r, expected record %d %r"
                       % (idx, got, k, want))
                pool.free(idx)
            seen = upto
        # The writer allocates no more: every second free is caught.
        for k in range(COUNT - CAPACITY, COUNT):
            idx = int(indices.load(k))
            interop.expect_error(zeroipc.NotAllocated,
                                 lambda: pool.free(idx),
                                 "second free of object %d" % idx)
            expect(idx not in pool, "object %d still allocated" % idx)
        expect(pool.in_use == 0, "in_use %d at the end" % pool.in_use)
        pool.validate()


if __name__ == "__main__":
    interop.main(writer, reader)
