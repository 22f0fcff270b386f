"""mypy --strict reports exactly the errors marked ``# E: <code>`` in tests/typing/errors/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
ERRORS = sorted((Path(__file__).parent / "errors").glob("*.py"))
MARK = re.compile(r"#\s*E:\s*([a-z-]+)")
REPORTED = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def expected_errors(path: Path) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = MARK.search(line)
        if match:
            found.add((number, match.group(1)))
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
        for m in (REPORTED.match(line) for line in stdout.splitlines())
        if m
    }
    assert reported == expected_errors(path), stdout + stderr


def test_there_are_at_least_five_expected_errors() -> None:
    assert sum(len(expected_errors(path)) for path in ERRORS) >= 5
