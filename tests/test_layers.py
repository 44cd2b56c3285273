"""The shape of the code: dependency direction, no import cycles, small modules and functions.

These read the source (no imports), so they hold for every module, imported
by a test or not.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("index", "qa", "evaluation", "ui")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def modules() -> dict[str, Path]:
    """Every module of the library, by dotted name (``seedqa.qa.service``)."""
    found = {"seedqa": ROOT / "__init__.py"}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(("seedqa", *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def imports(path: Path) -> set[str]:
    """The seedqa modules ``path`` imports anywhere (module level or inside functions)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n.startswith("seedqa")}


def graph() -> dict[str, set[str]]:
    """Module → the library modules it imports (names that are modules, not attributes)."""
    known = modules()
    return {name: {i for i in imports(path) if i in known and i != name}
            for name, path in known.items()}  # fmt: skip


def test_ui_imports_nothing_from_index():
    offenders = {
        name: sorted(i for i in targets if i.startswith("seedqa.index"))
        for name, targets in graph().items()
        if name.startswith("seedqa.ui")
    }
    assert not {n: t for n, t in offenders.items() if t}


def test_dependencies_point_one_way():
    """index never imports qa, evaluation or ui; qa never imports evaluation or ui."""
    above = {"seedqa.index": ("seedqa.qa", "seedqa.evaluation", "seedqa.ui"),
             "seedqa.qa": ("seedqa.evaluation", "seedqa.ui"),
             "seedqa.evaluation": ("seedqa.ui",)}  # fmt: skip
    wrong = [
        (name, target)
        for name, targets in graph().items()
        for layer, banned in above.items()
        if name.startswith(layer)
        for target in targets
        if target.startswith(banned)
    ]
    assert not wrong


def test_the_read_side_never_imports_the_build_side():
    targets = graph()
    for reader in ("seedqa.qa.retriever", "seedqa.qa.answer", "seedqa.index.store"):
        assert not targets[reader] & {"seedqa.index.build", "seedqa.index.plan"}, reader


def test_no_import_cycles():
    targets = graph()
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str]) -> None:
        for target in sorted(targets.get(name, ())):
            if target in path:
                cycles.append(path[path.index(target) :] + [target])
            elif len(path) < 40:
                visit(target, [*path, target])

    for start in targets:
        visit(start, [start])
    # A package's __init__ re-exporting its own modules is not a cycle between modules.
    real = [c for c in cycles if not any(m == c[0].rsplit(".", 1)[0] for m in c[1:])]
    assert not real, real[:3]


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_and_functions_stay_small(name: str):
    path = modules()[name]
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= MAX_MODULE_LINES, f"{path} has over {MAX_MODULE_LINES} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path}: {', '.join(long)}"


def test_the_reader_map_is_the_only_suffix_list():
    literal = re.compile(r"""["']\.(txt|md|markdown|html?|pdf|docx)["']""")
    holders = [
        str(path.relative_to(ROOT))
        for path in modules().values()
        if literal.search(path.read_text(encoding="utf-8"))
    ]
    assert holders == ["index/readers/__init__.py"]
