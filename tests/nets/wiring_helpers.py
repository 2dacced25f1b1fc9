"""Helpers for the tests that pin how each generator's ``forward`` wires the paper's
equations: a real DeepFashion pair at a small size, and a recorder of the inputs and
outputs of named sub-modules (forward hooks) during one forward pass."""

from __future__ import annotations

import contextlib

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from posestudio.core.pose import Pose
from tests.nets.test_spt_data import one_hot, pose_tensors, real_sample


def real_pair(samples_dir, height: int, width: int, source: str = "2_A", target: str = "2_B",
              parsing: str | None = None) -> dict:  # fmt: skip
    """Source/target image (1,3,h,w) in [-1,1] and their 18 heatmaps (sigma scaled with the
    height) from two real DeepFashion photos of the same person in different poses; with
    ``parsing`` (a label set) also their one-hot parsing maps (nearest-resized) and body masks."""
    out = {}
    for role, name in (("source", source), ("target", target)):
        s = real_sample(samples_dir, name)
        h0, w0 = s["image"].shape[-2:]
        out[f"{role}_image"] = F.interpolate(s["image"], size=(height, width), mode="area")
        pose = Pose(s["pose"].xy * np.array([width / w0, height / h0]), s["pose"].visible)
        hm, mask = pose_tensors(pose, height, width, sigma=max(6.0 * height / 256, 1.0))
        out[f"{role}_heatmaps"] = hm
        if parsing:
            lab = cv2.resize(s["labels"].astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
            out[f"{role}_parsing"] = one_hot(lab, parsing).float()
            out[f"{role}_mask"] = mask
    return out


@contextlib.contextmanager
def recording(model: torch.nn.Module, *names: str):
    """Yield a dict filled, on the next forward, with ``{name: (inputs tuple, output)}`` of
    each named sub-module (``model.get_submodule(name)``); the last call of each wins."""
    seen: dict = {}
    handles = []
    for n in names:
        def hook(_mod, args, out, n=n):
            seen[n] = (args, out)

        handles.append(model.get_submodule(n).register_forward_hook(hook))
    try:
        yield seen
    finally:
        for h in handles:
            h.remove()


def close(a: torch.Tensor, b: torch.Tensor, tol: float = 1e-5) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=tol, rtol=1e-4))
