"""mkdocs hook: show the docstrings' Sphinx cross-reference roles as plain code.

The docstrings in ``src/`` are written for ``help()`` and Sphinx-style readers
(``:class:`SortedSet```, ``:meth:`~PrivateCluster.failover```); rendered as Markdown,
the role prefix would show as text before the code. This drops it and, as Sphinx
does for ``~``, keeps only the last dotted part.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(
    r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const):<code>(~?)([^<]*)</code>"
)


def _plain(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub(_plain, html)
