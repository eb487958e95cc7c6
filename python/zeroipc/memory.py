# SPDX-License-Identifier: MIT
"""Named shared-memory segments and their table of structures."""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

import numpy as np

from ._ffi import ffi, lib
from ._structure import Handle
from ._structure import encode_name as _encode
from ._view import address_of, byte_view
from .errors import NotFound, check  # type: ignore[attr-defined]

__all__ = ["Memory", "Table", "Entry"]

DEFAULT_MAX_ENTRIES: int = lib.ZEROIPC_DEFAULT_MAX_ENTRIES


def _decode(raw: bytes) -> str:
    # surrogateescape: a name another program wrote that is not UTF-8 still
    # round-trips to the same bytes when passed back.
    return raw.decode(errors="surrogateescape")


class Entry(NamedTuple):
    """One table entry: a named region of the segment."""

    name: str
    offset: int  #: from the start of the segment
    size: int    #: bytes requested by the creator


def _entry(raw: Any) -> Entry:
    return Entry(_decode(ffi.string(raw.name)), raw.offset, raw.size)


class Memory(Handle):
    """A named POSIX shared-memory segment in zeroipc format v2.

    ``Memory(name, size)`` opens `name` if it exists (whatever its size) or
    creates it with `size` bytes and an empty table of `max_entries` entries;
    ``created`` tells which happened.  With ``exclusive=True`` it only
    creates and raises :class:`~zeroipc.Exists` if the name is taken.
    ``Memory(name)`` (size 0) opens an existing segment, read-only with
    ``readonly=True``.  `mode` is the permission of a new segment.

    ``close()`` (also at the end of a ``with`` block) releases this object;
    it never unlinks: see :meth:`unlink`.  Arrays and NumPy views made from
    the segment keep the mapping alive, so they stay valid after ``close()``
    until they are gone too.
    """

    _KIND = "Memory"

    def __init__(self, name: str, size: int = 0,
                 max_entries: int = DEFAULT_MAX_ENTRIES, *,
                 exclusive: bool = False, readonly: bool = False,
                 mode: int = 0o600) -> None:
        cname = _encode(name)
        if size < 0:
            raise ValueError("size must be >= 0 (0 opens an existing "
                             "segment), got %d" % size)
        if size == 0 and exclusive:
            raise ValueError("exclusive=True creates, so it needs a size")
        if size and readonly:
            raise ValueError("readonly=True opens an existing segment; "
                             "pass no size")
        out = ffi.new("zeroipc_memory **")
        self._created = False
        if size == 0:
            flags = lib.ZEROIPC_OPEN_READONLY if readonly else 0
            check(lib.zeroipc_memory_open(out, cname, flags))
        else:
            opts = ffi.new("zeroipc_memory_opts *")
            opts.size = ffi.sizeof("zeroipc_memory_opts")
            opts.max_entries = max_entries
            opts.mode = mode
            if exclusive:
                check(lib.zeroipc_memory_create(out, cname, size, opts))
                self._created = True
            else:
                created = ffi.new("int *")
                check(lib.zeroipc_memory_open_or_create(out, created, cname,
                                                        size, opts))
                self._created = bool(created[0])
        # The cdata owns the C handle: its destructor unmaps, once nothing
        # (this object, an Array, a NumPy view) refers to it any more.
        self._h: Any = ffi.gc(out[0], lib.zeroipc_memory_close)
        self._name = _decode(ffi.string(lib.zeroipc_memory_name(self._h)))

    # -- lifecycle -------------------------------------------------------

    def close(self) -> None:
        """Release this object's hold on the mapping.  Never unlinks.

        Idempotent.  The segment is unmapped when no Array or NumPy view
        made from it remains either.
        """
        super().close()

    @staticmethod
    def unlink(name: str, missing_ok: bool = False) -> None:
        """Remove the segment name.  Existing mappings stay valid.

        Raises :class:`~zeroipc.NotFound` if there is no such segment, unless
        `missing_ok`.
        """
        try:
            check(lib.zeroipc_memory_unlink(_encode(name)))
        except NotFound:
            if not missing_ok:
                raise

    # -- properties ------------------------------------------------------

    @property
    def name(self) -> str:
        """The segment name, as given (``"/name"``)."""
        return self._name

    @property
    def size(self) -> int:
        """Size of the segment in bytes."""
        return int(lib.zeroipc_memory_size(self._handle()))

    @property
    def readonly(self) -> bool:
        return bool(lib.zeroipc_memory_is_readonly(self._handle()))

    @property
    def created(self) -> bool:
        """True if this object created the segment, False if it opened it."""
        return self._created

    @property
    def table(self) -> "Table":
        """The segment's table of named structures."""
        return Table(self)

    # -- table shortcuts -------------------------------------------------

    def __iter__(self) -> Iterator[Entry]:
        """The table's entries in creation order."""
        return iter(self.table)

    def __contains__(self, name: object) -> bool:
        return name in self.table

    def region(self, name: str) -> np.ndarray:
        """Zero-copy uint8 view of the bytes of entry `name`.

        For structures the library does not know; the view keeps the mapping
        alive and is read-only on a read-only mapping.
        """
        h = self._handle()
        entry = self.table[name]
        # Entries are written by other processes: do not trust the bounds.
        if entry.offset + entry.size > self.size:
            raise ValueError("entry %r (offset %d, size %d) lies outside the "
                             "segment of %d bytes"
                             % (name, entry.offset, entry.size, self.size))
        base = address_of(lib.zeroipc_memory_base(h))
        return byte_view(h, base + entry.offset, entry.size, self.readonly)

    def validate(self) -> None:
        """Check the segment header and table; raise on the first problem
        (:class:`~zeroipc.BadFormat`, :class:`~zeroipc.Version`,
        :class:`~zeroipc.Corrupt`)."""
        check(lib.zeroipc_memory_validate(self._handle()))

    def __repr__(self) -> str:
        if self._h is None:
            return "<zeroipc.Memory %r closed>" % self._name
        t = self.table
        return "<zeroipc.Memory %r size=%d entries=%d/%d%s>" % (
            self._name, self.size, len(t), t.capacity,
            " readonly" if self.readonly else "")


class Table:
    """The registry of named regions in a segment (append-only).

    ``len(table)``, iteration (entries in creation order), ``name in table``,
    ``table[name]`` or ``table[index]`` (an :class:`Entry`), ``find(name)``
    and ``add(name, size)``.  Lookups are live: entries other processes add
    show up.
    """

    def __init__(self, mem: Memory) -> None:
        self._mem = mem

    def __len__(self) -> int:
        return int(lib.zeroipc_table_count(self._mem._handle()))

    @property
    def capacity(self) -> int:
        """Maximum number of entries (the segment's max_entries)."""
        return int(lib.zeroipc_table_capacity(self._mem._handle()))

    @property
    def free_bytes(self) -> int:
        """Bytes of the segment not yet allocated."""
        return int(lib.zeroipc_table_free_bytes(self._mem._handle()))

    def _at(self, index: int) -> Entry:
        raw = ffi.new("zeroipc_table_entry *")
        check(lib.zeroipc_table_entry_at(raw, self._mem._handle(), index))
        return _entry(raw)

    def __iter__(self) -> Iterator[Entry]:
        for i in range(len(self)):
            yield self._at(i)

    def __getitem__(self, key: str | int) -> Entry:
        if isinstance(key, int):
            n = len(self)
            if key < 0:
                key += n
            if not 0 <= key < n:
                raise IndexError("table index %d out of range (%d entries)"
                                 % (key, n))
            return self._at(key)
        raw = ffi.new("zeroipc_table_entry *")
        check(lib.zeroipc_table_find(raw, self._mem._handle(), _encode(key)))
        return _entry(raw)

    def find(self, name: str) -> Entry | None:
        """The entry called `name`, or None if there is none."""
        try:
            return self[name]
        except NotFound:
            return None

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.find(name) is not None

    def add(self, name: str, size: int) -> Entry:
        """Reserve `size` zeroed bytes under `name` and return the entry."""
        offset = ffi.new("uint64_t *")
        check(lib.zeroipc_table_add(offset, self._mem._handle(),
                                    _encode(name), size))
        return Entry(name, int(offset[0]), size)

    def __repr__(self) -> str:
        return "<zeroipc.Table of %r: %s>" % (
            self._mem.name, ", ".join(e.name for e in self) or "empty")
