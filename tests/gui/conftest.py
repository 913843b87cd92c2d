import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app keeps its settings and crash-recovery files here during tests, not in the user's.
_SANDBOX = tempfile.mkdtemp(prefix="netcanvas-gui-tests-")
os.environ.setdefault("NETCANVAS_CONFIG_DIR", os.path.join(_SANDBOX, "config"))
os.environ.setdefault("NETCANVAS_RECOVERY_DIR", os.path.join(_SANDBOX, "recovery"))
os.environ.setdefault("NETCANVAS_DATA_DIR", os.path.join(_SANDBOX, "data"))  # run folders


import gc  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _widgets_destroyed_at_the_end_of_each_test(qapp):
    """Every window a test leaves is closed and deleted here, on the GUI thread, with the
    deferred deletions processed and the garbage collected: no Qt object of one test is
    left for Python's collector to destroy later, perhaps while another test's worker runs
    (that deadlocked the suite once, issue 21 item 11)."""
    yield
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
