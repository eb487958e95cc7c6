# SPDX-License-Identifier: MIT
"""Hash maps with fixed-size keys and values in shared memory."""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from ._structure import (EEXISTS, ENOT_FOUND, WAIT_FOREVER, CFunctions,
                         HashStructure, check_capacity, fixed_dtype,
                         from_bytes, outcome, timeout_ns, to_bytes)
from .errors import check
from .memory import Memory

__all__ = ["Map"]

_MISSING = object()


class Map(HashStructure):
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

    _KIND = "Map"
    _c = CFunctions("map")

    def __init__(self, mem: Memory, name: str, capacity: int | None = None,
                 key_dtype: DTypeLike = None,
                 value_dtype: DTypeLike = None) -> None:
        kdt = fixed_dtype(key_dtype, "key_dtype")
        vdt = fixed_dtype(value_dtype, "value_dtype")
        check_capacity(capacity)
        self._kdt = kdt
        self._vdt = vdt
        self._attach(mem, name, capacity, (kdt.itemsize, vdt.itemsize))
        self._timeout: float | None = (
            lib.ZEROIPC_MAP_DEFAULT_TIMEOUT_NS / 1e9)

    def close(self) -> None:
        """Release the handle; the map stays in the segment."""
        super().close()

    # -- description -----------------------------------------------------

    @property
    def key_dtype(self) -> np.dtype:
        return self._kdt

    @property
    def value_dtype(self) -> np.dtype:
        return self._vdt

    @property
    def timeout(self) -> float | None:
        """Seconds to wait for another process's rewrite of a value before
        raising :class:`~zeroipc.Timeout`; None waits without limit (a
        dead writer then hangs the caller).  Default 1 second."""
        return self._timeout

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        check(self._c.set_timeout(
            self._handle(),
            WAIT_FOREVER if seconds is None else timeout_ns(seconds)))
        self._timeout = seconds

    def _describe(self) -> str:
        return "%s -> %s" % (self._kdt, self._vdt)

    # -- conversions -----------------------------------------------------

    def _value(self, value: Any) -> Any:
        return ffi.from_buffer(to_bytes(value, self._vdt, "value"))

    def _find(self, kb: Any) -> Any:
        """The value of key bytes `kb`, or _MISSING."""
        out = ffi.new("char[]", self._vdt.itemsize)
        if not outcome(self._c.find(out, self._handle(), kb),
                       (ENOT_FOUND,)):
            return _MISSING
        return from_bytes(ffi.buffer(out)[:], self._vdt)

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
        check(self._c.insert_or_update(self._handle(), self._key(key),
                                       self._value(value)))

    def insert(self, key: Any, value: Any) -> bool:
        """Add `key` -> `value` unless the key is present.  True if added,
        False if it was already there (its value unchanged)."""
        return outcome(self._c.insert(self._handle(), self._key(key),
                                      self._value(value)), (EEXISTS,))

    def __delitem__(self, key: Any) -> None:
        if not outcome(self._c.erase(self._handle(), self._key(key)),
                       (ENOT_FOUND,)):
            raise KeyError(key)

    def pop(self, key: Any, default: Any = _MISSING) -> Any:
        """Remove `key` and return its value (read just before the erase;
        another process may change it in between)."""
        kb = self._key(key)
        value = self._find(kb)
        if value is not _MISSING and outcome(
                self._c.erase(self._handle(), kb), (ENOT_FOUND,)):
            return value
        if default is _MISSING:
            raise KeyError(key)
        return default

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
            if not outcome(self._c.next(kout, vout, h, cursor),
                           (ENOT_FOUND,)):
                return
            yield (from_bytes(ffi.buffer(kout)[:], self._kdt)
                   if want_key else None,
                   from_bytes(ffi.buffer(vout)[:], self._vdt)
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
        self._validate_by_name()
