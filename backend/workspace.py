"""What the user is working with, Qt-free: the open project, its runs, the run shown in the
evaluation views, the loaded dataset, the running training job and the chosen test sample.

The app's training dock keeps it up to date; views (the dock's tabs, the Circuit, the
doctor's badges on the canvas) subscribe to the fields they show and are handed the
workspace, not the main window nor the dock:

    unsubscribe = workspace.subscribe("shown", lambda run: ...)
    workspace.update(shown=run, sample=3)    # subscribers of each changed field are called

Besides its fields it carries one stream, told and not kept: "event", each event of the
running job in order (the dock publishes what the job's worker sends; the Run tab's plots
and the training doctor subscribe), so no view is fed a run's events by the dock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netcanvas.backend.project import config_key

FIELDS = ("project", "runs", "shown", "dataset", "dataset_key", "job", "sample")
STREAMS = ("event",)  # published, not kept


class Workspace:
    def __init__(self) -> None:
        self.project = None  # the open Project
        self.runs = None  # its RunStore
        self.shown = None  # the usable Run the evaluation views and the exports show
        self.dataset = None  # the dataset the Data tab loaded (a backend Dataset)
        self.dataset_key = None  # the config_key of the DatasetConfig it was loaded for
        self.job = None  # the training job running now, None between runs
        self.sample = 0  # the index of the test sample chosen for the look-inside views
        self._subscribers: dict[str, list[Callable[[Any], None]]] = {
            name: [] for name in FIELDS + STREAMS}

    def subscribe(self, field: str, callback: Callable[[Any], None]) -> Callable[[], None]:
        """Call `callback(new value)` whenever `field` changes (or, for a stream, with each
        value published on it); returns the unsubscribe."""
        if field not in self._subscribers:
            raise KeyError(f"a workspace has no field {field!r}; it has "
                           f"{', '.join(FIELDS + STREAMS)}")
        self._subscribers[field].append(callback)
        return lambda: self._subscribers[field].remove(callback)

    def update(self, *, renewed: tuple[str, ...] = (), **changes: Any) -> None:
        """Set the given fields; once all are set, tell each changed field's subscribers
        (a field set to what it holds already is not a change, unless it is `renewed`: the
        same object changed inside, as the shown run when it has trained on)."""
        unknown = sorted((set(changes) | set(renewed)) - set(FIELDS))
        if unknown:
            raise KeyError(f"a workspace has no field {unknown[0]!r}; it has {', '.join(FIELDS)}")
        changed = [f for f, value in changes.items()
                   if f in renewed or not _same(getattr(self, f), value)]
        for field in changed:
            setattr(self, field, changes[field])
        for field in changed:
            for callback in list(self._subscribers[field]):
                callback(changes[field])

    def on_events(self, handlers: dict[type, Callable[[Any], None]]) -> Callable[[], None]:
        """Subscribe to the "event" stream by the event's type: `handlers[type(event)](event)`
        for each event of a listed type, the others passed over; returns the unsubscribe."""
        def heard(event: Any) -> None:
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)

        return self.subscribe("event", heard)

    def publish(self, stream: str, value: Any) -> None:
        """Tell `stream`'s subscribers `value` (kept nowhere): an event of the running job."""
        if stream not in STREAMS:
            raise KeyError(f"a workspace has no stream {stream!r}; it has {', '.join(STREAMS)}")
        for callback in list(self._subscribers[stream]):
            callback(value)

    @property
    def running(self) -> bool:
        return self.job is not None

    def dataset_for(self, project):
        """The loaded dataset when it is `project`'s data (the same config), else None:
        then whoever needs it loads it anew."""
        if self.dataset is None or self.dataset_key != config_key(project.dataset):
            return None
        return self.dataset

    def trained_run(self):
        """The shown run while the open project's graph is still the one it trained (its
        weights fit the canvas), else None."""
        run = self.shown
        if run is None or self.project is None or run.graph_changed(self.project):
            return None
        return run


def _same(old: Any, new: Any) -> bool:
    """The same object, or the same number (the sample index)."""
    return old is new or (type(old) is type(new) is int and old == new)
