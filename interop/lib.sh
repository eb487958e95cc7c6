# SPDX-License-Identifier: MIT
# interop/lib.sh - the runner behind test_interop.sh and
# test_reverse_interop.sh (sourced, not run).
#
# A scenario is a folder interop/<name>/ with c_side.c (built into
# BUILD/interop/interop_<name>, listed in interop/CMakeLists.txt) and
# py_side.py.  Both sides speak the protocol of interop/common/interop.{h,py}:
# `SIDE write NAME FIFO` creates segment NAME, signals on FIFO, produces;
# `SIDE read NAME FIFO` waits for the signal and checks every value.  For
# each scenario the runner starts the writer and the reader at the same time
# as separate processes on a fresh segment name, and the scenario passes
# only if both exit 0.

interop_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$interop_dir")

# Longest a side may run before it is killed (the CTest timeout is longer).
side_timeout=${INTEROP_SIDE_TIMEOUT:-60}

interop_die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# Every folder that holds a scenario, in name order.
interop_all_scenarios() {
	local d
	for d in "$interop_dir"/*/; do
		d=${d%/}
		if [ -f "$d/py_side.py" ] || [ -f "$d/c_side.c" ]; then
			echo "${d##*/}"
		fi
	done
}

# side_command LANG SCENARIO: the command line of one side, in `cmd`.
side_command() {
	case $1 in
	c) cmd=("$build/interop/interop_$2") ;;
	py) cmd=("$python" "$interop_dir/$2/py_side.py") ;;
	esac
}

# run_scenario WRITER_LANG READER_LANG SCENARIO: 0 if both sides passed.
run_scenario() {
	local wlang=$1 rlang=$2 s=$3 name tmp fifo hold wpid rpid
	local wstat=0 rstat=0 cmd writer reader

	if [ ! -f "$interop_dir/$s/py_side.py" ] ||
		[ ! -f "$interop_dir/$s/c_side.c" ]; then
		echo "FAIL  $s: interop/$s needs both c_side.c and py_side.py"
		return 1
	fi
	if [ ! -x "$build/interop/interop_$s" ]; then
		echo "FAIL  $s: $build/interop/interop_$s is not built (is $s" \
			"listed in interop/CMakeLists.txt?)"
		return 1
	fi
	side_command "$wlang" "$s"
	writer=("${cmd[@]}")
	side_command "$rlang" "$s"
	reader=("${cmd[@]}")

	name=/zi_interop_${s}_${wlang}2${rlang}_$$
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/zeroipc-interop.XXXXXX")
	fifo=$tmp/ready
	mkfifo "$fifo"
	# Hold both ends of the FIFO: then neither side's open() waits for
	# the other, and a side that dies early cannot hang its peer there.
	exec {hold}<>"$fifo"

	timeout "$side_timeout" "${writer[@]}" write "$name" "$fifo" \
		>"$tmp/writer.out" 2>&1 &
	wpid=$!
	timeout "$side_timeout" "${reader[@]}" read "$name" "$fifo" \
		>"$tmp/reader.out" 2>&1 &
	rpid=$!

	wait "$wpid" || wstat=$?
	if [ "$wstat" -ne 0 ]; then
		# The reader may be waiting for a signal that never comes.
		kill "$rpid" 2>/dev/null || true
	fi
	wait "$rpid" || rstat=$?
	exec {hold}>&-
	rm -f "/dev/shm/${name#/}"

	if [ "$wstat" -eq 0 ] && [ "$rstat" -eq 0 ]; then
		echo "ok    $s"
		rm -rf "$tmp"
		return 0
	fi
	echo "FAIL  $s: writer ($wlang) exit $wstat, reader ($rlang) exit $rstat"
	sed 's/^/      writer: /' "$tmp/writer.out"
	sed 's/^/      reader: /' "$tmp/reader.out"
	rm -rf "$tmp"
	return 1
}

# interop_main WRITER_LANG READER_LANG [BUILD_DIR] [SCENARIO...]
interop_main() {
	local wlang=$1 rlang=$2 s failed=0 total=0 scenarios
	shift 2

	build=${ZEROIPC_BUILD_DIR:-}
	if [ $# -gt 0 ] && [ -d "$1" ]; then
		build=$1
		shift
	fi
	if [ -z "$build" ]; then
		for s in "$repo_dir/build/plain" "$repo_dir/build"; do
			if [ -f "$s/CMakeCache.txt" ]; then
				build=$s
				break
			fi
		done
	fi
	[ -n "$build" ] || interop_die "no build directory: pass it as the" \
		"first argument or set ZEROIPC_BUILD_DIR"
	build=$(cd "$build" && pwd)

	export ZEROIPC_LIBRARY=${ZEROIPC_LIBRARY:-$build/libzeroipc.so.1}
	[ -f "$ZEROIPC_LIBRARY" ] || interop_die "no library at" \
		"$ZEROIPC_LIBRARY: build first (cmake --build $build)"
	export PYTHONPATH=$repo_dir/python${PYTHONPATH:+:$PYTHONPATH}
	export PYTHONDONTWRITEBYTECODE=1
	python=${ZEROIPC_PYTHON:-/usr/bin/python3}
	[ -x "$python" ] || python=python3

	if [ $# -gt 0 ]; then
		scenarios=("$@")
	else
		mapfile -t scenarios < <(interop_all_scenarios)
	fi
	[ ${#scenarios[@]} -gt 0 ] || interop_die "no scenario found"

	echo "interop: $wlang writes, $rlang reads (build $build)"
	for s in "${scenarios[@]}"; do
		total=$((total + 1))
		run_scenario "$wlang" "$rlang" "$s" || failed=$((failed + 1))
	done
	if [ "$failed" -ne 0 ]; then
		echo "interop: $failed of $total scenario(s) FAILED"
		return 1
	fi
	echo "interop: all $total scenario(s) passed"
}
