"""A project: the graph plus the dataset choice and training settings saved with it.

The settings' defaults, ranges, choices and docs are declared in `settings.py`; the
dataclasses below only name the fields (a test keeps the two in step).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from netcanvas.backend.blocks.definition import BlockSet, attach
from netcanvas.backend.graph import Event, Graph
from netcanvas.backend.registry.spec import ParamError
from netcanvas.backend.settings import (
    DATASET,
    SECTIONS,
    TRAINING,
    declaration,
    validate_options,
    validate_setting,
)

_DEFAULTS = {s: {p.name: p.default for p in params} for s, params in SECTIONS.items()}


def _t(name: str) -> Any:
    return _DEFAULTS["training"][name]


def _d(name: str) -> Any:
    return _DEFAULTS["dataset"][name]


@dataclass
class DatasetConfig:
    name: str = _d("name")
    path: str | None = _d("path")
    options: dict[str, Any] = field(default_factory=dict)  # declared per dataset
    val_fraction: float = _d("val_fraction")
    test_fraction: float = _d("test_fraction")
    normalize: bool = _d("normalize")
    augment_crop_padding: int = _d("augment_crop_padding")
    augment_flip: bool = _d("augment_flip")
    augment_resized_crop: float = _d("augment_resized_crop")  # backend/augmentations.py
    augment_rotation: float = _d("augment_rotation")
    augment_affine: float = _d("augment_affine")
    augment_color_jitter: float = _d("augment_color_jitter")
    augment_grayscale: float = _d("augment_grayscale")
    augment_blur: float = _d("augment_blur")
    augment_erasing: float = _d("augment_erasing")
    augment_mix: str = _d("augment_mix")
    augment_mix_alpha: float = _d("augment_mix_alpha")


def config_key(config: DatasetConfig) -> str:
    """Equal keys mean the same data: a loaded dataset is reused for training."""
    return json.dumps(dataclasses.asdict(config), sort_keys=True, default=str)


@dataclass
class TrainingSettings:
    optimizer: str = _t("optimizer")
    lr: float = _t("lr")
    momentum: float = _t("momentum")
    nesterov: bool = _t("nesterov")
    weight_decay: float = _t("weight_decay")
    betas: tuple[float, float] = _t("betas")
    alpha: float = _t("alpha")
    rho: float = _t("rho")
    epochs: int = _t("epochs")
    batch_size: int = _t("batch_size")
    seed: int = _t("seed")
    schedule: str = _t("schedule")
    step_size: int = _t("step_size")
    gamma: float = _t("gamma")
    plateau_patience: int = _t("plateau_patience")
    warmup_epochs: int = _t("warmup_epochs")
    grad_clip: float = _t("grad_clip")
    early_stopping_patience: int = _t("early_stopping_patience")
    monitor: str = _t("monitor")
    device: str = _t("device")
    precision: str = _t("precision")
    channels_last: bool = _t("channels_last")
    adversarial: str = _t("adversarial")
    adversarial_eps: float = _t("adversarial_eps")
    adversarial_ratio: float = _t("adversarial_ratio")


assert {
    *TrainingSettings.__dataclass_fields__} == {p.name for p in TRAINING}, "declare every field"
assert {*DatasetConfig.__dataclass_fields__} == {p.name for p in DATASET} | {"options"}


@dataclass
class Project:
    graph: Graph = field(default_factory=Graph)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    description: str = ""
    blocks: BlockSet = field(default_factory=BlockSet)  # block definitions, by name

    def __post_init__(self) -> None:
        self.setting_changed = Event()  # (section, name, value)
        if self.graph.blocks is not None and not self.blocks:  # a graph built with its blocks
            self.blocks = self.graph.blocks
        attach(self.graph, self.blocks, None)

    def setting(self, section: str, name: str) -> Any:
        """The value of one setting; ParamError naming the field when there is no such one."""
        if section not in SECTIONS:
            raise ParamError(f"{section}: no such settings (expected training or dataset)")
        if (section, name) != ("dataset", "options"):
            declaration(section, name)
        return getattr(self.training if section == "training" else self.dataset, name)

    def set_setting(self, section: str, name: str, value: Any) -> None:
        """Change one setting ("training", "lr", 0.01) after checking it against its
        declaration (ParamError with the field path); `options` is checked per dataset."""
        if (section, name) == ("dataset", "options"):
            value = validate_options(self.dataset.name, value)
        else:
            value = validate_setting(section, name, value)
        self.setting(section, name)
        setattr(self.training if section == "training" else self.dataset, name, value)
        self.setting_changed.emit(section, name, value)

    def copy(self) -> Project:
        """A deep, event-free copy with its block definitions: what a run trains, what the
        code panel compiles and what block expansion rewrites, while the user edits this one."""
        from netcanvas.backend.project_io import project_from_dict, project_to_dict
        return project_from_dict(project_to_dict(self))
