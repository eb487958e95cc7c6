#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# consumer.sh pkgconfig|cmake c|cxx COMPILER PREFIX LIBDIR SOURCE_DIR WORK_DIR
#
# Build tests/install/consumer.c (c) or consumer.cpp (cxx) against the tree
# that install_tree.sh installed into PREFIX, either with a plain compiler
# command line and pkg-config or with a fresh CMake project that calls
# find_package(zeroipc), against the shared and the static library.  Run
# each program and check that the shared one loads libzeroipc.so.1 from
# PREFIX.  Exit 77 (skip) if COMPILER is missing.
set -euo pipefail
how=$1 lang=$2 compiler=$3 prefix=$4 libdir=$5 src=$6 work=$7

if [ -z "$compiler" ] || [[ "$compiler" == *NOTFOUND ]] ||
	! command -v "$compiler" >/dev/null; then
	echo "SKIP: no $lang compiler"
	exit 77
fi
if [ ! -f "$prefix/$libdir/libzeroipc.so" ]; then
	echo "FAIL: nothing installed in $prefix (install_tree must run first)"
	exit 1
fi
rm -rf "$work"
mkdir -p "$work"

if [ "$lang" = c ]; then
	source=$src/consumer.c std=-std=c99 cmake_lang=C
else
	source=$src/consumer.cpp std=-std=c++11 cmake_lang=CXX
fi
tag="$how-$lang"

check_loads_installed() {
	local lib
	lib=$(ldd "$1" | awk '$1 == "libzeroipc.so.1" { print $3 }')
	case $lib in
	"$prefix"/*) ;;
	*)
		echo "FAIL: $1 loads libzeroipc.so.1 from '$lib', not $prefix"
		exit 1
		;;
	esac
}
check_static() {
	if ldd "$1" | grep -q libzeroipc; then
		echo "FAIL: $1 should not need libzeroipc.so"
		exit 1
	fi
}

case $how in
pkgconfig)
	# Only our .pc, never one installed system-wide.
	export PKG_CONFIG_LIBDIR=$prefix/$libdir/pkgconfig
	unset PKG_CONFIG_PATH
	pkg-config --exists --print-errors zeroipc
	cflags=$(pkg-config --cflags zeroipc)
	libs=$(pkg-config --libs zeroipc)
	pc_libdir=$(pkg-config --variable=libdir zeroipc)
	echo "pkg-config: $cflags $libs"
	set -x
	# shellcheck disable=SC2086 # pkg-config output is a list of words
	"$compiler" $std -pedantic -Wall -Wextra -Werror $cflags "$source" \
		-o "$work/consumer_shared" $libs -Wl,-rpath,"$pc_libdir"
	# shellcheck disable=SC2086
	"$compiler" $std -pedantic -Wall -Wextra -Werror $cflags "$source" \
		-o "$work/consumer_static" "$pc_libdir/libzeroipc.a"
	set +x
	;;
cmake)
	set -x
	cmake -S "$src/project" -B "$work" -DCONSUMER_LANG="$cmake_lang" \
		-DCMAKE_PREFIX_PATH="$prefix" \
		-DCMAKE_"$cmake_lang"_COMPILER="$compiler" \
		-DCMAKE_BUILD_TYPE=Debug
	cmake --build "$work"
	set +x
	;;
*)
	echo "usage: $0 pkgconfig|cmake c|cxx ..." >&2
	exit 2
	;;
esac

check_loads_installed "$work/consumer_shared"
check_static "$work/consumer_static"
"$work/consumer_shared" "$tag-shared"
"$work/consumer_static" "$tag-static"
echo "PASS: $how, $lang, shared and static"
