"""What a user of PriorityStream can rely on, on a real server, for both twins.

Several tests pin a defect of good-redis's prioritised stream that typedset
fixes; their names say which.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import msgspec
import pytest
import redis

from conftest import Flavour, Server
from typedset import DecodeError, MsgspecCodec, PriorityStream


class Feed(msgspec.Struct, frozen=True):
    url: str


def stream_keys_on_server(r: redis.Redis, before: set[bytes]) -> set[bytes]:
    """Every key made since ``before`` (the server's keys then, other tests' included),
    but the name's kind marker, which stays once the name is used."""
    return {key for key in r.scan_iter() if key not in before and not key.endswith(b":kind")}


def test_add_accumulates_priority_and_pull_takes_the_highest(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    assert s.add("a", "A", 2) == 2.0
    assert s.add("b", "B", 5) == 5.0
    assert s.add("a", "A2", 4) == 6.0  # priorities add up; the latest value wins
    assert s.add("c", "C") == 1.0
    assert list(s.items()) == [("a", "A2"), ("b", "B"), ("c", "C")]
    assert s.pull() == {"a": "A2"}
    assert s.pull(5) == {"b": "B", "c": "C"}
    assert s.pull(3) == {}
    assert len(s) == 0


def test_equal_priorities_pull_in_descending_key_order(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("b", "2", 1.0), ("a", "1", 1.0), ("c", "3", 1.0)])
    assert list(s.pull(3)) == ["c", "b", "a"]


def test_a_pulled_key_cools_down_then_can_be_added_again(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("job", "v1", 3)
    assert s.pull(expire_in=0.3) == {"job": "v1"}
    assert s.add("job", "v2") is None  # refused while cooling down
    assert "job" not in s
    time.sleep(0.4)
    assert s.add("job", "v3", 2) == 2.0  # a fresh start: no leftover priority
    assert s["job"] == "v3"


def test_readd_lifts_the_cool_down_and_the_gate(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "A", 1.0), ("b", "B", 1.0)])
    s.pull(2, gate=True)
    assert s.add_many([("a", "A", 1.0), ("b", "B", 1.0)]) == [None, None]
    assert s.add_many([("a", "A", 1.0)], readd=True) == [1.0]
    assert s.add("b", "B", 4, readd=True) == 4.0
    assert list(s) == ["b", "a"]


def test_a_gate_outlives_the_cool_down(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(PriorityStream(r, name))
    s.add("spam", "x")
    s.pull(gate=True, expire_in=0)
    assert s.add("spam", "x") is None
    assert s.add("spam", "x", readd=True) == 1.0


def test_pull_without_purge_lowers_priority_by_decay_not_to_minus_one(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    # good-redis documents a decrease but sets the score to -1
    s = flavour(PriorityStream(r, name, decay=2.5))
    s.add("a", "A", 10)
    s.add("b", "B", 1)
    assert s.pull(purge=False) == {"a": "A"}
    assert s.priority("a") == 7.5
    assert s["a"] == "A"
    assert s.add("a", "again") is None  # kept, but cooling down
    assert s.pull(2, purge=False) == {"a": "A", "b": "B"}
    assert s.priority("a") == 5.0


def test_a_kept_item_leaves_when_its_cool_down_ends(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name, decay=10))
    s.add_many([("a", "A", 5.0), ("b", "B", 3.0), ("c", "C", 1.0)])
    assert s.pull(purge=False, expire_in=0.3) == {"a": "A"}  # kept, at -5
    past = datetime.now(timezone.utc) - timedelta(seconds=5)
    assert s.pull(purge=False, expire_at=past) == {"b": "B"}  # over at once: gone
    assert list(s) == ["c", "a"]
    time.sleep(0.4)
    assert list(s) == ["c"]  # no sweep call needed: every operation ends cool-downs first
    assert s.expire() == 0


def test_expire_reports_the_cool_downs_it_ended(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    before = set(r.scan_iter())
    s = flavour(PriorityStream(r, name))
    s.add_many([(str(i), "v", 1.0) for i in range(3)])
    s.pull(3, expire_in=0.2)
    time.sleep(0.3)
    assert s.expire() == 3
    assert stream_keys_on_server(r, before) == set()


def test_increment_of_a_missing_key_raises_and_writes_nothing(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    before = set(r.scan_iter())
    # good-redis leaves a score with no value, which a later pull consumes silently
    s = flavour(PriorityStream(r, name))
    with pytest.raises(KeyError):
        s.increment("ghost", 5)
    assert stream_keys_on_server(r, before) == set()
    s.add("real", "R", 1)
    assert s.increment("real", 2.5) == 3.5
    assert s.pull(10) == {"real": "R"}


def test_pull_returns_as_many_items_as_are_live(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([(f"k{i}", f"v{i}", float(i)) for i in range(5)])
    s.pull(2, purge=False, expire_at=datetime.now(timezone.utc) - timedelta(seconds=1))
    assert len(s) == 3
    assert s.pull(10) == {"k2": "v2", "k1": "v1", "k0": "v0"}


def test_decrement_all_and_delete_below(flavour: Flavour, r: redis.Redis, name: str) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "A", 5.0), ("b", "B", 2.0), ("c", "C", 1.0), ("d", "D", 3.0)])
    assert s.decrement_all(1) == 4
    assert [s.priority(k) for k in "abcd"] == [4.0, 1.0, 0.0, 2.0]
    assert s.delete_below(2) == ["b", "c"]  # strictly below, highest first
    assert list(s) == ["a", "d"]
    assert s.delete_below(3, gate=True) == ["d"]
    assert s.add("d", "D") is None
    assert s.add("b", "B") == 1.0  # deleted without a gate: welcome back


def test_a_stream_is_a_mapping_in_priority_order(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name, serializer=MsgspecCodec(Feed)))
    s.add("x", Feed("https://x"), 1)
    s.add("y", Feed("https://y"), 3)
    assert list(s.keys()) == ["y", "x"]
    assert list(s.values()) == [Feed("https://y"), Feed("https://x")]
    assert s["x"] == Feed("https://x")
    assert s.get("nope") is None
    assert s.get("nope", Feed("default")) == Feed("default")
    assert "y" in s
    assert "nope" not in s
    assert s.priority("nope") is None
    with pytest.raises(KeyError):
        s["nope"]


def test_mapping_comparison_and_views_on_the_blocking_stream(r: redis.Redis, name: str) -> None:
    s = PriorityStream(r, name)
    s.add_many([("a", "1", 1.0), ("b", "2", 2.0)])
    assert s == {"a": "1", "b": "2"}
    assert ("a", "1") in s.items()
    assert len(s.values()) == 2
    assert 5 not in s  # type: ignore[comparison-overlap]


def test_iteration_walks_pages_and_yields_stable_keys_once_while_pulling(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name))
    s.add_many([(f"s{i:04}", "v", 1.0) for i in range(1200)])  # stable, low priority
    s.add_many([(f"h{i:04}", "v", 5.0) for i in range(600)])  # pulled during the walk
    seen = []
    for count, key in enumerate(s):
        seen.append(key)
        if count % 100 == 0:
            s.pull(40)
    stable = [key for key in seen if key.startswith("s")]
    assert sorted(stable, reverse=True) == stable
    assert len(stable) == len(set(stable)) == 1200


def test_every_key_lives_in_the_stream_slot_and_none_is_global(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    before = set(r.scan_iter())
    # good-redis registers every stream in a global ':ps:keys' set
    s = flavour(PriorityStream(r, name))
    s.add_many([("a", "A", 1.0), ("b", "B", 1.0)])
    s.pull(gate=True)
    assert stream_keys_on_server(r, before) == {
        name.encode(),
        f"{{{name}}}:values".encode(),
        f"{{{name}}}:cooling".encode(),
        f"{{{name}}}:gated".encode(),
    }
    s.clear()
    assert stream_keys_on_server(r, before) == set()


#: The server's clock decides here, not the client library: one library per topology.
@pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)
def test_nothing_is_left_behind_once_drained_and_cooled_down(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    before = set(r.scan_iter())
    # good-redis keeps every pulled key in its expiry set until psexpire runs
    s = flavour(PriorityStream(r, name))
    s.add_many([(f"key-{i}", "x" * 20, float(i % 7)) for i in range(20_000)])
    # One deadline for every pull, far enough for a loaded machine to drain first.
    ends = datetime.now(timezone.utc) + timedelta(seconds=3)
    while s.pull(500, expire_at=ends):
        pass
    assert r.zcard(f"{{{name}}}:cooling") == 20_000
    time.sleep(max(0.0, (ends - datetime.now(timezone.utc)).total_seconds()) + 0.1)
    assert len(s) == 0
    assert stream_keys_on_server(r, before) == set()


def test_a_text_stream_works_with_a_decoding_client(
    flavour: Flavour, server: Server, name: str
) -> None:
    client = server.client(decode_responses=True)
    s = flavour(PriorityStream(client, name))
    s.add("clé", "valeur", 2)
    assert dict(s.items()) == {"clé": "valeur"}
    assert s.pull() == {"clé": "valeur"}
    client.close()


def test_an_undecodable_value_is_moved_to_the_dead_letters(
    flavour: Flavour, r: redis.Redis, name: str
) -> None:
    s = flavour(PriorityStream(r, name, serializer=MsgspecCodec(Feed)))
    s.add("good", Feed("https://ok"), 1)
    r.zadd(name, {"bad": 2.0})
    r.hset(f"{{{name}}}:values", "bad", b"not json")
    with pytest.raises(DecodeError):
        s["bad"]  # moved to the dead letters (test_stream_parity.py has the details)
    assert s.pull(2) == {"good": Feed("https://ok")}
    assert [(d.key, d.raw, d.score) for d in s.dead_letters()] == [("bad", b"not json", 2.0)]
    assert s.clear_dead_letters() == 1


def test_repr_does_no_io(name: str) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1)  # nothing listens there
    s = PriorityStream(dead, name, serializer=MsgspecCodec(Feed), decay=0.5)
    assert repr(s) == f"PriorityStream({name!r}, serializer=MsgspecCodec(Feed, format='json'))"
    assert s.decay == 0.5
