"""Each in-memory model offers exactly the public API of the class it models: drift fails here.

A model is a test double: a user swaps it for the real class in a unit
test, so it must take and return the same things. Compared for each kind,
the blocking model with the blocking class and the async model with the
asyncio twin: the public names (methods and properties), and the dunders
typedset itself defines (``__contains__``, the operators, ``__aiter__``,
...); each method's parameters (name, kind, default, annotation), return
annotation, ``@overload`` variants and coroutine-ness. The constructor is
the one documented difference: a model has no ``client``, its ``name``
defaults to ``"memory"``, and it takes a ``clock``. The type variable's
name is not API (a stream's is ``V``, the base it inherits ``serializer``
from says ``T``).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from typing_extensions import get_overloads

from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import AsyncPriorityStream, AsyncScheduledSet, AsyncSortedSet, AsyncTimeSortedSet
from typedset.expiring_set import AsyncExpiringSet, ExpiringSet
from typedset.testing import (
    AsyncMemoryPriorityStream,
    AsyncMemoryScheduledSet,
    AsyncMemorySortedSet,
    AsyncMemoryTimeSortedSet,
    MemoryPriorityStream,
    MemoryScheduledSet,
    MemorySortedSet,
    MemoryTimeSortedSet,
)
from typedset.testing.expiring_model import AsyncMemoryExpiringSet, MemoryExpiringSet

PAIRS: list[tuple[type[Any], type[Any]]] = [
    (MemorySortedSet, SortedSet),
    (MemoryTimeSortedSet, TimeSortedSet),
    (MemoryScheduledSet, ScheduledSet),
    (MemoryPriorityStream, PriorityStream),
    (AsyncMemorySortedSet, AsyncSortedSet),
    (AsyncMemoryTimeSortedSet, AsyncTimeSortedSet),
    (AsyncMemoryScheduledSet, AsyncScheduledSet),
    (AsyncMemoryPriorityStream, AsyncPriorityStream),
    (MemoryExpiringSet, ExpiringSet),
    (AsyncMemoryExpiringSet, AsyncExpiringSet),
]
IDS = [model.__name__ for model, _ in PAIRS]
ANY = re.compile(r"\bAny\b")


def public_api(cls: type[Any]) -> dict[str, Any]:
    """Public methods and properties, and the dunders written in typedset, as stored."""
    api: dict[str, Any] = {}
    for attr in dir(cls):
        value = inspect.getattr_static(cls, attr)
        if attr == "__init__":
            continue  # compared on its own, with the documented difference
        if attr.startswith("__") and attr.endswith("__"):
            function = value.__func__ if isinstance(value, classmethod | staticmethod) else value
            if inspect.isfunction(function) and function.__module__.startswith("typedset"):
                api[attr] = value
        elif not attr.startswith("_"):
            api[attr] = value
    return api


def normal(annotation: object) -> object:
    return re.sub(r"\bV\b", "T", annotation) if isinstance(annotation, str) else annotation


def shape(signature: inspect.Signature, skip: tuple[str, ...] = ()) -> tuple[object, ...]:
    return tuple(
        (p.name, p.kind, p.default, normal(p.annotation))
        for p in signature.parameters.values()
        if p.name not in skip
    ), normal(signature.return_annotation)


def function_of(value: Any) -> Any:
    """The function behind a method, classmethod or property (its getter)."""
    if isinstance(value, property):
        return value.fget
    return value.__func__ if isinstance(value, classmethod | staticmethod) else value


def described(value: Any) -> tuple[object, ...]:
    """What a caller sees of one attribute: its sort, signature(s), and whether it is awaited."""
    function = function_of(value)
    if isinstance(value, property):
        return "property", value.fset is None, shape(inspect.signature(function))
    sort = type(value).__name__
    variants = [shape(inspect.signature(variant)) for variant in get_overloads(function)]
    return (
        sort,
        shape(inspect.signature(function)),
        variants,
        inspect.iscoroutinefunction(function),
        inspect.isasyncgenfunction(function),
    )


def drift(model: type[Any], real: type[Any]) -> list[str]:
    """Every way the model's API differs from its class's, one line each."""
    ours, theirs = public_api(model), public_api(real)
    found = [f"missing: {attr}" for attr in sorted(theirs.keys() - ours.keys())]
    found += [f"extra: {attr}" for attr in sorted(ours.keys() - theirs.keys())]
    for attr in sorted(ours.keys() & theirs.keys()):
        mine, wanted = described(ours[attr]), described(theirs[attr])
        if mine != wanted:
            found.append(f"{attr}: {mine} != {wanted}")
    return found


@pytest.mark.parametrize(("model", "real"), PAIRS, ids=IDS)
def test_a_model_has_the_public_api_of_its_class(model: type[Any], real: type[Any]) -> None:
    assert drift(model, real) == []


def constructor(cls: type[Any], overload: Any = None) -> tuple[object, ...]:
    """The constructor as the model's would be: no ``client``, ``name="memory"``, no ``clock``."""
    signature = inspect.signature(cls if overload is None else overload)
    parameters = [
        p.replace(default="memory") if p.name == "name" else p
        for p in signature.parameters.values()
        if p.name not in ("self", "client", "clock")
    ]
    return shape(signature.replace(parameters=parameters))


def defined_init(cls: type[Any]) -> Any:
    """The ``__init__`` that runs (its ``@overload`` variants are registered on it)."""
    return next(vars(base)["__init__"] for base in cls.__mro__ if "__init__" in vars(base))


@pytest.mark.parametrize(("model", "real"), PAIRS, ids=IDS)
def test_a_model_is_built_like_its_class_but_for_client_and_clock(
    model: type[Any], real: type[Any]
) -> None:
    assert constructor(model) == constructor(real)
    clock = inspect.signature(model).parameters["clock"]
    assert (clock.kind, clock.annotation) == (clock.KEYWORD_ONLY, "Callable[[], float]")
    assert "client" not in inspect.signature(model).parameters
    ours, theirs = get_overloads(defined_init(model)), get_overloads(defined_init(real))
    assert [constructor(model, o) for o in ours] == [constructor(real, o) for o in theirs]


@pytest.mark.parametrize(("model", "real"), PAIRS, ids=IDS)
def test_every_public_name_of_a_model_is_documented(model: type[Any], real: type[Any]) -> None:
    assert model.__doc__
    for attr, value in public_api(model).items():
        if not attr.startswith("_"):
            assert function_of(value).__doc__, f"{model.__name__}.{attr}"


@pytest.mark.parametrize(("model", "real"), PAIRS, ids=IDS)
def test_no_public_signature_of_a_model_mentions_any(model: type[Any], real: type[Any]) -> None:
    variants = [("__init__", o) for o in get_overloads(defined_init(model))]
    for attr, value in public_api(model).items():
        function = function_of(value)
        variants += [(attr, o) for o in get_overloads(function) or [function]]
    assert variants
    for attr, variant in variants:
        annotations = [str(a) for a in variant.__annotations__.values()]
        assert not [a for a in annotations if ANY.search(a)], f"{model.__name__}.{attr}"


def test_the_api_check_sees_a_missing_method_and_a_drifted_annotation() -> None:
    class Longer(SortedSet[str]):
        def extra(self) -> None:
            """A method its model lacks."""

    class Drifted(MemorySortedSet[str]):
        def score(self, item: str) -> float:  # was float | None
            """Drifted."""
            return 0.0

    assert drift(MemorySortedSet, Longer) == ["missing: extra"]
    [found] = drift(Drifted, SortedSet)
    assert found.startswith("score: ")
