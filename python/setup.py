# SPDX-License-Identifier: MIT
"""Build hook: bundle a prebuilt libzeroipc.so.1 into the package.

Set ZEROIPC_BUNDLE_LIBRARY to the path of a built libzeroipc.so.1 (or of the
file it links to) while building, e.g.

    ZEROIPC_BUNDLE_LIBRARY=build/libzeroipc.so.1 pip install ./python

and the package carries its own copy, found before the system's.  The wheel
is then platform-specific.  Without it the package is pure Python and uses
$ZEROIPC_LIBRARY or the system loader.  Nothing is compiled either way.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

SONAME = "libzeroipc.so.1"
BUNDLE = os.environ.get("ZEROIPC_BUNDLE_LIBRARY", "")


class BuildPy(build_py):
    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "zeroipc", SONAME)
        if not BUNDLE:
            # A copy left in build/ by an earlier bundling build must not
            # slip into this one.
            if os.path.exists(dest):
                os.remove(dest)
            return
        if not os.path.isfile(BUNDLE):
            raise SystemExit("ZEROIPC_BUNDLE_LIBRARY=%r is not a file"
                             % BUNDLE)
        shutil.copy(BUNDLE, dest)  # follows the SONAME symlink


class Distribution(Distribution):
    def has_ext_modules(self):
        # A bundled shared object makes the wheel platform-specific.
        return bool(BUNDLE)


setup(cmdclass={"build_py": BuildPy}, distclass=Distribution)
