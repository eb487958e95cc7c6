#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# abi_map.sh MAP SYMBOLS_FILE
#
# Checks the version script against the rules of STYLE.md section 5 and
# against the list of expected exports:
#   - every node spells out "global:", names are sorted within a node;
#   - the first node ends with "local: *;", later nodes inherit the previous
#     one ("} ZEROIPC_1.0;") and have higher versions;
#   - no name starts with "_" or is an internal zeroipc__ name;
#   - the set of name@NODE pairs equals SYMBOLS_FILE.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 MAP SYMBOLS_FILE" >&2
	exit 2
fi
map=$1 symbols=$2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One statement per line is the map's layout; anything else is reported.
# The awk program prints name@NODE pairs on stdout and problems on fd 3.
set +e
LC_ALL=C awk '
function problem(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/fd/3"
	bad = 1
}
function vernum(node,    v) {
	v = node
	sub(/^ZEROIPC_/, "", v)
	split(v, p, ".")
	return p[1] * 1000 + p[2]
}
{
	# Drop /* */ comments, which may span lines, then all blanks.
	line = $0
	text = ""
	while (line != "") {
		if (incomment) {
			e = index(line, "*/")
			if (!e) { line = ""; break }
			line = substr(line, e + 2)
			incomment = 0
		} else {
			s = index(line, "/*")
			if (!s) { text = text line; break }
			text = text substr(line, 1, s - 1)
			line = substr(line, s + 2)
			incomment = 1
		}
	}
	gsub(/[ \t\r]/, "", text)
	if (text == "")
		next

	if (text ~ /^ZEROIPC_[0-9]+\.[0-9]+\{$/) {
		if (node != "")
			problem("node opened inside node " node)
		node = substr(text, 1, length(text) - 1)
		nodes++
		if (nodes > 1 && vernum(node) <= vernum(last))
			problem(node " does not follow " last)
		section = ""
		seen_global = 0
		seen_local = 0
		prev = ""
	} else if (node == "") {
		problem("statement outside a version node: " text)
	} else if (text == "global:") {
		section = "global"
		seen_global = 1
	} else if (text == "local:") {
		section = "local"
	} else if (text == "*;" && section == "local") {
		seen_local = 1
	} else if (text ~ /^[A-Za-z_][A-Za-z0-9_]*;$/ && section == "global") {
		name = substr(text, 1, length(text) - 1)
		if (name ~ /^_/ || name ~ /zeroipc__/)
			problem("internal name exported: " name)
		if (prev != "" && name <= prev)
			problem(name " is not sorted after " prev " in " node)
		prev = name
		print name "@" node
	} else if (text ~ /^\}(ZEROIPC_[0-9]+\.[0-9]+)?;$/) {
		parent = text
		gsub(/[};]/, "", parent)
		if (!seen_global)
			problem(node " has no global: section")
		if (nodes == 1 && !seen_local)
			problem("first node " node " must end with local: *;")
		if (nodes > 1 && parent != last)
			problem(node " must inherit " last \
				" (write } " last ";)")
		if (nodes == 1 && parent != "")
			problem("first node " node " cannot inherit " parent)
		last = node
		node = ""
	} else {
		problem("unexpected statement: " text)
	}
}
END {
	if (node != "")
		problem("node " node " is not closed")
	if (nodes == 0)
		problem("no version node")
	exit bad
}' "$map" >"$tmp/from-map" 3>"$tmp/problems"
status=$?
set -e

fail=0
if [ "$status" -ne 0 ] || [ -s "$tmp/problems" ]; then
	echo "FAIL: $(basename "$map") breaks the rules of STYLE.md section 5:"
	sed 's/^/  /' "$tmp/problems"
	fail=1
fi

LC_ALL=C sort "$tmp/from-map" >"$tmp/map-sorted"
LC_ALL=C sort "$symbols" >"$tmp/symbols-sorted"
if ! diff -u --label "$(basename "$map")" --label "$(basename "$symbols")" \
	"$tmp/map-sorted" "$tmp/symbols-sorted" >"$tmp/diff"; then
	echo "FAIL: the map and the symbols list disagree (- map, + symbols):"
	cat "$tmp/diff"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "See abi/README.md, 'Adding a symbol'."
	exit 1
fi
echo "PASS: $(wc -l <"$tmp/from-map") names in $(basename "$map")" \
	"match $(basename "$symbols")"
