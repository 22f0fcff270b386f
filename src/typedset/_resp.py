"""The Redis wire format (RESP2 and RESP3), without I/O: command lines out, replies in.

typedset writes its command lines and reads its replies itself, on the
connections of the client's pool (``_redispy_sync.py``,
``_redispy_async.py``). Two reasons: a pipelined connection must turn one
read of many replies into many replies without an ``await`` per reply
(``_pipeline.py``), and the replies must stay undecoded bytes whatever the
client's ``decode_responses``. The client still makes and sets up every
connection (auth, TLS, ``HELLO``, the database), so only the framing below
is ours.

:class:`Parser` is incremental: feed it whatever arrived, take every
complete reply. A reply split across reads resumes where it stopped (the
aggregates built so far are kept), so a large reply costs linear time.
Replies come back as ``bytes`` (bulk and simple strings), ``int``,
``float`` (RESP3 doubles), ``bool``, ``None``, ``list`` (arrays and sets),
``dict`` (maps) and :class:`ErrorReply`. RESP3 attributes and out-of-band
push messages are not replies to anything typedset sent, and are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from .protocols import Arg

__all__ = ["ErrorReply", "Parser", "ProtocolError", "pack"]


class ProtocolError(Exception):
    """The server sent something that is not RESP: the connection cannot be trusted."""


class ErrorReply:
    """An error reply (``-ERR ...``, ``!...``): its message, before it becomes an exception."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"ErrorReply({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorReply) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


def _arg(value: object, encoding: str, errors: str) -> bytes:
    """An argument other than bytes or str; ``object``, as an untyped caller may pass anything."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode(encoding, errors)
    if isinstance(value, bool):  # a bool is an int to Python, never to us
        raise TypeError(f"cannot send a bool ({value!r}) to Redis")
    if isinstance(value, int):
        return b"%d" % value
    if isinstance(value, float):
        return repr(value).encode()
    raise TypeError(f"cannot send {type(value).__name__} to Redis")


def pack(
    commands: Sequence[Sequence[Arg]], encoding: str = "utf-8", errors: str = "strict"
) -> bytes:
    """The wire form of ``commands``, in one buffer. ``str`` arguments use the client's encoding."""
    out: list[bytes] = []
    append = out.append
    for command in commands:
        append(b"*%d\r\n" % len(command))
        for value in command:
            # bytes and str are nearly every argument: test their exact types first
            if type(value) is bytes:
                data = value
            elif type(value) is str:
                data = value.encode(encoding, errors)
            else:
                data = _arg(value, encoding, errors)
            append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(out)


_AGGREGATES = frozenset(b"*~>%|")
_MAP, _ATTRIBUTE, _PUSH = ord("%"), ord("|"), ord(">")


class Parser:
    """Turns the bytes of a connection into replies, however they were split."""

    __slots__ = ("_buffer", "_held", "_held_size", "_stack", "_wanted")

    def __init__(self) -> None:
        # What is left of the last read: the start of an element not yet complete.
        self._buffer = b""
        # Aggregates being built, innermost last: [type byte, items, items still to come].
        self._stack: list[list[object]] = []
        # A large string still arriving: its chunks, kept apart until all of its
        # ``_wanted`` bytes are here, so that it is joined once, not once a read.
        self._held: list[bytes] = []
        self._held_size = 0
        self._wanted = 0

    @property
    def pending(self) -> bool:
        """Whether bytes of a reply not yet complete are held."""
        return bool(self._buffer or self._held or self._stack)

    def feed(self, data: bytes) -> list[object]:
        """Add bytes that arrived; every reply they complete, in order."""
        if self._wanted:
            self._held.append(data)
            self._held_size += len(data)
            if self._held_size < self._wanted:
                return []
            buffer = b"".join(self._held)
            self._held, self._held_size, self._wanted = [], 0, 0
        else:
            buffer = self._buffer + data if self._buffer else data
        stack = self._stack
        wanted = 0
        out: list[object] = []
        pos = 0
        size = len(buffer)
        try:
            while True:
                end = buffer.find(b"\r\n", pos)
                if end < 0:
                    break
                kind = buffer[pos]
                value: object
                if kind == 36:  # $ bulk string
                    length = int(buffer[pos + 1 : end])
                    if length < 0:
                        value = None
                        pos = end + 2
                    else:
                        stop = end + 2 + length
                        if stop + 2 > size:
                            wanted = stop + 2 - pos
                            break
                        value = buffer[end + 2 : stop]
                        pos = stop + 2
                elif kind in _AGGREGATES:
                    count = int(buffer[pos + 1 : end])
                    pos = end + 2
                    if count < 0:
                        value = None
                    else:
                        if kind in (_MAP, _ATTRIBUTE):
                            count *= 2
                        if count:
                            stack.append([kind, [], count])
                            continue
                        if kind == _ATTRIBUTE or (kind == _PUSH and not stack):
                            continue  # nothing, or an empty push: not a reply
                        value = {} if kind == _MAP else []
                elif kind == 58:  # : integer
                    value = int(buffer[pos + 1 : end])
                    pos = end + 2
                elif kind == 43:  # + simple string
                    value = buffer[pos + 1 : end]
                    pos = end + 2
                elif kind == 45:  # - error
                    value = ErrorReply(buffer[pos + 1 : end].decode("utf-8", "replace"))
                    pos = end + 2
                elif kind == 44:  # , double
                    value = float(buffer[pos + 1 : end])
                    pos = end + 2
                elif kind == 95:  # _ null
                    value = None
                    pos = end + 2
                elif kind == 35:  # # boolean
                    value = buffer[pos + 1] == 116  # "t"
                    pos = end + 2
                elif kind == 40:  # ( big number
                    value = int(buffer[pos + 1 : end])
                    pos = end + 2
                elif kind in (61, 33):  # = verbatim string, ! bulk error
                    length = int(buffer[pos + 1 : end])
                    stop = end + 2 + length
                    if stop + 2 > size:
                        wanted = stop + 2 - pos
                        break
                    data_ = buffer[end + 2 : stop]
                    value = (
                        data_[4:] if kind == 61 else ErrorReply(data_.decode("utf-8", "replace"))
                    )
                    pos = stop + 2
                else:
                    raise ProtocolError(f"unexpected reply type {chr(kind)!r}")
                self._deliver(value, out)
        except (ValueError, IndexError) as exc:
            raise ProtocolError(f"malformed reply: {exc}") from exc
        rest = buffer[pos:]
        if wanted > len(rest):
            self._buffer = b""
            self._held, self._held_size, self._wanted = [rest], len(rest), wanted
        else:
            self._buffer = rest
        return out

    def _deliver(self, value: object, out: list[object]) -> None:
        """Put a complete element into the aggregate it belongs to, or out as a reply."""
        stack = self._stack
        while stack:
            frame = stack[-1]
            assert isinstance(frame[1], list)
            items = cast("list[object]", frame[1])
            items.append(value)
            left = frame[2]
            assert isinstance(left, int)
            if left > 1:
                frame[2] = left - 1
                return
            stack.pop()
            kind = frame[0]
            if kind == _ATTRIBUTE:
                return  # metadata about the element that follows: not a value
            if kind == _PUSH and not stack:
                return  # out of band, not a reply to us
            value = dict(zip(items[::2], items[1::2], strict=True)) if kind == _MAP else items
        out.append(value)
