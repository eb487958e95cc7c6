#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# abi_baseline.sh check|update LIBRARY HEADERS_DIR BASELINE
#
# check:  dump the ABI of LIBRARY with abidw and compare it with the committed
#         BASELINE using abidiff.  Added functions pass; a removed or changed
#         function or public type fails.  Exit 77 (skip) without abidw.
# update: rewrite BASELINE from LIBRARY (abi/update-baseline calls this).
#
# Only types declared under HEADERS_DIR (the public headers) are recorded, so
# the private bodies of the opaque handles can change freely.
set -euo pipefail

if [ $# -ne 4 ] || { [ "$1" != check ] && [ "$1" != update ]; }; then
	echo "usage: $0 check|update LIBRARY HEADERS_DIR BASELINE" >&2
	exit 2
fi
mode=$1 lib=$2 headers=$3 baseline=$4

if ! command -v abidw >/dev/null || ! command -v abidiff >/dev/null; then
	if [ "$mode" = update ]; then
		echo "abidw/abidiff not found (Debian: abigail-tools)" >&2
		exit 1
	fi
	echo "SKIP: abidw/abidiff not found (Debian: abigail-tools)"
	exit 77
fi
if [ "$(uname -m)" != x86_64 ]; then
	# Type sizes in the baseline are those of x86_64.
	echo "SKIP: the baseline is for x86_64, this is $(uname -m)"
	exit 77
fi
if ! readelf -S --wide "$lib" | grep -q '\.debug_info'; then
	echo "FAIL: $lib has no DWARF; cmake/AbiCheck.cmake should add -g" >&2
	exit 1
fi

# The one place the dump options are written.  Only exported functions and
# the types declared in the public headers are kept (not the libc functions
# the library calls).  Source locations are left out so the dump changes
# only when the ABI does, and hashed type ids keep its diffs small.
dump() {
	abidw --headers-dir "$headers" --drop-private-types \
		--drop-undefined-syms --no-corpus-path --no-comp-dir-path \
		--no-show-locs --type-id-style hash --out-file "$2" "$1"
}

if [ "$mode" = update ]; then
	dump "$lib" "$baseline.tmp"
	mv "$baseline.tmp" "$baseline"
	echo "wrote $baseline ($(grep -c '<elf-symbol ' "$baseline") symbols)"
	exit 0
fi

if [ ! -f "$baseline" ]; then
	echo "FAIL: no baseline $baseline (see abi/update-baseline)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dump "$lib" "$tmp/current.abi"

# abidiff's exit status is a bit field: 1 error, 2 usage error, 4 ABI
# change, 8 incompatible change (a removed symbol).  Added functions also
# set 4, so compare with --no-added-syms: then any non-zero status is a
# removal, a changed signature or a changed public type, and fails.
set +e
abidiff --no-added-syms "$baseline" "$tmp/current.abi" >"$tmp/report"
status=$?
abidiff --added-fns --added-vars "$baseline" "$tmp/current.abi" \
	>"$tmp/added"
set -e

if [ $((status & 1)) -ne 0 ]; then
	cat "$tmp/report"
	echo "FAIL: abidiff could not compare (exit status $status)" >&2
	exit 1
fi
if [ "$status" -ne 0 ]; then
	cat "$tmp/report"
	if [ $((status & 8)) -ne 0 ]; then
		echo "FAIL: incompatible ABI change (a symbol was removed)" >&2
	else
		echo "FAIL: ABI change; if it is compatible and intended," \
			"regenerate the baseline (abi/README.md)" >&2
	fi
	exit 1
fi
if grep -q '\[A\]' "$tmp/added"; then
	echo "Added since the baseline (compatible):"
	grep '\[A\]' "$tmp/added"
fi
echo "PASS: no incompatible change against $(basename "$baseline")"
