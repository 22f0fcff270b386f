"""Each collection kind against its in-memory model, driven by the same random operations.

The machines run on both client libraries, on both RESP versions, with and
without ``decode_responses``, and on a cluster: whatever the client, the
results must be the model's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from conftest import Target
from typedset.testing.machine import Kind, priority_stream_machine, sorted_set_machine

#: (target, client settings): each library, both protocols, decoding clients, and each
#: library on a 3-master cluster.
CONFIGS = {
    "redis-resp3": ("redis", {"protocol": 3}),
    "valkey-resp2": ("valkey", {"protocol": 2}),
    "redis-resp2-decoding": ("redis", {"protocol": 2, "decode_responses": True}),
    "valkey-resp3-decoding": ("valkey", {"protocol": 3, "decode_responses": True}),
    "valkey-cluster": ("valkey-cluster", {}),
    "redis-cluster": ("redis-cluster", {"protocol": 3}),
}


@pytest.fixture(params=list(CONFIGS))
def factories(
    request: pytest.FixtureRequest,
) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Blocking and asyncio client factories for one library and setting."""
    target_id, extra = CONFIGS[request.param]
    target: Target = request.getfixturevalue("target_for")(target_id)
    return (lambda: target.client(**extra)), (lambda: target.async_client(**extra))


def _run(machine: Any) -> None:
    machine.TestCase.settings = settings(settings(), stateful_step_count=30)
    machine.TestCase().runTest()


@pytest.mark.parametrize("twin", ["sync", "async"])
@pytest.mark.parametrize("kind", ["sorted", "time", "scheduled"])
def test_real_collection_agrees_with_its_model(
    factories: tuple[Callable[[], Any], Callable[[], Any]], kind: Kind, twin: str
) -> None:
    blocking, asyncio = factories
    _run(
        sorted_set_machine(
            kind, blocking, async_client_factory=asyncio if twin == "async" else None
        )
    )


@pytest.mark.parametrize("twin", ["sync", "async"])
def test_priority_stream_agrees_with_its_model(
    factories: tuple[Callable[[], Any], Callable[[], Any]], twin: str
) -> None:
    blocking, asyncio = factories
    _run(
        priority_stream_machine(blocking, async_client_factory=asyncio if twin == "async" else None)
    )
