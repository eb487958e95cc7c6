# SPDX-License-Identifier: MIT
"""Fixed-size object pools in shared memory, addressed by index."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from ._view import address_of, byte_view
from .errors import check
from .memory import Memory, _encode

__all__ = ["Pool"]

# Objects sit at 8-byte aligned offsets only when their size is a multiple
# of 8, and the library guarantees no more than 8 for anything.
_MAX_ALIGNMENT = 8


def _timeout_ns(timeout: float | None) -> int:
    """C timeout for a Python one: None means do not wait (0), a number of
    seconds waits that long, math.inf waits without limit."""
    if timeout is None:
        return 0
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None, got %r"
                         % (timeout,))
    if math.isinf(timeout):
        return int(lib.ZEROIPC_WAIT_FOREVER)
    return min(int(timeout * 1e9), (1 << 63) - 1)


class Pool:
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

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        if dtype is None:
            raise TypeError("dtype is required: zeroipc stores no type, so "
                            "every user states the object type")
        dt = np.dtype(dtype)
        if dt.hasobject:
            raise TypeError("dtype %s holds Python objects, which cannot live "
                            "in shared memory" % dt)
        if dt.alignment > _MAX_ALIGNMENT:
            raise ValueError("dtype %s needs %d-byte alignment; pool objects "
                             "guarantee at most %d" % (dt, dt.alignment,
                                                       _MAX_ALIGNMENT))
        if dt.itemsize == 0:
            raise ValueError("dtype %s has no bytes" % dt)
        if capacity is not None and capacity <= 0:
            raise ValueError("capacity must be positive, got %d" % capacity)
        memh = mem._handle()
        out = ffi.new("zeroipc_pool **")
        cname = _encode(name)
        if capacity is None:
            check(lib.zeroipc_pool_open(out, memh, cname, dt.itemsize))
        else:
            check(lib.zeroipc_pool_create(out, memh, cname, dt.itemsize,
                                          capacity))
        # The pool handle borrows the memory handle: its destructor keeps a
        # reference so the memory is closed after the pool.
        self._h: Any = ffi.gc(
            out[0],
            lambda p, _mem=memh, _close=lib.zeroipc_pool_close: _close(p))
        self._memh = memh
        self._readonly = mem.readonly
        self._name = name
        self._mem_name = mem.name
        self._dtype = dt
        self._capacity = int(lib.zeroipc_pool_capacity(self._h))
        self._elem_size = int(lib.zeroipc_pool_elem_size(self._h))
        self._index_out = ffi.new("uint64_t *")
        self._ptr_out = ffi.new("void **")

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handle.  Objects stay allocated; views stay valid."""
        self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise ValueError("operation on closed Pool %r" % self._name)
        return h

    # -- description -----------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def capacity(self) -> int:
        """Number of objects (as stored in the segment)."""
        return self._capacity

    @property
    def elem_size(self) -> int:
        """Bytes per object, as the library reports it."""
        return self._elem_size

    @property
    def in_use(self) -> int:
        """Objects allocated right now (a snapshot)."""
        return int(lib.zeroipc_pool_in_use(self._handle()))

    def __len__(self) -> int:
        return self.in_use

    def __repr__(self) -> str:
        state = (" closed" if self._h is None else
                 " %d/%d in use" % (self.in_use, self._capacity))
        return "<zeroipc.Pool %r in %r: %s[%d]%s>" % (
            self._name, self._mem_name, self._dtype, self._capacity, state)

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
            status = lib.zeroipc_pool_try_allocate(out, h)
            if status == lib.ZEROIPC_EFULL:
                return None
        else:
            status = lib.zeroipc_pool_allocate(out, h, _timeout_ns(timeout))
            if status == lib.ZEROIPC_ETIMEOUT:
                return None
        check(status)
        return int(out[0])

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
        check(lib.zeroipc_pool_free(self._handle(), self._index(index)))

    def validate(self) -> None:
        """Check the pool's shared bytes at rest (by name, reading the
        element size from its header); raise :class:`~zeroipc.Corrupt` on an
        inconsistency.  Meant for a pool nobody is changing."""
        self._handle()
        check(lib.zeroipc_pool_validate(self._memh, _encode(self._name)))

    # -- object access ---------------------------------------------------

    def _address(self, index: Any) -> int:
        i = self._index(index)
        check(lib.zeroipc_pool_ptr(self._ptr_out, self._handle(), i))
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
        status = lib.zeroipc_pool_ptr(self._ptr_out, self._handle(), i)
        if status == lib.ZEROIPC_ENOT_ALLOCATED:
            return False
        check(status)
        return True
