"""The test suite's tiers.

    pytest               the developer run: every tier but `slow`, `onnx` and `e2e`, in
                         two processes when pytest-xdist is installed (`-n 0`: in one)
    pytest --all         every tier (what `.ci/run` and the README's full command run), in one
                         process
    pytest -m onnx       one tier (any -m expression replaces the default selection)

Tests under tests/gui/ are marked `gui` and those under tests/e2e/ `e2e` by their folder, so
a new test file is tiered by where it lives; `slow` and `onnx` are marked in the tests:
`slow` on a test that trains, waits or runs a subprocess for seconds when a faster test of
the same feature stays in the default run, `onnx` on every test that exports to or imports
from ONNX. Only the whole default run (no paths, no -m) is spread over DEFAULT_PROCESSES:
starting a process costs each ~15 s of imports, more than a file or two take.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/backend/test_tiers.py runs the tiers on a tiny suite
HERE = Path(__file__).parent
BY_FOLDER = {"gui": "gui", "e2e": "e2e"}  # tests/<folder>/ -> marker
LEFT_OUT = ("slow", "onnx", "e2e")  # the tiers the default run leaves out


DEFAULT_PROCESSES = 2  # this machine's cores; the GUI tests run offscreen, one app each


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--all", action="store_true", dest="all_tiers",
                     help="run every tier, including " + ", ".join(LEFT_OUT))


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The whole default run goes to pytest-xdist's DEFAULT_PROCESSES unless -n was given."""
    if (_default_run(config) and config.args_source == pytest.Config.ArgsSource.TESTPATHS
            and not hasattr(config, "workerinput")  # an xdist worker itself
            and getattr(config.option, "numprocesses", 0) is None):  # xdist there, no -n
        config.option.numprocesses = DEFAULT_PROCESSES


def pytest_collection_finish(session: pytest.Session) -> None:
    """A process of a parallel run computes on one torch thread (after the test modules that
    set their own were imported): two processes of two threads each on two cores wait on
    each other's spinning threads, which made some tests 20-40 times slower."""
    if hasattr(session.config, "workerinput") and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _default_run(config: pytest.Config) -> bool:
    return not (config.getoption("all_tiers") or config.getoption("markexpr"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(item.path).relative_to(HERE).parts[0] if HERE in Path(item.path).parents \
            else None
        if folder in BY_FOLDER:
            item.add_marker(BY_FOLDER[folder])
    if not _default_run(config):
        return
    kept, left = [], []
    for item in items:
        (left if any(item.get_closest_marker(m) for m in LEFT_OUT) else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _default_run(config):
        return None
    return f"tiers left out: {', '.join(LEFT_OUT)} (pytest --all runs every tier)"
