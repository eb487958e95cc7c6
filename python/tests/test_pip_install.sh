#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_pip_install.sh LIBRARY [PYTHON]
#
# Install python/ the way the README tells users to, offline, into a fresh
# venv in a temporary directory, and use it from there:
#   1. built with ZEROIPC_BUNDLE_LIBRARY=LIBRARY: the package carries its
#      own libzeroipc.so.1 and finds it with ZEROIPC_LIBRARY unset;
#   2. a wrong ZEROIPC_LIBRARY still fails loudly, bundled copy or not;
#   3. built without it: a pure-Python package that uses ZEROIPC_LIBRARY.
# The source tree is copied first, so the build writes nothing into it.
set -euo pipefail

lib=$(realpath "$1")
py=${2:-/usr/bin/python3}
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zeroipc-pip.XXXXXX")
name=/zipy_pip_install_$$
cleanup() {
	rm -f "/dev/shm/${name#/}"
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# setuptools 66 (Debian 12) builds wheels with the separate `wheel`
# package, which --no-build-isolation takes from the system.
"$py" -c 'import wheel' 2>/dev/null ||
	fail "$py lacks the wheel package: apt-get install python3-wheel"

mkdir "$tmp/src"
cp -r "$src/pyproject.toml" "$src/setup.py" "$src/README.md" "$src/zeroipc" \
	"$tmp/src/"
rm -rf "$tmp/src/zeroipc/__pycache__" "$tmp/src/zeroipc/libzeroipc.so.1"

unset ZEROIPC_LIBRARY ZEROIPC_BUNDLE_LIBRARY PYTHONPATH
export PIP_NO_INDEX=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
	PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1
cd "$tmp"

"$py" -m venv --system-site-packages "$tmp/venv"
vpy=$tmp/venv/bin/python
vpip=$tmp/venv/bin/pip

echo "== 1: pip install with the library bundled"
ZEROIPC_BUNDLE_LIBRARY=$lib "$vpip" install -q --no-build-isolation "$tmp/src"
"$vpy" - "$name" "$tmp/venv" <<'EOF'
import importlib.resources
import sys

import numpy as np

import zeroipc
from zeroipc import Array, Memory

name, venv = sys.argv[1:]
assert zeroipc.__file__.startswith(venv), zeroipc.__file__
assert zeroipc.library_path.startswith(venv), zeroipc.library_path
assert (importlib.resources.files("zeroipc") / "py.typed").is_file()
with Memory(name, 10 * 1024 * 1024) as mem:
    Array(mem, "temperature", 1000, dtype=np.float32)[0] = 23.5
with Memory(name) as mem:
    value = Array(mem, "temperature", dtype=np.float32)[0]
    assert value == np.float32(23.5), value
Memory.unlink(name)
print("ok: imported from the venv, library", zeroipc.library_path)
EOF

echo "== 2: a wrong ZEROIPC_LIBRARY is an error, not a fallback"
if ZEROIPC_LIBRARY=$tmp/nowhere/libzeroipc.so.1 "$vpy" -c 'import zeroipc' \
	2>"$tmp/err"; then
	fail "import succeeded with a wrong ZEROIPC_LIBRARY"
fi
grep -q "ZEROIPC_LIBRARY='$tmp/nowhere/libzeroipc.so.1' cannot be used" \
	"$tmp/err" || fail "unexpected message: $(cat "$tmp/err")"
echo "ok: $(tail -n 2 "$tmp/err" | head -n 1)"

echo "== 3: pip install without bundling, library from ZEROIPC_LIBRARY"
"$vpip" uninstall -q -y zeroipc
"$vpip" install -q --no-build-isolation "$tmp/src"
if compgen -G "$tmp/venv/lib/python*/site-packages/zeroipc/libzeroipc.so*" \
	>/dev/null; then
	fail "a library was bundled although ZEROIPC_BUNDLE_LIBRARY was unset"
fi
ZEROIPC_LIBRARY=$lib "$vpy" -c '
import sys, zeroipc
assert zeroipc.library_path == sys.argv[1], zeroipc.library_path
print("ok: library from ZEROIPC_LIBRARY", zeroipc.library_path)
' "$lib"
echo "PASS"
