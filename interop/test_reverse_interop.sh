#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_reverse_interop.sh [BUILD_DIR] [SCENARIO...] - Python writes, C reads.
#
# Runs every scenario under interop/ (or the ones named): the Python side
# creates and fills a segment while the C side, a separate process started
# at the same time, reads and checks every value.  Exits non-zero if any
# scenario fails.  BUILD_DIR (or $ZEROIPC_BUILD_DIR, else build/plain or
# build) holds libzeroipc.so.1 and interop/interop_<scenario>.
# test_interop.sh runs the other direction.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
interop_main py c "$@"
