"""What a user of SortedSet, TimeSortedSet and ScheduledSet can rely on, on a real server."""

from __future__ import annotations

import threading
import time
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import NamedTuple

import msgspec
import pytest
import redis

from conftest import Flavour
from typedset import (
    BytesCodec,
    EncodeError,
    JsonCodec,
    MsgspecCodec,
    NamedTupleCodec,
    ScheduledSet,
    SortedSet,
    TimeSortedSet,
)


class Task(msgspec.Struct, frozen=True):
    id: int
    tags: frozenset[str] = frozenset()


class Point(NamedTuple):
    x: int
    y: int


def test_items_come_out_lowest_score_first(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.add("b", 2)
    s.add("a", 1)
    s.add("c", 3)
    assert s.peek() == "a"
    assert s.peek(1) == "b"
    assert s.peek(-1) == "c"
    assert s.peek_score() == 1.0
    assert [s.pop(), s.pop(), s.pop()] == ["a", "b", "c"]


def test_default_score_is_zero_and_ties_order_by_bytes(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    s.update(["b", "a", "c"])
    assert s.score("a") == 0.0
    assert list(s) == ["a", "b", "c"]


def test_explicit_zero_score_wins_over_scorer(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name, scorer=len))
    s.add("abc")
    s.add("x", 0)
    assert s.score("abc") == 3.0
    assert s.score("x") == 0.0


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("replace", 5.0), ("keep", 3.0), ("min", 3.0), ("max", 5.0)],
)
def test_on_duplicate_decides_the_score_of_a_readded_item(
    flavour: Flavour, r: redis.Redis, name: str, policy: str, expected: float
) -> None:
    s = flavour(SortedSet(r, name, on_duplicate=policy))  # type: ignore[call-overload]
    s.add("job", 3)
    s.add("job", 5)
    assert s.score("job") == expected
    assert len(s) == 1


def test_min_policy_lowers_a_score(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name, on_duplicate="min"))
    s.add("job", 3)
    s.add("job", 1)
    assert s.score("job") == 1.0


def test_keep_policy_applies_to_update_too(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name, on_duplicate="keep"))
    s.update_scored([("a", 1.0)])
    s.update_scored([("a", 9.0), ("b", 2.0)])
    assert s.score("a") == 1.0
    assert s.score("b") == 2.0


def test_pop_on_empty_raises_key_error(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    with pytest.raises(KeyError):
        s.pop()
    with pytest.raises(KeyError):
        s.peek()
    assert s.peek_score() is None


def test_take_returns_up_to_n_in_order(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.update_scored([(str(i), float(i)) for i in range(10)])
    assert s.take(3) == ["0", "1", "2"]
    assert s.take(0) == []
    assert s.take(-5) == []
    assert s.take(100) == [str(i) for i in range(3, 10)]
    assert s.take(1) == []


def test_blocking_pop_waits_for_an_item(
    flavour: Flavour, r: redis.Redis, name: str, server: object
) -> None:
    s = flavour(SortedSet(r, name))

    def produce() -> None:  # on the same client, from another thread
        time.sleep(0.3)
        SortedSet(r, name).add("late")

    thread = threading.Thread(target=produce)
    thread.start()
    started = time.monotonic()
    assert s.pop(timeout=5) == "late"
    assert time.monotonic() - started < 4
    thread.join()


def test_blocking_pop_times_out_with_key_error(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    started = time.monotonic()
    with pytest.raises(KeyError):
        s.pop(timeout=0.2)
    assert time.monotonic() - started >= 0.15


def test_blocking_take_waits_for_the_first_then_takes_more(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    assert s.take(5, timeout=0.1) == []
    s.update_scored([("a", 1), ("b", 2), ("c", 3)])
    assert s.take(2, timeout=1) == ["a", "b"]


def test_score_contains_len_and_remove(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.add("a", 1.5)
    assert "a" in s
    assert "b" not in s
    assert s.contains("a")
    assert s.size() == len(s) == 1
    assert s.score("a") == 1.5
    assert s.score("b") is None
    s.discard("b")
    s.remove("a")
    with pytest.raises(KeyError):
        s.remove("a")
    assert len(s) == 0


def test_increment_changes_a_present_item_and_refuses_an_absent_one(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    s.add("a", 1)
    assert s.increment("a", 2.5) == 3.5
    assert s.increment("a", -0.5) == 3.0
    with pytest.raises(KeyError):
        s.increment("missing", 1)
    assert "missing" not in s


def test_clear_empties_the_set(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.update(["a", "b"])
    s.clear()
    assert len(s) == 0
    assert list(s) == []


def test_iteration_is_in_score_order_across_pages(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    s.update_scored([(f"{i:05}", float(i % 7)) for i in range(1234)])
    expected = sorted((f"{i:05}" for i in range(1234)), key=lambda m: (int(m) % 7, m))
    assert list(s) == expected


def test_iteration_yields_each_stable_item_once_while_others_pop_and_add(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    # All at score 0: pages are positioned by member bytes, not rank.
    s = flavour(SortedSet(r, name))
    stable = [f"s{i:04}" for i in range(1500)]
    churn = [f"c{i:04}" for i in range(1500)]
    s.update(stable + churn)
    seen: list[str] = []
    for count, item in enumerate(s):
        seen.append(item)
        if count % 100 == 0:
            s.take(40)  # pops the lowest: churn members ("c" < "s") first
            s.update([f"a{count:04}", f"z{count:04}"])
    stable_seen = [item for item in seen if item.startswith("s")]
    survivors = [item for item in stable if item in s or item in stable_seen]
    assert sorted(set(stable_seen)) == sorted(stable_seen)
    assert set(stable_seen) == set(survivors)


def test_iteration_with_mixed_scores_survives_removal_of_the_cursor(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    s.update_scored([(f"m{i:04}", float(i // 600)) for i in range(1800)])
    seen = []
    for item in s:
        seen.append(item)
        s.discard(item)  # the cursor member is always gone when the next page is fetched
    assert seen == [f"m{i:04}" for i in range(1800)]


def test_set_algebra_returns_builtin_sets(r: redis.Redis, name: str) -> None:
    s = SortedSet(r, name)
    s.update(["a", "b", "c"])
    assert s | {"d"} == {"a", "b", "c", "d"}
    assert s & {"a", "x"} == {"a"}
    assert s - {"a"} == {"b", "c"}
    assert s ^ {"a", "x"} == {"b", "c", "x"}
    assert isinstance(s & {"a"}, set)
    assert s <= {"a", "b", "c", "d"}
    same: AbstractSet[str] = {"a", "b", "c"}
    assert s == same


def test_isdisjoint_checks_every_item_at_once(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.update(["a", "b"])
    assert s.isdisjoint({"x", "y"})
    assert not s.isdisjoint(["x", "b"])
    assert s.isdisjoint([])
    assert s.isdisjoint([1, None])  # cannot be encoded, so cannot be members


def test_named_in_place_methods_match_the_operators(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    s.union_update(["a", "b", "c"])
    s.difference_update(iter(["a"]))
    s.intersection_update(["b", "c", "q"])
    s.symmetric_difference_update(["c", "e"])
    assert list(s) == ["b", "e"]


def test_in_place_algebra_with_builtin_sets(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(SortedSet(r, name))
    s.update_scored([("a", 1), ("b", 2), ("c", 3)])
    s |= {"d"}
    assert s.score("d") == 0.0
    s -= {"a", "zzz"}
    assert set(s) == {"b", "c", "d"}
    s &= {"b", "c", "q"}
    assert set(s) == {"b", "c"}
    assert s.score("b") == 2.0
    s ^= {"c", "e"}
    assert set(s) == {"b", "e"}


def test_in_place_algebra_between_sets_runs_on_the_server(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name))
    t = flavour(SortedSet(r, f"{{{name}}}:other"))  # the same cluster slot as s
    try:
        s.update_scored([("a", 1), ("b", 2)])
        t.update_scored([("b", 20), ("c", 30)])
        s |= t
        assert dict(zip(s, map(s.score, s), strict=True)) == {"a": 1.0, "b": 20.0, "c": 30.0}
        s -= t
        assert list(s) == ["a"]
        s.update(["x"])
        s &= t
        assert list(s) == []
    finally:
        t.clear()


def test_repr_does_no_io(name: str) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1)  # nothing listens there
    s = SortedSet(dead, name, serializer=MsgspecCodec(Task))
    assert repr(s) == f"SortedSet({name!r}, serializer=MsgspecCodec(Task, format='json'))"


def test_the_pending_zset_lives_at_exactly_name(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    flavour(SortedSet(r, name)).add("a", 7)
    assert r.zscore(name, "a") == 7.0


def test_redset_style_producer_and_typedset_consumer_share_a_set(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    r.zadd(name, {"from-redset": 1.0})
    assert flavour(SortedSet(r, name)).pop() == "from-redset"


@pytest.mark.parametrize(
    ("codec", "item"),
    [
        (BytesCodec(), b"\x00\xff binary"),
        (JsonCodec(), {"b": [1, 2], "a": None}),
        (MsgspecCodec(Task), Task(1, frozenset({"x", "y"}))),
        (MsgspecCodec(Task, format="msgpack"), Task(2, frozenset({"z"}))),
        (NamedTupleCodec(Point), Point(1, 2)),
        (MsgspecCodec(list[int]), [3, 1, 2]),
        (MsgspecCodec(Task | None, format="msgpack"), None),
        (MsgspecCodec(dict[str, Task]), {"b": Task(1, frozenset()), "a": Task(2, frozenset())}),
    ],
)
def test_every_codec_round_trips_and_deduplicates(
    flavour: Flavour, r: redis.Redis, name: str, codec: object, item: object
) -> None:
    s = flavour(SortedSet(r, name, serializer=codec))  # type: ignore[call-overload]
    s.add(item)
    s.add(item)
    assert len(s) == 1
    assert item in s
    assert s.pop() == item


def test_json_module_works_as_a_serializer(flavour: Flavour, r: redis.Redis, name: str) -> None:
    import json

    s = flavour(SortedSet(r, name, serializer=json))
    s.add({"a": 1})
    assert s.pop() == {"a": 1}


def test_json_codec_takes_any_mapping_and_sequence_and_decodes_dicts_and_lists(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name, serializer=JsonCodec()))
    s.add(MappingProxyType({"b": range(2), "a": ("x",)}))
    s.add({"a": ["x"], "b": [0, 1]})  # the same value: one member
    assert len(s) == 1
    assert s.pop() == {"a": ["x"], "b": [0, 1]}


def test_json_codec_refuses_bytes_and_sets_at_the_call_and_writes_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name, serializer=JsonCodec()))
    for bad in (b"raw", {"a": b"raw"}, {"a": {1, 2}}):
        with pytest.raises(EncodeError):
            s.add(bad)  # type: ignore[arg-type]
    assert r.exists(name) == 0


def test_equal_json_values_deduplicate_whatever_their_key_order(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(SortedSet(r, name, serializer=JsonCodec()))
    s.add({"a": 1, "b": 2})
    s.add({"b": 2, "a": 1})
    assert len(s) == 1
    s.add(1.0)
    s.add(1)
    assert len(s) == 3  # 1 and 1.0 encode differently: different members


def test_text_codec_works_with_a_decoding_client(
    flavour: Flavour, server: object, name: str
) -> None:
    client = redis.Redis.from_url(server.url, decode_responses=True)  # type: ignore[attr-defined]
    s = flavour(SortedSet(client, name))
    s.add("héllo", 1)
    assert list(s) == ["héllo"]
    assert s.pop() == "héllo"
    client.close()


def test_time_sorted_set_is_first_in_first_out_on_server_time(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(TimeSortedSet(r, name))
    s.add("first")
    time.sleep(0.002)
    s.add("second")
    server_now = float(".".join(str(part) for part in r.time()))
    first = s.score("first")
    assert first is not None
    assert abs(first - server_now) < 5
    assert s.take(2) == ["first", "second"]


def test_time_sorted_set_keeps_microseconds(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(TimeSortedSet(r, name))
    s.update([f"x{i}" for i in range(3)])
    for i in range(50):
        s.add(f"y{i}")
    scores = [s.score(f"y{i}") for i in range(50)]
    assert len(set(scores)) > 40  # ~14-digit Lua formatting would collapse them


def test_scheduled_set_hides_future_items_from_reads(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(ScheduledSet(r, name))
    now = time.time()
    s.add("due", now - 60)
    s.add("later", now + 3600)
    s.add("now")
    assert len(s) == 3
    assert s.available() == 2
    assert s.peek() == "due"
    assert s.peek(1) == "now"
    with pytest.raises(KeyError):
        s.peek(2)
    assert s.take(10) == ["due", "now"]
    with pytest.raises(KeyError):
        s.pop()
    assert s.peek_score() is None
    assert list(s) == ["later"]


def test_scheduled_set_blocking_pop_waits_until_due(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(ScheduledSet(r, name))
    s.size()  # connected (a cluster client learns its slots first), so the wait is the pop's
    due = _server_now(r) + 0.4
    s.add("soon", due)
    started = time.monotonic()
    assert s.pop(timeout=5) == "soon"
    assert _server_now(r) >= due  # not before it was due, by the server's clock
    assert time.monotonic() - started < 3


def _server_now(r: redis.Redis) -> float:
    seconds, micros = r.time()
    return seconds + micros / 1_000_000


def test_scheduled_set_blocking_take_times_out_empty(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(ScheduledSet(r, name))
    s.add("far", time.time() + 3600)
    assert s.take(3, timeout=0.2) == []


def test_in_and_comparisons_answer_for_items_of_another_type(r: redis.Redis, name: str) -> None:
    """``in`` (blocking only: the twins have ``contains``, typed for items) and the
    comparisons built on it answer ``False`` for an item the codec cannot encode."""
    tasks = SortedSet(r, name, serializer=MsgspecCodec(Task))
    tasks.add(Task(1))
    assert "x" not in tasks  # type: ignore[comparison-overlap]
    assert not tasks >= {"x"}
    assert not tasks <= {"x"}
    assert tasks.isdisjoint(["x"])
    with pytest.raises(EncodeError):
        tasks.contains("x")  # type: ignore[arg-type]
    with pytest.raises(EncodeError):
        tasks.add("x")  # type: ignore[arg-type]
    assert list(tasks) == [Task(1)]


def test_equal_values_of_a_float_field_are_one_member(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    class Job(msgspec.Struct, frozen=True):
        priority: float

    jobs = flavour(SortedSet(r, name, serializer=MsgspecCodec(Job)))
    jobs.update([Job(1), Job(1.0)])
    assert len(jobs) == 1
    jobs.discard(Job(1.0))
    assert Job(1) not in jobs
