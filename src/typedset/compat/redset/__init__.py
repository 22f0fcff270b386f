"""redset 0.5's API on typedset's sets: change one import and keep your code.

``from typedset.compat.redset import TimeSortedSet`` replaces ``from redset
import TimeSortedSet``. The modules mirror redset's (``sets``,
``interfaces``, ``serializers``, ``exceptions``), so code and tests that
import ``redset`` run unchanged once the names are aliased::

    import sys
    import typedset.compat.redset as shim
    for sub in ("", ".sets", ".interfaces", ".serializers", ".exceptions"):
        sys.modules["redset" + sub] = sys.modules[shim.__name__ + sub]

Each class wraps the typedset set of the same name (``s.typed``): the items
live in the same Redis ZSET, at exactly ``name``, in the same bytes redset
writes, so redset processes, shim processes and typedset sets share one set
during a migration. What redset did with a client-side lock is one atomic
script here. One exception: **switch a ``ScheduledSet``'s consumers all at
once.** redset's ``ScheduledSet.pop``/``take`` read the due items, then
remove them without checking that they were still there, safe only among
processes that all hold redset's lock (``name__lock``), which the shim does
not take: next to a shim or typedset consumer, a redset one can hand out an
item that was already handed out (measured: 870 of 20,000 items twice with
three consumers of each). Producers of every kind mix safely, and so do
consumers of ``SortedSet`` and ``TimeSortedSet`` (redset removes their items
in one ``MULTI`` transaction).

Same as redset: constructor ``(redis_client, name, scorer=None,
serializer=None, lock_timeout=None, lock_expires=None)``, positional or by
name; ``add(item, score=None)`` returns the score; ``pop()`` raises
``KeyError`` when there is nothing to pop (a ``ScheduledSet`` when nothing is
due, as redset 0.5's tests pin); ``take(num)`` returns up to ``num`` items,
``[]`` for ``num < 1``; ``peek(position=0)`` raises ``KeyError`` past the
end; ``peek_score()`` and ``score(item)`` return ``None`` when there is
none; ``discard`` and ``clear`` return ``bool``; ``len`` and ``in`` see every
item and ``ScheduledSet.available()`` the due ones; a serializer without
``dumps``/``loads`` falls back to text for the missing one; ``serializer=json``
and :class:`~typedset.compat.redset.serializers.NamedtupleSerializer` write
redset's bytes (``json.dumps`` with its default ``", "``/``": "``
separators), so the same item is one member whoever added it.

Differences from redset
-----------------------

* **No lock.** ``lock_timeout`` and ``lock_expires`` are accepted and
  ignored with a ``DeprecationWarning``; there is no ``lock`` attribute and
  no ``redset.locks`` module, and ``exceptions.LockTimeout`` is never raised.
* **Clocks.** Default scores come from the client's ``time.time()``, as in
  redset, so that ``add`` returns the score it stored; a ``ScheduledSet``
  decides what is due on the Redis server's clock (redset used each
  consumer's clock). With clocks in step (NTP) nothing changes; an item
  added without a score by a client whose clock runs ahead of the server's
  falls due that much later.
* **A score of 0 counts.** ``add(item, score=0)`` stores 0 (redset replaced
  a falsy score by ``scorer(item)``, the current time in the time sets).
* **Falsy items are returned.** ``pop`` of ``""``, ``0`` or ``{}`` returns
  it (redset removed it and raised ``KeyError``: the item was lost).
* **Undecodable items are kept.** An item the serializer cannot ``loads``
  moves, raw bytes and reason, to the set's dead-letter store
  (``s.typed.dead_letters()``, ``s.typed.requeue_dead()``) instead of being
  deleted. ``pop`` logs it and raises ``KeyError`` as redset did, ``take``
  leaves it out as redset did, and ``peek`` skips it (redset's raised the
  serializer's error).
* **``loads`` always gets ``str``** (redset's ``peek`` passed ``bytes``).
  Stored bytes that are not UTF-8 go to the dead letters (redset's ``pop``
  raised ``UnicodeDecodeError`` and lost the item): for binary data use
  typedset's own sets with a binary codec.
* **Bad items are refused at the call.** Without a serializer the shim
  stores ``str``, ``bytes``, ``int`` and ``float`` as redis-py sends them;
  anything else (``bool``, ``None``, other objects), or an item the
  serializer cannot encode, raises :class:`typedset.EncodeError` (a
  ``TypeError``) and writes nothing, where redset let redis-py raise
  ``DataError``. ``item in s`` answers ``False`` for such an item.
  ``NamedtupleSerializer`` refuses another class's tuple when adding and
  converts fields by their annotations when reading (``tuple`` fields come
  back as tuples, not lists; a row whose values do not fit is built as
  stored, as redset built it).
* **``repr`` does no I/O**: ``<SortedSet name='jobs'>``, without redset's length.
* **``clear()``** answers whether the set held items just before it
  cleared, read in a round trip of its own: an item added in between is
  cleared but not counted. It also ends the leases of the typedset set
  underneath (dead letters are kept).
* **Fixed redset bugs.** ``TimeSortedSet(r, name, scorer)`` with a positional
  scorer works (redset raised ``TypeError``); a ``scorer`` that is not
  callable (a serializer passed first, in the scorer's place) raises
  ``TypeError`` in the constructor instead of at the first ``add``.
* **Attributes.** ``redis`` and ``serializer`` are read-only, ``scorer`` can
  be reassigned; ``typed`` is the typedset set underneath, for what redset
  lacks (leases with ``claim``/``ack``, iteration, blocking ``pop(timeout=)``).
* **Keys.** Next to the ZSET at ``name`` typedset keeps its own keys in the
  name's cluster slot (``{name}:kind``, and leases and dead letters when
  used); a name used by a typedset ``PriorityStream`` raises
  :class:`typedset.NameClashError`. Names those keys could not follow are
  refused with ``ValueError`` in the constructor: one with a ``}`` but no
  hash tag (``"jobs}"``), one that is all hash tag (``"{jobs}"``: use
  ``"jobs"``, or ``"{jobs}:q"``), and one that is another set's own key
  (``"{jobs}:dead"``); ``name`` must be a ``str``.
* **Typing.** The classes are generic: ``SortedSet(r, "k")`` is a
  ``SortedSet[str]``, ``serializer=NamedtupleSerializer(Task)`` makes a
  ``SortedSet[Task]``; ``interfaces.Serializer`` is a ``Protocol`` (subclass
  it or not, as before). A type checker flags ``add(1)`` on a text set (it
  pops ``'1'``) and a serializer without ``dumps``/``loads``, both of which
  still run.
* **Clients.** Any redis-py or valkey-py client, ``RedisCluster`` included,
  with any ``decode_responses``. No asyncio twins: redset had none (use
  ``typedset.aio``).
"""

from __future__ import annotations

from . import exceptions, interfaces, serializers, sets
from .sets import ScheduledSet, SortedSet, TimeSortedSet

__all__ = [
    "ScheduledSet",
    "SortedSet",
    "TimeSortedSet",
    "exceptions",
    "interfaces",
    "serializers",
    "sets",
]

#: The redset release whose API this module provides (code that checks
#: ``redset.__version__`` keeps working).
__version__ = "0.5.1"
