#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# readme_examples.sh README FILE...
#
# README.md shows the quick-start programs in full.  Each FILE must appear,
# byte for byte, as one ```c or ```python block of README, so the documented code is the
# code that is built and run by ./dev demo.
set -euo pipefail
readme=$1
shift

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v dir="$tmp" '
	/^```(c|python)$/ {
		out = dir "/block" ++n
		printf "" > out
		inside = 1
		next
	}
	/^```$/ && inside { close(out); inside = 0; next }
	inside { print >> out }
' "$readme"

fail=0
for file in "$@"; do
	found=0
	for block in "$tmp"/block*; do
		if [ -f "$block" ] && cmp -s "$block" "$file"; then
			found=1
			break
		fi
	done
	if [ "$found" -eq 0 ]; then
		echo "FAIL: $(basename "$readme") does not show $file" \
			"as it is; copy the file into its \`\`\`c or \`\`\`python block"
		fail=1
	fi
done
[ "$fail" -eq 0 ] || exit 1
echo "PASS: $(basename "$readme") shows $# example(s) as they are"
