# SPDX-License-Identifier: MIT
"""Single-producer single-consumer rings in shared memory: the fast path
for streaming data between two processes."""
from __future__ import annotations

import atexit
import math
import time
import weakref
from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from ._structure import (EEMPTY, EFULL, ETIMEOUT, WAIT_FOREVER, CFunctions,
                         ElementStructure, InArrays, OutArrays,
                         check_capacity, documented, element_buffer,
                         element_dtype, outcome, scalar_packer, timeout_ns,
                         trimmed)
from ._view import address_of, byte_view
from .errors import check
from .memory import Memory

__all__ = ["Ring"]

_PRODUCER = int(lib.ZEROIPC_RING_PRODUCER)
_CONSUMER = int(lib.ZEROIPC_RING_CONSUMER)
_EMPTY_OR_FULL = (EEMPTY, EFULL, ETIMEOUT)


class _Sides:
    """The producer and consumer handles of one Ring object, each opened
    when first needed (None until then, and once closed).

    The object and its push() / pop() closures share this, not the object
    itself: closures holding the object would make a reference cycle,
    which delays closing; closures holding a weak reference would stop
    working when only they are kept (``push = Ring(...).push``).
    """

    __slots__ = ("w", "r", "memh", "cname", "es", "opts", "closed_msg",
                 "__weakref__")

    def __init__(self, memh: Any, cname: bytes, es: int, opts: Any,
                 closed_msg: str) -> None:
        self.w: Any = None
        self.r: Any = None
        self.memh = memh          # None once closed
        self.cname = cname
        self.es = es
        self.opts = opts
        self.closed_msg = closed_msg

    def _open(self, role: int) -> Any:
        memh = self.memh
        if memh is None:
            raise ValueError(self.closed_msg)
        out = ffi.new("zeroipc_ring **")
        check(lib.zeroipc_ring_open(out, memh, self.cname, self.es, role,
                                    self.opts))
        # The handle keeps the memory handle: the mapping outlives it.
        return ffi.gc(out[0], lambda p, _mem=memh,
                      _close=lib.zeroipc_ring_close: _close(p))

    def producer(self) -> Any:
        w = self.w
        if w is None:
            w = self.w = self._open(_PRODUCER)
        return w

    def consumer(self) -> Any:
        r = self.r
        if r is None:
            r = self.r = self._open(_CONSUMER)
            _consumers.add(self)
        return r

    def close(self) -> None:
        """Drop both handles (the consumer hands back what it read first)
        and refuse to open them again."""
        r = self.r
        self.w = self.r = None
        self.memh = None
        if r is not None:
            # The handle still holds the mapping.
            lib.zeroipc_ring_flush(r)
            _consumers.discard(self)


# Open consumers, flushed when the interpreter exits: atexit handlers run
# before module teardown, while every mapping is still there; handle
# destructors run later, in no particular order, and never publish.
_consumers: "weakref.WeakSet[_Sides]" = weakref.WeakSet()


def _flush_consumers_at_exit() -> None:
    for sides in list(_consumers):
        r = sides.r
        if r is not None:
            try:
                lib.zeroipc_ring_flush(r)
            except Exception:  # noqa: BLE001 - exiting; nothing to report
                pass


atexit.register(_flush_consumers_at_exit)


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
    ``write`` takes a 1-D C-contiguous array of the dtype from where it is
    (anything else is converted first), and ``read(n, out=buf)`` fills a
    preallocated array instead of a new one.

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
        # The side handles, opened when first needed.
        self._sides = _Sides(self._memh, self._cname, self._elem_size,
                             self._opts, str(self._closed_error()))
        # Scratch per side: a side is used by one thread at a time (the
        # SPSC contract), so it needs no fresh buffer per call.  Each side
        # has its own, so a loopback ring may be written by one thread and
        # read by another.
        self._wbuf, self._wptr = element_buffer(dt)
        self._rbuf, self._rptr = element_buffer(dt)
        self._wcount = ffi.new("uint64_t *")
        self._rcount = ffi.new("uint64_t *")
        self._ins = InArrays(dt)
        self._outs = OutArrays(dt)
        self._region = ffi.new("void **")
        self._cregion = ffi.new("const void **")
        self._bind()

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handles (a consumer first hands back what it read).
        The ring and its elements stay.  Idempotent."""
        self._sides.close()
        self._ins.forget()
        self._outs.forget()
        super().close()

    def _producer(self) -> Any:
        w = self._sides.w
        if w is None:
            self._handle()
            w = self._sides.producer()
        return w

    def _consumer(self) -> Any:
        r = self._sides.r
        if r is None:
            self._handle()
            r = self._sides.consumer()
        return r

    # -- description -----------------------------------------------------

    capacity = documented(ElementStructure.capacity,
                          "Number of elements the ring holds.")

    def __len__(self) -> int:
        h = self._handle()
        r = self._sides.r
        return int(self._c.size(r if r is not None else h))

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
        return self._push(value, timeout)

    def pop(self, timeout: float | None = None) -> Any:
        """Remove and return the oldest element, or None if the ring is
        empty.  ``timeout`` as for :meth:`push`."""
        return self._pop(timeout)

    def _bind(self) -> None:
        """Make this object's push() and pop(): closures over what they
        use, set as instance attributes (see bind_push_pop()).  They share the
        side handles (:class:`_Sides`) with the object, not the object."""
        sides = self._sides
        try_write, wait_write = lib.zeroipc_ring_try_write, \
            lib.zeroipc_ring_write
        try_read, wait_read = lib.zeroipc_ring_try_read, \
            lib.zeroipc_ring_read
        wbuf, wptr = self._wbuf, self._wptr
        rbuf, rptr = self._rbuf, self._rptr
        copy_out = self._dtype.fields is not None
        full, empty, timed_out = EFULL, EEMPTY, ETIMEOUT
        forever, inf = WAIT_FOREVER, math.inf

        def via_numpy(value: Any) -> Any:
            wbuf[0] = value
            return wptr

        # Plain numbers go through struct (see bind_push_pop()).
        pack = scalar_packer(self._dtype) or via_numpy

        def push(value: Any, timeout: float | None = None) -> bool:
            w = sides.w
            if w is None:
                w = sides.producer()
            try:
                data = pack(value)
            except Exception:  # noqa: BLE001 - NumPy decides (or raises)
                data = via_numpy(value)
            if timeout is None:
                status = try_write(w, data)
            elif timeout == inf:
                status = wait_write(w, data, forever)
            else:
                status = wait_write(w, data, timeout_ns(timeout))
            if status == 0:
                return True
            if status == full or status == timed_out or status == empty:
                return False
            check(status)
            return False

        def pop(timeout: float | None = None) -> Any:
            r = sides.r
            if r is None:
                r = sides.consumer()
            if timeout is None:
                status = try_read(rptr, r)
            elif timeout == inf:
                status = wait_read(rptr, r, forever)
            else:
                status = wait_read(rptr, r, timeout_ns(timeout))
            if status == 0:
                # An element of a structured dtype is a view: copy it out.
                return rbuf[0].copy() if copy_out else rbuf[0]
            if status == empty or status == timed_out or status == full:
                return None
            check(status)
            return None

        push.__doc__ = Ring.push.__doc__
        pop.__doc__ = Ring.pop.__doc__
        self._push = push
        self._pop = pop
        # Instance attributes shadow the methods: ring.push is the closure.
        self.push = push  # type: ignore[assignment, method-assign]
        self.pop = pop  # type: ignore[assignment, method-assign]

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

        A 1-D C-contiguous array of the dtype is written from where it is,
        without a copy.  With ``timeout=None`` it appends what fits now
        (possibly 0); with a number of seconds it waits for space until all
        are appended or the time is up (``math.inf``: no limit).
        """
        w = self._sides.w
        if w is None:
            w = self._producer()
        # `keep` holds the elements (maybe a converted copy) until we return.
        ptr, total, keep = self._ins.pointer(data)
        if total == 0:
            return 0
        count = self._wcount
        ns = 0 if timeout is None else timeout_ns(timeout)
        if ns == 0:
            status = lib.zeroipc_ring_write_n(count, w, ptr, total, 0)
            if status == 0:
                return count[0]
            outcome(status, _EMPTY_OR_FULL)
            return 0
        ptr = ffi.cast("char *", ptr)
        es = self._elem_size
        forever = ns == WAIT_FOREVER
        end = time.monotonic_ns() + ns
        done = 0
        while done < total:
            left = ns if forever else end - time.monotonic_ns()
            if left <= 0 and not forever:
                break
            status = lib.zeroipc_ring_write_n(count, w, ptr + done * es,
                                              total - done, left)
            if not outcome(status, _EMPTY_OR_FULL):
                break
            done += int(count[0])
        return done

    def read(self, n: int | None = None, timeout: float | None = None, *,
             out: np.ndarray | None = None) -> np.ndarray:
        """Remove and return up to `n` elements (default: the capacity) as
        an array, in order.

        With ``timeout=None`` it returns what is there now (possibly an
        empty array); with a number of seconds it waits up to that long for
        at least one element (``math.inf``: no limit).

        The array is new, or with `out` (a writable 1-D C-contiguous array
        of the dtype with room for `n`) the first elements of `out`: the
        result is the view ``out[:count]``, and no array is allocated.
        """
        r = self._sides.r
        if r is None:
            r = self._consumer()
        if n is None:
            n = self._capacity
        out, ptr, fresh = self._outs.target(out, n)
        if n == 0:
            return out[:0]
        count = self._rcount
        status = lib.zeroipc_ring_read_n(
            count, ptr, r, n, 0 if timeout is None else timeout_ns(timeout))
        if status == 0:
            return trimmed(out, count[0], fresh)
        outcome(status, _EMPTY_OR_FULL)
        return out[:0]

    # -- zero copy -------------------------------------------------------

    def _in_place(self, call: Any, region: Any, count: Any, side: Any,
                  max_count: int | None, timeout: float | None,
                  readonly: bool) -> np.ndarray:
        """reserve() or peek() (`call`, with its `region` and `count`
        out-pointers, on handle `side`): an array over the elements in
        place, or empty."""
        if max_count is None:
            max_count = self._capacity
        if max_count <= 0:
            raise ValueError("max_count must be positive, got %d" % max_count)
        status = call(region, count, side, max_count, timeout_ns(timeout))
        if not outcome(status, _EMPTY_OR_FULL):
            return np.empty(0, dtype=self._dtype)
        raw = byte_view(self._memh, address_of(region[0]),
                        int(count[0]) * self._elem_size, readonly)
        return raw.view(self._dtype)

    def reserve(self, max_count: int | None = None,
                timeout: float | None = None) -> np.ndarray:
        """Hand out free slots to fill in place: a writable array over the
        ring of 1 .. `max_count` elements (default: the capacity), or an
        empty array if the ring is full (with a timeout: for that long).
        Fill it, then :meth:`commit` how many are done.  Do not use the
        array after the commit."""
        return self._in_place(lib.zeroipc_ring_reserve, self._region,
                              self._wcount, self._producer(), max_count,
                              timeout, False)

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
                              self._rcount, self._consumer(), max_count,
                              timeout, True)

    def release(self, count: int) -> None:
        """Consume the first `count` elements of the last :meth:`peek`."""
        check(lib.zeroipc_ring_release(self._consumer(), count))

    def flush(self) -> None:
        """Hand every element read so far back to the producer as space
        now (a no-op before the first read)."""
        self._handle()
        r = self._sides.r
        if r is not None:
            check(self._c.flush(r))

