"""ExpiringSet and its async twin against the in-memory model, driven by the same random operations.

On one library per protocol and topology: what the machine checks is the
scripts' logic and the model's, which the client only carries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from conftest import Target
from typedset.testing.expiring_machine import expiring_set_machine

#: (target, client settings)
CONFIGS = {
    "redis-resp3": ("redis", {"protocol": 3}),
    "valkey-cluster-resp2-decoding": ("valkey-cluster", {"protocol": 2, "decode_responses": True}),
}


@pytest.fixture(params=list(CONFIGS))
def factories(request: pytest.FixtureRequest) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """Blocking and asyncio client factories for one library and setting."""
    target_id, extra = CONFIGS[request.param]
    target: Target = request.getfixturevalue("target_for")(target_id)
    return (lambda: target.client(**extra)), (lambda: target.async_client(**extra))


@pytest.mark.parametrize("twin", ["sync", "async"])
def test_expiring_set_agrees_with_its_model(
    factories: tuple[Callable[[], Any], Callable[[], Any]], twin: str
) -> None:
    blocking, asyncio = factories
    machine = expiring_set_machine(
        blocking, async_client_factory=asyncio if twin == "async" else None
    )
    machine.TestCase.settings = settings(settings(), stateful_step_count=30)
    machine.TestCase().runTest()
