# SPDX-License-Identifier: MIT
"""Python Queue benchmark: messages across two processes through cffi.

Cases (names start with the family, as bench/run expects):

  py_queue_single       push()/pop() of one int64 per call, default
                        (MPMC-safe) handles; goal >= 3 M msg/s
  py_queue_batch        push_many() of 256 / pop_many() of up to 4096 as
                        NumPy arrays, default handles; goal >= 50 M items/s
  py_queue_spsc_single  as py_queue_single with single-producer /
                        single-consumer handles
  py_queue_spsc_batch   as py_queue_batch with those handles

The producer (this process, CPU 0) and the consumer (a forked child,
CPU 1) start together; every message is its sequence number, and the
consumer checks that nothing is lost, repeated or reordered (a round with
errors fails).  Rate = messages / consumer time from the start to the end
marker.  The queue holds 4096 elements, as the reference ring does.

    bench_queue.py --list                protocol of bench/run: case names
    bench_queue.py --case NAME [--quick] protocol of bench/run: one round
    bench_queue.py [--quick]             every case once, RESULT lines

Needs the zeroipc package and the library: PYTHONPATH=python and
ZEROIPC_LIBRARY=BUILD/libzeroipc.so.1 (bench/run sets both).
"""
from __future__ import annotations

import argparse
import math
import mmap
import os
import struct
import sys
import time

import numpy as np

from zeroipc import Memory, Queue

CAPACITY = 4096
PUSH_BATCH = 256
POP_BATCH = 4096
END = -1
FOREVER = math.inf

CASES = {
    # name: (batched, single mode, goal in M msg/s, reference)
    "py_queue_single": (False, False, 3.0, "ring"),
    "py_queue_batch": (True, False, 50.0, "batch"),
    "py_queue_spsc_single": (False, True, 3.0, "ring"),
    "py_queue_spsc_batch": (True, True, 50.0, "batch"),
}

# Control block shared with the child: ready, go, count, bad, seconds.
_CTL = struct.Struct("qqqqd")


def _pin(cpu: int) -> None:
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def _ctl_get(ctl: mmap.mmap, field: int) -> float:
    return _CTL.unpack_from(ctl, 0)[field]


def _ctl_set(ctl: mmap.mmap, field: int, value: float) -> None:
    vals = list(_CTL.unpack_from(ctl, 0))
    vals[field] = value
    _CTL.pack_into(ctl, 0, *vals)


def _consume_single(q: Queue) -> tuple[int, int]:
    pop = q.pop
    expect = bad = 0
    while True:
        v = pop(FOREVER)
        if v == END:
            return expect, bad
        if v != expect:
            bad += 1
        expect = int(v) + 1


def _consume_batch(q: Queue) -> tuple[int, int]:
    pop_many = q.pop_many
    base = np.arange(POP_BATCH, dtype=np.int64)
    expect = bad = 0
    while True:
        out = pop_many(POP_BATCH, FOREVER)
        n = len(out)
        if out[n - 1] == END:
            out = out[:n - 1]
            n -= 1
            if n == 0:
                return expect, bad
            done = True
        else:
            done = False
        # One vector comparison: lost, repeated and reordered all show.
        if not np.array_equal(out, base[:n] + expect):
            bad += 1
        expect = int(out[n - 1]) + 1
        if done:
            return expect, bad


def _produce_single(q: Queue, seconds: float) -> None:
    push = q.push
    seq = 0
    t0 = time.perf_counter()
    while True:
        stop = seq + 4096
        while seq < stop:
            push(seq, FOREVER)
            seq += 1
        if time.perf_counter() - t0 >= seconds:
            break
    push(END, FOREVER)


def _produce_batch(q: Queue, seconds: float) -> None:
    push_many = q.push_many
    base = np.arange(PUSH_BATCH, dtype=np.int64)
    seq = 0
    t0 = time.perf_counter()
    while True:
        for _ in range(64):
            sent = 0
            items = base + seq
            while sent < PUSH_BATCH:
                sent += push_many(items[sent:], FOREVER)
            seq += PUSH_BATCH
        if time.perf_counter() - t0 >= seconds:
            break
    push_many(np.array([END], dtype=np.int64), FOREVER)


def run_case(name: str, quick: bool) -> int:
    batched, single, goal, ref = CASES[name]
    seconds = 0.15 if quick else 0.4
    seg_name = "/zi_bench_pyq_%d" % os.getpid()
    Memory.unlink(seg_name, missing_ok=True)
    mem = Memory(seg_name, 1 << 20, exclusive=True)
    # The mapping is inherited by the child; nothing is left behind if a
    # round dies.
    Memory.unlink(seg_name)
    Queue(mem, "fwd", CAPACITY, dtype=np.int64).close()
    ctl = mmap.mmap(-1, _CTL.size)
    _CTL.pack_into(ctl, 0, 0, 0, 0, 0, 0.0)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _pin(1)
            q = Queue(mem, "fwd", dtype=np.int64,
                      single_consumer=single)
            _ctl_set(ctl, 0, 1)
            while _ctl_get(ctl, 1) == 0:
                pass
            t0 = time.perf_counter()
            count, bad = (_consume_batch if batched
                          else _consume_single)(q)
            elapsed = time.perf_counter() - t0
            vals = list(_CTL.unpack_from(ctl, 0))
            vals[2], vals[3], vals[4] = count, bad, elapsed
            _CTL.pack_into(ctl, 0, *vals)
            q.close()
            status = 0
        finally:
            os._exit(status)
    _pin(0)
    q = Queue(mem, "fwd", dtype=np.int64, single_producer=single)
    deadline = time.monotonic() + 30
    while _ctl_get(ctl, 0) == 0:
        if time.monotonic() > deadline or os.waitpid(pid, os.WNOHANG)[0]:
            print("%s: the consumer did not start" % name, file=sys.stderr)
            return 2
        time.sleep(0.001)
    _ctl_set(ctl, 1, 1)
    (_produce_batch if batched else _produce_single)(q, seconds)
    _, status = os.waitpid(pid, 0)
    q.close()
    mem.close()
    if status != 0:
        print("%s: consumer failed (status %#x)" % (name, status),
              file=sys.stderr)
        return 2
    _, _, count, bad, elapsed = _CTL.unpack_from(ctl, 0)
    rate = count / elapsed / 1e6
    print("RESULT case=%s metric=tput unit=Mmsg/s value=%.3f size=8 ref=%s "
          "n=%d bad=%d goal=%g" % (name, rate, ref, count, bad, goal),
          flush=True)
    if bad:
        print("%s: %d sequence errors" % (name, bad), file=sys.stderr)
        return 4
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true",
                    help="print the case names (bench/run protocol)")
    ap.add_argument("--case", help="run one round of one case and print "
                                   "RESULT lines (bench/run protocol)")
    ap.add_argument("--quick", action="store_true",
                    help="shorter rounds, for a sanity check")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(CASES))
        return 0
    if args.case:
        if args.case not in CASES:
            print("unknown case %r" % args.case, file=sys.stderr)
            return 2
        return run_case(args.case, args.quick)
    rc = 0
    for name in CASES:
        rc = max(rc, run_case(name, args.quick))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
