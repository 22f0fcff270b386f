"""What the benchmarks share: interleaved rounds, wall and CPU time, progress, the report.

Each case times typedset and its hand-written raw equivalent back to back,
round after round, alternating which goes first, on the same server in the
same process. The report gives, per case, ops/s of both, the *speed-up*
(raw time / typedset time: above 1 means typedset is faster), client CPU
per operation (``time.process_time``) of both, and the target. Progress
goes to stderr while the rounds run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from typedset.testing import PrivateServer

__all__ = ["Case", "Result", "main_with", "measure", "report"]


@dataclass
class Case:
    """One benchmark: ``ops`` operations per run, a set-up and a body for each side.

    A body takes the run's context (whatever ``setup`` returned) and does
    the operations; an async body is awaited on one event loop.
    """

    name: str
    ops: int
    setup: Callable[[], Any]
    typedset: Callable[[Any], Any]
    raw: Callable[[Any], Any]
    #: The speed-up the case should reach (raw time / typedset time).
    target: float = 1.0


@dataclass
class Result:
    name: str
    ops: int
    target: float
    wall: dict[str, float] = field(default_factory=dict)  # median seconds per run
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def speedup(self) -> float:
        return self.wall["raw"] / self.wall["typedset"]

    @property
    def cpu_ratio(self) -> float:
        return self.cpu["raw"] / self.cpu["typedset"]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _timed(
    body: Callable[[Any], Any], context: Any, loop: asyncio.AbstractEventLoop
) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    outcome = body(context)
    if isinstance(outcome, Awaitable):
        loop.run_until_complete(_awaited(outcome))
    return time.perf_counter() - wall, time.process_time() - cpu


async def _awaited(outcome: Awaitable[Any]) -> None:
    await outcome


def measure(cases: list[Case], rounds: int, loop: asyncio.AbstractEventLoop) -> list[Result]:
    """Run every case for ``rounds`` interleaved rounds (after one untimed warm-up per side)."""
    results = []
    for case in cases:
        sides = {"typedset": case.typedset, "raw": case.raw}
        for body in sides.values():  # warm-up: connections, scripts
            _timed(body, _setup(case, loop), loop)
        walls: dict[str, list[float]] = {side: [] for side in sides}
        cpus: dict[str, list[float]] = {side: [] for side in sides}
        for round_ in range(rounds):
            order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
            for side in order:
                wall, cpu = _timed(sides[side], _setup(case, loop), loop)
                walls[side].append(wall)
                cpus[side].append(cpu)
            _progress(
                f"  {case.name}: round {round_ + 1}/{rounds}: "
                f"typedset {case.ops / walls['typedset'][-1]:,.0f} ops/s, "
                f"raw {case.ops / walls['raw'][-1]:,.0f} ops/s"
            )
        result = Result(case.name, case.ops, case.target)
        for side in sides:
            result.wall[side] = statistics.median(walls[side])
            result.cpu[side] = statistics.median(cpus[side])
        results.append(result)
    return results


def _setup(case: Case, loop: asyncio.AbstractEventLoop) -> Any:
    context = case.setup()
    if isinstance(context, Awaitable):
        return loop.run_until_complete(_result(context))
    return context


async def _result(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def report(results: list[Result]) -> None:
    header = (
        f"{'case':<32}{'typedset ops/s':>15}{'raw ops/s':>12}{'speed-up':>10}"
        f"{'CPU/op ts':>11}{'CPU/op raw':>12}{'CPU ratio':>11}{'target':>8}"
    )
    print(header)
    for r in results:
        flag = "" if r.speedup >= r.target else "  below target"
        print(
            f"{r.name:<32}{r.ops / r.wall['typedset']:>15,.0f}{r.ops / r.wall['raw']:>12,.0f}"
            f"{r.speedup:>9.2f}x{r.cpu['typedset'] / r.ops * 1e6:>9.1f}us"
            f"{r.cpu['raw'] / r.ops * 1e6:>10.1f}us{r.cpu_ratio:>10.2f}x{r.target:>7.1f}x{flag}"
        )
    print(
        "speed-up = raw time / typedset time, CPU ratio = raw CPU / typedset CPU "
        "(medians of the rounds; above 1 means typedset is faster)"
    )


def main_with(
    doc: str | None, cases: Callable[[str], list[Case]], cleanup: Callable[[str], Any]
) -> None:
    """Parse ``--url`` and ``--rounds``, run ``cases(url)`` and print the report."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="benchmark this server instead of a private one")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    loop = asyncio.new_event_loop()
    try:
        if args.url:
            _run(args.url, args.rounds, cases, cleanup, loop)
            return
        with PrivateServer() as server:
            _progress(f"server: {server.binary} ({server.url})")
            _run(server.url, args.rounds, cases, cleanup, loop)
    finally:
        loop.close()


def _run(
    url: str,
    rounds: int,
    cases: Callable[[str], list[Case]],
    cleanup: Callable[[str], Any],
    loop: asyncio.AbstractEventLoop,
) -> None:
    try:
        report(measure(cases(url), rounds, loop))
    finally:
        done = cleanup(url)
        if isinstance(done, Awaitable):
            loop.run_until_complete(_awaited(done))
