# SPDX-License-Identifier: MIT
"""Child-process bodies for test_map.py and test_set.py.

In their own module so that "spawn" children, which start a fresh
interpreter and load the library themselves, can import them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from zeroipc import Map, Memory, Set

DEADLINE_S = 30.0


def insert_same_keys(name: str, barrier: Any, worker: int, keys: int,
                     result: Any) -> None:
    """Insert keys 0..keys-1 of Map "m" (int64 -> int64, value = worker),
    starting at a different place than the other workers, and report the
    keys this worker won through `result` (a queue)."""
    won = []
    with Memory(name) as mem:
        m = Map(mem, "m", key_dtype=np.int64, value_dtype=np.int64)
        barrier.wait(DEADLINE_S)
        start = worker * keys // 4
        for i in range(keys):
            k = (start + i) % keys
            if m.insert(k, worker):
                won.append(k)
    result.put((worker, won))


def settle_residue(name: str, barrier: Any, worker: int, workers: int,
                   keys: int, rounds: int) -> None:
    """Churn every key of Map "m" for `rounds`, then settle the keys
    k % workers == worker: present with value k * 10 + worker when k is
    even, absent when odd."""
    rng = np.random.default_rng(worker)
    with Memory(name) as mem:
        m = Map(mem, "m", key_dtype=np.int64, value_dtype=np.int64)
        barrier.wait(DEADLINE_S)
        for _ in range(rounds):
            k = int(rng.integers(keys))
            op = int(rng.integers(3))
            if op == 0:
                m[k] = -1
            elif op == 1:
                m.pop(k, None)
            else:
                v = m.get(k)
                assert v is None or v == -1 or v % 10 < workers
        barrier.wait(DEADLINE_S)
        for k in range(worker, keys, workers):
            if k % 2 == 0:
                m[k] = k * 10 + worker
            else:
                m.pop(k, None)


def add_same_keys(name: str, barrier: Any, worker: int, keys: int,
                  result: Any) -> None:
    """Add keys 0..keys-1 to Set "s" (uint32); report the ones won."""
    won = []
    with Memory(name) as mem:
        s = Set(mem, "s", dtype=np.uint32)
        barrier.wait(DEADLINE_S)
        for i in range(keys):
            k = (keys - 1 - i) if worker % 2 else i
            if s.add(k):
                won.append(k)
    result.put((worker, won))
