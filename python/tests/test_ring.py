# SPDX-License-Identifier: MIT
"""Ring: create/open, FIFO across wraps, push/pop and write/read, zero-copy
reserve/commit and peek/release, lazy hand-back of space, timeouts, dtypes
including a structured record, len() and iteration, errors, and a producer
and a consumer process at once."""
from __future__ import annotations

import math
import multiprocessing as mp
from typing import Any

import numpy as np
import pytest

import ring_workers
import zeroipc
from conftest import child_env
from helpers import (RECORD, ROUND_TRIP_CASES, check_closed,
                     check_create_and_open_errors, run_processes)
from zeroipc import Array, Memory, Ring

pytestmark = pytest.mark.timeout(120)


def test_create_push_pop_fifo(mem: Memory) -> None:
    r = Ring(mem, "r", 4, dtype=np.int32)
    assert r.capacity == 4 and r.elem_size == 4 and r.dtype == np.int32
    assert len(r) == 0 and r.empty()
    assert r.pop() is None
    for v in (1, -2, 3, 4):
        assert r.push(v) is True
    assert len(r) == 4
    assert r.push(5) is False
    got = [r.pop() for _ in range(4)]
    assert got == [1, -2, 3, 4]
    assert isinstance(got[0], np.int32)
    assert r.pop() is None
    r.validate()


def test_layout_stores_bytes(mem: Memory) -> None:
    Ring(mem, "b", 5, dtype=np.int16)
    entry = mem.table.find("b")
    assert entry.size == 24 + 10
    raw = mem.region("b").view(np.uint8)
    assert int(raw[16:20].view(np.uint32)[0]) == 10      # capacity, bytes
    assert int(raw[20:24].view(np.uint32)[0]) == 2       # elem_size
    assert mem.table.find("b.wait").size == 128


def test_open_sees_same_ring(mem: Memory, shm_name: str) -> None:
    w = Ring(mem, "shared", 8, dtype=np.float64)
    w.push(2.5)
    w.write([3.5, 4.5])
    with Memory(shm_name) as other:
        r = Ring(other, "shared", dtype=np.float64)
        assert r.capacity == 8 and len(r) == 3
        assert r.pop() == 2.5
        assert r.read(10).tolist() == [3.5, 4.5]
        r.close()


def test_write_read_arrays_across_wraps(mem: Memory) -> None:
    r = Ring(mem, "w", 7, dtype=np.uint64, release_batch=1)
    nxt_w = nxt_r = 0
    rng = np.random.default_rng(5)
    while nxt_r < 5000:
        n = int(rng.integers(0, 12))
        k = r.write(np.arange(nxt_w, nxt_w + n, dtype=np.uint64))
        assert 0 <= k <= n
        nxt_w += k
        out = r.read(int(rng.integers(1, 12)))
        assert out.dtype == np.uint64
        assert out.tolist() == list(range(nxt_r, nxt_r + len(out)))
        nxt_r += len(out)
    assert r.write([]) == 0
    assert len(r.read(0)) == 0


def test_write_converts_and_reports_partial(mem: Memory) -> None:
    r = Ring(mem, "p", 3, dtype=np.int16)
    assert r.write([1, 2, 3, 4, 5]) == 3
    assert r.write(np.array([9], dtype=np.int64)) == 0
    assert r.read().tolist() == [1, 2, 3]
    assert r.read().tolist() == []


def test_lazy_release_and_flush(mem: Memory) -> None:
    r = Ring(mem, "l", 8, dtype=np.int32)     # release batch 2
    assert r.write(range(8)) == 8
    assert r.pop() == 0
    # The freed slot is not handed back yet ...
    assert r.push(8) is False
    r.flush()
    # ... until flushed (or a whole batch is read).
    assert r.push(8) is True
    assert r.read(3).tolist() == [1, 2, 3]
    assert r.write([9, 10]) == 2


def test_reserve_commit_and_peek_release(mem: Memory) -> None:
    r = Ring(mem, "z", 6, dtype=np.uint32, release_batch=1)
    region = r.reserve(4)
    assert region.shape == (4,) and region.flags.writeable
    region[:] = [10, 11, 12, 13]
    assert len(r) == 0              # nothing published before the commit
    r.commit(3)
    assert len(r) == 3
    view = r.peek(10)
    assert view.tolist() == [10, 11, 12] and not view.flags.writeable
    r.release(2)
    assert r.peek().tolist() == [12]
    r.release(1)
    assert len(r.peek()) == 0
    # The next region runs to the end of the buffer: 3 slots.
    region = r.reserve()
    assert region.shape == (3,)
    region[:] = [1, 2, 3]
    r.commit(3)
    with pytest.raises(zeroipc.Inval):
        r.commit(1)                 # nothing reserved any more
    with pytest.raises(zeroipc.Inval):
        r.release(1)
    assert r.read().tolist() == [1, 2, 3]


def test_timeouts(mem: Memory) -> None:
    r = Ring(mem, "t", 1, dtype=np.int16)
    assert r.pop(timeout=0) is None
    assert r.pop(timeout=0.01) is None
    assert len(r.read(4, timeout=0.01)) == 0
    assert len(r.peek(timeout=0.01)) == 0
    assert r.push(1, timeout=0)
    assert r.push(2, timeout=0.01) is False
    assert r.write([2, 3], timeout=0.01) == 0
    assert len(r.reserve(timeout=0.01)) == 0
    assert r.pop(timeout=math.inf) == 1
    assert r.write([2], timeout=math.inf) == 1
    with pytest.raises(ValueError):
        r.pop(timeout=-1)


@pytest.mark.parametrize("dtype,values", ROUND_TRIP_CASES)
def test_dtypes_round_trip(mem: Memory, dtype: Any, values: list) -> None:
    r = Ring(mem, "d", len(values), dtype=dtype)
    assert r.write(np.array(values, dtype=dtype)) == len(values)
    assert r.read().tolist() == values
    for v in values:
        assert r.push(v)
    assert [r.pop() for _ in values] == values


def test_structured_record(mem: Memory, shm_name: str) -> None:
    r = Ring(mem, "recs", 3, dtype=RECORD)
    assert r.elem_size == RECORD.itemsize == 16
    assert r.push((7, 1, 0.5))
    rec = np.zeros((), dtype=RECORD)
    rec["id"], rec["flag"], rec["x"] = 9, 0, -2.0
    assert r.push(rec)
    with Memory(shm_name) as other:
        t = Ring(other, "recs", dtype=RECORD)
        first = t.pop()
        rest = t.read()
        t.close()
    assert (first["id"], first["flag"], first["x"]) == (7, 1, 0.5)
    assert rest.dtype == RECORD and rest["id"].tolist() == [9]
    # A popped record is a copy: later traffic does not change it.
    r.push((1, 1, 1.0))
    again = r.pop()
    r.push((2, 2, 2.0))
    assert again["id"] == 1


def test_len_and_iteration(mem: Memory) -> None:
    r = Ring(mem, "it", 10, dtype=np.int32)
    r.write(range(6))
    assert len(r) == 6
    assert list(r) == list(range(6))
    assert len(r) == 0 and list(r) == []


def test_errors(mem: Memory) -> None:
    check_create_and_open_errors(Ring, mem)
    with pytest.raises(zeroipc.Inval):
        Ring(mem, "huge", 1 << 31, dtype=np.int32)   # > 4 GiB of bytes
    r = Ring(mem, "c", 2, dtype=np.int8)
    with r:
        r.push(1)
    check_closed(r, lambda: r.push(1), lambda: r.pop())


def test_second_producer_is_reported(mem: Memory) -> None:
    a = Ring(mem, "two", 2, dtype=np.int32, release_batch=1)
    a.write([1, 2])
    assert a.read().tolist() == [1, 2]
    b = Ring(mem, "two", dtype=np.int32)
    assert b.push(3)
    with pytest.raises(zeroipc.Protocol):
        a.write([4, 5, 6])


def test_corrupt_header_raises(mem: Memory) -> None:
    Ring(mem, "bad", 4, dtype=np.int32)
    raw = mem.region("bad").view(np.uint8)
    raw[16:20] = 0                      # capacity 0
    with pytest.raises(zeroipc.Corrupt):
        Ring(mem, "bad", dtype=np.int32)
    raw[16:20] = np.frombuffer(np.uint32(16).tobytes(), np.uint8)
    raw[0:8] = np.frombuffer(np.uint64(64).tobytes(), np.uint8)
    with pytest.raises(zeroipc.Corrupt):   # positions far apart
        Ring(mem, "bad", dtype=np.int32)


ctx = mp.get_context("spawn")


@pytest.mark.parametrize("capacity", [5, 64])
def test_producer_and_consumer_processes(mem: Memory, shm_name: str,
                                         capacity: int) -> None:
    count, chunk = 20000, 37
    Ring(mem, "stream", capacity, dtype=ring_workers.RECORD)
    got = Array(mem, "got", 1, dtype=np.uint64)
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=ring_workers.producer,
                         args=(shm_name, barrier, count, chunk)),
             ctx.Process(target=ring_workers.consumer,
                         args=(shm_name, barrier, count, chunk))]
    run_processes(procs, ring_workers.DEADLINE_S * 2)
    assert got.load(0) == count


EXIT_SCRIPT = r"""
import sys
import numpy as np
from zeroipc import Memory, Ring
mem = Memory(sys.argv[1])
ring = Ring(mem, "x", dtype=np.int64)
got = ring.pop()
# Module-level objects, a lambda and a class instance: at exit the garbage
# collector tears these down in no particular order.
keep = lambda: (ring, mem)
print(int(got))
"""


def test_interpreter_exit_hands_back_reads_and_does_not_crash(
        mem: Memory, shm_name: str) -> None:
    import subprocess
    import sys
    w = Ring(mem, "x", 16, dtype=np.int64)      # release batch 4
    assert w.write(np.arange(10)) == 10
    p = subprocess.run([sys.executable, "-c", EXIT_SCRIPT, shm_name],
                       capture_output=True, text=True, env=child_env(),
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "0"
    # The read was handed back at exit: the next consumer starts at 1.
    r = Ring(mem, "x", dtype=np.int64)
    assert r.pop() == 1
