# SPDX-License-Identifier: MIT
"""Child-process bodies for test_pool.py.

In their own module so that "spawn" children, which start a fresh
interpreter and load the library themselves, can import them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from zeroipc import Array, Memory, Pool

DEADLINE_S = 30.0


def churn(name: str, barrier: Any, worker: int, iters: int,
          hold: int) -> None:
    """Allocate and free objects of pool "objs" at random, holding up to
    `hold` at a time.

    On each allocation the worker claims the object in the uint64 Array
    "owner" with a compare-exchange from 0 to its tag: had the pool handed
    the object to someone else at the same time, the owner word would not
    be 0.  It writes its tag and a sequence number into the object, and
    before freeing checks both are intact and clears the owner.
    """
    tag = worker + 1
    rng = np.random.default_rng(worker)
    with Memory(name) as mem:
        pool = Pool(mem, "objs", dtype=np.uint64)
        owner = Array(mem, "owner", dtype=np.uint64)
        counts = Array(mem, "counts", dtype=np.uint64)
        held: dict[int, int] = {}
        barrier.wait(DEADLINE_S)
        for it in range(iters):
            if held and (len(held) >= hold or rng.integers(2) == 0):
                idx = list(held)[int(rng.integers(len(held)))]
                seq = held.pop(idx)
                assert pool[idx] == (tag << 32) | seq, (
                    "object %d overwritten while worker %d held it"
                    % (idx, worker))
                ok, cur = owner.compare_exchange(idx, tag, 0)
                assert ok, "object %d owned by %d, not %d" % (idx, cur, tag)
                pool.free(idx)
                continue
            got = pool.allocate(timeout=None if held else DEADLINE_S)
            if got is None:
                assert held, "no object freed within %s s" % DEADLINE_S
                continue
            ok, cur = owner.compare_exchange(got, 0, tag)
            assert ok, ("object %d handed to worker %d while worker %d "
                        "holds it" % (got, worker, cur))
            pool[got] = (tag << 32) | it
            held[got] = it
            counts.fetch_add(worker, 1)
        for idx in held:
            owner.store(idx, 0)
            pool.free(idx)


def free_one_when_told(name: str, index: int, go: Any) -> None:
    """Wait for `go`, then free object `index` of pool "objs"."""
    with Memory(name) as mem:
        pool = Pool(mem, "objs", dtype=np.int32)
        if not go.wait(DEADLINE_S):
            raise SystemExit("never told to free")
        pool.free(index)
