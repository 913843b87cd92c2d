"""The Look inside pages (look_support.RunPage): an answer about a run the page no longer
shows is dropped, even when the same run was set again (a run ended and is told again)."""

from __future__ import annotations

import numpy as np
from netcanvas.app.training.cam_page import CamPage


class Recorded:
    """Stands in for the page's Latest: keeps each request's context to answer by hand."""

    def __init__(self) -> None:
        self.contexts = []

    def request(self, work, *args, context=None) -> None:
        self.contexts.append((work.__name__, context))


class Sample:
    def numpy(self) -> np.ndarray:
        return np.zeros((1, 4, 4), dtype=np.float32)


class Predictor:
    is_image = classifies = True
    class_names = ("a", "b")


def test_an_explanation_for_a_run_set_again_is_dropped(qtbot):
    page = CamPage()
    qtbot.addWidget(page)
    page._work = asked = Recorded()
    run = object()
    page.set_run(run)
    name, prepared = asked.contexts[-1]
    assert name == "prepare"
    prepared((Predictor(), [Sample()], [0], ["conv"]))  # ready: it explains sample 0
    name, explained = asked.contexts[-1]
    assert name == "explain" and page.prepared is not None
    page.set_run(run)  # the same run, told again: prepared anew
    shown = []
    page.shown.connect(lambda: shown.append(True))
    explained({"maps": {"Grad-CAM of conv": np.ones((4, 4))}, "target": 0})  # the old answer
    assert page.prepared is None and not shown  # dropped: nothing drawn, nothing raised
    assert page.note.text() == "Loading the run…"
