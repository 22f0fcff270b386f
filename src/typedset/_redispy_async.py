"""The redis-py/valkey-py adapter, asyncio: links on a client's connections, for the pipeline."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections import deque
from collections.abc import Hashable, Sequence
from typing import Any, cast

from ._backend import AsyncLink, LinkFailure
from ._ops import Command, ServerError
from ._redispy_common import READ_SIZE, Library, encoding_of, slot_node
from ._resp import Parser, ProtocolError, pack

__all__ = ["AsyncClusterBackend", "AsyncStandaloneBackend"]


class _AsyncConnectionLink:
    """An :class:`AsyncLink` over one of a library's asyncio connections.

    It writes on the connection's stream and parses what it reads in bulk
    (``_resp``), so that a read that brings a hundred replies costs one
    ``await``. A connection without streams uses its own methods instead.
    """

    __slots__ = ("conn", "encoding", "library", "parser", "ready", "release", "streams")

    def __init__(self, conn: Any, library: Library, release: Any) -> None:
        self.conn = conn
        self.library = library
        self.release = release
        self.encoding = encoding_of(_encoder_kwargs(conn))
        self.parser = Parser()
        self.ready: deque[object] = deque()
        self.streams = hasattr(conn, "_reader") and hasattr(conn, "_writer")

    def usable(self) -> bool:
        """Whether a command may be written now: open, of this event loop, nothing unread."""
        if self.ready or self.parser.pending:
            return False
        if not self.streams:
            return bool(getattr(self.conn, "is_connected", True))
        reader, writer = self.conn._reader, self.conn._writer
        if reader is None or writer is None or writer.transport.is_closing():
            return False
        if reader.at_eof() or getattr(reader, "_eof", False):  # the server closed it
            return False
        # A connection an earlier event loop opened cannot be used on this one.
        return getattr(reader, "_loop", None) in (None, asyncio.get_running_loop())

    def pack(self, commands: Sequence[Command]) -> list[bytes]:
        if not self.streams:
            packed: list[bytes] = self.conn.pack_commands(commands)
            return packed
        return [pack(commands, *self.encoding)]

    async def write(self, packed: Sequence[bytes]) -> None:
        conn = self.conn
        library = self.library
        if not self.streams:
            try:
                await conn.send_packed_command(packed, check_health=False)
            except library.failures as exc:
                raise LinkFailure(exc, sent=True) from exc
            return
        writer = conn._writer
        if writer is None:  # closed under us (the client was closed): nothing went out
            raise LinkFailure(library.connection_error("the connection was closed"), sent=False)
        try:
            writer.writelines(packed)
            await writer.drain()
        except library.failures as exc:
            await _disconnect(conn)
            raise LinkFailure(library.lost(conn, exc, "Error writing to"), sent=True) from exc

    async def read(self, timeout: float | None = None) -> object:
        while not self.ready:
            await self._fill(timeout)
        return self.library.reply(self.ready.popleft())

    def patient(self, seconds: float) -> float | None:
        timeout: float | None = self.conn.socket_timeout
        return None if timeout is None else max(timeout, seconds)

    async def replies(self) -> list[object]:
        """Every reply that has arrived (at least one), in order."""
        if not self.ready:
            await self._fill(None)
        out = [self.library.reply(reply) for reply in self.ready]
        self.ready.clear()
        return out

    async def _fill(self, timeout: float | None) -> None:
        conn = self.conn
        library = self.library
        if not self.streams:
            self.ready.append(await self._read_through())
            return
        seconds = timeout if timeout is not None else conn.socket_timeout
        try:
            reader = conn._reader
            if reader is None:
                raise ConnectionResetError("the connection was closed")
            chunk = await (reader.read(READ_SIZE) if seconds is None else _within(reader, seconds))
            if not chunk:
                raise ConnectionResetError("closed by the server")
            self.ready.extend(self.parser.feed(chunk))
        except (OSError, ProtocolError, _Expired) as exc:
            what = "Timeout reading from" if isinstance(exc, _Expired) else "Lost"
            if isinstance(exc, _Expired):
                exc = TimeoutError(f"no reply within {seconds} s")
            await _disconnect(conn)
            raise LinkFailure(library.lost(conn, exc, what), sent=True) from exc

    async def _read_through(self) -> object:
        try:
            return await self.conn.read_response(disable_decoding=True)
        except self.library.loading as exc:
            raise LinkFailure(exc, sent=True) from exc
        except self.library.response_error as exc:
            return self.library.server_error(exc)
        except self.library.failures as exc:
            raise LinkFailure(exc, sent=True) from exc

    async def close(self, reusable: bool) -> None:
        try:
            if not reusable or not self.usable():
                await _disconnect(self.conn)
        finally:
            # Given back even when cancelled (again) on the way: never lost to the pool.
            result = self.release(self.conn)
            if inspect.isawaitable(result):
                await asyncio.shield(result)


async def _link(conn: Any, library: Library, release: Any) -> _AsyncConnectionLink:
    """A link over ``conn``, connected on this event loop; ``conn`` goes back if that fails."""
    link = _AsyncConnectionLink(conn, library, release)
    try:
        with library.before_sending():
            if link.streams and not link.usable():  # closed, or of an earlier event loop
                await _disconnect(conn)
            await conn.connect()  # a no-op when connected
    except BaseException:
        await link.close(reusable=False)
        raise
    return link


def _encoder_kwargs(conn: Any) -> dict[str, Any]:
    encoder = getattr(conn, "encoder", None)
    if encoder is None:
        return {}
    return {"encoding": encoder.encoding, "encoding_errors": encoder.encoding_errors}


async def _disconnect(conn: Any) -> None:
    with contextlib.suppress(Exception):  # already broken (or of a closed loop): nothing to tidy
        await conn.disconnect(nowait=True)


class _Expired(Exception):
    """Our own read timeout ran out."""


_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+: no task per read


async def _within(reader: Any, seconds: float) -> bytes:
    """``reader.read()``, or :class:`_Expired` after ``seconds``."""
    try:
        if _timeout is not None:
            async with _timeout(seconds):
                data: bytes = await reader.read(READ_SIZE)
                return data
        data = await asyncio.wait_for(reader.read(READ_SIZE), seconds)
        return data
    except asyncio.TimeoutError as exc:
        raise _Expired from exc


class AsyncStandaloneBackend:
    """An asyncio standalone client: one node, its pool."""

    clustered = False
    ready = True

    def __init__(self, client: Any, library: Library) -> None:
        self._pool = client.connection_pool
        self._library = library
        self.pipeline: Any = None

    async def start(self) -> None:
        return None

    def node(self, key: object, asking: ServerError | None = None) -> Hashable:
        return None

    def capacity(self, node: Hashable) -> int:
        limit: int = self._pool.max_connections
        return limit

    async def open(self, node: Hashable) -> AsyncLink:
        pool = self._pool
        with self._library.before_sending():
            try:
                conn = await pool.get_connection()
            except TypeError:  # valkey-py still wants a command name
                conn = await pool.get_connection("_")
        return await _link(conn, self._library, pool.release)

    async def refresh(self) -> None:
        return None


class AsyncClusterBackend:
    """An asyncio cluster client: each key's node, found by its slot."""

    clustered = True

    def __init__(self, client: Any, library: Library) -> None:
        self._client = client
        self._library = library
        self.ready = False
        self.pipeline: Any = None

    async def start(self) -> None:
        with self._library.before_sending():
            await self._client.initialize()
        self.ready = True

    def node(self, key: object, asking: ServerError | None = None) -> Hashable:
        """The node's name; the named node's after a redirect, ``("ASK", name)`` for ``ASK``."""
        if asking is not None:
            assert asking.address is not None, asking
            host, port = asking.address
            if asking.code == "MOVED":
                return f"{host}:{port}"
            return ("ASK", f"{host}:{port}")
        name: str = slot_node(self._client.nodes_manager, key).name
        return name

    def capacity(self, node: Hashable) -> int:
        limit: int = self._client.connection_kwargs.get("max_connections", 100)
        return limit

    async def open(self, node: Hashable) -> AsyncLink:
        asking = isinstance(node, tuple)
        name = cast("tuple[str, str]", node)[1] if isinstance(node, tuple) else node
        target = self._client.get_node(node_name=name)
        if target is None:
            await self.refresh()
            target = self._client.get_node(node_name=name)
        if target is None:
            error = self._library.connection_error(f"no cluster node {name}")
            raise LinkFailure(error, sent=False)
        with self._library.before_sending():
            conn = target.acquire_connection()
        # valkey-py's nodes have no release(): their free list is the pool
        release = getattr(target, "release", None) or target._free.append
        link = await _link(conn, self._library, release)
        return _AskingLink(link) if asking else link

    async def refresh(self) -> None:
        with self._library.before_sending():
            await self._client.nodes_manager.initialize()


class _AskingLink:
    """A link that sends ``ASKING`` before each command (after an ``ASK`` redirect)."""

    __slots__ = ("link", "skip")

    def __init__(self, link: _AsyncConnectionLink) -> None:
        self.link = link
        self.skip = 0

    def usable(self) -> bool:
        return self.skip == 0 and self.link.usable()

    def pack(self, commands: Sequence[Command]) -> list[bytes]:
        self.skip += len(commands)
        return self.link.pack([part for command in commands for part in (("ASKING",), command)])

    async def write(self, packed: Sequence[bytes]) -> None:
        await self.link.write(packed)

    async def read(self, timeout: float | None = None) -> object:
        if self.skip:
            self.skip -= 1
            await self.link.read()  # ASKING's +OK
        return await self.link.read(timeout)

    async def replies(self) -> list[object]:
        return [await self.read()]

    def patient(self, seconds: float) -> float | None:
        return self.link.patient(seconds)

    async def close(self, reusable: bool) -> None:
        await self.link.close(reusable)
