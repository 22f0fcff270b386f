"""The only place key names are formed.

The pending ZSET lives at exactly ``name`` so that a redset producer and a
typedset consumer can share it. Every other key of the collection must hash
to the same Redis Cluster slot, so that one script can touch them all: we
wrap the name in a hash tag (``{name}:dead``), or, when the name already
carries a tag (``jobs:{tenant1}``), we append to it (``jobs:{tenant1}:dead``).

A name without a valid hash tag that contains ``}`` cannot be wrapped (the
first ``}`` would end the tag early), so such names are refused.
"""

from __future__ import annotations

from binascii import crc_hqx
from dataclasses import dataclass

__all__ = [
    "EXPIRING_KIND",
    "SET_KIND",
    "STREAM_KIND",
    "ExpiringKeys",
    "SetKeys",
    "StreamKeys",
    "expiring_keys",
    "hash_tag",
    "key_slot",
    "set_keys",
    "stream_keys",
]

#: What a name's ``kind`` key says it is: the three set kinds share one key
#: layout (a TimeSortedSet producer may feed a ScheduledSet consumer); a
#: stream's differs.
SET_KIND = "sorted set"
STREAM_KIND = "priority stream"
#: An ``ExpiringSet``'s marker; it expires with the set (``lua/lib/expiring.lua`` says it too).
EXPIRING_KIND = "expiring set"

#: Redis Cluster's number of hash slots.
SLOTS = 16384


def hash_tag(key: str) -> str | None:
    """The part of ``key`` Redis Cluster hashes, when it is not the whole key."""
    start = key.find("{")
    if start == -1:
        return None
    end = key.find("}", start + 1)
    if end <= start + 1:  # no closing brace, or "{}"
        return None
    return key[start + 1 : end]


def key_slot(key: str | bytes) -> int:
    """The Redis Cluster hash slot of ``key``: CRC16 (XMODEM, ``crc_hqx``) of its hash tag."""
    text = key.decode("utf-8", "surrogateescape") if isinstance(key, bytes) else key
    tag = hash_tag(text)
    data = (text if tag is None else tag).encode("utf-8", "surrogateescape")
    return crc_hqx(data, 0) % SLOTS


def _sibling(name: str, suffix: str) -> str:
    if hash_tag(name) is not None:
        return f"{name}:{suffix}"
    return f"{{{name}}}:{suffix}"


#: The suffixes of a collection's other keys (``_sibling``), of every kind.
SUFFIXES = (
    "leased",
    "held",
    "deliveries",
    "dead",
    "fence",
    "kind",
    "done",
    "periodic",
    "values",
    "cooling",
    "gated",
)


def check_name(name: object) -> str:
    """Validate a collection name; return it.

    Besides the brace rule below, two kinds of names are refused because
    their keys would be another collection's: a name that is all hash tag
    (``"{jobs}"`` would share ``{jobs}:dead`` and the rest with ``"jobs"``),
    and a name that is one of another name's other keys (``"{jobs}:leased"``,
    ``"jobs:{t}:dead"``).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    if not name:
        raise ValueError("name must not be empty")
    tag = hash_tag(name)
    if tag is None and "}" in name:
        raise ValueError(
            f"name {name!r} has a '}}' but no hash tag, so its other keys could not share "
            "its cluster slot; add a tag such as 'jobs:{tenant}' or drop the brace"
        )
    if name == f"{{{tag}}}":
        raise ValueError(
            f"name {name!r} is all hash tag: its other keys would be those of {tag!r}; "
            f"use {tag!r} (its keys share one cluster slot already) or add to the name"
        )
    prefix, colon, suffix = name.rpartition(":")
    if colon and suffix in SUFFIXES and hash_tag(prefix) is not None:
        owner = prefix[1:-1] if prefix == f"{{{hash_tag(prefix)}}}" else prefix
        raise ValueError(
            f"name {name!r} is the {suffix!r} key of the collection {owner!r}; choose another name"
        )
    return name


@dataclass(frozen=True, slots=True)
class SetKeys:
    """Keys of one sorted set; all in one cluster slot.

    ``pending`` (a ZSET at exactly ``name``) holds the items waiting;
    ``leased`` (ZSET: member -> deadline), ``held`` (HASH: member -> token and
    original score) and ``deliveries`` (HASH: member -> count) hold the
    leases of ``claim``; ``fence`` counts the lease tokens handed out;
    ``dead`` keeps what could not be decoded or delivered; ``kind`` marks the
    name as a sorted set's (see ``claim_name.lua``); ``done`` (ZSET: member ->
    server time) remembers what was handed out or acked lately, for a set
    with ``unique_for``; ``periodic`` (HASH: member -> its schedule) holds the
    ``ScheduledSet.add_periodic`` items.
    """

    pending: str
    leased: str
    held: str
    deliveries: str
    dead: str
    fence: str
    kind: str
    done: str
    periodic: str

    @property
    def script_keys(self) -> tuple[str, str, str, str, str, str, str, str]:
        """The eight keys every lease-aware script takes, in order (see ``lua/lib/leases.lua``)."""
        return (
            self.pending,
            self.leased,
            self.held,
            self.deliveries,
            self.dead,
            self.fence,
            self.done,
            self.periodic,
        )


def set_keys(name: str) -> SetKeys:
    check_name(name)
    return SetKeys(
        pending=name,
        leased=_sibling(name, "leased"),
        held=_sibling(name, "held"),
        deliveries=_sibling(name, "deliveries"),
        dead=_sibling(name, "dead"),
        fence=_sibling(name, "fence"),
        kind=_sibling(name, "kind"),
        done=_sibling(name, "done"),
        periodic=_sibling(name, "periodic"),
    )


@dataclass(frozen=True, slots=True)
class StreamKeys:
    """Keys of one priority stream; all in one cluster slot.

    ``priorities`` (a ZSET at exactly ``name``) and ``values`` (a HASH) hold
    the items; ``cooling`` maps pulled keys to the end of their cool-down;
    ``gated`` holds keys barred from re-adding; ``dead`` keeps values that
    could not be decoded; ``kind`` marks the name as a
    stream's (see ``claim_name.lua``).
    """

    priorities: str
    values: str
    cooling: str
    gated: str
    dead: str
    kind: str

    @property
    def script_keys(self) -> tuple[str, str, str, str]:
        """The four keys every stream script takes, in order."""
        return (self.priorities, self.values, self.cooling, self.gated)

    @property
    def dead_letter_keys(self) -> tuple[str, str, str, str, str]:
        """The keys of the dead-letter scripts: the four of every stream script, then ``dead``."""
        return (*self.script_keys, self.dead)


def stream_keys(name: str) -> StreamKeys:
    check_name(name)
    return StreamKeys(
        priorities=name,
        values=_sibling(name, "values"),
        cooling=_sibling(name, "cooling"),
        gated=_sibling(name, "gated"),
        dead=_sibling(name, "dead"),
        kind=_sibling(name, "kind"),
    )


@dataclass(frozen=True, slots=True)
class ExpiringKeys:
    """Keys of one expiring set; all in one cluster slot.

    ``members`` (a ZSET at exactly ``name``: member -> deadline in milliseconds
    of server time), ``kind``, the name's marker, which expires with the
    last of the others, and ``dead`` (HASH: member bytes -> why, deadline and
    when), the members that could not be decoded.
    """

    members: str
    kind: str
    dead: str

    @property
    def script_keys(self) -> tuple[str, str, str]:
        """The three keys every expiring-set script takes, in order."""
        return (self.members, self.kind, self.dead)


def expiring_keys(name: str) -> ExpiringKeys:
    check_name(name)
    return ExpiringKeys(members=name, kind=_sibling(name, "kind"), dead=_sibling(name, "dead"))
