"""``python -m nps``: the command line (see :mod:`nps.cli`)."""

from __future__ import annotations

import sys

from nps.cli import main

if __name__ == "__main__":
    sys.exit(main())
