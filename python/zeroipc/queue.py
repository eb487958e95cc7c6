# SPDX-License-Identifier: MIT
"""Bounded FIFO queues in shared memory, for many producers and consumers."""
from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._ffi import ffi, lib
from ._structure import (EEMPTY, EFULL, ETIMEOUT, OK, WAIT_FOREVER, Bounded,
                         CFunctions, InArrays, OutArrays, check_capacity,
                         bind_push_pop, documented, element_dtype,
                         timeout_ns, trimmed)
from .errors import check
from .memory import Memory

__all__ = ["Queue"]


class Queue(Bounded):
    """A named FIFO queue of up to `capacity` elements of `dtype` in a
    segment.

    ``Queue(mem, name, capacity, dtype=...)`` creates it (empty; the library
    rounds the capacity up to a power of two, see :attr:`capacity`);
    ``Queue(mem, name, dtype=...)`` opens it, and the library checks that
    the stored element size is ``dtype.itemsize``
    (:class:`~zeroipc.SizeMismatch` otherwise).  The layout is zeroipc
    format v2's, so the other zeroipc implementations read and write the
    same queue.

    :meth:`push` returns False and :meth:`pop` returns None when nothing
    could be done: the queue was full or empty (with a timeout: for that
    long).  ``timeout=None`` never waits; a number of seconds waits up to
    that long, sleeping in the kernel (``math.inf``: no limit).  Values are
    copied in and out: ``pop()`` returns a NumPy scalar, or a record for a
    structured dtype.  :meth:`push_many` and :meth:`pop_many` move NumPy
    arrays in runs, one library call per array (a timeout may take more):
    a 1-D C-contiguous array of the dtype is pushed from where it is, and
    ``pop_many(n, out=buf)`` fills a preallocated array instead of a new
    one.  ``len()`` is the number of elements queued (a snapshot).

    For speed, poll with ``timeout=None`` (``while not q.push(v): ...``)
    when both sides are busy anyway: a blocking call that has to sleep
    makes the other side pay for waking it.

    Any number of threads and processes may push and pop at once; nothing
    is lost or returned twice, and the elements one producer pushed come out
    in the order it pushed them.  ``single_producer=True`` (or
    ``single_consumer=True``) promises that this object is the only one, in
    any process, that pushes (pops) while it is open: the library then
    skips its atomic claims, which makes one-to-one streaming faster.  A
    broken promise raises :class:`~zeroipc.Protocol` when the library
    notices it.
    """

    _KIND = "Queue"
    # The closures of bind_push_pop(), which push() and pop() call.
    _push: Callable[..., bool]
    _pop: Callable[..., Any]
    _c = CFunctions("queue")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None, *, single_producer: bool = False,
                 single_consumer: bool = False) -> None:
        dt = element_dtype(dtype, "element", "queue slots guarantee at most")
        check_capacity(capacity)
        opts = ffi.new("zeroipc_queue_opts *")
        opts.size = ffi.sizeof("zeroipc_queue_opts")
        opts.flags = ((lib.ZEROIPC_QUEUE_SINGLE_PRODUCER
                       if single_producer else 0) |
                      (lib.ZEROIPC_QUEUE_SINGLE_CONSUMER
                       if single_consumer else 0))
        self._attach_elements(mem, name, capacity, dt, (opts,))
        self._itemsize = dt.itemsize
        self._single_producer = bool(single_producer)
        self._single_consumer = bool(single_consumer)
        # A structured element read from a buffer is a view: copy it out.
        self._copy_out = dt.fields is not None
        # pop() copies into a buffer per thread: the library runs without
        # the GIL, so a buffer shared between threads would race.
        self._tls = threading.local()
        self._ins = InArrays(dt)
        self._outs = OutArrays(dt)
        # The handle as push() and pop() see it: None once closed.
        self._cell = [self._h]
        # push() and pop() as closures over what they use: one Python
        # call per element costs about as much as the library call.
        bind_push_pop(self, self._single_consumer)

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handle (a single-mode handle first stores its exact
        position).  The queue and its elements stay."""
        h = self._h
        self._cell[0] = None
        self._ins.forget()
        self._outs.forget()
        super().close()
        if h is not None:
            ffi.release(h)

    # -- description -----------------------------------------------------

    capacity = documented(
        Bounded.capacity,
        "Number of slots (as stored in the segment: a power of two).")

    @property
    def single_producer(self) -> bool:
        return self._single_producer

    @property
    def single_consumer(self) -> bool:
        return self._single_consumer

    def validate(self) -> None:
        """Check the queue's shared bytes at rest; raise
        :class:`~zeroipc.Corrupt` on an inconsistency (such as a slot a
        crashed process claimed and never published)."""
        self._validate_by_name()

    # -- single elements -------------------------------------------------

    def push(self, value: Any, timeout: float | None = None) -> bool:
        """Push a copy of `value` (converted to the dtype).

        Returns False if it was not pushed: the queue stayed full.
        """
        return self._push(value, timeout)

    def pop(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest element, or None if there was none
        (within `timeout` seconds)."""
        return self._pop(timeout)

    # -- runs of elements ------------------------------------------------

    def _count(self) -> Any:
        """This thread's ``size_t`` out-parameter."""
        tls = self._tls
        try:
            return tls.count
        except AttributeError:
            tls.count = ffi.new("size_t *")
            return tls.count

    def push_many(self, values: ArrayLike,
                  timeout: float | None = None) -> int:
        """Push the elements of `values` (converted to a 1-D array of the
        dtype) in order, in runs.

        A 1-D C-contiguous array of the dtype is pushed from where it is,
        without a copy.  With ``timeout=None`` it pushes as many as fit
        now; with a number of seconds it waits up to that long in all for
        room for the rest.  Returns how many were pushed: always the first
        ones of `values`.
        """
        h = self._cell[0]
        if h is None:
            raise self._closed_error()
        # `keep` holds the elements (maybe a converted copy) until we return.
        base, total, keep = self._ins.pointer(values)
        if total == 0:
            return 0
        count = self._count()
        if timeout is None:
            # One call fills every free slot in order; another would only
            # find the queue full.
            status = self._c.push_n(count, h, base, total, 0)
            if status == OK:
                return count[0]
            if status == EFULL or status == ETIMEOUT:
                return 0
            check(status)
            return 0
        base = ffi.cast("char *", base)
        size = self._itemsize
        deadline = None
        if not math.isinf(timeout):
            deadline = time.monotonic() + max(timeout, 0.0)
        done = 0
        while done < total:
            if deadline is None:
                wait = WAIT_FOREVER
            else:
                wait = max(0, int((deadline - time.monotonic()) * 1e9))
            status = self._c.push_n(count, h, base + done * size,
                                    total - done, wait)
            if status == OK:
                done += count[0]
                continue
            if status == EFULL or status == ETIMEOUT:
                break
            check(status)
        return done

    def pop_many(self, n: int, timeout: float | None = None, *,
                 out: np.ndarray | None = None) -> np.ndarray:
        """Remove up to `n` of the oldest elements and return them, oldest
        first, as an array of the dtype.

        With ``timeout=None`` it takes what is there now (possibly nothing:
        an empty array); with a number of seconds it waits up to that long
        for the first element, then takes what is there, up to `n`.

        The array is new, or with `out` (a writable 1-D C-contiguous array
        of the dtype with room for `n`) the first elements of `out`: the
        result is the view ``out[:count]``, and no array is allocated.
        """
        h = self._cell[0]
        if h is None:
            raise self._closed_error()
        out, ptr, fresh = self._outs.target(out, n)
        if n == 0:
            return out[:0]
        count = self._count()
        # One call takes every published element in order (up to n).
        status = self._c.pop_n(ptr, count, h, n,
                               0 if timeout is None else
                               WAIT_FOREVER if timeout == math.inf else
                               timeout_ns(timeout))
        if status == OK:
            return trimmed(out, count[0], fresh)
        if status == EEMPTY or status == ETIMEOUT:
            return out[:0]
        check(status)
        return out[:0]
