"""What every metric shares: image checks and the registry entry type."""

from __future__ import annotations

import numpy as np

from posestudio.errors import InputError


def as_image(x, what: str = "image") -> np.ndarray:
    """(H, W, 3) or (H, W) array in 0..255 as float64; accepts uint8 or float arrays."""
    arr = np.asarray(x)
    if arr.ndim not in (2, 3):
        raise InputError(f"{what} must be (H, W) or (H, W, C), got shape {arr.shape}")
    return arr.astype(np.float64)


def same_shape(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise InputError(f"images differ in size: {a.shape} vs {b.shape}")
