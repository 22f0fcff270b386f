"""mypy --strict and basedpyright strict each report exactly the errors marked in
tests/typing/errors/, and nothing else.

A mistake is marked on its line as ``# E: <mypy code> <pyright rule>``, for
example ``# E: arg-type reportArgumentType``: both checkers must report it,
with that code and that rule, on that line, and report nothing on any other
line. A change that stops either checker from catching a mistake fails here;
so does one that makes a checker report an error the file does not mark.

basedpyright reads ``errors/pyrightconfig.json``: strict, without the rules
that only flag the test files' own style (an unused variable holding a
mistake, an unknown type that follows from one).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
ERRORS = sorted((HERE / "errors").glob("*.py"))
MARK = re.compile(r"#\s*E:\s*(?P<code>[a-z-]+)\s+(?P<rule>report\w+)\s*$")
MYPY_REPORTED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")

Expected = set[tuple[int, str]]


def marked(path: Path) -> tuple[Expected, Expected]:
    """The (line, mypy code) and (line, pyright rule) pairs a file marks."""
    codes: Expected = set()
    rules: Expected = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "# E:" in line:
            match = MARK.search(line)
            assert match, f"{path.name}:{number}: a mark is '# E: <mypy code> <pyright rule>'"
            codes.add((number, match.group("code")))
            rules.add((number, match.group("rule")))
    return codes, rules


@cache
def pyright_report() -> dict[str, Expected]:
    """basedpyright's errors over every file in errors/, one run: file name → (line, rule)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "basedpyright",
            "--project",
            str(HERE / "errors" / "pyrightconfig.json"),
            "--pythonpath",
            sys.executable,
            "--outputjson",
            *map(str, ERRORS),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    report = json.loads(result.stdout)
    found: dict[str, Expected] = {path.name: set() for path in ERRORS}
    for diagnostic in report["generalDiagnostics"]:
        if diagnostic["severity"] == "information":
            continue
        where = Path(diagnostic["file"]).name
        line = diagnostic["range"]["start"]["line"] + 1
        found.setdefault(where, set()).add((line, diagnostic.get("rule", diagnostic["message"])))
    return found


@pytest.mark.parametrize("path", ERRORS, ids=[path.stem for path in ERRORS])
def test_mypy_reports_the_marked_errors_and_no_others(path: Path) -> None:
    stdout, stderr, _ = api.run(
        [
            "--config-file",
            str(ROOT / "mypy.ini"),
            "--no-incremental",
            "--hide-error-context",
            "--no-pretty",
            "--show-error-codes",
            str(path),
        ]
    )
    reported = {
        (int(m.group("line")), m.group("code"))
        for m in (MYPY_REPORTED.match(line) for line in stdout.splitlines())
        if m
    }
    assert reported == marked(path)[0], stdout + stderr


@pytest.mark.parametrize("path", ERRORS, ids=[path.stem for path in ERRORS])
def test_basedpyright_reports_the_marked_errors_and_no_others(path: Path) -> None:
    assert pyright_report()[path.name] == marked(path)[1]


def test_every_file_marks_its_mistakes() -> None:
    for path in ERRORS:
        assert marked(path)[0], f"{path.name} marks no mistake"
    assert sum(len(marked(path)[0]) for path in ERRORS) >= 50


def test_the_readme_lists_mistakes_that_are_checked_here() -> None:
    """Each line of the README's ``type-errors`` block is a marked line of errors/readme.py."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- type-errors -->\n```py\n(.*?)```", readme, flags=re.DOTALL)
    assert block, "README has no type-errors block"
    shown = [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line]
    lines = (HERE / "errors" / "readme.py").read_text().splitlines()
    checked = [line.split("  # E:")[0].strip() for line in lines if "# E:" in line]
    assert shown == checked
