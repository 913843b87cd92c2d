"""The Qt-free workspace (backend/workspace.py): fields, plain events, the trained run."""

from __future__ import annotations

import pytest
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project, config_key
from netcanvas.backend.workspace import FIELDS, Workspace


class FakeRun:
    """What the workspace asks of a Run: whether the project's graph changed since."""

    def __init__(self, graph_changed: bool) -> None:
        self.changed = graph_changed

    def graph_changed(self, project) -> bool:
        return self.changed


def test_subscribers_hear_each_changed_field_once_after_all_are_set():
    ws, heard = Workspace(), []
    for field in FIELDS:
        ws.subscribe(field, lambda value, f=field: heard.append((f, value, ws.sample)))
    run = FakeRun(False)
    ws.update(shown=run, sample=3)
    assert heard == [("shown", run, 3), ("sample", 3, 3)]  # both set before either is told
    heard.clear()
    ws.update(shown=run, sample=3, job=None)  # nothing changed
    assert heard == []
    ws.update(sample=1000)
    ws.update(sample=int("1000"))  # an equal index is no change
    assert heard == [("sample", 1000, 1000)]


def test_unsubscribe_and_unknown_fields():
    ws, heard = Workspace(), []
    stop = ws.subscribe("job", heard.append)
    ws.update(job="job 1")
    stop()
    ws.update(job=None)
    assert heard == ["job 1"] and not ws.running
    with pytest.raises(KeyError, match="no field 'window'"):
        ws.update(window=object())
    with pytest.raises(KeyError, match="no field 'run'"):
        ws.subscribe("run", print)


def test_the_trained_run_is_the_shown_one_while_its_graph_is_the_projects():
    ws = Workspace()
    assert ws.trained_run() is None
    ws.update(project=Project(graph=Graph()), shown=FakeRun(graph_changed=False))
    assert ws.trained_run() is ws.shown
    ws.update(shown=FakeRun(graph_changed=True))
    assert ws.trained_run() is None


def test_a_renewed_field_is_told_again_though_it_holds_the_same_object():
    ws, heard = Workspace(), []
    ws.subscribe("shown", heard.append)
    run = FakeRun(False)
    ws.update(shown=run)
    ws.update(shown=run)  # the same run: no change
    ws.update(shown=run, job=None, renewed=("shown",))  # it trained on (a resumed run)
    assert heard == [run, run]
    with pytest.raises(KeyError, match="no field 'run'"):
        ws.update(renewed=("run",))


def test_the_loaded_dataset_is_a_projects_only_for_the_config_it_was_loaded_for():
    ws, project = Workspace(), Project(graph=Graph())
    assert ws.dataset_for(project) is None
    data = object()
    ws.update(dataset=data, dataset_key=config_key(project.dataset))
    assert ws.dataset_for(project) is data
    project.dataset.options = {**project.dataset.options, "n_samples": 12345}
    assert ws.dataset_for(project) is None  # other data: loaded anew by who needs it


def test_a_stream_tells_each_published_value_and_keeps_none():
    ws, heard = Workspace(), []
    stop = ws.subscribe("event", heard.append)
    ws.publish("event", "steps 1")
    ws.publish("event", "steps 1")  # a stream has no "same value": each one is told
    stop()
    ws.publish("event", "steps 2")
    assert heard == ["steps 1", "steps 1"] and not hasattr(ws, "event")
    with pytest.raises(KeyError, match="no stream 'job'"):
        ws.publish("job", None)  # a field is set with update, not published
    with pytest.raises(KeyError, match="no field 'event'"):
        ws.update(event="steps 3")


def test_events_are_handed_out_by_type():
    ws, ints, strs = Workspace(), [], []
    stop = ws.on_events({int: ints.append, str: strs.append})
    for event in (1, "a", 2.5, 3):
        ws.publish("event", event)
    stop()
    ws.publish("event", 4)
    assert ints == [1, 3] and strs == ["a"]  # 2.5: no handler; 4: unsubscribed
