"""The backend layer: what the drivers need of a client, and the one adapter that provides it.

Theory of operation
-------------------
The drivers (``_driver.py``) need little of a client: send a few command
lines in one write to the node that owns a key and read one raw reply for
each, hold a connection of their own for a blocking command, re-read a
cluster's topology. :class:`Backend` and :class:`AsyncBackend` say exactly
that. Everything else a client library does per command (its pool
bookkeeping, its retry wrapper, its reply callbacks and decoding) is left
out: typedset decides what to retry (``_driver.py``) and decodes replies
itself, so ``decode_responses`` and the client's ``Retry`` cannot change
what happens to an item.

One adapter serves redis-py and valkey-py, blocking, asyncio and cluster:
valkey-py is a fork of redis-py with the same API, so the adapter finds a
client's library from the client's own module and takes that library's
exception classes from it; it imports neither by name. It uses the
client's own pool and connection objects (so auth, TLS, the database, the
RESP version and every connection setting are the client's), and only their
public methods, except where noted: the socket, to give a blocking command
its own read timeout and to check that an idle connection is still open.

An error reply reaches the core as a value, :class:`~._ops.ServerError`,
classified by its code; a connection failure is raised as
:class:`LinkFailure`, which says whether the command may have reached the
server. The user only ever sees the library's own exceptions.

Writing an adapter for another client (coredis, valkey-glide) means
providing :class:`Backend` or :class:`AsyncBackend` (and, for the async
auto-pipeline, :class:`AsyncLink`) over it, and registering it in
:func:`backend_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import os
import select
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Hashable, Iterator, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from ._keys import key_slot
from ._ops import Command, ServerError
from ._resp import ErrorReply, Parser, ProtocolError, pack

if TYPE_CHECKING:
    import redis

    #: What ``default_client`` makes.
    RedisClient: TypeAlias = redis.Redis

__all__ = [
    "AsyncBackend",
    "AsyncLink",
    "Backend",
    "LinkFailure",
    "backend_for",
    "default_client",
]

#: Connections a blocking backend keeps checked out of the client's pool
#: between calls, per client (one per thread that is using it at once).
_IDLE_MAX = 16


class LinkFailure(Exception):
    """The connection failed during an exchange.

    ``error`` is the client library's own exception. ``sent`` is False only
    when no complete command can have reached the server (connecting
    failed, the pool was exhausted, a single command could not be written),
    so that sending it again cannot run it twice.
    """

    def __init__(self, error: Exception, sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.sent = sent


class Backend(Protocol):
    """What the blocking driver needs of a client."""

    #: Whether keys live on several nodes (a cluster client).
    clustered: bool

    def transmit(
        self,
        key: object,
        commands: Sequence[Command],
        *,
        wait: float | None = None,
        asking: ServerError | None = None,
    ) -> list[object]:
        """Send ``commands`` in one write to ``key``'s node; one raw reply each.

        Replies are undecoded (bytes); error replies are
        :class:`~._ops.ServerError` values. ``wait`` marks a blocking command:
        it gets a connection of its own and a read timeout of ``wait`` plus a
        margin. ``asking`` sends the commands after ``ASKING`` to the node an
        ``ASK`` redirect named. Raises :class:`LinkFailure`.
        """
        ...

    def refresh(self) -> None:
        """Re-read the cluster's topology after a redirect or a failure (no-op otherwise)."""
        ...


class AsyncLink(Protocol):
    """One connection an asyncio driver holds: it writes and reads on it itself."""

    def pack(self, commands: Sequence[Command]) -> list[bytes]:
        """The wire form of ``commands``."""
        ...

    async def write(self, packed: Sequence[bytes]) -> None:
        """Write packed commands; :class:`LinkFailure` (``sent=True``) on failure."""
        ...

    async def read(self, timeout: float | None = None) -> object:
        """One raw reply (:class:`~._ops.ServerError` for an error reply).

        ``timeout`` replaces the client's read timeout for this read.
        Raises :class:`LinkFailure` (``sent=True``).
        """
        ...

    async def replies(self) -> list[object]:
        """Every reply that has arrived, at least one (the client's read timeout applies)."""
        ...

    async def close(self, reusable: bool) -> None:
        """Give the connection back; ``reusable`` only when no reply is left unread."""
        ...


class AsyncBackend(Protocol):
    """What the asyncio driver needs of a client."""

    clustered: bool
    #: False until :meth:`start` has run (a cluster client learns its topology there).
    ready: bool
    #: The driver's own state for this client: its shared pipeline (``_pipeline.py``).
    pipeline: Any

    async def start(self) -> None:
        """Make the client ready for :meth:`node`; run once, before the first exchange."""
        ...

    def node(self, key: object, asking: ServerError | None = None) -> Hashable:
        """The node that owns ``key`` (or that an ``ASK`` redirect named)."""
        ...

    async def open(self, node: Hashable) -> AsyncLink:
        """A connected link to ``node``; :class:`LinkFailure` (``sent=False``) if none."""
        ...

    def capacity(self, node: Hashable) -> int:
        """How many connections the client may open to ``node`` (its pool's limit)."""
        ...

    async def refresh(self) -> None:
        """Re-read the cluster's topology after a redirect or a failure (no-op otherwise)."""
        ...


# --- the client library: its exceptions, classified -------------------------------


class _Library:
    """The exception classes of one client library (redis-py or valkey-py)."""

    def __init__(self, module: ModuleType) -> None:
        name = module.__name__
        errors = importlib.import_module(f"{name}.exceptions")
        self.name = name
        self.connection = importlib.import_module(f"{name}.connection")
        #: The library's own error-reply parser: the exception a user of it would see.
        self.parse_error = importlib.import_module(f"{name}._parsers.base").BaseParser.parse_error
        self.response_error: type[Exception] = errors.ResponseError
        self.loading: type[Exception] = errors.BusyLoadingError
        self.connection_error: type[Exception] = errors.ConnectionError
        self.timeout_error: type[Exception] = errors.TimeoutError
        #: What a broken or stalled connection raises.
        self.failures: tuple[type[Exception], ...] = (
            errors.ConnectionError,
            errors.TimeoutError,
            OSError,
        )
        # The library strips these codes from the message and names the class
        # after them instead (for replies it parsed itself, on the fallback path).
        self._codes: dict[type[Exception], str] = {
            errors.NoScriptError: "NOSCRIPT",
            errors.MovedError: "MOVED",
            errors.AskError: "ASK",
            errors.TryAgainError: "TRYAGAIN",
            errors.MasterDownError: "MASTERDOWN",
            errors.ClusterDownError: "CLUSTERDOWN",
            errors.ClusterCrossSlotError: "CROSSSLOT",
            errors.ReadOnlyError: "READONLY",
            errors.OutOfMemoryError: "OOM",
            errors.NoPermissionError: "NOPERM",
            errors.ExecAbortError: "EXECABORT",
            errors.BusyLoadingError: "LOADING",
        }

    def reply(self, reply: object) -> object:
        """A raw reply, with an error reply turned into a :class:`~._ops.ServerError`."""
        if isinstance(reply, ErrorReply):
            first = reply.message.split(" ", 1)[0]
            code = first if first.isupper() and first.isalpha() else "ERR"
            return ServerError(code, self.parse_error(reply.message))
        return reply

    @contextlib.contextmanager
    def before_sending(self) -> Iterator[None]:
        """Turn the library's connection errors into a :class:`LinkFailure` that sent nothing."""
        try:
            yield
        except self.failures as exc:
            raise LinkFailure(exc, sent=False) from exc

    def server_error(self, exc: Exception) -> ServerError:
        """An error the library raised for a reply, as a value with its code."""
        for cls in type(exc).__mro__:
            code = self._codes.get(cls)
            if code is not None:
                return ServerError(code, exc)
        first = str(exc).split(" ", 1)[0]
        return ServerError(first if first.isupper() and first.isalpha() else "ERR", exc)

    def lost(self, conn: Any, exc: BaseException, what: str) -> Exception:
        """The library's exception for a connection that failed ``what``."""
        if isinstance(exc, self.connection_error | self.timeout_error):
            return exc
        where = f"{getattr(conn, 'host', '')}:{getattr(conn, 'port', '')}".strip(":")
        cls = self.timeout_error if isinstance(exc, TimeoutError) else self.connection_error
        detail = f": {exc}" if str(exc) else ""
        return cls(f"{what} {where or 'the server'}{detail}")


_libraries: dict[str, _Library] = {}


def _library_of(client: object) -> _Library:
    """The library a client comes from: the first of its classes' modules that is one.

    A subclass of ``redis.Redis`` in your own module is a redis-py client.
    """
    for cls in type(client).__mro__:
        root = cls.__module__.split(".", 1)[0]
        library = _libraries.get(root)
        if library is not None:
            return library
        # Only a package shaped like redis-py (and already loaded by its client)
        if f"{root}.exceptions" not in sys.modules or f"{root}.connection" not in sys.modules:
            continue
        try:
            library = _libraries[root] = _Library(importlib.import_module(root))
        except (ImportError, AttributeError):
            continue
        return library
    raise TypeError(f"client must be a redis-py or valkey-py client, not {client!r}")


def _encoding(kwargs: dict[str, Any]) -> tuple[str, str]:
    """How the client encodes ``str`` arguments (its ``encoding`` settings)."""
    return kwargs.get("encoding", "utf-8"), kwargs.get("encoding_errors", "strict")


#: Bytes asked of the socket per read.
_READ_SIZE = 1 << 16
#: Added to a blocking command's wait to make its read timeout.
BLOCKING_MARGIN = 0.5


# --- blocking -----------------------------------------------------------------------


def _pool_connection(pool: Any) -> Any:
    """A connection from the pool; valkey-py still wants a command name."""
    try:
        return pool.get_connection()
    except TypeError:
        return pool.get_connection("_")


class _SyncNode:
    """Blocking exchanges on the connections of one client's (or one node's) pool.

    The lean path keeps connections checked out between calls (at most one
    per thread using it at a time; a list's append and pop are atomic), so
    a call costs a pack, a write and a read. A pool this cannot honour (a
    bounded ``BlockingConnectionPool``, a sentinel pool, client-side
    caching, a connection class of the user's) lends a connection for each
    call instead, as it does to the client itself.
    """

    def __init__(self, client: Any, library: _Library) -> None:
        self.library = library
        self.pool = client.connection_pool
        standard = library.connection
        self.lean = (
            type(self.pool) is standard.ConnectionPool
            and getattr(self.pool, "cache", None) is None
            and self.pool.connection_class
            in (standard.Connection, standard.SSLConnection, standard.UnixDomainSocketConnection)
        )
        self.encoding = _encoding(self.pool.connection_kwargs)
        self.idle: list[Any] = []
        _sync_nodes.add(self)

    def _checkout(self) -> Any:
        if self.lean:
            try:
                conn = self.idle.pop()
            except IndexError:
                pass
            else:
                if _stale(conn):
                    conn.disconnect()
                return conn
        with self.library.before_sending():
            return _pool_connection(self.pool)

    def _checkin(self, conn: Any, clean: bool) -> None:
        if clean and self.lean and len(self.idle) < _IDLE_MAX:
            self.idle.append(conn)
            return
        if not clean:
            conn.disconnect()
            # The others may have died with it (a restart): let the pool check them.
            while True:
                try:
                    self.pool.release(self.idle.pop())
                except IndexError:  # (another thread may take the last one first)
                    break
        self.pool.release(conn)

    def exchange(self, commands: Sequence[Command], wait: float | None) -> list[object]:
        conn = self._checkout()
        clean = False
        try:
            replies, clean = self._exchange(conn, commands, wait)
            return replies
        finally:
            self._checkin(conn, clean)

    def _exchange(
        self, conn: Any, commands: Sequence[Command], wait: float | None
    ) -> tuple[list[object], bool]:
        """Write ``commands`` on ``conn`` and read one raw reply each; and whether it is clean."""
        library = self.library
        sock = getattr(conn, "_sock", None)
        with library.before_sending():
            if sock is None:  # (connect() is costly even when connected: ask only then)
                conn.connect()
                sock = getattr(conn, "_sock", None)
            if conn.health_check_interval:
                conn.check_health()
        if sock is None:  # not a socket connection: its own methods
            return _exchange_through(conn, library, commands), wait is None
        many = len(commands) > 1
        try:
            sock.sendall(pack(commands, *self.encoding))
        except OSError as exc:
            conn.disconnect()
            # One command that could not be written cannot have run; of several,
            # the first may have gone out whole.
            raise LinkFailure(library.lost(conn, exc, "Error writing to"), sent=many) from exc
        if wait is not None:
            # A blocking command's own read timeout, whatever the client's socket_timeout.
            sock.settimeout(wait + BLOCKING_MARGIN)
        parser = Parser()
        replies: list[object] = []
        try:
            while len(replies) < len(commands):
                chunk = sock.recv(_READ_SIZE)
                if not chunk:
                    raise ConnectionResetError("closed by the server")
                replies += parser.feed(chunk)
        except (OSError, ProtocolError) as exc:
            conn.disconnect()
            what = "Timeout reading from" if isinstance(exc, TimeoutError) else "Lost"
            raise LinkFailure(library.lost(conn, exc, what), sent=True) from exc
        if wait is not None:
            sock.settimeout(conn.socket_timeout)  # back to the client's setting
        if conn.health_check_interval:
            conn.next_health_check = time.monotonic() + conn.health_check_interval
        # Anything beyond our replies (a push message) would confuse the next user.
        clean = len(replies) == len(commands) and not parser.pending
        return [library.reply(reply) for reply in replies[: len(commands)]], clean

    def reset_after_fork(self) -> None:
        self.idle = []


def _exchange_through(conn: Any, library: _Library, commands: Sequence[Command]) -> list[object]:
    """The fallback: the connection's own pack, send and read (no blocking timeout of ours)."""
    many = len(commands) > 1
    packed = conn.pack_commands(commands) if many else conn.pack_command(*commands[0])
    try:
        conn.send_packed_command(packed, check_health=False)
    except library.failures as exc:
        raise LinkFailure(exc, sent=many) from exc
    replies: list[object] = []
    try:
        for _ in commands:
            try:
                replies.append(conn.read_response(disable_decoding=True))
            except library.loading as exc:
                # LOADING is an answer (nothing ran) that the library raises as a
                # connection error, and it drops the connection for it.
                raise LinkFailure(exc, sent=bool(replies) or many) from exc
            except library.response_error as exc:
                replies.append(library.server_error(exc))
    except library.failures as exc:
        raise LinkFailure(exc, sent=True) from exc
    return replies


#: Every blocking node, so that a forked child drops its parent's connections.
_sync_nodes: weakref.WeakSet[_SyncNode] = weakref.WeakSet()


def _forget_connections() -> None:
    for node in list(_sync_nodes):
        node.reset_after_fork()


os.register_at_fork(after_in_child=_forget_connections)


def _stale(conn: Any) -> bool:
    """Whether an idle connection has something to read: the server closed it, or worse."""
    sock = getattr(conn, "_sock", None)
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class SyncBackend:
    """A blocking standalone client: one node."""

    clustered = False

    def __init__(self, client: Any, library: _Library) -> None:
        self._node = _SyncNode(client, library)

    def transmit(
        self,
        key: object,
        commands: Sequence[Command],
        *,
        wait: float | None = None,
        asking: ServerError | None = None,
    ) -> list[object]:
        return self._node.exchange(commands, wait)

    def refresh(self) -> None:
        return None


class SyncClusterBackend:
    """A blocking cluster client: each key's node, found by its slot."""

    clustered = True

    def __init__(self, client: Any, library: _Library) -> None:
        self._client = client
        self._library = library
        self._nodes: dict[str, _SyncNode] = {}
        self._lock = threading.Lock()

    def _node(self, node: Any) -> _SyncNode:
        found = self._nodes.get(node.name)
        redis = self._redis_of(node)
        if found is None or found.pool is not redis.connection_pool:
            with self._lock:
                found = self._nodes[node.name] = _SyncNode(redis, self._library)
        return found

    def _redis_of(self, node: Any) -> Any:
        """The node's own standalone client (valkey-py names it after itself)."""
        getter: Any = getattr(self._client, "get_redis_connection", None) or getattr(
            self._client, "get_valkey_connection", None
        )
        return getter(node)

    def transmit(
        self,
        key: object,
        commands: Sequence[Command],
        *,
        wait: float | None = None,
        asking: ServerError | None = None,
    ) -> list[object]:
        if asking is None:
            node = _slot_node(self._client.nodes_manager, key)
            return self._node(node).exchange(commands, wait)
        error: Any = asking.exception
        node = self._client.get_node(host=error.host, port=error.port)
        if node is None:
            self.refresh()
            node = self._client.get_node(host=error.host, port=error.port)
            if node is None:
                raise LinkFailure(error, sent=False)
        replies = self._node(node).exchange((("ASKING",), *commands), wait)
        return replies[1:]

    def refresh(self) -> None:
        with self._library.before_sending():
            self._client.nodes_manager.initialize()


def _slot_node(nodes_manager: Any, key: object) -> Any:
    if key is None:
        return nodes_manager.default_node
    assert isinstance(key, str | bytes), key
    return nodes_manager.get_node_from_slot(key_slot(key))


# --- asyncio ----------------------------------------------------------------------


class _AsyncConnectionLink:
    """An :class:`AsyncLink` over one of a library's asyncio connections.

    It writes on the connection's stream and parses what it reads in bulk
    (``_resp``), so that a read that brings a hundred replies costs one
    ``await``. A connection without streams uses its own methods instead.
    """

    __slots__ = ("conn", "encoding", "library", "parser", "ready", "release")

    def __init__(self, conn: Any, library: _Library, release: Any) -> None:
        self.conn = conn
        self.library = library
        self.release = release
        self.encoding = _encoding(_encoder_kwargs(conn))
        self.parser = Parser()
        self.ready: deque[object] = deque()

    def pack(self, commands: Sequence[Command]) -> list[bytes]:
        if getattr(self.conn, "_writer", None) is None:
            packed: list[bytes] = self.conn.pack_commands(commands)
            return packed
        return [pack(commands, *self.encoding)]

    async def write(self, packed: Sequence[bytes]) -> None:
        conn = self.conn
        writer = getattr(conn, "_writer", None)
        try:
            if writer is None:
                await conn.send_packed_command(packed, check_health=False)
                return
            writer.writelines(packed)
            await writer.drain()
        except self.library.failures as exc:
            await _disconnect(conn)
            raise LinkFailure(self.library.lost(conn, exc, "Error writing to"), sent=True) from exc

    async def read(self, timeout: float | None = None) -> object:
        while not self.ready:
            await self._fill(timeout)
        return self.library.reply(self.ready.popleft())

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
        reader = getattr(conn, "_reader", None)
        if reader is None:
            self.ready.append(await self._read_through())
            return
        seconds = timeout if timeout is not None else conn.socket_timeout
        try:
            chunk = await (reader.read(_READ_SIZE) if seconds is None else _within(reader, seconds))
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
        if not reusable or self.ready or self.parser.pending:
            await _disconnect(self.conn)
        result = self.release(self.conn)
        if inspect.isawaitable(result):
            await result


def _encoder_kwargs(conn: Any) -> dict[str, Any]:
    encoder = getattr(conn, "encoder", None)
    if encoder is None:
        return {}
    return {"encoding": encoder.encoding, "encoding_errors": encoder.encoding_errors}


async def _disconnect(conn: Any) -> None:
    with contextlib.suppress(Exception):  # already broken: nothing more to tidy
        await conn.disconnect()


class _Expired(Exception):
    """Our own read timeout ran out."""


_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+: no task per read


async def _within(reader: Any, seconds: float) -> bytes:
    """``reader.read()``, or :class:`_Expired` after ``seconds``."""
    try:
        if _timeout is not None:
            async with _timeout(seconds):
                data: bytes = await reader.read(_READ_SIZE)
                return data
        data = await asyncio.wait_for(reader.read(_READ_SIZE), seconds)
        return data
    except asyncio.TimeoutError as exc:
        raise _Expired from exc


class AsyncStandaloneBackend:
    """An asyncio standalone client: one node, its pool."""

    clustered = False
    ready = True

    def __init__(self, client: Any, library: _Library) -> None:
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
        return _AsyncConnectionLink(conn, self._library, pool.release)

    async def refresh(self) -> None:
        return None


class AsyncClusterBackend:
    """An asyncio cluster client: each key's node, found by its slot."""

    clustered = True

    def __init__(self, client: Any, library: _Library) -> None:
        self._client = client
        self._library = library
        self.ready = False
        self.pipeline: Any = None

    async def start(self) -> None:
        with self._library.before_sending():
            await self._client.initialize()
        self.ready = True

    def node(self, key: object, asking: ServerError | None = None) -> Hashable:
        """The node's name, ``("ASK", name)`` after an ``ASK`` redirect."""
        if asking is not None:
            error: Any = asking.exception
            return ("ASK", f"{error.host}:{error.port}")
        name: str = _slot_node(self._client.nodes_manager, key).name
        return name

    def capacity(self, node: Hashable) -> int:
        limit: int = self._client.connection_kwargs.get("max_connections", 100)
        return limit

    async def open(self, node: Hashable) -> AsyncLink:
        asking = isinstance(node, tuple)
        name = node[1] if isinstance(node, tuple) else node
        target = self._client.get_node(node_name=name)
        if target is None:
            await self.refresh()
            target = self._client.get_node(node_name=name)
        if target is None:
            error = self._library.connection_error(f"no cluster node {name}")
            raise LinkFailure(error, sent=False)
        with self._library.before_sending():
            conn = target.acquire_connection()
            await conn.connect()
        # valkey-py's nodes have no release(): their free list is the pool
        release = getattr(target, "release", None) or target._free.append
        link = _AsyncConnectionLink(conn, self._library, release)
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

    async def close(self, reusable: bool) -> None:
        await self.link.close(reusable)


# --- finding a client's backend -----------------------------------------------------

#: The attribute a client carries its backend in. Not a weak dictionary: a
#: backend reaches its client (through the pools' connect callbacks), which
#: would keep a weak dictionary's entry alive for good; an attribute makes a
#: cycle that the garbage collector frees with the client.
_ATTRIBUTE = "_typedset_backend"
_backends_lock = threading.Lock()


def backend_for(client: object, *, asyncio: bool) -> Any:
    """The backend of ``client``, made once per client; ``TypeError`` for a non-client.

    ``asyncio`` says which flavour the collection needs: a client of the
    other flavour is refused here, before anything could be sent.
    """
    execute = getattr(client, "execute_command", None)
    if not callable(execute):
        raise TypeError(f"client must be a redis-py or valkey-py client, not {client!r}")
    if inspect.iscoroutinefunction(execute) != asyncio:
        wanted = "an asyncio client (redis.asyncio)" if asyncio else "a blocking client"
        raise TypeError(f"{client!r} is the wrong flavour: this collection needs {wanted}")
    found = getattr(client, _ATTRIBUTE, None)
    if found is not None:
        return found
    library = _library_of(client)
    clustered = hasattr(client, "nodes_manager")
    if not clustered and not hasattr(client, "connection_pool"):
        raise TypeError(f"client must be a redis-py or valkey-py client, not {client!r}")
    backend: Any
    if asyncio:
        backend = (AsyncClusterBackend if clustered else AsyncStandaloneBackend)(client, library)
    else:
        backend = (SyncClusterBackend if clustered else SyncBackend)(client, library)
    with _backends_lock:
        found = getattr(client, _ATTRIBUTE, None)
        if found is None:
            setattr(client, _ATTRIBUTE, backend)
            found = backend
    return found


def default_client(url: str, **settings: Any) -> RedisClient:
    """A blocking redis-py client for ``url``: the one kind typedset's own tools make.

    ``PrivateServer.client()`` and the CLI hand it out; typedset itself works
    with whatever client it is given.
    """
    import redis

    client: RedisClient = redis.Redis.from_url(url, **settings)
    return client
