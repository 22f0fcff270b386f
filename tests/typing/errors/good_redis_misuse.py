"""Wrong arguments to the good-redis shim, and results used as the wrong type, are type errors."""

from __future__ import annotations

from typedset.compat.good_redis import AsyncRedis, Redis


async def misuse(r: Redis, ar: AsyncRedis) -> None:
    r.psadd("q", "k", None)  # E: arg-type reportArgumentType
    r.psadd("q", ["k"], "v")  # E: arg-type reportArgumentType
    r.psaddmany("q", [("k", "v")])  # E: list-item reportArgumentType
    r.pspull("q", expire_at=60)  # E: arg-type reportArgumentType
    r.pskeys("q", byscore=True)  # E: call-overload reportCallIssue
    value: str = r.pspull("q")["k"]  # E: assignment reportAssignmentType
    first: bytes = r.psget("q", "k")  # E: assignment reportAssignmentType
    pair: bytes = r.pskeys("q", withscores=True)[0]  # E: assignment reportAssignmentType
    r.psincrement("q", "k", 1) + 1  # E: operator reportOptionalOperand
    r.psdelete()  # E: call-arg reportCallIssue
    ar.pslen("q") + 1  # E: operator reportOperatorIssue
