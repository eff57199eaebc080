"""What a fresh clone on a new machine needs: pinned installs, no hard dependency on ../shared/data,
bounded property tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _names(requirements: Path) -> set[str]:
    """The package names a requirements file asks for (its -r includes followed)."""
    names: set[str] = set()
    for line in requirements.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= _names(requirements.parent / line[3:].strip())
        elif line:
            names.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_the_lock_pins_every_requirement_to_one_version() -> None:
    pins = _pins()
    assert _names(ROOT / "requirements-dev.txt") - set(pins) == set()
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", v) for v in pins.values())
    assert {"python-calamine", "python-stdnum", "xlsxwriter", "pip"} <= set(pins)


def test_make_installs_from_the_lock_and_reinstalls_when_it_changes() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "LOCK := constraints.txt" in makefile
    assert "-c $(LOCK)" in makefile
    assert re.search(r"^\$\(VENV\)/\.runtime: requirements\.txt \$\(LOCK\)$", makefile, re.M)
    assert re.search(r"^\$\(VENV\)/\.dev: requirements-dev\.txt \$\(VENV\)/\.runtime$", makefile, re.M)
    assert re.search(r"^lock:$", makefile, re.M)


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **env},
    )


def test_tests_of_the_shared_files_are_skipped_with_the_reason_when_the_folder_is_absent(tmp_path: Path) -> None:
    # Named directly (test_store), through a module fixture (test_cli_comments) and through a helper
    # (test_themes' _real_comments).
    done = _pytest(
        "tests/test_store.py::test_rename_find_and_delete",
        "tests/test_cli_comments.py::test_the_json_has_exactly_the_fixed_keys",
        "tests/test_themes.py::test_many_comments_are_tagged_as_one_by_one",
        PASSAPAROLA_SHARED_DATA=str(tmp_path / "missing"),
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 skipped" in done.stdout
    assert f"needs the real-world files in {tmp_path / 'missing'}, which is absent" in done.stdout
    assert "FileNotFoundError" not in done.stdout


def test_a_missing_shared_file_is_named_in_the_reason(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    done = _pytest("tests/test_store.py::test_rename_find_and_delete", PASSAPAROLA_SHARED_DATA=str(tmp_path / "shared"))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 skipped" in done.stdout
    assert "needs nps_r_package_testdata.csv in" in done.stdout


@pytest.mark.parametrize(
    ("env", "profile", "max_examples", "derandomize"),
    [
        ({"CI": "true"}, "ci", 30, True),  # the same examples on every run: CI passes or fails for a reason
        ({}, "dev", 50, False),
        ({"HYPOTHESIS_PROFILE": "thorough"}, "thorough", 500, False),
    ],
)
def test_hypothesis_profile_follows_ci(env: dict[str, str], profile: str, max_examples: int, derandomize: bool) -> None:
    code = (
        "import tests.conftest; from hypothesis import settings; "
        "print(settings.get_current_profile_name(), settings.default.max_examples, settings.default.derandomize)"
    )
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")} | env
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=environment,
                          check=True)
    assert done.stdout.split() == [profile, str(max_examples), str(derandomize)]


def test_no_property_test_sets_its_own_number_of_examples() -> None:
    # The profile bounds them all only if no test overrides it.
    offenders = [p.name for p in (ROOT / "tests").rglob("test_*.py") if "max_examples=" in p.read_text("utf-8")
                 and p.name != "test_fresh_clone.py"]
    assert offenders == []


def test_browser_tests_wait_on_content_not_on_the_clock() -> None:
    sleeps = [f"{p.name}:{n}" for p in (ROOT / "tests" / "browser").glob("*.py")
              for n, line in enumerate(p.read_text("utf-8").splitlines(), 1) if "wait_for_timeout(" in line]
    assert sleeps == []
