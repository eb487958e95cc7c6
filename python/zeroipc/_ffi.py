# SPDX-License-Identifier: MIT
"""Load libzeroipc.so.1 through cffi in ABI mode.

The declarations come from ``_cdef.py``, generated from the C headers, so
nothing here is compiled and nothing restates the C API.  The library is
looked for in this order:

1. ``$ZEROIPC_LIBRARY``, a path.  When it is set (non-empty) it is the only
   place tried: a wrong value is an error, never a silent fallback to some
   other copy of the library.
2. A copy bundled inside this package (``zeroipc/libzeroipc.so.1``), present
   when the package was built with ``ZEROIPC_BUNDLE_LIBRARY`` set.
3. The system loader, by SONAME (``libzeroipc.so.1``: ``LD_LIBRARY_PATH``,
   ``ld.so.cache``, the default directories).

If all fail, one :class:`LibraryLoadError` lists every place tried and why.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cffi

from ._cdef import CDEF

SONAME = "libzeroipc.so.1"
ENV_VAR = "ZEROIPC_LIBRARY"
BUNDLED = Path(__file__).resolve().with_name(SONAME)


class LibraryLoadError(ImportError):
    """libzeroipc could not be loaded; the message says where it looked."""


ffi = cffi.FFI()
ffi.cdef(CDEF)


def _open(path: str) -> Any:
    """dlopen `path` and check that it has every declared function.

    cffi resolves symbols lazily, so without this check a library older than
    the headers would load fine and fail later, at the first call of a
    missing function.
    """
    lib = ffi.dlopen(path)
    missing = []
    for name in dir(lib):
        if not name.startswith("zeroipc_"):
            continue  # constants and enum values, not symbols
        try:
            getattr(lib, name)
        except AttributeError:
            missing.append(name)
    if missing:
        raise OSError("it lacks %d function(s) this package declares "
                      "(older library?): %s"
                      % (len(missing), ", ".join(sorted(missing))))
    return lib


def _load() -> tuple[Any, str]:
    env = os.environ.get(ENV_VAR, "")
    if env:
        try:
            return _open(env), env
        except OSError as e:
            raise LibraryLoadError(
                "%s=%r cannot be used: %s\nFix or unset %s; while it is set "
                "no other place is searched." % (ENV_VAR, env, e, ENV_VAR)
            ) from None
    tried = ["$%s: not set" % ENV_VAR]
    if BUNDLED.exists():
        try:
            return _open(str(BUNDLED)), str(BUNDLED)
        except OSError as e:
            tried.append("bundled copy %s: %s" % (BUNDLED, e))
    else:
        tried.append("bundled copy %s: not present (this installation "
                     "bundles no library)" % BUNDLED)
    try:
        return _open(SONAME), SONAME
    except OSError as e:
        tried.append("system loader, %s: %s" % (SONAME, e))
    raise LibraryLoadError(
        "libzeroipc could not be loaded. Tried, in order:\n  - "
        + "\n  - ".join(tried)
        + "\nSet %s to the path of %s, or install the library."
        % (ENV_VAR, SONAME))


lib, library_path = _load()
