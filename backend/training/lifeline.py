"""A training worker dies with the process that launched it (issue 29): when `torchrun`'s
launcher is killed, its workers would otherwise live on as orphans, holding memory and
waiting forever in a collective. On Linux the kernel sends SIGKILL at the parent's death
(PR_SET_PDEATHSIG); elsewhere a watchdog thread notices the new parent within a second."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 1.0


def follow_parent() -> None:
    """Tie this process's life to its current parent's."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still holds
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(1)
