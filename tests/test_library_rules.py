"""The library's house rules, checked: no Streamlit in nps/, SQL only through nps/sql.py, docstrings."""

from __future__ import annotations

import ast
import re
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

NPS_DIR = Path(__file__).resolve().parent.parent / "nps"
MODULES = sorted(p for p in NPS_DIR.glob("*.py") if p.name != "__main__.py")


def test_importing_nps_leaves_streamlit_out() -> None:
    code = (
        "import sys, importlib, pkgutil, nps\n"
        "for m in pkgutil.iter_modules(nps.__path__):\n"
        "    importlib.import_module('nps.' + m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_only_the_sql_module_executes_statements(path: Path) -> None:
    if path.name == "sql.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"execute", "executemany", "sql", "query"}
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "sql")
    ]
    assert calls == [], f"{path.name} runs SQL outside nps/sql.py at lines {calls}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_public_functions_have_docstrings_and_annotations(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert "from __future__ import annotations" in path.read_text(encoding="utf-8")
    missing = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                missing.append(node.name)
            if isinstance(node, ast.FunctionDef) and node.returns is None:
                missing.append(f"{node.name} (return annotation)")
    assert missing == [], f"{path.name}: {missing}"


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """The string literals of a module but its docstrings, f-strings with ``{}`` for each placeholder."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }
    found: list[tuple[int, str]] = []
    inside_fstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstrings.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else "{}")
            found.append((node.lineno, "".join(str(p) for p in parts)))
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                and id(node) not in inside_fstrings):
            found.append((node.lineno, node.value))
    return found


# DDL that names its table literally (a shared table), not through a placeholder (a per-dataset table).
_SHARED_DDL = re.compile(r"\b(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?(TABLE|SEQUENCE|INDEX|VIEW|UNIQUE\s+INDEX)\s+"
                         r"(IF\s+(NOT\s+)?EXISTS\s+)?(?!IF\s)[A-Za-z_\"]")
_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END\s+TRANSACTION)\b", re.I)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_the_shared_schema_lives_in_the_store_and_transactions_in_store_transaction(path: Path) -> None:
    # The tables every dataset shares are made and changed only by nps/store.py's ordered migrations;
    # other modules make only per-dataset tables (their names built from the dataset's id: a placeholder).
    # BEGIN / COMMIT / ROLLBACK are written once, in store.transaction().
    if path.name == "store.py":
        return
    strings = _strings(ast.parse(path.read_text(encoding="utf-8")))
    ddl = [line for line, text in strings if _SHARED_DDL.search(text)]
    assert ddl == [], f"{path.name} creates or alters a shared table at lines {ddl}: make it a migration in nps/store.py"
    control = [line for line, text in strings if _TRANSACTION_CONTROL.match(text)]
    assert control == [], f"{path.name} controls a transaction at lines {control}: use `with store.transaction(cur)`"
