"""redset's documented examples run unmodified on ``typedset.compat.redset``, and redset
producers share a set with typedset consumers.

The examples are redset's own text (percolate/redset at commit 3ff8493, the
0.5.1 release), kept verbatim below; the ``redset`` module names are aliased
to the shim while they run and restored afterwards. They call
``redis.Redis()``: for the run, ``redis.Redis`` is a subclass that connects to
the suite's private server whatever it is given (the suite never touches a
server it did not start). The outputs the examples state (``# 3`` comments in
the README, ``>>>`` outputs in the docs) are checked.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import importlib
import json
import sys
import textwrap
import threading
import time
import types
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
import redis

import typedset
from conftest import Server, delete_collection
from typedset.codecs import JsonValue
from typedset.compat.redset import SortedSet as ShimSortedSet
from typedset.compat.redset.serializers import NamedtupleSerializer, RedsetJsonCodec

#: The module names redset users import, each aliased to the shim's module of the same name.
REDSET_MODULES = [
    "redset",
    "redset.sets",
    "redset.interfaces",
    "redset.serializers",
    "redset.exceptions",
]

# From README.rst, "Simple example" (percolate/redset 3ff8493), verbatim.
README_SIMPLE_EXAMPLE = """\
import json
import redis

from redset import TimeSortedSet

r = redis.Redis()
ss = TimeSortedSet(r, 'important_json_biz', serializer=json)

ss.add({'foo': 'bar1'})
ss.add({'foo': 'bar2'})
 
ss.add({'foo': 'bar3'})
ss.add({'foo': 'bar3'})

len(ss)
# 3


# ...some other process A

ss.peek()
# {'foo': 'bar1'}

ss.pop()
# {'foo': 'bar1'}


# ...meanwhile in process B (at exactly same time as A's pop)

ss.take(2)
# [{'foo': 'bar2'}, {'foo': 'bar3'}]
"""  # noqa: W293  (verbatim: the README has a line of one space)

# From docs/index.rst, "Quick example" (percolate/redset 3ff8493), verbatim; the page
# runs it with ``redis`` and redset's ``TimeSortedSet`` already imported.
INDEX_QUICK_EXAMPLE = """\
    >>> import json
        
    >>> ss = TimeSortedSet(redis.Redis(), 'json_biz', serializer=json)

    >>> ss.add({'foo': 'bar1'}, score=123)
    123

    >>> {'foo': 'bar1'} in ss
    True

    >>> ss.score({'foo': 'bar1'})
    123

    >>> ss.pop()
    {'foo': 'bar1'}
"""  # noqa: W293  (verbatim: the page has a line of spaces)

# From docs/examples.rst, "Task system" (percolate/redset 3ff8493): its three blocks,
# verbatim, run in order in one namespace.
TASK_SYSTEM_SETUP = """\
import json
from collections import namedtuple
import redset, redis
from redset.serializers import NamedtupleSerializer

Task = namedtuple('Task', 'foo,bar,priority')

task_set = redset.SortedSet(
    redis.Redis(),
    'tasks',
    scorer=lambda task: task.priority,
    serializer=NamedtupleSerializer(Task),
)
"""
TASK_SYSTEM_PRODUCE = """\
task_set.add(Task('yo', 'baz', 1))
task_set.add(Task('hey', 'roar', 0))
"""
TASK_SYSTEM_CONSUME = """\
def process_tasks():
    while True:
        for task in task_set.take(10):
            do_work_on_task(task)
        sleep(1)
"""

#: The names redset's examples use.
EXAMPLE_NAMES = ["important_json_biz", "json_biz", "tasks"]


@contextlib.contextmanager
def aliased_redset() -> Iterator[None]:
    """``import redset`` (and its submodules) gives the shim; ``sys.modules`` restored after.

    The aliasing is the recipe of ``typedset.compat.redset``'s docstring.
    """
    saved = {module: sys.modules.get(module) for module in REDSET_MODULES}
    import typedset.compat.redset as shim

    for sub in ("", ".sets", ".interfaces", ".serializers", ".exceptions"):
        sys.modules["redset" + sub] = sys.modules[shim.__name__ + sub]
    try:
        yield
    finally:
        for module, previous in saved.items():
            if previous is None:
                del sys.modules[module]
            else:
                sys.modules[module] = previous


@pytest.fixture
def redset_aliased() -> Iterator[None]:
    with aliased_redset():
        yield


@pytest.fixture
def private_redis(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``redis.Redis()`` connects to the suite's private server for the test."""
    pool = redis.ConnectionPool.from_url(server.url)
    original = redis.Redis

    class PrivateRedis(original):  # type: ignore[misc,valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(connection_pool=pool)

    monkeypatch.setattr(redis, "Redis", PrivateRedis)
    cleaner = original(connection_pool=pool)
    for example_name in EXAMPLE_NAMES:
        delete_collection(cleaner, example_name)
    yield
    for example_name in EXAMPLE_NAMES:
        delete_collection(cleaner, example_name)
    pool.disconnect()


def stated_outputs(tree: ast.Module, source: str) -> dict[int, object]:
    """The index of each expression statement followed by a ``# <Python literal>`` comment,
    with the literal.

    Only blank lines may stand between the statement and its comment; prose
    comments (``# ...some other process A``) are not literals and state nothing.
    """
    lines = source.splitlines()
    found: dict[int, object] = {}
    for index, statement in enumerate(tree.body):
        if not isinstance(statement, ast.Expr):
            continue
        end = tree.body[index + 1].lineno - 1 if index + 1 < len(tree.body) else len(lines)
        following = [line.strip() for line in lines[statement.end_lineno or 0 : end]]
        comment = next((line for line in following if line), "")
        if not comment.startswith("#"):
            continue
        try:
            found[index] = ast.literal_eval(comment[1:].strip())
        except (ValueError, SyntaxError):
            continue
    return found


@pytest.mark.usefixtures("redset_aliased", "private_redis")
def test_readme_simple_example_runs_unmodified_with_its_stated_results() -> None:
    namespace: dict[str, Any] = {}
    tree = ast.parse(README_SIMPLE_EXAMPLE)
    outputs = stated_outputs(tree, README_SIMPLE_EXAMPLE)
    assert len(outputs) == 4  # len, peek, pop, take: the parser found every stated result
    checked = 0
    for index, statement in enumerate(tree.body):
        if isinstance(statement, ast.Expr):
            code = compile(ast.Expression(statement.value), "README.rst", "eval")
            value = eval(code, namespace)
            if index in outputs:
                assert value == outputs[index], ast.unparse(statement)
                checked += 1
        else:
            exec(compile(ast.Module([statement], []), "README.rst", "exec"), namespace)
    assert checked == 4
    assert type(namespace["ss"]).__module__ == "typedset.compat.redset.sets"
    assert len(namespace["ss"]) == 0


class _SameValue(doctest.OutputChecker):
    """Outputs that are Python literals match when the values are equal.

    redset's page shows ``ss.score(...)`` as ``123``; redis-py returns ``123.0``
    (under redset too), which is the same number.
    """

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        try:
            return bool(ast.literal_eval(want.strip()) == ast.literal_eval(got.strip()))
        except (ValueError, SyntaxError):
            return False


@pytest.mark.usefixtures("redset_aliased", "private_redis")
def test_docs_quick_example_runs_unmodified_with_its_stated_outputs() -> None:
    redset = importlib.import_module("redset")  # the shim, aliased
    globs: dict[str, Any] = {"redis": redis, "TimeSortedSet": redset.TimeSortedSet}
    test = doctest.DocTestParser().get_doctest(
        textwrap.dedent(INDEX_QUICK_EXAMPLE), globs, "index.rst", "docs/index.rst", 0
    )
    assert len(test.examples) == 6
    runner = doctest.DocTestRunner(checker=_SameValue(), optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False) == doctest.TestResults(failed=0, attempted=6)


class _Stop(Exception):
    """Raised by the example's ``sleep``: its consumer loops forever."""


@pytest.mark.usefixtures("redset_aliased", "private_redis")
def test_docs_task_system_example_runs_unmodified_and_consumes_by_priority() -> None:
    namespace: dict[str, Any] = {}
    for block in (TASK_SYSTEM_SETUP, TASK_SYSTEM_PRODUCE, TASK_SYSTEM_CONSUME):
        exec(compile(block, "examples.rst", "exec"), namespace)
    done: list[object] = []
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        raise _Stop

    namespace.update(do_work_on_task=done.append, sleep=sleep)
    with pytest.raises(_Stop):
        namespace["process_tasks"]()
    task = namespace["Task"]
    assert done == [task("hey", "roar", 0), task("yo", "baz", 1)]
    assert naps == [1]
    assert len(namespace["task_set"]) == 0


def test_aliasing_gives_the_shim_and_leaves_sys_modules_as_it_found_it() -> None:
    placeholder = types.ModuleType("redset.exceptions")  # an entry that was there before
    sys.modules["redset.exceptions"] = placeholder
    try:
        with aliased_redset():
            redset = importlib.import_module("redset")
            namespace: dict[str, Any] = {}
            exec("from redset.serializers import NamedtupleSerializer as Aliased", namespace)
            assert redset.SortedSet is ShimSortedSet
            assert namespace["Aliased"] is NamedtupleSerializer
            assert sys.modules["redset.exceptions"] is not placeholder
        assert sys.modules["redset.exceptions"] is placeholder
        assert all(module not in sys.modules for module in REDSET_MODULES[:-1])
    finally:
        del sys.modules["redset.exceptions"]


# --- a redset producer and a typedset consumer share one set --------------------

#: A slow-ish pair of targets: one library standalone, the other clustered.
two_targets = pytest.mark.parametrize("target", ["redis", "valkey-cluster"], indirect=True)


def redset_add(client: redis.Redis, name: str, member: str, score: float) -> None:
    """What redset's ``add`` sends: ``ZADD name score member``, at exactly the set's name."""
    client.zadd(name, {member: score})


@two_targets
def test_redset_json_producer_and_typedset_consumers_share_one_set(
    r: redis.Redis, name: str
) -> None:
    items: list[dict[str, Any]] = [{"id": i, "tags": ["a", "b"][: i % 3]} for i in range(300)]
    start = time.time()
    for number, item in enumerate(items + items[:100]):  # 100 produced twice
        redset_add(r, name, json.dumps(item), start + number * 1e-3)
    assert r.zcard(name) == 300
    # a typedset producer of the same items writes redset's bytes: the same members
    typed_producer = typedset.SortedSet(r, name, serializer=RedsetJsonCodec())
    for item in items[:50]:
        typed_producer.add(item)
    assert len(typed_producer) == 300
    assert set(r.zrange(name, 0, -1)) == {json.dumps(item).encode() for item in items}

    consumed: list[dict[str, Any]] = []
    lock = threading.Lock()

    def consume() -> None:
        consumer = typedset.SortedSet(r, name, serializer=typedset.JsonCodec())
        while batch := consumer.take(7):
            with lock:
                consumed.extend(batch)  # type: ignore[arg-type]

    workers = [threading.Thread(target=consume) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    counts = Counter(json.dumps(item, sort_keys=True) for item in consumed)
    duplicated = [item for item, count in counts.items() if count > 1]
    lost = {json.dumps(item, sort_keys=True) for item in items} - counts.keys()
    assert duplicated == []
    assert lost == set()
    assert len(consumed) == len(items)
    assert typed_producer.dead_letters() == []
    assert r.zcard(name) == 0


def test_typedset_canonical_json_is_another_member_so_share_with_redset_json_codec(
    plain: redis.Redis, name: str
) -> None:
    item: dict[str, JsonValue] = {"b": 1, "a": 2}
    redset_add(plain, name, json.dumps(item), 1.0)
    typedset.SortedSet(plain, name, serializer=RedsetJsonCodec()).add(item)
    assert plain.zcard(name) == 1
    canonical = typedset.SortedSet(plain, name, serializer=typedset.JsonCodec())
    canonical.add(item)
    assert sorted(plain.zrange(name, 0, -1)) == [b'{"a":2,"b":1}', b'{"b": 1, "a": 2}']


class Job(NamedTuple):
    url: str
    tries: int


def test_redset_namedtuple_rows_are_read_and_deduplicated_by_the_shim(
    plain: redis.Redis, name: str
) -> None:
    jobs = [Job(f"https://example.com/{i}", i) for i in range(20)]
    for job in jobs:
        redset_add(plain, name, json.dumps(job._asdict()), job.tries)
    shim = ShimSortedSet(plain, name, serializer=NamedtupleSerializer(Job))
    for job in jobs[:5]:
        assert shim.add(job, job.tries) == job.tries
    assert len(shim) == 20
    assert shim.take(100) == jobs
    assert shim.typed.dead_letters() == []


# --- the shim's own documentation ----------------------------------------------------


def test_every_public_method_of_the_shim_is_documented_with_its_cost() -> None:
    import typedset.compat.redset as shim
    from typedset.compat.redset import interfaces, serializers

    classes = [
        shim.SortedSet,
        shim.TimeSortedSet,
        shim.ScheduledSet,
        serializers.NamedtupleSerializer,
        serializers.RedsetJsonCodec,
        interfaces.Serializer,
    ]
    checked = 0
    for cls in classes:
        assert cls.__doc__, cls
        for attribute, value in vars(cls).items():
            if attribute.startswith("_") and attribute not in {"__len__", "__contains__"}:
                continue
            if not callable(value) and not isinstance(value, property):
                continue
            doc = value.__doc__ or ""
            assert doc.strip(), f"{cls.__name__}.{attribute} has no docstring"
            assert "round trip" in doc or "No I/O" in doc, f"{cls.__name__}.{attribute}: cost?"
            checked += 1
    assert checked >= 22  # every method and property listed above
    assert "Differences from redset" in (shim.__doc__ or "")


def test_the_shims_doctests_pass() -> None:
    from typedset.compat.redset import serializers

    assert doctest.testmod(serializers) == doctest.TestResults(failed=0, attempted=1)
