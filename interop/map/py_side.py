# SPDX-License-Identifier: MIT
"""Scenario "map": a Map and a Set filled in one language, followed live
and checked exactly in the other.

The writer creates NAME (1 MiB) with a Map "prices" of 4096 slots, keys
uint64 and values RECORD (24 bytes, below), a Set "seen" of 4096 slots of
uint32 keys, and a uint64 Array "published" of one element.  Phase 1: for
k = 0 .. COUNT-1 it inserts key(k) -> record(k) into the map and 7 * k into
the set, and after every 100 keys (and at the end) atomically stores the
number of keys inserted into published[0].  Phase 2: for every k with
k % 5 == 0 it erases key(k) and 7 * k; for every k with k % 5 == 1 it sets
key(k) -> record(k + 100000) with insert_or_update.  Then it stores
COUNT + 1 into published[0].

The reader runs at the same time.  For each published k it looks key(k) up:
record(k) is required unless phase 2 may already have touched it
(k % 5 == 0: also absent; k % 5 == 1: also record(k + 100000)), and 7 * k
must be in the set unless k % 5 == 0.  Once published[0] is COUNT + 1, the
exact final contents are checked by iterating both: every key once, every
value, the sizes, and validate.  Opening the map with other sizes must fail
with ZEROIPC_ESIZE_MISMATCH.

key(k) = k * 0x9E3779B97F4A7C15 mod 2^64.  record(k) (identical in
c_side.c): price = k * 0.5, qty = (int32)(7 * k - 5000), sym = "S%06u" of
k, NUL-padded to 12 bytes.
"""
from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))

import interop  # noqa: E402
import zeroipc  # noqa: E402
from zeroipc import Array, Map, Memory, Set  # noqa: E402

COUNT = 2000
SLOTS = 4096
BATCH = 100
UPDATED = 100000

# struct record { double price; int32_t qty; char sym[12]; }
RECORD = np.dtype({"names": ["price", "qty", "sym"],
                   "formats": ["<f8", "<i4", "S12"],
                   "offsets": [0, 8, 12], "itemsize": 24})


def key_of(k: int) -> int:
    return (k * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF


def record(k: int) -> np.void:
    r = np.zeros((), dtype=RECORD)
    r["price"] = k * 0.5
    r["qty"] = np.uint32((7 * k - 5000) & 0xFFFFFFFF).view(np.int32)
    r["sym"] = b"S%06d" % k
    return r[()]


def writer(name: str, fifo: str) -> None:
    with Memory(name, 1 << 20, exclusive=True) as mem:
        m = Map(mem, "prices", SLOTS, key_dtype=np.uint64,
                value_dtype=RECORD)
        s = Set(mem, "seen", SLOTS, dtype=np.uint32)
        published = Array(mem, "published", 1, dtype=np.uint64)
        interop.signal_ready(fifo)
        for k in range(COUNT):
            if not m.insert(key_of(k), record(k)):
                interop.die("key %d already present" % k)
            if not s.add(7 * k):
                interop.die("member %d already present" % (7 * k))
            # After the entries it covers: pairs with the reader's atomic
            # load of published.
            if (k + 1) % BATCH == 0 or k + 1 == COUNT:
                published.store(0, k + 1)
        for k in range(COUNT):
            if k % 5 == 0:
                del m[key_of(k)]
                s.remove(7 * k)
            elif k % 5 == 1:
                m[key_of(k)] = record(k + UPDATED)
        published.store(0, COUNT + 1)


def check_key(m: Map, s: Set, k: int, final: bool) -> None:
    got = m.get(key_of(k))
    want = record(k)
    if k % 5 == 0:
        if final:
            interop.expect(got is None, "key %d should be erased" % k)
            interop.expect(7 * k not in s, "member %d should be erased"
                           % (7 * k))
            return
        if got is None:
            return
    elif k % 5 == 1:
        updated = record(k + UPDATED)
        if final or (got is not None and
                     got.tobytes() == updated.tobytes()):
            want = updated
    if not interop.expect(got is not None, "key %d missing" % k):
        return
    interop.expect(got.tobytes() == want.tobytes(),
                   "key %d: value %r, expected %r" % (k, got, want))
    interop.expect(k % 5 == 0 or 7 * k in s, "member %d missing" % (7 * k))


def reader(name: str) -> None:
    with Memory(name) as mem:
        m = Map(mem, "prices", key_dtype=np.uint64, value_dtype=RECORD)
        s = Set(mem, "seen", dtype=np.uint32)
        published = Array(mem, "published", dtype=np.uint64)
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Map(mem, "prices", key_dtype=np.uint64,
                                         value_dtype=np.uint64),
                             "opening the map with 8-byte values")
        done = 0
        while True:
            upto = interop.wait_published(published, done)
            if upto > COUNT + 1:
                interop.die("published %d" % upto)
            while done < min(upto, COUNT):
                check_key(m, s, done, False)
                done += 1
            if upto == COUNT + 1:
                break
        # Final state, exactly.
        expect = {}
        for k in range(COUNT):
            check_key(m, s, k, True)
            if k % 5 == 1:
                expect[key_of(k)] = record(k + UPDATED).tobytes()
            elif k % 5 != 0:
                expect[key_of(k)] = record(k).tobytes()
        items = [(int(k), v.tobytes()) for k, v in m.items()]
        interop.expect(len(items) == len(set(k for k, _ in items)),
                       "a key iterated twice")
        interop.expect(dict(items) == expect,
                       "iterated contents differ (%d entries, expected %d)"
                       % (len(items), len(expect)))
        interop.expect(len(m) == len(expect), "map size %d" % len(m))
        members = sorted(int(x) for x in s)
        interop.expect(members == sorted(7 * k for k in range(COUNT)
                                         if k % 5 != 0),
                       "set contents differ (%d members)" % len(members))
        interop.expect(len(s) == len(expect), "set size %d" % len(s))
        m.validate()
        s.validate()


if __name__ == "__main__":
    interop.main(writer, reader)
