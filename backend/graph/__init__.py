"""The Qt-free, undoable document model."""

from .edits import (AddEdge, AddNodes, Compound, Edit, MoveNodes, RemoveItems, Rename, SetParam,
                    SetSetting, SetSilenced)
from .errors import (CycleError, DuplicateNameError, GraphError, MissingEndpointError,
                     MissingInputError, ParamValueError, PortError, UnknownNodeError,
                     UnknownTypeError)
from .events import Event
from .model import Edge, Graph, Node, new_id, topo_sort

__all__ = [
    "Graph", "Node", "Edge", "new_id", "Event", "Edit", "AddNodes", "RemoveItems", "AddEdge",
    "SetParam", "SetSetting", "SetSilenced", "Rename", "MoveNodes", "Compound", "GraphError",
    "CycleError",
    "UnknownTypeError", "PortError", "DuplicateNameError", "UnknownNodeError", "ParamValueError",
    "MissingInputError", "MissingEndpointError", "topo_sort",
]
