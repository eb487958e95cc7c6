# SPDX-License-Identifier: MIT
"""Exceptions, one class per C status code, generated from the status enum.

The classes are built at import time from ``enum zeroipc_status`` as cffi
parsed it from the headers, so a status added in C gets its exception here
without a Python edit.  The class name is the C name without ``ZEROIPC_E``,
in CamelCase: ``ZEROIPC_ENOT_FOUND`` -> :class:`NotFound`,
``ZEROIPC_ESIZE_MISMATCH`` -> :class:`SizeMismatch`, ``ZEROIPC_EINVAL`` ->
:class:`Inval`.  All derive from :class:`ZeroIPCError`; a few also derive
from the built-in exception a Python caller would expect (``Inval`` is a
``ValueError``, ``Range`` an ``IndexError``, ``NotFound`` a ``LookupError``).

Expected outcomes of non-blocking calls (a full queue, a lost
compare-exchange, a name that is not there when asked with ``find``) are
returned as ``None``/``False`` by the API, not raised.
"""
from __future__ import annotations

from typing import Any

from ._ffi import ffi, lib

__all__ = ["ZeroIPCError", "error_class"]


class ZeroIPCError(Exception):
    """A libzeroipc call failed.

    Attributes: ``status`` (the negative C code), ``name`` (its C name
    without the prefix, e.g. ``"ENOT_FOUND"``) and ``detail`` (the library's
    ``zeroipc_last_error()`` text for this failure, possibly empty).
    """

    status: int = 0

    def __init__(self, status: int, detail: str = "") -> None:
        self.status = status
        self.name = ffi.string(lib.zeroipc_status_name(status)).decode()
        self.detail = detail
        text = ffi.string(lib.zeroipc_strerror(status)).decode()
        super().__init__("%s: %s" % (text, detail) if detail else text)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the status, so errors survive multiprocessing pickles.
        return (type(self), (self.status, self.detail))


# Extra built-in bases, chosen by C name; only classes whose constructor
# takes a plain message (OSError and its subclasses do not).
_BUILTIN_BASES: dict[str, type[Exception]] = {
    "EINVAL": ValueError,
    "ERANGE": IndexError,
    "ENOT_FOUND": LookupError,
}

_by_status: dict[int, type[ZeroIPCError]] = {}


def _class_name(c_name: str) -> str:
    return "".join(part.capitalize() for part in c_name[1:].split("_"))


def _build() -> None:
    enum = ffi.typeof("enum zeroipc_status")
    for full, value in sorted(enum.relements.items(), key=lambda kv: -kv[1]):
        # ZEROIPC__* are markers (e.g. the last value), not statuses.
        if value >= 0 or full.startswith("ZEROIPC__"):
            continue
        c_name = full[len("ZEROIPC_"):]
        name = _class_name(c_name)
        bases: tuple[type[Exception], ...] = (ZeroIPCError,)
        if c_name in _BUILTIN_BASES:
            bases += (_BUILTIN_BASES[c_name],)
        doc = "Status ZEROIPC_%s: %s." % (
            c_name, ffi.string(lib.zeroipc_strerror(value)).decode())
        cls = type(name, bases, {"__doc__": doc, "__module__": __name__,
                                 "status": value})
        _by_status[value] = cls
        globals()[name] = cls
        __all__.append(name)


_build()


def error_class(status: int) -> type[ZeroIPCError]:
    """The exception class for a status (ZeroIPCError for unknown codes)."""
    return _by_status.get(status, ZeroIPCError)


def check(status: int) -> int:
    """Return `status` if it is not negative, else raise its exception.

    Call it right after the C call: the detail is the calling thread's
    ``zeroipc_last_error()``, which the next library call replaces.
    """
    if status < 0:
        detail = ffi.string(lib.zeroipc_last_error()).decode(
            errors="replace")
        raise error_class(status)(status, detail)
    return status


def __getattr__(name: str) -> type[ZeroIPCError]:
    # Only reached for names _build() did not define.  Declared so that type
    # checkers accept `from zeroipc.errors import NotFound`.
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
