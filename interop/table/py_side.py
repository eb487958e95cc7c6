# SPDX-License-Identifier: MIT
"""Scenario "table": a segment and its table of raw entries.

The writer creates NAME (1 MiB, 100 table entries, not the default 64),
then adds "entry_00".."entry_39", entry i of 1 + 37 * i bytes with byte k
equal to (31 * i + 7 * k) & 0xff, and finally "done".  The reader follows
the entries as they appear, then, once "done" is there, checks names,
sizes, alignment, overlap, lookups and every byte.  c_side.c is the same
in C.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "common"))
import interop  # noqa: E402
from interop import expect  # noqa: E402

import zeroipc  # noqa: E402
from zeroipc import Memory  # noqa: E402

SEGMENT_SIZE = 1 << 20
MAX_ENTRIES = 100
ENTRIES = 40


def entry_size(i):
    return 1 + 37 * i


def entry_bytes(i):
    k = np.arange(entry_size(i), dtype=np.uint64)
    return ((31 * i + 7 * k) & 0xFF).astype(np.uint8)


def writer(name, fifo):
    with Memory(name, SEGMENT_SIZE, MAX_ENTRIES, exclusive=True) as mem:
        interop.signal_ready(fifo)
        for i in range(ENTRIES):
            entry = mem.table.add("entry_%02d" % i, entry_size(i))
            mem.region(entry.name)[:] = entry_bytes(i)
        # Added last: the reader checks contents only after it appears.
        mem.table.add("done", 8)


def check_entry(e, i):
    expect(e.name == "entry_%02d" % i, "entry %d is named %s" % (i, e.name))
    expect(e.size == entry_size(i), "entry %d has %d bytes, not %d"
           % (i, e.size, entry_size(i)))


def reader(name):
    with Memory(name, readonly=True) as mem:
        table = mem.table
        expect(table.capacity == MAX_ENTRIES, "capacity %d" % table.capacity)
        expect(mem.size == SEGMENT_SIZE, "segment size %d" % mem.size)

        # Live: check each entry as it is published, until "done".
        seen = 0
        end = time.monotonic() + interop.DEADLINE_S
        while "done" not in table:
            count = len(table)
            while seen < min(count, ENTRIES):
                check_entry(table[seen], seen)
                seen += 1
            if time.monotonic() > end:
                interop.die("no 'done' entry after %.0f s"
                            % interop.DEADLINE_S)
            os.sched_yield()

        entries = list(table)
        expect(len(entries) == ENTRIES + 1, "%d entries" % len(entries))
        prev = None
        for i, e in enumerate(entries[:ENTRIES]):
            check_entry(e, i)
            expect(e.offset % 8 == 0, "entry %d unaligned at %d"
                   % (i, e.offset))
            expect(prev is None or e.offset >= prev.offset + prev.size,
                   "entry %d overlaps entry %d" % (i, i - 1))
            expect(table[e.name] == e, "lookup of %s disagrees" % e.name)
            got = mem.region(e.name)
            want = entry_bytes(i)
            if got.shape != want.shape:
                expect(False, "entry %d region has %d bytes" % (i, got.size))
            else:
                bad = np.flatnonzero(got != want)
                expect(len(bad) == 0, "entry %d: %d bytes differ, first at %s"
                       % (i, len(bad), bad[:1]))
            prev = e
        expect(entries[-1].name == "done", "last entry %s" % entries[-1].name)
        expect(table.find("absent") is None, "found an absent entry")
        interop.expect_error(zeroipc.NotFound, lambda: table["absent"],
                             "table['absent']")
        mem.validate()


if __name__ == "__main__":
    interop.main(writer, reader)
