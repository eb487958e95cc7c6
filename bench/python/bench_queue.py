# SPDX-License-Identifier: MIT
"""Python Queue benchmark: messages across two processes through cffi.

Cases (names start with the family, as bench/run expects); each message is
one int64:

  py_queue_single        push()/pop() without a timeout, retried until
                         they succeed (busy-polling, as the reference
                         Python ring does), default (MPMC-safe) handles;
                         goal >= 3 M msg/s
  py_queue_single_block  push(v, math.inf)/pop(math.inf): the library
                         waits (spins, then sleeps in the kernel, and the
                         other side pays for waking it)
  py_queue_spsc_single   as py_queue_single with single-producer /
                         single-consumer handles
  py_queue_batch         push_many() of 256 / pop_many() of up to 4096 into
                         a preallocated array, busy-polling, default
                         handles; goal >= 50 M items/s
  py_queue_batch_block   the same with a timeout of math.inf
  py_queue_spsc_batch    as py_queue_batch with single-side handles

The single-message cases are compared with the reference ring called
through cffi ABI mode from Python ("py cffi_abi 8B" of ../shared/peers),
the batched ones with its batched mode ("py cffi_abi batch256 8B").  The
producer (this process, CPU 0) and the consumer (a forked child, CPU 1)
start together; every message is its sequence number, and the consumer
checks that nothing is lost, repeated or reordered (a round with errors
fails).  Rate = messages / consumer time from the start to the end
marker.  The queue holds 4096 elements, as the reference ring does.

    bench_queue.py --list                protocol of bench/run: case names
    bench_queue.py --case NAME [--quick] protocol of bench/run: one round
    bench_queue.py [--quick]             every case once, RESULT lines

Needs the zeroipc package and the library: PYTHONPATH=python and
ZEROIPC_LIBRARY=BUILD/libzeroipc.so.1 (bench/run sets both).
"""
from __future__ import annotations

import sys

import numpy as np

from _driver import CAPACITY, main, run_case, stream_loops
from zeroipc import Memory, Queue

CASES = {
    # name: (batched, single-side handles, blocking, goal in M msg/s)
    "py_queue_single": (False, False, False, 3.0),
    "py_queue_single_block": (False, False, True, 3.0),
    "py_queue_spsc_single": (False, True, False, 3.0),
    "py_queue_batch": (True, False, False, 50.0),
    "py_queue_batch_block": (True, False, True, 50.0),
    "py_queue_spsc_batch": (True, True, False, 50.0),
}

def run(name: str, quick: bool) -> int:
    batched, single, block, goal = CASES[name]

    def create(mem: Memory) -> None:
        Queue(mem, "fwd", CAPACITY, dtype=np.int64).close()

    def open_side(mem: Memory, producer: bool) -> Queue:
        return Queue(mem, "fwd", dtype=np.int64,
                     single_producer=single and producer,
                     single_consumer=single and not producer)

    consume, produce = stream_loops(batched, block, "push", "pop",
                                    "push_many", "pop_many")
    return run_case(name, quick, create, open_side, consume, produce,
                    "pybatch" if batched else "py", " goal=%g" % goal)

if __name__ == "__main__":
    sys.exit(main(__doc__, CASES, run, sys.argv[1:]))
