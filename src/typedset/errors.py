"""Exceptions raised by typedset.

Bad input raises the builtin exception a Python user expects (``TypeError``,
``ValueError``, ``KeyError``); typedset's own classes for bad input subclass
those, so ``except TypeError`` keeps working. :class:`DurabilityError` is
about the servers, not the input, and subclasses only
:class:`TypedsetError`. Connection problems surface as redis-py's own
exceptions.
"""

from __future__ import annotations

__all__ = ["DecodeError", "DurabilityError", "EncodeError", "NameClashError", "TypedsetError"]


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
    and skip them instead of raising. A priority stream does the same: its
    ``s[key]`` and ``get`` raise after moving the value (with its key and
    priority) to the stream's dead letters; ``pull``, ``values()`` and
    ``items()`` move such values and skip them.
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
            f"{name!r} is already {_article(found)} {found} on this server (its key marks it "
            f"so); {_article(wanted)} {wanted} cannot share its keys: choose another name"
        )
        #: The collection name both use.
        self.name = name
        #: The kind the name belongs to.
        self.found = found
        #: The kind that asked for it.
        self.wanted = wanted


def _article(kind: str) -> str:
    """``"an"`` before a kind that starts with a vowel ("an expiring set"), else ``"a"``."""
    return "an" if kind[:1].lower() in ("a", "e", "i", "o", "u") else "a"


class DurabilityError(TypedsetError):
    """A write was applied on its master but not confirmed by the replicas (or AOF) in time.

    Raised by a collection made with ``durability=`` when ``WAIT`` (or
    ``WAITAOF``) counted fewer copies than asked for within the timeout. The
    write is *not* undone: it is on the master and may yet reach the
    replicas, or be lost if the master fails before they have it (Redis
    replication is asynchronous). ``result`` is what the call returned, so
    the items of a ``pop``, ``take`` or ``claim`` are not lost with the
    error.
    """

    def __init__(
        self,
        op: str,
        name: str,
        result: object,
        replicas: int,
        wanted: int,
        local_aof: int | None,
        refused: str | None = None,
    ) -> None:
        copies = f"{replicas} of {wanted} replica(s)"
        if local_aof is not None:
            copies += f", local AOF {'yes' if local_aof else 'no'}"
        why = f" (the server refused the wait: {refused})" if refused else ""
        super().__init__(
            f"typedset {op} on {name!r} was applied on the master but confirmed by {copies} "
            f"in time{why}; it may be lost if the master fails now (the result is .result)"
        )
        #: What the operation returned (the items of a ``pop``, ``take`` or ``claim``).
        self.result = result
        #: How many replicas confirmed the write in time.
        self.replicas = replicas
        #: How many were asked for.
        self.wanted = wanted
