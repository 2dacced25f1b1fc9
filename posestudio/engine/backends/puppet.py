"""The puppet warp as a backend, and the weight-free answer to every task.

pose: :func:`posestudio.engine.puppet.puppet_warp`; parsing: the source
parsing map carried along the puppet flow (nearest neighbour); garment: the
warp, then every pixel whose label the artist changed is refilled from the
nearest source pixel of its new label (texture extension); face / attribute:
the warp alone, with a warning that no trained model is installed.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from posestudio.core import labels
from posestudio.core.pose import Pose
from posestudio.engine.puppet import puppet_warp
from posestudio.engine.results import Request, Result


class PuppetBackend:
    """``run({"image": uint8 HxWx3, "source_pose": (18,3), "target_pose": (18,3)[, "source_parsing": HxW]})``."""

    name = "puppet"
    device = "cpu"

    def __init__(self, label_set: str = "spt10"):
        self.label_set = label_set

    def run(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        w = puppet_warp(
            inputs["image"], Pose.from_array(inputs["source_pose"]), Pose.from_array(inputs["target_pose"]),
            inputs.get("source_parsing"), self.label_set,
        )  # fmt: skip
        out = {"image": w.image, "flow": w.flow, "visibility": w.visibility, "parts": w.parts}
        if w.parsing is not None:
            out["parsing"] = w.parsing
        return out


def repaint_regions(
    image: np.ndarray, have: np.ndarray, want: np.ndarray, reference=None, reference_parsing=None
):
    """Weight-free garment edit: pixels whose label changes from ``have`` to ``want``
    take the colour of the nearest pixel that already carries the wanted label
    (in the image, else in the reference image, else the background fill)."""
    out = image.copy()
    changed = have != want
    for lab in np.unique(want[changed]):
        todo = changed & (want == lab)
        donor_img, donor = image, (have == lab) & ~changed
        if not donor.any() and reference is not None and reference_parsing is not None:
            donor_img = cv2.resize(reference, image.shape[1::-1], interpolation=cv2.INTER_AREA)
            rp = cv2.resize(
                reference_parsing.astype(np.uint8), image.shape[1::-1], interpolation=cv2.INTER_NEAREST
            )
            donor = rp == lab
        if not donor.any():
            continue
        _, idx = cv2.distanceTransformWithLabels((~donor).astype(np.uint8), cv2.DIST_L2, 5,
                                                 labelType=cv2.DIST_LABEL_PIXEL)  # fmt: skip
        ys, xs = np.nonzero(donor)
        lut_y = np.zeros(idx.max() + 1, np.intp)
        lut_x = np.zeros(idx.max() + 1, np.intp)
        lut_y[idx[ys, xs]], lut_x[idx[ys, xs]] = ys, xs
        ty, tx = np.nonzero(todo)
        k = idx[ty, tx]
        out[ty, tx] = donor_img[lut_y[k], lut_x[k]]
    return out


def run_puppet(req: Request) -> Result:
    """Answer any request with the puppet warp (see the module docstring)."""
    t0 = time.perf_counter()
    warnings: list[str] = []
    src = np.asarray(req.source_image)
    H, W = src.shape[:2]
    sp = req.source_pose or Pose.empty()
    tp = req.target_pose or sp
    w = puppet_warp(src, sp, tp, req.source_parsing, req.label_set)
    warnings += w.warnings
    layers: dict[str, np.ndarray] = {"flow": w.flow, "visibility": w.visibility}
    image = w.image
    if w.parsing is not None:
        layers["parsing"] = w.parsing
    if req.task == "parsing":
        if w.parsing is None:
            warnings.append("no source parsing map: nothing to carry to the target pose")
        else:
            image = labels.colorize(w.parsing, req.label_set)
    elif req.task == "garment":
        if req.target_parsing is None:
            warnings.append("garment editing needs an edited target parsing map; returned the pose warp")
        else:
            have = w.parsing if w.parsing is not None else np.zeros((H, W), np.uint8)
            want = np.asarray(req.target_parsing)
            image = repaint_regions(image, have, want, req.reference_image, req.reference_parsing)
            layers["parsing"] = want
    elif req.task in ("face", "attribute"):
        warnings.append(f"no trained {req.task} model is installed: the puppet warp only moves the pose")
    return Result(image, layers, time.perf_counter() - t0, "puppet", "puppet", "cpu", warnings)
