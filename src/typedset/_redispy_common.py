"""What the redis-py/valkey-py adapter's blocking and asyncio halves share.

The library a client comes from and its exception classes, the encoding of
``str`` arguments, and the cluster node that owns a key.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Generator
from types import ModuleType
from typing import Any

from ._backend import LinkFailure
from ._keys import key_slot
from ._ops import ServerError, redirect_address
from ._resp import ErrorReply

__all__ = ["READ_SIZE", "Library", "encoding_of", "library_of", "slot_node"]

# --- the client library: its exceptions, classified -------------------------------


class Library:
    """The exception classes of one client library (redis-py or valkey-py)."""

    def __init__(self, module: ModuleType) -> None:
        name = module.__name__
        errors = importlib.import_module(f"{name}.exceptions")
        self.connection = importlib.import_module(f"{name}.connection")
        #: The library's own error-reply parser: the exception a user of it would see.
        self.parse_error = importlib.import_module(f"{name}._parsers.base").BaseParser.parse_error
        self.response_error: type[Exception] = errors.ResponseError
        self.loading: type[Exception] = errors.BusyLoadingError
        self.connection_error: type[Exception] = errors.ConnectionError
        self.timeout_error: type[Exception] = errors.TimeoutError
        #: What a broken or stalled connection raises.
        self.failures: tuple[type[Exception], ...] = (
            errors.ConnectionError,
            errors.TimeoutError,
            OSError,
        )
        # The library strips these codes from the message and names the class
        # after them instead (for replies it parsed itself, on the fallback path).
        self._codes: dict[type[Exception], str] = {
            errors.NoScriptError: "NOSCRIPT",
            errors.MovedError: "MOVED",
            errors.AskError: "ASK",
            errors.TryAgainError: "TRYAGAIN",
            errors.MasterDownError: "MASTERDOWN",
            errors.ClusterDownError: "CLUSTERDOWN",
            errors.ClusterCrossSlotError: "CROSSSLOT",
            errors.ReadOnlyError: "READONLY",
            errors.OutOfMemoryError: "OOM",
            errors.NoPermissionError: "NOPERM",
            errors.ExecAbortError: "EXECABORT",
            errors.BusyLoadingError: "LOADING",
        }

    def reply(self, reply: object) -> object:
        """A raw reply, with an error reply turned into a :class:`~._ops.ServerError`."""
        if isinstance(reply, ErrorReply):
            message = reply.message
            return self._value(_code(message), self.parse_error(message), message)
        return reply

    @staticmethod
    def _value(code: str, exc: Exception, message: str) -> ServerError:
        redirected = code in ("MOVED", "ASK")
        return ServerError(code, exc, redirect_address(message) if redirected else None)

    @contextlib.contextmanager
    def before_sending(self) -> Generator[None, None, None]:
        """Turn the library's connection errors into a :class:`LinkFailure` that sent nothing."""
        try:
            yield
        except self.failures as exc:
            raise LinkFailure(exc, sent=False) from exc

    def server_error(self, exc: Exception) -> ServerError:
        """An error the library raised for a reply, as a value with its code."""
        for cls in type(exc).__mro__:
            code = self._codes.get(cls)
            if code is not None:
                return self._value(code, exc, str(exc))
        return self._value(_code(str(exc)), exc, str(exc))

    def lost(self, conn: Any, exc: BaseException, what: str) -> Exception:
        """The library's exception for a connection that failed ``what``."""
        if isinstance(exc, self.connection_error | self.timeout_error):
            return exc
        where = f"{getattr(conn, 'host', '')}:{getattr(conn, 'port', '')}".strip(":")
        cls = self.timeout_error if isinstance(exc, TimeoutError) else self.connection_error
        detail = f": {exc}" if str(exc) else ""
        return cls(f"{what} {where or 'the server'}{detail}")


def _code(message: str) -> str:
    """An error message's code: its first word when that is one (``WRONGTYPE ...``), else ERR."""
    first = message.split(" ", 1)[0]
    return first if first.isupper() and first.isalpha() else "ERR"


_libraries: dict[str, Library] = {}


def library_of(client: object) -> Library | None:
    """The library a client comes from: the first of its classes' modules that is one.

    A subclass of ``redis.Redis`` in your own module is a redis-py client.
    """
    for cls in type(client).__mro__:
        root = cls.__module__.split(".", 1)[0]
        library = _libraries.get(root)
        if library is not None:
            return library
        # Only a package shaped like redis-py (and already loaded by its client)
        if f"{root}.exceptions" not in sys.modules or f"{root}.connection" not in sys.modules:
            continue
        try:
            library = _libraries[root] = Library(importlib.import_module(root))
        except (ImportError, AttributeError):
            continue
        return library
    return None


def encoding_of(kwargs: dict[str, Any]) -> tuple[str, str]:
    """How the client encodes ``str`` arguments (its ``encoding`` settings)."""
    return kwargs.get("encoding", "utf-8"), kwargs.get("encoding_errors", "strict")


#: Bytes asked of the socket per read.
READ_SIZE = 1 << 16


def slot_node(nodes_manager: Any, key: object) -> Any:
    """The cluster node that owns ``key`` (the default node for no key)."""
    if key is None:
        return nodes_manager.default_node
    assert isinstance(key, str | bytes), key
    return nodes_manager.get_node_from_slot(key_slot(key))
