"""Server errors: recovered from when they mean "not here, not yet"; otherwise raised.

Raised errors are the client library's own exception classes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
import redis

from conftest import Flavour, Target
from typedset import PriorityStream, ScheduledSet, SortedSet, TimeSortedSet


def _flush_scripts(r: redis.Redis) -> None:
    r.script_flush()


@pytest.mark.parametrize("kind", [SortedSet, TimeSortedSet, ScheduledSet])
def test_a_script_flush_mid_run_is_recovered_from(
    flavour: Flavour, r: redis.Redis, name: str, kind: type[SortedSet[str]]
) -> None:
    s = flavour(kind(r, name))
    s.update(f"a{i}" for i in range(5))
    _flush_scripts(r)
    s.update(f"b{i}" for i in range(2500))  # a pipeline of script calls, each NOSCRIPT once
    assert len(s) == 2505
    _flush_scripts(r)
    assert s.peek() == "a0"
    _flush_scripts(r)
    assert len(s.take(5)) == 5
    _flush_scripts(r)
    s.add("late")
    assert "late" in s
    _flush_scripts(r)
    assert len(list(s)) == 2501


def test_a_script_flush_mid_run_is_recovered_from_by_streams(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "1", 1.0), ("b", "2", 2.0)])
    _flush_scripts(r)
    assert s.pull(1) == {"b": "2"}
    _flush_scripts(r)
    assert s["a"] == "1"
    _flush_scripts(r)
    assert s.increment("a", 2) == 3.0


def _response_error(target: Target) -> type[Exception]:
    errors: Any = importlib.import_module(f"{target.library}.exceptions")
    cls: type[Exception] = errors.ResponseError
    return cls


#: (collection kind, call): every call must raise the server's WRONGTYPE as the library's error.
WRONGTYPE_CALLS: list[tuple[type[Any], Callable[[Any], object]]] = [
    *(
        (TimeSortedSet, call)
        for call in [
            lambda s: s.add("x"),
            lambda s: s.add("x", 1.0),
            lambda s: s.update(["x", "y"]),
            lambda s: s.take(3),
            lambda s: s.pop(),
            lambda s: len(s),
            lambda s: "x" in s,
            lambda s: s.peek(),
            lambda s: list(s),
            lambda s: s.increment("x"),
            lambda s: s.__ior__({"x"}),
        ]
    ),
    *(
        (PriorityStream, call)
        for call in [
            lambda s: s.add("k", "v"),
            lambda s: s.pull(2),
            lambda s: s["k"],
            lambda s: len(s),
            lambda s: s.decrement_all(1),
        ]
    ),
]


@pytest.mark.parametrize(("kind", "call"), WRONGTYPE_CALLS)
def test_wrongtype_raises_the_client_librarys_own_error(
    flavour: Flavour,
    target: Target,
    r: redis.Redis,
    name: str,
    kind: type[Any],
    call: Callable[[Any], object],
) -> None:
    r.set(name, "a string, not a collection")
    s = flavour(kind(r, name))
    with pytest.raises(_response_error(target), match="WRONGTYPE"):
        call(s)
    assert r.get(name) == b"a string, not a collection"
