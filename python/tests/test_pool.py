# SPDX-License-Identifier: MIT
"""Pool: create/open with dtypes, allocate/free, object access, errors,
several processes."""
from __future__ import annotations

import math
import multiprocessing as mp

import numpy as np
import pytest

import pool_workers
import zeroipc
from helpers import C_RECORD as RECORD
from helpers import check_validate_by_name, run_processes
from zeroipc import Array, Memory, Pool

pytestmark = pytest.mark.timeout(120)

ctx = mp.get_context("spawn")


def test_create_then_open(mem: Memory) -> None:
    pool = Pool(mem, "objs", 10, dtype=np.float64)
    assert pool.capacity == 10 and pool.elem_size == 8
    assert pool.dtype == np.float64 and pool.name == "objs"
    assert len(pool) == 0 and pool.in_use == 0
    again = Pool(mem, "objs", dtype=np.float64)
    assert again.capacity == 10
    i = pool.allocate()
    assert i == 0
    pool[i] = 2.5
    assert again[i] == 2.5 and len(again) == 1
    assert "10" in repr(pool) and "1/10 in use" in repr(pool)


def test_dtype_is_required(mem: Memory) -> None:
    with pytest.raises(TypeError, match="dtype is required"):
        Pool(mem, "objs", 4)


def test_object_dtype_is_refused(mem: Memory) -> None:
    with pytest.raises(TypeError, match="Python objects"):
        Pool(mem, "objs", 4, dtype=object)


def test_bad_capacity_is_refused(mem: Memory) -> None:
    with pytest.raises(ValueError):
        Pool(mem, "objs", 0, dtype=np.int32)
    with pytest.raises(ValueError):
        Pool(mem, "objs", -3, dtype=np.int32)


def test_open_with_other_itemsize_fails(mem: Memory) -> None:
    Pool(mem, "objs", 4, dtype=np.int64)
    with pytest.raises(zeroipc.SizeMismatch):
        Pool(mem, "objs", dtype=np.int32)
    with pytest.raises(zeroipc.NotFound):
        Pool(mem, "missing", dtype=np.int64)
    # Same size, other type: allowed (the segment stores no type).
    assert Pool(mem, "objs", dtype=np.float64).capacity == 4


def test_allocate_until_full_then_none(mem: Memory) -> None:
    pool = Pool(mem, "objs", 5, dtype=np.int32)
    got = [pool.allocate() for _ in range(5)]
    assert got == [0, 1, 2, 3, 4]
    assert pool.allocate() is None
    assert pool.allocate(timeout=0) is None
    assert pool.allocate(timeout=0.002) is None
    assert len(pool) == 5
    for i in got:
        pool.free(i)
    assert len(pool) == 0
    again = {pool.allocate() for _ in range(5)}
    assert again == set(range(5))
    pool.validate()


def test_timeout_argument_is_checked(mem: Memory) -> None:
    pool = Pool(mem, "objs", 1, dtype=np.int32)
    with pytest.raises(ValueError):
        pool.allocate(timeout=-1)
    assert pool.allocate(timeout=math.inf) == 0


def test_free_errors(mem: Memory) -> None:
    pool = Pool(mem, "objs", 4, dtype=np.int32)
    with pytest.raises(zeroipc.NotAllocated):
        pool.free(2)                      # never allocated
    i = pool.allocate()
    pool.free(i)
    with pytest.raises(zeroipc.NotAllocated) as info:
        pool.free(i)                      # double free
    assert "not allocated" in str(info.value)
    with pytest.raises(IndexError):
        pool.free(4)
    with pytest.raises(IndexError):
        pool.free(-1)
    with pytest.raises(IndexError):
        pool.free(1 << 32)
    assert len(pool) == 0
    pool.validate()


def test_object_access_plain_dtype(mem: Memory) -> None:
    pool = Pool(mem, "objs", 8, dtype=np.int64)
    idx = [pool.allocate() for _ in range(3)]
    for n, i in enumerate(idx):
        pool[i] = -(10 ** (n + 10))
    assert [int(pool[i]) for i in idx] == [-(10 ** 10), -(10 ** 11),
                                           -(10 ** 12)]
    assert isinstance(pool[idx[0]], np.int64)
    assert idx[1] in pool and 7 not in pool and -1 not in pool
    assert "x" not in pool
    with pytest.raises(zeroipc.NotAllocated):
        pool[7]
    with pytest.raises(zeroipc.NotAllocated):
        pool[7] = 1
    with pytest.raises(IndexError):
        pool[8]


def test_object_access_structured_record(mem: Memory) -> None:
    pool = Pool(mem, "records", 16, dtype=RECORD)
    i = pool.allocate()
    pool[i] = (7, 3.25, -2, 0.5, b"sensor")
    r = pool[i]
    assert (r["id"], r["value"], r["kind"], r["weight"], r["label"]) == (
        7, 3.25, -2, 0.5, b"sensor")
    # A copy: changing it does not touch shared memory.
    r["id"] = 99
    assert pool[i]["id"] == 7
    # A view: changing it does.
    v = pool.view(i)
    assert v.shape == () and v.dtype == RECORD
    v["value"] = -1.0
    assert pool[i]["value"] == -1.0
    # Through another handle and mapping, the same bytes.
    with Memory(mem.name) as other:
        assert Pool(other, "records", dtype=RECORD)[i]["value"] == -1.0


def test_freed_object_bytes_go_to_next_owner(mem: Memory) -> None:
    pool = Pool(mem, "objs", 4, dtype=RECORD)
    i = pool.allocate()
    assert pool[i].tobytes() == bytes(32)   # fresh objects are zero
    pool[i] = (1, 2.0, 3, 4.0, b"left")
    pool.free(i)
    j = pool.allocate()
    assert j == i                           # LIFO free list
    assert pool[j]["label"] == b"left"      # the pool does not clear


def test_readonly_memory(mem: Memory) -> None:
    pool = Pool(mem, "objs", 4, dtype=np.uint32)
    i = pool.allocate()
    pool[i] = 1234
    with Memory(mem.name, readonly=True) as ro:
        rpool = Pool(ro, "objs", dtype=np.uint32)
        assert rpool[i] == 1234 and len(rpool) == 1
        with pytest.raises(zeroipc.ZeroIPCError) as info:
            rpool.allocate()
        assert info.value.name == "EREADONLY"
        with pytest.raises(zeroipc.ZeroIPCError):
            rpool.free(i)
        with pytest.raises(ValueError):
            rpool[i] = 1                    # read-only view
        rpool.validate()


def test_validate_checks_the_header_by_name(mem: Memory) -> None:
    pool = Pool(mem, "v", 4, dtype=np.int64)
    cap = mem.region("v")[0:4].view(np.uint32)     # header: capacity
    # 5 disagrees with the entry size.
    check_validate_by_name(pool, cap, bad=5, good=4)


def test_close_and_context_manager(mem: Memory) -> None:
    with Pool(mem, "objs", 2, dtype=np.int8) as pool:
        i = pool.allocate()
        v = pool.view(i)
    assert pool.closed
    with pytest.raises(ValueError, match="closed"):
        pool.allocate()
    v[...] = 5                              # the mapping is still alive
    assert Pool(mem, "objs", dtype=np.int8)[i] == 5


def test_processes_never_share_an_object(shm_name: str) -> None:
    workers, iters, capacity = 4, 3000, 12
    with Memory(shm_name, 1 << 20) as mem:
        pool = Pool(mem, "objs", capacity, dtype=np.uint64)
        Array(mem, "owner", capacity, dtype=np.uint64)
        counts = Array(mem, "counts", workers, dtype=np.uint64)
        barrier = ctx.Barrier(workers)
        procs = [ctx.Process(target=pool_workers.churn,
                             args=(shm_name, barrier, w, iters, 5))
                 for w in range(workers)]
        run_processes(procs, 120)
        assert int(counts.data.sum()) > 0
        assert len(pool) == 0
        pool.validate()
        # Every object exactly once, then full.
        assert sorted(pool.allocate() for _ in range(capacity)) == list(
            range(capacity))
        assert pool.allocate() is None


def test_allocate_waits_for_free_in_other_process(shm_name: str) -> None:
    with Memory(shm_name, 1 << 20) as mem:
        pool = Pool(mem, "objs", 2, dtype=np.int32)
        assert [pool.allocate(), pool.allocate()] == [0, 1]
        go = ctx.Event()
        p = ctx.Process(target=pool_workers.free_one_when_told,
                        args=(shm_name, 1, go))
        p.start()
        try:
            go.set()
            assert pool.allocate(timeout=60) == 1
        finally:
            p.join(60)
        assert p.exitcode == 0
        assert len(pool) == 2
