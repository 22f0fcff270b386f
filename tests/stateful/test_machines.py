"""Each sorted-set kind against its in-memory model, driven by the same random operations."""

from __future__ import annotations

import pytest
from hypothesis import settings

from conftest import Server
from typedset.testing.machine import Kind, priority_stream_machine, sorted_set_machine


@pytest.mark.parametrize("twin", ["sync", "async"])
@pytest.mark.parametrize("kind", ["sorted", "time", "scheduled"])
def test_real_collection_agrees_with_its_model(server: Server, kind: Kind, twin: str) -> None:
    async_client_factory = server.async_client if twin == "async" else None
    machine = sorted_set_machine(kind, server.client, async_client_factory=async_client_factory)
    machine.TestCase.settings = settings(settings(), stateful_step_count=30)
    machine.TestCase().runTest()


@pytest.mark.parametrize("twin", ["sync", "async"])
def test_priority_stream_agrees_with_its_model(server: Server, twin: str) -> None:
    async_client_factory = server.async_client if twin == "async" else None
    machine = priority_stream_machine(server.client, async_client_factory=async_client_factory)
    machine.TestCase.settings = settings(settings(), stateful_step_count=30)
    machine.TestCase().runTest()
