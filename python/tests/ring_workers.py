# SPDX-License-Identifier: MIT
"""Child-process bodies for test_ring.py (importable by "spawn" children)."""
from __future__ import annotations

from typing import Any

import numpy as np

from zeroipc import Array, Memory, Ring

DEADLINE_S = 30.0
RECORD = np.dtype([("seq", "<u8"), ("check", "<u4"), ("tag", "u1")],
                  align=True)


def record(seq: int) -> tuple[int, int, int]:
    return (seq, (seq * 2654435761) & 0xFFFFFFFF, seq & 0xFF)


def producer(name: str, barrier: Any, count: int, chunk: int) -> None:
    """Write records 0 .. count-1, alternating push() and write(array)."""
    with Memory(name) as mem:
        ring = Ring(mem, "stream", dtype=RECORD)
        barrier.wait(DEADLINE_S)
        seq = 0
        while seq < count:
            if (seq // chunk) % 2 == 0:
                if not ring.push(record(seq), timeout=DEADLINE_S):
                    raise SystemExit("push %d timed out" % seq)
                seq += 1
            else:
                n = min(chunk, count - seq)
                batch = np.array([record(s) for s in range(seq, seq + n)],
                                 dtype=RECORD)
                if ring.write(batch, timeout=DEADLINE_S) != n:
                    raise SystemExit("write at %d timed out" % seq)
                seq += n
        ring.close()


def consumer(name: str, barrier: Any, count: int, chunk: int) -> None:
    """Read until `count` records arrived; check order and contents and
    store the number received in Array "got"."""
    with Memory(name) as mem:
        ring = Ring(mem, "stream", dtype=RECORD)
        got = Array(mem, "got", dtype=np.uint64)
        barrier.wait(DEADLINE_S)
        seq = 0
        while seq < count:
            if seq % 3 == 0:
                r = ring.pop(timeout=DEADLINE_S)
                if r is None:
                    raise SystemExit("pop timed out at %d" % seq)
                batch = [r]
            else:
                batch = ring.read(chunk, timeout=DEADLINE_S)
                if len(batch) == 0:
                    raise SystemExit("read timed out at %d" % seq)
            for r in batch:
                if tuple(r.tolist()) != record(seq):
                    raise SystemExit("record %d is %r" % (seq, r))
                seq += 1
        if ring.pop() is not None:
            raise SystemExit("more than %d records" % count)
        got.store(0, seq)
        ring.close()
