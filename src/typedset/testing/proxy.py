"""A TCP proxy for fault tests: it forwards to a server, records commands, and loses replies.

:class:`FaultProxy` sits between a client and a server. Armed with
:meth:`~FaultProxy.cut_next_reply`, it forwards the next command and then,
when the server's reply arrives, closes the client's connection instead of
passing the reply on: the command ran, the client cannot know. Armed with
:meth:`~FaultProxy.stall_next_reply`, it holds that reply forever, so the
client's read times out. :attr:`~FaultProxy.commands` lists every command
it forwarded, which is how a test counts how often a command was sent.

>>> with PrivateServer(tcp=True) as server, FaultProxy(server.url) as proxy:  # doctest: +SKIP
...     client = redis.Redis(host="127.0.0.1", port=proxy.port)
...     proxy.cut_next_reply()
...     client.incr("n")  # redis-py retries it: proxy.commands holds two INCRs

Only for tests: it listens on 127.0.0.1 and uses a thread per direction.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Literal, cast
from urllib.parse import urlparse

from .._resp import Parser, ProtocolError

__all__ = ["FaultProxy"]

Fault = Literal["cut", "stall"]


class FaultProxy:
    """Forwards TCP connections on 127.0.0.1 to ``upstream`` (a ``redis://`` or ``unix://`` URL).

    Connect clients to :attr:`url` (or ``port``) once it is started
    (``with FaultProxy(server.url) as proxy:``). Every connection gets one
    upstream connection of its own; a fault, once armed, hits the next reply
    of whichever connection gets one first.
    """

    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self._unix = parsed.path if parsed.scheme == "unix" else None
        self._address = (parsed.hostname or "127.0.0.1", parsed.port or 6379)
        self._lock = threading.Lock()
        self._armed: Fault | None = None
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = False
        #: Every command forwarded to the server, in order, as its arguments.
        self.commands: list[tuple[bytes, ...]] = []
        #: How many replies were cut or stalled.
        self.faults = 0
        #: The port it listens on, once started.
        self.port = 0

    @property
    def url(self) -> str:
        """A ``redis://`` URL of the proxy, for ``redis.Redis.from_url`` (once started)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def cut_next_reply(self) -> None:
        """Close the client's connection when the next reply arrives, instead of passing it on."""
        with self._lock:
            self._armed = "cut"

    def stall_next_reply(self) -> None:
        """Hold the next reply for good: the client's read times out."""
        with self._lock:
            self._armed = "stall"

    def start(self) -> FaultProxy:
        """Listen on a free port of 127.0.0.1 and forward what connects; return the proxy."""
        listener = socket.create_server(("127.0.0.1", 0))
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept)
        return self

    def stop(self) -> None:
        """Close the listener and every connection, and wait (5 s each) for the threads."""
        self._closed = True
        with self._lock:
            sockets = [self._listener, *self._sockets]
        for sock in sockets:
            if sock is not None:
                _close(sock)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        """:meth:`start` the proxy; the ``with`` block's end stops it."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """:meth:`stop` the proxy."""
        self.stop()

    # --- the pumps -----------------------------------------------------------------

    def _spawn(self, target: Callable[..., object], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _upstream(self) -> socket.socket:
        if self._unix is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self._unix)
            return sock
        return socket.create_connection(self._address)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = self._upstream()
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets |= {client, server}
            self._spawn(self._requests, client, server)
            self._spawn(self._replies, server, client)

    def _requests(self, client: socket.socket, server: socket.socket) -> None:
        parser = Parser()
        while True:
            try:
                data = client.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            try:
                commands = parser.feed(data)
            except ProtocolError:
                commands = []
            with self._lock:
                # a client's command is an array of bulk strings
                self.commands += [
                    tuple(cast("list[bytes]", c)) for c in commands if isinstance(c, list)
                ]
            try:
                server.sendall(data)
            except OSError:
                break
        _close(client)
        _close(server)

    def _replies(self, server: socket.socket, client: socket.socket) -> None:
        stalled = False
        while True:
            try:
                data = server.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                break
            if stalled:
                continue  # swallow everything after a stalled reply
            with self._lock:
                fault, self._armed = self._armed, None
                if fault is not None:
                    self.faults += 1
            if fault == "cut":
                break
            if fault == "stall":
                stalled = True
                continue
            try:
                client.sendall(data)
            except OSError:
                break
        _close(client)
        _close(server)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
