"""What the Look inside pages share."""

from __future__ import annotations

import copy
import dataclasses


def own_copy(predictor):
    """The predictor with a private copy of its model: a run caches one model for every tab,
    and the hooks Grad-CAM and the embeddings put on it must not see another tab's passes."""
    return dataclasses.replace(predictor, model=copy.deepcopy(predictor.model))
