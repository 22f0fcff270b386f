"""A private server never outlives the process that started it.

Each test runs a child Python process that starts a ``PrivateServer`` and
reports the server's pid and directory on its stdout, then is killed or exits.
On Linux, a server started from the main thread is killed by the kernel
(``PDEATHSIG``); one started from another thread is killed by a watchdog
process; at a normal exit, the ``atexit`` hook stops either.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes only")

WAIT = 30.0  # seconds for a child to start its server or to exit
GONE = 5.0  # seconds for an orphaned server to be killed

# The child's prelude: start one server, on the main thread or another one.
START = """
import json, os, sys, threading

ON_THREAD, CLUSTER = sys.argv[1] == "thread", sys.argv[2] == "cluster"

def start():
    from typedset.testing import PrivateServer

    servers.append(PrivateServer(cluster=CLUSTER).start())

servers = []
if ON_THREAD:
    thread = threading.Thread(target=start)
    thread.start()
    thread.join()  # the starting thread is gone: the server must not go with it
else:
    start()
server = servers[0]
server.client().ping()
print(json.dumps({"pid": server.pid, "dir": server._dir.name}), flush=True)
"""

# Killed while its server runs.
KILLED = START + "\nimport time\ntime.sleep(60)\n"

# Exits without stop(). Its own exit hook, registered before typedset is
# imported, runs after typedset's and reports what that one left.
EXITS = (
    """
import atexit, json, os

def report():
    try:
        os.kill(pid, 0)
        running = True
    except ProcessLookupError:  # stopped and reaped by this process
        running = False
    print(json.dumps({"running": running, "dir": os.path.exists(directory)}), flush=True)

atexit.register(report)
"""
    + START
    + "\npid, directory = server.pid, server._dir.name\n"
)

# Stops its server, twice, then exits: the exit hook finds nothing to do.
STOPS = START + "\nserver.stop()\nserver.stop()\n"

THREADS = pytest.mark.parametrize("thread", ["main", "thread"])


def alive(pid: int) -> bool:
    """Whether ``pid`` is running; a zombie (killed, not yet reaped by its new parent) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    if sys.platform != "linux":
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def spawn(code: str, thread: str, cluster: bool = False) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", textwrap.dedent(code), thread, "cluster" if cluster else "-"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def first_line(child: subprocess.Popen[bytes]) -> dict[str, object]:
    """The child's first line of stdout as JSON, waiting at most ``WAIT`` seconds."""
    assert child.stdout is not None
    fd, data = child.stdout.fileno(), b""
    deadline = time.monotonic() + WAIT
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "the child did not report its server in time"
        if select.select([fd], [], [], remaining)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                stderr = child.stderr.read().decode() if child.stderr else ""
                pytest.fail(f"the child exited before reporting its server:\n{stderr}")
            data += chunk
    report: dict[str, object] = json.loads(data.split(b"\n")[0])
    return report


def run(code: str, thread: str) -> tuple[list[dict[str, object]], str]:
    """Run a child to its end: its stdout lines as JSON, and its stderr."""
    child = spawn(code, thread)
    try:
        out, err = child.communicate(timeout=WAIT)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()], err.decode()


@pytest.fixture
def servers() -> Iterator[list[dict[str, object]]]:
    """Where a test records its children's servers: any left behind are killed after it."""
    started: list[dict[str, object]] = []
    yield started
    for server in started:
        pid, directory = server["pid"], str(server["dir"])
        assert isinstance(pid, int)
        if alive(pid):  # the feature is broken: do not leave the orphan behind
            os.kill(pid, signal.SIGKILL)
        if Path(directory).name.startswith("typedset-server-"):
            shutil.rmtree(directory, ignore_errors=True)


@THREADS
@pytest.mark.parametrize("cluster", [False, True], ids=["standalone", "cluster-node"])
def test_a_killed_process_takes_its_server_along(
    servers: list[dict[str, object]], thread: str, cluster: bool
) -> None:
    child = spawn(KILLED, thread, cluster)
    try:
        server = first_line(child)
        servers.append(server)
        pid = server["pid"]
        assert isinstance(pid, int)
        assert alive(pid)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(WAIT)
        for pipe in (child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()
    assert gone_within(pid, GONE), "the server outlived its SIGKILLed parent"
    if thread == "thread" or sys.platform != "linux":  # the watchdog cleans up too
        directory = Path(str(server["dir"]))
        assert directory.parent == Path(tempfile.gettempdir())
        deadline = time.monotonic() + GONE
        while directory.exists():
            assert time.monotonic() < deadline, "the watchdog left the directory behind"
            time.sleep(0.05)


@THREADS
def test_a_process_that_exits_without_stop_stops_its_server(
    servers: list[dict[str, object]], thread: str
) -> None:
    lines, err = run(EXITS, thread)
    servers.append(lines[0])
    assert err == ""
    assert lines[1:] == [{"running": False, "dir": False}]
    pid = lines[0]["pid"]
    assert isinstance(pid, int)
    assert not alive(pid)


@THREADS
def test_stop_then_exit_is_quiet(servers: list[dict[str, object]], thread: str) -> None:
    lines, err = run(STOPS, thread)
    servers.extend(lines)
    pid = lines[0]["pid"]
    assert isinstance(pid, int)
    assert not alive(pid)
    assert err == ""  # no "Exception ignored in atexit callback"
