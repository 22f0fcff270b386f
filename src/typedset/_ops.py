"""The sans-I/O core shared by the sync and async twins.

Theory of operation
-------------------
Every operation is described here, once, as data: a :class:`Call` is one
Redis command line plus the function that parses its reply, and an operation
that needs more than one step (a blocking pop that sleeps, a pop that must
move an undecodable item to the dead-letter store) is a generator, a *flow*,
a generator that yields steps (:class:`Send`, :class:`SendMany`,
:class:`Sleep`) and receives the driver's answers. Even a single call runs
as a tiny flow (:func:`run`), which is where the ``NOSCRIPT`` fallback, the
error translation and the parsing live. The drivers in ``_driver.py`` are the
only code that does I/O and hold no logic: the sync one sends and sleeps with
``time.sleep``, the async one awaits.
So a fix made here fixes both flavours, and the tests in ``tests/unit`` can
exercise the parsing with canned replies and no server.

The ``_ops*.py`` modules and the Lua files are the only places that name
Redis commands or read replies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from redis.exceptions import NoScriptError, ResponseError

from ._scripts import Script
from .errors import EncodeError
from .protocols import Arg, Serializer

__all__ = [
    "PAGE_SIZE",
    "Call",
    "Flow",
    "Send",
    "SendMany",
    "Sleep",
    "as_bytes",
    "as_text",
    "check_codec",
    "check_count",
    "check_finite",
    "check_score",
    "check_timeout",
    "encode",
    "format_score",
    "hash_entries",
    "pairs",
    "run",
    "run_batch",
    "script_call",
]

R = TypeVar("R")
T = TypeVar("T")

#: Members fetched per round trip while iterating, by every collection kind.
PAGE_SIZE = 500


@dataclass(frozen=True, slots=True)
class Call(Generic[R]):
    """One command line and the parser of its reply.

    ``script`` is set for ``EVALSHA`` calls: on ``NOSCRIPT`` the driver resends
    the same call as ``EVAL`` with the script's source.
    """

    command: tuple[Arg, ...]
    parse: Callable[[object], R]
    script: Script | None = None

    def eval_command(self) -> tuple[Arg, ...]:
        """The ``EVAL`` form of an ``EVALSHA`` call."""
        assert self.script is not None
        return ("EVAL", self.script.source, *self.command[2:])


@dataclass(frozen=True, slots=True)
class Send:
    """Step: send one command line; the driver answers with the reply.

    A ``ResponseError`` from the server comes back as the reply (not raised),
    so the core decides what it means; connection errors propagate.
    """

    command: tuple[Arg, ...]


@dataclass(frozen=True, slots=True)
class SendMany:
    """Step: send several command lines in one pipeline (one round trip, no transaction).

    The driver answers with the list of replies, errors included as values.
    """

    commands: tuple[tuple[Arg, ...], ...]


@dataclass(frozen=True, slots=True)
class Sleep:
    """Step: wait before the flow goes on; the driver answers with ``None``."""

    seconds: float


Step: TypeAlias = "Send | SendMany | Sleep"
#: A multi-step operation: yields steps, receives the driver's answers.
Flow: TypeAlias = Generator[Step, Any, R]


def _reply(call: Call[R], reply: object) -> R:
    if isinstance(reply, ResponseError):
        if "not a number" in str(reply) or "NaN" in str(reply):
            raise ValueError(str(reply)) from reply
        raise reply
    return call.parse(reply)


def run(call: Call[R]) -> Flow[R]:
    """One call, one round trip (two the first time a server meets a script)."""
    reply = yield Send(call.command)
    if isinstance(reply, NoScriptError) and call.script is not None:
        reply = yield Send(call.eval_command())
    return _reply(call, reply)


def run_batch(calls: Sequence[Call[R]]) -> Flow[list[R]]:
    """Several calls in one pipelined round trip; not atomic as a whole."""
    replies = list((yield SendMany(tuple(call.command for call in calls))))
    missing = [i for i, reply in enumerate(replies) if isinstance(reply, NoScriptError)]
    if missing:
        retried = yield SendMany(tuple(calls[i].eval_command() for i in missing))
        for i, reply in zip(missing, retried, strict=True):
            replies[i] = reply
    return [_reply(call, reply) for call, reply in zip(calls, replies, strict=True)]


def script_call(
    script: Script, keys: tuple[str, ...], args: tuple[Arg, ...], parse: Callable[[object], R]
) -> Call[R]:
    return Call(script.evalsha(keys, args), parse, script)


# --- argument checks: bad input fails here, before anything is sent ---------


def check_codec(codec: object) -> None:
    if not callable(getattr(codec, "dumps", None)) or not callable(getattr(codec, "loads", None)):
        raise TypeError(f"serializer must have dumps() and loads(), got {codec!r}")


def encode(codec: Serializer[T], item: T) -> bytes:
    """``codec.dumps(item)`` as bytes; any failure becomes an :class:`EncodeError`."""
    try:
        data = codec.dumps(item)
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
    value = float(score)
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


def pairs(reply: object) -> list[tuple[bytes, str]]:
    """``(member, score text)`` from a flat ``[m, s, ...]`` or nested ``[[m, s], ...]`` reply."""
    if not reply:
        return []
    assert isinstance(reply, list | tuple), reply
    if isinstance(reply[0], list | tuple):
        return [(as_bytes(m), as_text(s)) for m, s in reply]
    return [(as_bytes(reply[i]), as_text(reply[i + 1])) for i in range(0, len(reply), 2)]


def hash_entries(reply: object) -> list[tuple[object, object]]:
    """``(field, value)`` pairs of an HGETALL reply: a dict (RESP3) or a flat list (RESP2)."""
    if isinstance(reply, dict):
        return list(reply.items())
    assert isinstance(reply, list | tuple), reply
    return [(reply[i], reply[i + 1]) for i in range(0, len(reply), 2)]


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
