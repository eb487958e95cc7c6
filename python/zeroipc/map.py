# SPDX-License-Identifier: MIT
"""Hash maps with fixed-size keys and values in shared memory."""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from .errors import check
from .memory import Memory, _encode

__all__ = ["Map"]

_MISSING = object()


def _fixed_dtype(dtype: DTypeLike, what: str) -> np.dtype:
    if dtype is None:
        raise TypeError("%s is required: zeroipc stores no type, so every "
                        "user states it" % what)
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise TypeError("%s %s holds Python objects, which cannot live in "
                        "shared memory" % (what, dt))
    if dt.itemsize == 0:
        raise ValueError("%s %s has no bytes" % (what, dt))
    return dt


def _to_bytes(value: Any, dt: np.dtype, what: str) -> bytes:
    """`value` as exactly dt.itemsize bytes.

    Bytes-like objects are taken as they are and must have the right
    length; anything else is converted to the dtype (a Python number, a
    NumPy scalar, a tuple or np.void for a structured dtype).  Conversion
    starts from zeros, so padding in a record is zero: keys are compared as
    bytes.
    """
    if isinstance(value, (bytes, bytearray, memoryview)) and not (
            dt.kind == "S" and len(value) != dt.itemsize):
        raw = bytes(value)
        if len(raw) != dt.itemsize:
            raise ValueError("%s of %d bytes, expected %d" % (
                what, len(raw), dt.itemsize))
        return raw
    if dt.kind in "iu" and isinstance(value, (int, np.integer)) and \
            not isinstance(value, bool):
        info = np.iinfo(dt)
        if not info.min <= int(value) <= info.max:
            raise OverflowError("%s %d does not fit %s" % (what, value, dt))
    if dt.kind in "iu" and isinstance(value, (float, np.floating)) and \
            not float(value).is_integer():
        raise ValueError("%s %r is not an integer (%s)" % (what, value, dt))
    buf = np.zeros((), dtype=dt)
    buf[()] = value
    return buf.tobytes()


def _from_bytes(raw: bytes, dt: np.dtype) -> Any:
    return np.frombuffer(raw, dtype=dt)[0]


def _timeout_ns(timeout: float | None) -> int:
    if timeout is None or (isinstance(timeout, float) and
                           math.isinf(timeout)):
        return int(lib.ZEROIPC_WAIT_FOREVER)
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None, got %r"
                         % (timeout,))
    return min(int(timeout * 1e9), (1 << 63) - 1)


class Map:
    """A named hash map in a segment, with `key_dtype` keys and
    `value_dtype` values.

    ``Map(mem, name, capacity, key_dtype=..., value_dtype=...)`` creates it
    with `capacity` slots (rounded up to a power of two; it holds at most
    that many entries, and probing slows down as it fills, so leave about a
    quarter free); ``Map(mem, name, key_dtype=..., value_dtype=...)`` opens
    it, and the library checks that the stored key and value sizes match the
    dtypes (:class:`~zeroipc.SizeMismatch` otherwise).

    Dict-style access: ``m[k] = v`` inserts or updates, ``m[k]`` reads
    (:class:`KeyError` if absent), ``del m[k]`` erases, ``k in m``,
    ``len(m)``, iteration over keys, :meth:`items`, :meth:`values`,
    :meth:`get`, :meth:`pop`.  :meth:`insert` adds only if absent.  A key
    is a value of `key_dtype` (a Python number, NumPy scalar, tuple or
    record) or ``bytes`` of exactly the key size; keys compare as bytes.
    Values read back are NumPy scalars or records (copies).

    Keys are added, found and removed lock-free.  A value is rewritten in
    place under a per-slot lock; reading, updating or erasing that one key
    while another process rewrites it waits, bounded by :attr:`timeout`
    (then :class:`~zeroipc.Timeout`).  Iteration is weakly consistent under
    concurrent changes.  See SPECIFICATION.md, "Map".
    """

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 key_dtype: DTypeLike = None,
                 value_dtype: DTypeLike = None) -> None:
        kdt = _fixed_dtype(key_dtype, "key_dtype")
        vdt = _fixed_dtype(value_dtype, "value_dtype")
        if capacity is not None and capacity <= 0:
            raise ValueError("capacity must be positive, got %d" % capacity)
        memh = mem._handle()
        out = ffi.new("zeroipc_map **")
        cname = _encode(name)
        if capacity is None:
            check(lib.zeroipc_map_open(out, memh, cname, kdt.itemsize,
                                       vdt.itemsize))
        else:
            check(lib.zeroipc_map_create(out, memh, cname, kdt.itemsize,
                                         vdt.itemsize, capacity))
        # The map handle borrows the memory handle: its destructor keeps a
        # reference so the memory is closed after the map.
        self._h: Any = ffi.gc(
            out[0],
            lambda p, _mem=memh, _close=lib.zeroipc_map_close: _close(p))
        self._memh = memh
        self._name = name
        self._mem_name = mem.name
        self._kdt = kdt
        self._vdt = vdt
        self._capacity = int(lib.zeroipc_map_capacity(self._h))
        self._timeout: float | None = (
            lib.ZEROIPC_MAP_DEFAULT_TIMEOUT_NS / 1e9)

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release the handle; the map stays in the segment."""
        self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self) -> "Map":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise ValueError("operation on closed Map %r" % self._name)
        return h

    # -- description -----------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_dtype(self) -> np.dtype:
        return self._kdt

    @property
    def value_dtype(self) -> np.dtype:
        return self._vdt

    @property
    def capacity(self) -> int:
        """Number of slots (a power of two)."""
        return self._capacity

    @property
    def timeout(self) -> float | None:
        """Seconds to wait for another process's rewrite of a value before
        raising :class:`~zeroipc.Timeout`; None waits without limit (a
        dead writer then hangs the caller).  Default 1 second."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        check(lib.zeroipc_map_set_timeout(self._handle(),
                                          _timeout_ns(seconds)))
        self._timeout = seconds

    def __len__(self) -> int:
        return int(lib.zeroipc_map_size(self._handle()))

    def __repr__(self) -> str:
        state = (" closed" if self._h is None else
                 " %d/%d" % (len(self), self._capacity))
        return "<zeroipc.Map %r in %r: %s -> %s%s>" % (
            self._name, self._mem_name, self._kdt, self._vdt, state)

    # -- conversions -----------------------------------------------------

    def _key(self, key: Any) -> Any:
        return ffi.from_buffer(_to_bytes(key, self._kdt, "key"))

    def _value(self, value: Any) -> Any:
        return ffi.from_buffer(_to_bytes(value, self._vdt, "value"))

    def _find(self, kb: Any) -> Any:
        """The value of key bytes `kb`, or _MISSING."""
        out = ffi.new("char[]", self._vdt.itemsize)
        status = lib.zeroipc_map_find(out, self._handle(), kb)
        if status == lib.ZEROIPC_ENOT_FOUND:
            return _MISSING
        check(status)
        return _from_bytes(ffi.buffer(out)[:], self._vdt)

    # -- dict-style access -----------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        value = self._find(self._key(key))
        if value is _MISSING:
            raise KeyError(key)
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        value = self._find(self._key(key))
        return default if value is _MISSING else value

    def __setitem__(self, key: Any, value: Any) -> None:
        """Insert or update: raises :class:`~zeroipc.Full` when the key is
        new and no slot is free."""
        check(lib.zeroipc_map_insert_or_update(
            self._handle(), self._key(key), self._value(value)))

    def insert(self, key: Any, value: Any) -> bool:
        """Add `key` -> `value` unless the key is present.  True if added,
        False if it was already there (its value unchanged)."""
        status = lib.zeroipc_map_insert(self._handle(), self._key(key),
                                        self._value(value))
        if status == lib.ZEROIPC_EEXISTS:
            return False
        check(status)
        return True

    def __delitem__(self, key: Any) -> None:
        status = lib.zeroipc_map_erase(self._handle(), self._key(key))
        if status == lib.ZEROIPC_ENOT_FOUND:
            raise KeyError(key)
        check(status)

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """Remove `key` and return its value (read just before the erase;
        another process may change it in between)."""
        kb = self._key(key)
        value = self._find(kb)
        if value is not _MISSING:
            status = lib.zeroipc_map_erase(self._handle(), kb)
            if status != lib.ZEROIPC_ENOT_FOUND:
                check(status)
                return value
        if default is _MISSING:
            raise KeyError(key)
        return default

    def __contains__(self, key: Any) -> bool:
        try:
            kb = self._key(key)
        except (TypeError, ValueError, OverflowError):
            return False
        return bool(check(lib.zeroipc_map_contains(self._handle(), kb)))

    # -- iteration -------------------------------------------------------

    def _walk(self, want_key: bool, want_value: bool) -> Iterator[
            tuple[Any, Any]]:
        h = self._handle()
        cursor = ffi.new("uint64_t *")
        kout = ffi.new("char[]", self._kdt.itemsize) if want_key else \
            ffi.NULL
        vout = ffi.new("char[]", self._vdt.itemsize) if want_value else \
            ffi.NULL
        while True:
            status = lib.zeroipc_map_next(kout, vout, h, cursor)
            if status == lib.ZEROIPC_ENOT_FOUND:
                return
            check(status)
            yield (_from_bytes(ffi.buffer(kout)[:], self._kdt)
                   if want_key else None,
                   _from_bytes(ffi.buffer(vout)[:], self._vdt)
                   if want_value else None)

    def __iter__(self) -> Iterator[Any]:
        """Keys, in slot order (weakly consistent under changes)."""
        for k, _ in self._walk(True, False):
            yield k

    def keys(self) -> Iterator[Any]:
        return iter(self)

    def values(self) -> Iterator[Any]:
        for _, v in self._walk(False, True):
            yield v

    def items(self) -> Iterator[tuple[Any, Any]]:
        return self._walk(True, True)

    def validate(self) -> None:
        """Check the map's shared bytes at rest (by name, reading the key
        and value sizes from its header); raise :class:`~zeroipc.Corrupt` on
        an inconsistency.  Meant for a map nobody is changing."""
        self._handle()
        check(lib.zeroipc_map_validate(self._memh, _encode(self._name)))
