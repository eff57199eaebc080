"""The library's house rules, checked: no Streamlit in nps/, SQL only through nps/store/sql.py, docstrings."""

from __future__ import annotations

import ast
import re
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NPS_DIR = ROOT / "nps"
MODULES = sorted(p for p in NPS_DIR.rglob("*.py") if p.name != "__main__.py")


def _name(path: Path) -> str:
    """``nps/store/sql.py`` → ``store/sql.py`` (the test ids and messages)."""
    return path.relative_to(NPS_DIR).as_posix()


def test_importing_nps_leaves_streamlit_out() -> None:
    code = (
        "import sys, importlib, pkgutil, nps\n"
        "for m in pkgutil.walk_packages(nps.__path__, 'nps.'):\n"
        "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_only_the_sql_module_executes_statements(path: Path) -> None:
    if _name(path) == "store/sql.py":
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
    assert calls == [], f"{path.name} runs SQL outside nps/store/sql.py at lines {calls}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
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
    assert missing == [], f"{_name(path)}: {missing}"


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


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_the_shared_schema_lives_in_the_store_and_transactions_in_store_transaction(path: Path) -> None:
    # The tables every dataset shares are made and changed only by nps/store/__init__.py's ordered migrations;
    # other modules make only per-dataset tables (their names built from the dataset's id: a placeholder).
    # BEGIN / COMMIT / ROLLBACK are written once, in store.transaction().
    if _name(path).startswith("store/"):
        return
    strings = _strings(ast.parse(path.read_text(encoding="utf-8")))
    ddl = [line for line, text in strings if _SHARED_DDL.search(text)]
    assert ddl == [], f"{path.name} creates or alters a shared table at lines {ddl}: make it a migration in nps/store/__init__.py"
    control = [line for line, text in strings if _TRANSACTION_CONTROL.match(text)]
    assert control == [], f"{_name(path)} controls a transaction at lines {control}: use `with store.transaction(cur)`"


# SQL text: a statement's opening words, as a module would write them in a string.
_SQL_TEXT = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bINSERT\s+INTO\b|\bDELETE\s+FROM\b|\bUPDATE\s+[\w\"{}]+\s+SET\b|"
    r"\b(CREATE|ALTER|DROP)\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?(TABLE|VIEW|SEQUENCE|INDEX)\b|"
    r"\bCOPY\s+[\s\S]*\bTO\s*[?'\"]|\bread_(csv|parquet|json)\w*\s*\(")
SQL_PACKAGES = ("store/", "query/", "ingest/")


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_sql_is_written_only_in_the_store_the_queries_and_the_load(path: Path) -> None:
    # One place for SQL: a newcomer looking for a statement looks in nps/store (schema, catalog, writes),
    # nps/query (every read of responses) or nps/ingest (the load). Everything else calls their functions.
    if _name(path).startswith(SQL_PACKAGES):
        return
    strings = _strings(ast.parse(path.read_text(encoding="utf-8")))
    found = [line for line, text in strings if _SQL_TEXT.search(text)]
    assert found == [], f"{_name(path)} writes SQL at lines {found}: move it to nps/store, nps/query or nps/ingest"


def _project_imports(path: Path) -> set[str]:
    """The project modules ``path`` imports (``nps.x.y``, ``face``, ``app``), at any depth of the module."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(n for n in names if n.split(".")[0] in ("nps", "face", "app", "pages"))
    return found


# Each part of the library and what it may import of the project (besides itself). Read from the bottom:
# the vocabulary, formatting and errors import nothing; statistics and text processing are pure;
# the store knows no reader of it; the load writes through the store; the queries read through it.
LAYERS: dict[str, tuple[str, ...]] = {
    "domain": (), "format": (), "errors": (), "control_chars": (),
    "stats": ("domain", "errors"),
    "text": ("domain", "errors", "format"),
    # nps.store.reviews keeps a review's cadence as nps.reviews.cadence.Cadence (pure; checked below).
    "store": ("domain", "errors", "format", "text", "stats", "reviews"),
    "ingest": ("domain", "errors", "format", "control_chars", "store", "text"),
    # nps.caveats holds the caveats' pure rules (it imports only stats); nps.query.caveats reads the data for them.
    "caveats": ("domain", "errors", "stats"),
    "query": ("domain", "errors", "format", "store", "stats", "text", "caveats"),
    "charts": ("domain", "errors", "format", "control_chars"),
}


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_the_layers_import_downwards_only(path: Path) -> None:
    part = path.relative_to(NPS_DIR).parts[0].removesuffix(".py")
    imports = _project_imports(path)
    outside = sorted(m for m in imports if m.split(".")[0] != "nps")
    assert outside == [], f"{_name(path)} imports {outside}: the library never imports the app"
    if part not in LAYERS:
        return  # the top: cli, export, narrative, sample may use every part
    allowed = {part, *LAYERS[part]}
    wrong = sorted(m for m in imports if len(m.split(".")) > 1 and m.split(".")[1] not in allowed)
    assert wrong == [], f"{_name(path)} ({part}) imports {wrong}; it may import only {sorted(allowed)}"


def test_what_the_store_imports_of_the_reviews_is_pure() -> None:
    # The store may import the review cadence (nps/store/reviews.py): it and the package's __init__ import nothing
    # of the project but the pure working calendar, so the store still knows none of its readers.
    for path in (NPS_DIR / "reviews" / "__init__.py", NPS_DIR / "reviews" / "cadence.py"):
        imports = {m for m in _project_imports(path) if len(m.split(".")) > 1}
        assert imports <= {"nps.reviews", "nps.reviews.cadence", "nps.followup", "nps.followup.deadlines",
                           "nps.followup.deadlines.WorkCalendar"} | {m for m in imports if m.startswith("nps.reviews.")}, \
            f"{_name(path)} imports {sorted(imports)}"
    store_imports = {m for p in (NPS_DIR / "store").glob("*.py") for m in _project_imports(p)
                     if m.startswith("nps.reviews")}
    assert {m.rsplit(".", 1)[0] if m.count(".") > 2 else m for m in store_imports} <= {"nps.reviews.cadence"}, store_imports


def test_charts_never_get_a_connection() -> None:
    for path in (NPS_DIR / "charts").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "duckdb" not in _project_imports(path) and "import duckdb" not in source, _name(path)


@pytest.mark.parametrize("package", sorted(p.parent.name for p in NPS_DIR.glob("*/__init__.py")))
def test_no_exported_name_is_also_a_submodule(package: str) -> None:
    # `from nps.query.combined import overview` in the package's __init__ would be replaced by the module
    # nps/query/overview.py the first time anything imports that module (Python binds a submodule as an
    # attribute of its package), and `query.overview(...)` would then call a module.
    import importlib
    import pkgutil

    module = importlib.import_module(f"nps.{package}")
    exported = {name for name in getattr(module, "__all__", []) if not inspect.ismodule(getattr(module, name))}
    submodules = {m.name for m in pkgutil.iter_modules(module.__path__)}
    assert exported & submodules == set(), f"nps.{package} exports names that are also its modules"


QUERY_MODULES = sorted(p for p in (NPS_DIR / "query").glob("*.py") if p.name not in ("rows.py", "__init__.py"))


@pytest.mark.parametrize("path", QUERY_MODULES, ids=_name)
def test_every_read_of_responses_goes_through_the_scoped_row_source(path: Path) -> None:
    # A reader's scope is applied by nps/query/rows.py (where_for, conditions, source); a query module that
    # wrote its own WHERE from a filter (where_clause) would read other functions' rows for a scoped user.
    text = path.read_text(encoding="utf-8")
    assert "where_clause(" not in text, f"{_name(path)}: use rows.where_for / conditions / source, which apply the scope"
    assert "scoped=False" not in text, f"{_name(path)}: only rows.source may read outside the reader's scope"
    if "sql.table(ds.table)" in text:
        assert re.search(r"\b(where_for|conditions)\(", text), f"{_name(path)} reads ds.table without the row source"
