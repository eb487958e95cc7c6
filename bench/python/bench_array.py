# SPDX-License-Identifier: MIT
"""Python Array benchmark: element access and bulk copy into shared memory.

Cases (names start with the family, as bench/run expects):

  py_array_get        arr[i] through the Array API, one element per call
  py_array_set        arr[i] = v through the Array API
  py_array_fetch_add  arr.fetch_add(i, 1): one library call per element
  py_array_copy_64mib np.copyto of 64 MiB of float32 into the Array's
                      zero-copy NumPy view, and into private memory in the
                      same round; the ratio shm / private is the figure of
                      merit (goal: at least 0.9x)

The element cases also time the same loop over a private NumPy array and
report the ratio, so the cost of the Array wrapper shows apart from NumPy's
own per-element cost.

    bench_array.py                       every case, 5 rounds, a table
    bench_array.py --rounds 7 --quick
    bench_array.py --csv [FILE]          rows case,metric,unit,median,min,max
    bench_array.py --list                protocol of bench/run: case names
    bench_array.py --case NAME [--quick] protocol of bench/run: one round

Needs the zeroipc package and the library: PYTHONPATH=python and
ZEROIPC_LIBRARY=BUILD/libzeroipc.so.1 (bench/run sets both).
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import time
from typing import Callable, Iterator

import numpy as np

from zeroipc import Array, Memory

COPY_BYTES = 64 << 20
ELEMENTS = 1 << 16  # element cases: a 256-512 KiB array, cache-resident


def _pin() -> None:
    # One core, as the C benchmarks pin their producer: steadier numbers.
    try:
        os.sched_setaffinity(0, {0})
    except (AttributeError, OSError):
        pass


class Segment:
    """A private segment for one round, unlinked as soon as it exists."""

    def __init__(self, size: int) -> None:
        self.name = "/zi_bench_py_%d" % os.getpid()
        Memory.unlink(self.name, missing_ok=True)
        self.mem = Memory(self.name, size, exclusive=True)
        # The mapping stays valid; nothing is left behind if we are killed.
        Memory.unlink(self.name)

    def close(self) -> None:
        self.mem.close()


def _rate(loop: Callable[[], None], ops: int) -> float:
    t0 = time.perf_counter()
    loop()
    return ops / (time.perf_counter() - t0)


def _element_case(kind: str, quick: bool) -> Iterator[tuple]:
    reps = 4 if quick else 16
    ops = reps * ELEMENTS
    seg = Segment(ELEMENTS * 8 + (1 << 20))
    try:
        dtype = np.int64 if kind == "fetch_add" else np.float64
        arr = Array(seg.mem, "elems", ELEMENTS, dtype=dtype)
        plain = np.zeros(ELEMENTS, dtype=dtype)
        idx = range(ELEMENTS)

        if kind == "get":
            def ours() -> None:
                for _ in range(reps):
                    for i in idx:
                        arr[i]

            def numpy_only() -> None:
                for _ in range(reps):
                    for i in idx:
                        plain[i]
        elif kind == "set":
            value = 1.5

            def ours() -> None:
                for _ in range(reps):
                    for i in idx:
                        arr[i] = value

            def numpy_only() -> None:
                for _ in range(reps):
                    for i in idx:
                        plain[i] = value
        else:
            fetch_add = arr.fetch_add

            def ours() -> None:
                for _ in range(reps):
                    for i in idx:
                        fetch_add(i, 1)

            def numpy_only() -> None:
                for _ in range(reps):
                    for i in idx:
                        plain[i] += 1

        ours()  # warm up (and fault the pages in)
        numpy_only()
        rate = _rate(ours, ops)
        base = _rate(numpy_only, ops)
        if kind == "fetch_add" and arr.load(0) != 2 * reps:
            raise SystemExit("fetch_add lost increments: %d" % arr.load(0))
        name = "py_array_" + kind
        yield (name, "ops", "Mops/s", rate / 1e6, "ref=none n=%d" % ops)
        yield (name, "ops_numpy_private", "Mops/s", base / 1e6, "ref=none")
        yield (name, "ratio_to_numpy", "x", rate / base, "ref=none")
    finally:
        seg.close()


def _copy_case(quick: bool) -> Iterator[tuple]:
    count = COPY_BYTES // 4
    inner = 3 if quick else 5
    seg = Segment(COPY_BYTES + (1 << 20))
    try:
        shm = Array(seg.mem, "bulk", count, dtype=np.float32).data
        src = np.random.default_rng(1).random(count, dtype=np.float32)
        private = np.empty_like(src)
        np.copyto(shm, src)  # fault every page in before timing
        np.copyto(private, src)
        ratios, shm_bw, private_bw = [], [], []
        for _ in range(inner):
            # Back to back in the same round, so drift hits both alike.
            t0 = time.perf_counter()
            np.copyto(private, src)
            t1 = time.perf_counter()
            np.copyto(shm, src)
            t2 = time.perf_counter()
            private_bw.append(COPY_BYTES / (t1 - t0) / 1e9)
            shm_bw.append(COPY_BYTES / (t2 - t1) / 1e9)
            ratios.append((t1 - t0) / (t2 - t1))
        if not np.array_equal(shm, src):
            raise SystemExit("the copy into shared memory is wrong")
        name = "py_array_copy_64mib"
        yield (name, "bw_shm", "GB/s", statistics.median(shm_bw),
               "ref=none size=%d" % COPY_BYTES)
        yield (name, "bw_private", "GB/s", statistics.median(private_bw),
               "ref=none size=%d" % COPY_BYTES)
        yield (name, "ratio_to_private", "x", statistics.median(ratios),
               "ref=none goal=0.9")
    finally:
        seg.close()


CASES: dict[str, Callable[[bool], Iterator[tuple]]] = {
    "py_array_get": lambda q: _element_case("get", q),
    "py_array_set": lambda q: _element_case("set", q),
    "py_array_fetch_add": lambda q: _element_case("fetch_add", q),
    "py_array_copy_64mib": _copy_case,
}


def _fmt(value: float) -> str:
    return "%.4g" % value


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", action="store_true",
                    help="print the case names (bench/run protocol)")
    ap.add_argument("--case", help="run one round of one case and print "
                                   "RESULT lines (bench/run protocol)")
    ap.add_argument("--quick", action="store_true",
                    help="smaller rounds, for a sanity check")
    ap.add_argument("--rounds", type=int, default=None,
                    help="rounds per case (default 5, --quick 2)")
    ap.add_argument("--only", default="",
                    help="comma-separated substrings of case names")
    ap.add_argument("--csv", nargs="?", const="-", metavar="FILE",
                    help="write case,metric,unit,median,min,max rows to "
                         "FILE (default stdout) instead of a table")
    args = ap.parse_args(argv)

    if args.list:
        print("\n".join(CASES))
        return 0
    _pin()
    if args.case:
        if args.case not in CASES:
            print("unknown case %r" % args.case, file=sys.stderr)
            return 2
        for case, metric, unit, value, extra in CASES[args.case](args.quick):
            print("RESULT case=%s metric=%s unit=%s value=%s %s"
                  % (case, metric, unit, _fmt(value), extra), flush=True)
        return 0

    rounds = args.rounds or (2 if args.quick else 5)
    wanted = [c for c in CASES if not args.only
              or any(s and s in c for s in args.only.split(","))]
    samples: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(rounds):  # interleaved: round 1 of every case, then 2...
        for name in wanted:
            for case, metric, unit, value, _extra in CASES[name](args.quick):
                samples.setdefault((case, metric, unit), []).append(value)
    rows = [(case, metric, unit, statistics.median(v), min(v), max(v))
            for (case, metric, unit), v in samples.items()]
    if args.csv:
        out = sys.stdout if args.csv == "-" else open(args.csv, "w",
                                                      newline="")
        try:
            w = csv.writer(out, lineterminator="\n")
            w.writerow(["case", "metric", "unit", "median", "min", "max"])
            for case, metric, unit, med, lo, hi in rows:
                w.writerow([case, metric, unit, _fmt(med), _fmt(lo),
                            _fmt(hi)])
        finally:
            if out is not sys.stdout:
                out.close()
        return 0
    print("%-22s %-18s %-7s %10s %21s" % ("case", "metric", "unit",
                                          "median", "min - max"))
    for case, metric, unit, med, lo, hi in rows:
        print("%-22s %-18s %-7s %10s %10s - %-10s"
              % (case, metric, unit, _fmt(med), _fmt(lo), _fmt(hi)))
    print("(%d rounds, medians; ratio_to_private goal >= 0.9x)" % rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
