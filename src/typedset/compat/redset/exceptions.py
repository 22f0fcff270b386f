"""``redset.exceptions``: redset's exception, kept so that code catching it imports."""

from __future__ import annotations

__all__ = ["LockTimeout"]


class LockTimeout(Exception):
    """redset's "waited too long on a set lock"; never raised here.

    The shim takes no lock: every operation that reads then writes is one
    atomic script on the server, so there is nothing to wait for.
    """
