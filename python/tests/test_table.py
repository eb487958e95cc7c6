# SPDX-License-Identifier: MIT
"""The table: entries, lookups, errors, raw regions."""
from __future__ import annotations

import numpy as np
import pytest

import zeroipc
from zeroipc import Entry, Memory


def test_entries_in_creation_order(mem: Memory) -> None:
    sizes = {"alpha": 1, "beta": 100, "gamma": 4096, "delta": 7}
    for name, size in sizes.items():
        entry = mem.table.add(name, size)
        assert (entry.name, entry.size) == (name, size)
    entries = list(mem.table)
    assert [e.name for e in entries] == list(sizes)
    assert [e.size for e in entries] == list(sizes.values())
    assert list(mem) == entries
    assert len(mem.table) == 4
    assert all(isinstance(e, Entry) for e in entries)


def test_regions_are_aligned_disjoint_and_inside(mem: Memory) -> None:
    for i in range(20):
        mem.table.add("e%d" % i, 1 + 13 * i)
    spans = sorted((e.offset, e.offset + e.size) for e in mem.table)
    for (start, end), (next_start, _) in zip(spans, spans[1:]):
        assert start % 8 == 0
        assert end <= next_start
    assert spans[-1][1] <= mem.size


def test_lookup_by_name_and_index(mem: Memory) -> None:
    a = mem.table.add("a", 8)
    b = mem.table.add("b", 16)
    assert mem.table["b"] == b
    assert mem.table[0] == a and mem.table[1] == b and mem.table[-1] == b
    assert mem.table.find("a") == a
    assert mem.table.find("zz") is None
    assert "a" in mem and "zz" not in mem and 3 not in mem.table
    with pytest.raises(zeroipc.NotFound):
        mem.table["zz"]
    with pytest.raises(IndexError):
        mem.table[2]
    with pytest.raises(IndexError):
        mem.table[-3]


def test_add_errors(shm_name: str) -> None:
    with Memory(shm_name, 1 << 16, max_entries=3) as m:
        m.table.add("x", 8)
        with pytest.raises(zeroipc.Exists):
            m.table.add("x", 8)
        with pytest.raises(zeroipc.Name):
            m.table.add("n" * 32, 8)
        with pytest.raises(zeroipc.Name):
            m.table.add("", 8)
        with pytest.raises(zeroipc.NoSpace):
            m.table.add("huge", 1 << 20)
        m.table.add("y", 8)
        m.table.add("z", 8)
        with pytest.raises(zeroipc.TableFull):
            m.table.add("w", 8)
        # Failed adds changed nothing.
        assert [e.name for e in m.table] == ["x", "y", "z"]


def test_longest_name_fits(mem: Memory) -> None:
    name = "n" * 31
    mem.table.add(name, 8)
    assert mem.table[name].name == name


def test_free_bytes_shrink_by_at_least_the_size(mem: Memory) -> None:
    before = mem.table.free_bytes
    mem.table.add("blob", 1000)
    after = mem.table.free_bytes
    assert 1000 <= before - after < 1000 + 8
    assert after < mem.size


def test_entries_added_elsewhere_are_seen_live(mem: Memory) -> None:
    with Memory(mem.name) as other:
        assert len(other.table) == 0
        mem.table.add("late", 24)
        assert len(other.table) == 1
        assert other.table["late"].size == 24


def test_region_is_a_zero_copy_byte_view(mem: Memory) -> None:
    mem.table.add("raw", 10)
    region = mem.region("raw")
    assert region.dtype == np.uint8 and region.shape == (10,)
    assert not region.any()  # created zeroed
    region[:] = np.arange(10, dtype=np.uint8)
    with Memory(mem.name) as other:
        assert list(other.region("raw")) == list(range(10))
    with pytest.raises(zeroipc.NotFound):
        mem.region("missing")


def test_non_ascii_names_round_trip(mem: Memory) -> None:
    name = "temp\u00e9rature"  # 12 bytes of UTF-8
    mem.table.add(name, 8)
    assert [e.name for e in mem.table] == [name]
    assert name in mem


def test_repr_lists_entries(mem: Memory) -> None:
    mem.table.add("one", 8)
    mem.table.add("two", 8)
    assert repr(mem.table) == "<zeroipc.Table of %r: one, two>" % mem.name
