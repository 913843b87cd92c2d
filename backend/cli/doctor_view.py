"""`netcanvas train --doctor`: the training doctor's findings printed as they appear."""

from __future__ import annotations

import sys

from netcanvas.backend.doctor.live import TrainingDoctor
from netcanvas.backend.training.events import EpochEnded, LayerStats


class DoctorView:
    """A training-event sink: feeds the doctor and prints each new finding on one line,
    between the epoch lines, with its suggested fix."""

    def __init__(self, project, num_classes: int | None, before=None, stream=None) -> None:
        self.doctor = TrainingDoctor(project, num_classes)
        self.before = before  # called before printing (clears a progress bar)
        self.stream = stream or sys.stdout
        self.at = ""

    def __call__(self, event) -> None:
        if isinstance(event, LayerStats):
            self.at = f"epoch {event.epoch}, step {event.step}"
        elif isinstance(event, EpochEnded):
            self.at = f"end of epoch {event.epoch}"
        for f in self.doctor.observe(event):
            if self.before is not None:
                self.before()
            fix = f" (fix: {f.fix.title})" if f.fix is not None else ""
            print(f"doctor ({self.at}): {f.severity} [{f.rule}] {f.message}{fix}",
                  file=self.stream, flush=True)

    def close(self) -> None:
        pass
