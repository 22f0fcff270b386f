"""Async auto-pipelining: every task that uses one client shares a few connections.

Theory of operation
-------------------
As in ioredis and valkey-glide, a caller does not take a connection of its
own. Its command lines join a queue on a *pipe* (one connection to one
node); a writer task sends everything queued in one write, so the commands
of every task that ran in one event-loop turn leave together, and a reader
task reads the replies in the same order and hands each caller its own.
Thousands of concurrent tasks need one connection per node; a pipe with
:data:`BUSY` requests waiting gets a sibling, up to :data:`MAX_LINKS`.

Cancellation never desynchronises a connection: a caller cancelled before
its command was written is dropped from the queue (nothing is sent); one
cancelled after is left in the queue of replies, whose reply is read and
thrown away. When the connection fails, every caller waiting on it gets a
:class:`~._backend.LinkFailure` that says whether its command was written,
and the pipe is closed, never reused; the next caller opens another.

Blocking commands never come here: they hold their connection until the
server answers (``_driver._once``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Hashable, Sequence

from ._backend import AsyncBackend, AsyncLink, LinkFailure
from ._ops import Command

__all__ = ["BUSY", "MAX_LINKS", "Pipeline", "pipeline_for"]

#: Most connections a pipeline opens to one node.
MAX_LINKS = 4
#: Requests waiting on a pipe before the pipeline opens another to the same node.
BUSY = 256


class _Request:
    __slots__ = ("commands", "future")

    def __init__(self, commands: Sequence[Command], future: asyncio.Future[list[object]]) -> None:
        self.commands = commands
        self.future = future


class _Pipe:
    """One connection to one node, shared by every caller that is sent to it."""

    def __init__(self, pipeline: Pipeline, node: Hashable) -> None:
        self.pipeline = pipeline
        self.node = node
        self.link: AsyncLink | None = None
        self.queued: list[_Request] = []
        self.inflight: deque[_Request] = deque()
        self.writer: asyncio.Task[None] | None = None
        self.reader: asyncio.Task[None] | None = None
        self.broken = False

    @property
    def load(self) -> int:
        return len(self.queued) + len(self.inflight)

    def submit(self, commands: Sequence[Command]) -> asyncio.Future[list[object]]:
        loop = self.pipeline.loop
        request = _Request(commands, loop.create_future())
        self.queued.append(request)
        if self.writer is None:
            # Started, not run: every caller of this loop turn queues before it writes.
            self.writer = loop.create_task(self._write())
        return request.future

    async def _write(self) -> None:
        try:
            if self.link is not None and not self.inflight and not self.link.usable():
                # Closed while idle (server timeout, restart, an earlier event
                # loop): nothing of ours is on it, so open another and go on.
                stale, self.link = self.link, None
                await stale.close(reusable=False)
            if self.link is None:
                self.link = await self.pipeline.backend.open(self.node)
            link = self.link
            while self.queued:
                batch, self.queued = self.queued, []
                packed: list[bytes] = []
                for request in batch:
                    if request.future.done():  # cancelled before it was sent: it never is
                        continue
                    try:
                        packed += link.pack(request.commands)
                    except Exception as exc:  # an argument the library cannot pack
                        request.future.set_exception(exc)
                        continue
                    self.inflight.append(request)
                if not packed:
                    continue
                if self.reader is None:
                    self.reader = self.pipeline.loop.create_task(self._read())
                await link.write(packed)
        except Exception as exc:  # a LinkFailure, or a bug that must reach the callers
            self._break(exc)
        except BaseException as exc:  # cancelled: the loop is closing
            self._break(_as_exception(exc))
            raise
        finally:
            self.writer = None

    async def _read(self) -> None:
        link = self.link
        assert link is not None
        inflight = self.inflight
        got: list[object] = []  # the replies of inflight[0] so far
        try:
            while inflight:
                for reply in await link.replies():
                    got.append(reply)
                    request = inflight[0]
                    if len(got) < len(request.commands):
                        continue
                    inflight.popleft()
                    if not request.future.done():  # a cancelled caller's reply is dropped here
                        request.future.set_result(got)
                    got = []
        except Exception as exc:
            self._break(exc)
        except BaseException as exc:
            self._break(_as_exception(exc))
            raise
        finally:
            self.reader = None

    def _break(self, failure: Exception) -> None:
        """Fail every caller, forget this pipe and close its connection (never reused).

        A connection failure reaches each caller as a :class:`LinkFailure`
        that says whether its command was written; anything else as itself.
        """
        if self.broken:
            return
        self.broken = True
        self.pipeline.forget(self)
        error = failure.error if isinstance(failure, LinkFailure) else None
        for requests, sent in ((self.inflight, True), (self.queued, False)):
            for request in requests:
                if not request.future.done():
                    request.future.set_exception(
                        failure if error is None else LinkFailure(error, sent=sent)
                    )
        self.inflight.clear()
        self.queued = []
        closing = self.pipeline.closing
        task = self.pipeline.loop.create_task(self._close())
        closing.add(task)
        task.add_done_callback(closing.discard)

    async def _close(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in (self.reader, self.writer) if t is not None and t is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if self.link is not None:
            with contextlib.suppress(Exception):
                await self.link.close(reusable=False)


def _as_exception(exc: BaseException) -> Exception:
    return exc if isinstance(exc, Exception) else RuntimeError(f"pipeline stopped: {exc!r}")


class Pipeline:
    """The pipes of one client on one event loop, by node."""

    def __init__(self, backend: AsyncBackend, loop: asyncio.AbstractEventLoop) -> None:
        self.backend = backend
        self.loop = loop
        self.pipes: dict[Hashable, list[_Pipe]] = {}
        self.closing: set[asyncio.Task[None]] = set()
        self._blocking: dict[Hashable, asyncio.Semaphore] = {}

    def blocking_slots(self, node: Hashable) -> asyncio.Semaphore:
        """Connections blocking commands may hold to ``node`` at once.

        The pool's limit, less what the shared pipes may take: a caller
        beyond it waits for a connection instead of failing.
        """
        slots = self._blocking.get(node)
        if slots is None:
            free = self.backend.capacity(node) - MAX_LINKS
            slots = self._blocking[node] = asyncio.Semaphore(max(1, free))
        return slots

    def _pipe(self, node: Hashable) -> _Pipe:
        pipes = self.pipes.get(node)
        if pipes is None:
            pipes = self.pipes[node] = []
        elif len(pipes) == 1 and pipes[0].load < BUSY:
            return pipes[0]
        best = min(pipes, key=lambda pipe: pipe.load, default=None)
        if best is None or (best.load >= BUSY and len(pipes) < MAX_LINKS):
            best = _Pipe(self, node)
            pipes.append(best)
        return best

    async def submit(self, node: Hashable, commands: Sequence[Command]) -> list[object]:
        """The raw replies to ``commands``, sent on a shared connection to ``node``."""
        return await self._pipe(node).submit(commands)

    def forget(self, pipe: _Pipe) -> None:
        pipes = self.pipes.get(pipe.node)
        if pipes is not None and pipe in pipes:
            pipes.remove(pipe)

    def adopt(self, earlier: Pipeline) -> None:
        """Give back, from this loop, the connections of a pipeline of an earlier loop."""
        for pipes in earlier.pipes.values():
            for pipe in pipes:
                if pipe.link is not None:
                    task = self.loop.create_task(pipe.link.close(reusable=False))
                    self.closing.add(task)
                    task.add_done_callback(self.closing.discard)
        earlier.pipes.clear()


def pipeline_for(backend: AsyncBackend) -> Pipeline:
    """The pipeline of ``backend`` on the running event loop (kept on the backend).

    A client used from one event loop after another gets a new pipeline on
    each; the connections of the one before go back to the client's pool.
    """
    loop = asyncio.get_running_loop()
    pipeline = backend.pipeline
    if pipeline is None or pipeline.loop is not loop:
        fresh = Pipeline(backend, loop)
        if isinstance(pipeline, Pipeline):
            fresh.adopt(pipeline)
        pipeline = backend.pipeline = fresh
    assert isinstance(pipeline, Pipeline)
    return pipeline
