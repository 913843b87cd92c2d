"""The one way the app runs work off the GUI thread (napari's `thread_worker` idea).

    worker = Worker(backend_function, *args, parent=widget, **kwargs)
    worker = Worker("netcanvas.backend.data:load_dataset", ...)  # imported on the worker
    worker.returned.connect(...)   # its return value
    worker.errored.connect(...)    # the exception it raised (logged when nothing listens)
    worker.yielded.connect(...)    # each value a generator function yields, or `send`s
    worker.start()

The work is a backend call: no widget, no live document, no torch arithmetic of the app's
own. Everything it hands back is a plain value (numbers, strings, numpy arrays, dataclasses);
Qt queues it to the receivers, which live on the GUI thread. Work that reports through
callbacks rather than yields, or polls for cancellation, closes over the worker:
`Worker(lambda: load(progress=worker.send, cancel=lambda: worker.cancelled))`.
A Worker is a QThread parented to a widget, so closing the window finds and waits for it;
one no widget owns (its receiver may be deleted first) is started with `start_unowned`.
"""

from __future__ import annotations

import atexit
import importlib
import inspect
import logging

from PySide6.QtCore import QMetaMethod, QObject, QThread, Signal

log = logging.getLogger(__name__)


class Worker(QThread):
    yielded = Signal(object)
    returned = Signal(object)
    errored = Signal(object)  # the exception

    def __init__(self, work, *args, parent=None, disposable: bool = False, **kwargs) -> None:
        super().__init__(parent)
        self._call = (work, args, kwargs)
        # Work that only fills a view (a load, an import): closing the window never waits
        # for it, and the process may end under it.
        self.disposable = disposable
        self.abandoned = False  # left running when its window closed (main_window.abandon)
        self.result = None  # the return value, once returned
        self.cancelled = False  # a request the work may poll; nothing stops it by force

    def cancel(self) -> None:
        self.cancelled = True

    def send(self, value) -> None:
        """Hand `value` to the GUI thread (from the work, on this thread)."""
        self.yielded.emit(value)

    def run(self) -> None:
        work, args, kwargs = self._call
        try:
            if isinstance(work, str):  # torch-heavy modules take seconds to import
                module, name = work.split(":")
                work = getattr(importlib.import_module(module), name)
            result = work(*args, **kwargs)
            if inspect.isgenerator(result):
                result = _send_all(result, self.send)
        except Exception as exc:
            if not self.isSignalConnected(QMetaMethod.fromSignal(self.errored)):
                log.exception("work on a worker thread failed")
            self.errored.emit(exc)
            return
        self.result = result
        self.returned.emit(result)


_UNOWNED: set[Worker] = set()


def start_unowned(worker: Worker) -> None:
    """Start a parentless worker, kept referenced until it ends (a QThread destroyed while
    running aborts the process); its results reach receivers still alive."""
    _UNOWNED.add(worker)
    worker.finished.connect(lambda: _UNOWNED.discard(worker))
    worker.start()


@atexit.register
def _wait_unowned() -> None:
    for worker in list(_UNOWNED):
        worker.wait()


def _send_all(generator, send):
    """Send each value `generator` yields; its return value."""
    while True:
        try:
            send(next(generator))
        except StopIteration as stop:
            return stop.value


def error_line(exc: Exception, expected: type | tuple[type, ...] = ()) -> str:
    """For the user: an `expected` error's own message, anything else (a bug, which must show,
    not take the app down) with its type named."""
    if isinstance(exc, expected):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


class Latest(QObject):
    """One request at a time on an unowned `Worker`, for work that follows the user's input (a
    stroke, a slider, an edit): a request made while one runs waits, replacing any request
    already waiting, and starts when the running one ends; so only the newest input is
    computed next. `done(context, result)` and `failed(context, exception)` run on the GUI
    thread; `context` is whatever the request was made with (what the answer is for)."""

    def __init__(self, parent: QObject, done, failed=None) -> None:
        super().__init__(parent)
        self._done, self._failed = done, failed
        self.running: Worker | None = None
        self._context = None
        self._waiting: tuple | None = None  # (work, args, context)

    @property
    def busy(self) -> bool:
        return self.running is not None or self._waiting is not None

    def request(self, work, *args, context=None) -> None:
        if self.running is not None:
            self._waiting = (work, args, context)
            return
        worker = self.running = Worker(work, *args)
        self._context = context
        worker.returned.connect(self._returned)
        worker.errored.connect(self._errored)
        start_unowned(worker)  # the widget may close first: the answer then goes nowhere

    def cancel(self) -> None:
        """Drop the waiting request and ask the running one to stop (it may poll
        `worker.cancelled`); its answer, if any, still comes."""
        self._waiting = None
        if self.running is not None:
            self.running.cancel()

    def _returned(self, result) -> None:
        context = self._next()
        self._done(context, result)

    def _errored(self, exc: Exception) -> None:
        context = self._next()
        if self._failed is None:
            raise exc
        self._failed(context, exc)

    def _next(self):
        """The answered request's context; the waiting request, if any, starts."""
        context, self.running = self._context, None
        if self._waiting is not None:
            work, args, waiting = self._waiting
            self._waiting = None
            self.request(work, *args, context=waiting)
        return context
