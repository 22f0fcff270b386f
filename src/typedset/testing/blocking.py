"""Drive an asyncio collection from blocking code, one coroutine at a time.

The state machines and the behaviour tests are written once, in blocking
style, and run against both twins: for the async twin they go through a
:class:`BlockingView`, which runs each coroutine to completion on one event
loop. ``in``, ``len()``, iteration and the in-place operators map to
``contains``, ``size``, ``async for`` and ``union_update`` and its siblings,
exactly as the twins pair them; ``view[key]`` awaits ``twin[key]``. Nothing
else is translated, so a method the async twin lacks fails here as it would
for a user.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

__all__ = ["BlockingView"]

R = TypeVar("R")


class BlockingView:
    """Blocking access to an async collection; every call runs on ``loop``."""

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.target = target
        self.loop = loop

    def run(self, awaitable: Awaitable[R]) -> R:
        async def wrapped() -> R:
            return await awaitable

        return self.loop.run_until_complete(wrapped())

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self.target, attr)
        if not inspect.iscoroutinefunction(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.run(value(*args, **kwargs))

        return call

    def __repr__(self) -> str:
        return f"BlockingView({self.target!r})"

    def __contains__(self, item: object) -> bool:
        found: bool = self.run(self.target.contains(item))
        return found

    def __getitem__(self, key: object) -> Any:
        return self.run(self.target[key])

    def __len__(self) -> int:
        size: int = self.run(self.target.size())
        return size

    def __iter__(self) -> Iterator[Any]:
        items = self.target.__aiter__()
        while True:
            try:
                yield self.run(items.__anext__())
            except StopAsyncIteration:
                return

    def _in_place(self, method: str, other: object) -> BlockingView:
        if isinstance(other, BlockingView):
            other = other.target
        self.run(getattr(self.target, method)(other))
        return self

    def __ior__(self, other: object) -> BlockingView:
        return self._in_place("union_update", other)

    def __iand__(self, other: object) -> BlockingView:
        return self._in_place("intersection_update", other)

    def __isub__(self, other: object) -> BlockingView:
        return self._in_place("difference_update", other)

    def __ixor__(self, other: object) -> BlockingView:
        return self._in_place("symmetric_difference_update", other)
