"""The library's house rules, checked: no Streamlit in nps/, SQL only through nps/sql.py, docstrings."""

from __future__ import annotations

import ast
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
