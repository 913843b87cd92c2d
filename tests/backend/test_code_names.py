"""`netcanvas code` never writes a file that breaks on its class name (issue 9, item 7)."""

from __future__ import annotations

import shutil

import pytest
import torch
from netcanvas.backend.cli import main
from netcanvas.backend.export.python_export import HELPER_CLASSES, class_name_problem
from test_cli import one_line_error

EXAMPLE = "resources/examples/residual_cnn.netcanvas"  # defines the Add helper class
NAMES = ["Add", "Concat", "None", "class", "nn", "torch", "super", "print"]


def run_module(path, class_name):
    namespace: dict = {"__name__": "generated"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the file under test
    model = namespace[class_name]().eval()
    with torch.no_grad():
        return model(torch.randn(2, 1, 8, 8))


@pytest.mark.parametrize("stem", NAMES)
def test_a_project_named_like_python_gets_a_safe_class(stem, tmp_path, capsys):
    project = tmp_path / f"{stem}.netcanvas"
    shutil.copy(EXAMPLE, project)
    out = tmp_path / "model.py"
    assert main(["code", str(project), "-o", str(out)]) == 0
    class_name = capsys.readouterr().out.split("(class ")[1].rstrip(")\n")
    assert class_name_problem(class_name) is None
    assert run_module(out, class_name).shape[0] == 2


@pytest.mark.parametrize("name", NAMES)
def test_an_unusable_class_name_is_refused_with_a_suggestion(name, tmp_path, capsys):
    out = tmp_path / "model.py"
    assert main(["code", EXAMPLE, "-o", str(out), "--class-name", name]) == 2
    line = one_line_error(capsys.readouterr().err)
    assert repr(name) in line and "choose another, e.g." in line
    assert not out.exists()


def test_the_helpers_are_the_custom_modules():
    assert {"Add", "Concat", "Multiply"} <= HELPER_CLASSES
