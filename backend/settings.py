"""The training settings and the dataset configuration, declared once like layer params.

Each field is a registry `Param` (kind, default, range, choices, doc). Loading a project, the
CLI overrides (`--lr`, `--batch-size`, ...), the app's Settings and Data forms and the
undoable settings edit all read these declarations; a value outside them is refused with its
field path ("training.batch_size: must be at least 1, got 0"). Torch-free.
"""

from __future__ import annotations

from typing import Any

from netcanvas.backend.augmentations import AUGMENTATIONS
from netcanvas.backend.optimizers import OPTIMIZERS
from netcanvas.backend.registry.spec import Param, ParamError

SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")
PRECISIONS = ("fp32", "bf16", "fp16")
ADVERSARIAL = ("none", "fgsm", "pgd")
ALL_GPUS = "cuda:all"  # every GPU of this machine, one torchrun process each
DEVICE_PATTERN = r"auto|cpu|mps|cuda(:\d{1,3}|:all)?"
SEED_MAX = 2**31 - 1

TRAINING: tuple[Param, ...] = (
    Param("optimizer", "choice", "adam", "The optimizer.", choices=OPTIMIZERS),
    Param("lr", "float", 1e-3, "Learning rate (the peak, with a schedule).", min=1e-9, max=1e30,
          label="Learning rate"),
    Param("momentum", "float", 0.9, "Momentum (SGD and RMSprop).", min=0.0, max=0.9999),
    Param("nesterov", "bool", False, "Nesterov momentum (SGD)."),
    Param("betas", "floats", (0.9, 0.999), "Adam's running-average factors.", min=0.0,
          max=0.99999, length=2, label="Betas (β1, β2)"),
    Param("alpha", "float", 0.99, "RMSprop smoothing.", min=0.0, max=0.9999, label="RMSprop α"),
    Param("rho", "float", 0.9, "Adadelta's running-average factor.", min=0.0, max=0.9999,
          label="Adadelta ρ"),
    Param("weight_decay", "float", 0.0, "L2 penalty (decoupled for AdamW).", min=0.0, max=10.0),
    Param("grad_clip", "float", 0.0, "Largest gradient norm; 0 = off.", min=0.0, max=1e6,
          label="Gradient clip (0 = off)"),
    Param("epochs", "int", 10, "Passes over the training split.", min=1, max=100_000),
    Param("batch_size", "int", 64, "Samples per optimizer step.", min=1, max=65_536),
    Param("seed", "int", 0, "Seeds the weights, the shuffling and dropout.", min=0,
          max=SEED_MAX),
    Param("schedule", "choice", "none", "How the learning rate changes over the run.",
          choices=SCHEDULES),
    Param("step_size", "int", 10, "Step schedule: epochs between decays.", min=1, max=10_000,
          label="Decay every (epochs)"),
    Param("gamma", "float", 0.1, "Step and plateau schedules: the decay factor.", min=1e-6,
          max=1.0, label="Decay factor γ"),
    Param("plateau_patience", "int", 2, "Plateau schedule: epochs without improvement "
          "before a decay.", min=0, max=10_000),
    Param("warmup_epochs", "int", 0, "Linear warm-up before the schedule.", min=0,
          max=10_000, label="Warm-up epochs"),
    Param("early_stopping_patience", "int", 0, "Stop after this many epochs without "
          "improvement; 0 = off.", min=0, max=10_000, label="Early stopping patience"),
    Param("monitor", "choice", "val_loss", "The metric that picks the best epoch.",
          choices=("val_loss", "val_accuracy"), label="Monitor (best epoch)"),
    Param("device", "str", "auto", "auto, cpu, cuda, cuda:N, cuda:all (every GPU, one "
          "process each) or mps", pattern=DEVICE_PATTERN),
    Param("precision", "choice", "fp32", "Mixed precision: bf16 and fp16 need CUDA.",
          choices=PRECISIONS, label="Mixed precision"),
    Param("channels_last", "bool", False, "Channels-last memory layout (CUDA only).",
          label="Channels last"),
    Param("adversarial", "choice", "none", "Adversarial training: replace part of each batch "
          "by its FGSM or PGD attack (classifiers with one Input).", choices=ADVERSARIAL,
          label="Attack"),
    Param("adversarial_eps", "float", 0.1, "The attack's ε in raw-input units, before "
          "normalisation (pixels in [0, 1]; digits: 1 = 16 grey levels).", min=0.0, max=1e6,
          label="ε (raw-input units)"),
    Param("adversarial_ratio", "float", 0.5, "Share of each batch replaced by its "
          "adversarial version.", min=0.0, max=1.0, label="Share of each batch"),
)

# The dataset names, by kind: built-in, downloaded, the user's own.
BUILTIN_DATASETS = ("digits", "moons", "circles", "spirals", "xor", "blobs", "linear",
                    "digit_rows", "recall", "timeseries")
DOWNLOAD_DATASETS = ("mnist", "fashion_mnist", "cifar10")
USER_DATASETS = ("folder", "csv", "npz")

DATASET: tuple[Param, ...] = (
    Param("name", "choice", "digits", "Which data to train on.",
          choices=BUILTIN_DATASETS + DOWNLOAD_DATASETS + USER_DATASETS, label="Dataset"),
    Param("path", "str", None, "The folder or file of your own data.", optional=True),
    Param("val_fraction", "float", 0.1, "Share of the samples held out for validation.",
          min=0.0, max=0.9, label="Validation fraction"),
    Param("test_fraction", "float", 0.2, "Share of the samples held out for the test.",
          min=0.0, max=0.9, label="Test fraction"),
    Param("normalize", "bool", True, "Normalise (training split mean/std).",
          label="Normalise (training split mean/std)"),
    Param("augment_crop_padding", "int", 0, "Random crop after this much zero padding "
          "(images only; 0 = off).", min=0, max=64, label="Crop padding"),
    Param("augment_flip", "bool", False, "Random horizontal flip (images only).",
          label="Random horizontal flip (images only)"),
    *AUGMENTATIONS,
)

_SEED = Param("seed", "int", 0, "Seeds the generated data and the split.", min=0, max=SEED_MAX)


def _samples(default: int) -> Param:
    return Param("n_samples", "int", default, "How many points to generate.", min=4,
                 max=10_000_000)


def _noise(default: float) -> Param:
    return Param("noise", "float", default, "Standard deviation of the added noise.", min=0.0,
                 max=1e6)


_CLASSES = Param("classes", "int", 3, "How many classes.", min=2, max=1000)
_TASK = Param("task", "choice", "auto", "Classification, regression, or guessed from the "
              "targets.", choices=("auto", "classification", "regression"))
_MIRROR = Param("base_url", "str", None, "A mirror to download from instead of the usual "
                "ones.", optional=True, label="Mirror URL")

# Each dataset's own options (`dataset.options`), by dataset name.
DATASET_OPTIONS: dict[str, tuple[Param, ...]] = {
    "digits": (_SEED,),
    "moons": (_samples(1000), _noise(0.1), _SEED),
    "circles": (_samples(1000), _noise(0.05), _SEED),
    "spirals": (_samples(1500), _noise(0.05), _CLASSES, _SEED),
    "xor": (_samples(1000), _noise(0.05), _SEED),
    "blobs": (_samples(1000), _noise(1.0), _CLASSES, _SEED),
    "linear": (_samples(500), Param("n_features", "int", 1, "Input features.", min=1,
                                    max=100_000), _noise(0.1), _SEED),
    "digit_rows": (_SEED,),
    "recall": (_samples(6000), Param("length", "int", 12, "Longest sequence (query "
               "included); shorter ones are padded with token 0.", min=3, max=4096),
               Param("vocabulary", "int", 16, "How many symbols (ids 1 .. vocabulary).",
                     min=2, max=100_000), _SEED),
    "timeseries": (Param("window", "int", 32, "Steps of history in each sample.", min=1,
                         max=100_000),
                   Param("horizon", "int", 1, "Steps ahead to predict.", min=1, max=100_000),
                   Param("target", "str", None, "The column to predict (default: the first).",
                         optional=True), _SEED),
    **{name: (_SEED, _MIRROR) for name in DOWNLOAD_DATASETS},
    "folder": (Param("size", "ints", None, "Resize every image to this size (one side, or "
                     "height and width); empty = keep.", min=1, max=4096, optional=True),
               Param("channels", "int", None, "1 (grey) or 3 (colour); empty = from the "
                     "images.", min=1, max=3, optional=True),
               Param("stream", "bool", False, "Decode the images from disk batch by batch "
                     "(folders larger than memory)."),
               Param("workers", "int", 2, "Processes decoding images when streaming "
                     "(0 = none).", min=0, max=64),
               Param("cache", "bool", False, "When streaming, keep decoded images in the "
                     "user cache folder for later epochs."), _SEED),
    "csv": (Param("target", "str", "target", "The column holding the targets."), _TASK, _SEED),
    "npz": (_TASK, _SEED),
}
assert set(DATASET_OPTIONS) == set(DATASET[0].choices), "options declared for every dataset"

SECTIONS: dict[str, tuple[Param, ...]] = {"training": TRAINING, "dataset": DATASET}


def declaration(section: str, name: str) -> Param:
    """The Param of `section.name`; ParamError naming the field when there is none."""
    for param in SECTIONS[section]:
        if param.name == name:
            return param
    raise ParamError(f"{section}.{name}: no such setting (expected "
                     f"{', '.join(p.name for p in SECTIONS[section])})")


def validate_setting(section: str, name: str, value: Any) -> Any:
    """`value` coerced for `section.name`, or ParamError with the field path."""
    param = declaration(section, name)
    try:
        return param.validate(value)
    except ParamError as exc:
        raise ParamError(f"{section}.{exc}") from None


def option_defaults(dataset: str) -> dict[str, Any]:
    return {p.name: p.default for p in DATASET_OPTIONS.get(dataset, ())}


def validate_options(dataset: str, options: Any) -> dict[str, Any]:
    """A dataset's options checked against its declarations (values kept as written)."""
    if not isinstance(options, dict):
        raise ParamError(f"dataset.options: expected an object, got {_short(options)}")
    declared = {p.name: p for p in DATASET_OPTIONS.get(dataset, ())}
    for key, value in options.items():
        param = declared.get(key)
        if param is None:
            raise ParamError(f"dataset.options.{key}: {dataset} has no such option (expected "
                             f"{', '.join(declared) or 'none'})")
        try:
            param.validate(value)
        except ParamError as exc:
            raise ParamError(f"dataset.options.{exc}") from None
    return dict(options)


def runnable_reason(precision: str, device_type: str) -> str | None:
    """Why these settings cannot run on a `device_type` device, or None."""
    if precision != "fp32" and device_type != "cuda":
        return (f"training.precision: {precision} needs a CUDA GPU and this run is on "
                f"{device_type}; choose fp32")
    return None


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
