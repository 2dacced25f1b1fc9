"""H_S and H_A run on the real DeepFashion samples' SPT-10 parsing maps and poses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posestudio.core.pose import Pose
from posestudio.nets import registry, spt_parts
from tests.nets.test_spt_data import one_hot, pose_tensors, real_sample

H, W = 256, 176


@pytest.fixture(scope="module")
def pair(samples_dir):
    a, b = real_sample(samples_dir, "3_A"), real_sample(samples_dir, "3_B")
    ha, ma = pose_tensors(a["pose"], H, W)
    hb, mb = pose_tensors(b["pose"], H, W)
    return {
        "source_image": a["image"],
        "source_parsing": one_hot(a["labels"], "spt10"),
        "source_heatmaps": ha,
        "source_mask": ma,
        "target_parsing": one_hot(b["labels"], "spt10"),
        "target_heatmaps": hb,
        "target_mask": mb,
        "source_labels": a["labels"],
        "source_pose": a["pose"],
    }


def test_spt_parsing_on_real_parsing(pair):
    torch.manual_seed(0)
    hs = registry.build("spt-parsing", "tiny").eval()
    with torch.no_grad():
        out = hs(**{k: pair[k] for k in hs.inputs})
    assert tuple(hs.outputs) == ("parsing",)
    p = out["parsing"]
    assert p.shape == (1, 10, H, W)
    assert torch.allclose(p.sum(1), torch.ones(1, H, W), atol=1e-5)


def test_spt_appearance_on_real_parsing(pair):
    torch.manual_seed(0)
    ha = registry.build("spt-appearance", "tiny").eval()
    with torch.no_grad():
        out = ha(**{k: pair[k] for k in ha.inputs})
    assert tuple(out) == ("image", "warped_source")
    assert out["image"].shape == (1, 3, H, W)
    assert out["image"].abs().max() <= 1 and torch.isfinite(out["image"]).all()
    # the warp the skips carry puts source pixels inside the target's parts only
    warped = out["warped_source"]
    assert warped.shape == (1, 3, H, W)
    assert ((warped > -1).any(1)).float().mean() > 0.05


def test_deformable_warp_follows_a_moved_real_pose(pair):
    """Move and scale the real pose (and its parsing) by a known affine: the ten part
    affines recovered from the heatmaps carry the source parsing onto the moved one."""
    import cv2

    lab = pair["source_labels"]
    m = np.array([[1.1, 0.0, -5.0], [0.0, 1.1, -12.0]])
    moved_lab = cv2.warpAffine(lab, m, (W, H), flags=cv2.INTER_NEAREST)
    pose = pair["source_pose"]
    moved = Pose(pose.xy @ m[:, :2].T + m[:, 2], pose.visible)
    ht, _ = pose_tensors(moved, H, W)
    sxy, svis = spt_parts.heatmap_keypoints(pair["source_heatmaps"])
    txy, tvis = spt_parts.heatmap_keypoints(ht)
    src, tgt = spt_parts.pair_rectangles(sxy, svis, txy, tvis, H, W)
    grid, masks = spt_parts.part_affine_grids(tgt, src, H, W, H, W)
    warped = spt_parts.deform(pair["source_parsing"], grid, masks).argmax(1)[0].numpy()
    inside = masks.amax(1)[0].numpy() > 0
    assert inside.mean() > 0.1
    agree = (warped[inside] == moved_lab[inside]).mean()
    unwarped = (lab[inside] == moved_lab[inside]).mean()
    assert agree > 0.97 and agree > unwarped + 0.05


def test_garment_edit_same_pose_keeps_warp_identity(pair):
    """Garment editing runs H_A with target pose = source pose: the skips are unwarped."""
    torch.manual_seed(0)
    ha = registry.build("spt-appearance", "tiny").eval()
    inputs = {k: pair[k] for k in ha.inputs}
    inputs["target_heatmaps"] = inputs["source_heatmaps"]
    with torch.no_grad():
        out = ha(**inputs)
    shown = (out["warped_source"] > -1).any(1, keepdim=True).expand_as(pair["source_image"])
    assert torch.allclose(out["warped_source"][shown], pair["source_image"][shown], atol=1e-4)


def test_parsing_then_appearance_chain(pair):
    """The engine's SPT pose transfer: H_S predicts the target parsing, its arg-max (which
    the artist may repaint) drives H_A."""
    from posestudio.nets import spt

    torch.manual_seed(0)
    hs = registry.build("spt-parsing", "tiny").eval()
    ha = registry.build("spt-appearance", "tiny").eval()
    with torch.no_grad():
        probs = hs(**{k: pair[k] for k in hs.inputs})["parsing"]
        hard = spt.one_hot_argmax(probs)
        assert torch.equal(hard.sum(1), torch.ones(1, H, W))
        assert torch.equal(hard.argmax(1), probs.argmax(1))
        inputs = {k: pair[k] for k in ha.inputs}
        inputs["target_parsing"] = hard
        out = ha(**inputs)
    assert out["image"].shape == (1, 3, H, W)
