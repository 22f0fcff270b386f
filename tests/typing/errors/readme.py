"""The README's list of mistakes (its ``type-errors`` block), line for line."""

from __future__ import annotations

import msgspec
import redis

from typedset import MsgspecCodec, Serializer, SortedSet


class Task(msgspec.Struct, frozen=True):
    id: int


def readme(r: redis.Redis, tasks: SortedSet[Task], names: SortedSet[str]) -> None:
    tasks.add("x")  # E: arg-type reportArgumentType
    tasks |= {"x"}  # E: arg-type reportOperatorIssue


def scorer(r: redis.Redis) -> None:
    SortedSet(r, "t", serializer=MsgspecCodec(Task), scorer=lambda t: t.upper())  # E: attr-defined reportAttributeAccessIssue
    s: SortedSet[int] = SortedSet(r, "k")  # E: assignment reportAssignmentType
    codec: Serializer[str] = MsgspecCodec(Task)  # E: arg-type reportAssignmentType


def leases(tasks: SortedSet[Task], names: SortedSet[str]) -> None:
    tasks.ack(names.claim()[0])  # E: arg-type reportArgumentType
