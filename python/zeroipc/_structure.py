# SPDX-License-Identifier: MIT
"""What the structure classes (and Memory) share: handle lifetime,
create-or-open, dtype checks, timeouts, status outcomes, key conversion and
per-thread element buffers.

Each structure module keeps only what is specific to it.  The C functions of
a family are reached as ``self._c.<verb>`` (``zeroipc_<family>_<verb>``),
each looked up once; hot paths (Queue.push/pop) bind what they call
themselves.
"""
from __future__ import annotations

import math
import struct
import threading
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import DTypeLike

from ._ffi import ffi, lib
from .errors import check

if TYPE_CHECKING:
    from .memory import Memory

# Statuses the structures turn into ordinary results (False, None, ...).
OK = int(lib.ZEROIPC_OK)
EFULL = int(lib.ZEROIPC_EFULL)
EEMPTY = int(lib.ZEROIPC_EEMPTY)
ETIMEOUT = int(lib.ZEROIPC_ETIMEOUT)
EEXISTS = int(lib.ZEROIPC_EEXISTS)
ENOT_FOUND = int(lib.ZEROIPC_ENOT_FOUND)
WAIT_FOREVER = int(lib.ZEROIPC_WAIT_FOREVER)

# Elements sit at 8-byte aligned offsets (format v2) with a stride of the
# element size; the library promises no more than 8.
MAX_ALIGNMENT = 8

_NS_MAX = (1 << 63) - 1

_H = TypeVar("_H", bound="Handle")


def encode_name(name: str) -> bytes:
    """A structure or segment name as the C API takes it."""
    if not isinstance(name, str):
        raise TypeError("name must be str, not %s" % type(name).__name__)
    return name.encode()


def timeout_ns(timeout: float | None) -> int:
    """C timeout for a Python one: None means do not wait (0), a number of
    seconds waits that long, math.inf waits without limit."""
    if timeout is None:
        return 0
    if timeout < 0:
        raise ValueError("timeout must be >= 0 seconds or None, got %r"
                         % (timeout,))
    if math.isinf(timeout):
        return WAIT_FOREVER
    return min(int(timeout * 1e9), _NS_MAX)


def outcome(status: int, expected: tuple[int, ...]) -> bool:
    """True if the call succeeded, False if it ended with one of the
    `expected` statuses (nothing to do: full, empty, timed out, ...); any
    other failure raises its exception.

    Call it right after the C call, as :func:`~zeroipc.errors.check`.
    """
    if status in expected:
        return False
    check(status)
    return True


def fixed_dtype(dtype: DTypeLike, what: str = "dtype", states: str = "it",
                *, nonempty: bool = True) -> np.dtype:
    """`dtype` as a NumPy dtype whose values can live in shared memory.

    No type is stored in a segment, so every user must state it: `what`
    names the argument and `states` what it describes, in the messages.
    """
    if dtype is None:
        raise TypeError("%s is required: zeroipc stores no type, so every "
                        "user states %s" % (what, states))
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise TypeError("%s %s holds Python objects, which cannot live in "
                        "shared memory" % (what, dt))
    if nonempty and dt.itemsize == 0:
        raise ValueError("%s %s has no bytes" % (what, dt))
    return dt


def element_dtype(dtype: DTypeLike, item: str, promise: str, *,
                  nonempty: bool = True) -> np.dtype:
    """The dtype of a structure's elements (`item`: "element", "object"),
    also checked against the alignment the layout gives (`promise`, e.g.
    "stack slots guarantee at most")."""
    dt = fixed_dtype(dtype, "dtype", "the %s type" % item, nonempty=False)
    if dt.alignment > MAX_ALIGNMENT:
        raise ValueError("dtype %s needs %d-byte alignment; %s %d"
                         % (dt, dt.alignment, promise, MAX_ALIGNMENT))
    if nonempty and dt.itemsize == 0:
        raise ValueError("dtype %s has no bytes" % dt)
    return dt


def check_capacity(capacity: int | None, minimum: int = 1) -> None:
    """Refuse a capacity below `minimum` (None: open, not create)."""
    if capacity is not None and capacity < minimum:
        raise ValueError("capacity must be positive, got %d" % capacity)


def to_bytes(value: Any, dt: np.dtype, what: str) -> bytes:
    """`value` as exactly dt.itemsize bytes.

    Bytes-like objects are taken as they are and must have the right
    length; anything else is converted to the dtype (a Python number, a
    NumPy scalar, a tuple or np.void for a structured dtype).  Conversion
    starts from zeros, so padding in a record is zero: keys are compared as
    bytes.
    """
    if isinstance(value, (bytes, bytearray, memoryview)) and not (
            dt.kind == "S" and len(value) != dt.itemsize):
        raw = bytes(value)
        if len(raw) != dt.itemsize:
            raise ValueError("%s of %d bytes, expected %d" % (
                what, len(raw), dt.itemsize))
        return raw
    if dt.kind in "iu" and isinstance(value, (int, np.integer)) and \
            not isinstance(value, bool):
        info = np.iinfo(dt)
        if not info.min <= int(value) <= info.max:
            raise OverflowError("%s %d does not fit %s" % (what, value, dt))
    if dt.kind in "iu" and isinstance(value, (float, np.floating)) and \
            not float(value).is_integer():
        raise ValueError("%s %r is not an integer (%s)" % (what, value, dt))
    buf = np.zeros((), dtype=dt)
    buf[()] = value
    return buf.tobytes()


def from_bytes(raw: bytes, dt: np.dtype) -> Any:
    """The value of `dt` stored in `raw` (a NumPy scalar or record)."""
    return np.frombuffer(raw, dtype=dt)[0]


def thread_slot(tls: threading.local, dtype: np.dtype) -> tuple[Any, Any]:
    """This thread's one-element buffer of `dtype` and a C pointer to it.

    One buffer per thread, because the library runs without the GIL: a
    buffer shared between threads of this process would race.  The pointer
    is a plain ``void *`` (the tuple keeps the buffer alive): cffi passes it
    several times faster than the ``from_buffer`` object.
    """
    try:
        return tls.slot
    except AttributeError:
        tls.slot = element_buffer(dtype)
        return tls.slot


# struct format characters for dtypes whose values struct packs exactly as
# NumPy stores them: plain integers and floats, native byte order ("="
# gives standard sizes, checked against the item size below).
_INT_CHARS = {1: "b", 2: "h", 4: "i", 8: "q"}
_FLOAT_CHARS = {2: "e", 4: "f", 8: "d"}


def scalar_packer(dt: np.dtype) -> Any:
    """``struct.Struct(...).pack`` for a plain numeric `dt` (native order,
    no fields), else None.

    Packing a Python number into a new bytes object costs less than any
    assignment into a buffer, and needs no buffer per thread: the element
    fast path of push().  Where pack() refuses a value (out of range, not
    a number), the caller converts with NumPy instead, so NumPy's rules
    decide what is accepted.
    """
    if dt.fields is not None or dt.subdtype is not None or not dt.isnative:
        return None
    if dt.kind in "iu":
        ch = _INT_CHARS.get(dt.itemsize)
        if ch is not None and dt.kind == "u":
            ch = ch.upper()
    elif dt.kind == "f":
        ch = _FLOAT_CHARS.get(dt.itemsize)
    elif dt.kind == "b" and dt.itemsize == 1:
        ch = "?"  # truth value, as NumPy converts to bool
    else:
        ch = None
    if ch is None:
        return None
    packer = struct.Struct("=" + ch)
    # A short packing would be read past its end.
    return packer.pack if packer.size == dt.itemsize else None


def push_closure(cell: list, try_push: Any, wait_push: Any, pack: Any,
                 via_numpy: Any, closed: str) -> Any:
    """The per-element push() of Queue and Stack: a closure over what it
    uses, so each call does no attribute lookups (one Python call costs
    about as much as the library call).  `cell[0]` is the C handle, None
    once closed; `pack` turns a value into the element's bytes, falling
    back to `via_numpy` for anything it cannot pack."""
    ok, full, timed_out = OK, EFULL, ETIMEOUT
    forever, inf = WAIT_FOREVER, math.inf

    def push(value: Any, timeout: float | None = None) -> bool:
        h = cell[0]
        if h is None:
            raise ValueError(closed)
        try:
            data = pack(value)
        except Exception:  # noqa: BLE001 - NumPy decides (or raises)
            data = via_numpy(value)
        if timeout is None:
            status = try_push(h, data)
        elif timeout == inf:
            status = wait_push(h, data, forever)
        else:
            status = wait_push(h, data, timeout_ns(timeout))
        if status == ok:
            return True
        if status == full or status == timed_out:
            return False
        check(status)
        return True

    return push


def pop_closure(cell: list, try_pop: Any, wait_pop: Any,
                tls: threading.local, dt: np.dtype, copy_out: bool,
                closed: str, own: tuple[np.ndarray, Any] | None = None
                ) -> Any:
    """The per-element pop() of Queue and Stack, a closure as push_closure()
    makes.  The element lands in this thread's slot (see
    :func:`thread_slot`), or in `own` (a buffer and its pointer) when the
    handle is used by one thread at a time; `copy_out`: return a copy of
    it (a structured element read from a buffer is a view)."""
    ok, empty, timed_out = OK, EEMPTY, ETIMEOUT
    forever, inf = WAIT_FOREVER, math.inf

    def pop(timeout: float | None = None) -> Any:
        h = cell[0]
        if h is None:
            raise ValueError(closed)
        try:
            buf, ptr = own or tls.slot
        except AttributeError:
            buf, ptr = thread_slot(tls, dt)
        if timeout is None:
            status = try_pop(ptr, h)
        elif timeout == inf:
            status = wait_pop(ptr, h, forever)
        else:
            status = wait_pop(ptr, h, timeout_ns(timeout))
        if status == ok:
            return buf[0].copy() if copy_out else buf[0]
        if status == empty or status == timed_out:
            return None
        check(status)
        return None

    return pop


def bind_push_pop(s: Any, own_pop_buffer: bool = False) -> None:
    """Give Queue or Stack `s` its push() and pop(): the closures of
    push_closure() and pop_closure() over what they use (not over `s`, so
    that no reference cycle delays closing the handle), set as instance
    attributes that shadow the methods, with the methods' docstrings.
    `own_pop_buffer`: pop() is used by one thread at a time (a
    single-consumer handle), so its buffer needs no per-thread lookup."""
    c, tls, dtype = s._c, s._tls, s._dtype
    # Plain numbers are packed by `struct` into a new bytes object (no
    # shared buffer to race on); anything else, or what struct refuses,
    # NumPy converts into this thread's slot.
    via_numpy = numpy_packer(dtype, tls)
    pack = scalar_packer(dtype) or via_numpy
    closed = str(s._closed_error())
    push = push_closure(s._cell, c.try_push, c.push, pack, via_numpy, closed)
    pop = pop_closure(s._cell, c.try_pop, c.pop, tls, dtype, s._copy_out,
                      closed, element_buffer(dtype) if own_pop_buffer else None)
    push.__doc__ = type(s).push.__doc__
    pop.__doc__ = type(s).pop.__doc__
    s._push = push
    s._pop = pop
    s.push = push
    s.pop = pop


def element_buffer(dt: np.dtype) -> tuple[np.ndarray, Any]:
    """A one-element array of `dt` and a ``void *`` to it (the array owns
    the memory; keep both)."""
    buf = np.zeros(1, dtype=dt)
    return buf, ffi.cast("void *", ffi.from_buffer(buf))


def numpy_packer(dt: np.dtype, tls: threading.local) -> Any:
    """A function that converts a value to `dt` with NumPy, into this
    thread's slot (see :func:`thread_slot`), and returns the slot's
    pointer: push()'s general path."""

    def via_numpy(value: Any) -> Any:
        try:
            buf, ptr = tls.slot
        except AttributeError:
            buf, ptr = thread_slot(tls, dt)
        buf[0] = value
        return ptr

    return via_numpy


def array_arg(values: Any, dt: np.dtype) -> np.ndarray:
    """`values` as a 1-D C-contiguous array of `dt`: the array itself when
    it already is one (no copy), else a converted copy."""
    arr = np.ascontiguousarray(values, dtype=dt)
    return arr if arr.ndim == 1 else arr.reshape(-1)


class RememberedArray:
    """The last array a batch call used, remembered with its C pointer.

    Passing the same array again (refilled in place) skips the conversion
    checks and the pointer lookup, which together cost about as much as
    the C call or moving a few hundred elements.  Remembering holds a
    reference (until another array is passed, or :meth:`forget`), which
    keeps the memory and makes NumPy refuse to resize the array in place.
    The pair is one tuple, replaced whole, so threads sharing the object
    only ever miss.  The array's dtype, shape and flags can still change
    in place: a hit is checked again.
    """

    __slots__ = ("dt", "last")

    def __init__(self, dt: np.dtype) -> None:
        self.dt = dt
        self.last: tuple[Any, Any] = (None, None)

    def forget(self) -> None:
        self.last = (None, None)


class InArrays(RememberedArray):
    """Where push_many() / write() take their elements from: the caller's
    array itself when it is a 1-D C-contiguous array of the dtype (then
    remembered), else a converted copy."""

    __slots__ = ()

    def pointer(self, values: Any) -> tuple[Any, int, np.ndarray]:
        """(``void *`` to the elements, how many, the array holding them);
        the caller keeps the array until the C call returns."""
        last, ptr = self.last
        if values is last and values.dtype == self.dt \
                and values.ndim == 1 and values.flags.c_contiguous:
            return ptr, values.shape[0], values
        arr = array_arg(values, self.dt)
        ptr = ffi.cast("void *", ffi.from_buffer(arr))
        if arr is values:
            self.last = (arr, ptr)
        return ptr, arr.shape[0], arr


class OutArrays(RememberedArray):
    """Where pop_many() / read() put what they take: a new array, or the
    caller's `out` array (then remembered)."""

    __slots__ = ()

    def target(self, out: np.ndarray | None,
               n: int) -> tuple[np.ndarray, Any, bool]:
        """(array, pointer to it, whether it is new) for a call that takes
        up to `n` elements: a new array if `out` is None, else `out`,
        checked (see :meth:`pointer`)."""
        if n < 0:
            raise ValueError("n must be >= 0, got %d" % n)
        if out is None:
            new = np.empty(n, dtype=self.dt)
            return new, ffi.from_buffer(new), True
        return out, self.pointer(out, n), False

    def pointer(self, out: Any, n: int) -> Any:
        """A ``void *`` to `out`, checked to take `n` elements."""
        last_out, ptr = self.last
        dt = self.dt
        if out is last_out:
            flags = out.flags
            if out.dtype == dt and out.ndim == 1 and out.shape[0] >= n \
                    and flags.c_contiguous and flags.writeable:
                return ptr
        if type(out) is not np.ndarray:
            raise TypeError("out must be a NumPy array, not %s"
                            % type(out).__name__)
        if out.dtype != dt:
            raise TypeError("out has dtype %s, expected %s"
                            % (out.dtype, dt))
        if out.ndim != 1 or not out.flags.c_contiguous:
            raise ValueError("out must be a 1-D C-contiguous array")
        if not out.flags.writeable:
            raise ValueError("out is read-only")
        if out.shape[0] < n:
            raise ValueError("out holds %d elements, fewer than n=%d"
                             % (out.shape[0], n))
        # A plain pointer: the reference to `out` keeps the memory.
        ptr = ffi.cast("void *", ffi.from_buffer(out))
        self.last = (out, ptr)
        return ptr


# A result array that fills less of its buffer than this many bytes' worth
# is returned as a view (no copy); see trimmed().
_KEEP_SLACK = 64 << 10


def trimmed(out: np.ndarray, got: int, fresh: bool) -> np.ndarray:
    """The first `got` elements of `out`.

    A view, except when `out` was allocated by the call (`fresh`) and the
    unused rest is both large (over 64 KiB) and larger than what was
    filled: then a copy, so that a short result does not pin a big buffer.
    Copying a small result costs far more than the bytes it would free.
    """
    if got == out.shape[0]:
        return out
    if fresh:
        slack = (out.shape[0] - got) * out.itemsize
        if slack > _KEEP_SLACK and slack > got * out.itemsize:
            return out[:got].copy()
    return out[:got]


def documented(prop: Any, doc: str) -> Any:
    """`prop` with another docstring, for a subclass whose attribute means
    something more specific than the base class says."""
    return property(prop.fget, prop.fset, prop.fdel, doc)


class CFunctions:
    """The C functions ``zeroipc_<family>_<verb>`` as attributes `verb`,
    each looked up in the library once, when first used."""

    def __init__(self, family: str) -> None:
        self.family = family

    def __getattr__(self, verb: str) -> Any:
        fn = getattr(lib, "zeroipc_%s_%s" % (self.family, verb))
        setattr(self, verb, fn)
        return fn


class Handle:
    """An object that owns a C handle (``_h``, None once closed): close(),
    ``closed``, use as a context manager, and the check that refuses
    operations on a closed object."""

    _KIND: ClassVar[str]  # the public class name, for messages
    _h: Any
    _name: str

    def close(self) -> None:
        """Release the handle.  Idempotent."""
        self._h = None

    @property
    def closed(self) -> bool:
        return self._h is None

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _closed_error(self) -> ValueError:
        return ValueError("operation on closed %s %r" % (self._KIND,
                                                         self._name))

    def _handle(self) -> Any:
        h = self._h
        if h is None:
            raise self._closed_error()
        return h


class Structure(Handle):
    """A named structure in a segment, reached through one C family.

    ``__init__`` of a subclass checks its arguments, then calls
    :meth:`_attach`.  ``len()`` is the family's ``size`` and ``repr()``
    names the structure, its segment, :meth:`_describe` and
    :meth:`_state`; subclasses override what differs.
    """

    _c: ClassVar[CFunctions]
    _memh: Any
    _cname: bytes
    _mem_name: str
    _capacity: int

    def _attach(self, mem: Memory, name: str, capacity: int | None,
                sizes: tuple[int, ...], extra: tuple[Any, ...] = ()) -> None:
        """Create the structure (`capacity` given) or open it (None), and
        own the handle: ``zeroipc_<family>_create(out, mem, name, *sizes,
        capacity, *extra)`` or ``_open(out, mem, name, *sizes, *extra)``."""
        memh = mem._handle()
        cname = encode_name(name)
        out = ffi.new("zeroipc_%s **" % self._c.family)
        if capacity is None:
            check(self._c.open(out, memh, cname, *sizes, *extra))
        else:
            check(self._c.create(out, memh, cname, *sizes, capacity,
                                 *extra))
        self._memh = memh
        self._cname = cname
        self._name = name
        self._mem_name = mem.name
        self._h = self._own(out[0])
        self._capacity = int(self._c.capacity(self._h))

    def close(self) -> None:
        """Release the handle (idempotent).  What it refers to stays in the
        segment, and NumPy views taken from it stay valid."""
        super().close()
        # The memory handle too: a closed structure does not keep the
        # segment mapped (its views and its C handle's destructor do).
        self._memh = None

    def _own(self, handle: Any) -> Any:
        # The handle borrows the memory handle: its destructor keeps a
        # reference, so the memory is closed after the structure.
        return ffi.gc(handle, lambda p, _mem=self._memh,
                      _close=self._c.close: _close(p))

    def _validate_by_name(self) -> None:
        """The family's validate(), on the bytes at rest (raises Corrupt)."""
        self._handle()
        check(self._c.validate(self._memh, self._cname))

    @property
    def name(self) -> str:
        return self._name

    @property
    def capacity(self) -> int:
        """Number of elements (as stored in the segment)."""
        return self._capacity

    def __len__(self) -> int:
        return int(self._c.size(self._handle()))

    def _describe(self) -> str:
        raise NotImplementedError

    def _state(self) -> str:
        return " %d/%d" % (len(self), self._capacity)

    def __repr__(self) -> str:
        return "<zeroipc.%s %r in %r: %s%s>" % (
            self._KIND, self._name, self._mem_name, self._describe(),
            " closed" if self.closed else self._state())


class ElementStructure(Structure):
    """A structure of fixed-size elements of one dtype."""

    _dtype: np.dtype
    _elem_size: int

    def _attach_elements(self, mem: Memory, name: str,
                         capacity: int | None, dtype: np.dtype,
                         extra: tuple[Any, ...] = ()) -> None:
        """:meth:`_attach` with the dtype's item size as the element size."""
        self._dtype = dtype
        self._attach(mem, name, capacity, (dtype.itemsize,), extra)
        self._elem_size = int(self._c.elem_size(self._h))

    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def elem_size(self) -> int:
        """Bytes per element, as the library reports it."""
        return self._elem_size

    def _describe(self) -> str:
        return str(self._dtype)


class Bounded(ElementStructure):
    """Elements come and go between empty and full (Stack, Queue)."""

    def empty(self) -> bool:
        return bool(self._c.empty(self._handle()))

    def full(self) -> bool:
        return bool(self._c.full(self._handle()))


class HashStructure(Structure):
    """A hash table keyed by fixed-size keys of dtype ``_kdt`` (Map, Set)."""

    _kdt: np.dtype

    capacity = documented(Structure.capacity,
                          "Number of slots (a power of two).")

    def _key(self, key: Any) -> Any:
        return ffi.from_buffer(to_bytes(key, self._kdt, "key"))

    def __contains__(self, key: Any) -> bool:
        try:
            kb = self._key(key)
        except (TypeError, ValueError, OverflowError):
            return False
        return bool(check(self._c.contains(self._handle(), kb)))

