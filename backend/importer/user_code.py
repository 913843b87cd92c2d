"""Running a trusted user's Python (the module, its constructor, its traced forward) so that
whatever it does ends as one refusal (issue 29): `sys.exit()` at top level is not a silent
success, and code that never returns is stopped after USER_CODE_SECONDS."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

USER_CODE_SECONDS = 120.0  # a real model builds and traces in well under a second


class UserCodeError(ValueError):
    """The user's code exited or ran too long; the message says which part and why."""


class _TimedOut(BaseException):
    """Raised into the user's code by the timer; a BaseException so `except Exception`
    in that code does not swallow it."""


@contextmanager
def guarded(what: str, seconds: float | None = None) -> Iterator[None]:
    """Run the body (the user's code) with SystemExit turned into UserCodeError and, in the
    main thread, a time limit. An enclosing SIGALRM timer (a test's watchdog) keeps firing
    when it is due."""
    seconds = USER_CODE_SECONDS if seconds is None else seconds
    try:
        with _time_limit(seconds):
            yield
    except SystemExit as exc:
        raise UserCodeError(f"{what} called sys.exit({exc.code!r}): nothing was "
                            "imported") from None
    except _TimedOut:
        raise UserCodeError(f"{what} did not finish within {seconds:g} s and was stopped "
                            "(a loop that never ends?)") from None


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only
        return
    start = time.monotonic()
    outer_remaining, outer_interval = signal.getitimer(signal.ITIMER_REAL)
    outer = signal.getsignal(signal.SIGALRM)

    def fire(signum, frame):
        if time.monotonic() - start >= seconds - 0.01 or not callable(outer):
            raise _TimedOut
        outer(signum, frame)  # the enclosing timer was due first

    signal.signal(signal.SIGALRM, fire)
    due = min(seconds, outer_remaining) if outer_remaining > 0 else seconds
    signal.setitimer(signal.ITIMER_REAL, due)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer)
        if outer_remaining > 0:
            left = outer_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), outer_interval)
