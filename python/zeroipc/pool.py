# SPDX-License-Identifier: MIT
"""Fixed-size object pools in shared memory, addressed by index."""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from ._structure import (EFULL, ETIMEOUT, CFunctions, ElementStructure,
                         check_capacity, documented, element_dtype, outcome,
                         timeout_ns)
from ._view import address_of, byte_view
from .errors import check
from .memory import Memory

__all__ = ["Pool"]

_ENOT_ALLOCATED = int(lib.ZEROIPC_ENOT_ALLOCATED)


class Pool(ElementStructure):
    """A named pool of `capacity` objects of `dtype` in a segment.

    ``Pool(mem, name, capacity, dtype=...)`` creates it (every object free
    and zero-filled); ``Pool(mem, name, dtype=...)`` opens it, and the
    library checks that the stored object size is ``dtype.itemsize``
    (:class:`~zeroipc.SizeMismatch` otherwise).

    :meth:`allocate` returns the index of a free object, or None when every
    object is in use.  The index names the same object in every process:
    pass it through a Queue or an Array, and the receiver reads the object
    with ``pool[index]``.  :meth:`free` returns it; freeing an index that is
    not allocated raises :class:`~zeroipc.NotAllocated` (also when another
    process freed it first).  ``pool[index]`` reads a copy of an allocated
    object, ``pool[index] = value`` writes it, and :meth:`view` gives a
    zero-copy NumPy view of one object.  ``len(pool)`` is the number of
    objects in use; ``index in pool`` tells whether an object is allocated.

    The pool is lock-free; a process that dies holding an object leaks that
    object (the pool records no owners).
    """

    _KIND = "Pool"
    _c = CFunctions("pool")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        # Objects sit at 8-byte aligned offsets only when their size is a
        # multiple of 8, and the library guarantees no more than 8.
        dt = element_dtype(dtype, "object", "pool objects guarantee at most")
        check_capacity(capacity)
        self._attach_elements(mem, name, capacity, dt)
        self._readonly = mem.readonly
        self._index_out = ffi.new("uint64_t *")
        self._ptr_out = ffi.new("void **")

    def close(self) -> None:
        """Release the handle.  Objects stay allocated; views stay valid."""
        super().close()

    # -- description -----------------------------------------------------

    capacity = documented(ElementStructure.capacity,
                          "Number of objects (as stored in the segment).")
    elem_size = documented(ElementStructure.elem_size,
                           "Bytes per object, as the library reports it.")

    @property
    def in_use(self) -> int:
        """Objects allocated right now (a snapshot)."""
        return int(self._c.in_use(self._handle()))

    def __len__(self) -> int:
        return self.in_use

    def _describe(self) -> str:
        return "%s[%d]" % (self._dtype, self._capacity)

    def _state(self) -> str:
        return " %d/%d in use" % (self.in_use, self._capacity)

    # -- allocation ------------------------------------------------------

    def allocate(self, timeout: float | None = None) -> int | None:
        """Index of a newly allocated object, or None if none is free.

        With ``timeout=None`` it does not wait; with a number of seconds it
        waits up to that long for another thread or process to free one
        (``math.inf``: no limit).  The object holds whatever its previous
        owner left (zeros if it was never used).
        """
        h = self._handle()
        out = self._index_out
        if timeout is None:
            done = outcome(self._c.try_allocate(out, h), (EFULL,))
        else:
            done = outcome(self._c.allocate(out, h, timeout_ns(timeout)),
                           (ETIMEOUT,))
        return int(out[0]) if done else None

    def _index(self, index: Any) -> int:
        # Negative indices are refused rather than wrapped: counting from
        # the end means nothing for handed-out indices.
        i = int(index)
        if i < 0 or i >= self._capacity:
            raise IndexError("index %d out of range for a pool of %d objects"
                             % (i, self._capacity))
        return i

    def free(self, index: int) -> None:
        """Return object `index` to the pool.

        Raises :class:`~zeroipc.NotAllocated` if it is not allocated (a
        double free, possibly from another process) and :class:`IndexError`
        if it is out of range.
        """
        check(self._c.free(self._handle(), self._index(index)))

    def validate(self) -> None:
        """Check the pool's shared bytes at rest (by name, reading the
        element size from its header); raise :class:`~zeroipc.Corrupt` on an
        inconsistency.  Meant for a pool nobody is changing."""
        self._validate_by_name()

    # -- object access ---------------------------------------------------

    def _address(self, index: Any) -> int:
        i = self._index(index)
        check(self._c.ptr(self._ptr_out, self._handle(), i))
        return address_of(self._ptr_out[0])

    def view(self, index: int) -> np.ndarray:
        """Zero-copy 0-d NumPy view of allocated object `index`.

        ``v[...] = value`` writes it, ``v["field"]`` reaches a field of a
        structured dtype.  The view keeps the mapping alive, but not the
        object: after the object is freed the view still shows its bytes,
        which then belong to whoever allocates it next.
        """
        return self._bytes(index).view(self._dtype).reshape(())

    def _bytes(self, index: Any) -> np.ndarray:
        return byte_view(self._memh, self._address(index), self._elem_size,
                         self._readonly)

    def __getitem__(self, index: int) -> Any:
        """A copy of allocated object `index` (a NumPy scalar or record)."""
        # Copied as bytes, so a record's padding comes along too.
        return self._bytes(index).copy().view(self._dtype).reshape(())[()]

    def __setitem__(self, index: int, value: Any) -> None:
        self.view(index)[...] = value

    def __contains__(self, index: object) -> bool:
        """True if `index` is a currently allocated object (a snapshot)."""
        if not isinstance(index, (int, np.integer)):
            return False
        i = int(index)
        if i < 0 or i >= self._capacity:
            return False
        return outcome(self._c.ptr(self._ptr_out, self._handle(), i),
                       (_ENOT_ALLOCATED,))
