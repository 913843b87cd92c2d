"""A seeded corpus of malformed project and checkpoint files for the fuzz tests.

Each case is `(label, text)`: JSON text made from a valid project by one mutation
(truncation, a leaf replaced by a hostile value, a key removed or added, a broken graph,
an odd format version, huge numbers, deep nesting, long names). The same seed gives the
same corpus, so a failure names a case that reproduces.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SOURCES = ("mlp_moons", "lenet_digits", "segmentation_unpool", "two_stream")

# Placeholders replaced in the JSON text by literals json.dumps cannot write.
HUGE_INT = "__HUGE_INT__"
HUGE_FLOAT = "__HUGE_FLOAT__"
TEXT_LITERALS = {f'"{HUGE_INT}"': "1" + "0" * 400, f'"{HUGE_FLOAT}"': "1e400"}

HOSTILE = [None, True, False, 0, -1, -(2**63), 2**63, 2**31, 0.5, -0.0, 1e308, "", "x",
           "a" * 5000, "\u0000", "é\u202e", [], [None], [1, 2, 3, 4, 5], [-1], [0, 0], {},
           {"a": 1}, HUGE_INT, HUGE_FLOAT, [HUGE_INT], [HUGE_FLOAT, 1], 3.7, "NaN", [[1]],
           "conv2d", "../x", 10**30]

# The settings fields' out-of-range values (issue 9 item 1, validated by the settings
# declarations): each must be refused with exit 2 and one line once that lands.
SETTINGS_CASES = [
    ("training", "batch_size", 0), ("training", "epochs", -3), ("training", "lr", -1),
    ("training", "precision", "fp8"), ("training", "optimizer", "lbfgs"),
    ("training", "lr", HUGE_INT), ("training", "lr", HUGE_FLOAT), ("training", "seed", HUGE_INT),
    ("dataset", "val_fraction", 2.0), ("dataset", "test_fraction", -1.0),
    ("dataset", "augment_crop_padding", -5), ("dataset", "name", "nope"),
]


def source(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.netcanvas").read_text(encoding="utf-8"))


def dump(d) -> str:
    text = json.dumps(d, ensure_ascii=False)
    for placeholder, literal in TEXT_LITERALS.items():
        text = text.replace(placeholder, literal)
    return text


def deep(levels: int) -> str:
    """JSON text of `levels` nested objects (json.dumps would recurse too deep)."""
    return '{"a": ' * levels + "1" + "}" * levels


def _paths(node, prefix=()) -> Iterator[tuple]:
    """Every (container path) to a leaf or container in the JSON tree."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


def _set(d, path, value):
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _del(d, path):
    target = d
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


def mutations(base: dict, rng: random.Random) -> Iterator[tuple[str, str]]:
    text = dump(base)
    paths = [p for p in _paths(base) if p]
    # Truncations: always invalid JSON.
    for _ in range(20):
        cut = rng.randrange(0, len(text))
        yield f"truncated at {cut}", text[:cut]
    # A leaf (or container) replaced by a hostile value.
    for path in rng.sample(paths, min(len(paths), 170)):
        value = rng.choice(HOSTILE)
        d = copy.deepcopy(base)
        _set(d, path, copy.deepcopy(value))
        yield f"{'.'.join(map(str, path))} = {str(value)[:20]!r}", dump(d)
    # A key removed, or an unknown one added.
    for path in rng.sample(paths, min(len(paths), 30)):
        d = copy.deepcopy(base)
        _del(d, path)
        yield f"del {'.'.join(map(str, path))}", dump(d)
    dict_paths = [p for p in [(), *paths] if isinstance(_get(base, p), dict)]
    for path in rng.sample(dict_paths, min(len(dict_paths), 10)):
        d = copy.deepcopy(base)
        _get(d, path)["bogus"] = 1
        yield f"{'.'.join(map(str, path))}.bogus", dump(d)
    # Broken graphs: swapped types, rewired edges, duplicate nodes, a cycle.
    nodes, edges = base["graph"]["nodes"], base["graph"]["edges"]
    from netcanvas.backend.registry import REGISTRY
    types = sorted(REGISTRY.keys()) if hasattr(REGISTRY, "keys") else sorted(REGISTRY)
    for _ in range(15):
        d = copy.deepcopy(base)
        i = rng.randrange(len(nodes))
        d["graph"]["nodes"][i]["type"] = rng.choice(types)
        yield f"nodes[{i}] as {d['graph']['nodes'][i]['type']}", dump(d)
    for _ in range(10):
        d = copy.deepcopy(base)
        j = rng.randrange(len(edges))
        end = rng.choice(("src", "dst"))
        d["graph"]["edges"][j][end] = rng.choice(nodes)["id"]
        yield f"edges[{j}].{end} rewired", dump(d)
    d = copy.deepcopy(base)
    d["graph"]["nodes"].append(copy.deepcopy(nodes[0]))
    yield "duplicate node", dump(d)
    d = copy.deepcopy(base)
    e = edges[-1]
    d["graph"]["edges"].append({"src": e["dst"], "src_port": "out", "dst": edges[0]["src"],
                                "dst_port": "in"})
    yield "back edge", dump(d)


def _get(d, path):
    for key in path:
        d = d[key]
    return d


def special_cases() -> Iterator[tuple[str, str]]:
    """The review's named cases, each once."""
    base = source("mlp_moons")
    from netcanvas.backend.migrations import FORMAT_VERSION

    for version in (0, -1, FORMAT_VERSION + 1, 99, 10**6, 1.5, "1", None, True, HUGE_INT):
        d = copy.deepcopy(base)
        d["format_version"] = version
        yield f"format_version {version}", dump(d)
    yield "version 0, nodes 5", dump({"version": 0, "nodes": 5})
    yield "version 0, edges 'x'", dump({"version": 0, "nodes": [], "edges": "x"})
    yield "version 0, settings list", dump({"version": 0, "nodes": [], "settings": [1]})
    for section, key, value in SETTINGS_CASES:
        d = copy.deepcopy(base)
        d[section][key] = value
        yield f"settings {section}.{key} = {value}", dump(d)
    for levels in (100, 800, 5000):
        d = copy.deepcopy(base)
        d["dataset"]["options"] = "__DEEP__"
        yield f"dataset.options nested {levels}", dump(d).replace('"__DEEP__"', deep(levels))
    yield "nested lists 100000", "[" * 100_000 + "]" * 100_000
    for field, value in (("shape", [HUGE_INT]), ("shape", [HUGE_FLOAT]), ("shape", [10**9, 10**9])):
        d = copy.deepcopy(base)
        d["graph"]["nodes"][0]["params"][field] = value
        yield f"input {field} {str(value)[:30]}", dump(d)
    for value in (HUGE_FLOAT, HUGE_INT, 10**12, 1e300):
        d = copy.deepcopy(base)
        d["graph"]["nodes"][1]["params"]["out_features"] = value
        yield f"out_features {value}", dump(d)
        d = copy.deepcopy(base)
        d["graph"]["nodes"][1]["position"] = [value, 0]
        yield f"position {value}", dump(d)
    lenet = source("lenet_digits")
    conv = next(i for i, n in enumerate(lenet["graph"]["nodes"]) if n["type"] == "conv2d")
    for value in (HUGE_FLOAT, HUGE_INT, 10**9, [10**9, 1], 0):
        d = copy.deepcopy(lenet)
        d["graph"]["nodes"][conv]["params"]["kernel_size"] = value
        yield f"kernel_size {str(value)[:20]}", dump(d)
    for size in (300, 10_000, 2_000_000):
        d = copy.deepcopy(base)
        d["graph"]["nodes"][1]["name"] = "n" * size
        yield f"name of {size} characters", dump(d)
        d = copy.deepcopy(base)
        d["graph"]["nodes"][1]["type"] = "t" * size
        yield f"type of {size} characters", dump(d)
    yield from training_cases(base)
    for text in ("", "null", "[]", "5", '"x"', "{}", "\ufeff{}", "\x00\x01\x02", "{" * 10,
                 '{"format_version": 1}', '{"format_version": 1, "graph": null}',
                 '{"format_version": 1, "graph": {"nodes": 5}}', "NaN", '{"a": Infinity}'):
        yield f"raw {text[:12]!r}", text


# Per-node training settings (format 4): each value must be refused naming the field.
TRAINING_CASES = [("lr_factor", -1), ("lr_factor", HUGE_FLOAT), ("lr_factor", "fast"),
                  ("lr_factor", HUGE_INT), ("trainable", "no"), ("trainable", 0),
                  ("weight_decay", None), ("frozen", True)]


def training_cases(base: dict) -> Iterator[tuple[str, str]]:
    """A node's "training" object holding a bad value (or being no object at all)."""
    for key, value in TRAINING_CASES:
        d = copy.deepcopy(base)
        d["graph"]["nodes"][1]["training"] = {key: value}
        yield f"node training {key} = {str(value)[:20]}", dump(d)
    for value in ([], "frozen", 5, None):
        d = copy.deepcopy(base)
        d["graph"]["nodes"][1]["training"] = value
        yield f"node training object {value!r}", dump(d)


def with_training(base: dict) -> dict:
    """`base` with per-node training settings on its first layers, for mutations to hit."""
    d = copy.deepcopy(base)
    layers = [n for n in d["graph"]["nodes"] if n["type"] not in ("input", "output")]
    layers[0]["training"] = {"trainable": False}
    layers[-1]["training"] = {"lr_factor": 0.1, "weight_decay": False}
    return d


def corpus(seed: int = 0, per_source: int = 1) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    cases = list(special_cases())
    for name in SOURCES:
        base = with_training(source(name)) if name == "lenet_digits" else source(name)
        for _ in range(per_source):
            cases += [(f"{name}: {label}", text) for label, text in mutations(base, rng)]
    return cases


# ---- checkpoints -------------------------------------------------------------------------
def checkpoint_cases(doc: dict, rng: random.Random) -> Iterator[tuple[str, object]]:
    """Malformed checkpoint.json documents made from a valid one (`doc`): each yields
    (label, text of checkpoint.json)."""
    text = json.dumps(doc)
    for _ in range(10):
        cut = rng.randrange(0, len(text))
        yield f"truncated at {cut}", text[:cut]
    for raw in ("[]", "5", "null", "{}", '"x"'):
        yield f"raw {raw}", raw
    for key in list(doc):
        for value in rng.sample(HOSTILE, 6) + [None]:
            d = copy.deepcopy(doc)
            d[key] = copy.deepcopy(value)
            yield f"{key} = {str(value)[:20]!r}", dump(d)
        d = copy.deepcopy(doc)
        del d[key]
        yield f"del {key}", dump(d)
    for path in ("../x.safetensors", "/etc/passwd", "sub/../../x", "", "."):
        d = copy.deepcopy(doc)
        d["tensors"] = path
        yield f"tensors {path!r}", dump(d)


# ---- the surfaces added since: blocks, ONNX, predict inputs (issue 29) ---------------------
def _node(name: str, type_id: str, params: dict | None = None) -> dict:
    return {"id": f"{name}_id", "type": type_id, "name": name, "params": params or {},
            "position": [0.0, 0.0]}


def _chain(names_types: list[tuple[str, str, dict]]) -> dict:
    nodes = [_node(n, t, p) for n, t, p in names_types]
    edges = [{"src": a["id"], "src_port": "y", "dst": b["id"], "dst_port": "x"}
             for a, b in itertools.pairwise(nodes)]
    return {"nodes": nodes, "edges": edges}


def block_bomb(levels: int, fanout: int = 2, repeat: int = 1) -> dict:
    """A project whose block B{levels} holds `fanout` instances (each repeated `repeat`
    times) of B{levels-1}, ... down to B0 (one ReLU): (fanout·repeat)^levels nodes once
    expanded, a few dozen as written."""
    blocks = {"B0": {"graph": _chain([("x", "input", {"shape": [2]}), ("r", "relu", {}),
                                      ("y", "output", {"loss": "none"})])}}
    for level in range(1, levels + 1):
        inner = [(f"b{i}", "block", {"block": f"B{level - 1}", "repeat": repeat})
                 for i in range(fanout)]
        blocks[f"B{level}"] = {"graph": _chain([("x", "input", {"shape": [2]}), *inner,
                                                ("y", "output", {"loss": "none"})])}
    project = source("mlp_moons")
    graph = project["graph"]
    bomb = _node("bomb", "block", {"block": f"B{levels}", "repeat": 1})
    first = graph["edges"][0]
    graph["nodes"].append(bomb)
    graph["edges"][0] = {**first, "dst": bomb["id"]}
    graph["edges"].append({"src": bomb["id"], "src_port": "y", "dst": first["dst"],
                           "dst_port": "x"})
    project["blocks"] = blocks
    return project


def block_cases() -> Iterator[tuple[str, str]]:
    """Expansion bombs (labelled with their expanded node count) and exposed params or
    branches that the blocks section must refuse by field."""
    for levels, fanout, repeat in ((40, 2, 1), (20, 2, 1), (12, 3, 1), (3, 1, 1000),
                                   (6, 2, 1000)):
        count = (fanout * repeat) ** levels
        yield (f"block bomb {fanout}x{repeat} deep {levels} ({count:.3g} nodes)",
               dump(block_bomb(levels, fanout, repeat)))
    exposed = {"name": "width", "kind": "int", "default": 2, "targets": [["r", "out_features"]]}
    for label, change in (("doc 5", {"doc": 5}), ("min true", {"min": True}),
                          ("min 7.5", {"min": 7.5}), ("max null", {"max": None}),
                          ("unknown field", {"colour": "red"}), ("kind 5", {"kind": 5}),
                          ("label list", {"label": [1]}), ("max 1e999", {"max": HUGE_FLOAT}),
                          ("target missing node", {"targets": [["nowhere", "out_features"]]}),
                          ("target missing param", {"targets": [["r", "colour"]]})):
        project = block_bomb(1)
        project["blocks"]["B0"]["graph"]["nodes"][1].update(type="linear",
                                                           params={"out_features": 2})
        project["blocks"]["B0"]["exposed"] = [{**exposed, **change}]
        yield f"block exposed {label}", dump(project)
    for nodes in (["nowhere"], ["r", "nowhere"]):
        project = block_bomb(1)
        project["blocks"]["B0"]["branches"] = [{"nodes": nodes, "when": [[1, "==", 1]]}]
        yield f"block branch names a missing node {nodes}", dump(project)


def csv_cases() -> Iterator[tuple[str, str]]:
    """CSV files for a 64-value model that predict must refuse; a bad cell is on line 2,
    column 8, and must be named so."""
    row = ["0.5"] * 64
    for bad in ("nan", "NaN", "inf", "-inf", "1e999", "-1e999", "Infinity", "0x10", "",
                "1,5", "\u0000", "--1"):
        cells = list(row)
        cells[7] = bad
        yield f"csv cell {bad!r}", ",".join(row) + "\n" + ",".join(
            f'"{c}"' if "," in c else c for c in cells) + "\n"
    yield "csv 100000 columns", ",".join(["1"] * 100_000) + "\n"
    yield "csv no rows", "a,b,c\n"
    yield "csv binary", "\x00\xff\xfe" * 100


def png_bomb(side: int) -> bytes:
    """A valid PNG header claiming side × side grey pixels (a few hundred bytes on disk):
    decoding it would take side² bytes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b""))


def png_cases() -> Iterator[tuple[str, bytes]]:
    for side in (30_000, 65_535):
        yield f"png bomb {side}²", png_bomb(side)
    yield "png truncated", png_bomb(8)[:30]
    yield "png empty", b""
    yield "png text", b"not an image at all"


def onnx_cases() -> Iterator[tuple[str, bytes]]:
    """Small ONNX models that `import` must refuse in one line: ops missing a required
    attribute or input, a string initializer, two nodes writing one output."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def model(nodes, inits=(), shape=(1, 3, 8, 8)) -> bytes:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))
        y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
        graph = helper.make_graph(nodes, "g", [x], [y], initializer=list(inits))
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        return m.SerializeToString()

    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    text = helper.make_tensor("w", TensorProto.STRING, [1], [b"hello"])
    yield "onnx Concat without axis", model([helper.make_node("Concat", ["x", "x"], ["y"])])
    yield "onnx MaxPool without kernel_shape", model([helper.make_node("MaxPool", ["x"], ["y"])])
    yield "onnx AveragePool without kernel_shape", model(
        [helper.make_node("AveragePool", ["x"], ["y"])])
    yield "onnx Conv with one input", model([helper.make_node("Conv", ["x"], ["y"])])
    yield "onnx Gemm with one input", model([helper.make_node("Gemm", ["x"], ["y"])],
                                            shape=(1, 3))
    yield "onnx string initializer", model([helper.make_node("Conv", ["x", "w"], ["y"])],
                                           [text])
    yield "onnx string Constant", model([
        helper.make_node("Constant", [], ["c"], value=text),
        helper.make_node("Add", ["x", "c"], ["y"])])
    yield "onnx two nodes write y", model([helper.make_node("Relu", ["x"], ["y"]),
                                           helper.make_node("Sigmoid", ["x"], ["y"])])
    yield "onnx Flatten without input", model([helper.make_node("Flatten", [], ["y"])])
    yield "onnx Conv 5-D weight", model(
        [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3, 3])],
        [numpy_helper.from_array(np.ones((4, 3, 3, 3, 3), np.float32), "w")])
    yield "onnx Conv weight mismatch", model([helper.make_node("Conv", ["x", "w"], ["y"],
                                                               group=7)], [w])
    yield "onnx Reshape without shape", model([helper.make_node("Reshape", ["x"], ["y"])])
    assert onnx  # the import names the optional dependency
