"""Static rules for the Lua scripts in ``src/typedset/lua``: read, not run.

Three rules, each a failure mode that small tests do not show:

* A library (``lua/lib/*.lua``) only defines functions: ``_scripts.load``
  prepends it to every script that uses it, so anything it ran at include
  time would run, with that script's KEYS and ARGV, before the script itself.
* No script unpacks a list whose length a caller chooses: Lua's ``unpack``
  fails beyond about 8,000 values ("too many results to unpack"), so such a
  script passes every small test and fails in production (issue 10).
  ``lib/chunks.lua`` (``in_chunks``, ``fetch_in_chunks``) is where lists
  are cut into slices of ``CHUNK``.
* Only ``lib/clock.lua`` asks the server for the time (``TIME``), so every
  script reads and formats the clock one way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LUA = Path(__file__).resolve().parents[2] / "src" / "typedset" / "lua"
SCRIPTS = sorted(LUA.glob("*.lua"))
LIBRARIES = sorted((LUA / "lib").glob("*.lua"))
ALL = SCRIPTS + LIBRARIES

#: Lua 5.1's limit on the values one call can take (LUAI_MAXCSTACK).
UNPACK_LIMIT = 8000

#: One-argument unpacks read and accepted, with why their list is short. A
#: new one must be added here with its reason, or use ``in_chunks``; an
#: entry whose call is gone fails too, so the list stays true.
REVIEWED_UNPACKS: dict[tuple[str, str], str] = {
    ("claim.lua", "unpack(members)"): (
        "members holds one page of ZRANGEBYSCORE ... LIMIT skipped, want, "
        "with want = math.min(count - #claimed, CHUNK)"
    ),
}


def _name(path: Path) -> str:
    return path.relative_to(LUA).as_posix() if path.is_relative_to(LUA) else path.name


def _strip(source: str) -> tuple[list[str], list[str]]:
    """The source's lines without comments: as written, and with every string emptied.

    Newlines inside long strings and comments are kept, so both lists line
    up with the file's lines. Handles ``--`` and ``--[[ ]]`` comments,
    quoted strings with escapes and ``[[ ]]`` / ``[==[ ]==]`` long strings.
    """
    code: list[str] = []
    bare: list[str] = []
    i, n = 0, len(source)

    def long_bracket(at: int) -> re.Match[str] | None:
        return re.compile(r"\[(=*)\[").match(source, at)

    while i < n:
        c = source[i]
        if source.startswith("--", i):
            opened = long_bracket(i + 2)
            if opened:
                end = source.find("]" + opened.group(1) + "]", opened.end())
                end = n if end == -1 else end + len(opened.group(0))
            else:
                end = source.find("\n", i)
                end = n if end == -1 else end
            gap = "\n" * source.count("\n", i, end)
            code.append(gap)
            bare.append(gap)
            i = end
        elif c in "'\"":
            j = i + 1
            while j < n and source[j] != c:
                j += 2 if source[j] == "\\" else 1
            code.append(source[i : j + 1])
            bare.append('""')
            i = j + 1
        elif (opened := long_bracket(i)) is not None:
            end = source.find("]" + opened.group(1) + "]", opened.end())
            end = n if end == -1 else end + len(opened.group(0))
            code.append(source[i:end])
            bare.append('""' + "\n" * source.count("\n", i, end))
            i = end
        else:
            code.append(c)
            bare.append(c)
            i += 1
    return "".join(code).split("\n"), "".join(bare).split("\n")


def _calls(text: str, function: str) -> list[str]:
    """Each call of ``function`` in ``text`` (strings emptied), as written, up to its ")"."""
    found = []
    for match in re.finditer(rf"(?<![\w.:]){re.escape(function)}\s*\(", text):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        found.append(text[match.start() : end + 1])
    return found


def _arguments(call: str) -> list[str]:
    """The top-level arguments of ``name(a, f(b, c), d)``: ``["a", "f(b, c)", "d"]``."""
    inner = call[call.index("(") + 1 : -1]
    parts, depth, start = [], 0, 0
    for at, c in enumerate(inner):
        depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(inner[start:at].strip())
            start = at + 1
    parts.append(inner[start:].strip())
    return [part for part in parts if part]


# --- libraries define functions only ------------------------------------------

#: Words that open a block closed by ``end`` (``for`` and ``while`` open
#: theirs with ``do``) or by ``until``.
_OPENS = re.compile(r"\b(function|if|do|repeat)\b")
_CLOSES = re.compile(r"\b(end|until)\b")
#: What may stand outside a function body in a library.
_TOP_LEVEL = [
    re.compile(r"local function [A-Za-z_]\w*\s*\(.*"),  # a definition (its body follows)
    re.compile(r"end"),  # the end of a definition
    re.compile(r'local [A-Za-z_]\w* = (-?\d+(\.\d+)?|""|true|false|nil)'),  # a constant
]


def _statements_outside_functions(path: Path) -> list[str]:
    """The library's lines that would run at include time, as ``"lib/x.lua:7: text"``."""
    _, bare = _strip(path.read_text(encoding="utf-8"))
    depth = 0
    found = []
    for number, line in enumerate(bare, start=1):
        text = line.strip()
        if depth == 0 and text and not any(rule.fullmatch(text) for rule in _TOP_LEVEL):
            found.append(f"{_name(path)}:{number}: {text}")
        depth += len(_OPENS.findall(line)) - len(_CLOSES.findall(line))
        assert depth >= 0, f"{_name(path)}:{number}: more block ends than starts"
    assert depth == 0, f"{_name(path)}: a block is not closed"
    return found


@pytest.mark.parametrize("path", LIBRARIES, ids=_name)
def test_a_library_only_defines_functions(path: Path) -> None:
    """Outside function bodies, a library has only comments, blank lines,
    ``local function ...``/``end`` and ``local NAME = <literal constant>``."""
    assert _statements_outside_functions(path) == []


def test_the_library_rule_catches_a_statement(tmp_path: Path) -> None:
    lib = tmp_path / "lib.lua"
    lib.write_text(
        "-- a comment\nlocal CHUNK = 1000\nlocal function f(x)\n"
        "  if x then return 'end' end\n  for i = 1, 2 do x = i end\n  return x\nend\n"
        "local now = redis.call('TIME')\nf(1)\n",
        encoding="utf-8",
    )
    found = [line.split(": ", 1)[1] for line in _statements_outside_functions(lib)]
    assert found == ['local now = redis.call("")', "f(1)"]


# --- unpack only within CHUNK -------------------------------------------------


def _chunk() -> int:
    match = re.search(r"^local CHUNK = (\d+)$", (LUA / "lib" / "chunks.lua").read_text(), re.M)
    assert match, "lib/chunks.lua defines CHUNK"
    return int(match.group(1))


def _unpacks(path: Path) -> list[str]:
    _, bare = _strip(path.read_text(encoding="utf-8"))
    return _calls("\n".join(bare), "unpack") + _calls("\n".join(bare), "table.unpack")


def _unbounded_unpacks(path: Path) -> list[str]:
    """Unpacks that may take more than CHUNK values.

    Fine: ``unpack(list, i, j)`` whose upper bound ``j`` names ``CHUNK``
    (a slice of at most CHUNK values, as in ``lib/chunks.lua``), and the
    one-argument unpacks in REVIEWED_UNPACKS. Anything else is reported.
    """
    found = []
    for call in _unpacks(path):
        arguments = _arguments(call)
        if len(arguments) == 3 and "CHUNK" in arguments[2]:
            continue
        if (_name(path), re.sub(r"\s+", "", call)) in REVIEWED_UNPACKS:
            continue
        found.append(f"{_name(path)}: {call}")
    return found


def test_chunks_are_even_and_far_below_the_unpack_limit() -> None:
    chunk = _chunk()
    assert chunk % 2 == 0, "an odd CHUNK would split a flat list of pairs"
    assert 0 < chunk <= UNPACK_LIMIT // 4


@pytest.mark.parametrize("path", [p for p in ALL if _name(p) != "lib/chunks.lua"], ids=_name)
def test_no_script_unpacks_a_list_of_any_length(path: Path) -> None:
    """Outside ``lib/chunks.lua``, ``unpack`` takes a slice bounded by CHUNK
    (``unpack(x, i, math.min(i + CHUNK - 1, #x))``) or a list REVIEWED_UNPACKS
    shows is at most CHUNK long; a caller-sized list goes through
    ``in_chunks``/``fetch_in_chunks`` instead."""
    assert _unbounded_unpacks(path) == []


def test_every_reviewed_unpack_is_still_there() -> None:
    present = {(_name(path), re.sub(r"\s+", "", call)) for path in ALL for call in _unpacks(path)}
    assert set(REVIEWED_UNPACKS) <= present


def test_the_unpack_rule_catches_a_whole_list(tmp_path: Path) -> None:
    script = tmp_path / "x.lua"
    script.write_text(
        "-- unpack(ARGV) in a comment is fine\n"
        "redis.call('ZREM', KEYS[1], unpack(ARGV))\n"
        "redis.call('ZREM', KEYS[1], unpack(ARGV, 1, #ARGV))\n"
        "redis.call('DEL', table.unpack(KEYS))\n"
        "redis.call('ZREM', KEYS[1], unpack(ARGV, i, math.min(i + CHUNK - 1, #ARGV)))\n"
        "local s = 'unpack(ARGV)'\n",
        encoding="utf-8",
    )
    assert [found.split(": ", 1)[1] for found in _unbounded_unpacks(script)] == [
        "unpack(ARGV)",
        "unpack(ARGV, 1, #ARGV)",
        "table.unpack(KEYS)",
    ]


# --- one clock ------------------------------------------------------------------

_TIME = re.compile(r"""redis\.p?call\s*\(\s*(['"])time\1""", re.IGNORECASE)


def _time_calls(path: Path) -> list[str]:
    code, _ = _strip(path.read_text(encoding="utf-8"))
    return [
        f"{_name(path)}:{number}: {line.strip()}"
        for number, line in enumerate(code, start=1)
        if _TIME.search(line)
    ]


@pytest.mark.parametrize("path", [p for p in ALL if _name(p) != "lib/clock.lua"], ids=_name)
def test_only_the_clock_library_asks_for_the_time(path: Path) -> None:
    """``redis.call('TIME')`` (any case, ``pcall`` too) appears only in ``lib/clock.lua``;
    scripts use its ``server_time()``."""
    assert _time_calls(path) == []


def test_the_clock_library_asks_for_the_time() -> None:
    assert _time_calls(LUA / "lib" / "clock.lua") != []


def test_the_clock_rule_catches_a_call(tmp_path: Path) -> None:
    script = tmp_path / "x.lua"
    script.write_text(
        "-- redis.call('TIME') in a comment is fine\nlocal t = redis.pcall( \"time\" )\n",
        encoding="utf-8",
    )
    assert [found.split(": ", 1)[1] for found in _time_calls(script)] == [
        'local t = redis.pcall( "time" )'
    ]
