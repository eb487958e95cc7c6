# SPDX-License-Identifier: MIT
"""Memory: create, open, close, unlink, read-only, validation."""
from __future__ import annotations

import os
from typing import Callable

import numpy as np
import pytest

import zeroipc
from zeroipc import Array, Memory

MiB = 1 << 20


def _shm_path(name: str) -> str:
    # glibc keeps POSIX shared memory objects here.
    return "/dev/shm/" + name.lstrip("/")


def test_size_creates_and_no_size_opens(shm_name: str) -> None:
    with Memory(shm_name, 2 * MiB) as a:
        assert a.created
        assert (a.name, a.size, a.readonly) == (shm_name, 2 * MiB, False)
        with Memory(shm_name) as b:
            assert not b.created
            assert b.size == 2 * MiB


def test_open_or_create_uses_an_existing_segment_whatever_its_size(
        shm_name: str) -> None:
    with Memory(shm_name, MiB) as a:
        a.table.add("marker", 16)
        with Memory(shm_name, 4 * MiB) as b:
            assert not b.created
            assert b.size == MiB
            assert "marker" in b


def test_exclusive_create_refuses_an_existing_name(shm_name: str) -> None:
    with Memory(shm_name, MiB, exclusive=True) as a:
        assert a.created
        with pytest.raises(zeroipc.Exists) as info:
            Memory(shm_name, MiB, exclusive=True)
        assert shm_name in info.value.detail
        a.table.add("kept", 8)
    with Memory(shm_name) as b:
        assert "kept" in b  # the failed create left the segment alone


def test_open_missing_raises_not_found(shm_name: str) -> None:
    with pytest.raises(zeroipc.NotFound):
        Memory(shm_name)
    assert not os.path.exists(_shm_path(shm_name))


@pytest.mark.parametrize("kwargs,message", [
    (dict(size=-1), "size must be >= 0"),
    (dict(exclusive=True), "needs a size"),
    (dict(size=MiB, readonly=True), "pass no size"),
])
def test_contradictory_arguments(shm_name: str, kwargs: dict,
                                 message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Memory(shm_name, **kwargs)
    assert not os.path.exists(_shm_path(shm_name))


@pytest.mark.parametrize("name", ["no_slash", "/a/b", "/" + "x" * 300])
def test_bad_segment_names(name: str) -> None:
    with pytest.raises(zeroipc.Name):
        Memory(name, MiB)


def test_name_must_be_str() -> None:
    with pytest.raises(TypeError):
        Memory(b"/bytes", MiB)  # type: ignore[arg-type]


def test_too_small_for_the_table(shm_name: str) -> None:
    with pytest.raises(zeroipc.TooSmall):
        Memory(shm_name, 64)


def test_max_entries_is_the_table_capacity(shm_name: str) -> None:
    with Memory(shm_name, MiB, max_entries=100) as a:
        assert a.table.capacity == 100
    with Memory(shm_name) as b:
        assert b.table.capacity == 100  # read from the header


def test_mode_sets_permissions(shm_name: str) -> None:
    with Memory(shm_name, MiB, mode=0o640):
        assert os.stat(_shm_path(shm_name)).st_mode & 0o777 == 0o640


def test_context_manager_closes_but_never_unlinks(shm_name: str) -> None:
    with Memory(shm_name, MiB) as m:
        pass
    assert m.closed
    assert os.path.exists(_shm_path(shm_name))
    with Memory(shm_name) as again:
        assert again.size == MiB


def test_use_after_close_raises_and_close_is_idempotent(
        mem: Memory) -> None:
    mem.close()
    mem.close()
    for use in (lambda: mem.size, lambda: len(mem.table),
                lambda: Array(mem, "a", 4, dtype=np.int8), mem.validate):
        with pytest.raises(ValueError, match="closed"):
            use()
    assert "closed" in repr(mem)


def test_unlink(shm_name: str) -> None:
    Memory(shm_name, MiB).close()
    Memory.unlink(shm_name)
    assert not os.path.exists(_shm_path(shm_name))
    with pytest.raises(zeroipc.NotFound):
        Memory.unlink(shm_name)
    Memory.unlink(shm_name, missing_ok=True)


def test_unlink_keeps_existing_mappings(shm_name: str) -> None:
    with Memory(shm_name, MiB) as m:
        arr = Array(m, "v", 8, dtype=np.int64)
        arr[:] = np.arange(8)
        Memory.unlink(shm_name)
        arr[3] = 33
        assert list(arr) == [0, 1, 2, 33, 4, 5, 6, 7]


def test_readonly_open(mem: Memory) -> None:
    arr = Array(mem, "v", 4, dtype=np.float64)
    arr[:] = [1.5, 2.5, 3.5, 4.5]
    Array(mem, "c", 2, dtype=np.int64)
    with Memory(mem.name, readonly=True) as ro:
        assert ro.readonly
        view = Array(ro, "v", dtype=np.float64)
        assert list(view) == [1.5, 2.5, 3.5, 4.5]
        with pytest.raises(ValueError, match="read-only"):
            view[0] = 9.0
        with pytest.raises(zeroipc.Readonly):
            ro.table.add("x", 8)
        with pytest.raises(zeroipc.Readonly):
            Array(ro, "w", 4, dtype=np.float64)
        with pytest.raises(zeroipc.Readonly):
            Array(ro, "c", dtype=np.int64).store(0, 1)
    assert arr[0] == 1.5


def test_repr_shows_the_segment(mem: Memory) -> None:
    mem.table.add("x", 8)
    text = repr(mem)
    assert mem.name in text and "size=%d" % MiB in text
    assert "entries=1/64" in text


def test_validate_passes_on_a_good_segment(mem: Memory) -> None:
    Array(mem, "a", 100, dtype=np.int32)
    mem.validate()


def test_foreign_file_is_bad_format(shm_name: str) -> None:
    with open(_shm_path(shm_name), "wb") as f:
        f.write(b"not zeroipc at all" * 512)
    with pytest.raises(zeroipc.BadFormat):
        Memory(shm_name)


def test_empty_file_is_refused(shm_name: str) -> None:
    open(_shm_path(shm_name), "wb").close()
    with pytest.raises(zeroipc.ZeroIPCError):
        Memory(shm_name)


def test_damaged_header_is_caught_by_open_and_validate(
        shm_names: Callable[[], str]) -> None:
    name = shm_names()
    with Memory(name, MiB) as m:
        Array(m, "a", 16, dtype=np.int32)
        with open(_shm_path(name), "r+b") as f:
            f.write(b"\xff" * 8)  # overwrite the start of the header
        with pytest.raises(zeroipc.ZeroIPCError) as info:
            m.validate()
        assert isinstance(info.value, (zeroipc.BadFormat, zeroipc.Version,
                                       zeroipc.Corrupt))
    with pytest.raises(zeroipc.BadFormat):
        Memory(name)
