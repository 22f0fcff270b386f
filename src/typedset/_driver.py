"""The only code that does I/O. It holds no logic: it answers a flow's steps.

A flow (see ``_ops``) yields :class:`~._ops.Send` (one command line),
:class:`~._ops.SendMany` (a pipeline) and :class:`~._ops.Sleep`; the driver
sends, sleeps, and hands back the raw replies, server errors included as
values. ``drive`` and ``adrive`` are the same loop, blocking and awaiting.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from redis.crc import key_slot
from redis.exceptions import ResponseError

from ._ops import Flow, Send, SendMany, Sleep
from .protocols import Arg, AsyncClient, Serializer, SyncClient

__all__ = ["adrive", "check_client", "drive", "same_slot"]

R = TypeVar("R")


def check_client(
    client: SyncClient | AsyncClient, codec: Serializer[Any], *, asyncio: bool
) -> None:
    """Refuse a client of the wrong flavour, or one that would mangle this codec's bytes."""
    execute = getattr(client, "execute_command", None)
    if not callable(execute):
        raise TypeError(f"client must be a redis-py or valkey-py client, not {client!r}")
    # A blocking client handed to an async twin would run each command before
    # the twin failed to await it: refuse it here, before anything is sent.
    if inspect.iscoroutinefunction(execute) != asyncio:
        wanted = "an asyncio client (redis.asyncio)" if asyncio else "a blocking client"
        raise TypeError(f"{client!r} is the wrong flavour: this collection needs {wanted}")
    get_encoder = getattr(client, "get_encoder", None)
    decodes = bool(get_encoder().decode_responses) if callable(get_encoder) else False
    if decodes and getattr(codec, "binary", True):
        raise ValueError(
            f"{codec!r} stores binary data, but the client was created with "
            "decode_responses=True and would try to decode it as text; use a client "
            "with decode_responses=False (typedset decodes replies itself)"
        )


def same_slot(client: object, key: str, other: str) -> bool:
    """Whether one script may touch both keys on this client's server(s)."""
    if not hasattr(client, "nodes_manager"):  # not a cluster: any two keys will do
        return True
    return key_slot(key.encode()) == key_slot(other.encode())


def _send(client: SyncClient, command: tuple[Arg, ...]) -> object:
    try:
        return client.execute_command(*command)
    except ResponseError as exc:
        return exc


def _send_many(client: SyncClient, commands: tuple[tuple[Arg, ...], ...]) -> Sequence[object]:
    pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return pipe.execute(raise_on_error=False)


def drive(client: SyncClient, flow: Flow[R]) -> R:
    """Run a flow to its result on a blocking client."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, Send):
                step = flow.send(_send(client, step.command))
            elif isinstance(step, SendMany):
                step = flow.send(_send_many(client, step.commands))
            else:
                assert isinstance(step, Sleep)
                time.sleep(step.seconds)
                step = flow.send(None)
    except StopIteration as stop:
        result: R = stop.value
        return result


async def _asend_many(
    client: AsyncClient, commands: tuple[tuple[Arg, ...], ...]
) -> Sequence[object]:
    pipe = client.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return await pipe.execute(raise_on_error=False)


async def adrive(client: AsyncClient, flow: Flow[R]) -> R:
    """Run a flow to its result on an asyncio client."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, Send):
                # inlined (no helper coroutine): this is the hot path of every call
                try:
                    reply = await client.execute_command(*step.command)
                except ResponseError as exc:
                    reply = exc
                step = flow.send(reply)
            elif isinstance(step, SendMany):
                step = flow.send(await _asend_many(client, step.commands))
            else:
                assert isinstance(step, Sleep)
                await asyncio.sleep(step.seconds)
                step = flow.send(None)
    except StopIteration as stop:
        result: R = stop.value
        return result
