"""How the shim stores an item: a redset serializer seen as a typedset codec.

redset handed ``serializer.dumps(item)`` (or the item itself, when the
serializer has no ``dumps``) to redis-py, which sends ``str`` as UTF-8,
``bytes`` as they are and numbers as their ``repr``; reading, it decoded the
stored bytes as UTF-8 and handed the text to ``serializer.loads`` (or
returned the text). :class:`RedsetCodec` does exactly that, so the shim and
redset write the same bytes for the same item: one member, whichever of the
two added it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, cast

from ...errors import EncodeError

T = TypeVar("T")


def stored_bytes(value: object) -> bytes:
    """The bytes redis-py sends for ``value``, as redset relied on; :class:`EncodeError` else.

    ``str`` as UTF-8, ``bytes`` unchanged, ``int`` and ``float`` as their
    ``repr``; ``bool`` and anything else are refused, as redis-py 3 and
    later refuse them (redset passed them through). No I/O.
    """
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value).encode()
    raise EncodeError(
        f"redset stores str, bytes, int or float, not {type(value).__name__}:"
        " pass a serializer for other items"
    )


class RedsetCodec(Generic[T]):
    """A redset ``serializer`` (or none: text) as the codec of a typedset set.

    ``dumps`` and ``loads`` are looked up once, each on its own, as redset
    fell back for each missing one: a serializer without ``dumps`` stores
    the item as text, one without ``loads`` returns the stored text.
    """

    binary: ClassVar[bool] = False

    def __init__(self, serializer: object) -> None:
        self.serializer = serializer
        self._dumps: Any = getattr(serializer, "dumps", None)
        self._loads: Any = getattr(serializer, "loads", None)

    def dumps(self, obj: T, /) -> bytes:
        """``serializer.dumps(obj)`` (or ``obj``) as the bytes redis-py would send. No I/O."""
        value: object = obj if self._dumps is None else self._dumps(obj)
        return stored_bytes(value)

    def loads(self, data: bytes, /) -> T:
        """``serializer.loads`` of the stored text (or the text itself). No I/O.

        Bytes that are not UTF-8 raise ``UnicodeDecodeError``: the set moves
        them to its dead-letter store (redset's ``pop`` failed there too).
        """
        text = bytes(data).decode()
        if self._loads is None:
            return cast(T, text)
        item: T = self._loads(text)
        return item

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RedsetCodec) and other.serializer is self.serializer

    def __hash__(self) -> int:
        return hash((RedsetCodec, id(self.serializer)))

    def __repr__(self) -> str:
        return f"RedsetCodec({self.serializer!r})"
