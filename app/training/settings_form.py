"""The training settings form, generated from the declarations in backend/settings.py.

Each field's widget, range, choices, label and tooltip come from its `Param`; this module
only groups the rows and says when a row matters (only the rows relevant to the chosen
optimizer, schedule and device are shown). An edit is a SetSetting offered to the document:
one undo step, refused with the reason when the declaration or this machine cannot take it.
"""

from __future__ import annotations

from netcanvas.app import param_editors as sw
from netcanvas.app.flow_layout import FlowLayout
from netcanvas.app.workers import Worker
from netcanvas.backend.graph import SetSetting
from netcanvas.backend.optimizers import OPTIMIZER_SETTINGS, OPTIMIZER_SPECS
from netcanvas.backend.project import Project, TrainingSettings
from netcanvas.backend.settings import TRAINING, runnable_reason
from netcanvas.graph_editor import EditDocument
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QVBoxLayout, QWidget

DEVICES = ("auto", "cpu")  # GPUs are added once detected


def _on_cuda(s: TrainingSettings, gpus: bool) -> bool:
    return s.device.startswith("cuda") or (s.device == "auto" and gpus)


GROUPS = {  # fields not named here go to the last group
    "Optimizer": ["optimizer", "lr", "momentum", "nesterov", "betas", "alpha", "rho",
                  "weight_decay", "grad_clip"],
    "Learning-rate schedule": ["schedule", "step_size", "gamma", "plateau_patience",
                               "warmup_epochs"],
    "Run": [],
    "Adversarial training": ["adversarial", "adversarial_eps", "adversarial_ratio"],
}

RELEVANT = {
    **{name: lambda s, _gpus, name=name: name in OPTIMIZER_SPECS[s.optimizer].settings
       for name in OPTIMIZER_SETTINGS},  # what the chosen optimizer takes
    "step_size": lambda s, _gpus: s.schedule == "step",
    "gamma": lambda s, _gpus: s.schedule in ("step", "plateau"),
    "plateau_patience": lambda s, _gpus: s.schedule == "plateau",
    "precision": _on_cuda,
    "channels_last": _on_cuda,
    "adversarial_eps": lambda s, _gpus: s.adversarial != "none",
    "adversarial_ratio": lambda s, _gpus: s.adversarial != "none",
}


class SettingsForm(QWidget):
    """Shows the document's TrainingSettings and offers each user edit to the document;
    follows the settings through undo and redo. `changed(field)` after every change."""

    changed = Signal(str)

    def __init__(self, document: EditDocument | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        column = QVBoxLayout(self)
        row = FlowLayout()  # the groups wrap to a second row where the dock is narrow
        column.addLayout(row)
        group_forms = {}
        for title in GROUPS:
            box = QGroupBox(title)
            group_forms[title] = QFormLayout(box)
            row.addWidget(box)
        self.message = sw.RefusalLabel()
        column.addWidget(self.message)
        column.addStretch(1)
        self.forms: dict[str, QFormLayout] = {}  # field -> the form showing it
        self.widgets: dict[str, QWidget] = {}
        self.document = None
        self._probe: Worker | None = None
        self.devices_probed = False
        self._gpus = False
        for param in TRAINING:
            widget = sw.make_widget(param, DEVICES if param.name == "device" else ())
            sw.changed(widget, lambda *_a, n=param.name: self._edited(n))
            self.widgets[param.name] = widget
            group = next((t for t, names in GROUPS.items() if param.name in names), "Run")
            self.forms[param.name] = group_forms[group]
            group_forms[group].addRow(sw.label(param), widget)
        self.set_document(document or EditDocument(Project(), self))

    # ---- settings <-> widgets ---------------------------------------------------------
    def set_document(self, document) -> None:
        """Show and edit another document's settings (after open/new)."""
        if self.document is not None:
            self.document.project.setting_changed.disconnect(self._setting_changed)
        self.document = document
        self.settings = document.project.training
        document.project.setting_changed.connect(self._setting_changed)
        for name, w in self.widgets.items():
            sw.show(w, getattr(self.settings, name))
        self.message.say("")
        self._update_visibility()

    def value(self, name: str):
        return sw.value(self.widgets[name])

    def _edited(self, name: str) -> None:
        value = self.value(name)
        if getattr(self.settings, name) == value:
            return
        reason = runnable_reason(value, "cuda" if _on_cuda(self.settings, self._gpus) else
                                 "cpu") if name == "precision" else None
        if reason is None:
            reason = self.document.offer(SetSetting("training", name, value))
        if reason:
            sw.show(self.widgets[name], getattr(self.settings, name))
        self.message.say(reason or "")

    def _setting_changed(self, section: str, name: str, value) -> None:
        if section != "training":
            return
        sw.show(self.widgets[name], value)
        self._update_visibility()
        self.changed.emit(name)

    def _update_visibility(self) -> None:
        for name, relevant in RELEVANT.items():
            self.forms[name].setRowVisible(self.widgets[name], relevant(self.settings, self._gpus))

    def row_visible(self, name: str) -> bool:
        return self.forms[name].isRowVisible(self.widgets[name])

    # ---- devices ------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.probe_devices()

    def probe_devices(self) -> None:
        """Ask torch which GPUs there are, once, in a thread (first time the form is shown)."""
        if self._probe is None:
            self._probe = Worker("netcanvas.backend.runtime.device:accelerators", parent=self,
                                 disposable=True)
            self._probe.returned.connect(self._devices_found)
            self._probe.start()

    def _devices_found(self, devices: list) -> None:
        combo: QComboBox = self.widgets["device"]
        combo.blockSignals(True)
        for name, label in devices:
            index = combo.findData(name)
            if index < 0:
                combo.addItem(label, name)
            else:
                combo.setItemText(index, label)
        combo.blockSignals(False)
        self.devices_probed = True
        self._gpus = any(name.startswith("cuda") for name, _label in devices)
        self._update_visibility()

    def shutdown(self) -> None:
        if self._probe is not None and not self._probe.abandoned:
            self._probe.wait(5000)
