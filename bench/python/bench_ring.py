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

import sys

import numpy as np

from _driver import CAPACITY, main, run_case, stream_loops
from zeroipc import Memory, Ring

# name: (batched, blocking)
CASES = {
    "py_ring_single": (False, False),
    "py_ring_single_block": (False, True),
    "py_ring_batch": (True, False),
    "py_ring_batch_block": (True, True),
}

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

    consume, produce = stream_loops(batched, block, "push", "pop",
                                    "write", "read")
    return run_case(name, quick, create, open_side, consume, produce,
                    "pybatch" if batched else "py")

if __name__ == "__main__":
    sys.exit(main(__doc__, CASES, run, sys.argv[1:]))
