#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# abi_exports.sh LIBRARY SYMBOLS_FILE SONAME
#
# The dynamic symbol table of LIBRARY must export exactly the functions in
# SYMBOLS_FILE (abi/libzeroipc.symbols: "name@NODE", one per line, sorted):
# none missing, none extra, none unversioned, no internal zeroipc__ names,
# and the SONAME must be SONAME.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 LIBRARY SYMBOLS_FILE SONAME" >&2
	exit 2
fi
lib=$1 symbols=$2 want_soname=$3

if ! command -v readelf >/dev/null; then
	echo "SKIP: readelf not found (Debian: binutils)"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

soname=$(readelf -d --wide "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" != "$want_soname" ]; then
	echo "FAIL: SONAME is '$soname', expected '$want_soname'"
	fail=1
fi

# The expected list must itself be well formed, or a comparison with it
# proves nothing.
if ! LC_ALL=C sort -u -c "$symbols" 2>"$tmp/sort"; then
	echo "FAIL: $symbols is not sorted and unique: $(cat "$tmp/sort")"
	fail=1
fi
well_formed='^zeroipc_[a-z0-9]([a-z0-9_]*[a-z0-9])?@ZEROIPC_[0-9]+\.[0-9]+$'
if grep -nvE "$well_formed" "$symbols" >"$tmp/bad" ||
	grep -n 'zeroipc__' "$symbols" >>"$tmp/bad"; then
	echo "FAIL: malformed lines in $symbols (want zeroipc_x@ZEROIPC_X.Y):"
	cat "$tmp/bad"
	fail=1
fi

# The linker emits one absolute symbol per version node it defines
# (ZEROIPC_1.0, shown bare or as ZEROIPC_1.0@@ZEROIPC_1.0 depending on the
# binutils version); those are the nodes themselves, not exports.
readelf -V --wide "$lib" | sed -n '/Version definition/,/^$/{
	s/.*Flags: none .*Name: \([^ ]*\).*/\1/p
}' >"$tmp/nodes"

# readelf --dyn-syms --wide columns: Num: Value Size Type Bind Vis Ndx Name.
# Keep defined GLOBAL/WEAK symbols of DEFAULT visibility.  "@@" marks the
# default version of a name and "@" an older one; both are written
# "name@NODE" here.
readelf --dyn-syms --wide "$lib" | awk -v nodes="$tmp/nodes" '
	BEGIN {
		while ((getline node < nodes) > 0)
			is_node[node] = 1
	}
	$1 ~ /^[0-9]+:$/ && $7 != "UND" &&
	($5 == "GLOBAL" || $5 == "WEAK") && $6 == "DEFAULT" {
		name = $8
		split(name, part, "@")
		if ($7 == "ABS" && (part[1] in is_node))
			next
		sub(/@@/, "@", name)
		print name
	}' | LC_ALL=C sort >"$tmp/actual"

if [ ! -s "$tmp/actual" ]; then
	echo "FAIL: no exported symbols found in $lib"
	exit 1
fi
if grep -v '@' "$tmp/actual" >"$tmp/unversioned"; then
	echo "FAIL: exported without a version (missing in abi/libzeroipc.map):"
	sed 's/^/  /' "$tmp/unversioned"
	fail=1
fi

LC_ALL=C sort "$symbols" >"$tmp/expected"
LC_ALL=C comm -23 "$tmp/expected" "$tmp/actual" >"$tmp/missing"
LC_ALL=C comm -13 "$tmp/expected" "$tmp/actual" | grep '@' >"$tmp/extra" || true
if [ -s "$tmp/missing" ]; then
	echo "FAIL: listed in $(basename "$symbols") but not exported:"
	sed 's/^/  /' "$tmp/missing"
	fail=1
fi
if [ -s "$tmp/extra" ]; then
	echo "FAIL: exported but not listed in $(basename "$symbols"):"
	sed 's/^/  /' "$tmp/extra"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "See abi/README.md, 'Adding a symbol'."
	exit 1
fi
echo "PASS: $(wc -l <"$tmp/actual") versioned exports match, SONAME $soname"
