"""A fixture that fails a test which leaves a process behind (issue 29): every process the
test starts carries a tag in its environment (inherited by grandchildren, and kept by
orphans that the init process adopted), and after the test no process but this one may
carry it. Leftovers are killed, so one failure does not leak into the next test."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

import pytest

TAG = "NETCANVAS_TEST_PROCESS_TAG"


def tagged(tag: str) -> list[int]:
    """The processes (other than this one) whose environment holds TAG=tag."""
    needle = f"{TAG}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone, or not ours to read
        if state != "Z" and needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.fixture
def no_process_left(monkeypatch):
    if not Path("/proc/self/environ").exists():
        pytest.skip("needs /proc to list processes")
    tag = uuid.uuid4().hex
    monkeypatch.setenv(TAG, tag)
    yield tag
    deadline = time.monotonic() + 15  # a process told to stop gets a moment to do so
    while (left := tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    assert not left, f"processes left behind: {left}"
