"""``python -m typedset``: see :mod:`typedset.cli`."""

import sys

from .cli import main

sys.exit(main())
