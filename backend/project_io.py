"""Reading and writing `*.netcanvas` project files.

A project file is plain JSON and nothing in it is ever executed. Loading checks every
field and raises ProjectFileError naming the one at fault ("nodes[3].params.kernel_size"),
so a bad file is one clear message, never a crash. Saving is atomic: a crash mid-save
leaves the previous file as it was.
"""

from __future__ import annotations

import copy
import glob
import json
import math
import os
import stat
import time
import uuid
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

from netcanvas.backend.echo import brief
from netcanvas.backend.graph import BLOCK, Edge, Graph, GraphError, Node
from netcanvas.backend.graph.node_training import validate_training
from netcanvas.backend.migrations import FORMAT_VERSION, migrate
from netcanvas.backend.project import DatasetConfig, Project, TrainingSettings
from netcanvas.backend.registry import ParamError
from netcanvas.backend.settings import declaration, validate_options, validate_setting

__all__ = ["FORMAT_VERSION", "ProjectFileError", "graph_from_dict", "load_project",
           "project_from_dict", "project_to_dict", "save_project", "write_atomic"]

_TOP_KEYS = ("format_version", "description", "blocks", "graph", "dataset", "training")
_NODE_KEYS = ("id", "type", "name", "params", "position", "silenced", "training")
_EDGE_KEYS = ("src", "src_port", "dst", "dst_port")


class ProjectFileError(ValueError):
    """A project file that cannot be loaded; `field` is the JSON path of the culprit."""

    def __init__(self, reason: str, field: str = "", path: str | os.PathLike | None = None):
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.path = path

    def __str__(self) -> str:
        where = [str(self.path)] if self.path is not None else []
        where += [self.field] if self.field else []
        return ": ".join([*where, self.reason])


# ---- writing ---------------------------------------------------------------------------
def project_to_dict(project: Project) -> dict[str, Any]:
    from netcanvas.backend.blocks.io import blocks_to_dict  # it reads graphs with this module
    return {
        "format_version": FORMAT_VERSION,
        "description": project.description,
        "blocks": blocks_to_dict(project.blocks),
        "graph": project.graph.to_dict(),
        "dataset": _settings_to_dict(project.dataset),
        "training": _settings_to_dict(project.training),
    }


def _settings_to_dict(settings: Any) -> dict[str, Any]:
    out = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else copy.deepcopy(value)
    return out


def save_project(project: Project, path: str | os.PathLike) -> None:
    """Write the project atomically (see `write_atomic`)."""
    write_atomic(path, json.dumps(project_to_dict(project), indent=2, ensure_ascii=False,
                                  allow_nan=False) + "\n")


STALE_TEMP_SECONDS = 600  # a temp file this old was left by a save that was killed


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write to a temp file in the same folder, fsync it, then rename it over `path`: a
    crash mid-save leaves the previous file whole. A symlink is followed (its target is
    replaced, the link stays), the file keeps its permissions, temp files left by killed
    saves are removed, and an error names `path`, never the temp file."""
    path = Path(os.path.realpath(path))
    tmp = path.with_name(f"{_temp_prefix(path)}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file: the umask decides
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            if mode is not None:
                os.chmod(f.fileno(), mode)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.strerror and exc.filename is not None:  # name the user's file, not the temp
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    _remove_stale_temps(path)


def _temp_prefix(path: Path) -> str:
    """"." + the file's name, cut so that the temp name (prefix + ".1234abcd.tmp") fits in
    the folder's longest name whenever the file's own name does."""
    try:
        longest = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # Windows has no pathconf
        longest = 255
    budget = longest - len(".") - len(".1234abcd.tmp")
    return "." + path.name.encode()[:budget].decode(errors="ignore")


def _remove_stale_temps(path: Path) -> None:
    now = time.time()
    for old in path.parent.glob(f"{glob.escape(_temp_prefix(path))}.*.tmp"):
        try:
            if now - old.stat().st_mtime > STALE_TEMP_SECONDS:
                old.unlink()
        except OSError:
            pass


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; Windows cannot open folders)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- reading ---------------------------------------------------------------------------
MAX_DEPTH = 64  # nesting levels of JSON objects and lists; real projects use about 6


def load_project(path: str | os.PathLike) -> Project:
    path = Path(path)
    data = read_json(path)
    try:
        return project_from_dict(data)
    except ProjectFileError as exc:
        exc.path = path
        raise


def read_json(path: Path) -> Any:
    """A JSON file's data (a project, the block library), or ProjectFileError naming it."""
    try:
        _regular_file(path)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ProjectFileError("not a NetCanvas project (not UTF-8 text)", path=path) from None
    except OSError as exc:
        raise ProjectFileError(f"cannot read the file: {exc.strerror}", path=path) from None
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: "
                               f"{exc.msg} (truncated or edited by hand?)", path=path) from None
    except RecursionError:
        raise ProjectFileError(f"not valid JSON: nested more than {MAX_DEPTH} levels deep",
                               path=path) from None
    except ValueError as exc:
        raise ProjectFileError(f"not valid JSON: {exc}", path=path) from None
    return data


def _regular_file(path: Path) -> None:
    """Refuse a folder, FIFO or device at once: reading one would fail or block forever."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a pipe" if stat.S_ISFIFO(mode) else \
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file"
        raise ProjectFileError(f"cannot open {what} as a project", path=path)


def _check_depth(data: Any) -> None:
    """Nesting beyond MAX_DEPTH is refused with the field where it starts, before any
    recursive walk (copy, validation) could hit Python's recursion limit."""
    stack = [(data, "", 0)]
    while stack:
        value, field, depth = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value) \
            if isinstance(value, list) else ()
        for key, child in items:
            if isinstance(child, (dict, list)):
                where = f"{field}[{key}]" if isinstance(key, int) else \
                    f"{field}.{brief(key)[1:-1]}" if field else brief(key)[1:-1]
                if depth + 1 > MAX_DEPTH:
                    raise ProjectFileError(f"nested more than {MAX_DEPTH} levels deep", field)
                stack.append((child, where, depth + 1))


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed in a project file")


def project_from_dict(d: Any) -> Project:
    if not isinstance(d, dict):
        raise ProjectFileError("expected a JSON object at the top level")
    _check_depth(d)
    version = _version(d)
    if version < FORMAT_VERSION:
        d = migrate(d, version)
    _no_unknown_keys(d, _TOP_KEYS, "")
    description = d.get("description", "")
    if not isinstance(description, str):
        raise ProjectFileError(f"expected text, got {brief(description)}", "description")
    if "graph" not in d:
        raise ProjectFileError("missing: a project needs a graph", "graph")
    from netcanvas.backend.blocks.io import blocks_from_dict  # it reads graphs with this module
    blocks = blocks_from_dict(d.get("blocks", {}))
    graph = graph_from_dict(d["graph"], blocks)
    from netcanvas.backend.blocks.size import ExpansionError, check_size, definition_sizes
    try:
        check_size(graph, definition_sizes(blocks))
    except ExpansionError as exc:
        raise ProjectFileError(str(exc), "graph") from None
    return Project(
        graph=graph,
        dataset=_settings_from_dict("dataset", d.get("dataset", {})),
        training=_settings_from_dict("training", d.get("training", {})),
        description=description,
        blocks=blocks,
    )


def _version(d: dict) -> int:
    """The file's format: 0 for the pre-release files (`"version": 0`), else its
    `format_version`, which must be one this NetCanvas reads (1..FORMAT_VERSION)."""
    if "format_version" not in d:
        if type(d.get("version")) is int and d["version"] == 0:  # the pre-release format
            return 0
        raise ProjectFileError("missing: this is not a NetCanvas project file", "format_version")
    version = d["format_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ProjectFileError(f"expected a whole number, got {brief(version)}", "format_version")
    if not 1 <= version <= FORMAT_VERSION:
        newer = (" (it was made by a newer NetCanvas: update to open it)"
                 if version > FORMAT_VERSION else "")
        raise ProjectFileError(f"this file is format {brief(version)}; this NetCanvas reads "
                               f"1..{FORMAT_VERSION}{newer}", "format_version")
    return version


def _no_unknown_keys(d: dict, known: tuple[str, ...], prefix: str) -> None:
    for key in d:
        if key not in known:
            key = brief(key)[1:-1]
            raise ProjectFileError(f"unknown key (expected {', '.join(known)})",
                                   f"{prefix}.{key}" if prefix else key)


def _expect(value: Any, kind: type, field: str, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ProjectFileError(f"expected {what}, got {brief(value)}", field)
    return value


@contextmanager
def _graph_error_at(field: str):
    """Re-raise a GraphError from the block as a ProjectFileError at `field`."""
    try:
        yield
    except GraphError as exc:
        raise ProjectFileError(str(exc), field) from None


def graph_from_dict(g: Any, blocks: Any = None, owner: str | None = None) -> Graph:
    """A Graph from its `to_dict()` form, every node and edge checked; block instances
    resolve from `blocks` (a BlockSet), and `owner` names the definition it is inside."""
    _expect(g, dict, "graph", "an object with nodes and edges")
    _no_unknown_keys(g, ("nodes", "edges"), "graph")
    graph = Graph(blocks=blocks, owner=owner)
    names: dict[str, str] = {}  # name -> field of its first use
    for i, raw in enumerate(_expect(g.get("nodes", []), list, "nodes", "a list")):
        node = _node_from_dict(raw, f"nodes[{i}]", graph, names)
        with _graph_error_at(f"nodes[{i}]"):
            graph.add_node(node)
    for j, raw in enumerate(_expect(g.get("edges", []), list, "edges", "a list")):
        field = f"edges[{j}]"
        edge = _edge_from_dict(raw, field, graph)
        with _graph_error_at(field):
            graph.add_edge(edge)
    return graph


def _node_from_dict(raw: Any, field: str, graph: Graph, names: dict[str, str]) -> Node:
    _expect(raw, dict, field, "an object")
    _no_unknown_keys(raw, _NODE_KEYS, field)
    for key in ("id", "type", "name"):
        if key not in raw:
            raise ProjectFileError("missing", f"{field}.{key}")
        _expect(raw[key], str, f"{field}.{key}", "text")
    node_id, type_id, name = raw["id"], raw["type"], raw["name"]
    if not node_id:
        raise ProjectFileError("must not be empty", f"{field}.id")
    if node_id in graph.nodes:
        raise ProjectFileError(f"duplicate node id {brief(node_id)}", f"{field}.id")
    spec = graph.resolve(type_id, _expect(raw.get("params", {}), dict, f"{field}.params",
                                          "an object"))
    if spec is None:
        what = (f"block {brief(raw['params'].get('block'))}, which is not defined"
                if type_id == BLOCK else f"layer type {brief(type_id)}")
        raise ProjectFileError(f"unknown {what}", f"{field}.type")
    if name in names:
        raise ProjectFileError(f"duplicate name {brief(name)} (also {names[name]})", f"{field}.name")
    with _graph_error_at(f"{field}.name"):
        graph.check_name(name)
    names[name] = field
    params = {}
    for key, value in _expect(raw.get("params", {}), dict, f"{field}.params", "an object").items():
        try:
            params[key] = spec.param(key).validate(value)
        except KeyError:
            raise ProjectFileError(f"{spec.title} has no parameter {brief(key)}",
                                   f"{field}.params.{key}") from None
        except ParamError as exc:
            reason = str(exc).removeprefix(f"{key}: ")
            raise ProjectFileError(reason, f"{field}.params.{key}") from None
    position = raw.get("position", [0.0, 0.0])
    if (not isinstance(position, list) or len(position) != 2
            or not all(_is_number(v) and _finite(v) for v in position)):
        raise ProjectFileError(f"expected [x, y], got {brief(position)}", f"{field}.position")
    silenced = raw.get("silenced", [])
    if not isinstance(silenced, list) or not all(isinstance(r, str) and r for r in silenced):
        raise ProjectFileError(f"expected a list of lint rule ids, got {brief(silenced)}",
                               f"{field}.silenced")
    training = _expect(raw.get("training", {}), dict, f"{field}.training", "an object")
    for key, value in training.items():
        try:
            validate_training({key: value})
        except ParamError as exc:
            raise ProjectFileError(str(exc).removeprefix(f"{key}: "),
                                   f"{field}.training.{key}") from None
    return Node(node_id, type_id, name, params, (float(position[0]), float(position[1])),
                tuple(sorted(set(silenced))), validate_training(training))


def _edge_from_dict(raw: Any, field: str, graph: Graph) -> Edge:
    _expect(raw, dict, field, "an object")
    _no_unknown_keys(raw, _EDGE_KEYS, field)
    for key in _EDGE_KEYS:
        if key not in raw:
            raise ProjectFileError("missing", f"{field}.{key}")
        _expect(raw[key], str, f"{field}.{key}", "text")
    edge = Edge(raw["src"], raw["src_port"], raw["dst"], raw["dst_port"])
    for end, ports in (("src", "output"), ("dst", "input")):
        node = graph.nodes.get(raw[end])
        if node is None:
            raise ProjectFileError(f"no node with id {brief(raw[end])}", f"{field}.{end}")
        port = raw[f"{end}_port"]
        spec = node.spec
        found = spec.output_port(port) if end == "src" else spec.input_port(port)
        if found is None:
            raise ProjectFileError(f"{spec.title} '{node.name}' has no {ports} port {brief(port)}",
                                   f"{field}.{end}_port")
    return edge


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: float) -> bool:
    """Finite and within a float's range (an int of 400 digits is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _settings_from_dict(section: str, d: Any) -> Any:
    """A settings dataclass from JSON, each value checked against its declaration
    (backend/settings.py); the error names the field ("training.batch_size")."""
    _expect(d, dict, section, "an object")
    cls = DatasetConfig if section == "dataset" else TrainingSettings
    _no_unknown_keys(d, tuple(f.name for f in fields(cls)), section)
    values = {}
    try:
        for key, value in d.items():
            if key != "options":
                values[key] = validate_setting(section, key, _first_bad_item(section, key, value))
        config = cls(**values)
        if "options" in d:
            config.options = copy.deepcopy(validate_options(config.name, d["options"]))
    except ParamError as exc:
        field, _, reason = str(exc).partition(": ")
        raise ProjectFileError(reason, field) from None
    return config


def _first_bad_item(section: str, key: str, value: Any) -> Any:
    """A list setting's items one by one, so the error names the item ("betas[1]")."""
    param = declaration(section, key)
    if param.kind in ("ints", "floats") and isinstance(value, list):
        for k, item in enumerate(value):
            try:
                param.validate([item] * (param.length or 1))
            except ParamError as exc:
                reason = str(exc).partition(": ")[2]
                raise ParamError(f"{section}.{key}[{k}]: {reason}") from None
    return value
