"""One editor widget per parameter kind, built from the registry's Param declaration.

Each editor emits `committed(value)` with a raw value when the user finishes an edit;
validation (and the message when it fails) is the inspector's job, so every kind is
checked by the same `Param.validate` the graph uses.
"""

from __future__ import annotations

import re
from typing import Any

from netcanvas.backend.registry import Param
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

INT_LIMIT = 2**31 - 1


class ParamEditor(QObject):
    committed = Signal(object)

    def __init__(self, param: Param, widget: QWidget) -> None:
        super().__init__(widget)
        self.param = param
        self.widget = widget
        widget.setToolTip(param.doc)

    def set_value(self, value: Any) -> None:
        self.widget.blockSignals(True)
        try:
            self._show(value)
        finally:
            self.widget.blockSignals(False)

    def _show(self, value: Any) -> None:
        raise NotImplementedError


class IntEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        spin = QSpinBox()
        spin.setRange(int(param.min) if param.min is not None else -INT_LIMIT,
                      int(param.max) if param.max is not None else INT_LIMIT)
        spin.setKeyboardTracking(False)  # commit on Enter, focus-out or a step, not per key
        spin.setAccelerated(True)
        super().__init__(param, spin)
        spin.valueChanged.connect(self.committed.emit)

    def _show(self, value: Any) -> None:
        self.widget.setValue(int(value))


class BoolEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        super().__init__(param, QCheckBox())
        self.widget.toggled.connect(self.committed.emit)

    def _show(self, value: Any) -> None:
        self.widget.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        combo = QComboBox()
        combo.addItems(list(param.choices))
        super().__init__(param, combo)
        combo.currentTextChanged.connect(self.committed.emit)

    def _show(self, value: Any) -> None:
        self.widget.setCurrentText(str(value))


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value) if "e" in repr(value) else f"{value:g}"
    return str(value)


class TextEditor(ParamEditor):
    """float, ints ("3, 3" or "3x3"), optional int and str: parsed on Enter or focus-out."""

    def __init__(self, param: Param) -> None:
        edit = QLineEdit()
        if param.kind == "ints":
            edit.setPlaceholderText("e.g. 3 or 3, 3" if param.length != 1 else "e.g. 3")
        if param.optional:
            edit.setPlaceholderText("none")
        super().__init__(param, edit)
        edit.editingFinished.connect(self._finished)
        self._shown = ""

    def _show(self, value: Any) -> None:
        self._shown = _format(value)
        self.widget.setText(self._shown)

    def _finished(self) -> None:
        text = self.widget.text().strip()
        if text != self._shown:
            self.committed.emit(parse_text(self.param, text))


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
    if param.kind == "ints":  # one number stands for all of a pair ("3" -> 3, 3)
        return values[0] if len(values) == 1 and param.length else values
    return values[0] if len(values) == 1 else text


def make_editor(param: Param) -> ParamEditor:
    if param.kind == "int" and not param.optional:
        return IntEditor(param)
    if param.kind == "bool":
        return BoolEditor(param)
    if param.kind == "choice":
        return ChoiceEditor(param)
    return TextEditor(param)
