# SPDX-License-Identifier: MIT
"""Bounded LIFO stacks in shared memory, for many pushers and poppers."""
from __future__ import annotations

import math
import threading
from typing import Any, Callable

import numpy as np
from numpy.typing import DTypeLike

from ._structure import (EEMPTY, ETIMEOUT, Bounded, CFunctions,
                         bind_push_pop, check_capacity, documented,
                         element_dtype, outcome, thread_slot)
from .errors import check
from .memory import Memory

__all__ = ["Stack"]


class Stack(Bounded):
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

    _KIND = "Stack"
    # The closures of bind_push_pop(), which push() and pop() call.
    _push: Callable[..., bool]
    _pop: Callable[..., Any]
    _c = CFunctions("stack")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None) -> None:
        dt = element_dtype(dtype, "element", "stack slots guarantee at most")
        check_capacity(capacity)
        self._attach_elements(mem, name, capacity, dt)
        # A structured element read from a buffer is a view: copy it out.
        self._copy_out = dt.fields is not None
        self._tls = threading.local()
        # The handle as push() and pop() see it: None once closed.
        self._cell = [self._h]
        # push() and pop() as closures over what they use: one Python
        # call per element costs about as much as the library call.
        bind_push_pop(self)

    def close(self) -> None:
        """Release the handle.  The stack and its elements stay."""
        self._cell[0] = None
        super().close()

    # -- description -----------------------------------------------------

    capacity = documented(Bounded.capacity,
                          "Number of slots (as stored in the segment).")

    @property
    def slot_timeout(self) -> float:
        """Seconds a call waits for a slot another process holds before it
        gives up (this handle only; default 1.0)."""
        return int(self._c.slot_timeout(self._handle())) / 1e9

    @slot_timeout.setter
    def slot_timeout(self, seconds: float) -> None:
        if not seconds > 0 or math.isinf(seconds):
            raise ValueError("slot_timeout must be a positive, finite number "
                             "of seconds, got %r" % (seconds,))
        check(self._c.set_slot_timeout(
            self._handle(), max(1, min(int(seconds * 1e9), (1 << 63) - 1))))

    def validate(self) -> None:
        """Check the stack's shared bytes at rest; raise
        :class:`~zeroipc.Corrupt` on an inconsistency (such as a slot a
        crashed process left half-written)."""
        self._validate_by_name()

    # -- operations ------------------------------------------------------

    def _slot(self) -> tuple[np.ndarray, Any]:
        return thread_slot(self._tls, self._dtype)

    def _result(self, buf: np.ndarray) -> Any:
        return buf[0].copy() if self._copy_out else buf[0]

    def push(self, value: Any, timeout: float | None = None) -> bool:
        """Push a copy of `value` (converted to the dtype).

        With ``timeout=None`` it does not wait for space; with a number of
        seconds it waits up to that long (``math.inf``: no limit).  Returns
        False if the element was not pushed.
        """
        return self._push(value, timeout)

    def pop(self, timeout: float | None = None) -> Any:
        """Remove and return the top element, or None.

        ``timeout`` as for :meth:`push`: None does not wait for an element.
        """
        return self._pop(timeout)

    def top(self) -> Any:
        """A copy of the top element without removing it, or None if the
        stack is empty.  Never a half-written element: the slot is claimed
        for the copy."""
        h = self._handle()
        buf, ptr = self._slot()
        status = self._c.top(ptr, h)
        return (self._result(buf) if outcome(status, (EEMPTY, ETIMEOUT))
                else None)
