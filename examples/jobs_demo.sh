#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# jobs_demo.sh BUILD_DIR [SEGMENT] - run the job-queue example: the C
# producer and the Python consumer start together as separate processes;
# fails unless both succeed and the consumer got all 1000 jobs in order.
# `./dev demo` and the CTest test example_jobs run it.
set -euo pipefail
build=$1
segment=${2:-/jobs}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
producer=$build/examples/jobs_producer
python=${ZEROIPC_PYTHON:-/usr/bin/python3}

# A segment left by an interrupted run would hold stale jobs.
"$producer" --unlink "$segment"
trap '"$producer" --unlink "$segment"' EXIT

"$producer" "$segment" &
producer_pid=$!
consumer_out=$(PYTHONPATH=${PYTHONPATH:-$here/../python} \
	ZEROIPC_LIBRARY=${ZEROIPC_LIBRARY:-$build/libzeroipc.so.1} \
	"$python" "$here/jobs_consumer.py" "$segment")
wait "$producer_pid"
echo "$consumer_out"
expected="consumer: 1000 jobs in order, sum of x = 249750.0"
if [ "$consumer_out" != "$expected" ]; then
	echo "jobs_demo: expected: $expected" >&2
	exit 1
fi
