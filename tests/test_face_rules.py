"""House rules of the Streamlit side: the router stays short, pages only draw, the engine never imports the face."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "pages").glob("*.py"))
FACE = sorted((ROOT / "face").glob("*.py"))


def _imports(path: Path) -> set[str]:
    """The modules ``path`` imports, at any depth (``a.b`` for ``from a import b`` too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _calls(path: Path) -> set[str]:
    """The names of the functions and methods ``path`` calls (``cursor`` for ``app.cursor()`` and ``cursor()``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_import_the_face_not_the_router(path: Path) -> None:
    imports = _imports(path)
    assert not [m for m in imports if m.split(".")[0] == "app"], f"{path.name} imports app: import face instead"
    assert "face" in {m.split(".")[0] for m in imports}, f"{path.name} does not use face"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_hold_no_cursor_and_compute_nothing(path: Path) -> None:
    calls = _calls(path)
    for forbidden in ("cursor", "execute", "groupby"):
        assert forbidden not in calls, f"{path.name} calls {forbidden}(): call the engine through face.cached or face.records"
    source = path.read_text(encoding="utf-8")
    for text in ("cursor(", ".execute(", "groupby("):
        assert text not in source, f"{path.name} contains {text!r}"


def test_the_router_is_short() -> None:
    lines = (ROOT / "app.py").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 100, f"app.py has {len(lines)} lines: it routes; the rest belongs in face/"


def test_no_nps_module_imports_the_face() -> None:
    for path in sorted((ROOT / "nps").rglob("*.py")):
        wrong = sorted(m for m in _imports(path) if m.split(".")[0] in ("face", "app", "pages", "streamlit"))
        assert wrong == [], f"{path.relative_to(ROOT)} imports {wrong}"


@pytest.mark.parametrize("path", [ROOT / "app.py", *FACE, *PAGES], ids=lambda p: p.name)
def test_every_module_of_the_face_has_future_annotations_and_a_docstring(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    assert "__future__.annotations" in _imports(path), f"{path.name} lacks `from __future__ import annotations`"
    if path.parent.name == "face":
        bare = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
                and not ast.get_docstring(n)]
        assert bare == [], f"{path.name}: public functions without a docstring: {bare}"


def test_every_cached_read_is_cleared_by_clear_caches() -> None:
    import face.cached as cached

    tree = ast.parse((ROOT / "face" / "cached.py").read_text(encoding="utf-8"))
    decorated = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)
                 and any(getattr(d, "id", None) == "_cached" for d in n.decorator_list)]
    assert decorated and sorted(decorated) == sorted(f.__name__ for f in cached._ALL)
