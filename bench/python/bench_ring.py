# SPDX-License-Identifier: MIT
"""Python Ring benchmark: a stream across two processes through cffi.

Cases (names start with the family, as bench/run expects):

  py_ring_single  push()/pop() of one int64 per call (blocking calls)
  py_ring_batch   write() of 256 / read() of up to 4096 as NumPy arrays

The producer (this process, CPU 0) and the consumer (a forked child,
CPU 1) start together; every element is its sequence number and the
consumer checks that nothing is lost, repeated or reordered (a round with
errors fails).  Rate = elements / consumer time from the start to the end
marker.  The ring holds 4096 elements, as the reference ring does.

    bench_ring.py --list                protocol of bench/run: case names
    bench_ring.py --case NAME [--quick] protocol of bench/run: one round
    bench_ring.py [--quick]             every case once, RESULT lines

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

from zeroipc import Memory, Ring

CAPACITY = 4096
WRITE_BATCH = 256
READ_BATCH = 4096
END = -1
FOREVER = math.inf

# name: (batched, reference in bench/run)
CASES = {
    "py_ring_single": (False, "ring"),
    "py_ring_batch": (True, "batch"),
}

# Shared with the child: ready, go, count, bad, seconds.
_CTL = struct.Struct("qqqqd")


def _pin(cpu: int) -> None:
    try:
        os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def _get(ctl: mmap.mmap, i: int) -> float:
    return _CTL.unpack_from(ctl, 0)[i]


def _put(ctl: mmap.mmap, **kw: float) -> None:
    vals = list(_CTL.unpack_from(ctl, 0))
    for i, key in enumerate(("ready", "go", "count", "bad", "seconds")):
        if key in kw:
            vals[i] = kw[key]
    _CTL.pack_into(ctl, 0, *vals)


def _consume_single(ring: Ring) -> tuple[int, int]:
    pop = ring.pop
    expect = bad = 0
    while True:
        v = int(pop(FOREVER))
        if v == END:
            return expect, bad
        bad += v != expect
        expect = v + 1


def _consume_batch(ring: Ring) -> tuple[int, int]:
    read = ring.read
    expect = bad = 0
    while True:
        out = read(READ_BATCH, FOREVER)
        n = len(out)
        done = out[n - 1] == END
        if done:
            out, n = out[:n - 1], n - 1
        if n:
            # Consecutive numbers starting at `expect`, cheaply checked.
            if out[0] != expect or out[n - 1] != expect + n - 1 or (
                    n > 2 and (np.diff(out) != 1).any()):
                bad += 1
            expect = int(out[n - 1]) + 1
        if done:
            return expect, bad


def _produce_single(ring: Ring, seconds: float) -> None:
    push = ring.push
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


def _produce_batch(ring: Ring, seconds: float) -> None:
    write = ring.write
    base = np.arange(WRITE_BATCH, dtype=np.int64)
    seq = 0
    t0 = time.perf_counter()
    while True:
        for _ in range(64):
            write(base + seq, FOREVER)
            seq += WRITE_BATCH
        if time.perf_counter() - t0 >= seconds:
            break
    write(np.array([END], dtype=np.int64), FOREVER)


def run_case(name: str, quick: bool) -> int:
    batched, ref = CASES[name]
    seconds = 0.15 if quick else 0.4
    seg = "/zi_bench_pyring_%d" % os.getpid()
    Memory.unlink(seg, missing_ok=True)
    mem = Memory(seg, 1 << 20, exclusive=True)
    # The child inherits the mapping: no name is left behind if a round
    # dies.
    Memory.unlink(seg)
    Ring(mem, "fwd", CAPACITY, dtype=np.int64).close()
    ctl = mmap.mmap(-1, _CTL.size)
    _CTL.pack_into(ctl, 0, 0, 0, 0, 0, 0.0)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            _pin(1)
            ring = Ring(mem, "fwd", dtype=np.int64)
            ring.read(0)                  # become the consumer now
            _put(ctl, ready=1)
            while _get(ctl, 1) == 0:
                pass
            t0 = time.perf_counter()
            count, bad = (_consume_batch if batched
                          else _consume_single)(ring)
            _put(ctl, count=count, bad=bad,
                 seconds=time.perf_counter() - t0)
            ring.close()
            status = 0
        finally:
            os._exit(status)
    _pin(0)
    ring = Ring(mem, "fwd", dtype=np.int64)
    ring.write([])                        # become the producer now
    deadline = time.monotonic() + 30
    while _get(ctl, 0) == 0:
        if time.monotonic() > deadline or os.waitpid(pid, os.WNOHANG)[0]:
            print("%s: the consumer did not start" % name, file=sys.stderr)
            return 2
        time.sleep(0.001)
    _put(ctl, go=1)
    (_produce_batch if batched else _produce_single)(ring, seconds)
    _, status = os.waitpid(pid, 0)
    ring.close()
    mem.close()
    if status != 0:
        print("%s: consumer failed (status %#x)" % (name, status),
              file=sys.stderr)
        return 2
    _, _, count, bad, elapsed = _CTL.unpack_from(ctl, 0)
    print("RESULT case=%s metric=tput unit=Mmsg/s value=%.3f size=8 ref=%s "
          "n=%d bad=%d" % (name, count / elapsed / 1e6, ref, count, bad),
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
