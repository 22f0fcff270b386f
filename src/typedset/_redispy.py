"""The adapter for redis-py and valkey-py: their exceptions, and a backend per client.

valkey-py is a fork of redis-py with the same API, so one adapter serves
both, blocking (``_redispy_sync.py``), asyncio (``_redispy_async.py``) and
cluster: it finds a client's library from the client's classes and takes
that library's exception classes from it, importing neither by name.

It uses the client's own pool and connection objects, so auth, TLS, the
database, the RESP version and every connection setting are the client's;
but it writes commands and reads replies itself (``_resp.py``), on the
connection's socket (blocking: ``_sock``) or streams (asyncio: ``_reader``
and ``_writer``), the only private attributes it touches. A connection
without them is used through its own ``send_packed_command`` and
``read_response``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

from ._redispy_async import AsyncClusterBackend, AsyncStandaloneBackend
from ._redispy_common import library_of
from ._redispy_sync import SyncBackend, SyncClusterBackend

if TYPE_CHECKING:
    import redis

    #: What ``default_client`` makes.
    RedisClient: TypeAlias = redis.Redis

__all__ = ["backend", "default_client"]


def backend(client: object, *, asyncio: bool) -> Any:
    """A backend for a redis-py or valkey-py client; ``None`` for any other."""
    library = library_of(client)
    clustered = hasattr(client, "nodes_manager")
    if library is None or not (clustered or hasattr(client, "connection_pool")):
        return None
    if asyncio:
        return (AsyncClusterBackend if clustered else AsyncStandaloneBackend)(client, library)
    return (SyncClusterBackend if clustered else SyncBackend)(client, library)


def default_client(url: str, **settings: Any) -> RedisClient:
    """A blocking redis-py client for ``url``: the one kind typedset's own tools make.

    ``PrivateServer.client()`` and the CLI hand it out; typedset itself works
    with whatever client it is given.
    """
    import redis

    # redis-py leaves from_url's **kwargs unannotated: nothing to infer them from
    client: RedisClient = redis.Redis.from_url(url, **settings)  # pyright: ignore[reportUnknownMemberType]
    return client
