"""Face colorization (placeholder until the landmark warp lands)."""

from __future__ import annotations

import numpy as np


def colorize_request(req) -> np.ndarray:
    """The face crop, unchanged."""
    return np.asarray(req.source_image).copy()
