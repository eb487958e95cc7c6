# SPDX-License-Identifier: MIT
"""Fixed-capacity arrays in shared memory, seen as NumPy arrays."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from ._structure import (CFunctions, ElementStructure, check_capacity,
                         element_dtype)
from ._view import address_of, byte_view
from .errors import check
from .memory import Memory

__all__ = ["Array"]


class Array(ElementStructure):
    """A named array of `capacity` elements of `dtype` in a segment.

    ``Array(mem, name, capacity, dtype=...)`` creates it (zeroed);
    ``Array(mem, name, dtype=...)`` opens it, and the library checks that the
    stored size matches ``dtype.itemsize`` (:class:`~zeroipc.SizeMismatch`
    otherwise).  No type is stored in the segment: every user states the
    dtype, and a structured dtype (with explicit offsets and itemsize, to
    match a C struct) describes records.

    Indexing, slicing, iteration and ``len()`` work as on a NumPy array and
    act on the shared memory directly; ``arr.data`` and ``np.asarray(arr)``
    are zero-copy views.  Views keep the mapping alive after ``close()``.
    ``load``/``store``/``fetch_add``/``compare_exchange`` are the library's
    sequentially consistent atomic operations, for 4- and 8-byte integer
    dtypes.
    """

    _KIND = "Array"
    _c = CFunctions("array")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        # Elements sit at 8-byte aligned offsets in the segment (format
        # v2), so a dtype that needs more cannot be viewed safely.  A
        # capacity or element size of 0 is left to the library to refuse.
        dt = element_dtype(dtype, "element", "shared arrays guarantee",
                           nonempty=False)
        check_capacity(capacity, minimum=0)
        self._attach_elements(mem, name, capacity, dt)
        if self._elem_size != dt.itemsize:
            raise RuntimeError("library reports element size %d for dtype "
                               "%s of itemsize %d" % (self._elem_size, dt,
                                                      dt.itemsize))
        address = address_of(self._c.data(self._h))
        self._atomic_ops = (_Atomics(dt) if dt.kind in "iu" and dt.isnative
                            else None)
        self._view: np.ndarray | None = byte_view(
            self._memh, address, self._capacity * self._elem_size,
            mem.readonly).view(dt)

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the array handle.  Views taken earlier stay valid."""
        super().close()
        self._view = None

    # -- description -----------------------------------------------------

    @property
    def elem_size(self) -> int:
        """Bytes per element, as the library reports it."""
        return int(self._c.elem_size(self._handle()))

    @property
    def data(self) -> np.ndarray:
        """Zero-copy NumPy view of the whole array.

        It keeps the mapping alive on its own: it stays valid after this
        Array and its Memory are closed.
        """
        view = self._view
        if view is None:
            raise self._closed_error()
        return view

    def _describe(self) -> str:
        return "%s[%d]" % (self._dtype, self._capacity)

    def _state(self) -> str:
        return ""

    # -- NumPy-style access ----------------------------------------------

    def __len__(self) -> int:
        return self._capacity

    def __getitem__(self, key: Any) -> Any:
        view = self._view
        if view is None:
            raise self._closed_error()
        return view[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        view = self._view
        if view is None:
            raise self._closed_error()
        view[key] = value

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)

    def __array__(self, dtype: DTypeLike = None,
                  copy: bool | None = None) -> np.ndarray:
        view = self.data
        if dtype is not None and np.dtype(dtype) != view.dtype:
            return view.astype(dtype)
        return view.copy() if copy else view

    # -- atomic operations -----------------------------------------------

    def _atomics(self) -> "_Atomics":
        ops = self._atomic_ops
        if ops is None:
            raise TypeError("atomic operations need a native-endian integer "
                            "dtype, not %s" % self._dtype)
        if self._h is None:
            raise self._closed_error()
        return ops

    def _index(self, index: int) -> int:
        if index < 0:
            index += self._capacity
            if index < 0:
                raise IndexError("index %d out of range for %d elements"
                                 % (index - self._capacity, self._capacity))
        return index

    def load(self, index: int) -> Any:
        """Atomically read element `index`."""
        ops = self._atomics()
        out = ffi.new(ops.ptr_type)
        check(ops.load(out, self._h, self._index(index)))
        return ops.from_unsigned(out[0])

    def store(self, index: int, value: int) -> None:
        """Atomically write `value` into element `index`."""
        ops = self._atomics()
        check(ops.store(self._h, self._index(index),
                        ops.value_to_unsigned(value, "value")))

    def fetch_add(self, index: int, delta: int) -> Any:
        """Atomically add `delta` (wrapping) and return the previous value.

        `delta` may be given signed or unsigned: -1 and 2**bits - 1 both
        subtract one.
        """
        ops = self._atomics()
        out = ffi.new(ops.ptr_type)
        check(ops.fetch_add(out, self._h, self._index(index),
                            ops.delta_to_unsigned(delta)))
        return ops.from_unsigned(out[0])

    def compare_exchange(self, index: int, expected: int,
                         desired: int) -> tuple[bool, Any]:
        """Store `desired` if element `index` equals `expected`.

        Returns ``(True, expected)`` if it did, else ``(False, current)``:
        losing the race is an expected outcome, not an exception.
        """
        ops = self._atomics()
        exp = ffi.new(ops.ptr_type,
                      ops.value_to_unsigned(expected, "expected"))
        status = ops.compare_exchange(
            self._h, self._index(index), exp,
            ops.value_to_unsigned(desired, "desired"))
        if status == _ECHANGED:
            return False, ops.from_unsigned(exp[0])
        check(status)
        return True, ops.from_unsigned(exp[0])


_ECHANGED = lib.ZEROIPC_ECHANGED


class _Atomics:
    """The C atomic functions for one integer dtype, and the conversions
    between its values and the unsigned integers the C API takes.  Built
    once per Array, so a call costs one library call and no lookups."""

    __slots__ = ("load", "store", "fetch_add", "compare_exchange",
                 "ptr_type", "bits", "mask", "lo", "hi", "signed", "scalar")

    def __init__(self, dt: np.dtype) -> None:
        # 4-byte functions for elements up to 4 bytes: the library rejects
        # any size but 4 (ESIZE_MISMATCH), so a 2-byte dtype fails there.
        width = 32 if dt.itemsize <= 4 else 64
        suffix = "_u%d" % width
        self.load = getattr(lib, "zeroipc_array_load" + suffix)
        self.store = getattr(lib, "zeroipc_array_store" + suffix)
        self.fetch_add = getattr(lib, "zeroipc_array_fetch_add" + suffix)
        self.compare_exchange = getattr(
            lib, "zeroipc_array_compare_exchange" + suffix)
        self.ptr_type = ffi.typeof("uint%d_t *" % width)
        self.bits = dt.itemsize * 8
        self.mask = (1 << self.bits) - 1
        self.signed = dt.kind == "i"
        self.lo = -(1 << (self.bits - 1)) if self.signed else 0
        self.hi = (1 << (self.bits - 1 if self.signed else self.bits)) - 1
        self.scalar = dt.type

    def value_to_unsigned(self, value: int, what: str) -> int:
        value = int(value)
        if not self.lo <= value <= self.hi:
            raise OverflowError("%s %d out of range for %s"
                                % (what, value, np.dtype(self.scalar)))
        return value & self.mask

    def delta_to_unsigned(self, delta: int) -> int:
        delta = int(delta)
        if not -(1 << (self.bits - 1)) <= delta <= self.mask:
            raise OverflowError("delta %d does not fit in %d bits"
                                % (delta, self.bits))
        return delta & self.mask

    def from_unsigned(self, value: int) -> Any:
        if self.signed and value > self.hi:
            value -= 1 << self.bits
        return self.scalar(value)
