"""Mistakes with the priority stream's parity API (issue 13, item 4) are type errors."""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec
import redis
import redis.asyncio

from typedset import MsgspecCodec, PriorityStream
from typedset.aio import AsyncPriorityStream


class Feed(msgspec.Struct, frozen=True):
    url: str


async def misuse(r: redis.Redis, ar: redis.asyncio.Redis) -> None:
    feeds = PriorityStream(r, "feeds", serializer=MsgspecCodec(Feed))
    feeds.pull(timeout="1")  # E: arg-type reportArgumentType
    feeds.pull(timeout=timedelta(seconds=1))  # E: arg-type reportArgumentType
    feeds.contains(5)  # E: arg-type reportArgumentType
    feeds.ungate(5)  # E: arg-type reportArgumentType
    feeds.cool_down(5, 1.0)  # E: arg-type reportArgumentType
    feeds.cool_down("k", "soon")  # E: arg-type reportArgumentType
    feeds.cool_down("k")  # E: call-arg reportCallIssue
    gated: bool = feeds.gated()  # E: assignment reportAssignmentType
    until: float = feeds.cool_down("k", 1.0)  # E: assignment reportAssignmentType
    when: float = feeds.cooling()["k"]  # E: assignment reportAssignmentType
    feeds.dead_letters()[0].key.decode()  # E: attr-defined reportAttributeAccessIssue
    feed: Feed = feeds.dead_letters()[0].raw  # E: assignment reportAssignmentType
    streams = AsyncPriorityStream(ar, "feeds", serializer=MsgspecCodec(Feed))
    streams.cooling()["k"]  # E: index reportIndexIssue
    deadline: datetime = streams.cool_down("k", 1.0)  # E: assignment reportAssignmentType
    for _letter in streams.dead_letters():  # E: attr-defined reportGeneralTypeIssues
        pass
