# SPDX-License-Identifier: MIT
"""Set: create/open with dtypes, add/discard/remove/in/len/iteration, keys
as scalars, bytes and records, errors, several processes."""
from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

import map_workers
import zeroipc
from helpers import check_validate_by_name, run_processes
from zeroipc import Map, Memory, Set

pytestmark = pytest.mark.timeout(120)

# struct { int16_t x; int16_t y; uint8_t tag; } padded to 8 bytes.
POINT = np.dtype({"names": ["x", "y", "tag"], "formats": ["<i2", "<i2", "u1"],
                  "offsets": [0, 2, 4], "itemsize": 8})

ctx = mp.get_context("spawn")


def test_create_then_open(mem: Memory) -> None:
    s = Set(mem, "ids", 10, dtype=np.uint32)
    assert s.capacity == 16 and s.dtype == np.uint32 and s.name == "ids"
    assert s.add(5) is True and s.add(5) is False
    again = Set(mem, "ids", dtype=np.uint32)
    assert 5 in again and len(again) == 1
    assert list(again) == [5] and isinstance(list(again)[0], np.uint32)
    assert "1/16" in repr(s)


def test_errors(mem: Memory) -> None:
    with pytest.raises(TypeError, match="dtype is required"):
        Set(mem, "s", 8)
    with pytest.raises(ValueError):
        Set(mem, "s", 0, dtype=np.int8)
    Set(mem, "s", 8, dtype=np.int64)
    with pytest.raises(zeroipc.SizeMismatch):
        Set(mem, "s", dtype=np.int32)
    with pytest.raises(zeroipc.NotFound):
        Set(mem, "none", dtype=np.int32)


def test_set_style_access(mem: Memory) -> None:
    s = Set(mem, "s", 256, dtype=np.int16)
    ref = set()
    for k in range(-50, 100, 3):
        assert s.add(k)
        ref.add(k)
    for k in range(-50, 100, 9):
        assert s.discard(k) is True
        ref.discard(k)
    assert s.discard(-50) is False
    with pytest.raises(KeyError):
        s.remove(-50)
    s.remove(-47)
    ref.remove(-47)
    assert len(s) == len(ref)
    assert {int(k) for k in s} == ref
    assert all(k in s for k in ref) and 0 not in s and "x" not in s
    s.validate()


def test_bytes_and_record_keys(mem: Memory) -> None:
    s = Set(mem, "pts", 32, dtype=POINT)
    assert s.add((1, -2, 3))
    assert (1, -2, 3) in s and (1, -2, 4) not in s
    raw = np.zeros((), dtype=POINT)
    raw["x"], raw["y"], raw["tag"] = 1, -2, 3
    assert raw.tobytes() in s
    assert s.add(raw.tobytes()) is False
    with pytest.raises(ValueError, match="bytes"):
        s.add(b"short")
    (k,) = list(s)
    assert (k["x"], k["y"], k["tag"]) == (1, -2, 3)


def test_full_set(mem: Memory) -> None:
    s = Set(mem, "s", 2, dtype=np.uint8)
    s.add(1)
    s.add(2)
    with pytest.raises(zeroipc.Full):
        s.add(3)
    s.discard(1)
    assert s.add(3)


def test_readonly_memory(mem: Memory) -> None:
    s = Set(mem, "s", 8, dtype=np.int32)
    s.add(4)
    with Memory(mem.name, readonly=True) as ro:
        r = Set(ro, "s", dtype=np.int32)
        assert 4 in r and list(r) == [4]
        with pytest.raises(zeroipc.ZeroIPCError) as info:
            r.add(5)
        assert info.value.name == "EREADONLY"


def test_validate_checks_the_header_by_name(mem: Memory) -> None:
    s = Set(mem, "v", 8, dtype=np.int32)
    s.add(3)
    cap = mem.region("v")[4:8].view(np.uint32)     # header: capacity
    check_validate_by_name(s, cap, bad=6, good=8)  # 6: not a power of two


def test_processes_add_same_keys_one_winner_each(shm_name: str) -> None:
    workers, keys = 4, 3000
    with Memory(shm_name, 1 << 20) as mem:
        s = Set(mem, "s", keys * 2, dtype=np.uint32)
        barrier = ctx.Barrier(workers)
        result = ctx.Queue()
        procs = [ctx.Process(target=map_workers.add_same_keys,
                             args=(shm_name, barrier, w, keys, result))
                 for w in range(workers)]
        won = run_processes(
            procs, 120, lambda: dict(result.get(timeout=120) for _ in procs))
        assert won is not None
        assert sorted(k for ks in won.values() for k in ks) == list(
            range(keys))
        assert len(s) == keys
        assert sorted(int(k) for k in s) == list(range(keys))
        s.validate()
        # The same bytes seen as a map without values cannot be opened
        # from Python (a value dtype needs bytes), but from C it is one.
        with pytest.raises(ValueError):
            Map(mem, "s", key_dtype=np.uint32, value_dtype=np.dtype(("V", 0)))
