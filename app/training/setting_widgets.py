"""One widget per setting, built from its `Param` declaration (backend/settings.py).

The Settings and Data forms and the dataset options all use these: the range, the choices,
the label and the tooltip come from the declaration, never from the form. `changed(widget,
slot)` connects the edit signal; `value` / `show` read and write the widget.
"""

from __future__ import annotations

import math
from typing import Any

from netcanvas.app.icons import status_color
from netcanvas.app.param_editors import parse_text
from netcanvas.backend.registry import Param
from PySide6.QtGui import QPalette, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)


class RefusalLabel(QLabel):
    """Why the document refused the last edit; hidden when it took it."""

    def __init__(self) -> None:
        super().__init__(wordWrap=True, visible=False)
        pal = self.palette()
        pal.setColor(QPalette.WindowText, status_color("error"))
        self.setPalette(pal)

    def say(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


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


def label(param: Param) -> str:
    return param.label or param.name.replace("_", " ").capitalize()


def _float_box(param: Param) -> QDoubleSpinBox:
    if param.min is not None and param.min >= 0 and param.max is not None and param.max <= 1:
        return QDoubleSpinBox(minimum=param.min, maximum=param.max, decimals=4, singleStep=0.05)
    return SciSpinBox(param.min if param.min is not None else -1e300,
                      param.max if param.max is not None else 1e300)


def make_widget(param: Param, choices: tuple[str, ...] = ()) -> QWidget:
    """The widget for `param`; `choices` turns a text setting into a list (devices)."""
    if param.kind == "choice" or choices:
        w = QComboBox()
        for choice in choices or param.choices:
            w.addItem(choice, choice)
    elif param.kind == "bool":
        w = QCheckBox()
    elif param.kind == "int" and not param.optional:
        w = QSpinBox(minimum=int(param.min), maximum=int(param.max))
    elif param.kind == "float":
        w = _float_box(param)
    elif param.kind == "floats":
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        w.parts = [_float_box(param) for _ in range(param.length or 1)]
        for part in w.parts:
            row.addWidget(part)
    else:  # text, and optional numbers: empty means "no value"
        w = QLineEdit(placeholderText="auto" if param.optional else "")
    w.setObjectName(param.name)
    w.setToolTip(param.doc)
    w.param = param
    return w


def changed(w: QWidget, slot) -> None:
    if isinstance(w, QComboBox):
        w.currentIndexChanged.connect(slot)
    elif isinstance(w, QCheckBox):
        w.toggled.connect(slot)
    elif isinstance(w, QLineEdit):
        w.editingFinished.connect(slot)
    elif hasattr(w, "parts"):
        for part in w.parts:
            part.valueChanged.connect(slot)
    else:
        w.valueChanged.connect(slot)


def value(w: QWidget) -> Any:
    """What the widget shows, as a raw value for the declaration to judge."""
    if isinstance(w, QComboBox):
        return w.currentData()
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QLineEdit):
        text = w.text().strip()
        if not text and not w.param.optional:
            return w.param.default
        return parse_text(w.param, text)
    if hasattr(w, "parts"):
        return tuple(p.value() for p in w.parts)
    return w.value()


def show(w: QWidget, v: Any) -> None:
    """Show `v` without emitting an edit."""
    parts = getattr(w, "parts", [w])
    for part in parts:
        part.blockSignals(True)
    try:
        if isinstance(w, QComboBox):
            if w.findData(v) < 0:
                w.addItem(str(v), v)
            w.setCurrentIndex(w.findData(v))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(v))
        elif isinstance(w, QLineEdit):
            w.setText("" if v is None else ", ".join(map(str, v)) if isinstance(v, (list, tuple))
                      else str(v))
        elif hasattr(w, "parts"):
            for part, item in zip(w.parts, v):
                part.setValue(item)
        else:
            w.setValue(v)
    finally:
        for part in parts:
            part.blockSignals(False)
