"""The weight-free pose transfer: PoseStudio's default generator and live preview.

matte (who is the person) -> parts (which body part owns each pixel) -> rig (one
backward affine per part) -> skinning (one smooth map per limb chain) -> render
(chains in depth order over the background) -> inpaint (what the body uncovers).
:func:`prepare_source` does the target-independent half once per photo (cached);
:func:`warp_prepared` the rest per target pose; :func:`puppet_warp` both.
Pure numpy + OpenCV: importing it never imports torch.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.engine.warp.prepare import PreparedSource, prepare_source
from posestudio.engine.warp.render import Warp, warp_prepared

__all__ = ["PreparedSource", "Warp", "prepare_source", "puppet_warp", "warp_prepared"]

# Longer side above which the warp runs on a downscaled copy (memory: a 12000 px photo
# needs gigabytes of float maps at full size).
MAX_SIDE = 4096


def puppet_warp(
    image: np.ndarray,
    source_pose: Pose,
    target_pose: Pose,
    source_parsing: np.ndarray | None = None,
    label_set: str = "spt10",
    complete_body: bool = True,
    use_silhouette: bool = True,
    borrow_limbs: bool = True,
    source_matte: np.ndarray | None = None,
) -> Warp:
    """Warp the person in ``image`` (uint8 HxWx3 RGB, any size) from ``source_pose``
    to ``target_pose`` (both in this image's pixels). The person is found from
    ``source_parsing`` (nonzero = person), else ``source_matte`` (HxW float [0, 1] or
    uint8), else by GrabCut seeded by the skeleton. Identical poses return the source
    image and parsing map unchanged, bit for bit."""
    img = np.ascontiguousarray(image)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8 or img.size == 0:
        raise ValueError(f"puppet_warp needs a uint8 HxWx3 image, got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    if max(h, w) > MAX_SIDE and source_pose != target_pose:
        return _warp_downscaled(img, source_pose, target_pose, source_parsing, label_set, complete_body,
                                use_silhouette, borrow_limbs, source_matte)  # fmt: skip
    prep = prepare_source(img, source_pose, source_parsing, label_set, source_matte, use_silhouette)
    return warp_prepared(prep, target_pose, complete_body, borrow_limbs)


def _warp_downscaled(img, sp, tp, parsing, label_set, complete_body, use_silhouette, borrow, matte) -> Warp:
    h, w = img.shape[:2]
    s = MAX_SIDE / max(h, w)
    sw, sh = max(1, round(w * s)), max(1, round(h * s))
    small = cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA)
    par = None
    if parsing is not None:
        par = cv2.resize(np.asarray(parsing).astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST)
    mat = None
    if matte is not None:
        m = np.asarray(matte)
        mat = cv2.resize(m.astype(np.float32) / (255.0 if m.dtype == np.uint8 else 1.0), (sw, sh))
    r = puppet_warp(small, Pose(sp.xy * s, sp.visible), Pose(tp.xy * s, tp.visible), par, label_set,
                    complete_body, use_silhouette, borrow, mat)  # fmt: skip
    up = lambda a, interp=cv2.INTER_LINEAR: cv2.resize(a, (w, h), interpolation=interp)  # noqa: E731
    parsing_out = None
    if r.parsing is not None:
        parsing_out = up(r.parsing.astype(np.uint8), cv2.INTER_NEAREST).astype(np.asarray(parsing).dtype)
    warnings = [*r.warnings, f"the image is {w}x{h}: warped on a {sw}x{sh} copy and scaled back up"]
    return Warp(
        up(r.image), up(r.flow) / s, up(r.visibility), up(r.parts, cv2.INTER_NEAREST), parsing_out, warnings
    )
