"""Each blocking class and its asyncio twin offer the same methods: drift fails here.

Compared: public method names, parameters (name, kind, default, annotation)
and return annotations. The dunder protocols that cannot be awaited pair with
methods: ``__contains__`` with ``contains``, ``__len__`` with ``size``,
``__iter__`` with ``__aiter__``, the in-place operators with the named
``*_update`` methods. The binary operators and comparisons (``|``, ``<=``,
...) return or compare whole builtin sets and stay blocking-only. One
kind of difference is allowed each way: where the blocking twin takes an
``Iterable``, the async twin also takes an ``AsyncIterable`` (another async
set, say); where the blocking stream returns a mapping view, the async one
returns a list.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import pytest

from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import (
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.expiring_set import AsyncExpiringSet, ExpiringSet

PAIRS = [
    (SortedSet, AsyncSortedSet),
    (TimeSortedSet, AsyncTimeSortedSet),
    (ScheduledSet, AsyncScheduledSet),
    (PriorityStream, AsyncPriorityStream),
    (ExpiringSet, AsyncExpiringSet),
]
IDS = [pair[1].__name__ for pair in PAIRS]
#: Blocking dunder → the async twin's method (when the blocking class has the dunder).
PROTOCOLS = {
    "__contains__": "contains",
    "__len__": "size",
    "__iter__": "__aiter__",
    "__ior__": "union_update",
    "__iand__": "intersection_update",
    "__isub__": "difference_update",
    "__ixor__": "symmetric_difference_update",
}
#: Blocking return annotations the async twin returns in another form.
ASYNC_FORM = {
    "Iterator[T]": "AsyncIterator[T]",
    "Iterator[str]": "AsyncIterator[str]",
    "Self": "None",  # an in-place operator returns self; its named method returns None
    "KeysView[str]": "list[str]",
    "ValuesView[V]": "list[V]",
    "ItemsView[str, V]": "list[tuple[str, V]]",
    "Processing[T]": "AsyncProcessing[T]",
}
#: Async methods that return an async context manager rather than being coroutines.
CONTEXT_MANAGERS = {"processing"}


def public_methods(cls: type[Any]) -> dict[str, Callable[..., Any]]:
    return {
        attr: getattr(cls, attr)
        for attr in dir(cls)
        if not attr.startswith("_") and callable(getattr(cls, attr))
    }


def blocking_form(annotation: object) -> object:
    """The annotation with the async twin's extra ``| AsyncIterable[...]`` taken out."""
    if not isinstance(annotation, str):
        return annotation
    return re.sub(r" \| AsyncIterable\[\w+\]", "", annotation)


def shape(method: Callable[..., Any]) -> tuple[object, ...]:
    signature = inspect.signature(method)
    returns = signature.return_annotation
    return tuple(
        (p.name, p.kind, p.default, blocking_form(p.annotation))
        for p in signature.parameters.values()
    ), ASYNC_FORM.get(returns, returns)


@pytest.mark.parametrize(("sync", "twin"), PAIRS, ids=IDS)
def test_twins_have_the_same_public_methods(sync: type[Any], twin: type[Any]) -> None:
    assert sorted(public_methods(sync)) == sorted(public_methods(twin))
    assert twin.name is sync.name  # properties are shared, not copied


@pytest.mark.parametrize(("sync", "twin"), PAIRS, ids=IDS)
def test_twins_have_the_same_signatures_and_docs(sync: type[Any], twin: type[Any]) -> None:
    for attr, method in public_methods(sync).items():
        assert shape(getattr(twin, attr)) == shape(method), attr
        if attr in CONTEXT_MANAGERS:
            assert hasattr(inspect.signature(getattr(twin, attr)).return_annotation, "strip"), attr
        else:
            assert inspect.iscoroutinefunction(getattr(twin, attr)), attr
        assert method.__doc__, attr
        assert getattr(twin, attr).__doc__ == method.__doc__, attr


@pytest.mark.parametrize(("sync", "twin"), PAIRS, ids=IDS)
def test_unawaitable_protocols_have_async_methods(sync: type[Any], twin: type[Any]) -> None:
    for dunder, method in PROTOCOLS.items():
        if dunder == "__contains__" or dunder not in dir(sync):
            continue  # contains itself is a public method, compared above
        ours = inspect.signature(getattr(sync, dunder))
        theirs = inspect.signature(getattr(twin, method))
        assert len(ours.parameters) == len(theirs.parameters), dunder
        returns = ours.return_annotation
        assert theirs.return_annotation == ASYNC_FORM.get(returns, returns), dunder
        assert not hasattr(twin, dunder), f"{twin.__name__} should not offer {dunder}"
    assert not hasattr(twin, "__contains__")


def test_a_stream_is_subscripted_the_same_way_in_both() -> None:
    assert shape(AsyncPriorityStream.__getitem__) == shape(PriorityStream.__getitem__)
    assert inspect.iscoroutinefunction(AsyncPriorityStream.__getitem__)


def test_constructors_take_the_same_arguments() -> None:
    for sync, twin in PAIRS:
        assert vars(sync).get("__init__") is None, "one constructor, shared through a base"
        assert vars(twin).get("__init__") is None
        assert inspect.signature(sync) == inspect.signature(twin)
