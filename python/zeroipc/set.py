# SPDX-License-Identifier: MIT
"""Hash sets of fixed-size keys in shared memory."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from .errors import check
from .map import _fixed_dtype, _from_bytes, _to_bytes
from .memory import Memory, _encode

__all__ = ["Set"]


class Set:
    """A named hash set of `dtype` keys in a segment.

    ``Set(mem, name, capacity, dtype=...)`` creates it with `capacity` slots
    (rounded up to a power of two; leave about a quarter free);
    ``Set(mem, name, dtype=...)`` opens it, and the library checks the
    stored key size (:class:`~zeroipc.SizeMismatch` otherwise).  The same
    bytes open as a :class:`~zeroipc.Map` whose values have 0 bytes.

    Set-style access: :meth:`add`, :meth:`discard`, :meth:`remove`,
    ``k in s``, ``len(s)``, iteration.  A key is a value of `dtype` (a
    Python number, NumPy scalar, tuple or record) or ``bytes`` of exactly
    the key size; keys compare as bytes.  Every operation is lock-free.
    Iteration is weakly consistent under concurrent changes.  See
    SPECIFICATION.md, "Set".
    """

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        dt = _fixed_dtype(dtype, "dtype")
        if capacity is not None and capacity <= 0:
            raise ValueError("capacity must be positive, got %d" % capacity)
        memh = mem._handle()
        out = ffi.new("zeroipc_set **")
        cname = _encode(name)
        if capacity is None:
            check(lib.zeroipc_set_open(out, memh, cname, dt.itemsize))
        else:
            check(lib.zeroipc_set_create(out, memh, cname, dt.itemsize,
                                         capacity))
        # Borrows the memory handle: the destructor keeps it alive.
        self._h: Any = ffi.gc(
            out[0],
            lambda p, _mem=memh, _close=lib.zeroipc_set_close: _close(p))
        self._memh = memh
        self._name = name
        self._mem_name = mem.name
        self._dt = dt
        self._capacity = int(lib.zeroipc_set_capacity(self._h))

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handle; the set stays in the segment."""
        self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self) -> "Set":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise ValueError("operation on closed Set %r" % self._name)
        return h

    # -- description -----------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> np.dtype:
        return self._dt

    @property
    def capacity(self) -> int:
        """Number of slots (a power of two)."""
        return self._capacity

    def __len__(self) -> int:
        return int(lib.zeroipc_set_size(self._handle()))

    def __repr__(self) -> str:
        state = (" closed" if self._h is None else
                 " %d/%d" % (len(self), self._capacity))
        return "<zeroipc.Set %r in %r: %s%s>" % (
            self._name, self._mem_name, self._dt, state)

    # -- set-style access ------------------------------------------------

    def _key(self, key: Any) -> Any:
        return ffi.from_buffer(_to_bytes(key, self._dt, "key"))

    def add(self, key: Any) -> bool:
        """Add `key`.  True if it was added, False if already present.
        Raises :class:`~zeroipc.Full` when no slot is free for it."""
        status = lib.zeroipc_set_insert(self._handle(), self._key(key))
        if status == lib.ZEROIPC_EEXISTS:
            return False
        check(status)
        return True

    def discard(self, key: Any) -> bool:
        """Remove `key` if present.  True if it was removed."""
        status = lib.zeroipc_set_erase(self._handle(), self._key(key))
        if status == lib.ZEROIPC_ENOT_FOUND:
            return False
        check(status)
        return True

    def remove(self, key: Any) -> None:
        """Remove `key`; :class:`KeyError` if absent."""
        if not self.discard(key):
            raise KeyError(key)

    def __contains__(self, key: Any) -> bool:
        try:
            kb = self._key(key)
        except (TypeError, ValueError, OverflowError):
            return False
        return bool(check(lib.zeroipc_set_contains(self._handle(), kb)))

    def __iter__(self) -> Iterator[Any]:
        """Keys, in slot order (weakly consistent under changes)."""
        h = self._handle()
        cursor = ffi.new("uint64_t *")
        out = ffi.new("char[]", self._dt.itemsize)
        while True:
            status = lib.zeroipc_set_next(out, h, cursor)
            if status == lib.ZEROIPC_ENOT_FOUND:
                return
            check(status)
            yield _from_bytes(ffi.buffer(out)[:], self._dt)

    def validate(self) -> None:
        """Check the set's shared bytes at rest (by name, reading the key
        size from its header); raise :class:`~zeroipc.Corrupt` on an
        inconsistency.  Meant for a set nobody is changing."""
        self._handle()
        check(lib.zeroipc_set_validate(self._memh, _encode(self._name)))
