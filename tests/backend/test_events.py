"""The training events are declared once (backend/training/events.py EVENTS): every event
class is in the list, and the multi-process runs' log decodes every one of them."""

from __future__ import annotations

import dataclasses
import inspect

from netcanvas.backend.training import events as ev
from netcanvas.backend.training import remote


def test_every_event_class_is_declared_in_the_one_list():
    classes = {c for _, c in inspect.getmembers(ev, inspect.isclass)
               if dataclasses.is_dataclass(c) and c.__module__ == ev.__name__}
    assert classes - {ev.RunResult} == set(ev.EVENTS)
    assert set(ev.Event.__args__) == set(ev.EVENTS)


def test_the_remote_log_knows_every_event_by_name():
    assert remote._TYPES == {cls.__name__: cls for cls in ev.EVENTS}
