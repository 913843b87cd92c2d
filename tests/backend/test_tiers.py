"""The suite's tiers (tests/conftest.py): folders mark `gui` and `e2e`, the default run
leaves out `slow`, `onnx` and `e2e`, `--all` runs every tier, and CI runs `--all`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = {
    "gui/test_g.py": "def test_widget(): pass\n",
    "e2e/test_e.py": "def test_installed(): pass\n",
    "backend/test_b.py": ("import pytest\n\n@pytest.mark.slow\ndef test_slow(): pass\n\n"
                          "@pytest.mark.onnx\ndef test_onnx(): pass\n\ndef test_fast(): pass\n"),
}


@pytest.fixture
def suite(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # no Qt, no hypothesis: fast
    pytester.makeconftest((ROOT / "tests" / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    slow\n    onnx\n    e2e\n    gui\n")
    for name, text in TESTS.items():
        path = pytester.path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return pytester


@pytest.mark.parametrize("args, ran", [
    ((), {"test_widget", "test_fast"}),
    (("--all",), {"test_widget", "test_installed", "test_slow", "test_onnx", "test_fast"}),
    (("-m", "gui or e2e"), {"test_widget", "test_installed"}),
    (("-m", "onnx"), {"test_onnx"}),
])
def test_the_default_run_leaves_out_the_heavy_tiers(suite, args, ran):
    result = suite.runpytest_inprocess("-p", "no:cacheprovider", "-v", *args)
    passed = {r.nodeid.split("::")[-1] for r in result.reprec.getreports("pytest_runtest_logreport")
              if r.when == "call" and r.passed}
    assert passed == ran


@pytest.mark.slow  # starts pytest and its workers: seconds each
@pytest.mark.parametrize("args, processes", [
    ((), 2),  # the whole default run
    (("--all",), 1),
    (("backend",), 1),  # a folder or a file: starting processes would cost more than it saves
])
def test_the_whole_default_run_is_spread_over_two_processes(suite, args, processes):
    pytest.importorskip("xdist")
    suite.makeini("[pytest]\ntestpaths = gui e2e backend\n"
                  "markers =\n    slow\n    onnx\n    e2e\n    gui\n")
    (suite.path / "backend" / "test_threads.py").write_text(
        "import torch\ntorch.set_num_threads(2)  # as some test modules do\n\n"
        "def test_a_parallel_runs_process_computes_on_one_thread(request):\n"
        "    worker = hasattr(request.config, 'workerinput')\n"
        "    assert not worker or torch.get_num_threads() == 1\n")
    result = suite.runpytest_subprocess("-p", "xdist.plugin", "-p", "no:cacheprovider", *args)
    workers = re.search(r"created: (\d+)/\d+ workers", result.stdout.str())
    assert (int(workers[1]) if workers else 1) == processes
    assert result.ret == 0


def test_ci_runs_every_tier_with_the_readmes_command():
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci.endswith("pytest -q --all") and ci in (ROOT / "README.md").read_text()
