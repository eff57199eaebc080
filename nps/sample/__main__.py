"""``python -m nps.sample DIR``: write the sample files (see :func:`nps.sample.main`)."""

from __future__ import annotations

import sys

from nps.sample import main

sys.exit(main())
