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

import json
from collections.abc import Callable
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeAlias, TypeVar, cast, overload

import msgspec

from .errors import EncodeError

__all__ = [
    "BytesCodec",
    "JsonCodec",
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

#: Any value the stdlib ``json`` module round-trips.
JsonValue: TypeAlias = "bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None"


class _Stateless:
    """A codec without settings: all instances are equal."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class StrCodec(_Stateless):
    """Text items stored as UTF-8 (the default; what redset stores)."""

    binary: ClassVar[bool] = False

    def dumps(self, obj: str, /) -> bytes:
        if not isinstance(cast(object, obj), str):  # an untyped caller's item
            raise EncodeError(f"StrCodec encodes str, not {type(obj).__name__}")
        return obj.encode()

    def loads(self, data: bytes, /) -> str:
        return data.decode()


class BytesCodec(_Stateless):
    """Raw bytes, stored as they are."""

    binary: ClassVar[bool] = True

    def dumps(self, obj: bytes, /) -> bytes:
        if not isinstance(cast(object, obj), bytes | bytearray | memoryview):
            raise EncodeError(f"BytesCodec encodes bytes, not {type(obj).__name__}")
        return bytes(obj)

    def loads(self, data: bytes, /) -> bytes:
        return bytes(data)


class JsonCodec(_Stateless):
    """JSON through the stdlib ``json`` module, canonical (sorted keys, compact).

    NaN and infinities are refused: they are not JSON.
    """

    binary: ClassVar[bool] = False

    def dumps(self, obj: JsonValue, /) -> bytes:
        try:
            text = json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise EncodeError(f"JsonCodec cannot encode {type(obj).__name__}: {exc}") from exc
        return text.encode()

    def loads(self, data: bytes, /) -> JsonValue:
        value: JsonValue = json.loads(data)
        return value


class MsgspecCodec(Generic[T]):
    """A typed codec: msgspec encodes ``type`` as JSON or MessagePack and validates on decode.

    ``MsgspecCodec(Task)`` makes a ``SortedSet[Task]``. Output is deterministic
    (dict keys and set members sorted), so equal values deduplicate.
    """

    @overload
    def __init__(
        self: MsgspecCodec[U], type: type[U], format: Literal["json", "msgpack"] = ...
    ) -> None: ...
    @overload
    def __init__(
        self: MsgspecCodec[Any], type: Any, format: Literal["json", "msgpack"] = ...
    ) -> None: ...
    def __init__(self, type: Any, format: Literal["json", "msgpack"] = "json") -> None:
        if format == "json":
            self._encoder: msgspec.json.Encoder | msgspec.msgpack.Encoder = msgspec.json.Encoder(
                order="deterministic"
            )
            self._decoder: msgspec.json.Decoder[T] | msgspec.msgpack.Decoder[T] = (
                msgspec.json.Decoder(type)
            )
        elif format == "msgpack":
            self._encoder = msgspec.msgpack.Encoder(order="deterministic")
            self._decoder = msgspec.msgpack.Decoder(type)
        else:
            raise ValueError(f"format must be 'json' or 'msgpack', not {format!r}")
        self.type = type
        self.format = format
        self.binary = format == "msgpack"

    def dumps(self, obj: T, /) -> bytes:
        try:
            return self._encoder.encode(obj)
        except (TypeError, ValueError, msgspec.EncodeError) as exc:
            raise EncodeError(f"MsgspecCodec cannot encode {type(obj).__name__}: {exc}") from exc

    def loads(self, data: bytes, /) -> T:
        return self._decoder.decode(data)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MsgspecCodec)
            and other.type == self.type
            and other.format == self.format
        )

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
        self._build: Callable[..., NT] = cls

    def dumps(self, obj: NT, /) -> bytes:
        if not isinstance(obj, self.cls):  # pyright: ignore[reportArgumentType]  (a NamedTuple class, checked in __init__)
            raise EncodeError(
                f"NamedTupleCodec({self.cls.__qualname__}) cannot encode {type(obj).__name__}"
            )
        try:
            text = json.dumps(obj._asdict(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise EncodeError(f"NamedTupleCodec cannot encode {obj!r}: {exc}") from exc
        return text.encode()

    def loads(self, data: bytes, /) -> NT:
        fields = json.loads(data)
        if not isinstance(fields, dict):
            raise ValueError(f"expected a JSON object, got {type(fields).__name__}")
        return self._build(**fields)

    def __eq__(self, other: object) -> bool:
        theirs: object = getattr(other, "cls", None)
        return isinstance(other, NamedTupleCodec) and theirs is self.cls

    def __hash__(self) -> int:
        return hash((NamedTupleCodec, self.cls))

    def __repr__(self) -> str:
        return f"NamedTupleCodec({self.cls.__qualname__})"


#: redset's name for :class:`NamedTupleCodec`.
NamedtupleSerializer = NamedTupleCodec
