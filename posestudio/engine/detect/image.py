"""Any image the user opens -> the 8-bit RGB the detectors take."""

from __future__ import annotations

import numpy as np

from posestudio.errors import InputError

MIN_SIDE = 16
MAX_PIXELS = 200_000_000


def as_rgb8(image) -> np.ndarray:
    """uint8 HxWx3 RGB of a numpy array or PIL image: gray is repeated, 16-bit and float are
    scaled to 8 bits, alpha is composited on white (transparent parts are not a person)."""
    if hasattr(image, "mode"):  # PIL
        if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
            image = np.asarray(image)
        else:
            image = np.asarray(image.convert("RGBA") if "A" in image.getbands() or image.mode == "P"
                               else image.convert("RGB"))
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise InputError(f"not an image: array of shape {a.shape}")
    if min(a.shape[:2]) < MIN_SIDE:
        raise InputError(f"the image is too small to find a person in ({a.shape[1]}x{a.shape[0]} px)")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise InputError(f"the image is too large ({a.shape[1]}x{a.shape[0]} px)")
    if a.dtype != np.uint8:
        f = a.astype(np.float64)
        if np.issubdtype(a.dtype, np.integer):
            top = 65535.0 if f.max() > 255 else 255.0
        else:
            top = 1.0 if np.nanmax(f) <= 1.0 else 255.0
        a = np.clip(np.nan_to_num(f / top * 255.0), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        a = (a[:, :, :3] * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)
