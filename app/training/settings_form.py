"""The training settings form, generated from the TrainingSettings dataclass.

Each field's widget follows its default's type; the tables below add what a type cannot say
(choices, ranges, when a field matters). Only the rows relevant to the chosen optimizer,
schedule and device are shown.
"""

from __future__ import annotations

import dataclasses
import math

from netcanvas.backend.project import TrainingSettings
from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QSpinBox,
    QWidget,
)

CHOICES = {
    "optimizer": ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamw"],
    "schedule": ["none", "step", "cosine", "onecycle", "plateau"],
    "monitor": ["val_loss", "val_accuracy"],
    "precision": ["fp32", "bf16", "fp16"],
    "device": ["auto", "cpu"],  # GPUs are added once detected
}
LABELS = {
    "lr": "Learning rate", "betas": "Betas (β1, β2)", "alpha": "RMSprop α", "rho": "Adadelta ρ",
    "step_size": "Decay every (epochs)", "gamma": "Decay factor γ", "warmup_epochs": "Warm-up epochs",
    "grad_clip": "Gradient clip (0 = off)", "early_stopping_patience": "Early stopping patience",
    "monitor": "Monitor (best epoch)", "precision": "Mixed precision",
    "channels_last": "Channels last",
}
INT_RANGES = {"epochs": (1, 100_000), "batch_size": (1, 65_536), "seed": (0, 2**31 - 1),
              "step_size": (1, 10_000), "warmup_epochs": (0, 10_000),
              "early_stopping_patience": (0, 10_000),
              "plateau_patience": (0, 10_000)}
FLOAT_RANGES = {"lr": (1e-9, 1e9), "weight_decay": (0.0, 10.0), "momentum": (0.0, 0.9999),
                "alpha": (0.0, 0.9999), "rho": (0.0, 0.9999), "gamma": (1e-6, 1.0),
                "grad_clip": (0.0, 1e6), "betas": (0.0, 0.99999)}


def _on_cuda(s: TrainingSettings, gpus: bool) -> bool:
    return s.device.startswith("cuda") or (s.device == "auto" and gpus)


GROUPS = {  # fields not named here go to the last group
    "Optimizer": ["optimizer", "lr", "momentum", "nesterov", "betas", "alpha", "rho",
                  "weight_decay", "grad_clip"],
    "Learning-rate schedule": ["schedule", "step_size", "gamma", "plateau_patience",
                               "warmup_epochs"],
    "Run": [],
}

RELEVANT = {
    "momentum": lambda s, _gpus: s.optimizer in ("sgd", "rmsprop"),
    "nesterov": lambda s, _gpus: s.optimizer == "sgd",
    "betas": lambda s, _gpus: s.optimizer in ("adam", "adamw"),
    "alpha": lambda s, _gpus: s.optimizer == "rmsprop",
    "rho": lambda s, _gpus: s.optimizer == "adadelta",
    "step_size": lambda s, _gpus: s.schedule == "step",
    "gamma": lambda s, _gpus: s.schedule in ("step", "plateau"),
    "plateau_patience": lambda s, _gpus: s.schedule == "plateau",
    "precision": _on_cuda,
    "channels_last": _on_cuda,
}


class SciSpinBox(QDoubleSpinBox):
    """A float spin box that shows and accepts 1e-3 style values and steps by decades."""

    def __init__(self, lo: float, hi: float) -> None:
        super().__init__()
        self.setDecimals(12)
        self.setRange(lo, hi)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        return float(text)

    def validate(self, text, pos):
        from PySide6.QtGui import QValidator

        try:
            float(text)
            return QValidator.State.Acceptable, text, pos
        except ValueError:
            return QValidator.State.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:
        value = self.value()
        if value > 0:
            self.setValue(10 ** (math.log10(value) + 0.5 * steps))
        else:
            super().stepBy(steps)


class _DeviceProbe(QThread):
    """torch.cuda probing can take seconds; do it off the GUI thread."""

    found = Signal(list)

    def run(self) -> None:
        import torch

        names = [f"cuda:{i}" if i else "cuda" for i in range(torch.cuda.device_count())]
        labels = [f"{n} ({torch.cuda.get_device_name(i)})" for i, n in enumerate(names)]
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            names.append("mps")
            labels.append("mps (Apple GPU)")
        self.found.emit(list(zip(names, labels)))


class SettingsForm(QWidget):
    """Edits a TrainingSettings in place; `changed(field)` after every user edit."""

    changed = Signal(str)

    def __init__(self, settings: TrainingSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        group_forms = {}
        for title in GROUPS:
            box = QGroupBox(title)
            group_forms[title] = QFormLayout(box)
            row.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)
        self.forms: dict[str, QFormLayout] = {}  # field -> the form showing it
        self.widgets: dict[str, QWidget] = {}
        self._loading = False
        self._probe: _DeviceProbe | None = None
        self.devices_probed = False
        self._gpus = False
        for f in dataclasses.fields(TrainingSettings):
            widget = self._make_widget(f.name, f.default if f.default is not dataclasses.MISSING
                                       else f.default_factory())
            self.widgets[f.name] = widget
            label = LABELS.get(f.name, f.name.replace("_", " ").capitalize())
            group = next((t for t, names in GROUPS.items() if f.name in names), "Run")
            self.forms[f.name] = group_forms[group]
            group_forms[group].addRow(label, widget)
        self.set_settings(settings)

    # ---- building -----------------------------------------------------------------
    def _make_widget(self, name: str, default) -> QWidget:
        if name in CHOICES:
            w = QComboBox()
            for choice in CHOICES[name]:
                w.addItem(choice, choice)
            w.currentIndexChanged.connect(lambda _i, n=name: self._edited(n))
        elif isinstance(default, bool):
            w = QCheckBox()
            w.toggled.connect(lambda _v, n=name: self._edited(n))
        elif isinstance(default, int):
            w = QSpinBox()
            w.setRange(*INT_RANGES.get(name, (0, 10**9)))
            w.valueChanged.connect(lambda _v, n=name: self._edited(n))
        elif isinstance(default, float):
            w = SciSpinBox(*FLOAT_RANGES.get(name, (0.0, 1e9)))
            w.valueChanged.connect(lambda _v, n=name: self._edited(n))
        elif isinstance(default, tuple):
            w = QWidget()
            row = QHBoxLayout(w)
            row.setContentsMargins(0, 0, 0, 0)
            w.parts = []
            for _ in default:
                part = SciSpinBox(*FLOAT_RANGES.get(name, (0.0, 1e9)))
                part.valueChanged.connect(lambda _v, n=name: self._edited(n))
                row.addWidget(part)
                w.parts.append(part)
        else:
            raise TypeError(f"no widget for TrainingSettings.{name} ({type(default).__name__})")
        w.setObjectName(name)
        return w

    # ---- settings <-> widgets ---------------------------------------------------------
    def set_settings(self, settings: TrainingSettings) -> None:
        """Show another project's settings (after open/new)."""
        self.settings = settings
        self._loading = True
        try:
            for name, w in self.widgets.items():
                value = getattr(settings, name)
                if isinstance(w, QComboBox):
                    if w.findData(value) < 0:
                        w.addItem(value, value)
                    w.setCurrentIndex(w.findData(value))
                elif isinstance(w, QCheckBox):
                    w.setChecked(bool(value))
                elif hasattr(w, "parts"):
                    for part, v in zip(w.parts, value):
                        part.setValue(v)
                else:
                    w.setValue(value)
        finally:
            self._loading = False
        self._update_visibility()

    def value(self, name: str):
        w = self.widgets[name]
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if hasattr(w, "parts"):
            return tuple(p.value() for p in w.parts)
        return w.value()

    def _edited(self, name: str) -> None:
        if self._loading or getattr(self.settings, name) == self.value(name):
            return
        setattr(self.settings, name, self.value(name))
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
            self._probe = _DeviceProbe(self)
            self._probe.found.connect(self._devices_found)
            self._probe.start()

    def _devices_found(self, devices: list) -> None:
        combo: QComboBox = self.widgets["device"]
        self._loading = True
        for name, label in devices:
            index = combo.findData(name)
            if index < 0:
                combo.addItem(label, name)
            else:
                combo.setItemText(index, label)
        self._loading = False
        self.devices_probed = True
        self._gpus = any(name.startswith("cuda") for name, _label in devices)
        self._update_visibility()

    def shutdown(self) -> None:
        if self._probe is not None:
            self._probe.wait(5000)
