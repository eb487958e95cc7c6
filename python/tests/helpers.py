# SPDX-License-Identifier: MIT
"""Checks and process plumbing that several test modules share.

Each helper asserts what its docstring says, so a test that calls it fails
the same way it would with the assertions written out.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar

import numpy as np
import pytest

import zeroipc
from zeroipc import Memory

T = TypeVar("T")

# A C struct { uint32_t id; double value; int16_t kind; float weight;
# char label[8]; } has these offsets and size on x86-64 and aarch64.
C_RECORD = np.dtype({
    "names": ["id", "value", "kind", "weight", "label"],
    "formats": ["<u4", "<f8", "<i2", "<f4", "S8"],
    "offsets": [0, 8, 16, 20, 24],
    "itemsize": 32,
})

# A record with padding (3 bytes after "flag"), as NumPy aligns it.
RECORD = np.dtype([("id", "<u4"), ("flag", "u1"), ("x", "<f8")], align=True)

# Element dtypes and values that Stack and Ring round-trip alike.
ROUND_TRIP_CASES = [
    (np.uint8, [0, 255, 7]),
    (np.int64, [-(1 << 62), 0, (1 << 62)]),
    (np.float32, [1.5, -0.25, 3.0]),
    (np.complex128, [1 + 2j, -3j, 0.5]),
    (np.dtype("S5"), [b"ab", b"hello", b""]),
]


def run_processes(procs: Sequence[Any], timeout: float,
                  during: Callable[[], T] | None = None) -> T | None:
    """Start `procs`, call `during` while they run (to feed them or collect
    what they send back before they can exit), then join each for up to
    `timeout` seconds.  Whatever happens, none is left running: one still
    alive is killed.  Asserts that every one exited with status 0, and
    returns what `during` returned."""
    for p in procs:
        p.start()
    try:
        result = during() if during is not None else None
        for p in procs:
            p.join(timeout)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    assert [p.exitcode for p in procs] == [0] * len(procs)
    return result


def check_create_and_open_errors(cls: type, mem: Memory) -> None:
    """What an element structure class refuses, alike for every one: a
    mismatched element size, a taken name, a missing one, a name too long,
    no dtype, capacity 0 and a dtype of Python objects."""
    cls(mem, "e", 4, dtype=np.int64)
    with pytest.raises(zeroipc.SizeMismatch):
        cls(mem, "e", dtype=np.int32)
    with pytest.raises(zeroipc.Exists):
        cls(mem, "e", 4, dtype=np.int64)
    with pytest.raises(zeroipc.NotFound):
        cls(mem, "missing", dtype=np.int64)
    with pytest.raises(zeroipc.Name):
        cls(mem, "x" * 27, 4, dtype=np.int64)
    with pytest.raises(TypeError):
        cls(mem, "n", 4)
    with pytest.raises(ValueError):
        cls(mem, "n", 0, dtype=np.int8)
    with pytest.raises(TypeError):
        cls(mem, "n", 4, dtype=object)


def check_second_mapping_sees_same(cls: type, mem: Memory,
                                    shm_name: str) -> None:
    """A Stack or Queue of 8 float64 created in `mem` is the same one when
    opened through another mapping of the segment, in both directions."""
    s = cls(mem, "shared", 8, dtype=np.float64)
    s.push(2.5)
    with Memory(shm_name) as other:
        t = cls(other, "shared", dtype=np.float64)
        assert t.capacity == 8 and len(t) == 1
        assert t.pop() == 2.5
        t.push(-1.0)
    assert s.pop() == -1.0


def check_closed(obj: Any, *ops: Callable[[], Any]) -> None:
    """`obj` is closed: each of `ops` raises ValueError, and repr says so."""
    assert obj.closed
    for op in ops:
        with pytest.raises(ValueError):
            op()
    assert "closed" in repr(obj)


def check_validate_by_name(structure: Any, word: np.ndarray, bad: int,
                           good: int) -> None:
    """validate() passes; with `bad` in header `word` (a view of the
    structure's bytes) it raises Corrupt, with `good` back it passes again;
    once the structure is closed it raises ValueError."""
    structure.validate()
    word[0] = bad
    with pytest.raises(zeroipc.Corrupt):
        structure.validate()
    word[0] = good
    structure.validate()
    structure.close()
    with pytest.raises(ValueError, match="closed"):
        structure.validate()
