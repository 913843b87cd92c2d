"""Every dataset, declared once: its title, kind, options, inputs, targets, loader and shape.

Plain data importing neither torch nor scikit-learn: the app lists the datasets the moment it
starts, while the loaders (named here as "module:function") are imported off the GUI thread.
backend/settings.py takes the dataset choices and options from here, backend/data/ the
loaders, the Data tab and `netcanvas lint` the kinds and shapes, the trainer the targets that
the graph's Output nodes are matched to by name. Adding a dataset is one entry below plus its
loader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from netcanvas.backend.registry.spec import Param

Shape = tuple[int, ...]
Kind = Literal["builtin", "download", "user"]

# What a target holds, per sample; the losses, metrics and views follow from it.
TARGET_KINDS = {
    "class": "a class index",
    "vector": "a vector of numbers (regression)",
    "mask": "a class index per pixel (H, W)",
    "boxes": "a box (x0, y0, x1, y1), each coordinate a fraction of the image size",
    "flow": "a motion vector per pixel (2, H, W), in pixels",
    "image": "an image (C, H, W), values 0 to 1",
}
# The metrics each kind is scored by (backend/training/task_metrics.py computes them).
TARGET_METRICS = {
    "class": ("accuracy",), "vector": ("mse",), "mask": ("pixel_accuracy", "mean_iou"),
    "boxes": ("box_iou",), "flow": ("epe",), "image": ("psnr",),
}


def is_mask_input(name: str) -> bool:
    """Whether input `name` is a padding mask, (N, T), 1 at real steps and 0 at padding: an
    input named `mask` or `<name>_mask`. A mask is never normalised (nor in exported files)."""
    return name == "mask" or name.endswith("_mask")


@dataclass(frozen=True)
class Target:
    """One named target of a dataset: what an Output node of the same name is trained on."""

    name: str
    kind: str  # a key of TARGET_KINDS
    classes: int | None = None  # class and mask targets

    def __post_init__(self) -> None:
        assert self.kind in TARGET_KINDS, f"target {self.name}: unknown kind {self.kind}"


CLASS = (Target("label", "class"),)


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset the UI offers. `inputs` and `targets` name what each sample holds (for the
    user's own data the targets are known once loaded: empty here); `shape(options)` is one
    sample's shape per input, without loading (None when only loading can tell)."""

    name: str
    title: str
    kind: Kind
    doc: str
    loader: str  # "module:function" under netcanvas.backend.data, taking a DatasetConfig
    options: tuple[Param, ...]
    inputs: tuple[str, ...] = ("x",)
    targets: tuple[Target, ...] = CLASS
    shape: Callable[[dict[str, Any]], tuple[Shape, ...] | None] = lambda options: None

    @property
    def task(self) -> str:
        """The first target's kind, or "user" when the file decides."""
        return self.targets[0].kind if self.targets else "user"


_SEED = Param("seed", "int", 0, "Seeds the generated data and the split.", min=0, max=2**31 - 1)


def _samples(default: int) -> Param:
    return Param("n_samples", "int", default, "How many points to generate.", min=4,
                 max=10_000_000)


def _noise(default: float, doc: str = "Standard deviation of the added noise.") -> Param:
    return Param("noise", "float", default, doc, min=0.0, max=1e6)


def _fixed(*shapes: Shape) -> Callable[[dict[str, Any]], tuple[Shape, ...]]:
    return lambda options: shapes


_CLASSES = Param("classes", "int", 3, "How many classes.", min=2, max=1000)
_TASK = Param("task", "choice", "auto", "Classification, regression, or guessed from the "
              "targets.", choices=("auto", "classification", "regression"))
_MIRROR = Param("base_url", "str", None, "A mirror to download from instead of the usual "
                "ones.", optional=True, label="Mirror URL")
_POINTS = _fixed((2,))
_TOY = "toy:load_toy"
_COPIES = Param("copies", "int", 1, "Samples made from each of the 1,797 digits (each placed "
                "anew).", min=1, max=100)
_SOURCE = Param("source", "choice", "digits", "Where the 1,797 digits come from: scikit-learn's "
                "bundled 8x8 digits, or the first 1,797 MNIST training digits averaged down to "
                "8x8 the same way (4x4 blocks); MNIST must be downloaded first (dataset MNIST).",
                choices=("digits", "mnist"))
_CANVAS = Param("canvas", "int", 16, "Side of the square image the digit is placed on.",
                min=8, max=128)


def _canvas(options: dict[str, Any]) -> tuple[Shape, ...]:
    side = int(options.get("canvas", 16))
    return ((1, side, side),)


def _linear(options: dict[str, Any]) -> tuple[Shape, ...]:
    return ((int(options.get("n_features", 1)),),)


def _moving(options: dict[str, Any]) -> tuple[Shape, ...]:
    side = int(options.get("canvas", 12))
    return ((1, side, side), (1, side, side))


_SPECS = (
    DatasetSpec("digits", "Digits (8x8)", "builtin", "1,797 handwritten digits, grey 8x8 "
                "images, 10 classes. Ships with scikit-learn: no download. The default.",
                "builtin:load_digits", (_SEED,), shape=_fixed((1, 8, 8))),
    DatasetSpec("moons", "Two moons", "builtin", "Two interleaving half circles in the "
                "plane; 2 classes.", _TOY, (_samples(1000), _noise(0.1), _SEED), shape=_POINTS),
    DatasetSpec("circles", "Circles", "builtin", "A small circle inside a large one; "
                "2 classes.", _TOY, (_samples(1000), _noise(0.05), _SEED), shape=_POINTS),
    DatasetSpec("spirals", "Spirals", "builtin", "`classes` interleaved spiral arms; hard for "
                "a linear model.", _TOY, (_samples(1500), _noise(0.05), _CLASSES, _SEED),
                shape=_POINTS),
    DatasetSpec("xor", "XOR", "builtin", "Points in a square labelled by whether their "
                "coordinates' signs differ.", _TOY, (_samples(1000), _noise(0.05), _SEED),
                shape=_POINTS),
    DatasetSpec("blobs", "Gaussian blobs", "builtin", "`classes` Gaussian clusters; `noise` is "
                "their standard deviation.", _TOY, (_samples(1000), _noise(1.0), _CLASSES, _SEED),
                shape=_POINTS),
    DatasetSpec("linear", "Linear regression", "builtin", "y = Xw + b + noise with "
                "`n_features` features; the true w and b are kept to compare with what the "
                "model learns.", "toy:load_linear",
                (_samples(500), Param("n_features", "int", 1, "Input features.", min=1,
                                      max=100_000), _noise(0.1), _SEED),
                targets=(Target("y", "vector"),), shape=_linear),
    DatasetSpec("digit_rows", "Digit rows (sequences)", "builtin", "The 8x8 digits read as "
                "sequences: 8 steps of 8 pixels (one row per step); 10 classes. For LSTMs and "
                "GRUs.", "sequences:load_digit_rows", (_SEED,), shape=_fixed((8, 8))),
    DatasetSpec("recall", "Recall (synthetic sequences)", "builtin", "Token sequences of "
                "varying length padded with 0: does the first token occur again? 2 classes. "
                "Attention solves it; an MLP does not. Inputs `tokens` (ids, never normalised: "
                "start with an Embedding) and `mask` (1 at real steps, 0 at padding: wire it "
                "to MultiheadAttention's key_mask and SequencePool's mask).",
                "sequences:load_recall",
                (_samples(6000), Param("length", "int", 12, "Longest sequence (query "
                                       "included); shorter ones are padded with token 0.",
                                       min=3, max=4096),
                 Param("vocabulary", "int", 16, "How many symbols (ids 1 .. vocabulary).",
                       min=2, max=100_000), _SEED),
                inputs=("tokens", "mask"),
                shape=lambda options: ((int(options.get("length", 12)),),) * 2),
    DatasetSpec("timeseries", "Time series (forecasting)", "builtin", "Three noisy periodic "
                "signals (or your own CSV, one column per signal): predict the next horizon "
                "values of one column from a window of all. Regression; the last windows are "
                "the test split.", "sequences:load_timeseries",
                (Param("window", "int", 32, "Steps of history in each sample.", min=1,
                       max=100_000),
                 Param("horizon", "int", 1, "Steps ahead to predict.", min=1, max=100_000),
                 Param("target", "str", None, "The column to predict (default: the first).",
                       optional=True), _SEED), targets=(Target("y", "vector"),),
                shape=lambda options: ((int(options.get("window", 32)), 3),)),  # 3 signals
    DatasetSpec("digit_masks", "Digit masks (segmentation)", "builtin", "Each digit placed "
                "on a larger canvas among clutter; targets: `mask`, the digit's pixels (with "
                "`digit_classes`, the digit's class + 1 per pixel), and `digit`, its class. "
                "Generated from the 8x8 digits, seeded.", "generated:load_digit_masks",
                (_CANVAS, _COPIES, Param("digit_classes", "bool", False, "Mask pixels hold the "
                                         "digit's class + 1 (11 classes) instead of 1."),
                 Param("clutter", "int", 6, "Stray strokes added around the digit.", min=0,
                       max=100), _SOURCE, _SEED),
                inputs=("image",), targets=(Target("mask", "mask", 2), Target("digit", "class",
                                                                              10)),
                shape=_canvas),
    DatasetSpec("find_digit", "Find the digit (localisation)", "builtin", "One digit at a "
                "random position and scale; targets: `digit`, its class, and `box`, its box as "
                "fractions of the image (x0, y0, x1, y1). Generated from the 8x8 digits, "
                "seeded.", "generated:load_find_digit",
                (_CANVAS, _COPIES, Param("max_scale", "float", 1.5, "Largest zoom of the 8x8 "
                                         "digit (the smallest is 1).", min=1.0, max=16.0),
                 _SOURCE, _SEED),
                inputs=("image",), targets=(Target("digit", "class", 10), Target("box", "boxes")),
                shape=_canvas),
    DatasetSpec("moving_digits", "Moving digits (optical flow)", "builtin", "Two frames of a "
                "textured digit, the second moved by a sub-pixel shift (and, with `rotation`, "
                "turned); target `flow`, the motion of every pixel. Inputs `frame1`, `frame2`. "
                "Generated from the 8x8 digits, seeded.", "generated:load_moving_digits",
                (Param("canvas", "int", 12, "Side of each frame.", min=8, max=128), _COPIES,
                 Param("max_shift", "float", 1.5, "Largest shift along each axis, in pixels.",
                       min=0.0, max=8.0),
                 Param("rotation", "float", 0.0, "Largest rotation, in degrees.", min=0.0,
                       max=45.0), _SOURCE, _SEED),
                inputs=("frame1", "frame2"), targets=(Target("flow", "flow"),), shape=_moving),
    DatasetSpec("colourise", "Colourise digits (image to image)", "builtin", "A grey digit "
                "and its coloured original (each class its own colour, varied per sample); "
                "target `colour`. Generated from the 8x8 digits, seeded.",
                "generated:load_colourise", (_COPIES, _SOURCE, _SEED), inputs=("image",),
                targets=(Target("colour", "image"),), shape=_fixed((1, 8, 8))),
    DatasetSpec("denoise", "Denoise digits (image to image)", "builtin", "A noisy digit and "
                "its clean original; target `clean`. Generated from the 8x8 digits, seeded.",
                "generated:load_denoise",
                (_COPIES, _noise(0.3, "Standard deviation of the noise (pixels are 0 to 1)."),
                 _SOURCE, _SEED), inputs=("image",), targets=(Target("clean", "image"),),
                shape=_fixed((1, 8, 8))),
    *(DatasetSpec(name, title, "download", doc, "remote:load_remote", (_SEED, _MIRROR),
                  shape=_fixed(shape)) for name, title, doc, shape in (
        ("mnist", "MNIST", ("70,000 handwritten digits, grey 28x28, 10 classes (about 11 MB "
                            "download)."), (1, 28, 28)),
        ("fashion_mnist", "Fashion-MNIST", ("70,000 grey 28x28 pictures of clothing, 10 "
                                            "classes (about 30 MB download)."), (1, 28, 28)),
        ("cifar10", "CIFAR-10", ("60,000 colour 32x32 photos, 10 classes (about 163 MB "
                                 "download)."), (3, 32, 32)))),
    DatasetSpec("folder", "Image folder", "user", "Your images (PNG/JPEG), one subfolder per "
                "class; or, with `masks`, an images/ and a masks/ folder of same-named files "
                "(segmentation). Options: `size`, `channels`.", "images:load_image_folder",
                (Param("size", "ints", None, "Resize every image to this size (one side, or "
                       "height and width); empty = keep.", min=1, max=4096, optional=True),
                 Param("channels", "int", None, "1 (grey) or 3 (colour); empty = from the "
                       "images.", min=1, max=3, optional=True),
                 Param("stream", "bool", False, "Decode the images from disk batch by batch "
                       "(folders larger than memory)."),
                 Param("workers", "int", None, "Processes decoding images when streaming "
                       "(0 = none; empty = one per core but the one that trains, at most 8).",
                       min=0, max=64, optional=True),
                 Param("cache", "bool", False, "When streaming, keep decoded images in the "
                       "user cache folder for later epochs."),
                 Param("masks", "bool", False, "images/ + masks/ subfolders of paired files: "
                       "a mask's grey value is each pixel's class."), _SEED), targets=()),
    DatasetSpec("csv", "CSV file", "user", "Numeric feature columns and a `target` column; "
                "`task` auto, classification or regression. With `boxes`: one row per image "
                "file (file, x0, y0, x1, y1, label), pixels.", "user:load_csv",
                (Param("target", "str", "target", "The column holding the targets."), _TASK,
                 Param("boxes", "bool", False, "The rows are boxes of images beside the CSV: "
                       "file, x0, y0, x1, y1, label."),
                 Param("inputs", "str", "", "Several Inputs: feature columns grouped by "
                       "name, e.g. `left: l1..l4; right: r1, r2` (a..b: a range of columns "
                       "in header order); each group feeds the Input node of its name."),
                 _SEED), targets=()),
    DatasetSpec("npz", "NumPy .npz", "user", "Arrays X (samples first) and y; `task` auto, "
                "classification or regression. Or named arrays: `input_*` for each Input and "
                "`<kind>_<name>` (class_, vector_, mask_, boxes_, flow_, image_) for each "
                "target, matched to the graph's nodes by name.", "user:load_npz", (_TASK, _SEED),
                targets=()),
)
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in _SPECS}
DatasetInfo = DatasetSpec  # the name the app and older code use


def sample_shape(name: str, options: dict[str, Any]) -> Shape | None:
    """The shape of one sample of dataset `name`'s first input with these options, or None
    when unknown without loading."""
    spec = DATASETS.get(name)
    shapes = spec.shape({**option_defaults(name), **options}) if spec else None
    return shapes[0] if shapes else None


def option_defaults(name: str) -> dict[str, Any]:
    spec = DATASETS.get(name)
    return {p.name: p.default for p in spec.options} if spec else {}
