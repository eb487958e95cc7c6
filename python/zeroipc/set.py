# SPDX-License-Identifier: MIT
"""Hash sets of fixed-size keys in shared memory."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi
from ._structure import (EEXISTS, ENOT_FOUND, CFunctions, HashStructure,
                         check_capacity, fixed_dtype, from_bytes, outcome)
from .memory import Memory

__all__ = ["Set"]


class Set(HashStructure):
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

    _KIND = "Set"
    _c = CFunctions("set")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        dt = fixed_dtype(dtype, "dtype")
        check_capacity(capacity)
        self._kdt = dt
        self._attach(mem, name, capacity, (dt.itemsize,))

    def close(self) -> None:
        """Release the handle; the set stays in the segment."""
        super().close()

    # -- description -----------------------------------------------------

    @property
    def dtype(self) -> np.dtype:
        return self._kdt

    def _describe(self) -> str:
        return str(self._kdt)

    # -- set-style access ------------------------------------------------

    def add(self, key: Any) -> bool:
        """Add `key`.  True if it was added, False if already present.
        Raises :class:`~zeroipc.Full` when no slot is free for it."""
        return outcome(self._c.insert(self._handle(), self._key(key)),
                       (EEXISTS,))

    def discard(self, key: Any) -> bool:
        """Remove `key` if present.  True if it was removed."""
        return outcome(self._c.erase(self._handle(), self._key(key)),
                       (ENOT_FOUND,))

    def remove(self, key: Any) -> None:
        """Remove `key`; :class:`KeyError` if absent."""
        if not self.discard(key):
            raise KeyError(key)

    def __iter__(self) -> Iterator[Any]:
        """Keys, in slot order (weakly consistent under changes)."""
        h = self._handle()
        cursor = ffi.new("uint64_t *")
        out = ffi.new("char[]", self._kdt.itemsize)
        while outcome(self._c.next(out, h, cursor), (ENOT_FOUND,)):
            yield from_bytes(ffi.buffer(out)[:], self._kdt)

    def validate(self) -> None:
        """Check the set's shared bytes at rest (by name, reading the key
        size from its header); raise :class:`~zeroipc.Corrupt` on an
        inconsistency.  Meant for a set nobody is changing."""
        self._validate_by_name()
