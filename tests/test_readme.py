"""The README's code runs as written, and CI runs the README's own test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def marked_command(marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\n```sh\n(.*?)\n```", README)
    assert match, f"README has no {marker} block"
    return match.group(1)


def test_quick_start_runs_as_written() -> None:
    code = blocks("python")
    assert code, "README has no python blocks"
    namespace: dict[str, object] = {"__name__": "readme"}
    for block in code:
        exec(compile(block, "README.md", "exec"), namespace)


def test_readme_gives_exactly_two_setup_commands() -> None:
    demo = marked_command("demo-command")
    tests = marked_command("test-command")
    assert "python -m typedset demo" in demo
    assert "pytest" in tests
    assert README.count("<!-- demo-command -->") == README.count("<!-- test-command -->") == 1


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "test-command" in ci


def _operations(row_start: str) -> set[str]:
    row = next(line.strip() for line in README.splitlines() if line.strip().startswith(row_start))
    cell = row.split("|")[1]
    return set(re.findall(r"`(\w+)`", cell))


def test_the_retry_table_matches_the_code() -> None:
    """The README's table of retry classes lists exactly the operations the core names."""
    from typedset._ops import RESENDABLE, WRITES

    assert _operations("| Reads:") == RESENDABLE
    assert _operations("| Writes:") == WRITES
    assert not RESENDABLE & WRITES
