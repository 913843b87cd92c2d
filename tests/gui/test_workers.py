"""app/workers.py: the one way the app runs work off the GUI thread."""

from __future__ import annotations

import logging
import threading

from netcanvas.app.workers import Worker, error_line


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
    assert started.wait(5)
    worker.cancel()
    assert worker.wait(5000) and worker.result == "stopped"
