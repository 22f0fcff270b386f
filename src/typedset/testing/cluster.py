"""A throwaway Redis/Valkey cluster for tests: several masters, replicas, moving slots.

Theory of operation. :class:`PrivateCluster` starts ``masters * (1 + replicas)``
:class:`ClusterNode` processes, each a :class:`PrivateServer` of its own
(same binary, same clean-up: stopped at exit, killed with this process, see
:mod:`typedset.testing.server`) with cluster mode on and no slot yet. It then
does what ``redis-cli --cluster create`` does: a distinct config epoch per
node, the 16384 slots split evenly over the masters (``ADDSLOTSRANGE``, or
``ADDSLOTS`` on Redis 6.2), ``CLUSTER MEET`` between every pair, and
``CLUSTER REPLICATE`` once everyone knows everyone. Every command goes over
a bare socket in RESP: no client library is needed.

"Healthy" (:meth:`PrivateCluster.wait_healthy`) means: every live node
reports ``cluster_state:ok``, knows every other live node as connected and
not failing, sees every slot served by a live master, agrees with every
other node on who serves what and who replicates whom; and every replica's
link to its master is up. ``cluster-node-timeout`` is 2000 ms (``node_timeout``),
so a killed master is replaced by its replica within about 3-5 s.

>>> with PrivateCluster(replicas=1) as cluster:             # doctest: +SKIP
...     client = redis.RedisCluster.from_url(cluster.url)
...     cluster.migrate_slot(cluster.slot_of("jobs"), to=cluster.masters[1])
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import NamedTuple

from .._keys import key_slot
from .._resp import ErrorReply, Parser, pack
from .server import PrivateServer

__all__ = ["ClusterNode", "PrivateCluster"]

SLOTS = 16384
_BAD_FLAGS = frozenset({"fail", "fail?", "handshake", "noaddr"})


class _Entry(NamedTuple):
    """One line of ``CLUSTER NODES``: a node as some node sees it."""

    flags: frozenset[str]
    master_id: str  # "" for a master
    slots: frozenset[int]
    linked: bool

    @property
    def role(self) -> str:
        return "master" if "master" in self.flags else "replica"


def _parse_nodes(reply: object) -> dict[str, _Entry]:
    """``{node id: entry}`` from a ``CLUSTER NODES`` reply (open migrations left out)."""
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    view: dict[str, _Entry] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        slots: set[int] = set()
        for token in fields[8:]:
            if token.startswith("["):  # [slot->-id] / [slot-<-id]: a migration, not ownership
                continue
            first, _, last = token.partition("-")
            slots.update(range(int(first), int(last or first) + 1))
        flags = frozenset(fields[2].split(","))
        master = "" if fields[3] == "-" else fields[3]
        view[fields[0]] = _Entry(flags, master, frozenset(slots), fields[7] == "connected")
    return view


class ClusterNode(PrivateServer):
    """One node of a :class:`PrivateCluster`: a :class:`PrivateServer` in cluster mode.

    Made by :class:`PrivateCluster`; started, it serves no slot until the
    cluster gives it some. ``host``, ``port``, ``url``, ``pid`` and
    ``node_id`` are fixed once it is started; ``role`` and ``slots`` ask the
    node (one round trip each), so they follow failovers and migrations.
    """

    def __init__(
        self, binary: str | None = None, *, startup_timeout: float = 15.0, args: Sequence[str] = ()
    ) -> None:
        super().__init__(binary, cluster=True, startup_timeout=startup_timeout, args=args)
        self.node_id = ""
        self._conn: socket.socket | None = None
        self._lock = threading.Lock()

    def _own_every_slot(self, sock: socket.socket, deadline: float) -> None:
        """A cluster's node takes only the slots its cluster gives it."""

    @property
    def host(self) -> str:
        """The address it listens on: ``127.0.0.1``. No I/O."""
        return "127.0.0.1"

    @property
    def alive(self) -> bool:
        """Whether its process is running (not stopped, not killed). No I/O."""
        return self._process is not None and self._process.poll() is None

    @property
    def role(self) -> str:
        """``"master"`` or ``"replica"``, as the node itself says. One round trip; O(N nodes)."""
        return _view(self)[self.node_id].role

    @property
    def slots(self) -> frozenset[int]:
        """The slots it serves as a master (empty for a replica). One round trip; O(N nodes)."""
        return _view(self)[self.node_id].slots

    def start(self) -> ClusterNode:
        """Start the node, wait until it answers, and read its node id. A few round trips."""
        super().start()
        self.node_id = _text(self.command("CLUSTER", "MYID"))
        return self

    def command(self, *args: str | bytes | int | float) -> object:
        """Send one command and return its reply (bytes, int, list, ...). One round trip.

        An error reply raises ``RuntimeError`` with the server's message; a dead
        node raises ``OSError``. Safe to call from several threads.
        """
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._socket()
                    self._conn.settimeout(30)
                self._conn.sendall(pack([args]))
                parser, replies = Parser(), list[object]()
                while not replies:
                    data = self._conn.recv(1 << 16)
                    if not data:
                        raise ConnectionResetError("the node closed the connection")
                    replies = parser.feed(data)
            except BaseException:
                self._disconnect()
                raise
        if isinstance(replies[0], ErrorReply):
            raise RuntimeError(f"{self.port}: {replies[0].message}")
        return replies[0]

    def kill(self) -> None:
        """SIGKILL the node, as a crash would, and reap it; ``stop()`` still cleans up. No I/O."""
        self._disconnect()
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def stop(self) -> None:
        """Stop the node (SIGTERM, SIGKILL after 10 s) and delete its directory. No I/O."""
        self._disconnect()
        super().stop()

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __repr__(self) -> str:
        return f"<ClusterNode {self.host}:{self.port} {self.node_id[:8]}>"


def _view(node: ClusterNode) -> dict[str, _Entry]:
    """How ``node`` sees the cluster, from ``CLUSTER NODES``."""
    return _parse_nodes(node.command("CLUSTER", "NODES"))


def _text(reply: object) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


class PrivateCluster:
    """A Redis/Valkey cluster of our own: ``masters`` masters, each with ``replicas`` replicas.

    Every node is a :class:`ClusterNode` on a free port of 127.0.0.1, run
    from ``binary`` (default: :func:`find_server_binary`) with ``args`` added
    and ``cluster-node-timeout`` set to ``node_timeout`` ms. :meth:`start`
    waits until the cluster is healthy (see the module docstring), at most
    ``startup_timeout`` seconds, and records how long that took in
    ``started_in``. Prefer ``with PrivateCluster() as cluster:``; whatever
    is not stopped is stopped at exit or killed with this process, like a
    :class:`PrivateServer`.

    ``url`` is a live node's, for ``redis.RedisCluster.from_url``; ``nodes``
    are all nodes started (killed ones too); ``masters`` and ``replicas`` are
    the live ones by their current role. Tests move slots with
    :meth:`migrate_slot` (or :meth:`begin_migration`, :meth:`move_keys`,
    :meth:`finish_migration` to hold a slot mid-way), and fail over with
    :meth:`failover` (planned) or :meth:`kill` then :meth:`wait_healthy`.
    """

    def __init__(
        self,
        binary: str | None = None,
        *,
        masters: int = 3,
        replicas: int = 0,
        node_timeout: int = 2000,
        startup_timeout: float = 30.0,
        args: Sequence[str] = (),
    ) -> None:
        if masters < 1 or replicas < 0:
            raise ValueError("a cluster needs at least one master and no negative replicas")
        self.binary = binary
        self.node_timeout = node_timeout
        self.startup_timeout = startup_timeout
        self.args = list(args)
        self.started_in = 0.0
        self._shape = (masters, replicas)
        self._nodes: list[ClusterNode] = []
        self._migrations: dict[int, tuple[ClusterNode, ClusterNode]] = {}

    @property
    def nodes(self) -> tuple[ClusterNode, ...]:
        """Every node started, masters first, killed ones included. No I/O."""
        return tuple(self._nodes)

    @property
    def masters(self) -> list[ClusterNode]:
        """The live nodes that are masters now. One round trip per node."""
        return [node for node in self._live() if node.role == "master"]

    @property
    def replicas(self) -> list[ClusterNode]:
        """The live nodes that are replicas now. One round trip per node."""
        return [node for node in self._live() if node.role == "replica"]

    @property
    def url(self) -> str:
        """A live node's URL, for ``redis.RedisCluster.from_url``. No I/O."""
        return self._live()[0].url

    def start(self) -> PrivateCluster:
        """Start every node, form the cluster and wait until it is healthy. O(nodes^2) round trips.

        About 2 s (a server holds a new master out of ``cluster_state:ok`` for its
        first 2 s); ``started_in`` says how long it took.
        """
        began = time.monotonic()
        deadline = began + self.startup_timeout
        masters, replicas = self._shape
        args = ["--cluster-node-timeout", str(self.node_timeout)]
        # A replica may always take over (it is never "too stale" in a test), syncs at
        # once rather than after the default 5 s diskless delay, and stays where it is put.
        args += ["--cluster-replica-validity-factor", "0", "--repl-diskless-sync-delay", "0"]
        args += ["--cluster-allow-replica-migration", "no", *self.args]
        try:
            for _ in range(masters * (1 + replicas)):
                node = ClusterNode(self.binary, startup_timeout=self.startup_timeout, args=args)
                self._nodes.append(node)
                node.start()
            self._form(deadline)
            self.wait_healthy(max(deadline - time.monotonic(), 0.0))
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def _form(self, deadline: float) -> None:
        masters = self._nodes[: self._shape[0]]
        for epoch, node in enumerate(self._nodes, 1):
            node.command("CLUSTER", "SET-CONFIG-EPOCH", epoch)
        for index, node in enumerate(masters):
            first, last = index * SLOTS // len(masters), (index + 1) * SLOTS // len(masters) - 1
            try:
                node.command("CLUSTER", "ADDSLOTSRANGE", first, last)
            except RuntimeError:  # Redis 6.2 has no ADDSLOTSRANGE
                node.command("CLUSTER", "ADDSLOTS", *range(first, last + 1))
        for at, node in enumerate(self._nodes):
            for other in self._nodes[at + 1 :]:
                node.command("CLUSTER", "MEET", other.host, other.port)
        self._until(self._strangers, deadline - time.monotonic(), "the nodes to meet")
        for at, node in enumerate(self._nodes[len(masters) :]):
            node.command("CLUSTER", "REPLICATE", masters[at % len(masters)].node_id)

    def _strangers(self) -> str | None:
        ids = {node.node_id for node in self._nodes}
        for node in self._nodes:
            view = _view(node)
            known = {key for key, entry in view.items() if not entry.flags & _BAD_FLAGS}
            if not ids <= known:
                return f"{node!r} does not know {len(ids - known)} node(s) yet"
        return None

    def stop(self) -> None:
        """Stop every node and delete its directory; a no-op once stopped. No I/O."""
        for node in self._nodes:  # SIGTERM them all first: they shut down side by side
            if node.alive:
                os.kill(node.pid, signal.SIGTERM)
        errors: list[BaseException] = []
        for node in self._nodes:
            try:
                node.stop()
            except Exception as error:  # stop the others all the same
                errors.append(error)
        self._migrations.clear()
        if errors:
            raise errors[0]

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Wait until the cluster is healthy (see the module docstring); ``TimeoutError`` if not.

        A few round trips per live node per check, checked every 50 ms.
        After :meth:`kill` of a master, this waits for its replica to take over.
        """
        self._until(self._unhealthy, timeout, "the cluster to be healthy")

    def _unhealthy(self) -> str | None:
        """Why the cluster is not healthy yet, or ``None`` if it is."""
        live = self._live()
        ids = {node.node_id for node in live}
        shapes: list[dict[str, tuple[str, str, frozenset[int]]]] = []
        for node in live:
            if b"cluster_state:ok" not in _bytes(node.command("CLUSTER", "INFO")):
                return f"{node!r} is not in cluster_state:ok"
            view = _view(node)
            for known in ids:
                entry = view.get(known)
                if entry is None or entry.flags & _BAD_FLAGS or not entry.linked:
                    return f"{node!r} does not see {known[:8]} as a healthy peer"
            shape = {key: (view[key].role, view[key].master_id, view[key].slots) for key in ids}
            served = [slots for role, _, slots in shape.values() if role == "master"]
            if sum(map(len, served)) != SLOTS or len(set[int]().union(*served)) != SLOTS:
                return f"{node!r} does not see every slot served by a live master"
            if any(role == "replica" and master not in ids for role, master, _ in shape.values()):
                return f"{node!r} sees a replica of a dead master"
            if shape[node.node_id][0] == "replica":
                link = _bytes(node.command("INFO", "replication"))
                if b"master_link_status:up" not in link:
                    return f"{node!r} has no link to its master yet"
            shapes.append(shape)
        if any(shape != shapes[0] for shape in shapes):
            return "the nodes disagree on who serves which slot"
        return None

    def _until(self, why_not: Callable[[], str | None], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                reason = why_not()
            except (OSError, RuntimeError) as error:  # a node restarting, a view mid-change
                reason = repr(error)
            if reason is None:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}: {reason}")
            time.sleep(0.05)

    def _live(self) -> list[ClusterNode]:
        live = [node for node in self._nodes if node.alive]
        if not live:
            raise RuntimeError("the cluster is not running")
        return live

    def _node(self, node_id: str) -> ClusterNode:
        return next(node for node in self._nodes if node.node_id == node_id)

    @staticmethod
    def slot_of(key: str | bytes) -> int:
        """The cluster hash slot of ``key`` (its hash tag's, if it has one). No I/O; O(len(key))."""
        return key_slot(key)

    def node_for(self, key: str | bytes) -> ClusterNode:
        """The master serving ``key``'s slot now. One round trip; O(N nodes)."""
        return self.owner(key_slot(key))

    def owner(self, slot: int) -> ClusterNode:
        """The master serving ``slot`` now. One round trip; O(N nodes)."""
        for node_id, entry in _view(self._live()[0]).items():
            if entry.role == "master" and slot in entry.slots:
                return self._node(node_id)
        raise LookupError(f"no master serves slot {slot}")

    def replicas_of(self, master: ClusterNode) -> list[ClusterNode]:
        """The live replicas of ``master`` now. One round trip; O(N nodes)."""
        view = _view(self._live()[0])
        return [
            node
            for node in self._live()
            if node.node_id in view and view[node.node_id].master_id == master.node_id
        ]

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL ``node``, as a crash would; :meth:`wait_healthy` then waits for its replica
        to take over (about 3-5 s). No I/O."""
        node.kill()

    def failover(self, master: ClusterNode, timeout: float = 30.0) -> ClusterNode:
        """Hand ``master``'s slots to its replica with ``CLUSTER FAILOVER``; return the replica.

        Waits until the replica is master, ``master`` its replica, and the
        cluster healthy: a few round trips per node, usually well under a second.
        """
        replicas = self.replicas_of(master)
        if not replicas:
            raise ValueError(f"{master!r} has no replica to fail over to")
        replica = replicas[0]
        replica.command("CLUSTER", "FAILOVER")

        def swapped() -> str | None:
            if replica.role != "master" or master.role != "replica":
                return f"{replica!r} has not taken over from {master!r} yet"
            return None

        self._until(swapped, timeout, "the failover")
        self.wait_healthy(timeout)
        return replica

    def migrate_slot(self, slot: int, to: ClusterNode, *, batch: int = 1000) -> None:
        """Move ``slot`` and its keys to the master ``to``, the way ``redis-cli`` reshards.

        :meth:`begin_migration`, :meth:`move_keys`, then :meth:`finish_migration`:
        about 4 + masters round trips, plus two per ``batch`` keys; O(keys in the slot).
        """
        if self.begin_migration(slot, to):
            self.finish_migration(slot, batch=batch)

    def begin_migration(self, slot: int, to: ClusterNode) -> bool:
        """Mark ``slot`` IMPORTING on ``to`` and MIGRATING on its owner; ``False`` if ``to``
        serves it already. Until :meth:`finish_migration`, clients get ASK redirects
        for the keys moved. Three round trips; O(N nodes)."""
        source = self.owner(slot)
        if source is to:
            return False
        if slot in self._migrations:
            raise ValueError(f"slot {slot} is being migrated already")
        if to.role != "master":
            raise ValueError(f"{to!r} is not a master")
        to.command("CLUSTER", "SETSLOT", slot, "IMPORTING", source.node_id)
        source.command("CLUSTER", "SETSLOT", slot, "MIGRATING", to.node_id)
        self._migrations[slot] = (source, to)
        return True

    def move_keys(self, slot: int, limit: int | None = None, *, batch: int = 1000) -> int:
        """Move up to ``limit`` (default: all) of the keys left in a migrating ``slot``;
        return how many moved. Each ``batch`` of keys goes in one ``MIGRATE``, so a
        collection's keys move together when they fit in one. Two round trips per batch."""
        source, target = self._migrations[slot]
        moved = 0
        while limit is None or moved < limit:
            count = batch if limit is None else min(batch, limit - moved)
            keys = _keys(source.command("CLUSTER", "GETKEYSINSLOT", slot, count))
            if not keys:
                break
            source.command("MIGRATE", target.host, target.port, "", 0, 5000, "KEYS", *keys)
            moved += len(keys)
        return moved

    def finish_migration(self, slot: int, *, batch: int = 1000) -> None:
        """Move the keys left in ``slot``, then give it to its new master on every master
        (``CLUSTER SETSLOT NODE``) and wait until every node agrees. Two round trips per
        ``batch`` keys, one per master, then one per node per check; O(keys in the slot)."""
        source, target = self._migrations[slot]
        self.move_keys(slot, batch=batch)
        others = [node for node in self.masters if node not in (source, target)]
        for node in (target, source, *others):
            node.command("CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
        del self._migrations[slot]

        def moved() -> str | None:
            for node in self._live():
                if slot not in _view(node)[target.node_id].slots:
                    return f"{node!r} does not see slot {slot} on {target!r} yet"
            return None

        self._until(moved, 30.0, f"slot {slot} to move")

    def __enter__(self) -> PrivateCluster:
        """:meth:`start` the cluster; the ``with`` block's end stops it."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """:meth:`stop` every node."""
        self.stop()


def _keys(reply: object) -> list[bytes]:
    items: list[object] = list(reply) if isinstance(reply, list) else []  # pyright: ignore[reportUnknownArgumentType]
    return [key for key in items if isinstance(key, bytes)]


def _bytes(reply: object) -> bytes:
    return reply if isinstance(reply, bytes) else b""
