"""The shape of the code: data flows one way (ingest < vectorstore < qa < ui), so no module
imports a higher layer, not even inside a function; and no class or module grows past what a
newcomer can read in one sitting."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["ingest", "vectorstore", "qa", "ui"]
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 250


def modules():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield layer, path, ast.parse(path.read_text(encoding="utf-8"))


def imported_packages(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):  # every import, at the top or inside a function
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_import_runs_up_the_layers():
    offences = []
    for layer, path, tree in modules():
        higher = set(LAYERS[LAYERS.index(layer) + 1:])
        for name in imported_packages(tree) & higher:
            offences.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offences == []


def test_modules_and_classes_stay_readable():
    too_long = []
    for _, path, tree in modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: class {node.name}, {node.end_lineno - node.lineno + 1} lines")
    assert too_long == []
