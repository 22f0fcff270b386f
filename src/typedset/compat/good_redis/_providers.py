"""good-redis's fast-depends providers: ``RedisProvider``, ``AsyncRedisProvider``,
``AsyncRedisClientProvider``, injecting this package's clients.

Each provider is a fast-depends ``CustomField``, used as good-redis's are::

    @inject
    def handler(redis: Annotated[Redis, RedisProvider()]): ...
    @inject
    def handler(redis: Redis = RedisProvider(host="cache", port=6380)): ...

(the second form, which good-redis deprecates, runs without good-redis's
``DeprecationWarning``, but a type checker sees a provider where a
``Redis`` is declared: write the first.) A value the caller passes for the
parameter is kept (good-redis's providers replace it).

The settings come from the provider's keyword arguments, else from the
environment as good-redis reads it (``REDIS_HOST``, ``REDIS_PORT``,
``REDIS_DB``, ``REDIS_USERNAME``, ``REDIS_PASSWORD``, ``REDIS_SECURE`` /
``REDIS_USE_SSL``), and ``REDIS_URL``, which good-redis's blocking provider
takes as a host name and this one as a URL when it has a scheme. One client
(or pool) per distinct settings is made and reused, as good-redis does.
Needs the ``good-redis`` extra (``pip install 'typedset[good-redis]'``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import TracebackType
from typing import Any, ClassVar, Generic, TypeVar

import redis.asyncio
from fast_depends.library import CustomField

from ._client import AsyncRedis, Redis

__all__ = ["AsyncRedisClient", "AsyncRedisClientProvider", "AsyncRedisProvider", "RedisProvider"]

P = TypeVar("P")


def settings(
    kwargs: dict[str, Any], *, url_env: bool, ssl_env: str
) -> tuple[str | None, dict[str, Any]]:
    """``(url or None, connection settings)`` from a provider's arguments and the environment."""
    env = os.environ
    url = kwargs.get("url", env.get("REDIS_URL") if url_env else None)
    found: dict[str, Any] = {
        "decode_responses": kwargs.get("decode_responses", False),
        "protocol": kwargs.get("protocol", 3),
        "socket_timeout": kwargs.get("socket_timeout", 5),
        "socket_connect_timeout": kwargs.get("socket_connect_timeout", 5),
    }
    if url is not None and "://" not in url:  # good-redis reads REDIS_URL as a host name
        found["host"], url = url, None
    if url is None:
        found.setdefault("host", kwargs.get("host", env.get("REDIS_HOST", "localhost")))
        found["port"] = int(kwargs.get("port", env.get("REDIS_PORT", "6379")))
        found["db"] = int(kwargs.get("db", env.get("REDIS_DB", "0")))
    for setting, variable in (("username", "REDIS_USERNAME"), ("password", "REDIS_PASSWORD")):
        if value := kwargs.get(setting, env.get(variable)):
            found[setting] = value
    use_ssl = kwargs.get("use_ssl", env.get(ssl_env, False))
    if use_ssl is True or (isinstance(use_ssl, str) and use_ssl.upper() in ("TRUE", "1")):
        found["ssl"] = True
    return url, found


def _cache_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    return (*args, *sorted(kwargs.items()))


class _Provider(CustomField, Generic[P]):
    """A fast-depends field that puts ``provide(*args, **kwargs)`` into its parameter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(cast=False)
        self._args = args
        self._kwargs = kwargs

    def use(self, /, **kwargs: Any) -> dict[str, Any]:
        """fast-depends's hook: fill the parameter, unless the caller passed it. No I/O."""
        kwargs = super().use(**kwargs)
        if self.param_name and self.param_name not in kwargs:
            kwargs[self.param_name] = self.provide(*self._args, **self._kwargs)
        return kwargs

    def get(self) -> P:
        """What this provider injects, without fast-depends. No I/O (connections are lazy)."""
        return self.provide(*self._args, **self._kwargs)

    @classmethod
    def provide(cls, *args: Any, **kwargs: Any) -> P:
        raise NotImplementedError


def _cached(cache: dict[tuple[Any, ...], P], key: tuple[Any, ...], make: Callable[[], P]) -> P:
    if key not in cache:
        cache[key] = make()
    return cache[key]


class RedisProvider(_Provider[Redis]):
    """Injects a :class:`Redis` (the shim's); one per distinct settings, reused.

    ``RedisProvider(host=..., port=..., db=..., url=..., decode_responses=...,
    username=..., password=..., use_ssl=..., socket_timeout=...)``, each
    defaulting to the environment as good-redis does. No I/O until the
    client is used.
    """

    instance_cache: ClassVar[dict[tuple[Any, ...], Redis]] = {}

    @classmethod
    def provide(cls, *args: Any, **kwargs: Any) -> Redis:
        """The client for these settings, made on first use. No I/O."""

        def make() -> Redis:
            url, found = settings(kwargs, url_env=True, ssl_env="REDIS_SECURE")
            if url is not None:
                found.pop("ssl", None)  # the URL's scheme says (rediss://)
                return Redis.from_url(url, **found)
            return Redis(**found)

        return _cached(cls.instance_cache, _cache_key(args, kwargs), make)


class AsyncRedisProvider(_Provider[AsyncRedis]):
    """Injects an :class:`AsyncRedis`; one per distinct settings, reused (one event loop).

    Takes :class:`RedisProvider`'s settings (``REDIS_USE_SSL`` for TLS, and
    ``REDIS_URL`` only as ``url=``, as good-redis). No I/O until used.
    """

    instance_cache: ClassVar[dict[tuple[Any, ...], AsyncRedis]] = {}

    @classmethod
    def provide(cls, *args: Any, **kwargs: Any) -> AsyncRedis:
        """The client for these settings, made on first use. No I/O."""
        return _cached(cls.instance_cache, _cache_key(args, kwargs), _async_redis(kwargs))


def _async_redis(kwargs: dict[str, Any]) -> Callable[[], AsyncRedis]:
    """Makes the asyncio client for a provider's settings (its pool closes with it)."""

    def make() -> AsyncRedis:
        url, found = settings(kwargs, url_env=False, ssl_env="REDIS_USE_SSL")
        if url is not None:
            found.pop("ssl", None)  # the URL's scheme says (rediss://)
            return AsyncRedis.from_url(url, **found)
        return AsyncRedis(**found)

    return make


class AsyncRedisClient:
    """good-redis's ``AsyncRedisClient``: ``async with client as redis`` gives an ``AsyncRedis``.

    Every ``async with`` on clients of one pool gives the same ``AsyncRedis``,
    left open on exit: its streams share a few connections of the pool
    (typedset's auto-pipelining), where a client per block would keep
    connections of its own. No I/O of its own.
    """

    def __init__(self, client: AsyncRedis) -> None:
        self.redis = client
        self.pool: redis.asyncio.ConnectionPool = client.connection_pool

    async def __aenter__(self) -> AsyncRedis:
        """The pool's client. No I/O (connections open on first use)."""
        return self.redis

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Nothing to do: the client stays open for the next block. No I/O."""


class AsyncRedisClientProvider(_Provider[AsyncRedisClient]):
    """Injects an :class:`AsyncRedisClient` on a pool shared by equal settings.

    Takes :class:`AsyncRedisProvider`'s settings; ``await
    AsyncRedisClientProvider.close()`` closes every pool. No I/O until used.
    """

    instance_cache: ClassVar[dict[tuple[Any, ...], AsyncRedis]] = {}

    @classmethod
    def provide(cls, *args: Any, **kwargs: Any) -> AsyncRedisClient:
        """A client on the pool for these settings, made on first use. No I/O."""
        return AsyncRedisClient(
            _cached(cls.instance_cache, _cache_key(args, kwargs), _async_redis(kwargs))
        )

    @classmethod
    async def close(cls) -> bool:
        """Close every client and pool this provider made and forget them; ``True``. No I/O."""
        clients = list(cls.instance_cache.values())
        cls.instance_cache.clear()
        for client in clients:
            await client.aclose()
        return True
