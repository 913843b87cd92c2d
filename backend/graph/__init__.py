"""The Qt-free, undoable document model."""

from netcanvas.backend.graph.edits import (
                    AddEdge,
                    AddNodes,
                    Compound,
                    Edit,
                    MoveNodes,
                    RemoveItems,
                    Rename,
                    SetParam,
                    SetSetting,
                    SetSilenced,
                    SetTraining,
)
from netcanvas.backend.graph.errors import (
                    CycleError,
                    GraphError,
                    MissingEndpointError,
                    MissingInputError,
                    NodeNameError,
                    ParamError,
                    ParamValueError,
                    PortError,
                    UnknownNodeError,
                    UnknownTypeError,
)
from netcanvas.backend.graph.events import Event
from netcanvas.backend.graph.model import BLOCK, Edge, Graph, Node, new_id, topo_sort

__all__ = ["BLOCK", "AddEdge", "AddNodes", "Compound", "CycleError", "Edge", "Edit", "Event",
           "Graph", "GraphError", "MissingEndpointError", "MissingInputError", "MoveNodes", "Node",
           "NodeNameError", "ParamError", "ParamValueError", "PortError", "RemoveItems", "Rename",
           "SetParam", "SetSetting", "SetSilenced", "SetTraining", "UnknownNodeError",
           "UnknownTypeError", "new_id", "topo_sort"]
