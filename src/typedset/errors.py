"""Exceptions raised by typedset.

Bad input raises the builtin exception a Python user expects (``TypeError``,
``ValueError``, ``KeyError``); typedset's own classes subclass those, so
``except TypeError`` keeps working. Connection problems surface as redis-py's
own exceptions.
"""

from __future__ import annotations

__all__ = ["DecodeError", "EncodeError", "NameClashError", "TypedsetError"]


class TypedsetError(Exception):
    """Base class of typedset's own exceptions."""


class EncodeError(TypedsetError, TypeError):
    """The serializer could not encode an item; nothing was written."""


class DecodeError(TypedsetError, ValueError):
    """A stored item could not be decoded.

    The item has been moved, raw bytes and reason, to the collection's
    dead-letter store (see ``dead_letters()`` and ``requeue_dead()``).
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
