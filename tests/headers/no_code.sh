#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# no_code.sh CC -IDIR...
#
# Compile a unit that includes <zeroipc.h> while forcing the compiler to emit
# every static and inline function it sees; the object must then define no
# symbol at all.  A function body in a public header (static inline or not)
# or a global object there shows up here.
set -euo pipefail
cc=$1
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <zeroipc.h>\n' >"$tmp/unit.c"
"$cc" -std=c11 -O0 -fkeep-inline-functions -fkeep-static-functions \
	"$@" -c "$tmp/unit.c" -o "$tmp/unit.o"
nm --defined-only "$tmp/unit.o" | grep -v ' [aN] ' >"$tmp/defined" || true
if [ -s "$tmp/defined" ]; then
	echo "FAIL: the public headers define code or data:"
	cat "$tmp/defined"
	exit 1
fi
echo "PASS: <zeroipc.h> declares only"
