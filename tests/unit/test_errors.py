"""The exceptions' messages, built with no server."""

from __future__ import annotations

import pytest

from typedset.errors import NameClashError


@pytest.mark.parametrize(
    ("found", "wanted", "expected"),
    [
        ("sorted set", "expiring set", "is already a sorted set on this server"),
        ("expiring set", "sorted set", "is already an expiring set on this server"),
        ("priority stream", "expiring set", "; an expiring set cannot share its keys"),
        ("expiring set", "priority stream", "; a priority stream cannot share its keys"),
    ],
)
def test_name_clash_says_a_or_an_by_the_kinds_first_letter(
    found: str, wanted: str, expected: str
) -> None:
    error = NameClashError("jobs", found, wanted)
    assert expected in str(error)
    assert " a expiring" not in str(error)
    assert (error.name, error.found, error.wanted) == ("jobs", found, wanted)
