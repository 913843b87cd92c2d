"""The test suite's tiers.

    pytest               the developer run: every tier but `slow`, `onnx` and `e2e`
    pytest --all         every tier (what `.ci/run` and the README's full command run)
    pytest -m onnx       one tier (any -m expression replaces the default selection)

Tests under tests/gui/ are marked `gui` and those under tests/e2e/ `e2e` by their folder, so
a new test file is tiered by where it lives; `slow` and `onnx` are marked in the tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/backend/test_tiers.py runs the tiers on a tiny suite
HERE = Path(__file__).parent
BY_FOLDER = {"gui": "gui", "e2e": "e2e"}  # tests/<folder>/ -> marker
LEFT_OUT = ("slow", "onnx", "e2e")  # the tiers the default run leaves out


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--all", action="store_true", dest="all_tiers",
                     help="run every tier, including " + ", ".join(LEFT_OUT))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(item.path).relative_to(HERE).parts[0] if HERE in Path(item.path).parents \
            else None
        if folder in BY_FOLDER:
            item.add_marker(BY_FOLDER[folder])
    if config.getoption("all_tiers") or config.getoption("markexpr"):
        return
    kept, left = [], []
    for item in items:
        (left if any(item.get_closest_marker(m) for m in LEFT_OUT) else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.getoption("all_tiers") or config.getoption("markexpr"):
        return None
    return f"tiers left out: {', '.join(LEFT_OUT)} (pytest --all runs every tier)"
