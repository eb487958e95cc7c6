# SPDX-License-Identifier: MIT
"""Shared fixtures: unique segment names that are always unlinked.

The tests import zeroipc from this source tree and load the library named by
$ZEROIPC_LIBRARY (CTest points it at the build's libzeroipc.so.1).
"""
from __future__ import annotations

import itertools
import os
import re
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO = PYTHON_DIR.parent
if str(PYTHON_DIR) not in sys.path[:1]:
    sys.path.insert(0, str(PYTHON_DIR))

import zeroipc  # noqa: E402

_serial = itertools.count()


def unique_name(request: pytest.FixtureRequest, tag: str = "") -> str:
    """`/zipy_<pid>_<n>_<test>`: unique per process, test and call."""
    test = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:60]
    return "/zipy_%d_%d_%s%s" % (os.getpid(), next(_serial), test, tag)


@pytest.fixture
def shm_names(request: pytest.FixtureRequest
              ) -> Iterator[Callable[[], str]]:
    """Factory of unique segment names; every one is unlinked afterwards,
    whichever process created the segment."""
    made: list[str] = []

    def make() -> str:
        made.append(unique_name(request))
        return made[-1]

    yield make
    for name in made:
        zeroipc.Memory.unlink(name, missing_ok=True)


@pytest.fixture
def shm_name(shm_names: Callable[[], str]) -> str:
    """One unique segment name, unlinked after the test."""
    return shm_names()


@pytest.fixture
def mem(shm_name: str) -> Iterator[zeroipc.Memory]:
    """A fresh 1 MiB segment, closed and unlinked after the test."""
    m = zeroipc.Memory(shm_name, 1 << 20, exclusive=True)
    yield m
    m.close()


def build_dir() -> Path | None:
    """The CMake build directory: $ZEROIPC_BUILD_DIR, else the directory of
    $ZEROIPC_LIBRARY if it looks like one."""
    env = os.environ.get("ZEROIPC_BUILD_DIR")
    if env:
        return Path(env)
    lib = os.environ.get("ZEROIPC_LIBRARY")
    if lib:
        d = Path(lib).resolve().parent
        if (d / "include" / "zeroipc" / "version.h").is_file():
            return d
    return None


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a child Python that imports zeroipc from this tree."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(PYTHON_DIR)] + [p for p in env.get("PYTHONPATH", "").split(
            os.pathsep) if p])
    env.update(extra)
    return env
