"""Inputs for the SPT / SCM-Net tests built from core (poses, heatmaps, masks, label
sets) and the real DeepFashion samples; plus the checks that tie nets' copies of core
tables to core."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from posestudio.core import labels, skeleton
from posestudio.core.formats import csv_keypoints, label_png
from posestudio.core.pose import Pose, body_mask, default_pose, heatmaps
from posestudio.nets import spt_losses, spt_parts

CROP_X = 40  # DeepFashion 256x256 -> the papers' 256x176 centre crop


def real_sample(samples_dir: Path, name: str, crop: bool = True) -> dict:
    """Image (1,3,H,W) in [-1,1], SPT-10 label map (H,W), pose, for ``name`` like "2_A"."""
    from PIL import Image

    img = np.asarray(Image.open(samples_dir / f"{name}.jpg").convert("RGB"), dtype=np.float32)
    lab = label_png.read(samples_dir / f"{name}_parsing.png", "spt10")
    pose = csv_keypoints.read_all(samples_dir / "keypoints.csv")[f"{name}.jpg"]
    if crop:
        img, lab = img[:, CROP_X:-CROP_X], lab[:, CROP_X:-CROP_X]
        pose = Pose(pose.xy - np.array([CROP_X, 0.0]), pose.visible)
    return {
        "image": torch.from_numpy(img / 127.5 - 1.0).permute(2, 0, 1)[None].float(),
        "labels": lab,
        "pose": pose,
    }


def pose_tensors(pose: Pose, h: int, w: int, sigma: float = 6.0) -> tuple[torch.Tensor, torch.Tensor]:
    hm = torch.from_numpy(heatmaps(pose, h, w, sigma)).float()[None]
    mask = torch.from_numpy(body_mask(pose, h, w).astype(np.float32) > 0).float()[None, None]
    return hm, mask


def one_hot(label_map: np.ndarray, label_set: str) -> torch.Tensor:
    return torch.from_numpy(labels.one_hot(label_map, label_set))[None]


def scm8(label_map_spt10: np.ndarray) -> torch.Tensor:
    return one_hot(labels.convert(label_map_spt10, "spt10", "scm8"), "scm8")


def synthetic_pair(h: int = 64, w: int = 48, batch: int = 2, seed: int = 0) -> dict[str, torch.Tensor]:
    """A default pose and the same with raised arms, their heatmaps/masks, a random image
    and blocky random parsing maps (batch copies)."""
    g = torch.Generator().manual_seed(seed)
    src = default_pose(w, h)
    xy = src.xy.copy()
    xy[[4, 7], 1] -= 0.3 * h  # wrists up
    xy[[3, 6], 1] -= 0.12 * h
    tgt = Pose(xy, src.visible)
    hs, ms = pose_tensors(src, h, w, sigma=2.0)
    ht, mt = pose_tensors(tgt, h, w, sigma=2.0)

    def parsing(n):
        idx = torch.randint(0, n, (batch, h // 8, w // 8), generator=g)
        idx = idx.repeat_interleave(8, 1).repeat_interleave(8, 2)
        return torch.nn.functional.one_hot(idx, n).permute(0, 3, 1, 2).float()

    rep = lambda t: t.expand(batch, *t.shape[1:]).clone()  # noqa: E731
    return {
        "source_image": torch.rand(batch, 3, h, w, generator=g) * 2 - 1,
        "source_parsing": parsing(10),
        "target_parsing": parsing(10),
        "source_scm8": parsing(8),
        "source_heatmaps": rep(hs),
        "source_mask": rep(ms),
        "target_heatmaps": rep(ht),
        "target_mask": rep(mt),
    }


def test_nets_rigid_parts_match_core():
    assert [p[0] for p in spt_parts.PARTS] == list(skeleton.RIGID_PARTS)
    for name, joints, _, _ in spt_parts.PARTS:
        assert tuple(joints) == tuple(skeleton.RIGID_PARTS[name])
    assert spt_losses.HEAD_JOINTS == tuple(skeleton.HEAD_JOINTS)


def test_heatmap_keypoints_recover_real_joints(samples_dir):
    s = real_sample(samples_dir, "2_A")
    hm, _ = pose_tensors(s["pose"], 256, 176)
    xy, vis = spt_parts.heatmap_keypoints(hm)
    assert np.array_equal(vis[0].numpy().astype(bool), s["pose"].visible)
    err = np.abs(xy[0].numpy() - s["pose"].xy)[s["pose"].visible]
    assert err.max() <= 0.5 + 1e-6
