# SPDX-License-Identifier: MIT
"""The fast paths of Queue, Ring and Stack: single values packed by struct
convert exactly as NumPy does (or fail as NumPy does), pop buffers are per
thread, batches go in from where they are and out into a caller's array
(`out=`), and a loopback Ring's two sides do not share scratch space."""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable

import numpy as np
import pytest

from zeroipc import Memory, Queue, Ring, Stack

pytestmark = pytest.mark.timeout(120)

# Values that take struct's path, and some that struct refuses (NumPy
# converts or rejects those): the structures must agree with NumPy on all.
NUMERIC = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
           np.int64, np.uint64, np.float16, np.float32, np.float64, np.bool_]
VALUES: list[Any] = [0, 1, -1, 7, 127, 128, 255, 256, -129, 65535, 1 << 31,
                     (1 << 63) - 1, 1 << 63, -(1 << 63), 1 << 64, 1.5, -2.75,
                     3.0, 1e40, float("nan"), float("inf"), True, False,
                     np.int64(42), np.float64(2.5), np.int8(-3), "7", None,
                     [1], b"\x01"]


def numpy_result(dt: np.dtype, value: Any) -> tuple[str, Any]:
    """("ok", stored value) or ("error", exception class) for NumPy's
    conversion of `value` to `dt`."""
    buf = np.zeros(1, dtype=dt)
    try:
        with np.errstate(all="ignore"):
            buf[0] = value
    except Exception as e:  # noqa: BLE001 - the class is the result
        return "error", type(e)
    return "ok", buf.tobytes()


def structure_result(push: Callable[[Any], bool], pop: Callable[[], Any],
                     dt: np.dtype, value: Any) -> tuple[str, Any]:
    try:
        with np.errstate(all="ignore"):
            assert push(value) is True
    except Exception as e:  # noqa: BLE001 - the class is the result
        return "error", type(e)
    got = pop()
    assert isinstance(got, dt.type)
    return "ok", np.array([got], dtype=dt).tobytes()


def make(kind: str, mem: Memory, dt: Any) -> tuple[Callable, Callable]:
    name = "%s_%s" % (kind, np.dtype(dt).name)
    if kind == "queue":
        s: Any = Queue(mem, name, 4, dtype=dt)
    elif kind == "ring":
        s = Ring(mem, name, 4, dtype=dt)
    else:
        s = Stack(mem, name, 4, dtype=dt)
    return s.push, s.pop


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("kind", ["queue", "ring", "stack"])
@pytest.mark.parametrize("dtype", NUMERIC, ids=lambda d: np.dtype(d).name)
def test_push_converts_as_numpy(mem: Memory, kind: str, dtype: Any) -> None:
    dt = np.dtype(dtype)
    push, pop = make(kind, mem, dt)
    for value in VALUES:
        want = numpy_result(dt, value)
        got = structure_result(push, pop, dt, value)
        if want[0] == "error":
            # The same failure, not necessarily the same message.
            assert got[0] == "error", (value, got)
            assert issubclass(got[1], want[1]) or issubclass(
                want[1], got[1]), (value, got, want)
        else:
            assert got == want, (value, got, want)
    assert pop() is None


@pytest.mark.parametrize("kind", ["queue", "stack"])
def test_threads_pop_through_their_own_buffers(mem: Memory,
                                               kind: str) -> None:
    # Pops run without the GIL: a buffer shared between threads would hand
    # one thread's value to another, which shows as duplicates and losses.
    cls = Queue if kind == "queue" else Stack
    s = cls(mem, "mt", 64, dtype=np.int64)
    per_thread, nthreads = 20000, 4
    got: list[list[int]] = [[] for _ in range(nthreads)]
    start = threading.Barrier(2 * nthreads)

    def produce(w: int) -> None:
        start.wait()
        for i in range(per_thread):
            v = w * per_thread + i
            while not s.push(v):
                pass

    def consume(w: int) -> None:
        start.wait()
        mine = got[w]
        while len(mine) < per_thread:
            v = s.pop()
            if v is not None:
                mine.append(int(v))

    threads = [threading.Thread(target=produce, args=(w,))
               for w in range(nthreads)]
    threads += [threading.Thread(target=consume, args=(w,))
                for w in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(100)
    assert not any(t.is_alive() for t in threads)
    everything = sorted(v for mine in got for v in mine)
    assert everything == list(range(nthreads * per_thread))


def batch_calls(mem: Memory, kind: str, name: str, capacity: int,
                dt: Any) -> tuple[Any, Callable, Callable]:
    """A new Queue or Ring with its batch calls: (structure, put, take)."""
    if kind == "queue":
        q = Queue(mem, name, capacity, dtype=dt)
        return q, q.push_many, q.pop_many
    r = Ring(mem, name, capacity, dtype=dt)
    return r, r.write, r.read


@pytest.mark.parametrize("kind", ["queue", "ring"])
def test_out_array_is_filled_and_reused(mem: Memory, kind: str) -> None:
    s, put, take = batch_calls(mem, kind, "o", 64, np.int32)
    out = np.full(16, -1, dtype=np.int32)
    seq = 0
    for rnd in range(5):
        k = 3 + rnd  # fewer than out holds: the rest stays untouched
        assert put(np.arange(seq, seq + k, dtype=np.int32)) == k
        got = take(16, out=out)
        assert np.shares_memory(got, out) and got.base is out
        assert got.tolist() == list(range(seq, seq + k))
        assert (out[k:] == -1).all()
        out[:] = -1
        seq += k
    assert len(take(16, out=out)) == 0          # nothing there
    assert len(take(0, out=out)) == 0
    # The remembered array is checked again: shapes and dtypes can change
    # in place.
    with pytest.raises(ValueError, match="fewer than"):
        take(17, out=out)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        take(4, out=out)
    out.flags.writeable = True
    out.dtype = np.uint32
    with pytest.raises(TypeError, match="dtype"):
        take(4, out=out)
    with pytest.raises(TypeError, match="dtype"):
        take(4, out=np.empty(16, dtype=np.int64))
    with pytest.raises(TypeError, match="NumPy array"):
        take(4, out=bytearray(64))
    with pytest.raises(ValueError, match="C-contiguous"):
        take(4, out=np.empty(32, dtype=np.int32)[::2])
    with pytest.raises(ValueError, match="1-D"):
        take(4, out=np.empty((4, 4), dtype=np.int32))
    ro = np.empty(16, dtype=np.int32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        take(4, out=ro)
    # None of the refused calls took anything.
    assert put(np.array([7, 8], dtype=np.int32)) == 2
    assert take(16, out=np.zeros(16, dtype=np.int32)).tolist() == [7, 8]


@pytest.mark.parametrize("kind", ["queue", "ring"])
def test_batch_input_is_read_in_place_or_converted(mem: Memory,
                                                   kind: str) -> None:
    s, put, take = batch_calls(mem, kind, "in", 64, np.int16)
    base = np.arange(40, dtype=np.int16)
    inputs = [base[:8],                             # as is
              base[::2][:8],                        # strided: copied
              base[:8].reshape(2, 4),               # 2-D: flattened
              base[:8].astype(np.int64),            # other dtype
              list(range(8)),                       # not an array
              base[:8][::-1]]                       # reversed
    for arr in inputs:
        want = np.asarray(arr, dtype=np.int16).reshape(-1).tolist()
        assert put(arr) == 8
        assert take(64).tolist() == want


@pytest.mark.parametrize("kind", ["queue", "ring"])
def test_same_input_array_refilled_in_place(mem: Memory, kind: str) -> None:
    # The last input array is remembered with its pointer; what it holds,
    # and its dtype, shape and layout, can change between calls.
    s, put, take = batch_calls(mem, kind, "same", 64, np.int32)
    items = np.arange(4, dtype=np.int32)
    for rnd in range(3):
        assert put(items) == 4
        assert take(64).tolist() == list(range(4 * rnd, 4 * rnd + 4))
        items += 4
    # Reinterpreted in place as int16: 8 values now, converted to int32.
    items.dtype = np.int16
    want = items.astype(np.int32).tolist()
    assert len(want) == 8
    assert put(items) == 8
    assert take(64).tolist() == want
    items.dtype = np.int32
    # A 2-D view of the same memory under the same object is not possible,
    # but a reshaped array in place is: it is flattened, in order.
    items.shape = (2, 2)
    assert put(items) == 4
    assert take(64).tolist() == items.reshape(-1).tolist()
    items.shape = (4,)
    # Another array in between, then the first again.
    assert put(np.array([99], dtype=np.int32)) == 1
    items[:] = [5, 6, 7, 8]
    assert put(items) == 4
    assert take(64).tolist() == [99, 5, 6, 7, 8]
    # Closing forgets the remembered array: the structure no longer holds
    # a reference to it.
    held = sys.getrefcount(items)
    s.close()
    assert sys.getrefcount(items) == held - 1
    with pytest.raises(ValueError, match="closed"):
        put(items)


def test_short_read_of_a_big_buffer_is_copied(mem: Memory) -> None:
    # A view would keep the whole buffer alive; a short result of a small
    # one is returned as a view (copying costs more than it frees).
    r = Ring(mem, "big", 64, dtype=np.int64)
    r.write([1, 2, 3])
    small = r.read(3 * 1024 * 1024)
    assert small.tolist() == [1, 2, 3] and small.base is None
    r.write([4, 5, 6])
    got = r.read(64)
    assert got.tolist() == [4, 5, 6] and got.base is not None
    q = Queue(mem, "bigq", 64, dtype=np.int64)
    q.push_many([1, 2, 3])
    small = q.pop_many(3 * 1024 * 1024)
    assert small.tolist() == [1, 2, 3] and small.base is None


def test_loopback_ring_sides_in_two_threads(mem: Memory) -> None:
    # One object, written by one thread and read by another (one thread
    # per side is the contract): each side has its own count and scratch,
    # or the two calls would overwrite each other's results.
    r = Ring(mem, "loop", 64, dtype=np.int64)
    total = 200000
    got: list[np.ndarray] = []
    singles: list[int] = []
    # Mixed-up counts lose or invent elements, and a side may then wait
    # for ever: give up in time to report it.
    deadline = time.monotonic() + 60

    def writer() -> None:
        seq = 0
        while seq < total and time.monotonic() < deadline:
            if seq % 3 == 0:
                if r.push(seq):
                    seq += 1
                continue
            k = min(7, total - seq)
            seq += r.write(np.arange(seq, seq + k, dtype=np.int64))

    def reader() -> None:
        n = 0
        out = np.empty(16, dtype=np.int64)
        while n < total and time.monotonic() < deadline:
            if n % 5 == 0:
                v = r.pop()
                if v is not None:
                    singles.append(int(v))
                    got.append(np.array([v]))
                    n += 1
                continue
            a = r.read(16, out=out)
            got.append(a.copy())
            n += len(a)

    threads = [threading.Thread(target=writer),
               threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(100)
    assert not any(t.is_alive() for t in threads)
    assert np.concatenate(got).tolist() == list(range(total))
    assert singles


@pytest.mark.parametrize("kind", ["queue", "ring", "stack"])
def test_closed_fast_paths_refuse(mem: Memory, kind: str) -> None:
    cls: Any = {"queue": Queue, "ring": Ring, "stack": Stack}[kind]
    s = cls(mem, "c", 8, dtype=np.int64)
    push, pop = s.push, s.pop      # bound before close, as hot loops do
    assert push(1)
    s.close()
    with pytest.raises(ValueError, match="closed"):
        push(2)
    with pytest.raises(ValueError, match="closed"):
        pop()
    with pytest.raises(ValueError, match="closed"):
        s.push(2)
    if kind == "queue":
        with pytest.raises(ValueError, match="closed"):
            s.pop_many(4, out=np.empty(4, dtype=np.int64))
        with pytest.raises(ValueError, match="closed"):
            s.push_many([1])
    if kind == "ring":
        with pytest.raises(ValueError, match="closed"):
            s.read(4, out=np.empty(4, dtype=np.int64))
        with pytest.raises(ValueError, match="closed"):
            s.write([1])
