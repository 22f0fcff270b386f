"""``redset.serializers``: :class:`NamedtupleSerializer`, and :class:`RedsetJsonCodec`.

Both write exactly the bytes redset writes (``json.dumps`` with its default
separators ``", "`` and ``": "``, keys in the order given), so an item added
through the shim, through redset itself, or through a typedset set using
:class:`RedsetJsonCodec` is one member. typedset's own
:class:`~typedset.JsonCodec` and :class:`~typedset.NamedTupleCodec` write
canonical compact JSON instead: they read redset's members, but the same item
added through them is a second member.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, NamedTuple, TypeVar, cast

import msgspec

from ...codecs import JsonData, JsonValue, NamedTupleCodec
from ...errors import EncodeError
from ...protocols import Serializer as TypedSerializer
from .interfaces import Serializer

__all__ = ["NamedtupleSerializer", "RedsetJsonCodec"]

NT = TypeVar("NT", bound=NamedTuple)


class NamedtupleSerializer(Serializer[NT]):
    """A namedtuple class stored as the JSON object of its fields, as redset stores it.

    ``SortedSet(r, "tasks", serializer=NamedtupleSerializer(Task))`` is a
    ``SortedSet[Task]``. Writes ``json.dumps(task._asdict())``, byte for byte
    redset's; reads through typedset's :class:`~typedset.NamedTupleCodec`,
    so fields are converted by their annotations (``tuple`` fields come back
    as tuples); a row whose values do not fit the annotations (Python never
    enforced them, so redset stored and returned such rows) is built from the
    values as stored, as redset built it. A row with a field the class lacks,
    or without a required one, goes to the set's dead letters (redset's
    ``loads`` failed on it too). O(size of the tuple) each way; no I/O.
    """

    def __init__(self, NTClass: type[NT]) -> None:  # redset's parameter name
        self._codec = NamedTupleCodec(NTClass)  # refuses a class that is no namedtuple
        #: The namedtuple class, under redset's attribute name.
        self.NTClass = NTClass

    def loads(self, str_from_redis: str | bytes, /) -> NT:
        """The tuple the stored JSON object holds (missing fields take their defaults). No I/O."""
        data = str_from_redis.encode() if isinstance(str_from_redis, str) else str_from_redis
        try:
            return self._codec.loads(data)
        except msgspec.ValidationError:  # the values do not fit the annotations: as redset did
            fields: dict[str, object] = json.loads(data)  # an object: the codec checked it
            build = cast("Callable[..., NT]", self.NTClass)  # a NamedTuple class takes its fields
            return build(**fields)

    def dumps(self, nt_instance: NT, /) -> str:
        """``json.dumps(nt_instance._asdict())``, redset's text; :class:`EncodeError` otherwise.

        Refuses a tuple of another class, or a field JSON cannot hold. No I/O.
        """
        if not isinstance(nt_instance, self.NTClass):  # pyright: ignore[reportArgumentType]  (a namedtuple class)
            raise EncodeError(
                f"NamedtupleSerializer({self.NTClass.__qualname__}) cannot encode"
                f" {type(nt_instance).__name__}"
            )
        try:
            return json.dumps(nt_instance._asdict())
        except (TypeError, ValueError) as exc:
            raise EncodeError(f"NamedtupleSerializer cannot encode {nt_instance!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"NamedtupleSerializer({self.NTClass.__qualname__})"


class RedsetJsonCodec(TypedSerializer[JsonValue], Serializer[JsonValue]):
    """JSON exactly as redset's ``serializer=json`` writes it, for typedset sets and the shim.

    ``typedset.SortedSet(r, "k", serializer=RedsetJsonCodec())`` shares a set
    with redset producers: the same dict is the same member (redset wrote
    ``json.dumps(item)``: keys in insertion order, ``", "`` and ``": "``; so
    ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` are two members, as in
    redset). Typed like :class:`~typedset.JsonCodec`: writes any
    :data:`~typedset.JsonValue`, reads :data:`~typedset.JsonData`, and it
    is a serializer of both kinds (typedset's, which reads ``bytes``, and
    redset's, which reads ``str``), so ``SortedSet(r, "k",
    serializer=RedsetJsonCodec())`` is a ``SortedSet[JsonValue]`` either way.

    >>> RedsetJsonCodec().dumps({"b": 1, "a": [1, 2]})
    '{"b": 1, "a": [1, 2]}'

    O(size of the value) each way; no I/O.
    """

    binary: ClassVar[bool] = False

    def dumps(self, obj: JsonValue, /) -> str:
        """``json.dumps(obj)``, redset's text; :class:`EncodeError` if not JSON. No I/O."""
        try:
            return json.dumps(obj, default=_plain)
        except (TypeError, ValueError) as exc:
            raise EncodeError(f"RedsetJsonCodec cannot encode {type(obj).__name__}: {exc}") from exc

    def loads(self, data: str | bytes, /) -> JsonData:
        """The value the stored JSON holds (``dict`` and ``list``). No I/O."""
        value: JsonData = json.loads(data)
        return value

    def __eq__(self, other: object) -> bool:
        return type(other) is RedsetJsonCodec

    def __hash__(self) -> int:
        return hash(RedsetJsonCodec)

    def __repr__(self) -> str:
        return "RedsetJsonCodec()"


def _plain(value: object) -> object:
    """A ``Mapping`` or ``Sequence`` ``json`` does not know, as the equal ``dict`` or ``list``."""
    kind = type(value).__name__
    if isinstance(value, Mapping):
        return dict(cast("Mapping[object, object]", value))
    # bytes are a Sequence[int] but not JSON: refused, not written as numbers
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return list(cast("Sequence[object]", value))
    raise TypeError(f"Object of type {kind} is not JSON serializable")
