"""Durability a caller can ask for: each write followed by ``WAIT`` (and ``WAITAOF``).

Redis replication is asynchronous: a write the master answered can be lost
if the master fails before a replica has it. A collection made with
``durability=Durability(replicas=1)`` sends ``WAIT 1 <timeout>`` right after
each of its writes, in the same write on the same connection (so ``WAIT``
counts that write), and raises :class:`~typedset.errors.DurabilityError`
when fewer replicas confirmed it in time. ``aof=True`` sends ``WAITAOF``
instead (Redis and Valkey 7.2 and later), which also waits for the master's
own append-only file to have the write on disk.

Sans-I/O like the rest of the core: :func:`durable` rewrites a flow's
:class:`~._ops.Send` steps; the driver sends the extra command after every
attempt of the step (``Send.after``), so a write retried after ``TRYAGAIN``
or ``MOVED`` is waited for where it finally ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypeVar, cast

from ._ops import RESENDABLE, WRITES, Flow, Send, ServerError, Step, as_array, as_int
from .errors import DurabilityError

__all__ = ["DURABLE_OPS", "Durability", "durable"]

R = TypeVar("R")

#: The operations that change data: each is followed by the wait. (Reads that return
#: expired leases to pending change data too, but only to what any later call would.)
DURABLE_OPS = WRITES | (RESENDABLE & {"extend", "extend_many", "quarantine"})


@dataclass(frozen=True, slots=True)
class Durability:
    """How many copies a write must have before a call returns.

    ``replicas``: how many replicas must confirm each write (``WAIT``);
    ``timeout``: how long to wait for them, in seconds; ``aof``: also wait
    until the master's append-only file has the write (``WAITAOF``; needs
    ``appendonly yes`` and Redis/Valkey 7.2+), and count replicas whose AOF
    has it. A write that is not confirmed in time raises
    :class:`~typedset.DurabilityError` *after* it was applied.

    >>> Durability(replicas=1, timeout=0.5)
    Durability(replicas=1, timeout=0.5, aof=False)

    Costs no extra round trip: the wait travels in the same write. A write
    takes as long as its slowest required replica takes to confirm it.
    """

    replicas: int = 1
    timeout: float = 1.0
    aof: bool = False

    def __post_init__(self) -> None:
        replicas = cast(object, self.replicas)  # an untyped caller may pass anything
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ValueError(f"replicas must be an int >= 0, not {replicas!r}")
        timeout = cast(object, self.timeout)
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not 0 < timeout < math.inf
        ):
            raise ValueError(f"timeout must be a number of seconds > 0, not {timeout!r}")
        if not isinstance(cast(object, self.aof), bool):
            raise TypeError(f"aof must be a bool, not {self.aof!r}")

    @property
    def command(self) -> tuple[str, ...]:
        """The command sent after each write: ``WAIT`` or ``WAITAOF``."""
        milliseconds = str(max(1, math.ceil(self.timeout * 1000)))
        if self.aof:
            return ("WAITAOF", "1", str(self.replicas), milliseconds)
        return ("WAIT", str(self.replicas), milliseconds)


def durable(flow: Flow[R], durability: Durability, name: str) -> Flow[R]:
    """``flow`` with each write followed by the wait; raises if a write fell short.

    The flow runs to its end either way: a shortfall is raised with the
    flow's result attached, never instead of it.
    """
    short: tuple[str, int, int | None, str | None] | None = None
    answer: object = None
    try:
        step: Step = next(flow)
        while True:
            if isinstance(step, Send) and step.op in DURABLE_OPS and not step.optional:
                replies = list((yield _with_wait(step, durability)))
                waits = replies.pop()
                assert isinstance(waits, list), waits
                if all(_wrote_nothing(reply) for reply in replies):
                    waits = []  # an EVALSHA the server did not know, a pop that found nothing
                for wait in cast("list[object]", waits):  # one per attempt that ran writes
                    confirmed, local, refused = _confirmed(wait, durability)
                    if confirmed < durability.replicas or local == 0 or refused:
                        short = short or (step.op, confirmed, local, refused)
                answer = replies
            else:
                answer = yield step
            step = flow.send(answer)
    except StopIteration as done:
        if short is not None:
            op, confirmed, local, refused = short
            raise DurabilityError(
                op, name, done.value, confirmed, durability.replicas, local, refused
            ) from None
        result: R = done.value
        return result


def _with_wait(step: Send, durability: Durability) -> Send:
    """``step`` followed by the wait: its reply may take the wait's time longer."""
    after = (*step.after, durability.command)
    if step.wait is not None:  # a blocking step: its own connection and timeout already
        return replace(step, after=after, wait=step.wait + durability.timeout)
    return replace(step, after=after, patience=durability.timeout)


def _wrote_nothing(reply: object) -> bool:
    """A reply that says its command changed nothing: nil (a ``BZPOPMIN`` that timed out)
    or ``NOSCRIPT`` (the script is sent again, and that attempt's wait is the one that counts)."""
    return reply is None or (isinstance(reply, ServerError) and reply.code == "NOSCRIPT")


def _confirmed(reply: object, durability: Durability) -> tuple[int, int | None, str | None]:
    """Replicas that confirmed, whether the local AOF has the write (``WAITAOF``), and the
    server's refusal of the wait (``WAITAOF`` without ``appendonly``, or before 7.2)."""
    local = 0 if durability.aof else None
    if isinstance(reply, ServerError):
        return 0, local, str(reply.exception)
    if durability.aof:
        local, replicas = (as_int(part) for part in as_array(reply))
        return replicas, local, None
    return as_int(reply), None, None
