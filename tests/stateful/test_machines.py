"""Each sorted-set kind against its in-memory model, driven by the same random operations."""

from __future__ import annotations

import pytest
from hypothesis import settings

from conftest import Server
from typedset.testing.machine import Kind, sorted_set_machine


@pytest.mark.parametrize("kind", ["sorted", "time", "scheduled"])
def test_real_collection_agrees_with_its_model(server: Server, kind: Kind) -> None:
    machine = sorted_set_machine(kind, server.client)
    machine.TestCase.settings = settings(settings(), stateful_step_count=30)
    machine.TestCase().runTest()
