"""No public signature mentions ``Any``: a user's checker sees a real type everywhere.

The walk reads the source the checkers read (overloads under ``if
TYPE_CHECKING:`` included) for every public name of the public modules: each
public function, each public method and attribute of each public class and of
the typedset classes it inherits from, and each public type alias. Where a
function has ``@overload`` variants, those are its public signatures and the
implementation behind them is not (it is never seen by a caller's checker).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from collections.abc import Iterator
from types import ModuleType

import pytest

PUBLIC_MODULES = [
    "typedset",
    "typedset.aio",
    "typedset.codecs",
    "typedset.errors",
    "typedset.protocols",
    "typedset.testing",
]


def mentions_any(node: ast.AST | None) -> bool:
    """Whether an annotation names ``Any`` (``Any``, ``typing.Any`` or inside a string)."""
    if node is None:
        return False
    for part in ast.walk(node):
        if isinstance(part, ast.Name) and part.id == "Any":
            return True
        if isinstance(part, ast.Attribute) and part.attr == "Any":
            return True
        if (
            isinstance(part, ast.Constant)
            and isinstance(part.value, str)
            and mentions_any(ast.parse(part.value, mode="eval"))
        ):
            return True
    return False


def is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def is_overload(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "overload")
        or (isinstance(d, ast.Attribute) and d.attr == "overload")
        for d in node.decorator_list
    )


def flatten(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements of a body, with the branches of ``if`` blocks (``TYPE_CHECKING``) inlined."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from flatten(statement.body)
            yield from flatten(statement.orelse)
        else:
            yield statement


def signature_annotations(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    arguments = node.args
    for argument in [
        *arguments.posonlyargs,
        *arguments.args,
        *arguments.kwonlyargs,
        *filter(None, [arguments.vararg, arguments.kwarg]),
    ]:
        if argument.annotation is not None:
            yield argument.annotation
    if node.returns is not None:
        yield node.returns


def offenders_in(
    where: str, body: list[ast.stmt], checked: set[str] | None = None
) -> Iterator[str]:
    """The public signatures and attributes of a class or module body that mention Any.

    ``checked`` collects the names of the functions looked at.
    """
    functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for statement in flatten(body):
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.setdefault(statement.name, []).append(statement)
        elif (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and is_public(statement.target.id)
            and mentions_any(statement.annotation)
        ):
            yield f"{where}.{statement.target.id}"
    for name, variants in functions.items():
        if not is_public(name):
            continue
        if checked is not None:
            checked.add(f"{where}.{name}")
        overloads = [v for v in variants if is_overload(v)]
        for variant in overloads or variants:
            if any(mentions_any(a) for a in signature_annotations(variant)):
                yield f"{where}.{name} (line {variant.lineno})"
        for variant in variants:  # attributes set in methods: ``self.type: X = ...``
            for node in ast.walk(variant):
                if (
                    isinstance(node, ast.AnnAssign)
                    and isinstance(node.target, ast.Attribute)
                    and is_public(node.target.attr)
                    and mentions_any(node.annotation)
                ):
                    yield f"{where}.{node.target.attr}"


def class_body(cls: type) -> list[ast.stmt]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    definition = tree.body[0]
    assert isinstance(definition, ast.ClassDef), cls
    return definition.body


def module_assignment(module: ModuleType, name: str) -> ast.stmt | None:
    for statement in flatten(ast.parse(inspect.getsource(module)).body):
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return statement
    return None


def public_objects() -> Iterator[tuple[str, ModuleType, object]]:
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            yield f"{module_name}.{name}", module, getattr(module, name)


def offenders(checked: set[str]) -> list[str]:
    found: list[str] = []
    seen: set[type] = set()
    for where, module, obj in public_objects():
        if inspect.isclass(obj):
            for cls in obj.__mro__:
                if cls in seen or not cls.__module__.startswith("typedset"):
                    continue
                seen.add(cls)
                where = f"{cls.__module__}.{cls.__qualname__}"
                found.extend(offenders_in(where, class_body(cls), checked))
        elif inspect.isfunction(obj):
            tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
            found.extend(offenders_in(where, tree.body, checked))
        else:  # a type alias or constant: its defining assignment
            home = importlib.import_module(getattr(obj, "__module__", module.__name__))
            statement = module_assignment(home, where.rsplit(".", 1)[1]) or module_assignment(
                module, where.rsplit(".", 1)[1]
            )
            if statement is not None and mentions_any(statement):
                found.append(where)
    return sorted(set(found))


def test_no_public_signature_mentions_any() -> None:
    checked: set[str] = set()
    assert offenders(checked) == []
    for name in [  # the walk reaches overloads, inherited methods, codecs, models and functions
        "typedset.sorted_set.SortedSet.__init__",
        "typedset.sorted_set._SetBase.__init__",
        "typedset._base.Collection.serializer",
        "typedset.sorted_set.SortedSet.pop",
        "typedset.sorted_set.AsyncSortedSet.claim",
        "typedset.priority_stream.PriorityStream.get",
        "typedset.codecs.MsgspecCodec.__init__",
        "typedset.testing.model.MemorySortedSet.__init__",
        "typedset.testing.find_server_binary.find_server_binary",
        "typedset.protocols.Serializer.dumps",
    ]:
        assert name in checked, name


@pytest.mark.parametrize(
    "source",
    [
        "def f(x: Any) -> None: ...",
        "def f(x: 'list[Any]') -> None: ...",
        "def f() -> typing.Any: ...",
        "x: dict[str, Any]",
        "def f(self) -> None:\n    self.y: Any = 1",
    ],
)
def test_the_walk_finds_any(source: str) -> None:
    """The walk is not vacuous: each of these is reported."""
    assert list(offenders_in("m", ast.parse(source).body))


def test_an_overload_implementation_is_not_a_public_signature() -> None:
    source = textwrap.dedent(
        """
        @overload
        def f(x: int) -> int: ...
        @overload
        def f(x: str) -> str: ...
        def f(x: Any) -> Any: ...
        """
    )
    assert list(offenders_in("m", ast.parse(source).body)) == []
