# SPDX-License-Identifier: MIT
"""Map: create/open with dtypes, dict-style access, keys as scalars, bytes
and records, iteration, errors, read-only handles, several processes."""
from __future__ import annotations

import math
import multiprocessing as mp

import numpy as np
import pytest

import map_workers
import zeroipc
from helpers import C_RECORD as RECORD
from helpers import check_validate_by_name, run_processes
from zeroipc import Map, Memory, Set

pytestmark = pytest.mark.timeout(120)

# struct { uint8_t a; uint32_t b; }: 3 bytes of padding inside the key.
PADDED_KEY = np.dtype({"names": ["a", "b"], "formats": ["u1", "<u4"],
                       "offsets": [0, 4], "itemsize": 8})

ctx = mp.get_context("spawn")


def test_create_then_open(mem: Memory) -> None:
    m = Map(mem, "prices", 100, key_dtype=np.int64, value_dtype=np.float64)
    assert m.capacity == 128
    assert m.key_dtype == np.int64 and m.value_dtype == np.float64
    assert m.name == "prices" and len(m) == 0
    m[7] = 1.25
    again = Map(mem, "prices", key_dtype=np.int64, value_dtype=np.float64)
    assert again.capacity == 128 and len(again) == 1
    assert again[7] == 1.25
    assert isinstance(again[7], np.float64)
    assert "1/128" in repr(m)


def test_dtypes_are_required_and_checked(mem: Memory) -> None:
    with pytest.raises(TypeError, match="key_dtype is required"):
        Map(mem, "m", 8, value_dtype=np.int32)
    with pytest.raises(TypeError, match="value_dtype is required"):
        Map(mem, "m", 8, key_dtype=np.int32)
    with pytest.raises(TypeError, match="Python objects"):
        Map(mem, "m", 8, key_dtype=object, value_dtype=np.int32)
    with pytest.raises(ValueError):
        Map(mem, "m", 0, key_dtype=np.int32, value_dtype=np.int32)
    with pytest.raises(ValueError):
        Map(mem, "m", -1, key_dtype=np.int32, value_dtype=np.int32)


def test_open_with_other_sizes_fails(mem: Memory) -> None:
    Map(mem, "m", 8, key_dtype=np.int64, value_dtype=np.int32)
    with pytest.raises(zeroipc.SizeMismatch):
        Map(mem, "m", key_dtype=np.int32, value_dtype=np.int32)
    with pytest.raises(zeroipc.SizeMismatch):
        Map(mem, "m", key_dtype=np.int64, value_dtype=np.int64)
    with pytest.raises(zeroipc.SizeMismatch):
        Set(mem, "m", dtype=np.int64)       # a map with values is no set
    with pytest.raises(zeroipc.NotFound):
        Map(mem, "missing", key_dtype=np.int64, value_dtype=np.int32)
    # Same sizes, other types: allowed (the segment stores no type).
    assert Map(mem, "m", key_dtype=np.float64,
               value_dtype=np.uint32).capacity == 8


def test_dict_style_access(mem: Memory) -> None:
    m = Map(mem, "m", 64, key_dtype=np.int32, value_dtype=np.int64)
    ref = {}
    for k in range(-20, 20):
        m[k] = k * 1000
        ref[k] = k * 1000
    assert len(m) == 40
    m[5] = -5                                # update in place
    ref[5] = -5
    assert len(m) == 40
    for k in range(0, 20, 3):
        del m[k]
        del ref[k]
    assert len(m) == len(ref)
    assert {int(k): int(v) for k, v in m.items()} == ref
    assert sorted(int(k) for k in m) == sorted(ref)
    assert sorted(int(k) for k in m.keys()) == sorted(ref)
    assert sorted(int(v) for v in m.values()) == sorted(ref.values())
    assert 1 in m and 0 not in m and 99 not in m
    assert "text" not in m and 2 ** 40 not in m
    with pytest.raises(KeyError):
        m[0]
    with pytest.raises(KeyError):
        del m[0]
    assert m.get(0) is None and m.get(0, "d") == "d" and m.get(1) == 1000
    assert m.pop(1) == 1000 and 1 not in m
    assert m.pop(1, None) is None
    with pytest.raises(KeyError):
        m.pop(1)
    assert m.insert(1, 11) is True
    assert m.insert(1, 12) is False and m[1] == 11
    m.validate()


def test_keys_as_numpy_scalars_and_bytes(mem: Memory) -> None:
    m = Map(mem, "m", 16, key_dtype=np.uint64, value_dtype=np.int16)
    m[np.uint64(2 ** 63 + 5)] = 3
    assert m[2 ** 63 + 5] == 3
    assert m[np.uint64(2 ** 63 + 5).tobytes()] == 3
    m[(42).to_bytes(8, "little")] = 4
    assert m[42] == 4 and m[np.int64(42)] == 4
    with pytest.raises(ValueError, match="bytes"):
        m[b"\x01\x02"] = 1
    with pytest.raises(OverflowError):
        m[-1] = 1
    with pytest.raises(OverflowError):
        m[1] = 70000                         # value does not fit int16
    with pytest.raises(ValueError):
        m[1.5] = 1                           # would truncate to key 1
    assert 1.5 not in m and 42.0 in m


def test_string_keys(mem: Memory) -> None:
    m = Map(mem, "names", 16, key_dtype="S12", value_dtype=np.int32)
    m[b"alice"] = 1                          # zero-padded to 12 bytes
    m[b"bob"] = 2
    assert m[b"alice"] == 1 and m[b"alice".ljust(12, b"\0")] == 1
    assert sorted(bytes(k) for k in m) == [b"alice", b"bob"]


def test_structured_records(mem: Memory) -> None:
    m = Map(mem, "records", 32, key_dtype=PADDED_KEY, value_dtype=RECORD)
    m[(1, 70000)] = (7, 3.25, -2, 0.5, b"sensor")
    # A key built another way: the padding is zero either way.
    key = np.zeros((), dtype=PADDED_KEY)
    key["a"], key["b"] = 1, 70000
    r = m[key[()]]
    assert (r["id"], r["value"], r["kind"], r["weight"], r["label"]) == (
        7, 3.25, -2, 0.5, b"sensor")
    assert (1, 70000) in m and (1, 70001) not in m
    ((k, v),) = list(m.items())
    assert (k["a"], k["b"]) == (1, 70000) and v["label"] == b"sensor"
    with Memory(mem.name) as other:
        o = Map(other, "records", key_dtype=PADDED_KEY, value_dtype=RECORD)
        assert o[(1, 70000)]["value"] == 3.25


def test_full_map_raises_full(mem: Memory) -> None:
    m = Map(mem, "m", 4, key_dtype=np.int8, value_dtype=np.int8)
    for k in range(4):
        assert m.insert(k, k)
    with pytest.raises(zeroipc.Full):
        m[4] = 4
    with pytest.raises(zeroipc.Full):
        m.insert(4, 4)
    m[3] = 30                                # updates still work
    del m[0]
    m[4] = 4                                 # the tombstone is reused
    assert sorted(int(k) for k in m) == [1, 2, 3, 4]


def test_readonly_memory(mem: Memory) -> None:
    m = Map(mem, "m", 8, key_dtype=np.int32, value_dtype=np.int32)
    m[1] = 10
    with Memory(mem.name, readonly=True) as ro:
        r = Map(ro, "m", key_dtype=np.int32, value_dtype=np.int32)
        assert r[1] == 10 and len(r) == 1 and list(r) == [1]
        for op in (lambda: r.__setitem__(2, 2), lambda: r.__delitem__(1),
                   lambda: r.insert(3, 3)):
            with pytest.raises(zeroipc.ZeroIPCError) as info:
                op()
            assert info.value.name == "EREADONLY"
        r.validate()


def test_timeout_property(mem: Memory) -> None:
    m = Map(mem, "m", 8, key_dtype=np.int32, value_dtype=np.int32)
    assert m.timeout == 1.0
    m.timeout = 0.25
    assert m.timeout == 0.25
    m.timeout = None
    assert m.timeout is None
    m.timeout = math.inf
    with pytest.raises(ValueError):
        m.timeout = -1


def test_negative_infinite_timeout_is_refused(mem: Memory) -> None:
    # As every negative timeout, not taken as "no limit".
    m = Map(mem, "m", 8, key_dtype=np.int32, value_dtype=np.int32)
    with pytest.raises(ValueError):
        m.timeout = -math.inf
    assert m.timeout == 1.0


def test_validate_checks_the_header_by_name(mem: Memory) -> None:
    m = Map(mem, "v", 8, key_dtype=np.int32, value_dtype=np.int64)
    m[1] = 10
    cap = mem.region("v")[4:8].view(np.uint32)     # header: capacity
    check_validate_by_name(m, cap, bad=6, good=8)  # 6: not a power of two


def test_close_and_context_manager(mem: Memory) -> None:
    with Map(mem, "m", 8, key_dtype=np.int32, value_dtype=np.int32) as m:
        m[1] = 1
    assert m.closed
    with pytest.raises(ValueError, match="closed"):
        m[1]
    assert Map(mem, "m", key_dtype=np.int32, value_dtype=np.int32)[1] == 1


def test_processes_insert_same_keys_one_winner_each(shm_name: str) -> None:
    workers, keys = 4, 2000
    with Memory(shm_name, 1 << 20) as mem:
        m = Map(mem, "m", keys * 2, key_dtype=np.int64, value_dtype=np.int64)
        barrier = ctx.Barrier(workers)
        result = ctx.Queue()
        procs = [ctx.Process(target=map_workers.insert_same_keys,
                             args=(shm_name, barrier, w, keys, result))
                 for w in range(workers)]
        won = run_processes(
            procs, 120, lambda: dict(result.get(timeout=120) for _ in procs))
        assert won is not None
        everything = sorted(k for ks in won.values() for k in ks)
        assert everything == list(range(keys))     # each key won once
        for w, ks in won.items():
            for k in ks:
                assert m[k] == w                    # by the value's writer
        assert len(m) == keys
        assert sorted(int(k) for k in m) == list(range(keys))
        m.validate()


def test_processes_churn_then_settle_exactly(shm_name: str) -> None:
    workers, keys, rounds = 3, 300, 3000
    with Memory(shm_name, 1 << 20) as mem:
        m = Map(mem, "m", 512, key_dtype=np.int64, value_dtype=np.int64)
        barrier = ctx.Barrier(workers)
        procs = [ctx.Process(target=map_workers.settle_residue,
                             args=(shm_name, barrier, w, workers, keys,
                                   rounds))
                 for w in range(workers)]
        run_processes(procs, 120)
        expect = {k: k * 10 + k % workers for k in range(0, keys, 2)}
        assert {int(k): int(v) for k, v in m.items()} == expect
        assert len(m) == len(expect)
        m.validate()
