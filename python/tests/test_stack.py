# SPDX-License-Identifier: MIT
"""Stack: create/open, LIFO, full/empty, timeouts, top, dtypes including a
structured record, errors, and several processes at once."""
from __future__ import annotations

import math
import multiprocessing as mp
import threading
from typing import Any

import numpy as np
import pytest

import stack_workers
import zeroipc
from helpers import (RECORD, ROUND_TRIP_CASES, check_closed,
                     check_create_and_open_errors,
                     check_second_mapping_sees_same, run_processes)
from zeroipc import Array, Memory, Stack

pytestmark = pytest.mark.timeout(120)


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
    check_second_mapping_sees_same(Stack, mem, shm_name)


@pytest.mark.parametrize("dtype,values", ROUND_TRIP_CASES)
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
    check_create_and_open_errors(Stack, mem)
    s = Stack(mem, "c", 2, dtype=np.int8)
    with s:
        pass
    check_closed(s, lambda: s.push(1))


def test_threads_lose_and_duplicate_nothing(mem: Memory) -> None:
    # Each thread converts values through its own buffer: the library runs
    # without the GIL, so a shared one would mix values up.
    s = Stack(mem, "threads", 16, dtype=np.uint64)
    workers, per_worker = 4, 2000
    popped: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    def pusher(w: int) -> None:
        try:
            for seq in range(per_worker):
                assert s.push((w << 32) | seq, timeout=30)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def popper(w: int) -> None:
        try:
            for _ in range(per_worker):
                v = s.pop(timeout=30)
                assert v is not None
                popped[w].append(int(v))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=f, args=(w,))
               for w in range(workers) for f in (pusher, popper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert sorted(v for vs in popped for v in vs) == sorted(
        (w << 32) | seq for w in range(workers) for seq in range(per_worker))
    assert len(s) == 0


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
    run_processes(procs, stack_workers.DEADLINE_S * 2)
    counts = np.asarray(seen.data)
    assert counts.min() == 1 and counts.max() == 1
    assert len(Stack(mem, "jobs", dtype=np.uint64)) == 0
