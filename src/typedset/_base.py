"""What every collection is apart from its operations and its I/O.

Each kind has a base class (``_SetBase``, ``_StreamBase``) built on
:class:`Collection` that holds the constructor and its type overloads; its
blocking and asyncio twins add only methods that hand a call to a driver.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Generic, cast

from typing_extensions import TypeVar

from ._driver import check_client
from .protocols import AsyncClient, Serializer, SyncClient

__all__ = ["Collection", "share_docs"]

#: The client flavour: ``SyncClient`` or ``AsyncClient``.
C = TypeVar("C")
T = TypeVar("T")


class Collection(Generic[C, T]):
    """A named collection of items stored with one codec, on one client."""

    _asyncio: ClassVar[bool] = False
    _client: C
    _codec: Serializer[T]
    _name: str

    def _bind(self, client: C, name: str, codec: Serializer[T]) -> None:
        """Refuse a client of the wrong flavour or one that mangles this codec's bytes; keep it."""
        check_client(cast("SyncClient | AsyncClient", client), codec, asyncio=self._asyncio)
        self._client = client
        self._name = name
        self._codec = codec

    @property
    def name(self) -> str:
        """The key the collection's items live at; its other keys share its cluster slot."""
        return self._name

    @property
    def serializer(self) -> Serializer[T]:
        """The codec items are stored with."""
        return self._codec

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, serializer={self._codec!r})"


def share_docs(twin: type[Any], original: type[Any], renamed: dict[str, str]) -> None:
    """Give each async method without a docstring the docstring of its blocking twin."""
    for attr, value in vars(twin).items():
        if inspect.isfunction(value) and value.__doc__ is None:
            value.__doc__ = getattr(original, renamed.get(attr, attr)).__doc__
