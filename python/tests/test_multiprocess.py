# SPDX-License-Identifier: MIT
"""Several processes on one segment: each loads the library on its own."""
from __future__ import annotations

import multiprocessing as mp
import subprocess
import sys
import textwrap
from typing import Any, Callable

import numpy as np
import pytest

import mp_workers
from conftest import child_env
from helpers import run_processes
from zeroipc import Array, Memory

pytestmark = pytest.mark.timeout(120)

# "spawn": every child is a fresh interpreter that imports zeroipc and
# dlopens the library itself, as an unrelated program would.
ctx = mp.get_context("spawn")


def _run_all(procs: list[Any]) -> None:
    run_processes(procs, mp_workers.DEADLINE_S * 2)


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          env=child_env(), capture_output=True, text=True,
                          timeout=60)


def test_segment_made_by_another_process(shm_name: str) -> None:
    done = _python("""
        import numpy as np
        from zeroipc import Memory, Array
        with Memory(%r, 1 << 20) as mem:
            a = Array(mem, "squares", 1000, dtype=np.int64)
            a[:] = np.arange(1000) ** 2
    """ % shm_name)
    assert done.returncode == 0, done.stderr
    with Memory(shm_name) as mem:
        assert [e.name for e in mem] == ["squares"]
        got = Array(mem, "squares", dtype=np.int64)
        assert np.array_equal(got.data, np.arange(1000) ** 2)


def test_another_process_reads_what_we_wrote(shm_name: str) -> None:
    with Memory(shm_name, 1 << 20) as mem:
        Array(mem, "f", 500, dtype=np.float32)[:] = np.linspace(-1, 1, 500)
        done = _python("""
            import sys
            import numpy as np
            from zeroipc import Memory, Array
            with Memory(%r, readonly=True) as mem:
                got = Array(mem, "f", dtype=np.float32).data
                want = np.linspace(-1, 1, 500).astype(np.float32)
                bad = np.flatnonzero(got != want)
                if len(got) != 500 or len(bad):
                    sys.exit("mismatch at %%s" %% bad[:10])
        """ % shm_name)
        assert done.returncode == 0, done.stderr + done.stdout


def test_concurrent_fetch_add_loses_nothing(shm_name: str) -> None:
    workers, iters = 4, 5000
    with Memory(shm_name, 1 << 20) as mem:
        counter = Array(mem, "counter", 1, dtype=np.uint64)
        seen = Array(mem, "seen", workers * iters, dtype=np.uint64)
        barrier = ctx.Barrier(workers)
        _run_all([ctx.Process(target=mp_workers.add_many,
                              args=(shm_name, barrier, w, iters))
                  for w in range(workers)])
        assert counter.load(0) == workers * iters
        # Every increment returned a distinct previous value.
        assert np.array_equal(np.sort(seen.data),
                              np.arange(workers * iters, dtype=np.uint64))


def test_concurrent_table_adds(shm_name: str) -> None:
    workers, count = 4, 8
    with Memory(shm_name, 1 << 20) as mem:
        barrier = ctx.Barrier(workers)
        _run_all([ctx.Process(target=mp_workers.add_entries,
                              args=(shm_name, barrier, w, count))
                  for w in range(workers)])
        entries = list(mem)
        assert sorted(e.name for e in entries) == sorted(
            "w%d_%d" % (w, i) for w in range(workers) for i in range(count))
        spans = sorted((e.offset, e.offset + e.size) for e in entries)
        assert all(end <= nxt for (_, end), (nxt, _) in zip(spans, spans[1:]))
        for e in entries:
            worker, i = (int(x) for x in e.name[1:].split("_"))
            assert e.size == 8 * (i + 1) + worker
            region = mem.region(e.name)
            assert (region == worker + 1).all(), e
        mem.validate()


def test_racing_open_or_create_creates_once(
        shm_names: Callable[[], str]) -> None:
    name = shm_names()
    workers = 4
    barrier = ctx.Barrier(workers)
    results = ctx.Queue()
    _run_all([ctx.Process(target=mp_workers.race_create,
                          args=(name, barrier, w, 1 << 20, results))
              for w in range(workers)])
    got = sorted(results.get(timeout=10) for _ in range(workers))
    results.close()
    results.join_thread()
    assert sum(created for _, created, _ in got) == 1
    assert {size for _, _, size in got} == {1 << 20}
    with Memory(name) as mem:
        assert sorted(e.name for e in mem) == sorted(
            "joined_%d" % w for w in range(workers))


def test_live_producer_and_consumer(shm_name: str) -> None:
    count = 20000
    with Memory(shm_name, 1 << 20) as mem:
        values = Array(mem, "values", count, dtype=np.float64)
        published = Array(mem, "published", 1, dtype=np.uint64)
        producer = ctx.Process(target=mp_workers.produce,
                               args=(shm_name, count))

        def check_values() -> None:
            seen = 0
            while seen < count:
                mp_workers.wait_for(lambda: published.load(0) > seen,
                                    "value %d" % seen)
                upto = int(published.load(0))
                for i in range(seen, upto):
                    assert values[i] == i * 0.25 - 7.0, i
                seen = upto

        run_processes([producer], mp_workers.DEADLINE_S, check_values)
