"""SPT equations checked in isolation (Song et al., CVPR 2019)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from posestudio.core.pose import Pose
from posestudio.nets import spt_losses, spt_parts
from posestudio.nets.losses import VGG19Features
from posestudio.training.recipes import spt_pseudo_search as pseudo_labels
from tests.nets.test_spt_data import one_hot, pose_tensors, real_sample


def identity_features(x):
    return {"conv2_1": x}


def test_ce_weight_doubles_inside_pose_mask():
    """Eq. 2: the factor (1 + M) makes a body pixel's cross-entropy exactly twice the
    same pixel's cross-entropy off the body."""
    g = torch.Generator().manual_seed(0)
    logp = torch.log_softmax(torch.randn(1, 10, 8, 6, generator=g), 1)
    target = (
        torch.nn.functional.one_hot(torch.randint(0, 10, (1, 8, 6), generator=g), 10)
        .permute(0, 3, 1, 2)
        .float()
    )
    mask = torch.zeros(1, 1, 8, 6)
    mask[..., 2:5, 1:4] = 1
    plain = spt_losses.weighted_ce_map(logp, target, torch.zeros_like(mask))
    weighted = spt_losses.weighted_ce_map(logp, target, mask)
    assert torch.allclose(weighted[mask > 0], 2 * plain[mask > 0])
    assert torch.allclose(weighted[mask == 0], plain[mask == 0])
    assert (plain > 0).all()
    # and the scalar loss is the mean of that map, non-negative
    assert torch.isclose(spt_losses.weighted_ce(logp, target, mask), weighted.mean())


def _region_scene(seed=0):
    """An image whose two regions (left/right halves) carry distinct random textures."""
    g = torch.Generator().manual_seed(seed)
    img = torch.rand(1, 3, 32, 24, generator=g) * 2 - 1
    lab = torch.zeros(1, 32, 24, dtype=torch.long)
    lab[..., 12:] = 1
    lab[..., 20:, :] = 2
    par = torch.nn.functional.one_hot(lab, 3).permute(0, 3, 1, 2).float()
    return img, par


def test_gram_loss_zero_for_same_region_statistics():
    """Eq. 8: the Gram matrix of a region depends on its texture statistics, not on where
    the pixels are: shuffling pixels within each region (image and parsing alike) keeps
    the loss at zero."""
    img, par = _region_scene()
    lab = par.argmax(1)[0].flatten()
    perm = torch.arange(lab.numel())
    g = torch.Generator().manual_seed(1)
    for k in lab.unique():
        where = torch.nonzero(lab == k).flatten()
        perm[where] = where[torch.randperm(len(where), generator=g)]
    img2 = img.flatten(2)[..., perm].reshape(img.shape)
    par2 = par.flatten(2)[..., perm].reshape(par.shape)
    terms = spt_losses.style_terms(identity_features, img, img2, par, par2)
    assert terms.abs().max() < 1e-10


def test_gram_loss_sees_a_region_texture_change():
    """Eq. 8 with VGG features: identical images score 0; re-texturing one region makes
    that region's term the largest, and the loss non-zero."""
    torch.manual_seed(0)
    vgg = VGG19Features(layers=("conv2_1",))
    img, par = _region_scene()
    assert spt_losses.style_terms(vgg, img, img, par, par).abs().max() < 1e-10
    changed = img.clone()
    region1 = par[:, 1:2].bool().expand_as(img)
    stripes = (torch.arange(24) % 4 < 2).float().view(1, 1, 1, 24).expand_as(img) * 2 - 1
    changed[region1] = stripes[region1]
    terms = spt_losses.style_terms(vgg, img, changed, par, par)[0]
    assert terms[1] > 0
    assert int(terms.argmax()) == 1
    loss = spt_losses.semantic_style_loss(vgg, img, changed, changed, par, par, par)
    assert loss > 0


def test_face_crops_follow_the_head_joints(samples_dir):
    """Eq. 9's F(I): the crop is centred on the head joints of the given pose."""
    s = real_sample(samples_dir, "2_B")
    hm, _ = pose_tensors(s["pose"], 256, 176)
    center, half, valid = spt_losses.face_boxes(hm)
    head = s["pose"].xy[[0, 14, 15, 16, 17]][s["pose"].visible[[0, 14, 15, 16, 17]]]
    assert valid.item() == 1
    assert np.allclose(center[0].numpy(), head.mean(0), atol=1.0)
    crops, _ = spt_losses.face_crops(s["image"], hm, size=32)
    assert crops.shape == (1, 3, 32, 32)
    # the face is skin-coloured: mostly red-dominant, unlike the grey studio backdrop
    assert (crops[0, 0] - crops[0, 2]).mean() > 0.05


def test_face_crops_invalid_without_head():
    pose = Pose(np.tile([[30.0, 30.0]], (18, 1)), np.zeros(18, dtype=bool))
    hm, _ = pose_tensors(pose, 64, 48)
    _, valid = spt_losses.face_crops(torch.zeros(1, 3, 64, 48), hm)
    assert valid.item() == 0


def test_part_affines_identity_for_same_pose(samples_dir):
    """Deformable skips (H_A): with source pose == target pose every part affine is the
    identity, so the warped image equals the source inside the parts."""
    s = real_sample(samples_dir, "2_A")
    hm, _ = pose_tensors(s["pose"], 256, 176)
    xy, vis = spt_parts.heatmap_keypoints(hm)
    src, tgt = spt_parts.pair_rectangles(xy, vis, xy, vis, 256, 176)
    grid, masks = spt_parts.part_affine_grids(tgt, src, 64, 44, 256, 176)
    warped = spt_parts.deform(torch.nn.functional.avg_pool2d(s["image"], 4), grid, masks)
    assert masks.sum() > 0
    assert torch.allclose(warped, torch.nn.functional.avg_pool2d(s["image"], 4), atol=1e-5)


def test_part_affine_maps_source_corners_to_target_corners(samples_dir):
    """f_j aligns the four corners of the two part rectangles (eq. 1, Def-GAN)."""
    a, b = real_sample(samples_dir, "2_A"), real_sample(samples_dir, "2_B")
    ha, _ = pose_tensors(a["pose"], 256, 176)
    hb, _ = pose_tensors(b["pose"], 256, 176)
    sa, va = spt_parts.heatmap_keypoints(ha)
    sb, vb = spt_parts.heatmap_keypoints(hb)
    src, tgt = spt_parts.pair_rectangles(sa, va, sb, vb, 256, 176)
    cs, ct = spt_parts.rectangle_corners(src), spt_parts.rectangle_corners(tgt)
    # local coordinates of the target corners are (+-1, +-1); mapped through the affine they
    # must land on the source corners
    ab = torch.stack([torch.tensor([-1.0, 1, 1, -1]), torch.tensor([-1.0, -1, 1, 1])], -1)
    mapped = (
        src["center"][:, :, None]
        + ab[None, None, :, :1] * (src["half_len"][..., None, None] * src["u"][:, :, None])
        + ab[None, None, :, 1:] * (src["half_wid"][..., None, None] * src["v"][:, :, None])
    )
    assert torch.allclose(mapped, cs, atol=1e-4)
    assert src["valid"].sum() >= 4
    assert not torch.allclose(cs, ct)


def test_pseudo_label_search_prefers_same_clothing_and_excludes_same_pose(samples_dir):
    """Eq. 1 on the real samples: the item itself (cost 0) is excluded as a near-identical
    pose, and a spatially shifted copy of another item is found for it."""
    names = ["2_A", "2_B", "3_A", "3_B"]
    items = [real_sample(samples_dir, n) for n in names]
    labels_ = np.stack([it["labels"] for it in items])
    xy = np.stack([it["pose"].xy for it in items])
    vis = np.stack([it["pose"].visible for it in items]).astype(np.float32)
    best, cost = pseudo_labels.search_pseudo_targets(
        torch.from_numpy(labels_), torch.from_numpy(xy), torch.from_numpy(vis)
    )
    assert (best >= 0).all() and (best != torch.arange(4)).all()
    assert torch.isfinite(cost).all()
    # a copy of 2_A scaled by 1.3 about the image centre is a different pose (joints move
    # by ~20 px after centring) whose parts align exactly: it beats every real candidate
    h, w = labels_[0].shape
    m = np.array([[1.3, 0, -0.3 * w / 2], [0, 1.3, -0.3 * h / 2]])
    shifted = cv2.warpAffine(labels_[0], m, (w, h), flags=cv2.INTER_NEAREST)
    xy_s = xy[0] @ m[:, :2].T + m[:, 2]
    allv = np.concatenate([labels_, shifted[None]])
    allxy = np.concatenate([xy, xy_s[None]])
    allvis = np.concatenate([vis, vis[:1]])
    best2, _ = pseudo_labels.search_pseudo_targets(
        torch.from_numpy(allv), torch.from_numpy(allxy), torch.from_numpy(allvis)
    )
    assert int(best2[0]) == 4
    q = one_hot(labels_[0], "spt10")[0]
    costs = pseudo_labels.part_alignment_costs(
        q, torch.from_numpy(xy[0]).float(), torch.from_numpy(vis[0]),
        one_hot(labels_[0], "spt10"), torch.from_numpy(xy[:1]).float(), torch.from_numpy(vis[:1]),
    )  # fmt: skip
    assert costs.item() == pytest.approx(0.0, abs=1e-6)


def test_pseudo_label_search_candidate_prefilter(samples_dir):
    """With K candidates, eq. 1 only looks at the K items whose label shares (clothing
    type) are closest: K=1 returns exactly that item."""
    names = ["2_A", "2_B", "3_A", "3_B"]
    items = [real_sample(samples_dir, n) for n in names]
    lab = torch.from_numpy(np.stack([it["labels"] for it in items]).astype(np.int64))
    xy = torch.from_numpy(np.stack([it["pose"].xy for it in items])).float()
    vis = torch.from_numpy(np.stack([it["pose"].visible for it in items]).astype(np.float32))
    full, _ = pseudo_labels.search_pseudo_targets(lab, xy, vis, candidates=None)
    same, _ = pseudo_labels.search_pseudo_targets(lab, xy, vis, candidates=3)
    assert torch.equal(full, same)
    one, _ = pseudo_labels.search_pseudo_targets(
        lab, xy, vis, candidates=1, min_pose_distance=0.0, work_height=None
    )
    hist = pseudo_labels.to_one_hot(lab, 10).mean((2, 3))
    for i in range(4):
        d = (hist - hist[i]).abs().sum(1)
        d[i] = float("inf")
        assert int(one[i]) == int(d.argmin())
