# SPDX-License-Identifier: MIT
"""The cffi declarations are the headers' and every one is exported."""
from __future__ import annotations

import importlib.util
import re

import pytest

from conftest import PYTHON_DIR, REPO, build_dir
from zeroipc import _cdef
from zeroipc._ffi import ffi, lib


def _map_globals() -> set[str]:
    """Names under `global:` in any node of abi/libzeroipc.map."""
    text = (REPO / "abi" / "libzeroipc.map").read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = set()
    for node in re.finditer(r"\{(.*?)\}", text, flags=re.S):
        body = node.group(1)
        glob = body.split("global:", 1)[1] if "global:" in body else ""
        glob = glob.split("local:", 1)[0]
        names.update(n.strip() for n in glob.split(";") if n.strip())
    return names


def _cdef_functions() -> set[str]:
    return {n for n in dir(lib) if n.startswith("zeroipc_")
            and ffi.typeof(getattr(lib, n)).kind == "function"}


def test_shipped_cdef_matches_headers() -> None:
    build = build_dir()
    if build is None:
        pytest.skip("set ZEROIPC_BUILD_DIR to a configured build directory")
    spec = importlib.util.spec_from_file_location(
        "gen_cdef", PYTHON_DIR / "gen_cdef.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    shipped = (PYTHON_DIR / "zeroipc" / "_cdef.py").read_text()
    assert gen.render(build) == shipped, (
        "python/zeroipc/_cdef.py is stale: run "
        "`python3 python/gen_cdef.py --build-dir %s --write`" % build)


def test_every_cdef_function_is_in_version_map() -> None:
    functions = _cdef_functions()
    assert "zeroipc_memory_create" in functions
    assert "zeroipc_array_data" in functions
    missing = sorted(functions - _map_globals())
    assert not missing, "declared but not in abi/libzeroipc.map: %s" % missing


def test_every_exported_symbol_is_declared() -> None:
    # The reverse direction: Python can reach everything the ABI exports.
    undeclared = sorted(_map_globals() - _cdef_functions())
    assert not undeclared, "exported but not in the cdef: %s" % undeclared


def test_cdef_is_plain_declarations() -> None:
    # What the generator must strip: the export macro and preprocessor
    # logic (cffi accepts only `#define NAME integer`).
    assert "ZEROIPC_API" not in _cdef.CDEF
    assert "__attribute__" not in _cdef.CDEF
    for line in _cdef.CDEF.splitlines():
        if line.startswith("#"):
            assert re.fullmatch(r"#define ZEROIPC_[A-Z0-9_]+ -?\w+", line), line


def test_library_is_at_least_the_headers_version() -> None:
    major, minor, patch = (int(x) for x in _cdef.VERSION.split("."))
    assert (lib.ZEROIPC_VERSION_MAJOR, lib.ZEROIPC_VERSION_MINOR,
            lib.ZEROIPC_VERSION_PATCH) == (major, minor, patch)
    assert lib.zeroipc_version_at_least(major, minor, patch) == 1
    assert lib.zeroipc_version_at_least(major + 1, 0, 0) == 0
