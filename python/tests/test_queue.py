# SPDX-License-Identifier: MIT
"""Queue: create/open, FIFO, full/empty, timeouts, batches, dtypes
including a structured record, single-producer/consumer mode, errors, and
several processes at once."""
from __future__ import annotations

import math
import multiprocessing as mp
import time
from typing import Any

import numpy as np
import pytest

import queue_workers
import zeroipc
from helpers import (RECORD, check_closed, check_create_and_open_errors,
                     check_second_mapping_sees_same, run_processes)
from zeroipc import Array, Memory, Queue

pytestmark = pytest.mark.timeout(120)


def test_create_push_pop_fifo(mem: Memory) -> None:
    q = Queue(mem, "jobs", 1024, dtype=np.int32)
    assert q.capacity == 1024 and q.elem_size == 4 and q.dtype == np.int32
    assert len(q) == 0 and q.empty() and not q.full()
    assert q.pop() is None
    for v in range(1000):
        assert q.push(v - 500) is True
    assert len(q) == 1000
    got = [q.pop() for _ in range(1000)]
    assert got == [v - 500 for v in range(1000)]
    assert isinstance(got[0], np.int32)
    assert q.pop() is None
    q.validate()


def test_full_and_capacity_rounding(mem: Memory) -> None:
    q = Queue(mem, "small", 3, dtype=np.uint8)
    assert q.capacity == 4
    assert all(q.push(v) for v in (1, 2, 3, 4))
    assert q.full() and len(q) == 4
    assert q.push(5) is False
    assert q.pop() == 1
    assert q.push(5) is True
    assert [q.pop() for _ in range(4)] == [2, 3, 4, 5]


def test_open_sees_same_queue(mem: Memory, shm_name: str) -> None:
    check_second_mapping_sees_same(Queue, mem, shm_name)


@pytest.mark.parametrize("dtype,values", [
    (np.bool_, [True, False, True]),
    (np.uint8, [0, 255, 7]),
    (np.int16, [-32768, 0, 32767]),
    (np.int64, [-(1 << 62), 0, (1 << 62)]),
    (np.uint64, [0, (1 << 64) - 1, 12345]),
    (np.float16, [1.5, -0.25, 3.0]),
    (np.float32, [1.5, -0.25, 3.0]),
    (np.complex128, [1 + 2j, -3j, 0.5]),
    (np.dtype("S5"), [b"ab", b"hello", b""]),
    (np.dtype(">i4"), [1, -2, 1 << 30]),
])
def test_dtypes_round_trip(mem: Memory, dtype: Any, values: list) -> None:
    q = Queue(mem, "d", len(values), dtype=dtype)
    for v in values:
        assert q.push(v)
    got = [q.pop() for _ in values]
    assert got == values
    assert all(isinstance(g, np.generic) for g in got)
    assert got[0].dtype.kind == np.dtype(dtype).kind
    arr = np.array(values, dtype=dtype)
    assert q.push_many(arr) == len(values)
    out = q.pop_many(len(values))
    assert out.dtype == np.dtype(dtype)
    assert np.array_equal(out, arr)


def test_scalar_conversion_like_numpy(mem: Memory) -> None:
    q = Queue(mem, "conv", 8, dtype=np.int32)
    q.push(np.int32(7))
    q.push(np.int64(8))
    q.push(9.0)          # not an int for struct: NumPy converts it
    q.push(True)
    assert [q.pop() for _ in range(4)] == [7, 8, 9, 1]


def test_structured_record(mem: Memory, shm_name: str) -> None:
    q = Queue(mem, "rec", 4, dtype=RECORD)
    assert q.elem_size == RECORD.itemsize
    q.push((1, 2, 3.5))
    q.push(np.array((4, 5, 6.5), dtype=RECORD))
    with Memory(shm_name) as other:
        t = Queue(other, "rec", dtype=RECORD)
        first = t.pop()
        second = t.pop()
    # Each result is its own copy, not a view of a reused buffer.
    assert (first["id"], first["flag"], first["x"]) == (1, 2, 3.5)
    assert (second["id"], second["flag"], second["x"]) == (4, 5, 6.5)
    recs = np.zeros(3, dtype=RECORD)
    recs["id"] = [7, 8, 9]
    recs["x"] = [0.5, 1.5, 2.5]
    assert q.push_many(recs) == 3
    out = q.pop_many(10)
    assert len(out) == 3 and out.dtype == RECORD
    assert list(out["id"]) == [7, 8, 9] and list(out["x"]) == [0.5, 1.5, 2.5]


def test_push_many_pop_many(mem: Memory) -> None:
    q = Queue(mem, "many", 16, dtype=np.int64)
    assert q.push_many([]) == 0
    assert len(q.pop_many(0)) == 0
    assert len(q.pop_many(5)) == 0          # empty: nothing, no wait
    assert q.push_many(np.arange(10)) == 10
    assert q.push_many(np.arange(10, 30)) == 6   # only 6 fit
    assert len(q) == 16 and q.full()
    out = q.pop_many(4)
    assert out.tolist() == [0, 1, 2, 3]
    # Runs that wrap around the end of the slots.
    assert q.push_many(np.arange(100, 104)) == 4
    out = q.pop_many(100)
    assert out.tolist() == list(range(4, 16)) + [100, 101, 102, 103]
    # A list of Python ints converts like np.asarray does.
    assert q.push_many([5, 6, 7]) == 3
    assert q.pop_many(3, timeout=1.0).tolist() == [5, 6, 7]


def test_timeouts(mem: Memory) -> None:
    q = Queue(mem, "t", 2, dtype=np.int64)
    t0 = time.monotonic()
    assert q.pop(timeout=0.02) is None
    assert time.monotonic() - t0 >= 0.02
    assert len(q.pop_many(4, timeout=0.02)) == 0
    assert q.push(1, timeout=0) and q.push(2, timeout=0.5)
    t0 = time.monotonic()
    assert q.push(3, timeout=0.02) is False
    assert time.monotonic() - t0 >= 0.02
    t0 = time.monotonic()
    assert q.push_many([3, 4], timeout=0.02) == 0
    assert time.monotonic() - t0 >= 0.02
    with pytest.raises(ValueError):
        q.pop(timeout=-1)
    assert q.pop(timeout=math.inf) == 1


ctx = mp.get_context("spawn")


def test_blocked_pop_woken_by_push(mem: Memory, shm_name: str) -> None:
    q = Queue(mem, "q", 4, dtype=np.int64)
    ready = ctx.Event()
    p = ctx.Process(target=queue_workers.blocked_pop,
                    args=(shm_name, ready, 30.0))

    def wake() -> None:
        assert ready.wait(30)
        q.push(4242)

    run_processes([p], 30, wake)


def test_single_modes(mem: Memory, shm_name: str) -> None:
    q = Queue(mem, "sp", 64, dtype=np.int64, single_producer=True,
              single_consumer=True)
    assert q.single_producer and q.single_consumer
    assert q.push_many(np.arange(10)) == 10
    # A second "single" producer starts where the slots say (opening
    # steps the lazily stored tail forward) and pushes; the first one then
    # finds its next slot taken and reports the broken promise.
    other = Queue(mem, "sp", dtype=np.int64, single_producer=True)
    assert other.push(99)
    with pytest.raises(zeroipc.Protocol):
        q.push(5)
    other.close()
    assert q.pop_many(3).tolist() == [0, 1, 2]
    assert len(q) == 8
    q.close()
    # Closing stored the exact positions: an ordinary handle goes on.
    r = Queue(mem, "sp", dtype=np.int64)
    assert r.pop_many(10).tolist() == list(range(3, 10)) + [99]
    r.validate()


def test_open_repairs_after_single_producer_died(mem: Memory,
                                                 shm_name: str) -> None:
    Queue(mem, "q", 256, dtype=np.int64)
    p = ctx.Process(target=queue_workers.single_producer_dies,
                    args=(shm_name, 5))
    p.start()
    p.join(30)
    assert p.exitcode is not None and p.exitcode < 0
    q = Queue(mem, "q", dtype=np.int64)     # opening repairs tail
    assert len(q) == 5
    assert q.push(7)
    assert q.pop_many(10).tolist() == [100, 101, 102, 103, 104, 7]


def test_errors(mem: Memory) -> None:
    check_create_and_open_errors(Queue, mem)
    with pytest.raises(ValueError):
        Queue(mem, "n", 4, dtype=np.dtype((np.void, 0)))
    q = Queue(mem, "c", 2, dtype=np.int8)
    with q:
        pass
    check_closed(q, lambda: q.push(1), lambda: q.pop(), lambda: len(q),
                 lambda: q.push_many([1]), lambda: q.pop_many(1))


def test_corrupt_header_raises(mem: Memory) -> None:
    Queue(mem, "bad", 4, dtype=np.int32)
    raw = mem.region("bad").view(np.uint8)
    raw[8:12] = np.frombuffer(np.uint32(3).tobytes(), np.uint8)  # capacity
    with pytest.raises(zeroipc.Corrupt):
        Queue(mem, "bad", dtype=np.int32)


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
def test_processes_lose_duplicate_and_reorder_nothing(
        mem: Memory, shm_name: str, batch: bool) -> None:
    producers, consumers, per_worker = 3, 2, 400
    total = producers * per_worker
    Queue(mem, "jobs", 8, dtype=np.uint64)
    seen = Array(mem, "seen", total, dtype=np.uint32)
    Array(mem, "popped", 1, dtype=np.uint64)
    barrier = ctx.Barrier(producers + consumers)
    procs = [ctx.Process(target=queue_workers.producer,
                         args=(shm_name, barrier, w, per_worker, batch))
             for w in range(producers)]
    procs += [ctx.Process(target=queue_workers.consumer,
                          args=(shm_name, barrier, producers, per_worker,
                                batch))
              for _ in range(consumers)]
    run_processes(procs, queue_workers.DEADLINE_S * 2)
    counts = np.asarray(seen.data)
    assert counts.min() == 1 and counts.max() == 1
    q = Queue(mem, "jobs", dtype=np.uint64)
    assert len(q) == 0
    q.validate()
