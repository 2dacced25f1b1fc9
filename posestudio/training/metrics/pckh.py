"""PCKh as the pose-transfer papers compute it (PATN's evaluation, alpha = 0.5).

For each reference pose, the head box is the bounding box of its visible head
keypoints (nose, neck, eyes, ears; at least two needed, else the image is
skipped); a reference joint counts as correct when the predicted joint exists and
``|dx| < alpha * box width`` and ``|dy| < alpha * box height``. PCKh = correct /
visible reference joints over the whole set. Predicted poses come from a pose
detector run on the generated images; the detector is optional here: pass poses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from posestudio.core.pose import Pose
from posestudio.errors import InputError

HEAD_PARTS = (0, 1, 14, 15, 16, 17)


def head_size(pose: Pose) -> tuple[float, float] | None:
    """(width, height) of the box of the visible head joints, None with fewer than two."""
    idx = [j for j in HEAD_PARTS if pose.visible[j]]
    if len(idx) < 2:
        return None
    p = pose.xy[idx]
    return float(p[:, 0].max() - p[:, 0].min()), float(p[:, 1].max() - p[:, 1].min())


def pckh_counts(pred: Pose, ref: Pose, alpha: float = 0.5) -> tuple[int, int]:
    """(correct, counted) joints of one image; (0, 0) when the reference has no head size."""
    hs = head_size(ref)
    if hs is None:
        return 0, 0
    ok = ref.visible & pred.visible
    d = np.abs(pred.xy - ref.xy)
    right = ok & (d[:, 0] < hs[0] * alpha) & (d[:, 1] < hs[1] * alpha)
    return int(right.sum()), int(ref.visible.sum())


def pckh(preds: Sequence[Pose], refs: Sequence[Pose], alpha: float = 0.5) -> float:
    if len(preds) != len(refs):
        raise InputError(f"{len(preds)} predicted poses for {len(refs)} reference poses")
    right = total = 0
    for p, r in zip(preds, refs, strict=True):
        a, b = pckh_counts(p, r, alpha)
        right, total = right + a, total + b
    if total == 0:
        raise InputError("no reference pose has two visible head keypoints; PCKh is undefined")
    return right / total


class PCKh:
    """``PCKh(alpha)(predicted_poses, reference_poses)``; with ``detector`` (image -> Pose),
    ``.from_images(generated_images, reference_poses)`` detects the predicted poses first."""

    kind = "pose"
    higher_is_better = True
    name = "pckh"

    def __init__(self, alpha: float = 0.5, detector: Callable | None = None):
        self.alpha, self.detector = alpha, detector

    def __call__(self, preds: Sequence[Pose], refs: Sequence[Pose]) -> float:
        return pckh(preds, refs, self.alpha)

    def from_images(self, images, refs: Sequence[Pose]) -> float:
        if self.detector is None:
            raise InputError("PCKh from images needs a pose detector (image -> Pose)")
        return pckh([self.detector(im) for im in images], refs, self.alpha)
