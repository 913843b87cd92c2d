"""A corpus of malformed task data: named-array NPZ files (inputs, masks, boxes, flow, images),
image + mask folders, CSVs of boxes and CSVs grouped into Inputs, each broken in one way. Each case is
(label, dataset config dict, words the one-line refusal must contain)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

N = 12


def _npz(path: Path, **arrays) -> str:
    np.savez(path, **arrays)
    return str(path)


def _png(path: Path, array: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)


def npz_cases(folder: Path) -> list[tuple[str, dict, tuple[str, ...]]]:
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, (N, 1, 8, 8)).astype(np.float32)
    mask = rng.integers(0, 2, (N, 8, 8))
    box = np.tile([0.1, 0.1, 0.6, 0.6], (N, 1)).astype(np.float32)
    bad_box = box.copy()
    bad_box[5] = (0.5, 0.5, 1.5, 0.9)
    cases = {
        "mask size is not the image size": ({"input_image": image, "mask_mask": mask[:, :6]},
                                            ("'mask'", "6", "8x8")),
        "box outside the image": ({"input_image": image, "boxes_box": bad_box},
                                  ("'box'", "sample 5")),
        "box of 3 numbers": ({"input_image": image, "boxes_box": box[:, :3]}, ("'box'",)),
        "fewer targets than inputs": ({"input_image": image, "class_digit": np.arange(N - 2)},
                                      ("'digit'", f"{N - 2} samples")),
        "inputs of different lengths": ({"input_a": image, "input_b": image[:5],
                                             "mask_mask": mask}, ("input 'b'", "5 samples")),
        "negative class in a mask": ({"input_image": image, "mask_mask": mask - 1},
                                     ("'mask'", "negative")),
        "fractional classes": ({"input_image": image, "class_digit": np.full(N, 0.5)},
                               ("'digit'", "whole")),
        "flow of 3 channels": ({"input_image": image, "flow_flow": np.zeros((N, 3, 8, 8))},
                               ("'flow'", "2 channels")),
        "unknown array name": ({"input_image": image, "heatmap_x": mask}, ("heatmap_x",)),
        "no target": ({"input_image": image}, ("no targets",)),
        "image target of wrong size": ({"input_image": image, "image_clean": image[:, :, :4]},
                                       ("'clean'", "4x8")),
        "empty": ({"input_image": image[:0], "class_digit": np.arange(0)}, ("empty",)),
    }
    out = []
    for i, (label, (arrays, words)) in enumerate(cases.items()):
        path = _npz(folder / f"case{i}.npz", **arrays)
        out.append((f"npz: {label}", {"name": "npz", "path": path}, (path, *words)))
    return out


def folder_cases(folder: Path) -> list[tuple[str, dict, tuple[str, ...]]]:
    out = []
    grey = np.zeros((8, 8))
    root = folder / "pairs_missing"
    _png(root / "images" / "a.png", grey)
    _png(root / "images" / "b.png", grey)
    _png(root / "masks" / "a.png", grey)
    out.append(("masks: image without its mask", {"name": "folder", "path": str(root),
                                                  "options": {"masks": True}},
                ("b.png", "no mask")))
    root = folder / "size"
    _png(root / "images" / "a.png", grey)
    _png(root / "masks" / "a.png", np.zeros((6, 8)))
    out.append(("masks: mask size is not the image size",
                {"name": "folder", "path": str(root), "options": {"masks": True}},
                ("a.png", "8x6", "8x8")))
    root = folder / "nomasks"
    _png(root / "images" / "a.png", grey)
    out.append(("masks: no masks folder", {"name": "folder", "path": str(root),
                                           "options": {"masks": True}}, ("masks/",)))
    boxes = folder / "boxes"
    _png(boxes / "a.png", grey)
    rows = {"box outside the image": "a.png,2,2,12,6,cat",
            "missing image": "zz.png,1,1,4,4,cat",
            "not a number": "a.png,1,x,4,4,cat",
            "short row": "a.png,1,1,4"}
    for i, (label, row) in enumerate(rows.items()):
        csv = boxes / f"case{i}.csv"
        csv.write_text(f"file,x0,y0,x1,y1,label\n{row}\n")
        out.append((f"boxes csv: {label}", {"name": "csv", "path": str(csv),
                                            "options": {"boxes": True}}, (str(csv), "line 2")))
    csv = boxes / "header.csv"
    csv.write_text("name,a,b\na.png,1,2\n")
    out.append(("boxes csv: wrong header", {"name": "csv", "path": str(csv),
                                            "options": {"boxes": True}}, ("header",)))
    return out


def csv_group_cases(folder: Path) -> list[tuple[str, dict, tuple[str, ...]]]:
    """A two-Input CSV (option inputs) grouped wrongly."""
    path = folder / "groups.csv"
    path.write_text("l1,l2,r1,r2,target\n" + "".join(f"{i},{i + 1},{i},{-i},{i % 2}\n"
                                                    for i in range(N)))
    groups = {"missing column": ("left: l1..l3; right: r1..r2", ("'left'", "no column 'l3'")),
              "missing group name": ("l1..l2; right: r1..r2", ("not 'name: columns'",)),
              "column in no group": ("left: l1..l2; right: r1", ("'r2'", "no group")),
              "column in two groups": ("left: l1..r1; right: r1..r2", ("'r1'", "'right'")),
              "target in a group": ("left: l1..l2; right: r1..target", ("'target'",))}
    return [(f"csv inputs: {label}", {"name": "csv", "path": str(path),
                                      "options": {"inputs": spec}},
             (str(path), "option inputs", *words))
            for label, (spec, words) in groups.items()]


def cases(folder: Path) -> list[tuple[str, dict, tuple[str, ...]]]:
    return npz_cases(folder) + folder_cases(folder) + csv_group_cases(folder)
