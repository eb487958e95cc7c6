# SPDX-License-Identifier: MIT
"""Scenario "stack": records handed across languages through a Stack, live.

The writer creates NAME (1 MiB) with two stacks of RECORD (16 bytes):
"rest" (capacity REST) and "live" (capacity LIVE_CAP).  Before signalling it
pushes records 0 .. REST-1 onto "rest"; after signalling it pushes records
0 .. COUNT-1 onto "live", waiting up to 30 s for space each time, since
COUNT is far above LIVE_CAP and the reader pops at the same time.

The reader checks "rest" exactly: top() is record REST-1, then pops give
REST-1 .. 0 (last in, first out) and the stack is empty and valid.  On
"live" it pops (waiting up to 30 s each) until it has COUNT records, peeking
now and then, and checks that every record is intact, that each id arrives
exactly once, and that opening with the wrong element size fails.

Record k (identical in c_side.c): id = k, check = k * 2654435761 mod 2^32,
value = k / 4.0.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
import interop  # noqa: E402
from interop import expect  # noqa: E402

import zeroipc  # noqa: E402
from zeroipc import Memory, Stack  # noqa: E402

COUNT = 5000
LIVE_CAP = 16
REST = 10
WAIT_S = 30.0

# struct record { uint32_t id; uint32_t check; double value; }
RECORD = np.dtype({
    "names": ["id", "check", "value"],
    "formats": ["<u4", "<u4", "<f8"],
    "offsets": [0, 4, 8],
    "itemsize": 16,
})


def make_record(k):
    return (k, (k * 2654435761) & 0xFFFFFFFF, k / 4.0)


def intact(r, limit):
    k = int(r["id"])
    if k >= limit:
        return False
    _, check, value = make_record(k)
    return int(r["check"]) == check and float(r["value"]) == value


def writer(name, fifo):
    with Memory(name, 1 << 20, exclusive=True) as mem:
        rest = Stack(mem, "rest", REST, dtype=RECORD)
        live = Stack(mem, "live", LIVE_CAP, dtype=RECORD)
        for k in range(REST):
            if not rest.push(make_record(k)):
                interop.die("push onto rest failed at %d" % k)
        interop.signal_ready(fifo)
        for k in range(COUNT):
            if not live.push(make_record(k), timeout=WAIT_S):
                interop.die("no space on live within %.0f s (record %d)"
                            % (WAIT_S, k))


def reader(name):
    with Memory(name) as mem:
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Stack(mem, "live", dtype=np.uint64),
                             "opening live with 8-byte elements")
        rest = Stack(mem, "rest", dtype=RECORD)
        live = Stack(mem, "live", dtype=RECORD)
        expect(live.capacity == LIVE_CAP, "live capacity %d" % live.capacity)

        rest.validate()
        expect(len(rest) == REST, "rest size %d" % len(rest))
        top = rest.top()
        expect(top is not None and int(top["id"]) == REST - 1
               and intact(top, REST), "rest top %r" % (top,))
        for k in reversed(range(REST)):
            r = rest.pop()
            if r is None:
                interop.die("rest empty early, expected id %d" % k)
            expect(int(r["id"]) == k and intact(r, REST),
                   "rest pop %r, expected id %d" % (r, k))
        expect(rest.pop() is None, "rest not empty after %d pops" % REST)
        rest.validate()

        seen = np.zeros(COUNT, dtype=np.uint8)
        got = 0
        while got < COUNT:
            if got % 97 == 0:
                t = live.top()
                if t is not None:
                    expect(intact(t, COUNT), "live top: broken %r" % (t,))
            r = live.pop(timeout=WAIT_S)
            if r is None:
                interop.die("nothing to pop within %.0f s after %d records"
                            % (WAIT_S, got))
            if not expect(intact(r, COUNT), "live: broken record %r" % (r,)):
                continue
            k = int(r["id"])
            expect(seen[k] == 0, "live: id %d popped twice" % k)
            seen[k] = 1
            got += 1
        expect(live.pop() is None, "live not empty at the end")
        live.validate()


if __name__ == "__main__":
    interop.main(writer, reader)
