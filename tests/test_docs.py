"""The README says what the code does: its URL parameters, command-line options and module layout match the code.

Modelled on Datasette's ``test_docs.py``: the lists are read from the code, so a new option, parameter or
module that the README does not mention fails here, and so does a README line about one that is gone.
"""

from __future__ import annotations

import argparse
import ast
import re
from pathlib import Path

import pytest

from nps import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def _bound_keys(path: Path) -> set[str]:
    """``key=`` of every widget call with ``bind="query-params"`` in a script (f-string keys as their prefix)."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        bind = kw.get("bind")
        if not (isinstance(bind, ast.Constant) and bind.value == "query-params"):
            continue
        key = kw.get("key")
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            keys.add(key.value)
        elif isinstance(key, ast.JoinedStr) and key.values and isinstance(key.values[0], ast.Constant):
            keys.add(str(key.values[0].value) + "<column>")
        elif isinstance(key, ast.Subscript) and getattr(key.value, "id", "") == "keys":
            keys.add("f_<column>")  # the sidebar's filters: nps.query.filters.filter_keys, one per dimension
        else:
            raise AssertionError(f"{path.name}:{node.lineno}: a URL-bound widget whose key is not a literal")
    return keys


def test_every_url_parameter_is_in_the_readme() -> None:
    keys: set[str] = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "face").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]:
        keys |= _bound_keys(path)
    assert {"ds", "period", "f_<column>"} <= keys  # the reader finds them
    documented = set(re.findall(r"`([a-z_0-9<>]+)`", _section("Filters and shared links")))
    missing = sorted(k for k in keys if k not in documented)
    assert not missing, f"URL parameters the README's 'Filters and shared links' does not name: {missing}"


def _options(parser: argparse.ArgumentParser, prefix: str = "") -> set[str]:
    found: set[str] = set()
    for action in parser._actions:  # noqa: SLF001 - argparse has no public list of its options
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                found |= _options(sub, f"{prefix}{name} ")
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                found.add(option)
    return found


def test_every_command_line_option_is_in_the_readme() -> None:
    options = _options(cli.build_parser())
    assert {"--db", "--by", "--format"} <= options
    section = _section("Command line")
    missing = sorted(o for o in options if not re.search(re.escape(o) + r"(?![\w-])", section))
    assert not missing, f"options the README's 'Command line' does not mention: {missing}"


def test_every_command_is_in_the_readme() -> None:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices  # noqa: SLF001
    section = _section("Command line")
    missing = sorted(c for c in commands if f"python -m nps {c}" not in section)
    assert not missing, f"commands the README's 'Command line' does not show: {missing}"


def _layout_block() -> str:
    section = _section("How the code is laid out")
    return section[section.index("```") + 3:section.index("```", section.index("```") + 3)]


def _layout_paths() -> set[str]:
    """The files and folders of the layout tree, as paths: a line's first word, under the folders that enclose it.

    The tree is indented by folder: ``nps/`` at the margin, ``ingest/`` two spaces in, ``reader.py``
    four spaces in is ``nps/ingest/reader.py``. Words after the first are the description.
    """
    paths: set[str] = set()
    folders: list[tuple[int, str]] = []
    for line in _layout_block().splitlines():
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip(" "))
        word = line.split()[0]
        while folders and folders[-1][0] >= indent:
            folders.pop()
        path = "".join(folder for _, folder in folders) + word
        paths.add(path)
        if word.endswith("/"):
            folders.append((indent, word))
    return paths


def _modules(folder: str) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*.py")
            if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts}


@pytest.mark.parametrize("folder", ["nps", "face"])
def test_the_layout_lists_every_module_and_no_other(folder: str) -> None:
    listed = {p for p in _layout_paths() if p.startswith(folder + "/") and p.endswith(".py")}
    modules = _modules(folder)
    assert sorted(modules - listed) == [], f"modules missing from the README's layout: {sorted(modules - listed)}"
    extra = {p for p in listed if not p.endswith(("__init__.py", "__main__.py"))} - modules
    assert sorted(extra) == [], f"the README's layout names modules that do not exist: {sorted(extra)}"


def test_the_layout_names_every_data_file_of_the_library() -> None:
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "nps").rglob("*")
            if p.is_file() and p.suffix in (".toml", ".json", ".yaml", ".txt") and "__pycache__" not in p.parts}
    listed = _layout_paths()
    missing = sorted(d for d in data if d not in listed and not any(d.startswith(f) for f in listed if f.endswith("/")))
    assert missing == [], f"data files of nps/ missing from the README's layout: {missing}"


@pytest.mark.parametrize("folder", ["app.py", "pages/", "face/", "nps/", "data/", "tests/", "bench/"])
def test_the_layout_names_the_top_level(folder: str) -> None:
    assert re.search(rf"^{re.escape(folder)}", _layout_block(), re.M), folder
