"""app/workers.py: the one way the app runs work off the GUI thread, and the views that
follow the user's input (Why, Try it, the circuit, Fool it) computing on it."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from netcanvas.app.training import why_view
from netcanvas.app.workers import Latest, Worker, error_line
from PySide6.QtCore import QObject, QTimer


def _run(qtbot, worker: Worker) -> None:
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start()


def test_a_generator_sends_each_value_then_its_return_value(qtbot):
    def count(n):
        for i in range(n):
            yield i, threading.current_thread() is threading.main_thread()
        return "done"

    worker, got = Worker(count, 3), []
    worker.yielded.connect(got.append)
    worker.returned.connect(got.append)
    _run(qtbot, worker)
    qtbot.waitUntil(lambda: len(got) == 4)
    assert got == [(0, False), (1, False), (2, False), "done"] and worker.result == "done"


def test_a_named_function_is_imported_on_the_worker_and_send_reports_progress(qtbot):
    worker, got = Worker("math:sqrt", 16.0), []
    worker.returned.connect(got.append)
    _run(qtbot, worker)
    progress = Worker(lambda: [progress.send(i) for i in range(2)] and "ok")
    progress.yielded.connect(got.append)
    _run(qtbot, progress)
    qtbot.waitUntil(lambda: len(got) == 3)
    assert got == [4.0, 0, 1] and progress.result == "ok"


def test_an_error_arrives_as_the_exception_or_is_logged_when_nobody_listens(qtbot, caplog):
    worker, errors = Worker(int, "many"), []
    worker.errored.connect(errors.append)
    _run(qtbot, worker)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], ValueError) and worker.result is None
    assert error_line(errors[0], ValueError) == "invalid literal for int() with base 10: 'many'"
    assert error_line(KeyError("x"), ValueError) == "KeyError: 'x'"
    with caplog.at_level(logging.ERROR, logger="netcanvas.app.workers"):
        _run(qtbot, Worker(lambda: 1 / 0))
    assert "ZeroDivisionError" in caplog.text


def test_cancel_is_a_request_the_work_polls(qtbot):
    started = threading.Event()

    def spin():
        started.set()
        while not worker.cancelled:
            pass
        return "stopped"

    worker = Worker(spin)
    worker.start()
    assert started.wait(60)
    worker.cancel()
    assert worker.wait(60_000) and worker.result == "stopped"


def test_latest_runs_one_request_at_a_time_and_then_only_the_newest(qtbot):
    gate, answers, owner = threading.Event(), [], QObject()
    jobs = Latest(owner, lambda context, result: answers.append((context, result)))

    def slow(x):
        assert gate.wait(60)
        return x * 10

    jobs.request(slow, 1, context="first")
    for x in (2, 3):  # asked while the first runs: only the newest waits
        jobs.request(slow, x, context=x)
    assert jobs.busy
    gate.set()
    qtbot.waitUntil(lambda: not jobs.busy)
    assert answers == [("first", 10), (3, 30)]


class _Predictor:
    """What the Why panel reads of a backend predictor, for two features."""

    class_names = ("a", "b")
    is_image = False
    sample_shape = (2,)


def test_the_gui_thread_stays_free_while_a_slow_map_computes(qtbot, monkeypatch):
    started, release = threading.Event(), threading.Event()

    def slow_explain(predictor, values, target, methods):
        started.set()
        assert release.wait(60)
        attribution = SimpleNamespace(target=1, map=lambda: np.array([0.5, -0.5]))
        return {method: attribution for method in methods}

    monkeypatch.setattr(why_view, "_explain", slow_explain)
    panel = why_view.WhyPanel()
    qtbot.addWidget(panel)
    panel.set_predictor(_Predictor())
    panel.set_input(np.array([1.0, 2.0], dtype=np.float32))
    panel.refresh()
    assert started.wait(60)
    ticks = []
    timer = QTimer(panel, interval=5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= 5)  # the event loop turns while the maps compute
    assert panel.explained is None
    release.set()
    qtbot.waitUntil(lambda: panel.explained is not None)
    assert "<b>b</b>" in panel.caption.text() and "+0.5" in panel.table.text()


def _lr_dialog(monkeypatch):
    from netcanvas.app.document import Document
    from netcanvas.app.training import lr_dialog
    from test_app_support import mlp_project

    monkeypatch.setattr(lr_dialog, "range_test", lambda *args: ([1e-3, 1e-2], [1.0, 0.5], 1e-3))
    dialog = lr_dialog.LRFindDialog(Document(mlp_project()))  # starts its test at once
    return dialog, dialog.thread


def _outputs_page(monkeypatch):
    from netcanvas.app.document import Document
    from netcanvas.app.training.outputs_page import OutputsPage
    from netcanvas.backend.insight import previews
    from test_app_support import mlp_project

    monkeypatch.setattr(previews, "previews", lambda graph, sample: {})
    page = OutputsPage(lambda project: None)
    page.set_document(Document(mlp_project()))
    page.refresh(wanted=True)
    return page, page.worker


def _failing_on(page):
    def fails():
        raise ValueError("no such thing")

    page.ask(fails, then=lambda result: None)
    return page, page._work.running


def _embedding_page(monkeypatch):
    from netcanvas.app.training.embedding_page import EmbeddingPage

    return _failing_on(EmbeddingPage())


def _cam_page(monkeypatch):
    from netcanvas.app.training.cam_page import CamPage

    return _failing_on(CamPage())


@pytest.mark.parametrize("make", [_lr_dialog, _outputs_page, _embedding_page, _cam_page],
                         ids=["lr_dialog", "outputs", "embedding", "cam"])
def test_a_result_queued_as_its_window_closes_reaches_no_deleted_widget(make, monkeypatch):
    # The work ends just as the window closes: the close finds it running and abandons it,
    # its result already queued for the GUI thread; delivered after its widget is deleted,
    # it must touch nothing (the Data tab's load flaked the GUI suite so).
    from netcanvas.app.main_window import abandon
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    widget, worker = make(monkeypatch)
    assert worker.wait(60_000)
    abandon([worker])
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()
