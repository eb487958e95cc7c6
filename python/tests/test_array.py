# SPDX-License-Identifier: MIT
"""Array: create/open with dtypes, NumPy access, atomics."""
from __future__ import annotations

import numpy as np
import pytest

import zeroipc
from helpers import C_RECORD as RECORD
from zeroipc import Array, Memory
from zeroipc._ffi import lib
from zeroipc._view import address_of


def test_readme_quick_start(shm_name: str) -> None:
    mem = Memory(shm_name, 10 * 1024 * 1024)
    temps = Array(mem, "temperature", 1000, dtype=np.float32)
    temps[0] = 23.5
    mem2 = Memory(shm_name)
    temps2 = Array(mem2, "temperature", dtype=np.float32)
    assert temps2[0] == np.float32(23.5)
    assert str(temps2[0]) == "23.5"
    assert len(temps2) == 1000 and temps2.capacity == 1000
    assert temps2.elem_size == 4 and temps2.dtype == np.float32


def test_dtype_is_required(mem: Memory) -> None:
    with pytest.raises(TypeError, match="dtype is required"):
        Array(mem, "a", 10)


def test_object_dtype_is_refused(mem: Memory) -> None:
    with pytest.raises(TypeError, match="Python objects"):
        Array(mem, "a", 10, dtype=object)


def test_over_aligned_dtype_is_refused(mem: Memory) -> None:
    dt = np.dtype(np.longdouble)
    if dt.alignment <= 8:
        pytest.skip("long double is not over-aligned here")
    with pytest.raises(ValueError, match="alignment"):
        Array(mem, "a", 10, dtype=dt)
    assert "a" not in mem


def test_open_checks_the_element_size(mem: Memory) -> None:
    Array(mem, "f", 10, dtype=np.float32)
    with pytest.raises(zeroipc.SizeMismatch):
        Array(mem, "f", dtype=np.float64)
    # Same size, other type: allowed (no type is stored).
    assert len(Array(mem, "f", dtype=np.int32)) == 10


def test_create_and_open_errors(mem: Memory) -> None:
    with pytest.raises(zeroipc.NotFound):
        Array(mem, "missing", dtype=np.int8)
    Array(mem, "a", 4, dtype=np.int8)
    with pytest.raises(zeroipc.Exists):
        Array(mem, "a", 4, dtype=np.int8)
    with pytest.raises(zeroipc.Inval):
        Array(mem, "zero", 0, dtype=np.int8)
    with pytest.raises(ValueError):
        Array(mem, "neg", -1, dtype=np.int8)
    with pytest.raises(zeroipc.NoSpace):
        Array(mem, "big", 1 << 30, dtype=np.int8)


def test_raw_entry_too_small_for_an_array_is_corrupt(mem: Memory) -> None:
    mem.table.add("tiny", 4)
    with pytest.raises(zeroipc.Corrupt):
        Array(mem, "tiny", dtype=np.int8)


@pytest.mark.parametrize("dtype", [
    np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
    np.uint64, np.float32, np.float64, np.complex64, np.complex128, np.bool_,
    ">i4", "S5",
])
def test_values_round_trip_through_a_second_handle(mem: Memory,
                                                   dtype: object) -> None:
    dt = np.dtype(dtype)
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 256, size=257 * dt.itemsize, dtype=np.uint8)
    if dt.kind == "f":  # random bits could be NaNs, which compare unequal
        expected = rng.standard_normal(257).astype(dt)
    elif dt.kind == "c":
        expected = (rng.standard_normal(257)
                    + 1j * rng.standard_normal(257)).astype(dt)
    elif dt == np.bool_:
        expected = raw % 2 == 1
    else:
        expected = raw.view(dt)
    arr = Array(mem, "v", 257, dtype=dt)
    arr[:] = expected
    with Memory(mem.name) as other:
        got = Array(other, "v", dtype=dt)
        assert got.data.tobytes() == np.asarray(expected, dtype=dt).tobytes()


def test_indexing_and_slicing_act_on_shared_memory(mem: Memory) -> None:
    arr = Array(mem, "v", 10, dtype=np.int64)
    arr[:] = np.arange(10)
    assert arr[-1] == 9
    window = arr[2:5]
    window[:] = [-2, -3, -4]  # a slice is a view, not a copy
    arr[::3] = 100
    other = Array(Memory(mem.name), "v", dtype=np.int64)
    assert list(other) == [100, 1, -2, 100, -4, 5, 100, 7, 8, 100]
    with pytest.raises(IndexError):
        arr[10]
    with pytest.raises(IndexError):
        arr[-11] = 1


def test_asarray_is_zero_copy(mem: Memory) -> None:
    arr = Array(mem, "v", 64, dtype=np.float32)
    view = np.asarray(arr)
    assert view.base is not None
    assert view.ctypes.data == address_of(
        lib.zeroipc_array_data(arr._handle()))
    assert np.shares_memory(view, arr.data)
    view[5] = 2.5
    assert arr[5] == 2.5
    copied = np.asarray(arr, dtype=np.float64)
    assert not np.shares_memory(copied, arr.data)
    assert np.array(arr, copy=True) is not view


def test_structured_records(mem: Memory) -> None:
    arr = Array(mem, "rec", 3, dtype=RECORD)
    assert arr.elem_size == 32
    arr[0] = (7, 2.5, -3, 0.25, b"seven")
    arr.data["id"][1:] = [8, 9]
    arr.data["label"][2] = b"nine"
    with Memory(mem.name) as other:
        got = Array(other, "rec", dtype=RECORD)
        assert got[0]["id"] == 7 and got[0]["value"] == 2.5
        assert got[0]["kind"] == -3 and got[0]["weight"] == 0.25
        assert got[0]["label"] == b"seven"
        assert list(got.data["id"]) == [7, 8, 9]
        assert got[2]["label"] == b"nine"
        # Padding between fields stays as created: zero.
        raw = got.data.view(np.uint8).reshape(3, 32)
        assert not raw[:, 4:8].any() and not raw[:, 18:20].any()


@pytest.mark.parametrize("dtype", [np.int32, np.uint32, np.int64, np.uint64])
def test_atomic_operations(mem: Memory, dtype: type) -> None:
    arr = Array(mem, "c", 4, dtype=dtype)
    bits = np.dtype(dtype).itemsize * 8
    signed = np.dtype(dtype).kind == "i"
    arr.store(1, 41)
    assert arr.load(1) == 41 and arr[1] == 41
    assert arr.fetch_add(1, 1) == 41
    assert arr.load(-3) == 42
    assert arr.compare_exchange(1, 42, 50) == (True, 42)
    assert arr.compare_exchange(1, 42, 60) == (False, 50)
    assert arr.load(1) == 50
    # Wrap-around in the element's own width.
    top = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    arr.store(2, top)
    prev = arr.fetch_add(2, 1)
    assert prev == top and type(prev) is np.dtype(dtype).type
    assert arr.load(2) == (-(1 << (bits - 1)) if signed else 0)
    if signed:
        arr.store(3, -5)
        assert arr.fetch_add(3, -5) == -5 and arr[3] == -10
    with pytest.raises(OverflowError):
        arr.store(0, top + 1)
    with pytest.raises(zeroipc.Range):
        arr.load(4)
    with pytest.raises(IndexError):
        arr.fetch_add(-5, 1)


def test_atomics_need_a_native_integer_dtype(mem: Memory) -> None:
    for name, dtype in (("f", np.float32), ("be", ">i4")):
        arr = Array(mem, name, 2, dtype=dtype)
        with pytest.raises(TypeError, match="integer"):
            arr.load(0)
    short = Array(mem, "s", 2, dtype=np.int16)
    with pytest.raises(zeroipc.SizeMismatch):
        short.fetch_add(0, 1)


def test_close(mem: Memory) -> None:
    arr = Array(mem, "v", 4, dtype=np.int32)
    with arr:
        arr[0] = 1
    assert arr.closed
    for use in (lambda: arr[0], lambda: arr.data, lambda: arr.load(0)):
        with pytest.raises(ValueError, match="closed"):
            use()
    with pytest.raises(ValueError):
        arr[0] = 2
    assert Array(mem, "v", dtype=np.int32)[0] == 1


def test_repr(mem: Memory) -> None:
    arr = Array(mem, "temperature", 1000, dtype=np.float32)
    assert repr(arr) == ("<zeroipc.Array 'temperature' in %r: float32[1000]>"
                         % mem.name)
