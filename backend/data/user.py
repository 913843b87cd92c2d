"""The user's own data: a CSV (feature columns + a target column) or an NPZ (X, y)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from netcanvas.backend.data.assemble import make_dataset
from netcanvas.backend.data.targets import encode_targets
from netcanvas.backend.data.types import Dataset, DatasetError
from netcanvas.backend.project import DatasetConfig


def user_path(config: DatasetConfig, kind: str) -> Path:
    if not config.path:
        raise DatasetError(f"choose a {kind} for the '{config.name}' dataset")
    path = Path(config.path).expanduser()
    if not path.exists():
        raise DatasetError(f"{path} does not exist")
    return path


def input_groups(spec: str, header: list[str], features: list[int],
                 source: str) -> dict[str, list[int]]:
    """Option `inputs` of a CSV: "left: l1..l4; right: r1, r2" -> each Input's column
    indices (a range `a..b` runs in header order). Every feature column is in one group."""
    where = f"{source}: option inputs"
    groups: dict[str, list[int]] = {}
    owner: dict[int, str] = {}
    for text in (g.strip() for g in spec.split(";")):
        name, colon, columns = (part.strip() for part in text.partition(":"))
        if not text:
            continue
        if not colon or not name or not columns:
            raise DatasetError(f"{where}: '{text}' is not 'name: columns' (groups split by ;)")
        if name in groups:
            raise DatasetError(f"{where}: group '{name}' is given twice")
        groups[name] = []
        for item in (c.strip() for c in columns.split(",")):
            first, dots, last = (part.strip() for part in item.partition(".."))
            for column in (first, last) if dots else (first,):
                if column not in header:
                    raise DatasetError(f"{where}, group '{name}': no column '{column}'; "
                                       f"columns: {', '.join(header)}")
            lo, hi = header.index(first), header.index(last if dots else first)
            if hi < lo:
                raise DatasetError(f"{where}, group '{name}': '{item}' runs backwards")
            for i in range(lo, hi + 1):
                if i not in features:
                    raise DatasetError(f"{where}, group '{name}': column '{header[i]}' is the "
                                       "target")
                if i in owner:
                    raise DatasetError(f"{where}: column '{header[i]}' is in groups "
                                       f"'{owner[i]}' and '{name}'")
                owner[i] = name
                groups[name].append(i)
    if not groups:
        raise DatasetError(f"{where}: no groups (write 'name: columns; name: columns')")
    loose = [header[i] for i in features if i not in owner]
    if loose:
        raise DatasetError(f"{where}: column '{loose[0]}' is in no group (each feature column "
                           "feeds one Input)")
    return groups


def load_csv(config: DatasetConfig) -> Dataset:
    """Options: `target` (column name, default "target" or else the last column),
    `task` (auto, classification or regression), `inputs` (feature columns grouped into
    named Inputs, see input_groups)."""
    path = user_path(config, "CSV file")
    if config.options.get("boxes"):
        from netcanvas.backend.data.user_tasks import load_box_csv
        return load_box_csv(path, config)
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            rows = [r for r in csv.reader(f) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DatasetError(f"cannot read {path}: {e}") from None
    if len(rows) < 2:
        raise DatasetError(f"{path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    target = config.options.get("target") or ("target" if "target" in header else header[-1])
    if target not in header:
        raise DatasetError(f"{path} has no column '{target}'; columns: {', '.join(header)}")
    t = header.index(target)
    features = [i for i in range(len(header)) if i != t]
    if not features:
        raise DatasetError(f"{path} has no feature columns besides '{target}'")
    x = np.empty((len(rows) - 1, len(features)), dtype=np.float32)
    for r, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise DatasetError(f"{path} line {r + 2}: {len(row)} cells, header has {len(header)}")
        for j, i in enumerate(features):
            try:
                x[r, j] = float(row[i])
            except ValueError:
                raise DatasetError(f"{path} line {r + 2}: column '{header[i]}' is not a number: "
                                   f"{row[i]!r}") from None
    values = np.array([row[t].strip() for row in rows[1:]])
    y, classes = encode_targets(values, config.options.get("task", "auto"), str(path))
    if config.options.get("inputs", "").strip():
        from netcanvas.backend.data.tasks import make_task_dataset
        groups = input_groups(config.options["inputs"], header, features, str(path))
        inputs = {name: x[:, [features.index(i) for i in cols]] for name, cols in groups.items()}
        kind = "class" if classes is not None else "vector"
        return make_task_dataset(path.stem, inputs, [(target, kind, y)], config,
                                 class_names=classes, source=str(path),
                                 extra={"input_columns": {n: [header[i] for i in cols]
                                                          for n, cols in groups.items()}})
    return make_dataset(path.stem, x, y, config, class_names=classes,
                        extra={"feature_names": [header[i] for i in features], "target": target})


def load_npz(config: DatasetConfig) -> Dataset:
    """Arrays `X` (N, features) or (N, [C,] H, W) images and `y` (N,) or (N, k).

    Option `task` as for CSV; integer `y` with few values are classes. Or named arrays,
    `input_<name>` and `<kind>_<name>` (see user_tasks.py).
    """
    path = user_path(config, "NPZ file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as e:
        raise DatasetError(f"cannot read {path}: {e}") from None
    from netcanvas.backend.data.user_tasks import is_named_npz, load_named_npz
    if is_named_npz(arrays):
        return load_named_npz(path, arrays, config)
    for key in ("X", "y"):
        if key not in arrays:
            raise DatasetError(f"{path} has no array '{key}'; arrays: {', '.join(arrays) or 'none'}")
    x = arrays["X"].astype(np.float32)
    if x.ndim == 1:
        x = x[:, None]
    elif x.ndim == 3:
        x = x[:, None]  # grey images without a channel axis
    elif x.ndim not in (2, 4):
        raise DatasetError(f"{path}: X must be (N, features) or images, got shape {x.shape}")
    y, classes = encode_targets(arrays["y"], config.options.get("task", "auto"), str(path))
    return make_dataset(path.stem, x, y, config, class_names=classes)
