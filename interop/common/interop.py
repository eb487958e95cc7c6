# SPDX-License-Identifier: MIT
"""The Python half of the protocol every interop scenario speaks.

A scenario program runs as ``py_side.py write NAME FIFO`` or
``py_side.py read NAME FIFO``.  The writer creates segment NAME, writes one
line to FIFO to say it exists, then goes on producing.  The reader blocks on
FIFO until that line arrives, opens NAME and checks every value, following
what is published while the writer still runs.  Exit status 0 only if
everything matched.  interop/common/interop.h is the C half; keep the two
in step.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable

DEADLINE_S = 30.0
MAX_REPORTED = 10

_prog = os.path.basename(sys.argv[0])
_mismatches = 0


def die(message: str) -> None:
    print("%s: FAIL: %s" % (_prog, message), file=sys.stderr)
    sys.exit(1)


def expect(ok: Any, message: str) -> bool:
    """Record a mismatch unless `ok` (the run fails at the end)."""
    global _mismatches
    if ok:
        return True
    _mismatches += 1
    if _mismatches <= MAX_REPORTED:
        print("%s: mismatch: %s" % (_prog, message), file=sys.stderr)
    return False


def expect_error(exc_type: type, call: Callable[[], Any], what: str) -> None:
    try:
        call()
    except exc_type:
        return
    except Exception as e:  # noqa: BLE001 - report whatever it was
        expect(False, "%s raised %r, expected %s" % (what, e,
                                                     exc_type.__name__))
        return
    expect(False, "%s succeeded, expected %s" % (what, exc_type.__name__))


def signal_ready(fifo: str) -> None:
    with open(fifo, "w") as f:
        f.write("ready\n")


def wait_ready(fifo: str) -> None:
    with open(fifo) as f:
        line = f.readline()
    if line != "ready\n":
        die("unexpected signal on %s: %r" % (fifo, line))


def wait_published(published: Any, seen: int) -> int:
    """Wait until element 0 of the uint64 Array `published` exceeds `seen`.

    The atomic load pairs with the writer's atomic store made after the data
    it covers.  Polls (yielding) under a deadline: test code waiting on a
    plain array, not a library wait.
    """
    end = time.monotonic() + DEADLINE_S
    while True:
        now = int(published.load(0))
        if now > seen:
            return now
        if time.monotonic() > end:
            die("waited %.0f s for the writer to publish more than %d"
                % (DEADLINE_S, seen))
        os.sched_yield()


def main(writer: Callable[[str, str], None],
         reader: Callable[[str], None]) -> None:
    """Dispatch ``write NAME FIFO`` / ``read NAME FIFO`` and exit."""
    args = sys.argv[1:]
    if len(args) != 3 or args[0] not in ("write", "read"):
        print("usage: %s write|read NAME FIFO" % _prog, file=sys.stderr)
        sys.exit(2)
    role, name, fifo = args
    if role == "write":
        writer(name, fifo)  # calls signal_ready(fifo) once NAME exists
        sys.exit(0)
    wait_ready(fifo)
    reader(name)
    if _mismatches:
        die("%d mismatched value(s)" % _mismatches)
    sys.exit(0)
