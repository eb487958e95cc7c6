# SPDX-License-Identifier: MIT
"""NumPy views never outlive their mapping: they keep it alive.

Whether the segment is mapped is read from /proc/self/maps, so these tests
see the real munmap, not just Python objects going away.
"""
from __future__ import annotations

import gc
import os

import numpy as np
import pytest

from zeroipc import Array, Memory


_inodes: dict[str, int] = {}


def _mapped(name: str) -> int:
    """How many mappings of shm object `name` this process has.

    Matched by inode: the path in /proc/self/maps can be the temporary name
    the segment was created under before it was linked to `name`.
    """
    if name not in _inodes:
        _inodes[name] = os.stat("/dev/shm/" + name.lstrip("/")).st_ino
    count = 0
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            if (len(fields) >= 6 and fields[5].startswith("/dev/shm/")
                    and int(fields[4]) == _inodes[name]):
                count += 1
    return count


def test_closing_without_views_unmaps(shm_name: str) -> None:
    mem = Memory(shm_name, 1 << 20)
    arr = Array(mem, "v", 16, dtype=np.int32)
    assert _mapped(shm_name) == 1
    arr.close()
    assert _mapped(shm_name) == 1  # the Memory still holds it
    mem.close()
    assert _mapped(shm_name) == 0


def test_view_keeps_the_mapping_after_close(shm_name: str) -> None:
    mem = Memory(shm_name, 1 << 20)
    arr = Array(mem, "v", 1000, dtype=np.float64)
    view = arr.data
    view[:] = np.arange(1000) * 0.5
    arr.close()
    mem.close()
    assert _mapped(shm_name) == 1
    # Still readable and writable, and the writes reach shared memory.
    assert view[999] == 499.5
    view[0] = -1.0
    with Memory(shm_name) as other:
        assert Array(other, "v", dtype=np.float64)[0] == -1.0
    del view
    gc.collect()
    assert _mapped(shm_name) == 0


@pytest.mark.parametrize("take", [
    lambda arr: arr.data[10:20],                  # slice of the view
    lambda arr: arr[10:20],                       # slice through the Array
    lambda arr: np.asarray(arr),                  # __array__
    lambda arr: arr.data.reshape(10, 10)[1],      # derived view
    lambda arr: arr.data.view(np.uint8),          # reinterpretation
])
def test_every_kind_of_view_keeps_it(shm_name: str, take) -> None:
    mem = Memory(shm_name, 1 << 20)
    arr = Array(mem, "v", 100, dtype=np.int32)
    arr[:] = np.arange(100)
    piece = take(arr)
    expected = piece.copy()
    del arr
    mem.close()
    del mem
    gc.collect()
    assert _mapped(shm_name) == 1
    assert np.array_equal(piece, expected)
    del piece
    gc.collect()
    assert _mapped(shm_name) == 0


def test_record_scalar_keeps_it(shm_name: str) -> None:
    dt = np.dtype([("a", "<i4"), ("b", "<f8")], align=True)
    mem = Memory(shm_name, 1 << 20)
    arr = Array(mem, "r", 4, dtype=dt)
    arr[2] = (5, 1.25)
    rec = arr[2]  # a structured scalar is a view into the array
    arr.close()
    mem.close()
    gc.collect()
    assert _mapped(shm_name) == 1
    assert (rec["a"], rec["b"]) == (5, 1.25)
    del rec
    gc.collect()
    assert _mapped(shm_name) == 0


def test_region_view_keeps_it(shm_name: str) -> None:
    mem = Memory(shm_name, 1 << 20)
    mem.table.add("raw", 64)
    region = mem.region("raw")
    mem.close()
    gc.collect()
    region[:] = 7
    assert _mapped(shm_name) == 1
    del region
    gc.collect()
    assert _mapped(shm_name) == 0


def test_views_survive_unlink(shm_name: str) -> None:
    mem = Memory(shm_name, 1 << 20)
    view = Array(mem, "v", 8, dtype=np.int64).data
    mem.close()
    Memory.unlink(shm_name)
    view[:] = 3
    assert view.sum() == 24


def test_readonly_views_cannot_be_made_writable(shm_name: str) -> None:
    with Memory(shm_name, 1 << 20) as mem:
        Array(mem, "v", 8, dtype=np.int64)
    with Memory(shm_name, readonly=True) as ro:
        view = Array(ro, "v", dtype=np.int64).data
        assert not view.flags.writeable
        with pytest.raises(ValueError):
            view.flags.writeable = True
        with pytest.raises(ValueError):
            view[0] = 1
