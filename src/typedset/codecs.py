"""Codecs: how items become the bytes stored in Redis, and back.

Deduplication and membership compare encoded bytes, so every codec here is
*canonical*: equal values encode to equal bytes (JSON objects with sorted keys
and compact separators, msgspec with deterministic ordering). It follows that
``1`` and ``1.0`` are different members under :class:`JsonCodec`, as their
encodings differ. No codec uses pickle: data read from a shared server must
not be able to run code.

Each codec says whether its bytes are ``binary`` (not UTF-8 text); a binary
codec refuses a client created with ``decode_responses=True``.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from typing import ClassVar, Generic, Literal, NamedTuple, TypeAlias, TypeVar, cast, overload

import msgspec
from typing_extensions import TypeForm

from .errors import EncodeError
from .protocols import Serializer

__all__ = [
    "BytesCodec",
    "JsonCodec",
    "JsonData",
    "JsonValue",
    "MsgspecCodec",
    "NamedTupleCodec",
    "NamedtupleSerializer",
    "StrCodec",
]

T = TypeVar("T")
#: A constructor's own type variable (``self: MsgspecCodec[U]``: pyright refuses the class's).
U = TypeVar("U")
NT = TypeVar("NT", bound=NamedTuple)

#: What :class:`JsonCodec` encodes: any value the stdlib ``json`` module writes and
#: reads back equal. Read-only ABCs, so ``dict[str, int]``, tuples and other
#: ``Mapping``/``Sequence`` values fit (a ``dict[str, JsonValue]`` would refuse
#: a ``dict[str, int]``: ``dict`` is invariant).
JsonValue: TypeAlias = (
    "bool | int | float | str | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
)
#: What :class:`JsonCodec` decodes to: the concrete types ``json.loads`` builds
#: (``dict`` and ``list``); every ``JsonData`` is a ``JsonValue``.
JsonData: TypeAlias = "bool | int | float | str | list[JsonData] | dict[str, JsonData] | None"


class _Stateless:
    """A codec without settings: all instances are equal."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class StrCodec(_Stateless):
    """Text items stored as UTF-8 (the default; what redset stores).

    >>> StrCodec().dumps("héllo")
    b'h\\xc3\\xa9llo'
    >>> StrCodec().loads(b"h\\xc3\\xa9llo")
    'héllo'
    """

    binary: ClassVar[bool] = False

    def dumps(self, obj: str, /) -> bytes:
        """``obj`` as UTF-8; :class:`EncodeError` for anything but ``str``. O(len); no I/O."""
        if not isinstance(cast(object, obj), str):  # an untyped caller's item
            raise EncodeError(f"StrCodec encodes str, not {type(obj).__name__}")
        return obj.encode()

    def loads(self, data: bytes, /) -> str:
        """The text ``data`` holds (``UnicodeDecodeError`` if not UTF-8). O(len); no I/O."""
        return data.decode()


class BytesCodec(_Stateless):
    """Raw bytes, stored as they are (binary: not for a ``decode_responses`` client).

    >>> BytesCodec().loads(BytesCodec().dumps(b"\\x00\\xff"))
    b'\\x00\\xff'
    """

    binary: ClassVar[bool] = True

    def dumps(self, obj: bytes, /) -> bytes:
        """``obj`` as ``bytes`` (bytearray and memoryview copied). O(len); no I/O."""
        if not isinstance(cast(object, obj), bytes | bytearray | memoryview):
            raise EncodeError(f"BytesCodec encodes bytes, not {type(obj).__name__}")
        return bytes(obj)

    def loads(self, data: bytes, /) -> bytes:
        """``data`` as ``bytes``, unchanged. O(len); no I/O."""
        return bytes(data)


class JsonCodec(_Stateless, Serializer[JsonValue]):
    """JSON through the stdlib ``json`` module, canonical (sorted keys, compact).

    Takes any :data:`JsonValue`: a ``Mapping`` with ``str`` keys or a
    ``Sequence`` (tuples, ``MappingProxyType``, your own ABCs) is written as
    the equal ``dict`` or ``list``, and decodes as one (:data:`JsonData`).
    NaN, infinities and ``bytes`` are refused with :class:`EncodeError`:
    they are not JSON. A ``SortedSet(r, "k", serializer=JsonCodec())`` is a
    ``SortedSet[JsonValue]``.

    >>> JsonCodec().dumps({"b": (1, 2), "a": None})
    b'{"a":null,"b":[1,2]}'
    >>> JsonCodec().loads(b'{"a":null,"b":[1,2]}')
    {'a': None, 'b': [1, 2]}

    O(size of the value) each way; no I/O.
    """

    binary: ClassVar[bool] = False

    def dumps(self, obj: JsonValue, /) -> bytes:
        """Canonical JSON: sorted keys, no spaces; :class:`EncodeError` if not JSON. No I/O."""
        try:
            text = json.dumps(
                obj, sort_keys=True, separators=(",", ":"), allow_nan=False, default=_plain
            )
        except (TypeError, ValueError) as exc:
            raise EncodeError(f"JsonCodec cannot encode {type(obj).__name__}: {exc}") from exc
        return text.encode()

    def loads(self, data: bytes, /) -> JsonData:
        """The value ``data`` holds, with ``dict`` and ``list`` for objects and arrays. No I/O."""
        value: JsonData = json.loads(data)
        return value


def _plain(value: object) -> object:
    """What ``json`` writes for a ``Mapping`` or ``Sequence`` it does not know (it knows
    ``dict``, ``list`` and ``tuple``): the equal ``dict`` or ``list``.

    ``bytes`` are a ``Sequence[int]`` but not JSON: refused, not written as numbers.
    """
    kind = type(value).__name__
    if isinstance(value, Mapping):
        return dict(cast("Mapping[object, object]", value))
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray | memoryview):
        return list(cast("Sequence[object]", value))
    raise TypeError(f"Object of type {kind} is not JSON serializable")


class MsgspecCodec(Generic[T]):
    """A typed codec: msgspec encodes ``type`` as JSON or MessagePack and validates on decode.

    ``MsgspecCodec(Task)`` makes a ``SortedSet[Task]``; any type form msgspec
    decodes works and is typed exactly: ``MsgspecCodec(list[int])`` is a
    ``MsgspecCodec[list[int]]``, ``MsgspecCodec(Task | None)`` a
    ``MsgspecCodec[Task | None]`` (type forms need a checker with PEP 747
    ``TypeForm``: mypy 2, current pyright). Output is deterministic (dict keys
    and set members sorted), so equal values deduplicate.

    >>> codec = MsgspecCodec(list[int], format="msgpack")
    >>> codec.loads(codec.dumps([3, 1]))
    [3, 1]

    O(size of the value) each way; no I/O.
    """

    # A class binds ``T`` through ``type[U]`` under any checker; a type form
    # (``list[int]``, ``Task | None``) through ``TypeForm[U]`` (PEP 747: mypy
    # 2, pyright 1.1.400 and later).
    @overload
    def __init__(
        self: MsgspecCodec[U], type: type[U], format: Literal["json", "msgpack"] = ...
    ) -> None: ...
    @overload
    def __init__(
        self: MsgspecCodec[U], type: TypeForm[U], format: Literal["json", "msgpack"] = ...
    ) -> None: ...
    def __init__(self, type: object, format: Literal["json", "msgpack"] = "json") -> None:
        # msgspec's decoders take any type form but annotate it as ``type[T]``.
        form = cast("builtins.type[T]", type)
        if format == "json":
            self._encoder: msgspec.json.Encoder | msgspec.msgpack.Encoder = msgspec.json.Encoder(
                order="deterministic"
            )
            self._decoder: msgspec.json.Decoder[T] | msgspec.msgpack.Decoder[T] = (
                msgspec.json.Decoder(form)
            )
        elif format == "msgpack":
            self._encoder = msgspec.msgpack.Encoder(order="deterministic")
            self._decoder = msgspec.msgpack.Decoder(form)
        else:
            raise ValueError(f"format must be 'json' or 'msgpack', not {format!r}")
        self.type: TypeForm[T] = form
        self.format: Literal["json", "msgpack"] = format
        self.binary: bool = format == "msgpack"

    def dumps(self, obj: T, /) -> bytes:
        """``obj`` in the codec's format, checked and normalised through the type. No I/O.

        The bytes are decoded as the type before they are used, and the value
        decoded is what is encoded: an item the codec could not read back (a
        ``str`` in a ``MsgspecCodec(Task)``, ``True`` for an ``int``, a NaN)
        is refused here with :class:`EncodeError` instead of being stored and
        dead-lettered on its first read, and an ``int`` in a ``float`` field
        is stored as the float it reads back as (``Job(1)`` and ``Job(1.0)``
        are one member). Two encodes and a decode: well under a microsecond
        for a small struct.
        """
        try:
            checked = self._decoder.decode(self._encoder.encode(obj))
            return self._encoder.encode(checked)
        except (TypeError, ValueError, msgspec.MsgspecError) as exc:
            raise EncodeError(f"MsgspecCodec cannot encode {type(obj).__name__}: {exc}") from exc

    def loads(self, data: bytes, /) -> T:
        """The value ``data`` holds, validated against the type (``msgspec.ValidationError``).

        No I/O; a set or stream sends what fails here to its dead letters.
        """
        return self._decoder.decode(data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MsgspecCodec):
            return False
        theirs = cast("MsgspecCodec[object]", other)
        return theirs.type == self.type and theirs.format == self.format

    def __hash__(self) -> int:
        return hash((MsgspecCodec, self.type, self.format))

    def __repr__(self) -> str:
        return (
            f"MsgspecCodec({getattr(self.type, '__qualname__', self.type)}, format={self.format!r})"
        )


class NamedTupleCodec(Generic[NT]):
    """A ``NamedTuple`` class stored as a JSON object of its fields (redset's format).

    Output is canonical (sorted keys, compact), so it deduplicates; objects
    written by redset's ``NamedtupleSerializer`` decode too.
    """

    binary: ClassVar[bool] = False

    def __init__(self, cls: type[NT]) -> None:
        given = cast(object, cls)  # an untyped caller may pass anything
        if not (isinstance(given, type) and issubclass(given, tuple)) or not hasattr(
            cls, "_fields"
        ):
            raise TypeError(f"NamedTupleCodec needs a NamedTuple class, not {cls!r}")
        self.cls = cls

    def dumps(self, obj: NT, /) -> bytes:
        """The fields as a canonical JSON object, checked by reading it back. No I/O.

        :class:`EncodeError` for another type, a field JSON cannot hold (a
        ``datetime``) or one of the wrong type (``Point("a", 2)`` for ``x: int``),
        so what is stored always reads back equal.
        """
        if not isinstance(obj, self.cls):  # pyright: ignore[reportArgumentType]  (a NamedTuple class, checked in __init__)
            raise EncodeError(
                f"NamedTupleCodec({self.cls.__qualname__}) cannot encode {type(obj).__name__}"
            )
        try:
            text = json.dumps(obj._asdict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
            self.loads(text.encode())
        except (TypeError, ValueError, msgspec.MsgspecError) as exc:
            raise EncodeError(f"NamedTupleCodec cannot encode {obj!r}: {exc}") from exc
        return text.encode()

    def loads(self, data: bytes, /) -> NT:
        """The tuple a JSON object of its fields holds (redset's rows too), validated. No I/O.

        Fields are converted by their annotations, nested ``NamedTuple`` and
        ``tuple`` fields included (JSON stores them as arrays): ``loads(dumps(x))
        == x``. A missing field takes its default; an unknown or missing one
        without a default, or a value of the wrong type, raises (and a set
        sends the item to its dead letters).
        """
        fields: object = json.loads(data)
        if not isinstance(fields, dict):
            raise ValueError(f"expected a JSON object, got {type(fields).__name__}")
        given = cast("dict[str, object]", fields)
        names: tuple[str, ...] = self.cls._fields
        unknown = sorted(given.keys() - set(names))
        if unknown:
            raise ValueError(f"{self.cls.__qualname__} has no fields {unknown}")
        defaults: dict[str, object] = self.cls._field_defaults
        values: list[object] = []
        for name in names:
            if name in given:
                values.append(given[name])
            elif name in defaults:
                values.append(defaults[name])
            else:
                raise ValueError(f"{self.cls.__qualname__} needs field {name!r}")
        return msgspec.convert(values, self.cls)

    def __eq__(self, other: object) -> bool:
        theirs: object = getattr(other, "cls", None)
        return isinstance(other, NamedTupleCodec) and theirs is self.cls

    def __hash__(self) -> int:
        return hash((NamedTupleCodec, self.cls))

    def __repr__(self) -> str:
        return f"NamedTupleCodec({self.cls.__qualname__})"


#: redset's name for :class:`NamedTupleCodec`.
NamedtupleSerializer = NamedTupleCodec
