"""The face edge map: one drawing rule for synthetic faces and detected ones.

SCM-Net's face colorization (``scmnet-face``) takes a face edge map as its
structure input. Synthetic training faces (:mod:`posestudio.training.synth.faces`)
and faces found by MediaPipe (:mod:`posestudio.engine.detect`) are both reduced to
the 68-point iBUG 300-W landmarks (0-based) and drawn here, so training and
inference edges look alike (convention in docs/SYNTH.md):

* one channel, uint8, 255 = edge on 0 = background;
* drawn from the landmarks only, 8-connected, no anti-aliasing, 3 fractional bits;
* line width ``max(1, round(min(H, W) / 128))`` px (2 px at 256, 1 px at 128);
* open polylines: jaw 0-16, brows 17-21 and 22-26, nose bridge 27-30, nostril
  line 31-35; closed polylines: eyes 36-41 and 42-47, outer lips 48-59, inner
  lips 60-67.

``MEDIAPIPE_TO_IBUG68`` maps MediaPipe Face Mesh (468/478 landmarks) onto the 68
points; :func:`mediapipe_to_ibug68` applies it.
"""

from __future__ import annotations

import cv2
import numpy as np

# iBUG 68 contour groups: name -> (start, end, closed), points start..end-1.
GROUPS: dict[str, tuple[int, int, bool]] = {
    "jaw": (0, 17, False),
    "right_brow": (17, 22, False),  # the person's right = image left
    "left_brow": (22, 27, False),
    "nose_bridge": (27, 31, False),
    "nostrils": (31, 36, False),
    "right_eye": (36, 42, True),
    "left_eye": (42, 48, True),
    "outer_lips": (48, 60, True),
    "inner_lips": (60, 68, True),
}
EDGE_RUNS: tuple[tuple[int, int, bool], ...] = tuple(GROUPS.values())

_SHIFT = 3  # fractional bits of the polyline coordinates


def edge_width(size: int) -> int:
    """Line width in px for an image whose shorter side is ``size``."""
    return max(1, round(size / 128))


def draw_face_edges(
    landmarks68: np.ndarray, height: int, width: int, line_width: int | None = None
) -> np.ndarray:
    """(H, W) uint8 face edge map (255 lines on 0) of 68 iBUG landmarks (x, y pixels)."""
    lm = np.asarray(landmarks68, np.float64)
    if lm.shape != (68, 2):
        raise ValueError(f"expected 68 landmarks (x, y), got shape {lm.shape}")
    if not np.isfinite(lm).all():
        raise ValueError("face landmarks contain NaN or infinite values")
    out = np.zeros((height, width), np.uint8)
    lw = line_width or edge_width(min(height, width))
    pts = np.round(lm * (1 << _SHIFT)).astype(np.int32)
    for a, b, closed in EDGE_RUNS:
        cv2.polylines(out, [pts[a:b]], closed, 255, lw, cv2.LINE_8, _SHIFT)
    return out


# -- MediaPipe Face Mesh -> iBUG 68 ---------------------------------------------------------
# The jaw is not a fixed index list: MediaPipe's face oval runs from the temple (127, the
# person's right; 356, the left) round the chin (152) with uneven spacing, so each half of
# the oval is resampled to 9 points evenly spaced by arc length (iBUG 0-8 and 8-16).
MEDIAPIPE_JAW_RIGHT = (127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152)
MEDIAPIPE_JAW_LEFT = (152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356)
# iBUG 17-67 -> one Face Mesh index each. Brows: the upper brow contour, outer to inner
# (right) and inner to outer (left). Nose: between the eyes (168) down the ridge to the
# tip (1); nostril line from the right alar corner (98) over the subnasale (2) to the left
# (327). Eyes: corners (33/133, 362/263) and the lid points a third and two thirds along
# each lid. Lips: corners 61/291 (outer) and 78/308 (inner), mid-line 0/17 and 13/14.
MEDIAPIPE_TO_IBUG68: dict[int, int] = dict(
    zip(
        range(17, 68),
        (
            70, 63, 105, 66, 107,            # right brow 17-21
            336, 296, 334, 293, 300,         # left brow 22-26
            168, 197, 5, 1,                  # nose bridge 27-30
            98, 97, 2, 326, 327,             # nostrils 31-35
            33, 160, 158, 133, 153, 144,     # right eye 36-41
            362, 385, 387, 263, 373, 380,    # left eye 42-47
            61, 40, 37, 0, 267, 270, 291, 321, 314, 17, 84, 91,  # outer lips 48-59
            78, 81, 13, 311, 308, 402, 14, 178,                  # inner lips 60-67
        ),
        strict=True,
    )
)  # fmt: skip


def _resample(points: np.ndarray, n: int) -> np.ndarray:
    """``n`` points evenly spaced by arc length along the polyline ``points`` (ends kept)."""
    seg = np.hypot(*np.diff(points, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return np.repeat(points[:1], n, 0)
    t = np.linspace(0.0, s[-1], n)
    return np.stack([np.interp(t, s, points[:, 0]), np.interp(t, s, points[:, 1])], 1)


def mediapipe_to_ibug68(points: np.ndarray) -> np.ndarray:
    """(468+, 2) MediaPipe Face Mesh landmarks (pixels) -> (68, 2) iBUG landmarks."""
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or p.shape[0] < 468 or p.shape[1] < 2:
        raise ValueError(f"expected 468 or 478 Face Mesh landmarks (x, y), got shape {p.shape}")
    p = p[:, :2]
    out = np.zeros((68, 2))
    out[0:9] = _resample(p[list(MEDIAPIPE_JAW_RIGHT)], 9)
    out[8:17] = _resample(p[list(MEDIAPIPE_JAW_LEFT)], 9)
    for i, k in MEDIAPIPE_TO_IBUG68.items():
        out[i] = p[k]
    return out
