import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app keeps its settings and crash-recovery files here during tests, not in the user's.
_SANDBOX = tempfile.mkdtemp(prefix="netcanvas-gui-tests-")
os.environ.setdefault("NETCANVAS_CONFIG_DIR", os.path.join(_SANDBOX, "config"))
os.environ.setdefault("NETCANVAS_RECOVERY_DIR", os.path.join(_SANDBOX, "recovery"))
os.environ.setdefault("NETCANVAS_DATA_DIR", os.path.join(_SANDBOX, "data"))  # run folders
