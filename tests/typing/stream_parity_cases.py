"""Inference cases for the priority stream's parity with the sets (issue 13, item 4).

Dead letters with their key, ``pull(timeout=)``, ``cooling()``, ``gated()``,
``ungate()`` and ``cool_down()``, on the blocking and asyncio classes and on
their models. Checked by mypy --strict and basedpyright strict (both cover
tests/typing; never run). Each valid use has an ``assert_type``; the
mistakes are in errors/stream_parity_misuse.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
import redis
import redis.asyncio
from typing_extensions import assert_type

from typedset import DeadLetter, MsgspecCodec, PriorityStream
from typedset._stream_ops import StreamDeadLetter
from typedset.aio import AsyncPriorityStream
from typedset.testing import AsyncMemoryPriorityStream, MemoryPriorityStream


class Feed(msgspec.Struct, frozen=True):
    url: str


def blocking(r: redis.Redis) -> None:
    feeds = PriorityStream(r, "feeds", serializer=MsgspecCodec(Feed))
    assert_type(feeds.pull(3, timeout=1.5), dict[str, Feed])
    assert_type(feeds.pull(timeout=None, gate=True), dict[str, Feed])
    assert_type(feeds.pull(timeout=2), dict[str, Feed])  # an int is a float here
    letters = feeds.dead_letters()
    assert_type(letters, list[StreamDeadLetter])
    letter = letters[0]
    assert_type(letter.key, str)
    assert_type(letter.raw, bytes)
    assert_type(letter.reason, str)
    assert_type(letter.score, float)
    assert_type(letter.at, float)
    as_set_letter: DeadLetter = letter  # a stream's dead letter is a DeadLetter
    assert_type(as_set_letter.raw, bytes)
    assert_type(feeds.requeue_dead(), int)
    assert_type(feeds.clear_dead_letters(), int)
    assert_type(feeds.cooling(), dict[str, datetime])
    assert_type(feeds.gated(), set[str])
    assert_type(feeds.ungate("k"), bool)
    assert_type(feeds.cool_down("k", timedelta(hours=1)), datetime)
    assert_type(feeds.cool_down("k", 30.0), datetime)
    assert_type(feeds.cool_down("k", 30), datetime)
    assert_type(feeds.cool_down("k", datetime.now(timezone.utc)), datetime)
    assert_type(feeds.contains("k"), bool)
    assert_type("k" in feeds, bool)
    maybe: object = 5
    assert_type(maybe in feeds, bool)  # any object: False for what is not a str


async def asyncio_twin(ar: redis.asyncio.Redis) -> None:
    feeds = AsyncPriorityStream(ar, "feeds", serializer=MsgspecCodec(Feed))
    assert_type(await feeds.pull(3, timeout=1.5), dict[str, Feed])
    assert_type(await feeds.dead_letters(), list[StreamDeadLetter])
    assert_type(await feeds.requeue_dead(), int)
    assert_type(await feeds.clear_dead_letters(), int)
    assert_type(await feeds.cooling(), dict[str, datetime])
    assert_type(await feeds.gated(), set[str])
    assert_type(await feeds.ungate("k"), bool)
    assert_type(await feeds.cool_down("k", timedelta(minutes=5)), datetime)
    assert_type(await feeds.contains("k"), bool)


async def models() -> None:
    model = MemoryPriorityStream(serializer=MsgspecCodec(Feed))
    assert_type(model.pull(timeout=0.5), dict[str, Feed])
    assert_type(model.dead_letters(), list[StreamDeadLetter])
    assert_type(model.requeue_dead(), int)
    assert_type(model.cooling(), dict[str, datetime])
    assert_type(model.gated(), set[str])
    assert_type(model.ungate("k"), bool)
    assert_type(model.cool_down("k", 1.0), datetime)
    twin = AsyncMemoryPriorityStream()
    assert_type(await twin.pull(timeout=0.5), dict[str, str])
    assert_type(await twin.dead_letters(), list[StreamDeadLetter])
    assert_type(await twin.requeue_dead(), int)
    assert_type(await twin.cooling(), dict[str, datetime])
    assert_type(await twin.gated(), set[str])
    assert_type(await twin.ungate("k"), bool)
    assert_type(await twin.cool_down("k", timedelta(seconds=1)), datetime)
