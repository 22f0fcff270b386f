"""The Hypothesis state machine for ``PriorityStream``: the real stream and its model side by side.

It shares its driving with :mod:`typedset.testing.machine` (``Comparison``:
one client per side, sync or asyncio, every result compared) and draws
cool-downs that end at once or long after the run, so no comparison
depends on a deadline near "now". Dead letters are exercised by storing
bytes that are not UTF-8 under a key, on the server and in the model alike
(as a foreign writer would), for the reads, pulls, walks and
``requeue_dead`` to meet::

    from typedset.testing.machine import priority_stream_machine
    TestMyServer = priority_stream_machine(lambda: redis.Redis(...)).TestCase
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import msgspec
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from .._keys import stream_keys as _stream_keys
from ..errors import DecodeError
from ..priority_stream import AsyncPriorityStream, PriorityStream
from ..protocols import AsyncClient, SyncClient
from .machine import Comparison, items
from .stream_model import MemoryPriorityStream

__all__ = ["priority_stream_machine"]

stream_keys = st.sampled_from(["a", "b", "c", "d", "é", "", "a b"])
stream_scores = st.sampled_from([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0])
#: Cool-downs that end at once or long after the test: never on the edge of "now".
cool_downs = st.sampled_from(["in 0", "in 3600", "at past", "at future"])
#: Stored bytes the default codec (UTF-8 text) cannot decode.
undecodable = st.sampled_from([b"\xff", b"caf\xe9", b"\x80tail"])
#: Slack between a deadline the server computed and the model's (the model's
#: clock reads the server's, a round trip apart).
DEADLINE_SLACK = 5.0


def _cool_down(choice: str, now: float) -> dict[str, Any]:
    kind, when = choice.split()
    if kind == "in":
        return {"expire_in": timedelta(seconds=float(when))}
    offset = -1000.0 if when == "past" else 3600.0
    return {"expire_at": datetime.fromtimestamp(now + offset, tz=timezone.utc)}


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a call did, comparable across real and model: its result or its error."""
    try:
        return "returned", call()
    except KeyError:
        return "KeyError", None
    except DecodeError as exc:
        return "DecodeError", exc.raw
    except TypeError as exc:
        return "TypeError", type(exc).__name__


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
            self.same_outcome(lambda s: s[key])
            self.same_outcome(lambda s: s.get(key))
            self.agree(lambda s: (s.priority(key), s.contains(key)))

        def same_outcome(self, call: Callable[[Any], Any]) -> None:
            """The same result, or the same error (``DecodeError``: with the same raw bytes)."""
            expected = _outcome(lambda: call(self.model))
            got = _outcome(lambda: call(self.real))
            assert got == expected, (got, expected)

        @rule(key=stream_keys, raw=undecodable, priority=stream_scores)
        def store_undecodable(self, key: str, raw: bytes, priority: float) -> None:
            """A foreign writer stores bytes the codec cannot read, and a priority, under a key."""
            keys = _stream_keys(self.real.name)
            self.client.execute_command("ZADD", keys.priorities, repr(priority), key)
            self.client.execute_command("HSET", keys.values, key, raw)
            self.model._items[key] = (raw, priority)  # pyright: ignore[reportPrivateUsage]

        @rule(
            count=st.integers(1, 4),
            purge=st.booleans(),
            cool_down=cool_downs,
            timeout=st.sampled_from([0.0, 0.01]),
        )
        def pull_waiting(self, count: int, purge: bool, cool_down: str, timeout: float) -> None:
            when = _cool_down(cool_down, self.clock())
            self.agree(lambda s: s.pull(count, purge=purge, timeout=timeout, **when))

        @rule()
        def walk_values(self) -> None:
            self.agree(lambda s: list(s.values()))

        @rule()
        def requeue_dead(self) -> None:
            self.agree(lambda s: s.requeue_dead())

        @rule()
        def clear_dead_letters(self) -> None:
            self.agree(lambda s: s.clear_dead_letters())

        @rule(key=stream_keys)
        def ungate(self, key: str) -> None:
            self.agree(lambda s: s.ungate(key))

        @rule(key=stream_keys, cool_down=cool_downs)
        def cool_down(self, key: str, cool_down: str) -> None:
            until = next(iter(_cool_down(cool_down, self.clock()).values()))
            try:
                expected = self.model.cool_down(key, until)
            except ValueError:  # the key holds an item no pull kept: both refuse
                try:
                    got = self.real.cool_down(key, until)
                except ValueError:
                    return
                raise AssertionError(f"model refused, real set {got!r}") from None
            got = self.real.cool_down(key, until)
            assert abs((got - expected).total_seconds()) < DEADLINE_SLACK, (got, expected)

        @rule(key=st.sampled_from([5, b"a", None]))
        def contains_a_key_of_another_type(self, key: object) -> None:
            self.same_outcome(lambda s: s.contains(key))

        @rule()
        def same_cool_downs_gates_and_dead_letters(self) -> None:
            # A rule, not an invariant: three round trips after every step would
            # double the machine's time; the values they list are compared anyway
            # by the rules that return them (pull, cool_down, requeue_dead, ...).
            expected, got = self.model.cooling(), self.real.cooling()
            assert set(got) == set(expected), (got, expected)
            for key, deadline in got.items():
                assert abs((deadline - expected[key]).total_seconds()) < DEADLINE_SLACK
            assert self.real.gated() == self.model.gated()
            assert _letters(self.real.dead_letters()) == _letters(self.model.dead_letters())

        @rule()
        def stats(self) -> None:
            """Every count and the highest priority exactly; the time within the slack."""
            expected, got = self.results(lambda s: s.stats())
            assert abs(got.at - expected.at) < DEADLINE_SLACK, (got, expected)
            assert msgspec.structs.replace(got, at=expected.at) == expected, (got, expected)

        @rule()
        def clear(self) -> None:
            self.agree(lambda s: s.clear())

        @invariant()
        def same_keys_in_the_same_order(self) -> None:
            # Keys only: walking the values would move undecodable ones to the dead
            # letters after every step, before a read or a pull could meet them.
            if hasattr(self, "real"):
                assert len(self.real) == len(self.model)
                assert list(self.real) == list(self.model)

    return PriorityStreamMachine


def _letters(letters: Any) -> list[tuple[str, bytes, str, float]]:
    """Dead letters without their times (the server's and the model's clocks differ), by key."""
    return sorted((d.key, d.raw, d.reason, d.score) for d in letters)
