"""Loads the Lua scripts in ``lua/`` (package data) and describes how to call them.

Each script's header documents its ``KEYS``; we count them from the header so
that a call with the wrong number of keys fails in Python, not on the server.
A header line ``-- uses: stream, cursor`` prepends ``lua/lib/stream.lua`` and
``lua/lib/cursor.lua`` (and what they use in turn, each once, before them):
code several scripts need is written once, and each script still reaches the
server as one self-contained source. A library only defines ``local
function``s: nothing in it runs until a script calls it (a test checks this).
Scripts run by SHA1 (``EVALSHA``); the driver falls back to ``EVAL`` with the
source when the server answers ``NOSCRIPT``, which also caches it there.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files

from .protocols import Arg

__all__ = ["Script", "load"]

_KEY_LINE = re.compile(r"^-- KEYS\[(\d+)\]", re.MULTILINE)
_USES_LINE = re.compile(r"^-- uses: (.+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Script:
    """One Lua script: its source, SHA1 and how many keys it declares."""

    name: str
    source: str
    sha: str
    max_keys: int
    optional_keys: int

    def evalsha(self, keys: tuple[str, ...], args: tuple[Arg, ...]) -> tuple[Arg, ...]:
        """The ``EVALSHA`` command line for a call with these keys and arguments."""
        self._check(keys)
        return ("EVALSHA", self.sha, len(keys), *keys, *args)

    def eval(self, keys: tuple[str, ...], args: tuple[Arg, ...]) -> tuple[Arg, ...]:
        """The ``EVAL`` command line, sent when the server does not know the SHA1."""
        self._check(keys)
        return ("EVAL", self.source, len(keys), *keys, *args)

    def _check(self, keys: tuple[str, ...]) -> None:
        if not self.max_keys - self.optional_keys <= len(keys) <= self.max_keys:
            raise AssertionError(f"{self.name}.lua takes {self.max_keys} keys, got {len(keys)}")


def _read(path: str) -> str:
    assert __package__, "typedset._scripts is always imported from its package"
    lua = files(__package__).joinpath("lua")
    for part in path.split("/"):
        lua = lua.joinpath(part)
    return lua.read_text(encoding="utf-8")


def _libraries(source: str, found: list[str]) -> list[str]:
    """The libraries ``source`` uses, each after the ones it uses itself, each once."""
    uses = _USES_LINE.search(source)
    for lib in (part.strip() for part in uses.group(1).split(",")) if uses else ():
        if lib not in found:
            _libraries(_read(f"lib/{lib}.lua"), found)
            found.append(lib)
    return found


def load(name: str) -> Script:
    """Read ``lua/<name>.lua`` from the package, after the libraries it uses."""
    own = _read(f"{name}.lua")
    declared = [int(n) for n in _KEY_LINE.findall(own)]
    optional = sum(
        1 for line in own.splitlines() if line.startswith("-- KEYS[") and "(optional)" in line
    )
    source = "\n".join([*(_read(f"lib/{lib}.lua") for lib in _libraries(own, [])), own])
    return Script(
        name=name,
        source=source,
        sha=hashlib.sha1(source.encode()).hexdigest(),
        max_keys=max(declared, default=0),
        optional_keys=optional,
    )


ACK = load("ack")
ADD_NOW = load("add_now")
ADD_PERIODIC = load("add_periodic")
ADD_UNIQUE = load("add_unique")
CLAIM = load("claim")
CLAIM_NAME = load("claim_name")
COMBINE = load("combine")
COUNT_READY = load("count_ready")
DISCARD = load("discard")
EXTEND = load("extend")
INCREMENT = load("increment")
LEASED = load("leased")
PAGE = load("page")
PEEK = load("peek")
POP = load("pop")
QUARANTINE = load("quarantine")
RELEASE = load("release")
REQUEUE_DEAD = load("requeue_dead")
STATS = load("stats")
STREAM_ADD = load("stream_add")
STREAM_COOL_DOWN = load("stream_cool_down")
STREAM_COOLING = load("stream_cooling")
STREAM_DECREMENT_ALL = load("stream_decrement_all")
STREAM_DELETE_BELOW = load("stream_delete_below")
STREAM_EXPIRE = load("stream_expire")
STREAM_INCREMENT = load("stream_increment")
STREAM_LOOKUP = load("stream_lookup")
STREAM_PAGE = load("stream_page")
STREAM_PULL = load("stream_pull")
STREAM_QUARANTINE = load("stream_quarantine")
STREAM_REQUEUE_DEAD = load("stream_requeue_dead")
STREAM_SIZE = load("stream_size")
STREAM_STATS = load("stream_stats")
