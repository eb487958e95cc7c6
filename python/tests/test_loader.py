# SPDX-License-Identifier: MIT
"""Where the package finds libzeroipc.so.1, and how it says it did not.

Loading happens at import, so each case imports zeroipc in a child
interpreter with a controlled environment.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import zeroipc
from conftest import PYTHON_DIR

pytestmark = pytest.mark.timeout(120)

PRINT_PATH = "import zeroipc; print(zeroipc.library_path)"


def _built_library() -> Path:
    path = Path(zeroipc.library_path)
    if not path.is_absolute():
        pytest.skip("these tests need the library by path ($ZEROIPC_LIBRARY)")
    return path


def _run(code: str, pythonpath: Path, cwd: Path, **env: str
         ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("ZEROIPC_LIBRARY", "LD_LIBRARY_PATH", "PYTHONPATH")}
    clean["PYTHONPATH"] = str(pythonpath)
    clean.update(env)
    return subprocess.run([sys.executable, "-c", code], env=clean, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def bundled_pkg(tmp_path: Path) -> Path:
    """A copy of the package with the built library bundled in it."""
    lib = _built_library()
    shutil.copytree(PYTHON_DIR / "zeroipc", tmp_path / "zeroipc",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    shutil.copy(lib, tmp_path / "zeroipc" / "libzeroipc.so.1")
    return tmp_path


def test_env_var_is_used_first(bundled_pkg: Path) -> None:
    lib = _built_library()
    done = _run(PRINT_PATH, bundled_pkg, bundled_pkg,
                ZEROIPC_LIBRARY=str(lib))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(lib)


def test_wrong_env_var_fails_without_fallback(bundled_pkg: Path) -> None:
    # Both the bundled copy and the system loader (LD_LIBRARY_PATH) could
    # load a library here; a wrong $ZEROIPC_LIBRARY must still fail.
    lib = _built_library()
    wrong = bundled_pkg / "no" / "libzeroipc.so.1"
    done = _run(PRINT_PATH, bundled_pkg, bundled_pkg,
                ZEROIPC_LIBRARY=str(wrong), LD_LIBRARY_PATH=str(lib.parent))
    assert done.returncode != 0
    assert "LibraryLoadError" in done.stderr
    assert "ZEROIPC_LIBRARY=%r" % str(wrong) in done.stderr
    assert "no other place is searched" in done.stderr


def test_env_var_naming_another_library_is_refused(tmp_path: Path) -> None:
    libc = "libc.so.6"
    done = _run(PRINT_PATH, PYTHON_DIR, tmp_path, ZEROIPC_LIBRARY=libc)
    assert done.returncode != 0
    assert "lacks" in done.stderr and "zeroipc_memory_create" in done.stderr


def test_bundled_copy_is_preferred_to_the_system(bundled_pkg: Path) -> None:
    lib = _built_library()
    done = _run(PRINT_PATH, bundled_pkg, bundled_pkg,
                LD_LIBRARY_PATH=str(lib.parent))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(bundled_pkg / "zeroipc"
                                      / "libzeroipc.so.1")


def test_empty_env_var_counts_as_unset(bundled_pkg: Path) -> None:
    done = _run(PRINT_PATH, bundled_pkg, bundled_pkg, ZEROIPC_LIBRARY="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(bundled_pkg))


def test_system_loader_by_soname(tmp_path: Path) -> None:
    lib = _built_library()
    if (PYTHON_DIR / "zeroipc" / "libzeroipc.so.1").exists():
        pytest.skip("the source tree has a bundled copy")
    done = _run(PRINT_PATH, PYTHON_DIR, tmp_path,
                LD_LIBRARY_PATH=str(lib.parent))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "libzeroipc.so.1"


def test_nothing_found_lists_every_place_tried(tmp_path: Path) -> None:
    if (PYTHON_DIR / "zeroipc" / "libzeroipc.so.1").exists():
        pytest.skip("the source tree has a bundled copy")
    probe = _run("import ctypes; ctypes.CDLL('libzeroipc.so.1')",
                 tmp_path, tmp_path)
    if probe.returncode == 0:
        pytest.skip("a libzeroipc.so.1 is installed on this system")
    done = _run(PRINT_PATH, PYTHON_DIR, tmp_path)
    assert done.returncode != 0
    err = done.stderr
    assert "LibraryLoadError" in err
    assert "$ZEROIPC_LIBRARY: not set" in err
    assert "bundled copy %s" % (PYTHON_DIR / "zeroipc" / "libzeroipc.so.1") \
        in err
    assert "system loader, libzeroipc.so.1" in err
