"""The code stays clean: ruff (lint and format) and mypy --strict over src, tests and
benchmarks; basedpyright strict over src and the typing tests' inference cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_strict_is_clean() -> None:
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "mypy.ini")])
    assert status == 0, stdout + stderr


def test_ruff_check_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_basedpyright_strict_is_clean() -> None:
    """basedpyright strict (``[tool.basedpyright]`` in pyproject.toml) reports nothing on src
    and tests/typing (its expected-error files are tests/typing/test_typing.py's)."""
    result = subprocess.run(
        [sys.executable, "-m", "basedpyright", "--project", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors, 0 warnings" in result.stdout, result.stdout
