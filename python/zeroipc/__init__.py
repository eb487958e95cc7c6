# SPDX-License-Identifier: MIT
"""zeroipc: shared-memory IPC through libzeroipc (format v2).

    >>> import numpy as np
    >>> from zeroipc import Memory, Array
    >>> mem = Memory("/sensor_data", 10 * 1024 * 1024)          # create
    >>> temps = Array(mem, "temperature", 1000, dtype=np.float32)
    >>> temps[0] = 23.5
    >>> Array(Memory("/sensor_data"), "temperature", dtype=np.float32)[0]
    23.5

The package drives the C library ``libzeroipc.so.1`` through cffi (ABI
mode); see :mod:`zeroipc._ffi` for where the library is looked for.  Every C
status code has an exception class here (:mod:`zeroipc.errors`).
"""
from __future__ import annotations

from ._cdef import VERSION as __version__
from ._ffi import ffi as _ffi
from ._ffi import lib as _lib
from ._ffi import library_path
from .array import Array
from .errors import *  # noqa: F401,F403  (one class per C status)
from .errors import ZeroIPCError
from .errors import __all__ as _error_names
from .map import Map
from .memory import Entry, Memory, Table
from .pool import Pool
from .queue import Queue
from .ring import Ring
from .set import Set
from .stack import Stack

__all__ = ["Memory", "Table", "Entry", "Array", "Pool", "Queue", "Ring",
           "Stack", "Map", "Set", "library_path", "library_version",
           "format_version"] + list(_error_names)


def library_version() -> str:
    """Version of the loaded libzeroipc ("x.y.z")."""
    return _ffi.string(_lib.zeroipc_version_string()).decode()


def format_version() -> int:
    """zeroipc binary format version the loaded library speaks (2)."""
    return int(_lib.zeroipc_format_version())


def __getattr__(name: str) -> type[ZeroIPCError]:
    # Declared so type checkers accept the generated exception classes.
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
