import gc
import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app keeps its settings and crash-recovery files here during tests, not in the user's.
_SANDBOX = tempfile.mkdtemp(prefix="netcanvas-gui-tests-")
os.environ.setdefault("NETCANVAS_CONFIG_DIR", os.path.join(_SANDBOX, "config"))
os.environ.setdefault("NETCANVAS_RECOVERY_DIR", os.path.join(_SANDBOX, "recovery"))
os.environ.setdefault("NETCANVAS_DATA_DIR", os.path.join(_SANDBOX, "data"))  # run folders


@pytest.fixture(autouse=True)
def _widgets_destroyed_at_the_end_of_each_test(qapp):
    """Every window a test leaves is hidden and deleted here, on the GUI thread, with the
    deferred deletions processed and the garbage collected: no Qt object of one test is
    left for Python's collector to destroy later, perhaps while another test's worker runs
    (that deadlocked the suite once, issue 21 item 11)."""
    yield
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent, QThread
    from PySide6.QtWidgets import QApplication, QDialog, QMainWindow

    for widget in QApplication.topLevelWidgets():
        # windows only: a parentless menu or widget belongs to what made it (pyqtgraph's
        # plots keep some), which deletes it
        if (not shiboken6.isValid(widget) or widget.parent() is not None
                or not isinstance(widget, (QMainWindow, QDialog))):
            continue
        if any(t.isRunning() for t in widget.findChildren(QThread)):
            continue  # deleting a running thread aborts: its test's own teardown ends it
        widget.hide()  # not close(): no "save changes?" prompt at teardown
        widget.deleteLater()
        # one at a time: deleting a window may delete other top-levels with it
        QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.DeferredDelete)
