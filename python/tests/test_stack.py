# SPDX-License-Identifier: MIT
"""Stack: create/open, LIFO, full/empty, timeouts, top, dtypes including a
structured record, errors, and several processes at once."""
from __future__ import annotations

import math
import multiprocessing as mp
from typing import Any

import numpy as np
import pytest

import stack_workers
import zeroipc
from zeroipc import Array, Memory, Stack

pytestmark = pytest.mark.timeout(120)

RECORD = np.dtype([("id", "<u4"), ("flag", "u1"), ("x", "<f8")], align=True)


def test_create_push_pop_lifo(mem: Memory) -> None:
    s = Stack(mem, "s", 4, dtype=np.int32)
    assert s.capacity == 4 and s.elem_size == 4 and s.dtype == np.int32
    assert len(s) == 0 and s.empty() and not s.full()
    assert s.pop() is None and s.top() is None
    for v in (1, -2, 3, 4):
        assert s.push(v) is True
    assert len(s) == 4 and s.full()
    assert s.push(5) is False
    assert s.top() == 4 and len(s) == 4
    got = [s.pop() for _ in range(4)]
    assert got == [4, 3, -2, 1]
    assert isinstance(got[0], np.int32)
    assert s.pop() is None
    s.validate()


def test_open_sees_same_stack(mem: Memory, shm_name: str) -> None:
    s = Stack(mem, "shared", 8, dtype=np.float64)
    s.push(2.5)
    with Memory(shm_name) as other:
        t = Stack(other, "shared", dtype=np.float64)
        assert t.capacity == 8 and len(t) == 1
        assert t.pop() == 2.5
        t.push(-1.0)
    assert s.pop() == -1.0


@pytest.mark.parametrize("dtype,values", [
    (np.uint8, [0, 255, 7]),
    (np.int64, [-(1 << 62), 0, (1 << 62)]),
    (np.float32, [1.5, -0.25, 3.0]),
    (np.complex128, [1 + 2j, -3j, 0.5]),
    (np.dtype("S5"), [b"ab", b"hello", b""]),
])
def test_dtypes_round_trip(mem: Memory, dtype: Any, values: list) -> None:
    s = Stack(mem, "d", len(values), dtype=dtype)
    for v in values:
        assert s.push(v)
    assert [s.pop() for _ in values] == values[::-1]


def test_structured_record(mem: Memory, shm_name: str) -> None:
    s = Stack(mem, "recs", 3, dtype=RECORD)
    assert s.elem_size == RECORD.itemsize == 16
    assert s.push((7, 1, 0.5))
    rec = np.zeros((), dtype=RECORD)
    rec["id"], rec["flag"], rec["x"] = 9, 0, -2.0
    assert s.push(rec)
    top = s.top()
    assert top["id"] == 9 and top["x"] == -2.0
    with Memory(shm_name) as other:
        t = Stack(other, "recs", dtype=RECORD)
        got = t.pop()
    assert (got["id"], got["flag"], got["x"]) == (9, 0, -2.0)
    got = s.pop()
    assert (got["id"], got["flag"], got["x"]) == (7, 1, 0.5)
    # A popped record is a copy: later pushes do not change it.
    s.push((1, 1, 1.0))
    assert got["id"] == 7


def test_timeouts(mem: Memory) -> None:
    s = Stack(mem, "t", 1, dtype=np.int16)
    assert s.pop(timeout=0) is None
    assert s.pop(timeout=0.01) is None
    assert s.push(1, timeout=0)
    assert s.push(2, timeout=0.01) is False
    assert s.pop(timeout=math.inf) == 1
    with pytest.raises(ValueError):
        s.pop(timeout=-1)


def test_slot_timeout_property(mem: Memory) -> None:
    s = Stack(mem, "st", 2, dtype=np.int32)
    assert s.slot_timeout == pytest.approx(1.0)
    s.slot_timeout = 0.05
    assert s.slot_timeout == pytest.approx(0.05)
    for bad in (0, -1, math.inf, math.nan):
        with pytest.raises(ValueError):
            s.slot_timeout = bad


def test_slot_held_by_dead_peer_returns_none(mem: Memory) -> None:
    s = Stack(mem, "held", 4, dtype=np.uint32)
    s.slot_timeout = 0.02
    s.push(10)
    # What a pusher that died between claim and publish leaves: top on a
    # slot in state WRITING.  Bytes written straight into the segment.
    entry = mem.table.find("held")
    raw = mem.region(entry.name).view(np.uint8)
    raw[0:4] = np.frombuffer(np.int32(1).tobytes(), np.uint8)
    state1 = 16 + 16 + 4
    raw[state1:state1 + 4] = np.frombuffer(np.uint32(1).tobytes(), np.uint8)
    assert s.top() is None
    assert s.pop() is None          # landed on the held slot: gave up
    assert s.pop() == 10            # the rest of the stack works
    with pytest.raises(zeroipc.Corrupt):
        s.validate()


def test_errors(mem: Memory) -> None:
    Stack(mem, "e", 4, dtype=np.int64)
    with pytest.raises(zeroipc.SizeMismatch):
        Stack(mem, "e", dtype=np.int32)
    with pytest.raises(zeroipc.Exists):
        Stack(mem, "e", 4, dtype=np.int64)
    with pytest.raises(zeroipc.NotFound):
        Stack(mem, "missing", dtype=np.int64)
    with pytest.raises(zeroipc.Name):
        Stack(mem, "x" * 27, 4, dtype=np.int64)
    with pytest.raises(TypeError):
        Stack(mem, "n", 4)
    with pytest.raises(ValueError):
        Stack(mem, "n", 0, dtype=np.int8)
    with pytest.raises(TypeError):
        Stack(mem, "n", 4, dtype=object)
    s = Stack(mem, "c", 2, dtype=np.int8)
    with s:
        pass
    assert s.closed
    with pytest.raises(ValueError):
        s.push(1)
    assert "closed" in repr(s)


def test_corrupt_header_raises(mem: Memory) -> None:
    Stack(mem, "bad", 4, dtype=np.int32)
    raw = mem.region("bad").view(np.uint8)
    raw[4:8] = 0                        # capacity 0
    with pytest.raises(zeroipc.Corrupt):
        Stack(mem, "bad", dtype=np.int32)


ctx = mp.get_context("spawn")


def test_processes_lose_and_duplicate_nothing(mem: Memory,
                                              shm_name: str) -> None:
    pushers, poppers, per_worker = 3, 2, 400
    total = pushers * per_worker
    Stack(mem, "jobs", 8, dtype=np.uint64)
    seen = Array(mem, "seen", total, dtype=np.uint32)
    Array(mem, "popped", 1, dtype=np.uint64)
    barrier = ctx.Barrier(pushers + poppers)
    procs = [ctx.Process(target=stack_workers.pusher,
                         args=(shm_name, barrier, w, per_worker))
             for w in range(pushers)]
    procs += [ctx.Process(target=stack_workers.popper,
                          args=(shm_name, barrier, per_worker, total))
              for _ in range(poppers)]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join(stack_workers.DEADLINE_S * 2)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    assert [p.exitcode for p in procs] == [0] * len(procs)
    counts = np.asarray(seen.data)
    assert counts.min() == 1 and counts.max() == 1
    assert len(Stack(mem, "jobs", dtype=np.uint64)) == 0
