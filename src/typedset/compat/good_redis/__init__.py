"""good-redis's prioritized-stream API on typedset: change the import, keep the handlers.

``from typedset.compat.good_redis import Redis, RedisProvider`` in place of
``from good_redis import ...``: :class:`Redis` and :class:`AsyncRedis` are
redis-py clients whose ``psadd``, ``psaddmany``, ``pspull``,
``psincrement``, ``psdecrement_all``, ``psdeletebelowthreshold``,
``pskeys``, ``psvalues``, ``pslen``, ``psget``, ``psdelete`` and
``psexpire`` run on :class:`~typedset.PriorityStream` (one atomic script
each, on the server's clock), and :class:`RedisProvider`,
:class:`AsyncRedisProvider` and :class:`AsyncRedisClientProvider` inject
them with fast-depends (the ``good-redis`` extra). :class:`Redis` lists
what differs from good-redis.

The streams keep typedset's keys, not good-redis's: convert existing data
once with ``typedset migrate-good-redis URL NAME``
(:func:`typedset.compat.good_redis.migrate.migrate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import AsyncRedis, Key, Redis, Value

if TYPE_CHECKING:
    from ._providers import (
        AsyncRedisClient,
        AsyncRedisClientProvider,
        AsyncRedisProvider,
        RedisProvider,
    )

__all__ = [
    "AsyncRedis",
    "AsyncRedisClient",
    "AsyncRedisClientProvider",
    "AsyncRedisProvider",
    "Key",
    "Redis",
    "RedisProvider",
    "Value",
]

_PROVIDERS = frozenset(
    {"AsyncRedisClient", "AsyncRedisClientProvider", "AsyncRedisProvider", "RedisProvider"}
)


def __getattr__(name: str) -> Any:
    """The providers, imported on first use: they need fast-depends (the ``good-redis`` extra)."""
    if name not in _PROVIDERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        from . import _providers
    except ModuleNotFoundError as exc:
        if exc.name != "fast_depends":
            raise
        raise ImportError(f"{name} needs fast-depends: pip install 'typedset[good-redis]'") from exc
    return getattr(_providers, name)
