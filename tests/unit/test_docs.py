"""Every public name is documented, and each collection method states what it costs.

Walked: ``typedset.__all__``, ``typedset.aio.__all__``,
``typedset.testing.__all__``, ``typedset.codecs.__all__`` and the public
classes of ``typedset.errors``; of each class, every public method and
property, and the protocol dunders (``__len__``, ``__ior__``, ``__enter__``,
...), that typedset's own code defines. What a class inherits unchanged from
``object``, ``Exception``, ``msgspec.Struct`` or an ABC is documented there.
Constructors are documented by their class's docstring, as are struct fields.

The Redis-backed collections, blocking and asyncio, say in each method's
docstring what it costs, as sortedcontainers' docs do: its network round
trips ("One round trip", "No I/O") and its complexity ("O(log N)").
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

import typedset
import typedset.aio
import typedset.codecs
import typedset.errors
import typedset.testing
from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet
from typedset.aio import (
    AsyncPriorityStream,
    AsyncScheduledSet,
    AsyncSortedSet,
    AsyncTimeSortedSet,
)
from typedset.expiring_set import AsyncExpiringSet, ExpiringSet

#: The namespaces whose ``__all__`` is the public API.
NAMESPACES = (typedset, typedset.aio, typedset.testing, typedset.codecs)

#: Dunders that are part of what a class does, so they are documented like methods.
#: (``__init__`` is the class docstring's; ``__repr__``, ``__eq__`` and ``__hash__``
#: are value plumbing.)
PROTOCOL_DUNDERS = frozenset(
    {
        "__contains__",
        "__len__",
        "__iter__",
        "__aiter__",
        "__getitem__",
        "__or__",
        "__and__",
        "__sub__",
        "__xor__",
        "__ior__",
        "__iand__",
        "__isub__",
        "__ixor__",
        "__le__",
        "__lt__",
        "__ge__",
        "__gt__",
        "__enter__",
        "__exit__",
        "__aenter__",
        "__aexit__",
        "__call__",
    }
)

#: The Redis-backed collections: each method states its round trips and complexity.
COLLECTIONS: tuple[type[Any], ...] = (
    SortedSet,
    TimeSortedSet,
    ScheduledSet,
    PriorityStream,
    AsyncSortedSet,
    AsyncTimeSortedSet,
    AsyncScheduledSet,
    AsyncPriorityStream,
    ExpiringSet,
    AsyncExpiringSet,
)


def _sources() -> Iterator[tuple[str, Path]]:
    """``(module name, file)`` of every module of the package, read but not imported."""
    root = Path(typedset.__file__).parent
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _assigned_in(path: Path, name: str) -> bool:
    """Whether the module at ``path`` assigns ``name`` at top level (defines, not imports, it)."""
    for node in ast.parse(path.read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def home(name: str, obj: object) -> str:
    """The module that defines a public name: a class's or function's own, or an alias's."""
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__
    found = [module for module, path in _sources() if _assigned_in(path, name)]
    assert len(found) == 1, f"{name} is assigned in {found}"
    return found[0]


def public_names() -> dict[str, tuple[str, object]]:
    """``{"namespace.Name": (home module, object)}`` of everything public."""
    names: dict[str, tuple[str, object]] = {}
    for namespace in NAMESPACES:
        for name in namespace.__all__:
            obj = getattr(namespace, name)
            names[f"{namespace.__name__}.{name}"] = (home(name, obj), obj)
    for name, obj in vars(typedset.errors).items():
        if inspect.isclass(obj) and obj.__module__ == "typedset.errors":
            names[f"typedset.errors.{name}"] = ("typedset.errors", obj)
    return names


PUBLIC = {name: obj for name, (module, obj) in public_names().items()}
CLASSES: dict[str, type[Any]] = {name: obj for name, obj in PUBLIC.items() if inspect.isclass(obj)}


def alias_comment(module_name: str, name: str) -> str:
    """The ``#:`` comment above an alias's assignment (how Sphinx documents one)."""
    lines = inspect.getsource(importlib.import_module(module_name)).splitlines()
    for at, line in enumerate(lines):
        if line.startswith((f"{name} =", f"{name}:")):
            start = at
            while start > 0 and lines[start - 1].startswith("#:"):
                start -= 1
            return " ".join(comment[2:].strip() for comment in lines[start:at])
    raise AssertionError(f"{name} is not assigned in {module_name}")


def members(cls: type[Any]) -> dict[str, str | None]:
    """``{attr: docstring}`` of the methods and properties typedset's code gives ``cls``."""
    found: dict[str, str | None] = {}
    for attr in dir(cls):
        if attr.startswith("_") and attr not in PROTOCOL_DUNDERS:
            continue
        raw = inspect.getattr_static(cls, attr)
        function: Callable[..., Any] | None = None
        if isinstance(raw, property):
            function = raw.fget
        elif isinstance(raw, staticmethod | classmethod):
            function = raw.__func__
        elif inspect.isfunction(raw):
            function = raw
        module = getattr(function, "__module__", None) or ""
        if module.startswith("typedset"):
            found[attr] = raw.__doc__
    return found


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_name_has_a_docstring(name: str) -> None:
    obj = PUBLIC[name]
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
    else:
        assert alias_comment(home(name.rpartition(".")[2], obj), name.rpartition(".")[2])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_public_method_and_property_has_a_docstring(name: str) -> None:
    undocumented = [attr for attr, doc in members(CLASSES[name]).items() if not (doc or "").strip()]
    assert undocumented == [], f"{name}: no docstring on {undocumented}"


@pytest.mark.parametrize("cls", COLLECTIONS, ids=lambda cls: cls.__name__)
def test_each_collection_method_states_its_round_trips_and_complexity(cls: type[Any]) -> None:
    found = members(cls)
    assert "add" in found, "the walk found no methods"
    silent = [
        attr
        for attr, doc in found.items()
        if not any(cost in (doc or "").lower() for cost in ("round trip", "no i/o"))
    ]
    assert silent == [], f"{cls.__name__}: no round trips stated by {silent}"
    vague = [attr for attr, doc in found.items() if "O(" not in (doc or "")]
    assert vague == [], f"{cls.__name__}: no complexity stated by {vague}"


@pytest.mark.parametrize("cls", COLLECTIONS, ids=lambda cls: cls.__name__)
def test_each_collection_class_shows_a_round_trip_and_its_costs(cls: type[Any]) -> None:
    doc = cls.__doc__ or ""
    assert ">>>" in doc, f"{cls.__name__}: no example"
    assert "O(" in doc, f"{cls.__name__}: no complexity of its common operations"


@pytest.mark.parametrize(
    "name", sorted(name for name, cls in CLASSES.items() if issubclass(cls, msgspec.Struct))
)
def test_each_struct_field_is_named_in_its_class_docstring(name: str) -> None:
    cls: type[msgspec.Struct] = CLASSES[name]
    doc = cls.__doc__ or ""
    missing = [field for field in cls.__struct_fields__ if f"``{field}``" not in doc]
    assert missing == [], f"{name}: fields not documented: {missing}"


def test_the_walk_sees_the_public_api() -> None:
    """A guard for the walk itself: it must not silently skip what it is meant to check."""
    assert {"typedset.SortedSet", "typedset.aio.AsyncPriorityStream", "typedset.Lease"} <= set(
        CLASSES
    )
    assert "typedset.testing.find_server_binary" in PUBLIC
    assert "typedset.errors.TypedsetError" in CLASSES
    assert {"__len__", "__ior__", "name", "claim"} <= set(members(SortedSet))


def test_the_codecs_examples_run() -> None:
    """The round trips shown in typedset.codecs' docstrings are what the codecs do."""
    import doctest

    import typedset.codecs

    result = doctest.testmod(typedset.codecs, raise_on_error=False)
    assert result.attempted >= 5
    assert result.failed == 0
