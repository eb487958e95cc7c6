# SPDX-License-Identifier: MIT
"""Zero-copy NumPy views that keep their mapping alive.

A view is built over an object exposing ``__array_interface__``; NumPy keeps
that object as the array's base, and the object holds the memory handle (a
cffi cdata whose destructor unmaps the segment).  So the mapping is unmapped
only after the last view, slice or scalar taken from it is gone, however the
Python objects that made it were closed.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ._ffi import ffi


class _Mapped:
    """Exposes one region of a mapping to NumPy and owns a reference to it."""

    __slots__ = ("__array_interface__", "_owner")

    def __init__(self, owner: Any, address: int, nbytes: int,
                 readonly: bool) -> None:
        self._owner = owner
        self.__array_interface__ = {
            "version": 3,
            "shape": (nbytes,),
            "typestr": "|u1",
            "data": (address, readonly),
        }


def address_of(ptr: Any) -> int:
    """Integer address of a cffi pointer."""
    return int(ffi.cast("uintptr_t", ptr))


def byte_view(owner: Any, address: int, nbytes: int,
              readonly: bool) -> np.ndarray:
    """A uint8 array over `nbytes` at `address`, keeping `owner` alive.

    A read-only mapping gives a read-only array (writing would fault), and
    NumPy refuses to make it writeable.
    """
    return np.asarray(_Mapped(owner, address, nbytes, readonly))
