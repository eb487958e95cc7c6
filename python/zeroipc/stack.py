# SPDX-License-Identifier: MIT
"""Bounded LIFO stacks in shared memory, for many pushers and poppers."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from .errors import check
from .memory import Memory, _encode

__all__ = ["Stack"]

# Elements sit at 8-byte aligned offsets (format v2) with a stride of the
# element size; the library promises no more than 8.
_MAX_ALIGNMENT = 8


def _timeout_ns(timeout: float) -> int:
    """C timeout in nanoseconds for a timeout in seconds (math.inf: no
    limit)."""
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None, got %r"
                         % (timeout,))
    if math.isinf(timeout):
        return int(lib.ZEROIPC_WAIT_FOREVER)
    return min(int(timeout * 1e9), (1 << 63) - 1)


class Stack:
    """A named stack of up to `capacity` elements of `dtype` in a segment.

    ``Stack(mem, name, capacity, dtype=...)`` creates it (empty);
    ``Stack(mem, name, dtype=...)`` opens it, and the library checks that the
    stored element size is ``dtype.itemsize``
    (:class:`~zeroipc.SizeMismatch` otherwise).

    :meth:`push` returns False and :meth:`pop` / :meth:`top` return None
    when nothing could be done: the stack was full or empty (with a
    timeout: for that long), or the slot the call landed on stayed held by
    another process past the slot timeout (a peer that died mid-operation;
    see :attr:`slot_timeout`).  Values are copied in and out: ``pop()``
    returns a NumPy scalar, or a record for a structured dtype.  ``len()``
    is the number of claimed slots (a snapshot).

    Any number of threads and processes may push and pop at once; nothing
    is lost or returned twice.  Operations that do not overlap see LIFO
    order.
    """

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        if dtype is None:
            raise TypeError("dtype is required: zeroipc stores no type, so "
                            "every user states the element type")
        dt = np.dtype(dtype)
        if dt.hasobject:
            raise TypeError("dtype %s holds Python objects, which cannot live "
                            "in shared memory" % dt)
        if dt.alignment > _MAX_ALIGNMENT:
            raise ValueError("dtype %s needs %d-byte alignment; stack slots "
                             "guarantee at most %d" % (dt, dt.alignment,
                                                       _MAX_ALIGNMENT))
        if dt.itemsize == 0:
            raise ValueError("dtype %s has no bytes" % dt)
        if capacity is not None and capacity <= 0:
            raise ValueError("capacity must be positive, got %d" % capacity)
        memh = mem._handle()
        out = ffi.new("zeroipc_stack **")
        cname = _encode(name)
        if capacity is None:
            check(lib.zeroipc_stack_open(out, memh, cname, dt.itemsize))
        else:
            check(lib.zeroipc_stack_create(out, memh, cname, dt.itemsize,
                                           capacity))
        # The stack handle borrows the memory handle: its destructor keeps
        # a reference so the memory is closed after the stack.
        self._h: Any = ffi.gc(
            out[0],
            lambda p, _mem=memh, _close=lib.zeroipc_stack_close: _close(p))
        self._memh = memh
        self._name = name
        self._mem_name = mem.name
        self._dtype = dt
        self._capacity = int(lib.zeroipc_stack_capacity(self._h))
        self._elem_size = int(lib.zeroipc_stack_elem_size(self._h))

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handle.  The stack and its elements stay."""
        self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self) -> "Stack":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise ValueError("operation on closed Stack %r" % self._name)
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
        """Number of slots (as stored in the segment)."""
        return self._capacity

    @property
    def elem_size(self) -> int:
        """Bytes per element, as the library reports it."""
        return self._elem_size

    @property
    def slot_timeout(self) -> float:
        """Seconds a call waits for a slot another process holds before it
        gives up (this handle only; default 1.0)."""
        return int(lib.zeroipc_stack_slot_timeout(self._handle())) / 1e9

    @slot_timeout.setter
    def slot_timeout(self, seconds: float) -> None:
        if not seconds > 0 or math.isinf(seconds):
            raise ValueError("slot_timeout must be a positive, finite number "
                             "of seconds, got %r" % (seconds,))
        check(lib.zeroipc_stack_set_slot_timeout(
            self._handle(), max(1, min(int(seconds * 1e9), (1 << 63) - 1))))

    def __len__(self) -> int:
        return int(lib.zeroipc_stack_size(self._handle()))

    def empty(self) -> bool:
        return bool(lib.zeroipc_stack_empty(self._handle()))

    def full(self) -> bool:
        return bool(lib.zeroipc_stack_full(self._handle()))

    def __repr__(self) -> str:
        state = (" closed" if self._h is None else
                 " %d/%d" % (len(self), self._capacity))
        return "<zeroipc.Stack %r in %r: %s%s>" % (
            self._name, self._mem_name, self._dtype, state)

    def validate(self) -> None:
        """Check the stack's shared bytes at rest; raise
        :class:`~zeroipc.Corrupt` on an inconsistency (such as a slot a
        crashed process left half-written)."""
        self._handle()
        check(lib.zeroipc_stack_validate(self._memh, _encode(self._name)))

    # -- operations ------------------------------------------------------

    def _slot(self) -> tuple[np.ndarray, Any]:
        # A fresh buffer per call: the library runs without the GIL, so a
        # buffer shared between threads of this process would race.
        buf = np.zeros(1, dtype=self._dtype)
        return buf, ffi.from_buffer(buf)

    def push(self, value: Any, timeout: float | None = None) -> bool:
        """Push a copy of `value` (converted to the dtype).

        With ``timeout=None`` it does not wait for space; with a number of
        seconds it waits up to that long (``math.inf``: no limit).  Returns
        False if the element was not pushed.
        """
        h = self._handle()
        buf, ptr = self._slot()
        buf[0] = value
        if timeout is None:
            status = lib.zeroipc_stack_try_push(h, ptr)
        else:
            status = lib.zeroipc_stack_push(h, ptr, _timeout_ns(timeout))
        if status in (lib.ZEROIPC_EFULL, lib.ZEROIPC_ETIMEOUT):
            return False
        check(status)
        return True

    def pop(self, timeout: float | None = None) -> Any:
        """Remove and return the top element, or None.

        ``timeout`` as for :meth:`push`: None does not wait for an element.
        """
        h = self._handle()
        buf, ptr = self._slot()
        if timeout is None:
            status = lib.zeroipc_stack_try_pop(ptr, h)
        else:
            status = lib.zeroipc_stack_pop(ptr, h, _timeout_ns(timeout))
        if status in (lib.ZEROIPC_EEMPTY, lib.ZEROIPC_ETIMEOUT):
            return None
        check(status)
        return buf[0]

    def top(self) -> Any:
        """A copy of the top element without removing it, or None if the
        stack is empty.  Never a half-written element: the slot is claimed
        for the copy."""
        h = self._handle()
        buf, ptr = self._slot()
        status = lib.zeroipc_stack_top(ptr, h)
        if status in (lib.ZEROIPC_EEMPTY, lib.ZEROIPC_ETIMEOUT):
            return None
        check(status)
        return buf[0]
