"""The Hypothesis state machine for ``PriorityStream``: the real stream and its model side by side.

It shares its driving with :mod:`typedset.testing.machine` (``Comparison``:
one client per side, sync or asyncio, every result compared) and draws
cool-downs that end at once or long after the run, so no comparison
depends on a deadline near "now"::

    from typedset.testing.machine import priority_stream_machine
    TestMyServer = priority_stream_machine(lambda: redis.Redis(...)).TestCase
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, cast

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from .._keys import stream_keys as _stream_keys
from ..priority_stream import AsyncPriorityStream, PriorityStream
from ..protocols import AsyncClient, SyncClient
from .machine import Comparison, items
from .stream_model import MemoryPriorityStream

__all__ = ["priority_stream_machine"]

stream_keys = st.sampled_from(["a", "b", "c", "d", "é", "", "a b"])
stream_scores = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
#: Cool-downs that end at once or long after the test: never on the edge of "now".
cool_downs = st.sampled_from(["in 0", "in 3600", "at past", "at future"])


def _cool_down(choice: str, now: float) -> dict[str, Any]:
    kind, when = choice.split()
    if kind == "in":
        return {"expire_in": timedelta(seconds=float(when))}
    offset = -1000.0 if when == "past" else 3600.0
    return {"expire_at": datetime.fromtimestamp(now + offset, tz=timezone.utc)}


def priority_stream_machine(
    client_factory: Callable[[], SyncClient],
    *,
    async_client_factory: Callable[[], AsyncClient] | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class comparing ``PriorityStream`` (or its async twin) with its model."""

    class PriorityStreamMachine(Comparison):
        factories = (client_factory, async_client_factory)

        @initialize(decay=st.sampled_from([0.0, 0.5, 1.0, 3.0]))
        def create(self, decay: float) -> None:
            name = f"machine:{uuid.uuid4().hex[:12]}"
            self.real = self._real(
                lambda client: PriorityStream(client, name, decay=decay),
                lambda client: AsyncPriorityStream(client, name, decay=decay),
            )
            self.model = MemoryPriorityStream(name, decay=decay, clock=self.clock)
            self.leftovers = (_stream_keys(name).kind,)

        def agree(self, call: Callable[[Any], Any]) -> None:
            """The same result (dicts in the same order), or KeyError from both."""
            result = self.both(call)
            if result is None:
                return
            expected, got = result
            assert got == expected, (got, expected)
            if isinstance(expected, dict):
                assert list(got) == list(cast("dict[object, object]", expected)), "same order"

        @rule(key=stream_keys, value=items, score=stream_scores, readd=st.booleans())
        def add(self, key: str, value: str, score: float, readd: bool) -> None:
            self.agree(lambda s: s.add(key, value, score, readd=readd))

        @rule(
            batch=st.lists(st.tuples(stream_keys, items, stream_scores), max_size=5),
            readd=st.booleans(),
        )
        def add_many(self, batch: list[tuple[str, str, float]], readd: bool) -> None:
            self.agree(lambda s: s.add_many(batch, readd=readd))

        @rule(
            count=st.integers(1, 4),
            purge=st.booleans(),
            gate=st.booleans(),
            cool_down=cool_downs,
        )
        def pull(self, count: int, purge: bool, gate: bool, cool_down: str) -> None:
            when = _cool_down(cool_down, self.clock())
            self.agree(lambda s: s.pull(count, purge=purge, gate=gate, **when))

        @rule(key=stream_keys, by=stream_scores)
        def increment(self, key: str, by: float) -> None:
            self.agree(lambda s: s.increment(key, by))

        @rule(by=stream_scores)
        def decrement_all(self, by: float) -> None:
            self.agree(lambda s: s.decrement_all(by))

        @rule(threshold=stream_scores, gate=st.booleans())
        def delete_below(self, threshold: float, gate: bool) -> None:
            self.agree(lambda s: s.delete_below(threshold, gate=gate))

        @rule(key=stream_keys)
        def read_one(self, key: str) -> None:
            self.agree(lambda s: s[key])
            self.agree(lambda s: (s.get(key), s.priority(key), key in s))

        @rule()
        def clear(self) -> None:
            self.agree(lambda s: s.clear())

        @invariant()
        def same_items_in_the_same_order(self) -> None:
            if hasattr(self, "real"):
                assert len(self.real) == len(self.model)
                assert list(self.real.items()) == list(self.model.items())

    return PriorityStreamMachine
