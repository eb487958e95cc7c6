#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# inspect_cli.sh TOOL FIXTURE VERSION CASE
#
# Runs zeroipc-inspect (TOOL) on the segment inspect_fixture (FIXTURE)
# makes, whose contents inspect_fixture.h lists, and checks the output for
# the exact values that segment must show: kinds, capacities, sizes, counts,
# offsets (from the layouts in SPECIFICATION.md) and bytes.  VERSION is the
# project version the tool must report.  One CASE per CTest test:
#   list list_json show show_json show_entries show_entry_json dump
#   monitor usage errors
set -u

tool=$1 fixture=$2 version=$3 case=$4
seg=/zt-inspect-$$-$case
tmp=$(mktemp -d)
failures=0

cleanup() {
	"$fixture" unlink "$seg"
	rm -f "/dev/shm${seg}-plain"
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run ARGS...: the tool's stdout in $out, stderr in $err, status in $status.
run() {
	"$tool" "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

expect_status() {
	if [ "$status" -ne "$1" ]; then
		fail "'$tool ${*:2}': exit $status, expected $1;" \
			"stderr: $err"
	fi
}

# expect_same LABEL EXPECTED: $out must be exactly EXPECTED.
expect_same() {
	if [ "$out" != "$2" ]; then
		fail "$1: output differs (expected, actual):"
		diff <(printf '%s\n' "$2") <(printf '%s\n' "$out")
	fi
}

expect_out() {
	case $out in
	*"$1"*) ;;
	*) fail "output lacks '$1':"; printf '%s\n' "$out" ;;
	esac
}

# expect_error STATUS TEXT ARGS...: exit STATUS, one stderr line naming TEXT.
expect_error() {
	local want=$1 text=$2
	shift 2
	run "$@"
	if [ "$status" -ne "$want" ]; then
		fail "'$*': exit $status, expected $want (stderr: $err)"
	fi
	case $err in
	*"$text"*) ;;
	*) fail "'$*': stderr lacks '$text': $err" ;;
	esac
	if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
		fail "'$*': error is not one line: $err"
	fi
	if [ -n "$out" ] && [ "$want" -eq 2 ]; then
		fail "'$*': usage error printed output: $out"
	fi
}

# json_check PYTHON-EXPRESSIONS: each line an assertion on `d`, the parsed $out.
json_check() {
	printf '%s' "$out" >"$tmp/json"
	if ! /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
seg = sys.argv[2]
failed = 0
for line in sys.argv[3].strip().splitlines():
    try:
        ok = eval(line)
    except Exception as e:
        ok = False
        print("error in", line, ":", repr(e))
    if not ok:
        print("JSON check failed:", line)
        failed = 1
sys.exit(failed)
' "$tmp/json" "$seg" "$1"; then
		fail "JSON checks"
		cat "$tmp/json"
		echo
	fi
}

create() {
	"$fixture" unlink "$seg"
	if ! "$fixture" create "$seg"; then
		echo "FAIL: could not create the fixture segment $seg"
		exit 1
	fi
}

case_list() {
	create
	run list
	expect_status 0 list
	local row
	row=$(printf '%s\n' "$out" | awk -v s="$seg" '$1 == s')
	# name, memory_size, version, entries/max, free bytes (next_offset
	# 2452 rounded up to 2456), status.
	if [ "$(echo "$row" | awk '{print $2, $3, $4, $5, $6}')" != \
		"1048576 2 11/32 1046120 ok" ]; then
		fail "list row for $seg: '$row'"
		printf '%s\n' "$out"
	fi
	if [ "$(printf '%s\n' "$out" | head -n 1 | awk '{print $1, $6}')" != \
		"NAME STATUS" ]; then
		fail "list header: $(printf '%s\n' "$out" | head -n 1)"
	fi
}

case_list_json() {
	create
	run list --json
	expect_status 0 list --json
	json_check '
d["shm_dir"] == "/dev/shm"
[s["name"] for s in d["segments"]].count(seg) == 1
[s for s in d["segments"] if s["name"] == seg][0] == {"name": seg, "size": 1048576, "version": 2, "entry_count": 11, "max_entries": 32, "free": 1046120, "status": "OK", "error": ""}
'
}

case_show() {
	create
	run show "$seg"
	expect_status 0 show
	expect_same "show $seg" "segment $seg
  magic        0x5a49504d
  version      2
  memory_size  1048576
  max_entries  32
  entry_count  11
  next_offset  2452
  free         1046120
entries:
    #  NAME                                  OFFSET         SIZE  KIND
    0  arr                                     1568           40  array (capacity 4, elem 8)
    1  q.wait                                  1608           24  wait companion of q (3 eventcounts)
    2  q                                       1632          112  queue (capacity 8, elem 8, size 3)
    3  stk.wait                                1744           16  wait companion of stk (2 eventcounts)
    4  stk                                     1760           48  stack (capacity 4, elem 4, count 2)
    5  rng.wait                                1808          128  wait companion of rng (16 eventcounts)
    6  rng                                     1936           56  ring (capacity 32 bytes, elem 4, used 8 bytes)
    7  m                                       1992          224  map (capacity 8, key 8, value 8, size 3)
    8  s                                       2216           96  set (capacity 4, key 4, size 2)
    9  pl                                      2312          128  pool (capacity 4, elem 16, in use 3)
   10  raw                                     2440           12  unknown"
	# The slash may be left out.
	run show "${seg#/}"
	expect_status 0 show
	expect_out "segment $seg"
}

case_show_json() {
	create
	run show "$seg" --json
	expect_status 0 show --json
	json_check '
d["segment"] == seg
d["header"] == {"magic": 0x5A49504D, "version": 2, "memory_size": 1048576, "max_entries": 32, "entry_count": 11, "next_offset": 2452, "free": 1046120}
[e["name"] for e in d["entries"]] == ["arr", "q.wait", "q", "stk.wait", "stk", "rng.wait", "rng", "m", "s", "pl", "raw"]
[e["kind"] for e in d["entries"]] == ["array", "wait", "queue", "wait", "stack", "wait", "ring", "map", "set", "pool", "unknown"]
[e["offset"] for e in d["entries"]] == [1568, 1608, 1632, 1744, 1760, 1808, 1936, 1992, 2216, 2312, 2440]
[e["size"] for e in d["entries"]] == [40, 24, 112, 16, 48, 128, 56, 224, 96, 128, 12]
[e["index"] for e in d["entries"]] == list(range(11))
all(e["valid"] for e in d["entries"])
d["entries"][2]["by_companion"] and not d["entries"][0]["by_companion"]
d["entries"][0]["fields"] == {"capacity": 4, "elem_size": 8}
d["entries"][2]["fields"] == {"head": 1, "tail": 4, "capacity": 8, "elem_size": 8, "size": 3}
d["entries"][4]["fields"] == {"top": 1, "capacity": 4, "elem_size": 4, "reserved": 0, "count": 2}
d["entries"][6]["fields"] == {"write_pos": 12, "read_pos": 4, "capacity": 32, "elem_size": 4, "used_bytes": 8, "capacity_elems": 8}
d["entries"][7]["fields"] == {"size": 3, "capacity": 8, "key_size": 8, "value_size": 8, "slot_size": 24}
d["entries"][8]["fields"] == {"size": 2, "capacity": 4, "key_size": 4, "slot_size": 16}
d["entries"][9]["fields"] == {"capacity": 4, "elem_size": 16, "in_use": 3, "head_index": 3, "head_tag": 3}
d["entries"][10]["candidates"] == [] and d["entries"][10]["fields"] == {}
d["entries"][2]["description"] == "queue (capacity 8, elem 8, size 3)"
'
}

case_show_entries() {
	create
	run show "$seg" q
	expect_status 0 show q
	expect_same "show q" "entry q in $seg
  offset          1632
  size            112
  kind            queue (capacity 8, elem 8, size 3)
  identified by   companion
header:
  head            1
  tail            4
  capacity        8
  elem_size       8
  size            3
validate: ok
data: 64 of 64 bytes (elements of 8) at offset 1648 (0x670)
00000670  a1 00 00 00 00 00 00 00  a2 00 00 00 00 00 00 00  |................|
00000680  a3 00 00 00 00 00 00 00  a4 00 00 00 00 00 00 00  |................|
00000690  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
000006b0"

	run show "$seg" arr --bytes 12
	expect_status 0 show arr
	expect_same "show arr --bytes 12" "entry arr in $seg
  offset          1568
  size            40
  kind            array (capacity 4, elem 8)
  identified by   header
header:
  capacity        4
  elem_size       8
validate: ok
data: 12 of 32 bytes (elements of 8) at offset 1576 (0x628)
00000628  7a 65 72 6f 69 70 63 30  7a 65 72 6f              |zeroipc0zero|
00000634"

	run show "$seg" stk
	expect_status 0 show stk
	expect_same "show stk" "entry stk in $seg
  offset          1760
  size            48
  kind            stack (capacity 4, elem 4, count 2)
  identified by   companion
header:
  top             1
  capacity        4
  elem_size       4
  reserved        0
  count           2
validate: ok
data: 16 of 16 bytes (elements of 4) at offset 1776 (0x6f0)
000006f0  44 33 22 11 88 77 66 55  00 00 00 00 00 00 00 00  |D3\"..wfU........|
00000700"

	run show "$seg" rng
	expect_status 0 show rng
	expect_same "show rng" "entry rng in $seg
  offset          1936
  size            56
  kind            ring (capacity 32 bytes, elem 4, used 8 bytes)
  identified by   companion
header:
  write_pos       12
  read_pos        4
  capacity        32
  elem_size       4
  used_bytes      8
  capacity_elems  8
validate: ok
data: 32 of 32 bytes (elements of 4) at offset 1960 (0x7a8)
000007a8  01 00 fe ca 02 00 fe ca  03 00 fe ca 00 00 00 00  |................|
000007b8  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
000007c8"

	run show "$seg" pl
	expect_status 0 show pl
	expect_same "show pl" "entry pl in $seg
  offset          2312
  size            128
  kind            pool (capacity 4, elem 16, in use 3)
  identified by   header
header:
  capacity        4
  elem_size       16
  in_use          3
  head_index      3
  head_tag        3
validate: ok
data: 64 of 64 bytes (elements of 16) at offset 2376 (0x948)
00000948  70 6f 6f 6c 2d 6f 62 6a  65 63 74 2d 30 2e 2e 2e  |pool-object-0...|
00000958  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
00000988"

	# Map and set: the header and verdict (slot order is the hash's).
	run show "$seg" m
	expect_status 0 show m
	expect_out "  kind            map (capacity 8, key 8, value 8, size 3)
  identified by   header
header:
  size            3
  capacity        8
  key_size        8
  value_size      8
  slot_size       24
validate: ok
data: 192 of 192 bytes (elements of 24) at offset 2024 (0x7e8)"
	run show "$seg" s --all
	expect_status 0 show s
	expect_out "  kind            set (capacity 4, key 4, size 2)"
	expect_out "  key_size        4
  slot_size       16
validate: ok
data: 64 of 64 bytes (elements of 16) at offset 2248 (0x8c8)"

	run show "$seg" q.wait
	expect_status 0 show q.wait
	expect_out "  kind            wait companion of q (3 eventcounts)
  identified by   name
header:
  ec0_waiters     0"

	run show "$seg" raw
	expect_status 0 show raw
	expect_same "show raw" "entry raw in $seg
  offset          2440
  size            12
  kind            unknown
  identified by   none
data: 12 of 12 bytes (raw entry) at offset 2440 (0x988)
00000988  00 00 00 00 00 00 00 00  00 00 00 00              |............|
00000994"

	# Forcing a reading: the fixture's array bytes are no queue.
	run show "$seg" arr --as queue
	expect_status 1 show arr --as queue
	expect_out "  identified by   --as"
	expect_out "validate: ECORRUPT: "
}

case_show_entry_json() {
	create
	run show "$seg" q --json
	expect_status 0 show q --json
	json_check '
d["segment"] == seg
d["entry"] == {"name": "q", "offset": 1632, "size": 112}
d["kind"] == "queue" and d["identified_by"] == "companion" and d["candidates"] == ["queue"]
d["fields"] == {"head": 1, "tail": 4, "capacity": 8, "elem_size": 8, "size": 3}
d["problem"] is None
d["validate"] == {"ok": True, "status": "OK", "message": ""}
d["data"]["offset"] == 1648 and d["data"]["length"] == 64 and d["data"]["elem_size"] == 8 and d["data"]["shown"] == 64
d["data"]["hex"] == "a1" + "00" * 7 + "a2" + "00" * 7 + "a3" + "00" * 7 + "a4" + "00" * 7 + "00" * 32
'
	run show "$seg" pl --json --bytes 16
	expect_status 0 show pl --json
	json_check '
bytes.fromhex(d["data"]["hex"]) == b"pool-object-0..."
d["fields"]["in_use"] == 3
'
}

case_dump() {
	create
	run dump "$seg" --size 48
	expect_status 0 dump
	expect_same "dump --size 48" "00000000  4d 50 49 5a 02 00 00 00  0b 00 00 00 20 00 00 00  |MPIZ........ ...|
00000010  00 00 10 00 00 00 00 00  94 09 00 00 00 00 00 00  |................|
00000020  61 72 72 00 00 00 00 00  00 00 00 00 00 00 00 00  |arr.............|
00000030"
	run dump "$seg" --entry q --offset 16 --size 20
	expect_status 0 dump --entry q
	expect_same "dump --entry q" "00000670  a1 00 00 00 00 00 00 00  a2 00 00 00 00 00 00 00  |................|
00000680  a3 00 00 00                                       |....|
00000684"
	run dump "$seg" --entry=raw
	expect_status 0 dump --entry=raw
	expect_same "dump --entry=raw" "00000988  00 00 00 00 00 00 00 00  00 00 00 00              |............|
00000994"
	run dump "$seg" --offset 0x6f0 --size 0x8
	expect_status 0 dump hex
	expect_same "dump hex numbers" "000006f0  44 33 22 11 88 77 66 55                           |D3\"..wfU|
000006f8"
	expect_error 2 "runs past the end of the segment (1048576 bytes)" \
		dump "$seg" --offset 1048570 --size 7
	expect_error 2 "past the end of the segment" \
		dump "$seg" --offset 1048576
	expect_error 2 "runs past the end of the segment" \
		dump "$seg" --offset 8 --size 0xffffffffffffffff
	expect_error 2 "runs past the end of the entry (12 bytes)" \
		dump "$seg" --entry raw --size 13
	expect_error 2 "offset 12 is past the end of the entry" \
		dump "$seg" --entry raw --offset 12
	expect_error 1 "no entry named 'nosuch'" dump "$seg" --entry nosuch
}

case_monitor() {
	create
	run monitor "$seg" q --count 2 --interval 10
	expect_status 0 monitor q
	if ! printf '%s\n' "$out" | awk '
		NR <= 2 && /^t=[0-9]+\.[0-9][0-9][0-9] head=1 tail=4 size=3 pushes=\+0 pushes\/s=0\.0 pops=\+0 pops\/s=0\.0$/ { ok++ }
		END { exit !(ok == 2 && NR == 2) }'; then
		fail "monitor q --count 2:"
		printf '%s\n' "$out"
	fi
	run monitor "$seg" stk --count 1
	expect_status 0 monitor stk
	if ! [[ $out =~ ^t=0\.[0-9]{3}\ top=1\ count=2\ count_change=\+0\ count_change/s=0\.0$ ]]; then
		fail "monitor stk: $out"
	fi
	run monitor "$seg" rng --count 1
	expect_status 0 monitor rng
	expect_out " write_pos=12 read_pos=4 used_bytes=8 written_bytes=+0 "
	run monitor "$seg" m --count 1
	expect_out " size=3 size_change=+0 "
	run monitor "$seg" s --count 1
	expect_out " size=2 size_change=+0 "
	run monitor "$seg" pl --count 1
	expect_out " in_use=3 in_use_change=+0 "
	run monitor "$seg" arr --count 3 --interval 1
	expect_status 0 monitor arr
	if [ "$(printf '%s\n' "$out" | awk '{print $2, $3}' | sort -u | wc -l)" \
		-ne 1 ] || [ "$(printf '%s\n' "$out" | grep -c 'changed=no$')" \
		-ne 3 ]; then
		fail "monitor arr: the checksum of an unchanged array moved:"
		printf '%s\n' "$out"
	fi
	expect_error 1 "no entry named 'nope'" monitor "$seg" nope --count 1
}

case_usage() {
	run --help
	expect_status 0 --help
	expect_out "usage: zeroipc-inspect COMMAND"
	run show --help
	expect_status 0 show --help
	expect_out "usage: zeroipc-inspect COMMAND"
	run --version
	expect_status 0 --version
	if [ "$out" != "zeroipc-inspect (libzeroipc $version, format 2)" ]; then
		fail "--version: '$out'"
	fi

	run
	expect_status 2 "(no arguments)"
	expect_error 2 "unknown command 'frob'" frob
	expect_error 2 "show: missing SEGMENT" show
	expect_error 2 "monitor: missing ENTRY" monitor /x
	expect_error 2 "monitor: missing SEGMENT" monitor
	expect_error 2 "show: unexpected argument 'c'" show /a b c
	expect_error 2 "list: unknown option '--frob'" list --frob
	expect_error 2 "show: unknown option '-x'" show /a -x
	expect_error 2 "list: unexpected argument 'extra'" list extra
	expect_error 2 "--count: 'abc' is not a number" monitor /a b --count abc
	expect_error 2 "--count: '-5' is not a number" monitor /a b --count -5
	expect_error 2 "--count: must be at least 1" monitor /a b --count 0
	expect_error 2 "--interval: '1.5' is not a number" \
		monitor /a b --interval 1.5
	expect_error 2 "--interval: 0 ms is not in 1..3600000" \
		monitor /a b --interval 0
	expect_error 2 "--bytes: '12x' is not a number" show /a b --bytes 12x
	expect_error 2 "--offset: '0x' is not a number" dump /a --offset 0x
	expect_error 2 "--offset: '010z' is not a number" dump /a --offset 010z
	expect_error 2 "--size: '99999999999999999999' is not a number" \
		dump /a --size 99999999999999999999
	expect_error 2 "--size: must be at least 1" dump /a --size 0
	expect_error 2 "--size needs a value" dump /a --size
	expect_error 2 "--json takes no value" list --json=1
	expect_error 2 "--as: unknown kind 'tree'" show /a b --as tree
	expect_error 2 "--all and --bytes exclude each other" \
		show /a b --all --bytes 4
	expect_error 2 "need an ENTRY" show /a --all
	expect_error 2 "dump: unknown option '--json'" dump /a --json
}

case_errors() {
	expect_error 1 "/zt-inspect-$$-missing: not found" \
		show "/zt-inspect-$$-missing"
	expect_error 1 "not found" monitor "/zt-inspect-$$-missing" q
	expect_error 1 "not found" dump "/zt-inspect-$$-missing"
	expect_error 2 "invalid or too long name" \
		show "/$(printf 'n%.0s' $(seq 300))"
	create
	expect_error 1 "no entry named 'nosuch'" show "$seg" nosuch
	expect_error 2 "invalid or too long name" \
		show "$seg" "$(printf 'e%.0s' $(seq 40))"
	# A file that is not a zeroipc segment.
	printf 'not a segment, just bytes: 0123456789' >"/dev/shm${seg}-plain"
	expect_error 1 "not a zeroipc segment" show "${seg}-plain"
	rm -f "/dev/shm${seg}-plain"
}

case "$case" in
list | list_json | show | show_json | show_entries | show_entry_json | \
	dump | monitor | usage | errors)
	"case_$case"
	;;
*)
	echo "inspect_cli.sh: unknown case '$case'" >&2
	exit 2
	;;
esac

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $case: $failures check(s) failed"
	exit 1
fi
echo "PASS: $case"
