"""The docs site builds with ``mkdocs build --strict``, and every example on it runs.

Every ```` ```python ```` block of every page in ``mkdocs.yml``'s nav runs, in nav order and
page order, each page in a namespace of its own; each block starts its own private server
(``with PrivateServer() as server: r = server.client()``), so a page proves its examples as
written. Other fences (``sh``, ``text``) are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def pages() -> list[str]:
    """The pages of ``mkdocs.yml``'s nav (its last section), in order."""
    nav = (ROOT / "mkdocs.yml").read_text().split("\nnav:\n", 1)[1]
    return re.findall(r"^\s*- (?:[^:\n]+: )?(\S+\.md)$", nav, flags=re.MULTILINE)


def python_blocks(page: str) -> list[str]:
    text = (DOCS / page).read_text()
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def test_every_page_is_in_the_nav_and_the_site_has_examples() -> None:
    on_disk = {str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")}
    assert on_disk == set(pages()), "a page missing from the nav, or a nav entry with no page"
    assert sum(len(python_blocks(page)) for page in pages()) >= 15
    # Python goes in ```python fences (run); only shell and text fences are left out.
    for page in pages():
        fences = re.findall(r"^```(\S*)$", (DOCS / page).read_text(), flags=re.MULTILINE)
        assert set(fences[0::2]) <= {"python", "sh", "text"}, (page, fences[0::2])


def test_the_site_builds_strict(tmp_path: Path) -> None:
    # Material's warning about MkDocs 2.0 is noise here; --strict turns real warnings to errors.
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "index.html").is_file()
    # The API reference is generated from the docstrings: the classes are on it.
    reference = (tmp_path / "api" / "typedset" / "index.html").read_text()
    assert 'id="typedset.SortedSet.claim"' in reference
    assert (
        'id="typedset.aio.AsyncSortedSet.claim"'
        in (tmp_path / "api" / "aio" / "index.html").read_text()
    )
    # mkdocs_hooks.py turns the docstrings' Sphinx roles into plain code: none shows raw.
    for page in (tmp_path / "api").rglob("*.html"):
        assert not re.search(r":\w+:<code>", page.read_text()), page


@pytest.mark.parametrize("page", pages())
def test_every_example_on_the_page_runs_as_written(page: str) -> None:
    modules = set(sys.modules)
    namespace: dict[str, object] = {"__name__": f"docs.{page}"}
    try:
        for number, block in enumerate(python_blocks(page), 1):
            exec(compile(block, f"docs/{page} (python block {number})", "exec"), namespace)
    finally:
        # A page may alias modules (the redset migration does): leave none behind.
        for name in set(sys.modules) - modules:
            if name.startswith("redset"):
                del sys.modules[name]


def test_the_retry_table_matches_the_code() -> None:
    """The I/O page's table of retry classes lists exactly the operations the core names."""
    from typedset._ops import RESENDABLE, WRITES

    rows = (DOCS / "io.md").read_text().splitlines()

    def operations(start: str) -> set[str]:
        row = next(line for line in rows if line.startswith(start))
        return set(re.findall(r"`(\w+)`", row.split("|")[1]))

    assert operations("| Reads:") == RESENDABLE
    assert operations("| Writes:") == WRITES


def test_the_guarantees_page_cites_tests_that_exist() -> None:
    """Each ``tests/...py::name`` (or ``::name``, in the file named before it) is a test there."""
    text = (DOCS / "guarantees.md").read_text()
    cited = re.findall(r"`(tests/[\w/]+\.py)?::(\w+)`", text)
    assert len(cited) >= 20
    path = ""
    for file, name in cited:
        path = file or path
        assert re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(), re.MULTILINE), (
            f"{path}::{name} is cited but not defined"
        )


def test_the_cookbooks_acl_rule_grants_the_readmes_commands() -> None:
    """tests/behaviour/test_acl.py checks the README's rule; the cookbook's grants the same."""
    readme = (ROOT / "README.md").read_text()
    [rule] = re.findall(r"^ACL SETUSER worker .*$", readme, flags=re.MULTILINE)
    cookbook = (DOCS / "cookbook.md").read_text()
    start = cookbook.index("RULE = (")
    block = cookbook[start : cookbook.index("with PrivateServer", start)]
    assert "+zadd" in block
    assert set(re.findall(r"\+[\w|]+", block)) == set(re.findall(r"\+[\w|]+", rule))
