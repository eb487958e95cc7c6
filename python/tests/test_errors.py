# SPDX-License-Identifier: MIT
"""Exceptions come from the C status list, with the library's detail."""
from __future__ import annotations

import pickle
import threading

import numpy as np
import pytest

import zeroipc
from zeroipc import errors
from zeroipc._ffi import ffi, lib


def _c_statuses() -> dict[str, int]:
    enum = ffi.typeof("enum zeroipc_status")
    return {name: value for name, value in enum.relements.items()
            if value < 0 and not name.startswith("ZEROIPC__")}


def test_every_c_status_has_its_own_class() -> None:
    statuses = _c_statuses()
    assert len(statuses) >= 20
    classes = {errors.error_class(v) for v in statuses.values()}
    assert len(classes) == len(statuses)
    for name, value in statuses.items():
        cls = errors.error_class(value)
        assert issubclass(cls, zeroipc.ZeroIPCError)
        assert cls is not zeroipc.ZeroIPCError
        assert cls.status == value
        assert getattr(zeroipc, cls.__name__) is cls
        assert cls.__name__ in zeroipc.__all__
        c_name = ffi.string(lib.zeroipc_status_name(value)).decode()
        assert name == "ZEROIPC_" + c_name


@pytest.mark.parametrize("cls_name,c_name", [
    ("NotFound", "ENOT_FOUND"), ("Exists", "EEXISTS"), ("Full", "EFULL"),
    ("Empty", "EEMPTY"), ("Timeout", "ETIMEOUT"), ("Corrupt", "ECORRUPT"),
    ("BadFormat", "EBAD_FORMAT"), ("SizeMismatch", "ESIZE_MISMATCH"),
    ("TableFull", "ETABLE_FULL"), ("Inval", "EINVAL"),
])
def test_class_names_follow_the_c_names(cls_name: str, c_name: str) -> None:
    cls = getattr(zeroipc, cls_name)
    assert cls.status == getattr(lib, "ZEROIPC_" + c_name)


def test_python_bases_for_argument_errors() -> None:
    assert issubclass(zeroipc.Inval, ValueError)
    assert issubclass(zeroipc.Range, IndexError)
    assert issubclass(zeroipc.NotFound, LookupError)


def test_message_has_strerror_and_library_detail(shm_name: str) -> None:
    with pytest.raises(zeroipc.NotFound) as info:
        zeroipc.Memory(shm_name)
    e = info.value
    assert e.status == lib.ZEROIPC_ENOT_FOUND
    assert e.name == "ENOT_FOUND"
    assert shm_name in e.detail
    assert str(e) == "not found: " + e.detail


def test_unknown_status_is_the_base_class() -> None:
    assert errors.error_class(-9999) is zeroipc.ZeroIPCError
    e = zeroipc.ZeroIPCError(-9999)
    assert e.name == "UNKNOWN"
    assert str(e) == ffi.string(lib.zeroipc_strerror(-9999)).decode()
    with pytest.raises(zeroipc.ZeroIPCError):
        errors.check(-9999)
    assert errors.check(0) == 0
    assert errors.check(7) == 7


def test_errors_pickle_with_class_status_and_detail(shm_name: str) -> None:
    with pytest.raises(zeroipc.NotFound) as info:
        zeroipc.Memory(shm_name)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is zeroipc.NotFound
    assert (copy.status, copy.detail, str(copy)) == (
        info.value.status, info.value.detail, str(info.value))


def test_detail_is_per_thread(mem: zeroipc.Memory) -> None:
    # Another thread failing differently in between must not change the
    # detail this thread reports (zeroipc_last_error is thread-local).
    arr = zeroipc.Array(mem, "a", 4, dtype=np.int32)
    started, resume = threading.Event(), threading.Event()
    seen: list[str] = []

    def other() -> None:
        started.wait(10)
        try:
            zeroipc.Array(mem, "a", dtype=np.int64)
        except zeroipc.SizeMismatch as e:
            seen.append(e.detail)
        resume.set()

    t = threading.Thread(target=other)
    t.start()
    status = lib.zeroipc_array_get(ffi.NULL, arr._handle(), 0)
    started.set()
    assert resume.wait(10)
    t.join(10)
    with pytest.raises(zeroipc.Inval) as info:
        errors.check(status)
    assert seen and seen[0] and seen[0] != info.value.detail
    assert "zeroipc_array_get" in info.value.detail
