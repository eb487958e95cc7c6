# SPDX-License-Identifier: MIT
"""The two-process driver the Python stream benchmarks share.

A round: create the structure in a fresh segment, fork a consumer (CPU 1),
run the producer here (CPU 0), both starting on a flag in a shared control
block; the consumer reports how many messages it checked, how many
sequence errors it saw and its time from the start to the end marker.
bench_queue.py and bench_ring.py supply the structure and its cases; the
loops, over its bound methods, are here.

Not a benchmark program itself: bench/run runs only ``bench_*.py``.
"""
from __future__ import annotations

import argparse
import math
import mmap
import os
import struct
import sys
import time
from typing import Any, Callable

import numpy as np

from zeroipc import Memory

CAPACITY = 4096         # elements, as the reference ring holds
END = -1                # the end marker; never a sequence number

# Control block shared with the child: ready, go, count, bad, seconds.
_CTL = struct.Struct("qqqqd")


def pin(cpu: int) -> None:
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def _get(ctl: mmap.mmap, i: int) -> float:
    return _CTL.unpack_from(ctl, 0)[i]


def _put(ctl: mmap.mmap, i: int, value: float) -> None:
    vals = list(_CTL.unpack_from(ctl, 0))
    vals[i] = value
    _CTL.pack_into(ctl, 0, *vals)


# -- sequence checks, shared by the loops of both programs -----------------

class BatchChecker:
    """Checks that the arrays a consumer receives, concatenated, are
    0, 1, 2, ...

    Every array's first and last element and its length are checked (as
    the reference benchmarks do): a lost or repeated element shifts every
    later one.  Every FULL_EVERY-th array is also compared element by
    element, which catches reordering inside an array; doing that for
    every array would cost more than moving it (several microseconds per
    NumPy comparison on the reference machine).
    """

    FULL_EVERY = 64

    def __init__(self, max_batch: int) -> None:
        self.base = np.arange(max_batch, dtype=np.int64)
        self.expect = 0
        self.bad = 0
        self.arrays = 0

    def check(self, got: np.ndarray) -> bool:
        """Check `got`; True once the end marker (its last element) came."""
        n = len(got)
        last = int(got[n - 1])
        done = last == END
        if done:
            n -= 1
            if n == 0:
                return True
            last = int(got[n - 1])
        expect = self.expect
        if int(got[0]) != expect or last != expect + n - 1:
            self.bad += 1
        else:
            self.arrays += 1
            if self.arrays % self.FULL_EVERY == 0 and not np.array_equal(
                    got[:n], self.base[:n] + expect):
                self.bad += 1
        self.expect = last + 1
        return done


# -- the loops, over a structure's bound methods ---------------------------

PUT_BATCH = 256         # elements per batched put
TAKE_BATCH = 4096       # at most this many per batched take
FOREVER = math.inf


def consume_single(take: Callable[..., Any],
                   timeout: float | None) -> tuple[int, int]:
    """Take single values (None: nothing there, retry) until the end
    marker; (messages checked, sequence errors)."""
    expect = bad = 0
    while True:
        v = take(timeout)
        if v is None:
            continue
        if v != expect:
            if v == END:
                return expect, bad
            bad += 1
            expect = int(v)
        expect += 1


def produce_single(put: Callable[..., bool], seconds: float,
                   timeout: float | None) -> None:
    """Put 0, 1, 2, ... one by one (a refused put is retried) for about
    `seconds`, then the end marker."""
    seq = 0
    t0 = time.perf_counter()
    while True:
        stop = seq + 4096
        while seq < stop:
            if put(seq, timeout):
                seq += 1
        if time.perf_counter() - t0 >= seconds:
            break
    while not put(END, timeout):
        pass


def consume_batch(take: Callable[..., np.ndarray],
                  timeout: float | None) -> tuple[int, int]:
    """Take arrays into one preallocated array until the end marker."""
    out = np.empty(TAKE_BATCH, dtype=np.int64)
    checker = BatchChecker(TAKE_BATCH)
    check = checker.check
    while True:
        got = take(TAKE_BATCH, timeout, out=out)
        if len(got) and check(got):
            return checker.expect, checker.bad


def produce_batch(put: Callable[..., int], seconds: float,
                  timeout: float | None) -> None:
    """Put 0, 1, 2, ... in arrays of PUT_BATCH (one array, refilled in
    place) for about `seconds`, then the end marker."""
    items = np.arange(PUT_BATCH, dtype=np.int64)
    t0 = time.perf_counter()
    while True:
        for _ in range(64):
            sent = put(items, timeout)
            while sent < PUT_BATCH:
                sent += put(items[sent:], timeout)
            items += PUT_BATCH
        if time.perf_counter() - t0 >= seconds:
            break
    while not put(np.array([END], dtype=np.int64), timeout):
        pass


def stream_loops(batched: bool, block: bool, put: str, take: str,
                 put_many: str, take_many: str) -> tuple[Callable, Callable]:
    """(consume, produce) for run_case(): the loops above over the named
    methods of the structure (single or batched), waiting without limit
    in the library (`block`) or busy-polling."""
    timeout = FOREVER if block else None
    if batched:
        def consume(s: Any) -> tuple[int, int]:
            return consume_batch(getattr(s, take_many), timeout)

        def produce(s: Any, seconds: float) -> None:
            produce_batch(getattr(s, put_many), seconds, timeout)
    else:
        def consume(s: Any) -> tuple[int, int]:
            return consume_single(getattr(s, take), timeout)

        def produce(s: Any, seconds: float) -> None:
            produce_single(getattr(s, put), seconds, timeout)
    return consume, produce


def run_case(name: str, quick: bool, create: Callable[[Memory], None],
             open_side: Callable[[Memory, bool], Any],
             consume: Callable[[Any], tuple[int, int]],
             produce: Callable[[Any, float], None],
             ref: str, extra: str = "") -> int:
    """One round of one case; prints its RESULT line, returns the exit
    status.  `open_side(mem, producer)` opens this process's end (and makes
    it the producer or consumer now, so that no first-use cost is timed);
    `consume(end)` returns (messages, sequence errors); `produce(end,
    seconds)` sends for that long, then the end marker."""
    seconds = 0.15 if quick else 0.4
    seg_name = "/zi_bench_py_%s_%d" % (name, os.getpid())
    Memory.unlink(seg_name, missing_ok=True)
    mem = Memory(seg_name, 1 << 20, exclusive=True)
    # The child inherits the mapping: no name is left behind if a round
    # dies.
    Memory.unlink(seg_name)
    create(mem)
    ctl = mmap.mmap(-1, _CTL.size)
    _CTL.pack_into(ctl, 0, 0, 0, 0, 0, 0.0)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            pin(1)
            end = open_side(mem, False)
            _put(ctl, 0, 1)
            while _get(ctl, 1) == 0:
                pass
            t0 = time.perf_counter()
            count, bad = consume(end)
            elapsed = time.perf_counter() - t0
            vals = list(_CTL.unpack_from(ctl, 0))
            vals[2], vals[3], vals[4] = count, bad, elapsed
            _CTL.pack_into(ctl, 0, *vals)
            end.close()
            status = 0
        finally:
            os._exit(status)
    pin(0)
    end = open_side(mem, True)
    deadline = time.monotonic() + 30
    while _get(ctl, 0) == 0:
        if time.monotonic() > deadline or os.waitpid(pid, os.WNOHANG)[0]:
            print("%s: the consumer did not start" % name, file=sys.stderr)
            return 2
        time.sleep(0.001)
    _put(ctl, 1, 1)
    produce(end, seconds)
    _, status = os.waitpid(pid, 0)
    end.close()
    mem.close()
    if status != 0:
        print("%s: consumer failed (status %#x)" % (name, status),
              file=sys.stderr)
        return 2
    _, _, count, bad, elapsed = _CTL.unpack_from(ctl, 0)
    print("RESULT case=%s metric=tput unit=Mmsg/s value=%.3f size=8 ref=%s "
          "n=%d bad=%d%s" % (name, count / elapsed / 1e6, ref, count, bad,
                             extra), flush=True)
    if bad:
        print("%s: %d sequence errors" % (name, bad), file=sys.stderr)
        return 4
    return 0


def main(doc: str, cases: dict[str, Any],
         run: Callable[[str, bool], int], argv: list[str]) -> int:
    """The command line of a benchmark program (bench/run's protocol)."""
    ap = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true",
                    help="print the case names (bench/run protocol)")
    ap.add_argument("--case", help="run one round of one case and print "
                                   "RESULT lines (bench/run protocol)")
    ap.add_argument("--quick", action="store_true",
                    help="shorter rounds, for a sanity check")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(cases))
        return 0
    if args.case:
        if args.case not in cases:
            print("unknown case %r" % args.case, file=sys.stderr)
            return 2
        return run(args.case, args.quick)
    rc = 0
    for name in cases:
        rc = max(rc, run(name, args.quick))
    return rc
