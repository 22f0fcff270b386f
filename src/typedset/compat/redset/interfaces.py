"""``redset.interfaces``: the :class:`Serializer` shape a redset serializer has.

A serializer need not subclass :class:`Serializer`: any object with
``dumps`` and ``loads`` fits, the ``json`` module included, as in redset.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

__all__ = ["Serializer"]

T = TypeVar("T")


@runtime_checkable  # redset's code checks isinstance(x, Serializer), as redset allowed
class Serializer(Protocol[T]):
    """How a redset set turns items into the text stored in Redis, and back.

    ``dumps(obj)`` gives the stored ``str`` (or ``bytes``); ``loads`` gets
    that text back as ``str`` (UTF-8 decoded). Subclass it, as redset's
    users do (``class JsonSerializer(Serializer): ...``), or pass any object
    with the two methods: ``SortedSet(r, "k", serializer=json)``.
    ``Serializer[Task]`` is one that makes a set of ``Task``.
    ``isinstance(x, Serializer)`` works, as in redset, and is also true of
    an object with the two methods that does not subclass it (redset: false).
    No I/O.
    """

    def loads(self, str_from_redis: str, /) -> T:
        """The item the stored text ``str_from_redis`` holds. No I/O."""
        ...

    def dumps(self, obj: T, /) -> str | bytes:
        """The text stored for ``obj``; equal items must give equal text. No I/O."""
        ...
