# SPDX-License-Identifier: MIT
"""Bounded FIFO queues in shared memory, for many producers and consumers."""
from __future__ import annotations

import math
import struct
import threading
import time
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from ._ffi import ffi, lib
from .errors import check
from .memory import Memory, _encode

__all__ = ["Queue"]

# Elements sit at 8-byte aligned offsets (format v2) with a stride of the
# element size; the library promises no more than 8.
_MAX_ALIGNMENT = 8

# dtype characters whose values `struct` packs exactly as NumPy stores them
# (native byte order): the fast path of push().
_STRUCT_CHARS = frozenset("?bBhHiIlLqQefd")

_OK = int(lib.ZEROIPC_OK)
_EFULL = int(lib.ZEROIPC_EFULL)
_EEMPTY = int(lib.ZEROIPC_EEMPTY)
_ETIMEOUT = int(lib.ZEROIPC_ETIMEOUT)
_FOREVER = int(lib.ZEROIPC_WAIT_FOREVER)


def _timeout_ns(timeout: float) -> int:
    """C timeout in nanoseconds for a timeout in seconds (math.inf: no
    limit)."""
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None, got %r"
                         % (timeout,))
    if math.isinf(timeout):
        return _FOREVER
    return min(int(timeout * 1e9), (1 << 63) - 1)


def _thread_slot(tls: threading.local, dtype: np.dtype) -> tuple[Any, Any]:
    """This thread's one-element buffer of `dtype` and a C pointer to it.

    The pointer is a plain ``void *`` (the tuple keeps the buffer alive):
    cffi passes it several times faster than the ``from_buffer`` object.
    """
    try:
        return tls.slot
    except AttributeError:
        buf = np.zeros(1, dtype=dtype)
        tls.slot = (buf, ffi.cast("void *", ffi.from_buffer(buf)))
        return tls.slot


class Queue:
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
    arrays in runs, a few library calls per array.  ``len()`` is the number
    of elements queued (a snapshot).

    Any number of threads and processes may push and pop at once; nothing
    is lost or returned twice, and the elements one producer pushed come out
    in the order it pushed them.  ``single_producer=True`` (or
    ``single_consumer=True``) promises that this object is the only one, in
    any process, that pushes (pops) while it is open: the library then
    skips its atomic claims, which makes one-to-one streaming faster.  A
    broken promise raises :class:`~zeroipc.ProtocolError` when the library
    notices it.
    """

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None, *, single_producer: bool = False,
                 single_consumer: bool = False) -> None:
        if dtype is None:
            raise TypeError("dtype is required: zeroipc stores no type, so "
                            "every user states the element type")
        dt = np.dtype(dtype)
        if dt.hasobject:
            raise TypeError("dtype %s holds Python objects, which cannot live "
                            "in shared memory" % dt)
        if dt.alignment > _MAX_ALIGNMENT:
            raise ValueError("dtype %s needs %d-byte alignment; queue slots "
                             "guarantee at most %d" % (dt, dt.alignment,
                                                       _MAX_ALIGNMENT))
        if dt.itemsize == 0:
            raise ValueError("dtype %s has no bytes" % dt)
        if capacity is not None and capacity <= 0:
            raise ValueError("capacity must be positive, got %d" % capacity)
        opts = ffi.new("zeroipc_queue_opts *")
        opts.size = ffi.sizeof("zeroipc_queue_opts")
        opts.flags = ((lib.ZEROIPC_QUEUE_SINGLE_PRODUCER
                       if single_producer else 0) |
                      (lib.ZEROIPC_QUEUE_SINGLE_CONSUMER
                       if single_consumer else 0))
        memh = mem._handle()
        out = ffi.new("zeroipc_queue **")
        cname = _encode(name)
        if capacity is None:
            check(lib.zeroipc_queue_open(out, memh, cname, dt.itemsize,
                                         opts))
        else:
            check(lib.zeroipc_queue_create(out, memh, cname, dt.itemsize,
                                           capacity, opts))
        # The queue handle borrows the memory handle: its destructor keeps
        # a reference so the memory is closed after the queue.
        self._h: Any = ffi.gc(
            out[0],
            lambda p, _mem=memh, _close=lib.zeroipc_queue_close: _close(p))
        self._memh = memh
        self._name = name
        self._mem_name = mem.name
        self._dtype = dt
        self._itemsize = dt.itemsize
        self._capacity = int(lib.zeroipc_queue_capacity(self._h))
        self._elem_size = int(lib.zeroipc_queue_elem_size(self._h))
        self._single_producer = bool(single_producer)
        self._single_consumer = bool(single_consumer)
        # Fast path: scalars of simple dtypes are packed by `struct`,
        # which costs less per call than a NumPy assignment.
        self._pack = None
        if dt.isnative and dt.fields is None and dt.char in _STRUCT_CHARS:
            # "@": native sizes, which are NumPy's for these characters;
            # checked, since a short packing would be read past its end.
            packer = struct.Struct("@" + dt.char)
            if packer.size == dt.itemsize:
                self._pack = packer.pack
        # A structured element read from a buffer is a view: copy it out.
        self._copy_out = dt.fields is not None
        # pop() copies into a buffer per thread: the library runs without
        # the GIL, so a buffer shared between threads would race.
        self._tls = threading.local()
        # The handle as push() and pop() see it: None once closed.
        self._cell = [self._h]
        self._bind()

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handle (a single-mode handle first stores its exact
        position).  The queue and its elements stay."""
        h, self._h = self._h, None
        self._cell[0] = None
        if h is not None:
            ffi.release(h)

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self) -> "Queue":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise ValueError("operation on closed Queue %r" % self._name)
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
        """Number of slots (as stored in the segment: a power of two)."""
        return self._capacity

    @property
    def elem_size(self) -> int:
        """Bytes per element, as the library reports it."""
        return self._elem_size

    @property
    def single_producer(self) -> bool:
        return self._single_producer

    @property
    def single_consumer(self) -> bool:
        return self._single_consumer

    def __len__(self) -> int:
        return int(lib.zeroipc_queue_size(self._handle()))

    def empty(self) -> bool:
        return bool(lib.zeroipc_queue_empty(self._handle()))

    def full(self) -> bool:
        return bool(lib.zeroipc_queue_full(self._handle()))

    def __repr__(self) -> str:
        state = (" closed" if self._h is None else
                 " %d/%d" % (len(self), self._capacity))
        return "<zeroipc.Queue %r in %r: %s%s>" % (
            self._name, self._mem_name, self._dtype, state)

    def validate(self) -> None:
        """Check the queue's shared bytes at rest; raise
        :class:`~zeroipc.Corrupt` on an inconsistency (such as a slot a
        crashed process claimed and never published)."""
        self._handle()
        check(lib.zeroipc_queue_validate(self._memh, _encode(self._name)))

    # -- single elements -------------------------------------------------

    def _slot(self) -> tuple[np.ndarray, Any]:
        return _thread_slot(self._tls, self._dtype)

    def push(self, value: Any, timeout: float | None = None) -> bool:
        """Push a copy of `value` (converted to the dtype).

        Returns False if it was not pushed: the queue stayed full.
        """
        return self._push(value, timeout)

    def pop(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest element, or None if there was none
        (within `timeout` seconds)."""
        return self._pop(timeout)

    def _bind(self) -> None:
        """Make this object's push() and pop().

        They are closures over everything they need (but not over self, so
        that no reference cycle delays closing the handle), set as instance
        attributes: one Python call per element costs about as much as the
        library call itself, so every attribute lookup saved shows.
        """
        cell = self._cell
        try_push = lib.zeroipc_queue_try_push
        wait_push = lib.zeroipc_queue_push
        try_pop = lib.zeroipc_queue_try_pop
        wait_pop = lib.zeroipc_queue_pop
        pack = self._pack
        tls = self._tls
        dtype = self._dtype
        copy_out = self._copy_out
        ok, full, empty, timed_out = _OK, _EFULL, _EEMPTY, _ETIMEOUT
        forever, inf = _FOREVER, math.inf
        closed = "operation on closed Queue %r" % self._name

        def push(value: Any, timeout: float | None = None) -> bool:
            h = cell[0]
            if h is None:
                raise ValueError(closed)
            data: Any = None
            if pack is not None:
                try:
                    data = pack(value)
                except (struct.error, TypeError):
                    pass  # NumPy converts (or reports) it below
            if data is None:
                buf, data = _thread_slot(tls, dtype)
                buf[0] = value
            if timeout is None:
                status = try_push(h, data)
            else:
                status = wait_push(h, data, forever if timeout == inf
                                   else _timeout_ns(timeout))
            if status == ok:
                return True
            if status == full or status == timed_out:
                return False
            check(status)
            return True

        def pop(timeout: float | None = None) -> Any:
            h = cell[0]
            if h is None:
                raise ValueError(closed)
            try:
                buf, ptr = tls.slot
            except AttributeError:
                buf, ptr = _thread_slot(tls, dtype)
            if timeout is None:
                status = try_pop(ptr, h)
            else:
                status = wait_pop(ptr, h, forever if timeout == inf
                                  else _timeout_ns(timeout))
            if status == ok:
                return buf[0].copy() if copy_out else buf[0]
            if status == empty or status == timed_out:
                return None
            check(status)
            return None

        push.__doc__ = Queue.push.__doc__
        pop.__doc__ = Queue.pop.__doc__
        self._push = push
        self._pop = pop
        # Instance attributes shadow the methods: q.push is the closure.
        self.push = push  # type: ignore[method-assign]
        self.pop = pop  # type: ignore[method-assign]

    # -- runs of elements ------------------------------------------------

    def push_many(self, values: ArrayLike,
                  timeout: float | None = None) -> int:
        """Push the elements of `values` (converted to a 1-D array of the
        dtype) in order, in runs.

        With ``timeout=None`` it pushes as many as fit now; with a number of
        seconds it waits up to that long in all for room for the rest.
        Returns how many were pushed: always the first ones of `values`.
        """
        h = self._handle()
        arr = np.ascontiguousarray(values, dtype=self._dtype).reshape(-1)
        total = arr.shape[0]
        if total == 0:
            return 0
        base = ffi.cast("char *", ffi.from_buffer(arr))
        count = ffi.new("size_t *")
        size = self._itemsize
        deadline = None
        if timeout is not None and not math.isinf(timeout):
            deadline = time.monotonic() + max(timeout, 0.0)
        done = 0
        while done < total:
            if timeout is None:
                wait = 0
            elif deadline is None:
                wait = _FOREVER
            else:
                wait = max(0, int((deadline - time.monotonic()) * 1e9))
            status = lib.zeroipc_queue_push_n(count, h, base + done * size,
                                              total - done, wait)
            if status == _OK:
                done += count[0]
                if timeout is None:
                    # One call fills every free slot in order; another
                    # would only find the queue full.
                    break
                continue
            if status == _EFULL or status == _ETIMEOUT:
                break
            check(status)
        return done

    def pop_many(self, n: int, timeout: float | None = None) -> np.ndarray:
        """Remove up to `n` of the oldest elements and return them, oldest
        first, as a new array of the dtype.

        With ``timeout=None`` it takes what is there now (possibly nothing:
        an empty array); with a number of seconds it waits up to that long
        for the first element, then takes what is there, up to `n`.
        """
        h = self._handle()
        if n < 0:
            raise ValueError("n must be >= 0, got %d" % n)
        out = np.empty(n, dtype=self._dtype)
        if n == 0:
            return out
        count = ffi.new("size_t *")
        wait = 0 if timeout is None else _timeout_ns(timeout)
        # One call takes every published element in order (up to n).
        status = lib.zeroipc_queue_pop_n(
            ffi.cast("void *", ffi.from_buffer(out)), count, h, n, wait)
        if status == _OK:
            done = count[0]
            return out[:done] if done < n else out
        if status == _EEMPTY or status == _ETIMEOUT:
            return out[:0]
        check(status)
        return out[:0]
