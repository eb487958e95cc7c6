# SPDX-License-Identifier: MIT
"""Every pytest module runs from CTest (python/CMakeLists.txt lists them
explicitly, so a new module that is not listed would silently never run in
CI)."""
from __future__ import annotations

import re

from conftest import PYTHON_DIR


def test_every_test_module_is_a_ctest_test() -> None:
    text = (PYTHON_DIR / "CMakeLists.txt").read_text()
    listed = re.search(r"set\(ZEROIPC_PYTHON_TEST_MODULES(.*?)\)", text,
                       flags=re.S)
    assert listed, "ZEROIPC_PYTHON_TEST_MODULES not found"
    registered = set(listed.group(1).split())
    present = {p.stem[len("test_"):]
               for p in (PYTHON_DIR / "tests").glob("test_*.py")}
    assert "registration" in registered
    assert present - registered == set(), (
        "add these to ZEROIPC_PYTHON_TEST_MODULES in python/CMakeLists.txt")
    assert registered - present == set(), "listed but missing"
