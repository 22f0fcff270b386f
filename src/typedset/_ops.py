"""The sans-I/O core shared by the sync and async twins.

Theory of operation
-------------------
Every operation is described here, once, as data: a :class:`Call` is one
Redis command line, the function that parses its reply, and the name of the
operation, which decides whether the command may be sent again after a
connection failure (:data:`RESENDABLE`). An operation that needs more than
one step (a blocking pop, a pop that must move an undecodable item to the
dead-letter store) is a generator, a *flow*, that yields steps
(:class:`Send`, :class:`Sleep`) and receives the driver's answers. Even a
single call runs as a tiny flow (:func:`run`), which is where the
``NOSCRIPT`` fallback, the error translation and the parsing live.

Server errors reach a flow as values (:class:`ServerError`), classified by
their prefix (``NOSCRIPT``, ``WRONGTYPE``, ``MOVED``, ...); the user sees
the client library's own exception, which the value carries. The drivers in
``_driver.py`` follow redirects and apply the retry policy; the adapter in
``_redispy*.py`` is the only code that touches a client library. So a fix
made here fixes both flavours and every client, and the tests in
``tests/unit`` exercise the parsing with canned replies and no server.

The ``_ops*.py`` modules and the Lua files are the only places that name
Redis commands or read replies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar, cast

from . import _scripts as scripts
from ._keys import stream_keys
from ._scripts import Script
from .errors import EncodeError, NameClashError
from .protocols import Arg, Serializer

__all__ = [
    "PAGE_SIZE",
    "RESENDABLE",
    "WRITES",
    "Call",
    "Command",
    "Flow",
    "Send",
    "ServerError",
    "Sleep",
    "as_array",
    "as_bytes",
    "as_text",
    "check_codec",
    "check_count",
    "check_finite",
    "check_score",
    "check_timeout",
    "encode",
    "finish",
    "format_score",
    "hash_entries",
    "name_claim",
    "pairs",
    "redirect_address",
    "routing_key",
    "run",
    "run_batch",
    "script_call",
    "send",
]

R = TypeVar("R")
T = TypeVar("T")

#: Members fetched per round trip while iterating, by every collection kind.
PAGE_SIZE = 500

#: One command line.
Command: TypeAlias = "tuple[Arg, ...]"

#: Operations whose command may be sent again after a connection failure:
#: the reads, and the scripts whose second run changes nothing the first did
#: not (the stream's reads and ``expire`` only end cool-downs that are over;
#: the set's reads only return leases that are over; ``quarantine`` records
#: the same bytes again (a stream's moves nothing twice); ``extend`` sets the
#: same lease's deadline again; ``claim_name`` finds its own marker). ``ack``
#: and ``release`` are writes: a second run would answer ``False`` for a
#: lease the first ended, so the caller is told the outcome is unknown instead.
#: So is an expiring set's ``touch``: each run sets now + ttl on the server's
#: clock, a second run after a shortened deadline passed (or after another
#: client removed the member) answers ``False`` ("absent, unchanged") for a
#: member the first changed, and a reader between the two sees two deadlines.
#: Its reads (``contains``, ``score``, ``size``, ``isdisjoint``, ``iterate``,
#: ``dead_letters``) only remove members that have expired, which a second run
#: does again; its ``quarantine`` moves a member still there only once and
#: records the bytes ``pop`` took again, the same letter (``requeue_dead`` and
#: ``clear_dead_letters`` are writes, as on the sets).
#: ``stats`` on every kind is a read: a set's returns the leases that are
#: over, a stream's ends the cool-downs that are over, an expiring set's
#: writes nothing; a second run only reads again.
#: Every other operation is a write that is never re-sent once it may have
#: reached the server; the README's retry table lists both.
RESENDABLE = frozenset(
    {
        "available",
        "claim_name",
        "contains",
        "cooling",
        "dead_letters",
        "expire",
        "extend",
        "extend_many",
        "gated",
        "get",
        "isdisjoint",
        "iterate",
        "leased",
        "peek",
        "peek_score",
        "priority",
        "quarantine",
        "score",
        "size",
        "stats",
    }
)

#: Every other operation: a write, never sent again once it may have reached
#: the server. Each call names one of these or of :data:`RESENDABLE`.
WRITES = frozenset(
    {
        "ack",
        "ack_many",
        "add",
        "add_many",
        "add_periodic",
        "claim",
        "clear",
        "clear_dead_letters",
        "cool_down",
        "decrement_all",
        "delete_below",
        "difference_update",
        "discard",
        "increment",
        "intersection_update",
        "pop",
        "processing",
        "pull",
        "release",
        "release_many",
        "remove",
        "requeue_dead",
        "symmetric_difference_update",
        "take",
        "touch",
        "ungate",
        "union_update",
        "update",
        "update_scored",
    }
)

# The step and call classes below are values, never changed once made. They
# are not frozen dataclasses only because a frozen one costs a third of a
# microsecond more to make, and every call makes several.


@dataclass(slots=True)
class ServerError:
    """An error reply, as a value: its code and the client library's exception for it.

    ``code`` is the reply's first word (``NOSCRIPT``, ``WRONGTYPE``, ``MOVED``,
    ``ASK``, ``TRYAGAIN``, ``BUSY``, ...), or ``ERR`` when it names none. The
    core decides what a code means; the user is shown ``exception``.
    """

    code: str
    exception: Exception
    #: Where a ``MOVED`` or ``ASK`` reply sends the command: (host, port).
    address: tuple[str, int] | None = None

    def __str__(self) -> str:
        return str(self.exception)


#: Replies after which the server closes the connection: ``UNBLOCKED`` (a blocking
#: pop on a master that became a replica; it popped nothing).
CLOSING_CODES = frozenset({"UNBLOCKED"})


def closes_connection(reply: object) -> bool:
    """Whether the server closes the connection after this reply: never lend it again."""
    return isinstance(reply, ServerError) and reply.code in CLOSING_CODES


def answered_before_close(replies: list[object], count: int) -> list[object] | None:
    """For a connection that failed after a reply the server closes it after: the replies,
    the commands after it answered the same (they never ran). ``None`` otherwise."""
    closed = next((reply for reply in replies if closes_connection(reply)), None)
    if closed is None:
        return None
    return replies + [closed] * (count - len(replies))


def redirect_address(message: str) -> tuple[str, int] | None:
    """The ``host:port`` a ``MOVED``/``ASK`` message ends with (``"3999 10.0.0.1:6381"``)."""
    host, colon, port = message.rsplit(" ", 1)[-1].rpartition(":")
    if not colon or not port.isdigit():
        return None
    return host, int(port)


@dataclass(slots=True)
class Call(Generic[R]):
    """One command line, the parser of its reply, and the operation it belongs to.

    ``script`` is set for ``EVALSHA`` calls: on ``NOSCRIPT`` the same call
    is sent again as ``EVAL`` with the script's source. ``undo`` (blocking
    commands) is the command that puts back what a reply took, for a reply
    that arrives after its caller was cancelled. ``shield``: an asyncio
    caller cancelled meanwhile does not stop the call (see :class:`Send`).
    """

    op: str
    command: Command
    parse: Callable[[object], R]
    script: Script | None = None
    undo: Callable[[object], Command | None] | None = None
    shield: bool = False

    def eval_command(self) -> Command:
        """The ``EVAL`` form of an ``EVALSHA`` call."""
        assert self.script is not None
        return ("EVAL", self.script.source, *self.command[2:])


@dataclass(slots=True)
class Send:
    """Step: send these command lines in one write; the driver answers with their replies.

    All the commands touch one collection, so one cluster slot. Error
    replies come back as :class:`ServerError` values; a connection failure
    is raised by the driver, which alone decides whether to send again:
    only when ``resend`` (the operation is in :data:`RESENDABLE`) or when
    nothing had left the client. ``wait`` marks a blocking command (the
    server may hold the reply that many seconds): it gets a connection and
    a read timeout of its own. An ``optional`` step tidies up after what the
    caller already has: its failure is answered (with the failure, never
    sent again), not raised, so it can never cost the caller that result.
    ``after`` are commands sent after the step's commands in every attempt,
    their replies appended to the answer: a ``WAIT`` that must follow the
    write on the connection it finally ran on (see ``_durability``).
    ``patience`` says the reply may take that many seconds (a ``WAIT``): the
    read timeout is at least that, and an asyncio driver sends the step on a
    connection of its own, not the shared pipeline, whose other callers'
    replies would wait behind it. ``undo`` turns the first command's reply
    into the command that puts back what it took (see :class:`Call`).
    ``shield``: the asyncio driver carries the step out even when its caller
    is cancelled while it waits (the caller still gets ``CancelledError``):
    for a step that saves what only this caller holds, such as the bytes of
    an undecodable member ``ExpiringSet.pop`` removed, moving to the dead
    letters.
    """

    commands: tuple[Command, ...]
    op: str
    resend: bool
    wait: float | None = None
    optional: bool = False
    after: tuple[Command, ...] = ()
    patience: float | None = None
    undo: Callable[[object], Command | None] | None = None
    shield: bool = False


@dataclass(slots=True)
class Sleep:
    """Step: wait before the flow goes on; the driver answers with ``None``."""

    seconds: float


Step: TypeAlias = "Send | Sleep"
#: A multi-step operation: yields steps, receives the driver's answers.
Flow: TypeAlias = Generator[Step, Any, R]


def finish(call: Call[R], reply: object) -> R:
    """The parsed reply, or the error the server answered with, raised."""
    if isinstance(reply, ServerError):
        message = str(reply)
        if "not a number" in message or "NaN" in message:
            raise ValueError(message) from reply.exception
        raise reply.exception
    return call.parse(reply)


def send(call: Call[Any], command: Command | None = None, wait: float | None = None) -> Send:
    """The step that sends ``call`` (or another command line of the same operation)."""
    return Send(
        (command or call.command,),
        call.op,
        _resendable(call.op),
        wait,
        undo=call.undo,
        shield=call.shield,
    )


def _resendable(op: str) -> bool:
    if op in RESENDABLE:
        return True
    assert op in WRITES, f"operation {op!r} is in neither RESENDABLE nor WRITES"
    return False


def run(call: Call[R]) -> Flow[R]:
    """One call, one round trip (two the first time a server meets a script)."""
    [reply] = yield send(call)
    if call.script is not None and _no_script(reply):
        [reply] = yield send(call, call.eval_command())
    return finish(call, reply)


def run_batch(calls: Sequence[Call[R]]) -> Flow[list[R]]:
    """Several calls of one operation in one pipelined round trip; not atomic as a whole."""
    if not calls:
        return []
    first = calls[0]
    commands = tuple(call.command for call in calls)
    replies = list((yield Send(commands, first.op, _resendable(first.op))))
    missing = [i for i, reply in enumerate(replies) if _no_script(reply)]
    if missing:
        again = tuple(calls[i].eval_command() for i in missing)
        retried = yield Send(again, first.op, _resendable(first.op))
        for i, reply in zip(missing, retried, strict=True):
            replies[i] = reply
    return [finish(call, reply) for call, reply in zip(calls, replies, strict=True)]


def _no_script(reply: object) -> bool:
    return isinstance(reply, ServerError) and reply.code == "NOSCRIPT"


def script_call(
    op: str,
    script: Script,
    keys: tuple[str, ...],
    args: tuple[Arg, ...],
    parse: Callable[[object], R],
) -> Call[R]:
    return Call(op, script.evalsha(keys, args), parse, script)


def name_claim(name: str, kind: str) -> Call[None]:
    """Mark ``name`` as a ``kind``'s, or raise :class:`NameClashError` if another kind has it.

    Each collection runs this once per client before its first operation
    (see ``_base.Collection``), so two kinds never share one name's keys.
    """

    def parse(reply: object) -> None:
        found = as_text(reply)
        if found != kind:
            raise NameClashError(name, found, kind)

    return script_call("claim_name", scripts.CLAIM_NAME, (stream_keys(name).kind,), (kind,), parse)


def routing_key(command: Command) -> Arg | None:
    """The key a command is routed by on a cluster (its first key), or ``None``."""
    if command[0] in ("EVALSHA", "EVAL"):
        return command[3] if int(command[2]) else None
    return command[1] if len(command) > 1 else None


# --- argument checks: bad input fails here, before anything is sent ---------


def check_codec(codec: object) -> None:
    if not callable(getattr(codec, "dumps", None)) or not callable(getattr(codec, "loads", None)):
        raise TypeError(f"serializer must have dumps() and loads(), got {codec!r}")


def encode(codec: Serializer[T], item: T) -> bytes:
    """``codec.dumps(item)`` as bytes; any failure becomes an :class:`EncodeError`."""
    try:
        # a user's codec may break its signature: what it returns is checked below
        data = cast(object, codec.dumps(item))
    except EncodeError:
        raise
    except Exception as exc:
        raise EncodeError(f"cannot encode {type(item).__name__}: {exc}") from exc
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes):
        return data
    raise EncodeError(f"{codec!r}.dumps returned {type(data).__name__}, not bytes or str")


def check_finite(value: object, what: str) -> float:
    """A number that is neither NaN nor infinite (stream priorities)."""
    number = check_score(value, what)
    if math.isinf(number):
        raise ValueError(f"{what} must be finite, not {value!r}")
    return number


def check_score(score: object, what: str = "score") -> float:
    """A finite or infinite number, not NaN and not a bool."""
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise TypeError(f"{what} must be a number, not {type(score).__name__}")
    try:
        value = float(score)
    except OverflowError:  # an int beyond any double
        raise ValueError(f"{what} is too large: {score!r}") from None
    if math.isnan(value):
        raise ValueError(f"{what} must not be NaN")
    return value


def format_score(score: float) -> str:
    """Text Redis parses back to the same double (``repr`` round-trips)."""
    return repr(score)


def check_count(n: object, what: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__}")
    return n


def check_timeout(timeout: object) -> float | None:
    """``None`` (do not wait) or a number of seconds >= 0."""
    if timeout is None:
        return None
    value = check_score(timeout, "timeout")
    if value < 0 or math.isinf(value):
        raise ValueError(f"timeout must be >= 0 and finite, not {timeout!r}")
    return value


# --- reply parsing: tolerant of RESP2/RESP3 and of redis-py's callbacks -----


def as_bytes(value: object) -> bytes:
    """A member as bytes (``decode_responses=True`` clients hand us ``str``)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise TypeError(f"unexpected reply element {value!r}")


def as_text(value: object) -> str:
    """A score as the text Redis sent, or the shortest repr of a parsed float."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(float(value))
    raise TypeError(f"unexpected score in reply: {value!r}")


def as_array(reply: object) -> Sequence[object]:
    """An array reply (a list from our parser, a tuple from some clients): its elements.

    The one place an array reply's element type is stated: the parser builds
    ``list[object]``, but ``isinstance`` can only tell the checkers ``list[Unknown]``.
    """
    assert isinstance(reply, list | tuple), reply
    return cast("Sequence[object]", reply)


def pairs(reply: object) -> list[tuple[bytes, str]]:
    """``(member, score text)`` from a flat ``[m, s, ...]`` or nested ``[[m, s], ...]`` reply."""
    if not reply:
        return []
    items = as_array(reply)
    if isinstance(items[0], list | tuple):
        nested = cast("Sequence[Sequence[object]]", items)  # RESP3: [[m, s], ...]
        return [(as_bytes(m), as_text(s)) for m, s in nested]
    return [(as_bytes(items[i]), as_text(items[i + 1])) for i in range(0, len(items), 2)]


def hash_entries(reply: object) -> list[tuple[object, object]]:
    """``(field, value)`` pairs of an HGETALL reply: a dict (RESP3) or a flat list (RESP2)."""
    if isinstance(reply, dict):
        return list(cast("dict[object, object]", reply).items())
    items = as_array(reply)
    return [(items[i], items[i + 1]) for i in range(0, len(items), 2)]


def as_int(reply: object) -> int:
    assert isinstance(reply, int | bytes | str), reply
    return int(reply)


def as_float_or_none(reply: object) -> float | None:
    if reply is None:
        return None
    assert isinstance(reply, int | float | bytes | str), reply
    return float(reply)


def ignore(reply: object) -> None:
    return None
