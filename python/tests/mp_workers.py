# SPDX-License-Identifier: MIT
"""Child-process bodies for test_multiprocess.py.

They live in their own module so that "spawn" children, which start a fresh
interpreter and load the library themselves, can import them.
"""
from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from zeroipc import Array, Memory

DEADLINE_S = 30.0


def add_many(name: str, barrier: Any, worker: int, iters: int) -> None:
    """fetch_add 1 to counter[0] `iters` times; record what each returned."""
    with Memory(name) as mem:
        counter = Array(mem, "counter", dtype=np.uint64)
        seen = Array(mem, "seen", dtype=np.uint64)
        barrier.wait(DEADLINE_S)
        base = worker * iters
        for i in range(iters):
            seen[base + i] = counter.fetch_add(0, 1)


def add_entries(name: str, barrier: Any, worker: int, count: int) -> None:
    """Add `count` entries and fill each region with the worker's mark."""
    with Memory(name) as mem:
        barrier.wait(DEADLINE_S)
        for i in range(count):
            entry = mem.table.add("w%d_%d" % (worker, i), 8 * (i + 1) + worker)
            mem.region(entry.name)[:] = worker + 1


def race_create(name: str, barrier: Any, worker: int, size: int,
                results: Any) -> None:
    """Open-or-create the same segment as everyone else at the same time."""
    barrier.wait(DEADLINE_S)
    with Memory(name, size) as mem:
        mem.table.add("joined_%d" % worker, 8)
        results.put((worker, mem.created, mem.size))


def produce(name: str, count: int) -> None:
    """Publish `count` float64 values one at a time behind a counter."""
    with Memory(name) as mem:
        values = Array(mem, "values", dtype=np.float64)
        published = Array(mem, "published", dtype=np.uint64)
        for i in range(count):
            values[i] = i * 0.25 - 7.0
            # Sequentially consistent store: the value is visible first.
            published.store(0, i + 1)


def wait_for(predicate: Any, what: str) -> None:
    """Poll a shared-memory condition with a deadline (test helper)."""
    end = time.monotonic() + DEADLINE_S
    while not predicate():
        if time.monotonic() > end:
            raise TimeoutError("waited %.0f s for %s" % (DEADLINE_S, what))
        os.sched_yield()
