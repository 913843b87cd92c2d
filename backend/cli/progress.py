"""Progress of a long command on the terminal: one line rewritten in place on stderr, only
when stderr is a terminal (pipes and logs get the results alone), at most ~10 times a
second."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, what: str, total: int, stream=None) -> None:
        self.what, self.total, self.done = what, total, 0
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()
        self.last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.shown and (now - self.last > 0.1 or self.done >= self.total):
            self.last = now
            self.stream.write(f"\r{self.what}: {self.done}/{self.total} "
                              f"({self.done / max(self.total, 1):.0%})")
            self.stream.flush()

    def close(self) -> None:
        if self.shown and self.done:
            self.stream.write("\r\033[K")  # the line is cleared: results follow
            self.stream.flush()
