# SPDX-License-Identifier: MIT
"""Python Ring benchmark: a stream across two processes through cffi.

Cases (names start with the family, as bench/run expects); each element is
one int64:

  py_ring_single        push()/pop() without a timeout, retried until they
                        succeed (busy-polling, as the reference Python
                        ring does)
  py_ring_single_block  push(v, math.inf)/pop(math.inf): the library waits
                        (spins, then sleeps in the kernel, and the other
                        side pays for waking it)
  py_ring_batch         write() of 256 / read() of up to 4096 into a
                        preallocated array, busy-polling
  py_ring_batch_block   the same with a timeout of math.inf

The single-element cases are compared with the reference ring called
through cffi ABI mode from Python ("py cffi_abi 8B" of ../shared/peers),
the batched ones with its batched mode ("py cffi_abi batch256 8B").  The
producer (this process, CPU 0) and the consumer (a forked child, CPU 1)
start together; every element is its sequence number and the consumer
checks that nothing is lost, repeated or reordered (a round with errors
fails).  Rate = elements / consumer time from the start to the end
marker.  The ring holds 4096 elements, as the reference ring does.

    bench_ring.py --list                protocol of bench/run: case names
    bench_ring.py --case NAME [--quick] protocol of bench/run: one round
    bench_ring.py [--quick]             every case once, RESULT lines

Needs the zeroipc package and the library: PYTHONPATH=python and
ZEROIPC_LIBRARY=BUILD/libzeroipc.so.1 (bench/run sets both).
"""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from _driver import CAPACITY, END, BatchChecker, main, run_case
from zeroipc import Memory, Ring

WRITE_BATCH = 256
READ_BATCH = 4096
FOREVER = math.inf

# name: (batched, blocking)
CASES = {
    "py_ring_single": (False, False),
    "py_ring_single_block": (False, True),
    "py_ring_batch": (True, False),
    "py_ring_batch_block": (True, True),
}


def _consume_single(ring: Ring) -> tuple[int, int]:
    pop = ring.pop
    expect = bad = 0
    while True:
        v = pop()
        if v is None:
            continue
        if v != expect:
            if v == END:
                return expect, bad
            bad += 1
            expect = int(v)
        expect += 1


def _consume_single_block(ring: Ring) -> tuple[int, int]:
    pop = ring.pop
    expect = bad = 0
    while True:
        v = pop(FOREVER)
        if v != expect:
            if v == END:
                return expect, bad
            bad += 1
            expect = int(v)
        expect += 1


def _produce_single(ring: Ring, seconds: float) -> None:
    push = ring.push
    seq = 0
    t0 = time.perf_counter()
    while True:
        stop = seq + 4096
        while seq < stop:
            if push(seq):
                seq += 1
        if time.perf_counter() - t0 >= seconds:
            break
    while not push(END):
        pass


def _produce_single_block(ring: Ring, seconds: float) -> None:
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


def _consume_batch(ring: Ring, timeout: float | None) -> tuple[int, int]:
    read = ring.read
    out = np.empty(READ_BATCH, dtype=np.int64)
    checker = BatchChecker(READ_BATCH)
    check = checker.check
    while True:
        got = read(READ_BATCH, timeout, out=out)
        if len(got) and check(got):
            return checker.expect, checker.bad


def _produce_batch(ring: Ring, seconds: float,
                   timeout: float | None) -> None:
    write = ring.write
    items = np.arange(WRITE_BATCH, dtype=np.int64)
    t0 = time.perf_counter()
    while True:
        for _ in range(64):
            sent = write(items, timeout)
            while sent < WRITE_BATCH:
                sent += write(items[sent:], timeout)
            items += WRITE_BATCH
        if time.perf_counter() - t0 >= seconds:
            break
    while not write(np.array([END], dtype=np.int64), timeout):
        pass


def run(name: str, quick: bool) -> int:
    batched, block = CASES[name]

    def create(mem: Memory) -> None:
        Ring(mem, "fwd", CAPACITY, dtype=np.int64).close()

    def open_side(mem: Memory, producer: bool) -> Ring:
        ring = Ring(mem, "fwd", dtype=np.int64)
        # Take the role now, so that opening it is not timed.
        if producer:
            ring.write([])
        else:
            ring.read(0)
        return ring

    timeout = FOREVER if block else None
    if batched:
        def consume(ring: Ring) -> tuple[int, int]:
            return _consume_batch(ring, timeout)

        def produce(ring: Ring, seconds: float) -> None:
            _produce_batch(ring, seconds, timeout)
    else:
        consume = _consume_single_block if block else _consume_single
        produce = _produce_single_block if block else _produce_single
    return run_case(name, quick, create, open_side, consume, produce,
                    "pybatch" if batched else "py")


if __name__ == "__main__":
    sys.exit(main(__doc__, CASES, run, sys.argv[1:]))
