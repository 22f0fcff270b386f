"""Drives flows over a backend: the retry policy, redirects, and waiting.

A flow (see ``_ops``) yields :class:`~._ops.Send` (command lines for one
write) and :class:`~._ops.Sleep`; the driver hands back the replies. What
happens when a send goes wrong is decided once, in :func:`exchange`, for
both drivers:

* a redirect (``MOVED``, ``ASK``) or a refusal (``TRYAGAIN``,
  ``CLUSTERDOWN``, ``MASTERDOWN``, ``READONLY``, ``LOADING``, and
  ``UNBLOCKED``: a blocking pop on a master that became a replica popped
  nothing) means the command did not run: it is sent again, to the node
  the redirect names (up to
  :data:`MAX_REDIRECTS` times) or after a pause, for up to :data:`PATIENCE`
  seconds of pauses in all: a slot migration answers ``TRYAGAIN`` to a
  multi-key script until the collection's keys are together again, and a
  failover answers ``CLUSTERDOWN`` (or refuses connections) for seconds;
* a connection failure before any complete command left the client (the
  pool was exhausted, connecting failed) is retried the same way;
* a connection failure after the command may have reached the server is
  retried only for operations in :data:`~._ops.RESENDABLE`, up to
  :data:`MAX_ATTEMPTS` times; for every
  other operation the caller gets the client library's own
  ``ConnectionError``/``TimeoutError``, saying which operation it was and
  that it may or may not have been applied. Nothing else re-sends: the
  backend bypasses the client's own ``Retry``.

``drive`` and ``adrive`` are the same loop, blocking and awaiting; the
asyncio one sends through the client's shared pipeline (``_pipeline.py``),
except blocking commands, which get a connection of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Generator, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ._backend import BLOCKING_MARGIN, AsyncBackend, AsyncLink, Backend, LinkFailure
from ._ops import (
    Command,
    Flow,
    Send,
    ServerError,
    Sleep,
    answered_before_close,
    closes_connection,
    routing_key,
)
from ._pipeline import pipeline_for

__all__ = ["adrive", "drive", "exchange", "with_policy"]

R = TypeVar("R")
log = logging.getLogger("typedset")

#: How many times a resendable step whose reply was lost is sent at most (the first included).
MAX_ATTEMPTS = 5
#: How many redirects (``MOVED``, ``ASK``) one step follows at most.
MAX_REDIRECTS = 16
#: Seconds of pauses one step spends, in all, waiting out refusals and connections that
#: could not be made before the caller gets the error: longer than a failover takes.
PATIENCE = 10.0
#: Replies that mean "this did not run here": send again, as :func:`exchange` says.
RETRY_CODES = frozenset(
    {"MOVED", "ASK", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "LOADING", "UNBLOCKED"}
)


#: What a caller is told, beyond "may or may not have been applied", per operation.
_HINTS = {
    "pop": "pop delivers at most once: the item may have been removed and is not returned",
    "take": "take delivers at most once: the items may have been removed and are not returned",
    "pull": "pull delivers at most once: the items may have been pulled and are not returned",
}


@dataclass(slots=True)
class Wire:
    """Step for a driver: send ``commands`` in one write to ``key``'s node; answer the replies.

    The driver answers with the list of raw replies, or with the
    :class:`~._backend.LinkFailure` it caught. ``asking`` sends them to the
    node a redirect named: after ``ASKING`` for an ``ASK``, as they are for a
    ``MOVED`` (the topology a refresh reads may still name the old node for
    a moment after a failover); ``wait`` marks a blocking command (see
    :class:`~._ops.Send`).
    """

    key: object
    commands: tuple[Command, ...]
    wait: float | None = None
    asking: ServerError | None = None
    patience: float | None = None
    undo: Callable[[object], Command | None] | None = None
    #: Carried out even when the asyncio caller is cancelled meanwhile (see ``Send``).
    shield: bool = False


@dataclass(slots=True)
class Refresh:
    """Step for a driver: re-read the cluster's topology; answer ``None``."""


#: What a driver performs: the primitive steps.
Primitive = Generator["Wire | Refresh | Sleep", object, R]


def with_policy(flow: Flow[R]) -> Primitive[R]:
    """``flow`` with each :class:`~._ops.Send` carried out by :func:`exchange`."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, Send):
                answer: object = yield from exchange(step)
            else:
                yield step
                answer = None
            step = flow.send(answer)
    except StopIteration as stop:
        result: R = stop.value
        return result


def exchange(send: Send) -> Primitive[list[object]]:
    """One step's final replies, through redirects, refusals and the retry policy.

    Written once for both drivers: it yields :class:`Wire`, :class:`Refresh`
    and :class:`~._ops.Sleep` and receives each attempt's outcome. The
    step's ``after`` commands follow its commands in every attempt (each
    attempt may run on another node); after the step's own replies comes,
    for each ``after`` command, the list of its replies, one per attempt
    that ran some of the commands.
    """
    commands = send.commands
    after = send.after
    key = routing_key(commands[0])
    outcome = _outcome(
        (yield Wire(key, commands + after, send.wait, None, send.patience, send.undo, send.shield))
    )
    if isinstance(outcome, list) and not any(_not_run(reply) for reply in outcome[: len(commands)]):
        if not after:
            return outcome  # the common case, settled at the first attempt
        return [*outcome[: len(commands)], *([reply] for reply in outcome[len(commands) :])]
    replies: list[object] = [None] * len(commands)
    trailers: list[list[object]] = [[] for _ in after]
    todo = list(range(len(commands)))
    lost = redirects = pauses = 0
    while True:
        asking: ServerError | None = None
        if isinstance(outcome, LinkFailure):
            if send.optional:
                return [outcome]
            if outcome.sent and not send.resend:
                raise maybe_applied(outcome.error, send, key) from outcome.error
            lost += outcome.sent
            if lost >= MAX_ATTEMPTS or _paused(pauses) >= PATIENCE:
                raise outcome.error
            yield Refresh()
            pauses += 1
            yield Sleep(_backoff(pauses))
        else:
            assert isinstance(outcome, list), outcome
            if not all(_not_run(reply) for reply in outcome[: len(todo)]):
                for seen, reply in zip(trailers, outcome[len(todo) :], strict=True):
                    seen.append(reply)
            again: list[int] = []
            first: ServerError | None = None
            for i, reply in zip(todo, outcome[: len(todo)], strict=True):
                replies[i] = reply
                if _not_run(reply):
                    again.append(i)
                    first = first or cast("ServerError", reply)
            redirecting = first is not None and first.code in ("MOVED", "ASK")
            if redirecting and redirects >= 2:  # the topology is settling: let it
                pauses += 1
                yield Sleep(_backoff(pauses))
            if (
                first is None
                or (redirecting and redirects >= MAX_REDIRECTS)
                or (not redirecting and _paused(pauses) >= PATIENCE)
            ):
                # a refusal that outlasted our patience is raised by the core
                return [*replies, *trailers]
            todo = again
            if first.code in ("ASK", "MOVED"):
                asking = first  # straight to the node named
                redirects += 1
                if first.code == "MOVED":
                    yield Refresh()  # for the calls after this one
            else:
                if first.code in ("READONLY", "UNBLOCKED"):  # a replica now: the master moved
                    yield Refresh()
                pauses += 1
                yield Sleep(_backoff(pauses))
        retried = tuple(commands[i] for i in todo) + after
        outcome = _outcome(
            (yield Wire(key, retried, send.wait, asking, send.patience, send.undo, send.shield))
        )


def _not_run(reply: object) -> bool:
    return isinstance(reply, ServerError) and reply.code in RETRY_CODES


def _outcome(sent: object) -> list[object] | LinkFailure:
    """What a driver sent back for a :class:`Wire`: its replies, or the link's failure."""
    assert isinstance(sent, list | LinkFailure), sent
    return cast("list[object] | LinkFailure", sent)


def _paused(pauses: int) -> float:
    """The seconds the first ``pauses`` pauses of one step add up to."""
    return sum(_backoff(n) for n in range(1, pauses + 1))


def _backoff(attempt: int) -> float:
    return min(0.5, 0.025 * (1 << attempt))


def maybe_applied(error: Exception, send: Send, key: object) -> Exception:
    """``error``'s own class, with a message that says what may have happened."""
    hint = _HINTS.get(send.op)
    where = key.decode("utf-8", "replace") if isinstance(key, bytes) else key
    message = (
        f"typedset {send.op} on {where!r}: {error}. The connection failed after the command "
        "was sent, so it may or may not have been applied; typedset does not send a write "
        "twice" + (f". {hint}" if hint else "")
    )
    try:
        return type(error)(message)
    except Exception:  # an exception class that wants other arguments: keep it as it was
        return error


# --- blocking ---------------------------------------------------------------------


def drive(backend: Backend, flow: Flow[R]) -> R:
    """Run a flow to its result on a blocking client."""
    steps = with_policy(flow)
    try:
        step = next(steps)
        while True:
            answer: object = None
            if isinstance(step, Wire):
                try:
                    answer = backend.transmit(
                        step.key,
                        step.commands,
                        wait=step.wait,
                        asking=step.asking,
                        patience=step.patience,
                    )
                except LinkFailure as failure:
                    answer = failure
            elif isinstance(step, Refresh):
                with contextlib.suppress(LinkFailure):  # the next attempt fails or finds its way
                    backend.refresh()
            else:
                time.sleep(step.seconds)
            step = steps.send(answer)
    except StopIteration as stop:
        result: R = stop.value
        return result


# --- asyncio --------------------------------------------------------------------


async def adrive(backend: AsyncBackend, flow: Flow[R]) -> R:
    """Run a flow to its result on an asyncio client."""
    steps = with_policy(flow)
    try:
        step = next(steps)
        while True:
            answer: object = None
            if isinstance(step, Wire):
                try:
                    if step.shield:  # a cancelled caller leaves it running to its end
                        answer = await _shielded(_wire(backend, step))
                    else:
                        answer = await _wire(backend, step)
                except LinkFailure as failure:
                    answer = failure
            elif isinstance(step, Refresh):
                with contextlib.suppress(LinkFailure):
                    await backend.refresh()
            else:
                await asyncio.sleep(step.seconds)
            step = steps.send(answer)
    except StopIteration as stop:
        result: R = stop.value
        return result


#: Shielded steps still running: held here, since the event loop keeps only weak references.
_SHIELDED: set[asyncio.Task[list[object]]] = set()


async def _shielded(step: Coroutine[object, None, list[object]]) -> list[object]:
    """``step``'s replies; a cancelled caller leaves it running to its end (see ``Send``)."""
    task = asyncio.get_running_loop().create_task(step)
    _SHIELDED.add(task)
    task.add_done_callback(_SHIELDED.discard)
    return await asyncio.shield(task)


async def _wire(backend: AsyncBackend, wire: Wire) -> list[object]:
    if not backend.ready:
        await backend.start()
    node = backend.node(wire.key, wire.asking)
    commands, wait = wire.commands, wire.wait
    if wait is None and wire.patience is None:
        return await pipeline_for(backend).submit(node, commands)
    if wait is None:  # a slow reply (a WAIT): a connection of its own, not the pipeline's
        return await _on_own_link(backend, node, wire, None)
    # A blocking command holds its connection until the server answers: it
    # gets one of its own, never the shared pipeline's. When the pool has
    # none to spare within the wait, the command never runs and is answered
    # as the server answers a wait that ran out: nil.
    slots = pipeline_for(backend).blocking_slots(node)
    if not await _acquire(slots, wait):
        return [None for _ in commands]
    return await _on_own_link(backend, node, wire, slots)


async def _on_own_link(
    backend: AsyncBackend, node: Hashable, wire: Wire, slots: asyncio.Semaphore | None
) -> list[object]:
    """``wire`` on a connection of its own: a blocking command (holding one of ``slots``,
    released here) or a slow reply. A caller cancelled after the write hands the
    connection to :func:`_undo_after_cancel` when the step can undo what it took."""
    handed_over = False
    try:
        link = await backend.open(node)
        clean = False
        try:
            await link.write(link.pack(wire.commands))
            if wire.wait is not None:  # its own read timeout, whatever the client's
                timeout: float | None = wire.wait + BLOCKING_MARGIN
            else:  # at least the wait's, never shorter than the client's
                patience = wire.patience or 0.0
                timeout = link.patient(patience + BLOCKING_MARGIN)
            replies: list[object] = []
            try:
                replies = await _read_all(link, len(wire.commands), timeout, replies)
            except asyncio.CancelledError:
                if wire.undo is not None:  # it may still pop: read on, put back what it takes
                    count = len(wire.commands)
                    _finish_later(backend, link, replies, count, timeout, wire.undo, slots)
                    handed_over = True
                raise
            clean = not any(closes_connection(reply) for reply in replies)
            return replies
        finally:
            if not handed_over:
                await link.close(reusable=clean)
    finally:
        if slots is not None and not handed_over:
            slots.release()


async def _read_all(
    link: AsyncLink, count: int, timeout: float | None, into: list[object] | None = None
) -> list[object]:
    """``count`` replies, appended to ``into`` as they come (a caller cancelled half-way
    keeps those read). After ``UNBLOCKED`` the server closes the connection: the commands
    after it never ran, and are answered the same."""
    replies = [] if into is None else into
    while len(replies) < count:
        try:
            replies.append(await link.read(timeout))
        except LinkFailure:
            answered = answered_before_close(replies, count)
            if answered is None:
                raise
            replies[:] = answered
    return replies


def _finish_later(
    backend: AsyncBackend,
    link: AsyncLink,
    already: list[object],
    count: int,
    timeout: float | None,
    undo: Callable[[object], Command | None],
    slots: asyncio.Semaphore | None,
) -> None:
    """Hand a cancelled caller's connection to :func:`_undo_after_cancel` (kept referenced)."""
    pipeline = pipeline_for(backend)
    task = asyncio.get_running_loop().create_task(
        _undo_after_cancel(link, already, count, timeout, undo, slots)
    )
    pipeline.closing.add(task)
    task.add_done_callback(pipeline.closing.discard)


async def _undo_after_cancel(
    link: AsyncLink,
    already: list[object],
    count: int,
    timeout: float | None,
    undo: Callable[[object], Command | None],
    slots: asyncio.Semaphore | None,
) -> None:
    """Read the reply of a blocking command whose caller was cancelled; put back what it took.

    A cancelled ``pop(timeout=)`` may already be blocked in ``BZPOPMIN`` on
    the server: an item added next is popped for nobody (closing the
    connection does not always stop it in time: Redis 6.2 served such dead
    clients). A durable pop may be waiting for its ``WAIT`` with the item
    already popped. So the replies are read to the end, and what the first
    command popped goes back.
    """
    try:
        replies = await _read_all(link, count, timeout, list(already))
        first = replies[0]
        put_back = None if isinstance(first, ServerError) else undo(first)
        if put_back is not None:
            await link.write(link.pack([put_back]))
            reply = await link.read(timeout)
            if isinstance(reply, ServerError):
                log.error("typedset: could not put back %r after a cancel: %s", put_back, reply)
    except Exception as exc:  # the connection failed: what it popped is lost, say so
        log.error("typedset: a cancelled blocking pop's reply could not be read: %s", exc)
    finally:
        try:
            await link.close(reusable=False)
        finally:
            if slots is not None:
                slots.release()


async def _acquire(slots: asyncio.Semaphore, wait: float) -> bool:
    """Take a slot within ``wait`` seconds; whether it was taken.

    Not ``wait_for(slots.acquire())``: before Python 3.12 that could take
    the slot and swallow a cancellation that came at the same moment. Here
    a slot taken by an acquire that came too late is given back.
    """
    taking = asyncio.ensure_future(slots.acquire())
    try:
        done, _ = await asyncio.wait((taking,), timeout=wait)
    except BaseException:  # cancelled while waiting
        _give_back_if_taken(taking, slots)
        raise
    if taking in done:
        return True
    _give_back_if_taken(taking, slots)
    return False


def _give_back_if_taken(taking: asyncio.Future[Any], slots: asyncio.Semaphore) -> None:
    taking.cancel()

    def settle(future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            slots.release()

    taking.add_done_callback(settle)
