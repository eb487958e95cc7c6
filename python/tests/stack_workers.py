# SPDX-License-Identifier: MIT
"""Child-process bodies for test_stack.py (importable by "spawn" children)."""
from __future__ import annotations

from typing import Any

import numpy as np

from zeroipc import Array, Memory, Stack

DEADLINE_S = 30.0


def pusher(name: str, barrier: Any, worker: int, count: int) -> None:
    """Push `count` items tagged worker << 32 | sequence."""
    with Memory(name) as mem:
        stack = Stack(mem, "jobs", dtype=np.uint64)
        barrier.wait(DEADLINE_S)
        for seq in range(count):
            if not stack.push((worker << 32) | seq, timeout=DEADLINE_S):
                raise SystemExit("push %d/%d timed out" % (worker, seq))


def popper(name: str, barrier: Any, per_worker: int, total: int) -> None:
    """Pop until all poppers together popped `total` items; count each item
    in seen[worker * per_worker + seq]."""
    with Memory(name) as mem:
        stack = Stack(mem, "jobs", dtype=np.uint64)
        seen = Array(mem, "seen", dtype=np.uint32)
        popped = Array(mem, "popped", dtype=np.uint64)
        barrier.wait(DEADLINE_S)
        while popped.load(0) < total:
            v = stack.pop(timeout=0.02)
            if v is None:
                continue
            worker, seq = int(v) >> 32, int(v) & 0xFFFFFFFF
            if seq >= per_worker or worker * per_worker + seq >= len(seen):
                raise SystemExit("popped a value never pushed: %#x" % int(v))
            seen.fetch_add(worker * per_worker + seq, 1)
            popped.fetch_add(0, 1)
