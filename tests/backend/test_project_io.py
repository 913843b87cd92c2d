"""Project files: exact round trips, one clear error per malformed field, atomic saves."""

from __future__ import annotations

import json
import os

import pytest
from netcanvas.backend import project_io
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import DatasetConfig, Project, TrainingSettings
from netcanvas.backend.project_io import (
    FORMAT_VERSION,
    ProjectFileError,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)


@pytest.fixture
def project() -> Project:
    g = Graph()
    x = g.add("input", "image", position=(10.25, -3.5), shape=(1, 8, 8))
    fc = g.add("linear", "fc1", position=(230.0, 0.0), out_features=7, bias=False)
    act = g.add("leaky_relu", position=(450.0, 130.0), negative_slope=0.2)
    out = g.add("output", position=(670.0, 0.0), loss="cross_entropy", label_smoothing=0.1)
    g.connect(x, fc)
    g.connect(fc, act)
    g.connect(act, out)
    return Project(
        graph=g,
        dataset=DatasetConfig(name="moons", options={"n_samples": 500, "noise": 0.25},
                              normalize=False, augment_flip=True),
        training=TrainingSettings(optimizer="sgd", lr=0.05, betas=(0.8, 0.95), epochs=3,
                                  device="cpu"),
        description="a test — with ünïcode",
    )


def test_round_trip_is_exact(project, tmp_path):
    path = tmp_path / "p.netcanvas"
    save_project(project, path)
    loaded = load_project(path)
    assert project_to_dict(loaded) == project_to_dict(project)
    assert loaded.training == project.training
    assert loaded.dataset == project.dataset
    assert isinstance(loaded.training.betas, tuple)
    node = loaded.graph.by_name("image")
    assert node.params["shape"] == (1, 8, 8) and node.position == (10.25, -3.5)
    assert list(loaded.graph.nodes) == list(project.graph.nodes)
    assert loaded.graph.edges == project.graph.edges
    # Saving what was loaded writes the very same bytes.
    again = tmp_path / "q.netcanvas"
    save_project(loaded, again)
    assert again.read_bytes() == path.read_bytes()


def _bad(d: dict, mutate) -> ProjectFileError:
    d = json.loads(json.dumps(d))
    mutate(d)
    with pytest.raises(ProjectFileError) as info:
        project_from_dict(d)
    return info.value


def _set(path: str, value):
    """A mutation setting d[...] by a dotted path whose parts may be list indices."""
    def mutate(d):
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for p in parents:
            d = d[p]
        d[last] = value
    return mutate


@pytest.mark.parametrize("path, value, field, words", [
    ("format_version", FORMAT_VERSION + 1, "format_version", "newer NetCanvas"),
    ("format_version", "1", "format_version", "whole number"),
    ("graph.nodes.1.type", "conv9d", "nodes[1].type", "unknown layer type 'conv9d'"),
    ("graph.nodes.1.params.out_features", 0, "nodes[1].params.out_features", "at least 1"),
    ("graph.nodes.1.params.out_features", "7", "nodes[1].params.out_features", "integer"),
    ("graph.nodes.1.params.out_features", 2.5, "nodes[1].params.out_features", "integer"),
    ("graph.nodes.1.params.bias", 1, "nodes[1].params.bias", "true or false"),
    ("graph.nodes.1.params.kernel", 3, "nodes[1].params.kernel", "no parameter"),
    ("graph.nodes.3.params.loss", "hinge", "nodes[3].params.loss", "one of"),
    ("graph.nodes.0.params.shape", [1, 0, 8], "nodes[0].params.shape", "at least 1"),
    ("graph.nodes.0.position", [1, "a"], "nodes[0].position", "[x, y]"),
    ("graph.nodes.0.name", "2fast", "nodes[0].name", "must start with a letter"),
    ("graph.nodes.2.name", "fc1", "nodes[2].name", "duplicate name 'fc1' (also nodes[1])"),
    ("graph.nodes.2.colour", "red", "nodes[2].colour", "unknown key"),
    ("graph.edges.0.src", "nope", "edges[0].src", "no node with id 'nope'"),
    ("graph.edges.1.dst_port", "z", "edges[1].dst_port", "no input port 'z'"),
    ("graph.edges.1.src_port", "indices", "edges[1].src_port", "no output port 'indices'"),
    ("graph.edges.2", ["a", "y"], "edges[2]", "expected an object"),
    ("graph.nodes", {}, "nodes", "expected a list"),
    ("dataset.name", 3, "dataset.name", "text"),
    ("dataset.sampels", 3, "dataset.sampels", "unknown key"),
    ("dataset.path", 3, "dataset.path", "text"),
    ("dataset.options", [1], "dataset.options", "object"),
    ("training.lr", "fast", "training.lr", "number"),
    ("training.epochs", 2.5, "training.epochs", "whole number"),
    ("training.epochs", True, "training.epochs", "whole number"),
    ("training.nesterov", "yes", "training.nesterov", "true or false"),
    ("training.betas", [0.9], "training.betas", "list of 2"),
    ("training.betas", [0.9, "x"], "training.betas[1]", "number"),
    ("training.learning_rate", 0.1, "training.learning_rate", "unknown key"),
    ("description", 5, "description", "text"),
    ("extra", 1, "extra", "unknown key"),
])
def test_bad_field_is_named(project, path, value, field, words):
    err = _bad(project_to_dict(project), _set(path, value))
    assert err.field == field
    assert words in str(err)
    assert str(err).startswith(field)


def test_duplicate_id_edges_and_structure(project):
    d = project_to_dict(project)
    dup = _bad(d, lambda d: d["graph"]["nodes"][2].__setitem__("id", d["graph"]["nodes"][0]["id"]))
    assert dup.field == "nodes[2].id" and "duplicate node id" in str(dup)
    # A second wire into a single-input port, and a wire that would close a cycle.
    twice = _bad(d, lambda d: d["graph"]["edges"].append(dict(d["graph"]["edges"][0])))
    assert twice.field == "edges[3]"
    nodes = d["graph"]["nodes"]
    back = {"src": nodes[2]["id"], "src_port": "y", "dst": nodes[1]["id"], "dst_port": "x"}
    cycle = _bad(d, lambda d: (d["graph"]["edges"].pop(0), d["graph"]["edges"].append(back)))
    assert cycle.field == "edges[2]" and "cycle" in str(cycle)
    assert _bad(d, lambda d: d.pop("format_version")).field == "format_version"
    assert _bad(d, lambda d: d.pop("graph")).field == "graph"
    assert _bad(d, lambda d: d["graph"]["nodes"][0].pop("name")).field == "nodes[0].name"
    with pytest.raises(ProjectFileError):
        project_from_dict([1, 2])


def test_truncated_json_names_line_and_column(project, tmp_path):
    path = tmp_path / "cut.netcanvas"
    save_project(project, path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    message = str(info.value)
    assert "cut.netcanvas" in message and "not valid JSON at line" in message
    assert "column" in message


@pytest.mark.parametrize("content, words", [
    (b"\xff\xfe\x00garbage", "UTF-8"),
    (b'{"format_version": 1, "graph": {"nodes": [], "edges": []}, "description": NaN}', "NaN"),
    (b"[" * 100_000, "JSON"),
])
def test_unreadable_content(tmp_path, content, words):
    path = tmp_path / "x.netcanvas"
    path.write_bytes(content)
    with pytest.raises(ProjectFileError, match=words):
        load_project(path)


def test_missing_file_is_a_project_file_error(tmp_path):
    with pytest.raises(ProjectFileError, match="cannot read"):
        load_project(tmp_path / "absent.netcanvas")


def test_error_from_a_file_names_path_and_field(project, tmp_path):
    d = project_to_dict(project)
    d["graph"]["nodes"][1]["params"]["out_features"] = -4
    path = tmp_path / "bad.netcanvas"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert info.value.field == "nodes[1].params.out_features"
    assert str(info.value) == (f"{path}: nodes[1].params.out_features: must be at least 1, got -4")


def test_version_0_file_is_migrated(tmp_path):
    v0 = {
        "version": 0,
        "description": "made before format_version existed",
        "nodes": [
            {"id": "a", "type_id": "input", "name": "x", "params": {"shape": [2]}, "pos": [0, 0]},
            {"id": "b", "type_id": "linear", "name": "fc", "params": {"out_features": 1},
             "pos": [220, 0]},
            {"id": "c", "type_id": "output", "name": "out", "params": {"loss": "mse"},
             "pos": [440, 0]},
        ],
        "edges": [{"from": ["a", "y"], "to": ["b", "x"]}, {"from": ["b", "y"], "to": ["c", "x"]}],
        "dataset": {"name": "linear"},
        "settings": {"optimizer": "sgd", "learning_rate": 0.02, "epochs": 4},
    }
    path = tmp_path / "old.netcanvas"
    path.write_text(json.dumps(v0), encoding="utf-8")
    p = load_project(path)
    assert [n.name for n in p.graph.nodes.values()] == ["x", "fc", "out"]
    assert p.graph.node("b").position == (220.0, 0.0)
    assert [(e.src, e.dst) for e in p.graph.edges] == [("a", "b"), ("b", "c")]
    assert p.training.lr == 0.02 and p.training.optimizer == "sgd" and p.training.epochs == 4
    assert p.dataset.name == "linear"
    assert project_to_dict(p)["format_version"] == FORMAT_VERSION
    # A v0 file with a bad field still names it, in the current format's terms.
    v0["nodes"][1]["type_id"] = "dense"
    path.write_text(json.dumps(v0), encoding="utf-8")
    with pytest.raises(ProjectFileError) as info:
        load_project(path)
    assert info.value.field == "nodes[1].type"


def _leftovers(folder) -> list[str]:
    return sorted(os.listdir(folder))


def test_crash_during_rename_keeps_previous_file(project, tmp_path, monkeypatch):
    path = tmp_path / "p.netcanvas"
    save_project(project, path)
    before = path.read_bytes()
    project.description = "changed"

    def crash(*args, **kwargs):
        raise OSError("disk pulled out")

    monkeypatch.setattr(project_io.os, "replace", crash)
    with pytest.raises(OSError, match="disk pulled out"):
        save_project(project, path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == ["p.netcanvas"]


def test_crash_while_writing_keeps_previous_file(project, tmp_path, monkeypatch):
    path = tmp_path / "p.netcanvas"
    save_project(project, path)
    before = path.read_bytes()

    def crash(fd):
        raise KeyboardInterrupt  # even an interrupt mid-write cleans up

    monkeypatch.setattr(project_io.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        save_project(project, path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == ["p.netcanvas"]


def test_unserialisable_settings_never_touch_the_file(project, tmp_path):
    path = tmp_path / "p.netcanvas"
    save_project(project, path)
    before = path.read_bytes()
    project.training.lr = float("nan")
    with pytest.raises(ValueError):
        save_project(project, path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == ["p.netcanvas"]


def test_loading_never_executes_anything(tmp_path):
    """Strings that would run code under eval/pickle stay inert text (and are rejected)."""
    d = {"format_version": 1, "graph": {"nodes": [
        {"id": "a", "type": "__import__('os').system('touch pwned')", "name": "x"}]}}
    path = tmp_path / "evil.netcanvas"
    path.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ProjectFileError, match="unknown layer type"):
        load_project(path)
    assert not (tmp_path / "pwned").exists() and not os.path.exists("pwned")
