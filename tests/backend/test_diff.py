"""Runs diffed (issue 26): `diff_projects` names added, removed and changed nodes, params,
per-node training settings, wires and settings; `netcanvas diff RUN_A RUN_B` prints them
and both runs' final metrics side by side."""

from __future__ import annotations

from netcanvas.backend.cli import main
from netcanvas.backend.graph.diff import diff_projects
from netcanvas.backend.graph.head import new_task
from netcanvas.backend.project_io import project_from_dict, project_to_dict
from netcanvas.backend.runs import RunStore
from netcanvas.backend.training import Trainer
from test_training_support import blobs, mlp_project


def _copy(project):
    return project_from_dict(project_to_dict(project))


def test_added_removed_changed_wires_and_settings():
    a = mlp_project()
    b = _copy(a)
    g = b.graph
    g.set_param(g.by_name("fc1").id, "out_features", 32)
    g.set_training(g.by_name("fc1").id, {"lr_factor": 0.1})
    new_task(g, 3).apply(g)
    b.training.lr = 0.5
    d = diff_projects(a, b)
    status = {c.name: c.status for c in d.nodes}
    assert status == {"fc1": "changed", "head1": "added", "fc2": "removed"}
    fc1 = next(c for c in d.nodes if c.name == "fc1")
    assert fc1.fields == {"out_features": (16, 32), "training.lr_factor": (1.0, 0.1)}
    assert d.wires_added == ["act.y -> head1.x", "head1.y -> out.x"]
    assert d.wires_removed == ["act.y -> fc2.x", "fc2.y -> out.x"]
    assert d.settings == {"training.lr": (0.01, 0.5)}
    assert d.status_of() == {g.by_name("fc1").id: "changed", g.by_name("head1").id: "added"}
    text = "\n".join(d.lines())
    assert "~ changed  fc1 (linear): out_features 16 -> 32; training.lr_factor 1.0 -> 0.1" in text
    assert "- removed  fc2 (linear)" in text and "+ added    head1 (linear)" in text
    assert diff_projects(a, _copy(a)).lines() == ["no changes"]


def test_a_rename_is_a_change_not_a_removal():
    a = mlp_project()
    b = _copy(a)
    b.graph.rename(b.graph.by_name("fc2").id, "classifier")
    d = diff_projects(a, b)
    assert [(c.name, c.status, c.fields) for c in d.nodes] == [
        ("classifier", "changed", {"name": ("fc2", "classifier")})]
    assert not d.wires_added and not d.wires_removed


def test_netcanvas_diff_of_two_runs(tmp_path, capsys):
    store = RunStore("p", root=tmp_path)
    data = blobs(n=120)
    first = mlp_project(epochs=1)
    second = _copy(first)
    second.graph.set_param(second.graph.by_name("fc1").id, "out_features", 8)
    runs = []
    for project in (first, second):
        run = store.new_run(project)
        run.ended(Trainer(run.project, data, checkpoint_dir=run.checkpoint_dir).run())
        runs.append(run)
    assert main(["diff", str(runs[0].folder), str(runs[1].folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run 1 -> run 2\n")
    assert "~ changed  fc1 (linear): out_features 16 -> 8" in out
    table = out[out.index("metric"):].splitlines()
    assert table[0].split() == ["metric", "run", "1", "run", "2"]
    assert any(line.startswith("test accuracy") for line in table)
    assert any(line.split()[:2] == ["epochs", "1"] for line in table)
    assert main(["diff", str(runs[0].folder), str(tmp_path / "nothing")]) == 2
    assert "not a run folder" in capsys.readouterr().err
