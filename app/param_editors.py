"""The one widget factory for a registry `Param`: the inspector's layer parameters, the
Settings and Data forms and the dataset options all build their fields here, so the range,
the choices, the label and the tooltip come from the declaration, never from the form.

    w = make_widget(param)        # the widget for its kind
    changed(w, slot)              # connect the edit signal
    value(w) / show(w, v)         # read the raw value (for Param.validate to judge) / show one
    ParamEditor(param)            # the same widget emitting `committed(value)` per edit

Validation (and the message when it fails) is the caller's: every kind is checked by the
same `Param.validate` the graph and the settings use.
"""

from __future__ import annotations

import math
import re
from typing import Any

from netcanvas.app.icons import status_color
from netcanvas.backend.registry import Param
from PySide6.QtCore import QObject, Signal
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

INT_LIMIT = 2**31 - 1


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
    """Steps of 0.05 for a fraction shown to 4 decimals (dropout, momentum), else decades."""
    if (param.min is not None and param.min >= 0 and param.max is not None and param.max <= 1
            and all(round(x, 4) == x for x in (param.min, *_numbers(param.default)))):
        return QDoubleSpinBox(minimum=param.min, maximum=param.max, decimals=4, singleStep=0.05)
    return SciSpinBox(param.min if param.min is not None else -1e300,
                      param.max if param.max is not None else 1e300)


def _numbers(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _int_box(param: Param) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(int(param.min) if param.min is not None else -INT_LIMIT,
                  int(param.max) if param.max is not None else INT_LIMIT)
    spin.setAccelerated(True)
    return spin


def _line_edit(param: Param, none_text: str) -> QLineEdit:
    edit = QLineEdit()
    if param.kind == "ints":
        edit.setPlaceholderText("e.g. 3 or 3, 3" if param.length != 1 else "e.g. 3")
    if param.optional:
        edit.setPlaceholderText(none_text)
    return edit


def make_widget(param: Param, choices: tuple[str, ...] = (), *, spin_floats: bool = True,
                none_text: str = "auto") -> QWidget:
    """The widget for `param`: a list for a choice (`choices` turns a text param into one:
    devices), a check box, a spin box for an int (and a float unless `spin_floats` is off:
    the inspector takes them typed), a row of spin boxes for a float pair, else a line edit
    whose empty text means "no value" (shown as `none_text`)."""
    if param.kind == "choice" or choices:
        w = QComboBox()
        for choice in choices or param.choices:
            w.addItem(choice, choice)
    elif param.kind == "bool":
        w = QCheckBox()
    elif param.kind == "int" and not param.optional:
        w = _int_box(param)
    elif param.kind == "float" and spin_floats:
        w = _float_box(param)
    elif param.kind == "floats" and spin_floats and param.length:
        w = QWidget()
        row = QHBoxLayout(w)
        row.setContentsMargins(0, 0, 0, 0)
        w.parts = [_float_box(param) for _ in range(param.length)]
        for part in w.parts:
            row.addWidget(part)
    else:  # text, and numbers typed ("3, 3", "1e-3"; optional ones may be empty)
        w = _line_edit(param, none_text)
    w.setObjectName(param.name)
    w.setToolTip(param.doc)
    w.param = param
    return w


def changed(w: QWidget, slot) -> None:
    """Call `slot` after each edit: a pick, a toggle, a step or Enter in a spin box (not
    every key), Enter or focus-out in a line edit."""
    if isinstance(w, QComboBox):
        w.currentIndexChanged.connect(slot)
    elif isinstance(w, QCheckBox):
        w.toggled.connect(slot)
    elif isinstance(w, QLineEdit):
        w.editingFinished.connect(slot)
    else:
        for part in getattr(w, "parts", [w]):
            part.setKeyboardTracking(False)
            part.valueChanged.connect(slot)


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
            w.setText(format_value(v))
        elif hasattr(w, "parts"):
            for part, item in zip(w.parts, v):
                part.setValue(item)
        else:
            w.setValue(v)
    finally:
        for part in parts:
            part.blockSignals(False)


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value) if "e" in repr(value) else f"{value:g}"
    return str(value)


def parse_text(param: Param, text: str) -> Any:
    """Turn what the user typed into a raw value for `Param.validate` to judge."""
    if text == "" and param.optional:
        return None
    if param.kind == "str":
        return text
    parts = [p for p in re.split(r"[\s,x×()\[\]]+", text) if p]
    values = []
    for part in parts:
        try:
            values.append(int(part) if param.kind != "float" else float(part))
        except ValueError:
            try:
                values.append(float(part))
            except ValueError:
                return text  # let validate() name the field and the bad text
    if param.kind in ("ints", "floats"):  # one number stands for all of a pair ("3" -> 3, 3)
        return values[0] if len(values) == 1 and param.length else values
    return values[0] if len(values) == 1 else text


class ParamEditor(QObject):
    """A layer parameter's field in the inspector: `make_widget`'s widget (numbers typed),
    emitting `committed(raw value)` once per edit that changed what it shows."""

    committed = Signal(object)

    def __init__(self, param: Param) -> None:
        self.widget = make_widget(param, spin_floats=False, none_text="none")
        super().__init__(self.widget)
        self.param = param
        self._shown: Any = None
        changed(self.widget, self._edited)

    def set_value(self, v: Any) -> None:
        show(self.widget, v)
        self._shown = value(self.widget)

    def _edited(self, *_args) -> None:
        v = value(self.widget)
        if isinstance(self.widget, QLineEdit) and v == self._shown:
            return  # Enter or focus-out on an unchanged text
        self._shown = v
        self.committed.emit(v)



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
