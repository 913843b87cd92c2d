"""The dependency direction of DESIGN.md: the backend never pulls in Qt, and the parts the
editor uses (registry, graph, shapes, project files) never pull in torch."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ("registry", "graph", "shapes", "project_io", "migrations", "project", "compiler",
           "data", "training", "export", "importer", "cli")
TORCH_FREE = ("registry", "graph", "shapes", "project_io")


def present(names) -> list[str]:
    return [f"netcanvas.backend.{n}" for n in names
            if importlib.util.find_spec(f"netcanvas.backend.{n}") is not None]


def imported_after(modules: list[str], forbidden: tuple[str, ...]) -> list[str]:
    """Top-level packages among `forbidden` that importing `modules` loads, in a fresh process."""
    code = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted({{k.split('.')[0] for k in sys.modules}} & {set(forbidden)!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.replace("'", '"'))


def test_backend_never_imports_qt():
    modules = present(BACKEND)
    assert "netcanvas.backend.shapes" in modules and "netcanvas.backend.project_io" in modules
    assert imported_after(modules, ("PySide6", "shiboken6", "pyqtgraph")) == []


@pytest.mark.parametrize("module", present(TORCH_FREE))
def test_editor_side_of_the_backend_never_imports_torch(module):
    assert imported_after([module], ("torch",)) == []


def test_training_events_import_without_torch():
    """The app's dock and the CLI read the events; importing them must not cost torch."""
    assert imported_after(["netcanvas.backend.training.events"], ("torch",)) == []


def _toml_value(value) -> str:
    return str(value).lower() if isinstance(value, bool) else json.dumps(value)


def test_import_linter_contracts_hold(tmp_path):
    """Run the pyproject contracts on a tree laid out as the installed package is.

    import-linter finds packages by folder, and the source folders are mapped onto
    `netcanvas.*` only by the install, so the tree is rebuilt from links."""
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.skip("import-linter is not installed")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    linter = config["tool"]["importlinter"]
    package_dir = config["tool"]["setuptools"]["package-dir"]
    for package, folder in sorted(package_dir.items()):  # parents before children
        target = tmp_path / "src" / package.replace(".", os.sep)
        if "." in package:  # a link inside the copied top-level package, never in the repo
            target.symlink_to(ROOT / folder, target_is_directory=True)
        else:
            shutil.copytree(ROOT / folder, target, ignore=shutil.ignore_patterns("__pycache__"))
    # Forbidding outside packages (torch, PySide6) needs them in the import graph.
    lines = ["[tool.importlinter]", f"root_packages = {_toml_value(linter['root_packages'])}",
             "include_external_packages = true"]
    for contract in linter["contracts"]:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in contract.items()]
    (tmp_path / "lint.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([lint, str(tmp_path / "lint.toml"), "--no-cache"],
                            check=False, cwd=tmp_path, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(tmp_path / "src")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _thread_makers(path: Path) -> list[str]:
    """What in one source file starts threads of its own: a QThread subclass, a
    concurrent.futures import, a threading.Thread."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ClassDef):
            bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
            found += [f"class {node.name}(QThread)"] if "QThread" in bases else []
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names]
            found += [f"import {n}" for n in names if n.startswith("concurrent")]
            if isinstance(node, ast.ImportFrom) and node.module == "threading":
                found += [f"from threading import {a.name}" for a in node.names
                          if a.name == "Thread"]
        elif isinstance(node, ast.Attribute) and node.attr == "Thread" \
                and getattr(node.value, "id", "") == "threading":
            found.append("threading.Thread")
    return found


def test_the_app_runs_background_work_only_through_its_worker():
    """app/workers.py's Worker is the one way off the GUI thread (closing the window finds
    and waits for it; errors reach the GUI): no other QThread subclass, executor or thread."""
    makers = {str(p.relative_to(ROOT)): _thread_makers(p)
              for p in sorted((ROOT / "app").rglob("*.py")) if p.name != "workers.py"}
    assert {p: m for p, m in makers.items() if m} == {}
    assert _thread_makers(ROOT / "app" / "workers.py") == ["class Worker(QThread)"]
