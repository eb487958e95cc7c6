#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# install_tree.sh CMAKE BUILD_DIR PREFIX LIBDIR INCLUDEDIR VERSION HEADER...
#
# `cmake --install BUILD_DIR --prefix PREFIX` into an empty PREFIX, then check
# that everything a user needs is there and nothing private is: each HEADER
# (path below INCLUDEDIR), the shared library and its two links, the static
# library, zeroipc.pc and the CMake package files; with $ZEROIPC_INSTALL_TOOL
# (a path below PREFIX), also that tool, run from there with nothing set.
set -euo pipefail
cmake=$1 build=$2 prefix=$3 libdir=$4 includedir=$5 version=$6
shift 6
major=${version%%.*}

rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix"

fail=0
expect_file() {
	if [ ! -f "$prefix/$1" ] || [ -L "$prefix/$1" ]; then
		echo "FAIL: missing file $1"
		fail=1
	fi
}
expect_link() {
	local target
	target=$(readlink "$prefix/$1" 2>/dev/null || true)
	if [ "$target" != "$2" ]; then
		echo "FAIL: $1 should link to $2, links to '${target}'"
		fail=1
	fi
}

for header in "$@"; do
	expect_file "$includedir/$header"
done
expect_file "$libdir/libzeroipc.so.$version"
expect_link "$libdir/libzeroipc.so.$major" "libzeroipc.so.$version"
expect_link "$libdir/libzeroipc.so" "libzeroipc.so.$major"
expect_file "$libdir/libzeroipc.a"
expect_file "$libdir/pkgconfig/zeroipc.pc"
for f in zeroipcConfig.cmake zeroipcConfigVersion.cmake zeroipcTargets.cmake; do
	expect_file "$libdir/cmake/zeroipc/$f"
done

# Exactly the public headers: nothing from src/ (format.h, internal.h ...).
(cd "$prefix/$includedir" && find . -type f | sed 's|^\./||') |
	LC_ALL=C sort >"$prefix.headers"
printf '%s\n' "$@" | LC_ALL=C sort >"$prefix.expected"
if ! diff -u --label expected --label installed "$prefix.expected" \
	"$prefix.headers"; then
	echo "FAIL: installed headers differ from ZEROIPC_PUBLIC_HEADERS"
	fail=1
fi
rm -f "$prefix.headers" "$prefix.expected"

# The .pc names the prefix installed to, not the configured one.
if ! grep -qx "prefix=$prefix" "$prefix/$libdir/pkgconfig/zeroipc.pc"; then
	echo "FAIL: zeroipc.pc does not say prefix=$prefix:"
	cat "$prefix/$libdir/pkgconfig/zeroipc.pc"
	fail=1
fi

# The tool finds the library of its own tree (its runpath), wherever the
# tree was installed: run it with a clean environment.
if [ -n "${ZEROIPC_INSTALL_TOOL:-}" ]; then
	expect_file "$ZEROIPC_INSTALL_TOOL"
	tool_version=$(env -i "$prefix/$ZEROIPC_INSTALL_TOOL" --version 2>&1 ||
		true)
	case $tool_version in
	*"$version"*) ;;
	*)
		echo "FAIL: $ZEROIPC_INSTALL_TOOL --version printed:" \
			"'$tool_version', expected the version $version"
		fail=1
		;;
	esac
fi

[ "$fail" -eq 0 ] || exit 1
echo "PASS: installed $(find "$prefix" -type f | wc -l) files into $prefix"
