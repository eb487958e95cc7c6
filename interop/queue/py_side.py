# SPDX-License-Identifier: MIT
"""Scenario "queue": records and numbers handed across languages through
Queues, live (both sides run at the same time).

The writer creates NAME (1 MiB) with three queues:
  "rest"   capacity REST, RECORD (16 bytes): records 0 .. REST-1 pushed
           before signalling;
  "live"   capacity LIVE_CAP, RECORD: after signalling, records
           0 .. COUNT-1, alternately one push and a push_n of up to 5,
           waiting up to 30 s for space each time;
  "stream" capacity STREAM_CAP, uint64, opened by the writer as the single
           producer: after signalling, the numbers 0 .. STREAM_COUNT-1 * 3
           (each k pushed as 3k), in runs of up to 64.

The reader checks "rest" exactly (records 0 .. REST-1 in order, then empty,
valid at rest); that opening "live" with the wrong element size fails; pops
"live" (alternately pop and pop_n of up to 7, waiting up to 30 s) until it
has COUNT records, each intact and in order 0, 1, 2, ... (one producer:
FIFO); and pops "stream" as its single consumer, in runs, checking 0, 3, 6,
... in order.  At the end both queues are empty and valid.

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
from zeroipc import Memory, Queue  # noqa: E402

COUNT = 20000
LIVE_CAP = 16
REST = 8
STREAM_CAP = 256
STREAM_COUNT = 200000
WAIT_S = 30.0

# struct record { uint32_t id; uint32_t check; double value; }
RECORD = np.dtype({
    "names": ["id", "check", "value"],
    "formats": ["<u4", "<u4", "<f8"],
    "offsets": [0, 4, 8],
    "itemsize": 16,
})


def make_records(first, n):
    k = np.arange(first, first + n, dtype=np.uint64)
    out = np.zeros(n, dtype=RECORD)
    out["id"] = k
    out["check"] = (k * 2654435761) & 0xFFFFFFFF
    out["value"] = k / 4.0
    return out


def writer(name, fifo):
    with Memory(name, 1 << 20, exclusive=True) as mem:
        rest = Queue(mem, "rest", REST, dtype=RECORD)
        live = Queue(mem, "live", LIVE_CAP, dtype=RECORD)
        stream = Queue(mem, "stream", STREAM_CAP, dtype=np.uint64,
                       single_producer=True)
        for r in make_records(0, REST):
            if not rest.push(r):
                interop.die("push onto rest failed at %d" % r["id"])
        interop.signal_ready(fifo)
        k = 0
        while k < COUNT:
            want = min(5 if (k // 3) % 2 else 1, COUNT - k)
            recs = make_records(k, want)
            if want == 1:
                n = 1 if live.push(recs[0], timeout=WAIT_S) else 0
            else:
                n = live.push_many(recs, timeout=WAIT_S)
            if n == 0:
                interop.die("no space on live within %.0f s (record %d)"
                            % (WAIT_S, k))
            k += n
        k = 0
        while k < STREAM_COUNT:
            want = min(64, STREAM_COUNT - k)
            nums = 3 * np.arange(k, k + want, dtype=np.uint64)
            n = stream.push_many(nums, timeout=WAIT_S)
            if n == 0:
                interop.die("no space on stream within %.0f s (%d)"
                            % (WAIT_S, k))
            k += n
        stream.close()


def reader(name):
    with Memory(name) as mem:
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Queue(mem, "live", dtype=np.uint64),
                             "opening live with 8-byte elements")
        rest = Queue(mem, "rest", dtype=RECORD)
        live = Queue(mem, "live", dtype=RECORD)
        stream = Queue(mem, "stream", dtype=np.uint64, single_consumer=True)
        expect(live.capacity == LIVE_CAP, "live capacity %d" % live.capacity)

        rest.validate()
        expect(len(rest) == REST, "rest size %d" % len(rest))
        want = make_records(0, REST)
        for k in range(REST):
            r = rest.pop()
            if r is None:
                interop.die("rest empty early, expected id %d" % k)
            expect(r == want[k], "rest pop %r, expected %r" % (r, want[k]))
        expect(rest.pop() is None, "rest not empty after %d pops" % REST)
        rest.validate()

        got = 0
        while got < COUNT:
            if got % 2:
                recs = live.pop_many(7, timeout=WAIT_S)
            else:
                r = live.pop(timeout=WAIT_S)
                recs = [] if r is None else np.array([r], dtype=RECORD)
            if len(recs) == 0:
                interop.die("nothing to pop within %.0f s after %d records"
                            % (WAIT_S, got))
            want = make_records(got, len(recs))
            for i in range(len(recs)):
                expect(recs[i] == want[i], "live: %r, expected %r"
                       % (recs[i], want[i]))
            got += len(recs)
        got = 0
        while got < STREAM_COUNT:
            nums = stream.pop_many(100, timeout=WAIT_S)
            if len(nums) == 0:
                interop.die("nothing on stream within %.0f s after %d"
                            % (WAIT_S, got))
            want = 3 * np.arange(got, got + len(nums), dtype=np.uint64)
            if not np.array_equal(nums, want):
                bad = int(np.flatnonzero(nums != want)[0])
                expect(False, "stream: %d, expected %d"
                       % (nums[bad], want[bad]))
            got += len(nums)
        expect(live.pop() is None, "live not empty at the end")
        stream.close()
        live.validate()
        Queue(mem, "stream", dtype=np.uint64).validate()


if __name__ == "__main__":
    interop.main(writer, reader)
