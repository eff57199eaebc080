"""The command line's start-up: what importing it costs, and that lazy imports change no answer."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nps.cli import _plain

ROOT = Path(__file__).resolve().parent.parent


def test_importing_the_command_line_leaves_pandas_out() -> None:
    # pandas is ~0.9 s of a 1.4 s start; `summary` imports it in the background while the file loads.
    code = "import sys, nps.cli; print(sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_loading_a_file_does_not_need_pandas_until_the_preview() -> None:
    code = "import sys, nps.ingest, nps.sql, nps.store; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (pd.Timestamp("2025-03-01"), "2025-03-01"),
        (pd.Timestamp("2025-03-01 10:30"), "2025-03-01T10:30:00"),
        (pd.Timestamp("2025-03-01 00:00:00.000000001"), "2025-03-01T00:00:00.000000001"),
        (dt.datetime(2025, 3, 1), "2025-03-01"),
        (dt.datetime(2025, 3, 1, 0, 0, 1), "2025-03-01T00:00:01"),
        (dt.date(2025, 3, 1), "2025-03-01"),
        (np.int64(7), 7),
        (np.float64("nan"), None),
        (None, None),
    ],
)
def test_plain_values_for_json(value: object, expected: object) -> None:
    assert _plain(value) == expected
