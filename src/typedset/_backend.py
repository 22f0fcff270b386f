"""The backend layer: what the drivers need of a client, and where each client's comes from.

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

An error reply reaches the core as a value, :class:`~._ops.ServerError`,
classified by its code; a connection failure is raised as
:class:`LinkFailure`, which says whether the command may have reached the
server. The user only ever sees the client library's own exceptions.

An *adapter* makes backends for one family of clients: ``_redispy.py``
(with ``_redispy_sync.py`` and ``_redispy_async.py``) serves redis-py and
valkey-py, blocking, asyncio and cluster. It is the only code that touches
a client library. Another client (coredis, valkey-glide) takes an adapter
module with a ``backend(client, asyncio=...)`` function that returns a
:class:`Backend` or :class:`AsyncBackend` (and, for the auto-pipeline,
links) for its clients and ``None`` for any other; list it
in :data:`ADAPTERS`.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

from ._ops import Command, ServerError

__all__ = [
    "BLOCKING_MARGIN",
    "AsyncBackend",
    "AsyncLink",
    "Backend",
    "LinkFailure",
    "backend_for",
]

#: Added to a blocking command's wait to make its read timeout.
BLOCKING_MARGIN = 0.5


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
        patience: float | None = None,
    ) -> list[object]:
        """Send ``commands`` in one write to ``key``'s node; one raw reply each.

        Replies are undecoded (bytes); error replies are
        :class:`~._ops.ServerError` values. ``wait`` marks a blocking command:
        it gets a connection of its own and a read timeout of ``wait`` plus a
        margin. ``asking`` sends the commands to the node a redirect named
        (after ``ASKING`` for an ``ASK``). ``patience``: the replies may take
        that long (a ``WAIT``), so the read timeout is at least that plus a
        margin, never shorter than the client's own. Raises :class:`LinkFailure`.
        A connection that fails after a reply the server closes it after
        (``UNBLOCKED``) answers that reply for the commands after it too:
        they never ran.
        """
        ...

    def refresh(self) -> None:
        """Re-read the cluster's topology after a redirect or a failure (no-op otherwise)."""
        ...


class AsyncLink(Protocol):
    """One connection an asyncio driver holds: it writes and reads on it itself."""

    def usable(self) -> bool:
        """Whether a command may be written now (open, nothing left unread)."""
        ...

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

    def patient(self, seconds: float) -> float | None:
        """A read timeout of at least ``seconds``, never shorter than the client's (``None``
        when the client has none)."""
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


# --- finding a client's backend -----------------------------------------------------

#: The attribute a client carries its backend in. Not a weak dictionary: a
#: backend reaches its client (through the pools' connect callbacks), which
#: would keep a weak dictionary's entry alive for good; an attribute makes a
#: cycle that the garbage collector frees with the client.
_ATTRIBUTE = "_typedset_backend"
_backends_lock = threading.Lock()


#: The adapter modules, asked in order for a client's backend.
ADAPTERS = ("._redispy",)


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
    for name in ADAPTERS:
        backend = importlib.import_module(name, __package__).backend(client, asyncio=asyncio)
        if backend is not None:
            break
    else:
        raise TypeError(f"client must be a redis-py or valkey-py client, not {client!r}")
    with _backends_lock:
        found = getattr(client, _ATTRIBUTE, None)
        if found is None:
            setattr(client, _ATTRIBUTE, backend)
            found = backend
    return found
