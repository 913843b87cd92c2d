"""Training settings and dataset configuration are declared once (backend/settings.py):
loading, the CLI overrides and the settings edit all refuse a value outside its declaration
with the field path."""

from __future__ import annotations

import dataclasses
import json

import pytest
from netcanvas.backend.cli import main
from netcanvas.backend.graph import Compound, SetSetting
from netcanvas.backend.project import DatasetConfig, Project, TrainingSettings
from netcanvas.backend.project_io import ProjectFileError, load_project, project_to_dict
from netcanvas.backend.registry import ParamError
from netcanvas.backend.settings import DATASET, DATASET_OPTIONS, SECTIONS, TRAINING

FIELDS = [(section, p) for section, params in SECTIONS.items() for p in params]


def _outside(param) -> list:
    """Values a file might hold that the declaration refuses."""
    if param.kind in ("int", "float"):
        return [param.min - 1, param.max * 2 + 1, "7", None if not param.optional else True]
    if param.kind in ("ints", "floats"):
        return [[param.min - 1] * (param.length or 1), [param.max * 2 + 1] * (param.length or 1)]
    if param.kind == "choice":
        return ["bogus", 3]
    if param.kind == "bool":
        return ["yes", 1]
    return [5] + (["gpu", "cuda:x"] if param.pattern else [])  # "str"


def test_every_field_is_declared_with_a_range():
    assert {f.name for f in dataclasses.fields(TrainingSettings)} == {p.name for p in TRAINING}
    assert {f.name for f in dataclasses.fields(DatasetConfig)} == {p.name for p in DATASET} | {
        "options"}
    options = [p for params in DATASET_OPTIONS.values() for p in params]
    for _section, p in FIELDS + [("dataset.options", p) for p in options]:
        assert p.doc, p.name
        if p.kind in ("int", "float", "ints", "floats"):
            assert p.min is not None and p.max is not None, f"{p.name} has no range"
        if p.kind == "choice":
            assert p.default in p.choices
        p.validate(p.default)  # the default is inside its own declaration


@pytest.mark.parametrize("section,param", FIELDS, ids=[f"{s}.{p.name}" for s, p in FIELDS])
def test_a_file_outside_the_declaration_is_refused_with_the_field(tmp_path, section, param):
    for value in _outside(param):
        d = project_to_dict(Project())
        d[section][param.name] = value
        path = tmp_path / "bad.netcanvas"
        path.write_text(json.dumps(d))
        with pytest.raises(ProjectFileError) as err:
            load_project(path)
        assert err.value.field.startswith(f"{section}.{param.name}"), (value, str(err.value))
        assert str(err.value).count("\n") == 0


@pytest.mark.parametrize("dataset,option,value,words", [
    ("moons", "noise", -1, "at least 0"),
    ("moons", "n_samples", 2, "at least 4"),
    ("blobs", "classes", 1, "at least 2"),
    ("csv", "task", "guess", "one of auto"),
    ("moons", "size", 8, "moons has no such option"),
])
def test_dataset_options_are_declared_per_dataset(dataset, option, value, words):
    d = project_to_dict(Project())
    d["dataset"].update(name=dataset, options={option: value})
    with pytest.raises(ProjectFileError) as err:
        from netcanvas.backend.project_io import project_from_dict
        project_from_dict(d)
    assert err.value.field == f"dataset.options.{option}" and words in str(err.value)


def test_the_issue_examples_name_the_field():
    for key, value, words in (("batch_size", 0, "training.batch_size: must be at least 1, got 0"),
                              ("epochs", -3, "training.epochs: must be at least 1"),
                              ("precision", "fp8", "training.precision: expected one of"),
                              ("optimizer", "lbfgs", "training.optimizer: expected one of")):
        d = project_to_dict(Project())
        d["training"][key] = value
        from netcanvas.backend.project_io import project_from_dict
        with pytest.raises(ProjectFileError, match=words):
            project_from_dict(d)


@pytest.fixture
def project_file(tmp_path):
    project = Project()
    project.graph.connect(project.graph.add("input", shape=(2,)),
                          project.graph.add("output"))
    path = tmp_path / "p.netcanvas"
    path.write_text(json.dumps(project_to_dict(project)))
    return path


@pytest.mark.parametrize("flag,value,field", [
    ("--batch-size", "0", "training.batch_size"),
    ("--epochs", "-3", "training.epochs"),
    ("--lr", "-1", "training.lr"),
    ("--seed", "-5", "training.seed"),
    ("--device", "gpu", "training.device"),
])
def test_cli_overrides_go_through_the_declarations(project_file, capsys, flag, value, field):
    assert main(["train", str(project_file), flag, value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and flag in err[0] and field in err[0], err
    assert "Traceback" not in err[0]


def test_half_precision_without_cuda_is_refused_with_the_reason(project_file, capsys):
    d = json.loads(project_file.read_text())
    d["training"]["precision"] = "bf16"
    project_file.write_text(json.dumps(d))
    assert main(["train", str(project_file), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert "training.precision: bf16 needs a CUDA GPU" in err and "\n" not in err


def test_setting_edit_validates_applies_reverts_and_announces():
    project = Project()
    seen = []
    project.setting_changed.connect(lambda *args: seen.append(args))
    edit = SetSetting("training", "optimizer", "sgd")
    edit.apply(project)
    assert project.training.optimizer == "sgd" and seen[-1] == ("training", "optimizer", "sgd")
    edit.revert(project)
    assert project.training.optimizer == "adam"
    with pytest.raises(ParamError, match="training.batch_size: must be at least 1"):
        SetSetting("training", "batch_size", 0).apply(project)
    with pytest.raises(ParamError, match="training.lbfgs: no such setting"):
        SetSetting("training", "lbfgs", 1).apply(project)
    assert project.training == TrainingSettings()
    # A new dataset drops the old one's options first, so undo restores both.
    project.set_setting("dataset", "name", "moons")
    project.set_setting("dataset", "options", {"noise": 0.3})
    change = Compound([SetSetting("dataset", "options", {}), SetSetting("dataset", "name", "digits")])
    assert change.target == "project"
    change.apply(project)
    assert (project.dataset.name, project.dataset.options) == ("digits", {})
    change.revert(project)
    assert (project.dataset.name, project.dataset.options) == ("moons", {"noise": 0.3})
