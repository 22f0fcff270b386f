"""Exceptions raised by typedset.

Bad input raises the builtin exception a Python user expects (``TypeError``,
``ValueError``, ``KeyError``); typedset's own classes subclass those, so
``except TypeError`` keeps working. Connection problems surface as redis-py's
own exceptions.
"""

from __future__ import annotations

__all__ = ["DecodeError", "EncodeError", "NameClashError", "TypedsetError"]


class TypedsetError(Exception):
    """Base class of typedset's own exceptions.

    Each subclass also derives from the builtin a Python user would catch
    (``TypeError``, ``ValueError``), so ``except ValueError`` keeps working.
    """


class EncodeError(TypedsetError, TypeError):
    """The serializer could not encode an item; nothing was written.

    Raised before anything is sent: a method that takes many items (``update``,
    ``add_many``) encodes them all first, so one bad item writes none of them.
    """


class DecodeError(TypedsetError, ValueError):
    """A stored item could not be decoded.

    From a sorted set (``pop``, ``processing``), the item has already been
    moved, raw bytes and reason, to the set's dead-letter store (see
    ``dead_letters()`` and ``requeue_dead()``); the methods that return
    several items (``take``, ``claim``, ``peek``, iteration) move such items
    and skip them instead of raising. From a priority stream's ``s[key]`` and
    ``get``, the value stays where it is; ``pull`` keeps undecodable values
    in ``dead_letters()`` and skips them.
    """

    def __init__(self, raw: bytes, reason: str) -> None:
        super().__init__(f"cannot decode stored item {raw[:80]!r}: {reason}")
        #: The stored bytes, exactly as they were in Redis.
        self.raw = raw
        #: Why the serializer refused them.
        self.reason = reason


class NameClashError(TypedsetError, ValueError):
    """The name already belongs to a collection of another kind on this server.

    Raised by the first operation of a collection whose name is taken, before
    anything of the other collection is changed. The two kinds keep different
    keys under the same name and would corrupt each other's items.
    """

    def __init__(self, name: str, found: str, wanted: str) -> None:
        super().__init__(
            f"{name!r} is already a {found} on this server (its key marks it so); "
            f"a {wanted} cannot share its keys: choose another name"
        )
        #: The collection name both use.
        self.name = name
        #: The kind the name belongs to.
        self.found = found
        #: The kind that asked for it.
        self.wanted = wanted
