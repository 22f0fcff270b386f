"""What every collection is apart from its operations, and the two ways to drive them.

Each kind has a base class (``_SetBase``, ``_StreamBase``) built on
:class:`Collection` that holds the constructor and its type overloads. Its
blocking twin mixes in :class:`Blocking`, its asyncio twin :class:`Async`,
and each method of a twin is a line that hands a call or flow to ``_call``
or ``_flow``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterable, AsyncIterator, Callable, Coroutine, Iterable, Iterator
from functools import cache
from typing import Any, ClassVar, Generic, cast, get_args, get_origin
from weakref import WeakKeyDictionary

from typing_extensions import TypeVar

from ._backend import backend_for
from ._driver import adrive, drive
from ._durability import Durability, durable
from ._ops import Call, Flow, name_claim, run
from .codecs import StrCodec
from .protocols import AsyncClient, Serializer, SyncClient

__all__ = ["Async", "Blocking", "Collection", "default_codec", "share_docs"]

#: The client flavour: ``SyncClient`` or ``AsyncClient``.
C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E")
K = TypeVar("K")
S = TypeVar("S")

#: Fetches one page of a walk after a cursor: the entries and the next cursor (``None`` at the end).
Page = Callable[[K | None], Flow[tuple[list[E], K | None]]]


#: Per client backend, the (name, kind) pairs whose kind marker was checked.
_checked: WeakKeyDictionary[Any, set[tuple[str, str]]] = WeakKeyDictionary()


class Collection(Generic[C, T]):
    """A named collection of items stored with one codec, on one client.

    The first operation of a name on a client first checks the name's kind
    marker (``name_claim``): a sorted set and a priority stream given the
    same name get :class:`~typedset.NameClashError` instead of sharing keys.
    That check is one more round trip, once per name, kind and client.
    """

    _asyncio: ClassVar[bool] = False
    #: What the name's ``kind`` key says (``_keys.SET_KIND`` or ``STREAM_KIND``).
    _kind: ClassVar[str]
    _client: C
    _backend: Any
    _codec: Serializer[T]
    _name: str
    _named: bool
    _durability: Durability | None

    def _bind(
        self, client: C, name: str, codec: Serializer[T], durability: Durability | None
    ) -> None:
        """Refuse a client of the wrong flavour (before anything is sent); keep it."""
        self._durability = check_durability(durability)
        self._backend = backend_for(client, asyncio=self._asyncio)
        self._client = client
        self._name = name
        self._codec = codec
        self._named = (name, self._kind) in _checked.get(self._backend, ())

    def _checked_first(self, flow: Flow[R]) -> Flow[R]:
        """``flow``, run after the name's kind marker was checked (once per client).

        The flow takes its first step before the check, so bad input (which
        a flow refuses before its first step) still writes nothing at all.
        """
        try:
            step = next(flow)
        except StopIteration as done:  # finished without I/O (``take(0)``)
            return cast("R", done.value)
        yield from self._check_name()
        while True:
            answer = yield step
            try:
                step = flow.send(answer)
            except StopIteration as done:
                return cast("R", done.value)

    def _check_name(self) -> Flow[None]:
        """Mark the name as this kind's, or raise :class:`~typedset.NameClashError`."""
        yield from run(name_claim(self._name, self._kind))
        _checked.setdefault(self._backend, set()).add((self._name, self._kind))
        self._named = True

    def _start(self, flow: Flow[R]) -> Flow[R]:
        if self._durability is not None:
            flow = durable(flow, self._durability, self._name)
        return flow if self._named else self._checked_first(flow)

    @property
    def name(self) -> str:
        """The key the collection's items live at; its other keys share its cluster slot.

        No I/O; O(1).
        """
        return self._name

    @property
    def durability(self) -> Durability | None:
        """What each write waits for before the call returns (``None``: nothing). No I/O; O(1).

        See :class:`~typedset.Durability`: with ``Durability(replicas=1)``
        every write is followed by ``WAIT 1`` in the same round trip.
        """
        return self._durability

    @property
    def serializer(self) -> Serializer[T]:
        """The codec items are stored with (``StrCodec()`` unless given). No I/O; O(1)."""
        return self._codec

    def __repr__(self) -> str:
        """``SortedSet('jobs', serializer=StrCodec())``: name and codec, no I/O."""
        return f"{type(self).__name__}({self._name!r}, serializer={self._codec!r})"


class Blocking(Collection[SyncClient, T]):
    """Runs calls and flows to their results on a blocking client."""

    def _call(self, call: Call[R]) -> R:
        return drive(self._backend, self._start(run(call)))

    def _flow(self, flow: Flow[R]) -> R:
        return drive(self._backend, self._start(flow))

    def _paged(self, page: Page[K, E]) -> Iterator[E]:
        """Every entry of a walk, one page (one round trip) at a time."""
        cursor: K | None = None
        while True:
            entries, cursor = self._flow(page(cursor))
            yield from entries
            if cursor is None:
                return


class Async(Collection[AsyncClient, T]):
    """Runs calls and flows as coroutines on an asyncio client."""

    _asyncio = True

    # Plain functions returning the driver's coroutine: no extra coroutine per call.
    def _call(self, call: Call[R]) -> Coroutine[object, None, R]:
        return adrive(self._backend, self._start(run(call)))

    def _flow(self, flow: Flow[R]) -> Coroutine[object, None, R]:
        return adrive(self._backend, self._start(flow))

    async def _paged(self, page: Page[K, E]) -> AsyncIterator[E]:
        """Every entry of a walk, one page (one round trip) at a time."""
        cursor: K | None = None
        while True:
            entries, cursor = await self._flow(page(cursor))
            for entry in entries:
                yield entry
            if cursor is None:
                return


def share_docs(twin: type[Any], original: type[Any], renamed: dict[str, str]) -> None:
    """Give each async method without a docstring the docstring of its blocking twin."""
    for attr, value in vars(twin).items():
        blocking = getattr(original, renamed.get(attr, attr), None)
        if inspect.isfunction(value) and value.__doc__ is None and blocking is not None:
            value.__doc__ = blocking.__doc__


@cache
def _fixed_item_type(cls: type) -> object:
    """The item type a subclass fixed in its bases (``class Jobs(SortedSet[Task])``), or ``str``.

    The last type argument of the nearest parametrised generic base that is not
    a type variable; ``str`` when none fixes one.
    """
    for klass in cls.__mro__:
        for base in cast("tuple[object, ...]", getattr(klass, "__orig_bases__", ())):
            if get_origin(base) is None or get_origin(base) is Generic:
                continue
            args = get_args(base)
            if args and not isinstance(args[-1], typing.TypeVar):
                return args[-1]
    return str


def default_codec(owner: type, serializer: Serializer[T] | None) -> Serializer[T]:
    """``serializer``, or :class:`StrCodec` when none is given.

    A subclass that fixes another item type (``class Jobs(SortedSet[Task])``)
    and is built without a serializer would store ``str`` under a ``Task``
    type, which mypy does not catch (it checks the ``str`` overload's ``self``
    only in the class declaring it): refused with ``TypeError``.
    """
    if serializer is not None:
        return serializer
    fixed = _fixed_item_type(owner)
    if fixed is not str:
        name = getattr(fixed, "__qualname__", repr(fixed))
        raise TypeError(
            f"{owner.__qualname__} holds {name}: pass serializer= (without one it stores str)"
        )
    return cast("Serializer[T]", StrCodec())


def check_durability(durability: object) -> Durability | None:
    """``durability`` if it is ``None`` or a :class:`Durability`; ``TypeError`` otherwise."""
    if durability is None or isinstance(durability, Durability):
        return durability
    raise TypeError(f"durability must be a typedset.Durability or None, not {durability!r}")


async def collect(items: Iterable[S] | AsyncIterable[S]) -> Iterable[S]:
    """``items`` as a plain iterable: an async iterable (another async set, say) is read first."""
    if isinstance(items, AsyncIterable):
        return [item async for item in items]
    return items
