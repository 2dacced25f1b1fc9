"""The puppet warp as a backend, and the weight-free answer to every task.

pose: :func:`posestudio.engine.puppet.puppet_warp`; parsing: the source
parsing map carried along the puppet flow; garment, attribute, face: the
warp (or, for equal poses, the picture itself), then the edit of
:mod:`posestudio.engine.edit` (garment repaint, attribute transfer, face
colorization). A photo without a parsing map gets a first one estimated
from the person (:func:`posestudio.engine.edit.parsing.estimate`).
"""

from __future__ import annotations

import time

import numpy as np

from posestudio.core import labels
from posestudio.core.pose import Pose
from posestudio.engine.edit import attribute, face, garment
from posestudio.engine.edit import parsing as person_parsing
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


def _identity(src: np.ndarray, parsing: np.ndarray | None):
    """What the warp gives for equal poses: the picture and its parsing, untouched."""
    h, w = src.shape[:2]
    vis = np.zeros((h, w), np.float32) if parsing is None else (np.asarray(parsing) > 0).astype(np.float32)
    return src.copy(), {"flow": np.zeros((h, w, 2), np.float32), "visibility": vis}


def run_puppet(req: Request) -> Result:
    """Answer any request weight-free (see the module docstring): the pose warp,
    then the edit the task asks for (:mod:`posestudio.engine.edit`)."""
    t0 = time.perf_counter()
    warnings: list[str] = []
    errors: list[str] = []
    src = np.asarray(req.source_image)
    sp = req.source_pose or Pose.empty()
    tp = req.target_pose or sp
    same_pose = sp == tp
    if req.task == "face":  # no pose: the crop stays where it is (no flow, no warped body shown)
        image, more = face.colorize_request(req)
        warnings += more
        _, layers = _identity(src, None)
        return Result(image, layers, time.perf_counter() - t0, "puppet", "puppet", "cpu", warnings)
    if same_pose and req.task != "pose":
        # an edit in the source pose starts from the picture itself, bit for bit
        image, layers = _identity(src, req.source_parsing)
        parsing = None if req.source_parsing is None else np.asarray(req.source_parsing)
    else:
        w = puppet_warp(src, sp, tp, req.source_parsing, req.label_set, source_matte=req.source_matte)
        warnings += w.warnings
        image, layers, parsing = w.image, {"flow": w.flow, "visibility": w.visibility}, w.parsing
    if parsing is not None:
        layers["parsing"] = parsing
    if req.task == "parsing":
        if parsing is None:
            warnings.append("no source parsing map: nothing to carry to the target pose")
        else:
            image = labels.colorize(parsing, req.label_set)
    elif req.task == "garment":
        if req.target_parsing is None:
            warnings.append("garment editing needs an edited target parsing map; returned the pose warp")
        else:
            want = np.asarray(req.target_parsing)
            if parsing is None:
                parsing = person_parsing.estimate(image, tp, req.label_set)
            look = dict(reference=req.reference_image, reference_parsing=req.reference_parsing,
                        others=[(src, req.source_parsing)])
            missing = garment.missing_labels(image, parsing, want, req.label_set, **look)
            if missing:  # the rest of the edit is done; the CLI exits 2, the panel says so
                errors.append(garment.missing_message(missing))
            image = garment.repaint(image, parsing, want, req.label_set, on_missing="skip", **look)
            layers["parsing"] = want
    elif req.task == "attribute":
        if parsing is None:
            parsing = person_parsing.estimate(image, tp, req.label_set)
        image, layers["parsing"] = attribute.transfer_request(req, image, parsing, tp)
    return Result(image, layers, time.perf_counter() - t0, "puppet", "puppet", "cpu", warnings, errors=errors)
