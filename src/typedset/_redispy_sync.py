"""The redis-py/valkey-py adapter, blocking: exchanges on the connections of a client's pool."""

from __future__ import annotations

import os
import select
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from ._backend import BLOCKING_MARGIN, LinkFailure
from ._ops import Command, ServerError, answered_before_close, closes_connection
from ._redispy_common import READ_SIZE, Library, encoding_of, slot_node
from ._resp import Parser, ProtocolError, pack

__all__ = ["SyncBackend", "SyncClusterBackend"]

#: Connections a blocking backend keeps checked out of the client's pool
#: between calls, per client (one per thread that is using it at once).
_IDLE_MAX = 16


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

    def __init__(self, client: Any, library: Library) -> None:
        self.library = library
        self.pool = client.connection_pool
        standard = library.connection
        self.lean = (
            type(self.pool) is standard.ConnectionPool
            and getattr(self.pool, "cache", None) is None
            and self.pool.connection_class
            in (standard.Connection, standard.SSLConnection, standard.UnixDomainSocketConnection)
        )
        self.encoding = encoding_of(self.pool.connection_kwargs)
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

    def exchange(
        self, commands: Sequence[Command], wait: float | None, patience: float | None = None
    ) -> list[object]:
        conn = self._checkout()
        clean = False
        try:
            replies, clean = self._exchange(conn, commands, wait, patience)
            return replies
        finally:
            self._checkin(conn, clean)

    def _exchange(
        self, conn: Any, commands: Sequence[Command], wait: float | None, patience: float | None
    ) -> tuple[list[object], bool]:
        """Write ``commands`` on ``conn`` and read one raw reply each; and whether it is clean."""
        library = self.library
        sock = getattr(conn, "_sock", None)
        checks = getattr(conn, "health_check_interval", 0)
        if sock is None or checks:  # (the hot path skips this)
            with library.before_sending():
                if sock is None:  # connect() is costly even when connected: ask only then
                    conn.connect()
                    sock = getattr(conn, "_sock", None)
                if checks:
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
        timeout = _read_timeout(conn.socket_timeout, wait, patience)
        if timeout != conn.socket_timeout:
            sock.settimeout(timeout)
        parser = Parser()
        replies: list[object] = []
        try:
            while len(replies) < len(commands):
                chunk = sock.recv(READ_SIZE)
                if not chunk:
                    raise ConnectionResetError("closed by the server")
                replies += parser.feed(chunk)
        except (OSError, ProtocolError) as exc:
            conn.disconnect()
            answered = answered_before_close([library.reply(r) for r in replies], len(commands))
            if answered is not None:
                return answered, False
            what = "Timeout reading from" if isinstance(exc, TimeoutError) else "Lost"
            raise LinkFailure(library.lost(conn, exc, what), sent=True) from exc
        if timeout != conn.socket_timeout:
            sock.settimeout(conn.socket_timeout)  # back to the client's setting
        if checks:
            conn.next_health_check = time.monotonic() + checks
        # Anything beyond our replies (a push message) would confuse the next user.
        clean = len(replies) == len(commands) and not parser.pending
        out = [library.reply(reply) for reply in replies[: len(commands)]]
        return out, clean and not any(closes_connection(reply) for reply in out)

    def reset_after_fork(self) -> None:
        self.idle = []


def _read_timeout(
    socket_timeout: float | None, wait: float | None, patience: float | None
) -> float | None:
    """A blocking command's own read timeout, whatever the client's; for a slow reply (a
    ``WAIT``) at least its patience, never shorter than the client's; else the client's."""
    if wait is not None:
        return wait + BLOCKING_MARGIN
    if patience is not None and socket_timeout is not None:
        return max(socket_timeout, patience + BLOCKING_MARGIN)
    return socket_timeout


def _exchange_through(conn: Any, library: Library, commands: Sequence[Command]) -> list[object]:
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
    pending = getattr(sock, "pending", None)  # TLS: bytes decrypted but not read
    if pending is not None and pending():
        return True
    try:
        if _poll is None:  # (select() cannot watch descriptors past 1023)
            readable, _, _ = select.select([sock], [], [], 0)
            return bool(readable)
        poller = _poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


_poll = getattr(select, "poll", None)  # not on Windows


class SyncBackend:
    """A blocking standalone client: one node."""

    clustered = False

    def __init__(self, client: Any, library: Library) -> None:
        self._node = _SyncNode(client, library)

    def transmit(
        self,
        key: object,
        commands: Sequence[Command],
        *,
        wait: float | None = None,
        asking: ServerError | None = None,
        patience: float | None = None,
    ) -> list[object]:
        return self._node.exchange(commands, wait, patience)

    def refresh(self) -> None:
        return None


class SyncClusterBackend:
    """A blocking cluster client: each key's node, found by its slot."""

    clustered = True

    def __init__(self, client: Any, library: Library) -> None:
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
        patience: float | None = None,
    ) -> list[object]:
        if asking is None:
            node = slot_node(self._client.nodes_manager, key)
            return self._node(node).exchange(commands, wait, patience)
        assert asking.address is not None, asking
        host, port = asking.address
        node = self._client.get_node(host=host, port=port)
        if node is None:
            self.refresh()
            node = self._client.get_node(host=host, port=port)
            if node is None:
                raise LinkFailure(asking.exception, sent=False)
        if asking.code == "MOVED":  # the node that serves the slot now
            return self._node(node).exchange(commands, wait, patience)
        # ASKING lets only the command right after it in: one before each.
        asked = [part for command in commands for part in (("ASKING",), command)]
        return self._node(node).exchange(asked, wait, patience)[1::2]

    def refresh(self) -> None:
        with self._library.before_sending():
            self._client.nodes_manager.initialize()
