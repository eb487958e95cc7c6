# SPDX-License-Identifier: MIT
"""Scenario "ring": a stream of records handed across languages through a
Ring, live (the reader consumes while the writer produces).

The writer creates NAME (1 MiB) with the ring "live" of RECORD (24 bytes),
capacity LIVE_CAP = 37 elements (888 bytes: not a power of two), writes
records 0 .. REST-1 before signalling, then records REST .. COUNT-1 after
it, waiting up to 30 s for space each time.  It cycles through every way of
writing: one element at a time (blocking), a bulk write of CHUNK elements,
and a zero-copy reserve/fill/commit of up to CHUNK.

The reader checks that opening with the wrong element size fails, that at
least REST records are there at once, then reads until it has COUNT
records, cycling through one at a time (blocking), bulk reads of up to
CHUNK and zero-copy peek/check/release of up to CHUNK (releasing part of
what it peeked), and checks that every record arrives once, in order,
intact, that nothing follows the last one and that the ring is valid.

Record k (identical in c_side.c): seq = k (u64), check = k * 2654435761
mod 2^32 (u32), tag = k mod 251 (u32), value = k / 8.0 (f64).
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
import interop  # noqa: E402
from interop import expect  # noqa: E402

import zeroipc  # noqa: E402
from zeroipc import Memory, Ring  # noqa: E402

COUNT = 20000
REST = 20
LIVE_CAP = 37
CHUNK = 13
WAIT_S = 30.0

# struct record { uint64_t seq; uint32_t check; uint32_t tag; double value; }
RECORD = np.dtype({
    "names": ["seq", "check", "tag", "value"],
    "formats": ["<u8", "<u4", "<u4", "<f8"],
    "offsets": [0, 8, 12, 16],
    "itemsize": 24,
})


def make_records(first, n):
    k = np.arange(first, first + n, dtype=np.uint64)
    out = np.zeros(n, dtype=RECORD)
    out["seq"] = k
    out["check"] = (k * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    out["tag"] = k % np.uint64(251)
    out["value"] = k / 8.0
    return out


def check_records(got, first, what):
    want = make_records(first, len(got))
    if got.tobytes() == want.tobytes():
        return
    for i in range(len(got)):
        if got[i].tobytes() != want[i].tobytes():
            expect(False, "%s: record %d is %r" % (what, first + i, got[i]))
            return


def writer(name, fifo):
    with Memory(name, 1 << 20, exclusive=True) as mem:
        ring = Ring(mem, "live", LIVE_CAP, dtype=RECORD)
        if ring.write(make_records(0, REST)) != REST:
            interop.die("the first %d records did not fit" % REST)
        interop.signal_ready(fifo)
        k, step = REST, 0
        while k < COUNT:
            want = min(CHUNK, COUNT - k)
            kind, step = step % 3, step + 1
            if kind == 0:
                if not ring.push(make_records(k, 1)[0], timeout=WAIT_S):
                    interop.die("no space within %.0f s (record %d)"
                                % (WAIT_S, k))
                k += 1
            elif kind == 1:
                n = ring.write(make_records(k, want), timeout=WAIT_S)
                if n != want:
                    interop.die("wrote %d of %d at record %d" % (n, want, k))
                k += n
            else:
                region = ring.reserve(want, timeout=WAIT_S)
                if len(region) == 0:
                    interop.die("nothing to reserve within %.0f s (record "
                                "%d)" % (WAIT_S, k))
                region[:] = make_records(k, len(region))
                n = len(region)
                del region
                ring.commit(n)
                k += n
        ring.close()


def reader(name):
    with Memory(name) as mem:
        interop.expect_error(zeroipc.SizeMismatch,
                             lambda: Ring(mem, "live", dtype=np.uint64),
                             "opening live with 8-byte elements")
        ring = Ring(mem, "live", dtype=RECORD)
        expect(ring.capacity == LIVE_CAP, "capacity %d" % ring.capacity)
        expect(len(ring) >= REST, "only %d records at start" % len(ring))
        nxt, step = 0, 0
        while nxt < COUNT:
            kind, step = step % 3, step + 1
            if kind == 0:
                r = ring.pop(timeout=WAIT_S)
                if r is None:
                    interop.die("nothing within %.0f s after %d records"
                                % (WAIT_S, nxt))
                check_records(np.array([r], dtype=RECORD), nxt, "pop")
                nxt += 1
            elif kind == 1:
                got = ring.read(CHUNK, timeout=WAIT_S)
                if len(got) == 0:
                    interop.die("nothing within %.0f s after %d records"
                                % (WAIT_S, nxt))
                check_records(got, nxt, "read")
                nxt += len(got)
            else:
                view = ring.peek(CHUNK, timeout=WAIT_S)
                if len(view) == 0:
                    interop.die("nothing within %.0f s after %d records"
                                % (WAIT_S, nxt))
                check_records(view, nxt, "peek")
                # Keep the last one for the next call.
                n = len(view) - 1 if len(view) > 1 else 1
                del view
                ring.release(n)
                nxt += n
        expect(ring.pop() is None, "records after the last one")
        ring.validate()
        ring.close()


if __name__ == "__main__":
    interop.main(writer, reader)
