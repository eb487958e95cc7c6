# SPDX-License-Identifier: MIT
"""Scenario "record": an Array of C structs as a NumPy structured dtype.

RECORD states the layout of c_side.c's struct record (which pins it with
static assertions): explicit offsets and itemsize, padding after "id" and
after "kind".  The writer creates NAME with an Array "records" of COUNT
records and a uint64 Array "published"; it fills record i, then atomically
stores i + 1 into published[0].  The reader follows published[0] and
compares each record byte for byte (padding included: both sides leave it
zero).

Record i: id = 7 * i + 1, value = 1.5 * i - 100, kind = (3 * i mod 65536)
- 32768, weight = i / 8, label = "r%06u" (NUL-padded to 8 bytes).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
import interop  # noqa: E402
from interop import expect  # noqa: E402

import zeroipc  # noqa: E402
from zeroipc import Array, Memory  # noqa: E402

COUNT = 2000
RECORD = np.dtype({
    "names": ["id", "value", "kind", "weight", "label"],
    "formats": ["<u4", "<f8", "<i2", "<f4", "S8"],
    "offsets": [0, 8, 16, 20, 24],
    "itemsize": 32,
})


def expected():
    i = np.arange(COUNT)
    want = np.zeros(COUNT, dtype=RECORD)  # padding zero, as in C
    want["id"] = 7 * i + 1
    want["value"] = 1.5 * i - 100.0
    want["kind"] = (3 * i) % 65536 - 32768
    want["weight"] = i.astype(np.float32) / np.float32(8)
    want["label"] = ["r%06d" % (n % 1000000) for n in i]
    return want


def writer(name, fifo):
    want = expected()
    with Memory(name, 1 << 20, exclusive=True) as mem:
        records = Array(mem, "records", COUNT, dtype=RECORD)
        published = Array(mem, "published", 1, dtype=np.uint64)
        interop.signal_ready(fifo)
        for i in range(COUNT):
            w = want[i]
            records[i] = (w["id"], w["value"], w["kind"], w["weight"],
                          w["label"])
            # After the data: the reader's atomic load of it pairs here.
            published.store(0, i + 1)


def check(got, want, start):
    raw_got = got.view(np.uint8).reshape(-1, RECORD.itemsize)
    raw_want = want.view(np.uint8).reshape(-1, RECORD.itemsize)
    bad = np.flatnonzero((raw_got != raw_want).any(axis=1))
    for j in bad[:interop.MAX_REPORTED]:
        expect(False, "record %d: %r, expected %r" % (start + j, got[j],
                                                       want[j]))
    if len(bad) > interop.MAX_REPORTED:
        expect(False, "%d more records differ"
               % (len(bad) - interop.MAX_REPORTED))


def reader(name):
    want = expected()
    with Memory(name, readonly=True) as mem:
        records = Array(mem, "records", dtype=RECORD)
        published = Array(mem, "published", dtype=np.uint64)
        expect(len(records) == COUNT, "capacity %d" % len(records))
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Array(mem, "records", dtype="V24"),
                             "opening records with 24-byte elements")
        seen = 0
        while seen < COUNT:
            upto = interop.wait_published(published, seen)
            if upto > COUNT:
                interop.die("published %d > %d" % (upto, COUNT))
            for i in range(seen, upto):
                rec = records[i]
                expect(rec["id"] == want[i]["id"]
                       and rec["value"] == want[i]["value"]
                       and rec["kind"] == want[i]["kind"]
                       and rec["weight"] == want[i]["weight"]
                       and rec["label"] == want[i]["label"],
                       "record %d: %r, expected %r" % (i, rec, want[i]))
            check(records.data[seen:upto], want[seen:upto], seen)
            seen = upto
        check(np.asarray(records), want, 0)


if __name__ == "__main__":
    interop.main(writer, reader)
