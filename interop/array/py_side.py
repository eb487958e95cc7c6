# SPDX-License-Identifier: MIT
"""Scenario "array": Arrays of int32, int64, float32 and float64.

The writer creates NAME (4 MiB) with arrays "i32", "i64", "f32", "f64" of
COUNT elements and a uint64 array "published" of one element.  For each
index i in order it sets element i of the four arrays (one element at a
time, through the Array API), then atomically stores i + 1 into
published[0].  The reader follows published[0] while the writer runs and
compares every element bit for bit, then the whole arrays once more.

Values (identical in c_side.c): i32 = (int32)(i * 2654435761 mod 2^32),
i64 = (int64)(i * 0x9E3779B97F4A7C15 mod 2^64), f32 = i * 0.5f - 1000,
f64 = i / 3.0, except that elements 0-3 of the float arrays hold -0.0, an
infinity, the smallest subnormal and a NaN with a payload.
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

COUNT = 5000
TYPES = {"i32": np.int32, "i64": np.int64, "f32": np.float32,
         "f64": np.float64}
BITS = {"i32": np.uint32, "i64": np.uint64, "f32": np.uint32,
        "f64": np.uint64}


def expected():
    """The values of every array, as arrays of their own dtype."""
    i = np.arange(COUNT, dtype=np.uint64)
    want = {
        "i32": ((i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF))
        .astype(np.uint32).view(np.int32),
        "i64": (i * np.uint64(0x9E3779B97F4A7C15)).view(np.int64),
        "f32": np.arange(COUNT, dtype=np.float32) * np.float32(0.5)
        - np.float32(1000),
        "f64": np.arange(COUNT, dtype=np.float64) / 3.0,
    }
    want["f32"].view(np.uint32)[:4] = [0x80000000, 0x7F800000, 0x00000001,
                                       0x7FC12345]
    want["f64"].view(np.uint64)[:4] = [0x8000000000000000,
                                       0xFFF0000000000000, 0x1,
                                       0x7FF80000000ABCDE]
    return want


def writer(name, fifo):
    want = expected()
    with Memory(name, 4 << 20, exclusive=True) as mem:
        arrays = {k: Array(mem, k, COUNT, dtype=t) for k, t in TYPES.items()}
        published = Array(mem, "published", 1, dtype=np.uint64)
        interop.signal_ready(fifo)
        for i in range(COUNT):
            for key, arr in arrays.items():
                arr[i] = want[key][i]
            # After the data: the reader's atomic load of it pairs here.
            published.store(0, i + 1)


def compare(key, got, want, start):
    bad = np.flatnonzero(got.view(BITS[key]) != want.view(BITS[key]))
    for j in bad[:interop.MAX_REPORTED]:
        expect(False, "%s[%d] = %r (bits %x), expected %r (bits %x)" % (
            key, start + j, got[j], got.view(BITS[key])[j], want[j],
            want.view(BITS[key])[j]))
    if len(bad) > interop.MAX_REPORTED:
        expect(False, "%s: %d more mismatches" % (
            key, len(bad) - interop.MAX_REPORTED))


def reader(name):
    want = expected()
    with Memory(name, readonly=True) as mem:
        arrays = {k: Array(mem, k, dtype=t) for k, t in TYPES.items()}
        published = Array(mem, "published", dtype=np.uint64)
        for key, arr in arrays.items():
            expect(len(arr) == COUNT and arr.elem_size == arr.dtype.itemsize,
                   "%s: %d elements of %d bytes" % (key, len(arr),
                                                    arr.elem_size))
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Array(mem, "i32", dtype=np.int64),
                             "opening i32 as int64")

        # Live: check each element as soon as it is published.
        seen = 0
        while seen < COUNT:
            upto = interop.wait_published(published, seen)
            if upto > COUNT:
                interop.die("published %d > %d" % (upto, COUNT))
            for key, arr in arrays.items():
                for i in range(seen, upto):
                    got = arr[i]
                    if got.view(BITS[key]) != want[key][i:i + 1].view(
                            BITS[key])[0]:
                        compare(key, arr.data[i:i + 1], want[key][i:i + 1],
                                i)
            seen = upto

        # Again through the zero-copy views, all at once.
        for key, arr in arrays.items():
            compare(key, np.asarray(arr), want[key], 0)


if __name__ == "__main__":
    interop.main(writer, reader)
