# SPDX-License-Identifier: MIT
"""Single-producer single-consumer rings in shared memory: the fast path
for streaming data between two processes."""
from __future__ import annotations

import atexit
import time
import weakref
from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from ._structure import (EEMPTY, EFULL, ETIMEOUT, WAIT_FOREVER, CFunctions,
                         ElementStructure, check_capacity, documented,
                         element_dtype, outcome, timeout_ns)
from ._view import address_of, byte_view
from .errors import check
from .memory import Memory

__all__ = ["Ring"]

# Open consumers, flushed when the interpreter exits: atexit handlers run
# before module teardown, while every mapping is still there; handle
# destructors run later, in no particular order, and never publish.
_consumers: "weakref.WeakSet[Ring]" = weakref.WeakSet()


def _flush_consumers_at_exit() -> None:
    for ring in list(_consumers):
        try:
            ring.flush()
        except Exception:  # noqa: BLE001 - exiting; nothing to report to
            pass


atexit.register(_flush_consumers_at_exit)

_PRODUCER = int(lib.ZEROIPC_RING_PRODUCER)
_CONSUMER = int(lib.ZEROIPC_RING_CONSUMER)
_EMPTY_OR_FULL = (EEMPTY, EFULL, ETIMEOUT)


class Ring(ElementStructure):
    """A named ring of `capacity` elements of `dtype` for exactly one
    writer and one reader.

    ``Ring(mem, name, capacity, dtype=...)`` creates it (empty; `capacity`
    counts elements, the segment stores bytes); ``Ring(mem, name,
    dtype=...)`` opens it, and the library checks that the stored element
    size is ``dtype.itemsize`` (:class:`~zeroipc.SizeMismatch` otherwise).

    The object becomes the ring's producer at its first write (:meth:`push`,
    :meth:`write`, :meth:`reserve`) and its consumer at its first read
    (:meth:`pop`, :meth:`read`, :meth:`peek`, iteration).  The contract:
    at most one producer and one consumer at a time across all processes,
    each used by one thread at a time (a second one is reported as
    :class:`~zeroipc.Protocol` when noticed).  One object may do both, as a
    loopback.

    ``push(v)`` returns False and ``pop()`` None when the ring is full or
    empty (with a timeout: for that long).  ``write(array)`` appends as many
    elements as fit (with a timeout: waits until all are written or time is
    up) and returns the count; ``read(n)`` returns an array of up to `n`
    elements (with a timeout: waits for at least one).  Values are copied:
    ``pop()`` returns a NumPy scalar, or a record for a structured dtype.

    The consumer hands freed space back to the producer in batches
    (`release_batch` elements, default a quarter of the capacity), when it
    sees the producer waiting, before it sleeps, on :meth:`flush`, on
    :meth:`close` (also at the end of a ``with`` block) and when the
    interpreter exits.  A consumer that is garbage-collected without
    ``close()`` cannot hand back what it read (its mapping may already be
    gone): the next consumer reads those elements (up to a release batch)
    again.  ``len()`` is the number of unread elements (a snapshot).
    Iterating pops until the ring is empty.
    """

    _KIND = "Ring"
    _c = CFunctions("ring")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 dtype: DTypeLike = None, *, release_batch: int = 0) -> None:
        dt = element_dtype(dtype, "element", "ring slots guarantee at most")
        check_capacity(capacity)
        if release_batch < 0:
            raise ValueError("release_batch must be >= 0, got %d"
                             % release_batch)
        self._opts = ffi.new("zeroipc_ring_opts *")
        self._opts.size = ffi.sizeof("zeroipc_ring_opts")
        self._opts.release_batch = release_batch
        # A handle without a role (0) for the queries; the producer and
        # consumer handles are opened when first needed.
        self._attach_elements(mem, name, capacity, dt, (0, self._opts))
        self._w: Any = None
        self._r: Any = None
        # One element of scratch per side: a side is used by one thread at
        # a time (the SPSC contract), so it needs no fresh buffer per call.
        self._wbuf = np.zeros(1, dtype=dt)
        self._wptr = ffi.from_buffer(self._wbuf)
        self._rbuf = np.zeros(1, dtype=dt)
        self._rptr = ffi.from_buffer(self._rbuf)
        self._count = ffi.new("uint64_t *")
        self._region = ffi.new("void **")
        self._cregion = ffi.new("const void **")

    def _open_side(self, role: int) -> Any:
        out = ffi.new("zeroipc_ring **")
        check(self._c.open(out, self._memh, self._cname, self._elem_size,
                           role, self._opts))
        return self._own(out[0])

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handles (a consumer first hands back what it read).
        The ring and its elements stay.  Idempotent."""
        r, self._r = self._r, None
        if r is not None:
            # The mapping is alive: this object still holds the memory.
            self._c.flush(r)
            _consumers.discard(self)
        self._w = None
        super().close()

    def _producer(self) -> Any:
        w = self._w
        if w is None:
            self._handle()
            w = self._w = self._open_side(_PRODUCER)
        return w

    def _consumer(self) -> Any:
        r = self._r
        if r is None:
            self._handle()
            r = self._r = self._open_side(_CONSUMER)
            _consumers.add(self)
        return r

    # -- description -----------------------------------------------------

    capacity = documented(ElementStructure.capacity,
                          "Number of elements the ring holds.")

    def __len__(self) -> int:
        h = self._handle()
        return int(self._c.size(self._r if self._r is not None else h))

    def empty(self) -> bool:
        return len(self) == 0

    def validate(self) -> None:
        """Check the ring's shared bytes at rest; raise
        :class:`~zeroipc.Corrupt` on an inconsistency."""
        self._validate_by_name()

    # -- single elements -------------------------------------------------

    def push(self, value: Any, timeout: float | None = None) -> bool:
        """Append a copy of `value` (converted to the dtype).

        With ``timeout=None`` it does not wait for space; with a number of
        seconds it waits up to that long (``math.inf``: no limit).  Returns
        False if the ring stayed full.
        """
        w = self._producer()
        self._wbuf[0] = value
        if timeout is None:
            status = lib.zeroipc_ring_try_write(w, self._wptr)
        else:
            status = lib.zeroipc_ring_write(w, self._wptr,
                                            timeout_ns(timeout))
        if status == 0:
            return True
        if status in _EMPTY_OR_FULL:
            return False
        check(status)
        return False

    def pop(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest element, or None if the ring is
        empty.  ``timeout`` as for :meth:`push`."""
        r = self._consumer()
        if timeout is None:
            status = lib.zeroipc_ring_try_read(self._rptr, r)
        else:
            status = lib.zeroipc_ring_read(self._rptr, r,
                                           timeout_ns(timeout))
        if status == 0:
            # An element of a structured dtype is a view: copy it out.
            return self._rbuf[0].copy() if self._dtype.fields else \
                self._rbuf[0]
        if status in _EMPTY_OR_FULL:
            return None
        check(status)
        return None

    def __iter__(self) -> Iterator[Any]:
        """Pop elements until the ring is empty."""
        while True:
            v = self.pop()
            if v is None:
                return
            yield v

    # -- arrays ----------------------------------------------------------

    def write(self, data: Any, timeout: float | None = None) -> int:
        """Append the elements of `data` (anything NumPy converts to a 1-d
        array of the dtype) in order; return how many were appended.

        With ``timeout=None`` it appends what fits now (possibly 0); with a
        number of seconds it waits for space until all are appended or the
        time is up (``math.inf``: no limit).
        """
        w = self._producer()
        arr = np.ascontiguousarray(data, dtype=self._dtype).reshape(-1)
        total = arr.shape[0]
        if total == 0:
            return 0
        ptr = ffi.from_buffer(arr)
        es = self._elem_size
        ns = timeout_ns(timeout)
        if ns == 0:
            status = lib.zeroipc_ring_write_n(self._count, w, ptr, total, 0)
            return (int(self._count[0]) if outcome(status, _EMPTY_OR_FULL)
                    else 0)
        forever = ns == WAIT_FOREVER
        end = time.monotonic_ns() + ns
        done = 0
        while done < total:
            left = ns if forever else end - time.monotonic_ns()
            if left <= 0 and not forever:
                break
            status = lib.zeroipc_ring_write_n(self._count, w,
                                              ptr + done * es, total - done,
                                              left)
            if not outcome(status, _EMPTY_OR_FULL):
                break
            done += int(self._count[0])
        return done

    def read(self, n: int | None = None,
             timeout: float | None = None) -> np.ndarray:
        """Remove and return up to `n` elements (default: the capacity) as
        a new array, in order.

        With ``timeout=None`` it returns what is there now (possibly an
        empty array); with a number of seconds it waits up to that long for
        at least one element (``math.inf``: no limit).
        """
        r = self._consumer()
        if n is None:
            n = self._capacity
        if n < 0:
            raise ValueError("n must be >= 0, got %d" % n)
        out = np.empty(n, dtype=self._dtype)
        if n == 0:
            return out
        status = lib.zeroipc_ring_read_n(self._count, ffi.from_buffer(out),
                                         r, n, timeout_ns(timeout))
        if not outcome(status, _EMPTY_OR_FULL):
            return out[:0]
        got = int(self._count[0])
        return out if got == n else out[:got].copy()

    # -- zero copy -------------------------------------------------------

    def _in_place(self, call: Any, region: Any, side: Any,
                  max_count: int | None, timeout: float | None,
                  readonly: bool) -> np.ndarray:
        """reserve() or peek() (`call`, with its `region` out-pointer, on
        handle `side`): an array over the elements in place, or empty."""
        if max_count is None:
            max_count = self._capacity
        if max_count <= 0:
            raise ValueError("max_count must be positive, got %d" % max_count)
        status = call(region, self._count, side, max_count,
                      timeout_ns(timeout))
        if not outcome(status, _EMPTY_OR_FULL):
            return np.empty(0, dtype=self._dtype)
        raw = byte_view(self._memh, address_of(region[0]),
                        int(self._count[0]) * self._elem_size, readonly)
        return raw.view(self._dtype)

    def reserve(self, max_count: int | None = None,
                timeout: float | None = None) -> np.ndarray:
        """Hand out free slots to fill in place: a writable array over the
        ring of 1 .. `max_count` elements (default: the capacity), or an
        empty array if the ring is full (with a timeout: for that long).
        Fill it, then :meth:`commit` how many are done.  Do not use the
        array after the commit."""
        return self._in_place(lib.zeroipc_ring_reserve, self._region,
                              self._producer(), max_count, timeout, False)

    def commit(self, count: int) -> None:
        """Publish the first `count` elements of the last :meth:`reserve`."""
        check(lib.zeroipc_ring_commit(self._producer(), count))

    def peek(self, max_count: int | None = None,
             timeout: float | None = None) -> np.ndarray:
        """A read-only array over the oldest 1 .. `max_count` unread
        elements in place (default: up to the capacity), or an empty array
        if the ring is empty (with a timeout: for that long).  They stay
        until :meth:`release`; do not use the array after that."""
        return self._in_place(lib.zeroipc_ring_peek, self._cregion,
                              self._consumer(), max_count, timeout, True)

    def release(self, count: int) -> None:
        """Consume the first `count` elements of the last :meth:`peek`."""
        check(lib.zeroipc_ring_release(self._consumer(), count))

    def flush(self) -> None:
        """Hand every element read so far back to the producer as space
        now (a no-op before the first read)."""
        self._handle()
        if self._r is not None:
            check(self._c.flush(self._r))

