"""redset 0.5's behaviour, point by point, through ``typedset.compat.redset`` on real servers.

What redset did is read from its source (percolate/redset 0.5.1); where the
shim differs on purpose, the test says so and pins the documented difference
(see "Differences from redset" in ``typedset.compat.redset``). The shim only
adapts calls, and the server's behaviour is the typed sets' (tested on every
target elsewhere), so most tests run on one target; the round trip of every
method runs on all four.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
import warnings
from collections import Counter, namedtuple
from typing import Any, NamedTuple, cast

import pytest
import redis

import typedset
from conftest import Server
from typedset.compat.redset import ScheduledSet, SortedSet, TimeSortedSet
from typedset.compat.redset.exceptions import LockTimeout
from typedset.compat.redset.interfaces import Serializer
from typedset.compat.redset.serializers import NamedtupleSerializer

KINDS: list[type[Any]] = [SortedSet, TimeSortedSet, ScheduledSet]
#: One client library, standalone: for tests of the shim's own logic.
one_target = pytest.mark.parametrize("target", ["redis"], indirect=True)


class Doubling:
    """A redset-style serializer that does not subclass ``Serializer``."""

    def dumps(self, obj: int) -> str:
        return str(obj * 2)

    def loads(self, str_from_redis: str) -> int:
        return int(str_from_redis) // 2


class Picky(Serializer[dict[str, str]]):
    """A serializer subclassing ``Serializer`` (redset's docs suggest it); fails on some rows."""

    def dumps(self, obj: dict[str, str]) -> str:
        return json.dumps(obj)

    def loads(self, str_from_redis: str) -> dict[str, str]:
        if "uhoh" in str_from_redis:
            raise ValueError("cannot read this one")
        loaded: dict[str, str] = json.loads(str_from_redis)
        return loaded


# --- every method, on every target ----------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_method_round_trips_on_each_target(
    r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = kind(r, name)
    past = time.time() - 100  # due in a ScheduledSet too
    assert s.add("b", past + 2) == past + 2
    assert s.add("a", past + 1) == past + 1
    assert s.add("c", past + 3) == past + 3
    assert len(s) == 3
    assert "a" in s
    assert "z" not in s
    assert s.score("b") == past + 2
    assert s.score("z") is None
    assert s.peek() == "a"
    assert s.peek(position=1) == "b"
    assert s.peek_score() == past + 1
    assert s.pop() == "a"
    assert s.take(5) == ["b", "c"]
    assert s.discard("c") is False
    s.add("d", past)
    assert s.discard("d") is True
    assert s.clear() is False
    s.add("e", past)
    assert s.clear() is True
    assert len(s) == 0
    with pytest.raises(KeyError):
        s.pop()


# --- constructor --------------------------------------------------------------


@one_target
def test_scorer_and_serializer_are_taken_positionally_in_redsets_order(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name, lambda i: -i, Doubling())
    for i in range(5):
        s.add(i)
    assert s.take(5) == [4, 3, 2, 1, 0]
    assert r.zrange(name, 0, -1, withscores=True) == []


@one_target
def test_a_serializer_in_the_scorers_place_is_refused_and_nothing_is_written(
    r: redis.Redis, name: str
) -> None:
    with pytest.raises(TypeError, match="scorer must be callable, not Doubling"):
        SortedSet(r, name, Doubling())  # type: ignore[call-overload]
    assert r.exists(name) == 0


@one_target
@pytest.mark.parametrize("kind", [TimeSortedSet, ScheduledSet])
def test_a_time_set_takes_a_positional_scorer(r: redis.Redis, name: str, kind: type[Any]) -> None:
    # redset raised TypeError here (its TimeSortedSet passed scorer twice): a documented fix
    s = kind(r, name, lambda i: float(i))
    assert s.add(7) == 7.0
    assert s.score(7) == 7.0


@one_target
@pytest.mark.parametrize("kind", KINDS)
def test_lock_arguments_are_accepted_and_ignored_with_a_deprecation_warning(
    r: redis.Redis, name: str, kind: type[Any]
) -> None:
    with pytest.warns(DeprecationWarning, match="lock_timeout and lock_expires are ignored"):
        by_name = kind(r, name, lock_timeout=5)
    with pytest.warns(DeprecationWarning, match="ignored"):
        kind(r, name, lock_expires=20)
    with pytest.warns(DeprecationWarning, match="ignored"):
        kind(r, name, None, None, 5, 20)  # positional, redset's order
    by_name.add("x", 1)
    assert by_name.pop() == "x"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kind(r, name)  # no lock argument: no warning
        kind(r, name, None, None, None, None)


def test_lock_timeout_is_redsets_exception_class() -> None:
    assert issubclass(LockTimeout, Exception)


# --- add and its score ----------------------------------------------------------


@one_target
def test_add_returns_the_score_stored_explicit_then_scorer_then_zero(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name)
    assert s.add("a") == 0
    assert s.score("a") == 0.0
    assert s.add("b", 123) == 123
    assert s.score("b") == 123.0
    scored = SortedSet(r, name + "x", scorer=len)
    assert scored.add("four") == 4
    assert scored.add("four", score=-1) == -1
    assert scored.score("four") == -1.0
    scored.clear()


@one_target
@pytest.mark.parametrize("kind", [TimeSortedSet, ScheduledSet])
def test_a_time_sets_add_returns_the_clients_time_it_stored(
    r: redis.Redis, name: str, kind: type[Any]
) -> None:
    s = kind(r, name)
    before = time.time()
    stored = s.add("a")
    after = time.time()
    assert before <= stored <= after
    assert s.score("a") == stored
    assert r.zscore(name, "a") == stored


@one_target
@pytest.mark.parametrize("kind", [TimeSortedSet, ScheduledSet])
def test_an_explicit_zero_score_is_stored(r: redis.Redis, name: str, kind: type[Any]) -> None:
    # redset replaced a falsy score by scorer(item), here the time: a documented difference
    s = kind(r, name)
    assert s.add("a", 0) == 0
    assert s.score("a") == 0.0


@one_target
def test_adding_a_present_item_moves_it_to_the_new_score(r: redis.Redis, name: str) -> None:
    s = TimeSortedSet(r, name)
    for i in range(5):
        s.add(str(i))
    s.add("0", score=time.time() + 10)
    assert len(s) == 5
    assert s.peek() == "1"
    assert s.take(5) == ["1", "2", "3", "4", "0"]


@one_target
def test_scorer_is_an_attribute_that_can_be_reassigned(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    s.scorer = lambda item: 5.0
    assert s.add("a") == 5.0
    assert s.score("a") == 5.0


# --- the default text storage, and serializers ---------------------------------


@one_target
def test_without_a_serializer_numbers_are_stored_as_redis_py_sends_them_and_read_as_str(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name)
    s.add(1, 1)  # type: ignore[arg-type]  # redset's own tests add ints to a text set
    s.add(2.5, 2)  # type: ignore[arg-type]
    s.add(b"raw", 3)  # type: ignore[arg-type]
    assert 1 in s
    assert "1" in s
    assert -1 not in s
    assert r.zrange(name, 0, -1) == [b"1", b"2.5", b"raw"]
    assert s.take(3) == ["1", "2.5", "raw"]


@one_target
def test_without_a_serializer_other_objects_are_refused_and_nothing_is_written(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name)
    for bad in (True, None, {"a": 1}, object()):
        with pytest.raises(typedset.EncodeError, match="redset stores str, bytes, int or float"):
            s.add(bad)  # type: ignore[arg-type]
        assert bad not in s
    assert r.exists(name) == 0


@one_target
def test_a_serializer_without_dumps_and_loads_falls_back_to_text(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name, serializer=object())  # type: ignore[call-overload]
    s.add(1, score=0)
    s.add(2, score=1)
    assert "2" in s
    assert s.pop() == "1"  # read back as text, not an int


@one_target
def test_each_missing_serializer_method_falls_back_on_its_own(r: redis.Redis, name: str) -> None:
    class OnlyDumps:
        def dumps(self, obj: int) -> str:
            return f"n{obj}"

    class OnlyLoads:
        def loads(self, str_from_redis: str) -> int:
            return int(str_from_redis)

    writer = SortedSet(r, name, serializer=OnlyDumps())  # type: ignore[call-overload]
    writer.add(4)
    assert writer.pop() == "n4"
    reader = SortedSet(r, name, serializer=OnlyLoads())  # type: ignore[call-overload]
    reader.add("7")
    assert reader.pop() == 7


@one_target
def test_the_json_module_writes_redsets_bytes(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name, serializer=json)
    s.add({"b": [1, 2], "a": None})
    assert r.zrange(name, 0, -1) == [b'{"b": [1, 2], "a": null}']
    assert {"b": [1, 2], "a": None} in s
    assert s.pop() == {"b": [1, 2], "a": None}


class DiscoTask(NamedTuple):
    tiger: str
    woods: str


@one_target
def test_namedtuple_serializer_round_trips_and_writes_redsets_bytes(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name, serializer=NamedtupleSerializer(DiscoTask))
    task = DiscoTask(tiger="larry", woods="david")
    s.add(task)
    assert len(s) == 1
    assert task in s
    assert r.zrange(name, 0, -1) == [json.dumps(task._asdict()).encode()]
    assert s.pop() == task


@one_target
def test_namedtuple_serializer_takes_collections_namedtuple_and_refuses_other_classes(
    r: redis.Redis, name: str
) -> None:
    Task = namedtuple("Task", "foo,bar,priority")  # redset's docs use this form
    Other = namedtuple("Other", "foo,bar,priority")
    s = SortedSet(r, name, serializer=NamedtupleSerializer(Task))
    s.add(Task("yo", "baz", 1))
    with pytest.raises(typedset.EncodeError, match="cannot encode Other"):
        s.add(Other("yo", "baz", 1))  # type: ignore[arg-type]  # what an untyped caller can do
    assert s.take(5) == [Task("yo", "baz", 1)]
    with pytest.raises(TypeError):
        NamedtupleSerializer(dict)  # type: ignore[type-var]


class Loose(NamedTuple):
    """Annotations Python never enforces: redset stored and returned whatever the fields held."""

    id: int
    tags: tuple[str, ...] = ()


@one_target
def test_namedtuple_rows_that_do_not_fit_the_annotations_come_back_as_in_redset(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name, serializer=NamedtupleSerializer(Loose))
    s.add(Loose(id=cast(int, "3f2a-uuid")), 0)  # accepted by add: popped as redset popped it
    s.add(Loose(id=True, tags=cast(tuple[str, ...], [1, 2])), 1)
    s.add(Loose(id=2, tags=("a",)), 2)
    r.zadd(name, {'{"id": 3, "colour": "red"}': 3})  # a field the class lacks: redset failed too
    assert s.pop() == Loose(id=cast(int, "3f2a-uuid"), tags=cast(tuple[str, ...], []))  # JSON's
    assert s.take(5) == [Loose(id=True, tags=cast(tuple[str, ...], [1, 2])), Loose(2, ("a",))]
    assert [dead.raw for dead in s.typed.dead_letters()] == [b'{"id": 3, "colour": "red"}']


def test_isinstance_and_issubclass_of_serializer_work_as_in_redset() -> None:
    assert isinstance(Picky(), Serializer)
    assert issubclass(NamedtupleSerializer, Serializer)
    assert not isinstance(object(), Serializer)
    assert isinstance(Doubling(), Serializer)  # redset: False (it checked the class, not methods)


# --- pop, take, peek ---------------------------------------------------------------


@one_target
def test_pop_on_an_empty_set_raises_key_error(r: redis.Redis, name: str) -> None:
    with pytest.raises(KeyError):
        SortedSet(r, name).pop()


@one_target
@pytest.mark.parametrize("falsy", ["", 0, {}, []])
def test_pop_returns_a_falsy_item(r: redis.Redis, name: str, falsy: object) -> None:
    # redset removed a falsy item and raised KeyError (the item was lost): a documented fix
    s = SortedSet(r, name, serializer=json)
    s.add(falsy)
    assert s.pop() == falsy
    assert len(s) == 0


@one_target
def test_take_returns_up_to_num_items_in_score_order(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    for i in range(5):
        s.add(str(i), i)
    assert s.take(0) == []
    assert s.take(-1) == []
    assert s.take(2) == ["0", "1"]
    assert s.take("2") == ["2", "3"]  # type: ignore[arg-type]  # redset called int(num)
    assert s.take(100) == ["4"]
    assert len(s) == 0


@one_target
def test_undecodable_items_are_left_out_of_take_and_kept_as_dead_letters(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name, serializer=Picky())
    s.add({"yo": "foo"}, score=0)
    s.add({"yo": "uhoh!"}, score=1)
    s.add({"yo": "hey"}, score=2)
    assert s.take(3) == [{"yo": "foo"}, {"yo": "hey"}]
    [dead] = s.typed.dead_letters()
    assert dead.raw == b'{"yo": "uhoh!"}'
    assert "cannot read this one" in dead.reason


@one_target
def test_pop_of_an_undecodable_item_logs_raises_key_error_and_keeps_it(
    r: redis.Redis, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    s = SortedSet(r, name, serializer=Picky())
    s.add({"yo": "uhoh"}, score=0)
    s.add({"yo": "fine"}, score=1)
    with (
        caplog.at_level(logging.ERROR, logger="typedset.compat.redset.sets"),
        pytest.raises(KeyError),
    ):
        s.pop()
    assert any("Could not deserialize" in record.message for record in caplog.records)
    assert [dead.raw for dead in s.typed.dead_letters()] == [b'{"yo": "uhoh"}']
    assert s.pop() == {"yo": "fine"}
    assert s.typed.requeue_dead() == 1
    assert len(s) == 1


@one_target
def test_peek_looks_at_a_position_and_raises_key_error_past_the_end(
    r: redis.Redis, name: str
) -> None:
    s = SortedSet(r, name)
    with pytest.raises(KeyError):
        s.peek()
    s.add("0")
    assert s.peek() == s.peek() == "0"
    with pytest.raises(KeyError):
        s.peek(position=1)
    s.add("1", 1)
    assert s.peek(position=1) == "1"
    assert len(s) == 2


@one_target
def test_peek_score_is_none_when_empty_and_the_heads_score_otherwise(
    r: redis.Redis, name: str
) -> None:
    s = TimeSortedSet(r, name)
    assert s.peek_score() is None
    now = time.time()
    for i in range(3):
        s.add(str(i), now - i)
    assert s.peek_score() == now - 2
    s.pop()
    assert s.peek_score() == now - 1


# --- ScheduledSet ---------------------------------------------------------------


@one_target
def test_scheduled_pop_raises_key_error_when_nothing_is_due(r: redis.Redis, name: str) -> None:
    # redset 0.5 raises KeyError here (its ScheduledSetTest.test_schedule pins it)
    s = ScheduledSet(r, name)
    now = time.time() - 1
    s.add("1", now)
    s.add("2", now + 1000)
    assert s.pop() == "1"
    with pytest.raises(KeyError):
        s.pop()
    assert len(s) == 1


@one_target
def test_scheduled_reads_see_due_items_and_len_in_score_discard_see_all(
    r: redis.Redis, name: str
) -> None:
    s = ScheduledSet(r, name)
    now = time.time() - 1
    s.add("1", now - 1000)
    s.add("2", now)
    s.add("3", now + 1000)
    assert s.peek() == "1"
    assert s.peek(position=1) == "2"
    with pytest.raises(KeyError):
        s.peek(position=2)
    assert s.available() == 2
    assert len(s) == 3
    assert "3" in s
    assert s.score("3") == now + 1000
    assert s.take(5) == ["1", "2"]
    assert s.peek_score() is None
    assert s.take(5) == []
    with pytest.raises(KeyError):
        s.peek()
    assert s.discard("3") is True
    assert s.discard("3") is False


@one_target
def test_scheduled_item_added_without_a_score_is_due_at_once(r: redis.Redis, name: str) -> None:
    s = ScheduledSet(r, name)
    s.add("now")
    deadline = time.monotonic() + 5  # the client's clock may run a little ahead of the server's
    while s.available() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert s.pop() == "now"


# --- the rest of the surface ---------------------------------------------------------


@one_target
def test_name_repr_and_attributes(r: redis.Redis, name: str) -> None:
    serializer = Doubling()
    s = ScheduledSet(r, name, serializer=serializer)
    assert s.name == name
    assert repr(s) == str(s) == f"<ScheduledSet name={name!r}>"
    assert s.redis is r
    assert s.serializer is serializer
    assert isinstance(s.typed, typedset.ScheduledSet)
    assert r.exists(name) == 0  # none of the above did I/O that writes


@one_target
def test_the_typed_set_underneath_shares_items_and_leases(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name, serializer=Doubling())
    s.add(3, 1)
    s.add(4, 2)
    [lease] = s.typed.claim()
    assert lease.item == 3
    assert 3 not in s
    assert s.pop() == 4
    assert s.typed.ack(lease) is True
    assert len(s) == 0


@one_target
def test_a_client_with_decode_responses_works(target: Any, name: str) -> None:
    client = target.client(decode_responses=True)
    try:
        s = SortedSet(client, name, serializer=json)
        s.add({"a": "é"}, 1)
        assert s.peek() == {"a": "é"}
        assert s.score({"a": "é"}) == 1.0
        assert s.pop() == {"a": "é"}
    finally:
        client.close()


# --- several processes ------------------------------------------------------------

CONSUMED = 2_000


def drain_shim(url: str, name: str, use_pop: bool) -> list[int]:
    """One consumer process's share of a shim ``ScheduledSet``, as redset's own test takes it."""

    class AsInt:
        loads = int
        dumps = str

    client = redis.Redis.from_url(url)
    s = ScheduledSet(client, name, serializer=AsInt())
    received: list[int] = []
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 0.5:
        try:
            batch = [s.pop()] if use_pop else s.take(7)
        except KeyError:
            batch = []
        if batch:
            received += batch
            idle_since = time.monotonic()
    client.close()
    return received


@one_target
def test_consumer_processes_receive_every_item_exactly_once(
    r: redis.Redis, name: str, server: Server
) -> None:
    s = ScheduledSet(r, name)
    now = time.time() - 60
    for i in range(CONSUMED):
        s.add(str(i), now + (i % 10) / 1000)  # a few equal scores
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        args = [(server.url, name, worker % 2 == 0) for worker in range(4)]
        results = pool.starmap_async(drain_shim, args).get(timeout=120)
    delivered = Counter(item for received in results for item in received)
    assert sum(delivered.values()) == CONSUMED  # none twice, none lost
    assert set(delivered) == set(range(CONSUMED))
    assert len(s) == 0
