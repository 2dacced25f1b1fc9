"""Data-set items as engine requests, and the engine's weight-free answer to them.

One place that says how an item of :class:`~posestudio.training.datasets.SynthPairs` /
``PoseTransferPairs`` (``pairs``) or ``SynthFaces`` / ``FaceEdgeFolder`` (``faces``)
becomes a :class:`posestudio.engine.results.Request` for a task:

- ``pose``: source image, source and target poses, the source parsing;
- ``garment``: the same plus the target parsing (what the artist painted);
- ``face``: the reference face as the source crop, the target's edge map, the reference.

``eval`` sends these requests to the engine; the refiner recipes add the puppet's answer
(``prior_image``) to every training item, exactly as the engine prepares it at run time.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


def u8(t) -> np.ndarray:
    """(3, H, W) tensor in [-1, 1] -> uint8 HxWx3 (the engine's rounding)."""
    return ((t.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


def pose_of(t):
    from posestudio.core.pose import Pose

    a = t.detach().cpu().numpy().astype(np.float64)
    return Pose(a[:, :2], a[:, 2] > 0.5)


def _labels(item: dict, role: str):
    key = f"{role}_labels"
    return item[key].numpy().astype(np.uint8) if key in item else None


def request_for(item: dict, task: str = "pose", model: str = "puppet", label_set: str = "spt10"):
    """The engine request that asks ``model`` for this item's target."""
    from posestudio.engine.results import Request

    if task == "face":
        ref = u8(item["reference_image"])
        edges = (item["edges"][0].numpy() * 255.0).round().astype(np.uint8)
        return Request(task="face", model=model, source_image=ref, edges=edges, reference_image=ref,
                       label_set=label_set)  # fmt: skip
    return Request(
        task=task, model=model, source_image=u8(item["source_image"]), source_pose=pose_of(item["source_pose"]),
        target_pose=pose_of(item["target_pose"]), source_parsing=_labels(item, "source"),
        target_parsing=_labels(item, "target") if task == "garment" else None, label_set=label_set,
    )  # fmt: skip


def source_image(item: dict) -> torch.Tensor:
    """What a do-nothing model returns: the source image (pairs) or the reference face (faces)."""
    return item["source_image"] if "source_image" in item else item["reference_image"]


def target_image(item: dict) -> torch.Tensor:
    return item["target_image"] if "target_image" in item else item["image"]


def prior_tensors(item: dict, task: str, label_set: str = "spt10") -> dict[str, torch.Tensor]:
    """The puppet's answer to the item's request: ``prior_image`` (3, H, W) in [-1, 1] and
    ``prior_visibility`` (1, H, W) in [0, 1], as the engine prepares them."""
    from posestudio.engine.backends.puppet import run_puppet
    from posestudio.training.datasets import image_tensor

    res = run_puppet(request_for(item, task, "puppet", label_set))
    img = image_tensor(res.image)
    vis = torch.from_numpy(np.ascontiguousarray(res.layers["visibility"], np.float32))[None]
    return {"prior_image": img, "prior_visibility": vis}


class WithPrior(Dataset):
    """``base`` with the puppet's answer for ``task`` (``prior_image``, ``prior_visibility``)
    added to every item that does not carry it already."""

    def __init__(self, base: Dataset, task: str, label_set: str = "spt10"):
        self.base, self.task, self.label_set = base, task, label_set

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int) -> dict:
        item = dict(self.base[i])
        if "prior_image" not in item:  # a data set may bring its own (kept) answers: personal.pairs
            item.update(prior_tensors(item, self.task, self.label_set))
        return item
