# SPDX-License-Identifier: MIT
"""Child-process bodies for test_queue.py (importable by "spawn" children)."""
from __future__ import annotations

from typing import Any

import numpy as np

from zeroipc import Array, Memory, Queue

DEADLINE_S = 30.0


def producer(name: str, barrier: Any, worker: int, count: int,
             batch: bool) -> None:
    """Push `count` items tagged worker << 32 | sequence, singly or in
    runs of up to 7."""
    with Memory(name) as mem:
        q = Queue(mem, "jobs", dtype=np.uint64)
        barrier.wait(DEADLINE_S)
        seq = 0
        while seq < count:
            if batch:
                n = min(7, count - seq)
                items = (np.uint64(worker) << np.uint64(32)) | np.arange(
                    seq, seq + n, dtype=np.uint64)
                pushed = q.push_many(items, timeout=DEADLINE_S)
                if pushed == 0:
                    raise SystemExit("push_many %d/%d timed out"
                                     % (worker, seq))
                seq += pushed
            else:
                if not q.push((worker << 32) | seq, timeout=DEADLINE_S):
                    raise SystemExit("push %d/%d timed out" % (worker, seq))
                seq += 1


def consumer(name: str, barrier: Any, workers: int, per_worker: int,
             batch: bool) -> None:
    """Pop until all consumers together popped every item; count each item
    in seen[worker * per_worker + seq] and check that each producer's items
    arrive here in increasing order."""
    total = workers * per_worker
    last = [-1] * workers
    with Memory(name) as mem:
        q = Queue(mem, "jobs", dtype=np.uint64)
        seen = Array(mem, "seen", dtype=np.uint32)
        popped = Array(mem, "popped", dtype=np.uint64)
        barrier.wait(DEADLINE_S)
        while popped.load(0) < total:
            if batch:
                got = [int(v) for v in q.pop_many(5, timeout=0.02)]
            else:
                v = q.pop(timeout=0.02)
                got = [] if v is None else [int(v)]
            for v in got:
                worker, seq = v >> 32, v & 0xFFFFFFFF
                if worker >= workers or seq >= per_worker:
                    raise SystemExit("popped a value never pushed: %#x" % v)
                if seq <= last[worker]:
                    raise SystemExit("producer %d: item %d after %d"
                                     % (worker, seq, last[worker]))
                last[worker] = seq
                seen.fetch_add(worker * per_worker + seq, 1)
            if got:
                popped.fetch_add(0, len(got))


def blocked_pop(name: str, ready: Any, timeout: float) -> None:
    """Announce, then block in pop(); exit 0 if it returned 4242."""
    with Memory(name) as mem:
        q = Queue(mem, "q", dtype=np.int64)
        ready.set()
        v = q.pop(timeout=timeout)
        raise SystemExit(0 if v == 4242 else 3)


def single_producer_dies(name: str, count: int) -> None:
    """Push `count` items as the single producer, then die without
    closing: the queue's tail stays behind the published slots."""
    import os
    import signal
    with Memory(name) as mem:
        q = Queue(mem, "q", dtype=np.int64, single_producer=True)
        for i in range(count):
            q.push(100 + i)
        os.kill(os.getpid(), signal.SIGKILL)
