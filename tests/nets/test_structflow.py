"""Structure-aware part flow (paper 001): one check per equation that can be
checked in isolation, the whole forward pass, and one training step."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from posestudio.core.skeleton import SUBPOSES
from posestudio.nets.blocks import HybridDilatedBlock, NonLocal, adaptive_max_pool, warp
from posestudio.nets.discriminators import PatchDiscriminator
from posestudio.nets.registry import build
from posestudio.nets.structflow import (
    PARTS,
    PartFlowGenerator,
    StructFlowLoss,
    part_box_mask,
    select_by_visibility,
)
from tests.nets.training_helpers import assert_every_parameter_trained, wake_zero_parameters


def test_sub_poses_are_the_skeletons():
    assert {k: tuple(v) for k, v in PARTS.items()} == {k: tuple(v) for k, v in SUBPOSES.items()}


def test_eq1_part_flow_generator_shapes_and_ranges():
    g = PartFlowGenerator(joints=6, ngf=4)
    wake_zero_parameters(g)
    flow, vis = g(torch.rand(2, 6, 32, 24), torch.rand(2, 6, 32, 24))
    assert flow.shape == (2, 2, 8, 6) and vis.shape == (2, 1, 8, 6)
    assert (vis > 0).all() and (vis < 1).all()


def test_eq1_fresh_flow_generator_predicts_identity():
    flow, _ = PartFlowGenerator(joints=9, ngf=4)(torch.rand(1, 9, 32, 24), torch.rand(1, 9, 32, 24))
    assert torch.count_nonzero(flow) == 0


def test_eq2_zero_flow_warps_to_identity():
    f = torch.randn(2, 5, 7, 9)
    assert torch.allclose(warp(f, torch.zeros(2, 2, 7, 9)), f, atol=1e-6)


def test_eq2_integer_flow_samples_the_offset_pixel():
    f = torch.randn(1, 3, 6, 8)
    flow = torch.zeros(1, 2, 6, 8)
    flow[:, 0] = 2.0  # dx
    flow[:, 1] = -1.0  # dy
    out = warp(f, flow)
    # out[y, x] = f[y - 1, x + 2] where inside, 0 outside
    assert torch.allclose(out[:, :, 1:, :6], f[:, :, :-1, 2:], atol=1e-6)
    assert out[:, :, 0].abs().max() < 1e-6 and out[:, :, :, 6:].abs().max() < 1e-6  # outside reads zero


def test_eq2_half_pixel_flow_is_bilinear():
    f = torch.arange(12.0).reshape(1, 1, 3, 4)
    flow = torch.zeros(1, 2, 3, 4)
    flow[:, 0] = 0.5
    assert torch.allclose(warp(f, flow)[0, 0, :, :3], f[0, 0, :, :3] + 0.5)


def test_eq3_visibility_selects_warped_or_pose_features():
    warped, pose = torch.randn(1, 4, 5, 5), torch.randn(1, 4, 5, 5)
    v = torch.zeros(1, 1, 5, 5)
    v[..., :2] = 1
    out = select_by_visibility(warped, pose, v)
    assert torch.equal(out[..., :2], warped[..., :2])
    assert torch.equal(out[..., 2:], pose[..., 2:])
    assert torch.allclose(
        select_by_visibility(warped, pose, torch.full_like(v, 0.25)), 0.25 * warped + 0.75 * pose
    )


def test_eq4_5_hybrid_dilated_block_uses_rates_1_and_2():
    block = HybridDilatedBlock(1, rates=(1, 2), norm="none")
    assert [m.conv.dilation for m in block.body] == [(1, 1), (2, 2)]
    for m in block.body:
        torch.nn.init.constant_(m.conv.weight, 1.0)
        torch.nn.init.zeros_(m.conv.bias)
    x = torch.zeros(1, 1, 15, 15)
    x[..., 7, 7] = 1
    resp = block(x) - x
    nz = torch.nonzero(resp[0, 0])
    # receptive field of 3x3 (r=1) then 3x3 (r=2): radius 1 + 2 = 3
    assert nz[:, 0].min() == 4 and nz[:, 0].max() == 10


def test_eq7_pyramid_pools_are_4x4_and_6x6_and_relations_are_softmaxed():
    nl = NonLocal(8, pool_sizes=(4, 6))
    x = torch.randn(2, 8, 16, 11)
    pooled = nl.pooled(x)
    assert [tuple(p.shape[-2:]) for p in pooled] == [(4, 4), (6, 6)]
    assert torch.equal(pooled[1], F.adaptive_max_pool2d(x, 6))
    _, maps = nl(x, return_attention=True)
    assert [m.shape for m in maps] == [(2, 176, 16), (2, 176, 36)]
    for m in maps:  # each target position's relations over the pooled regions sum to 1
        assert torch.allclose(m.sum(-1), torch.ones(2, 176), atol=1e-5)


def test_eq7_fresh_non_local_block_is_identity():
    x = torch.randn(1, 8, 8, 6)
    assert torch.equal(NonLocal(8, pool_sizes=(4, 6))(x), x)


def test_part_crop_spans_the_joints():
    hm = torch.zeros(1, 2, 40, 30)
    hm[0, 0, 5, 4] = 1.0
    hm[0, 1, 30, 20] = 1.0
    box = part_box_mask(hm, margin=2)[0, 0]
    assert box[5:31, 4:21].min() == 1.0  # everything between the two joints
    assert box[3:33, 2:23].min() == 1.0  # plus the margin
    assert box[35:].max() == 0 and box[:, 25:].max() == 0
    assert part_box_mask(torch.zeros(1, 3, 8, 8), 2).max() == 0  # a part with no joints crops nothing


def test_forward_outputs():
    model = build("structflow", "tiny").eval()
    wake_zero_parameters(model)
    with torch.no_grad():
        out = model(**model.example_inputs(2))
    assert list(out)[0] == "image"
    assert out["image"].shape == (2, 3, 32, 32) and out["image"].abs().max() <= 1
    assert out["flow"].shape == (2, 2, 8, 8)
    assert out["visibility"].shape == (2, 1, 8, 8)
    assert out["part_flows"].shape == (2, 6, 8, 8)
    assert out["part_masks"].shape == (2, 3, 32, 32)


def test_eq9_14_loss_parts():
    model = build("structflow", "tiny")
    x = model.example_inputs(2)
    crit = StructFlowLoss()
    total, parts = crit(model(**x), x["source_image"], x["source_image"], torch.zeros(2, 1, 3, 3))
    assert set(parts) == {"sam", "rec", "adv", "per", "sty"}
    # eq. 9: the sum of three per-part sampling losses, each >= exp(-1)
    assert parts["sam"] >= 3 * torch.exp(torch.tensor(-1.0)) - 1e-5
    assert torch.isfinite(total)


def test_one_training_step_reaches_every_parameter():
    torch.manual_seed(0)
    g = build("structflow", "tiny")
    wake_zero_parameters(g)
    d = PatchDiscriminator(3, ndf=8, n_layers=2)
    x = g.example_inputs(2)
    target = torch.rand(2, 3, 32, 32) * 2 - 1
    out = g(**x)
    loss, _ = StructFlowLoss()(out, x["source_image"], target, d(out["image"]))
    loss.backward()
    assert_every_parameter_trained(g)


def test_onnx_safe_adaptive_pool_equals_torchs():
    for hw in [(64, 44), (8, 8), (8, 6), (7, 5), (16, 11)]:
        x = torch.randn(2, 3, *hw)
        for s in (4, 6):
            assert torch.equal(adaptive_max_pool(x, s), F.adaptive_max_pool2d(x, s)), (hw, s)


def test_part_crops_on_real_deepfashion_samples(samples_dir):
    """On the four real samples, the head crop holds most face+hair pixels and little
    else, and the torso crop holds the upper clothes and arms (SPT-10 parsing maps).
    (Legs are not checked: knees and ankles are outside these close-up frames.)"""
    import numpy as np

    from posestudio.core.formats import csv_keypoints, label_png
    from posestudio.core.pose import heatmaps

    poses = csv_keypoints.read_all(samples_dir / "keypoints.csv")
    assert len(poses) == 4
    for name, pose in poses.items():
        labels = label_png.read(samples_dir / name.replace(".jpg", "_parsing.png"))
        hm = torch.from_numpy(heatmaps(pose, *labels.shape))[None]

        head, torso = (
            part_box_mask(hm[:, list(PARTS[p])], margin=16)[0, 0].numpy() > 0.5 for p in ("head", "torso")
        )

        def share(mask, ids, labels=labels):
            sel = np.isin(labels, ids)
            return (mask & sel).sum() / sel.sum()

        assert share(head, (1, 2)) > 0.75, name  # face, hair
        assert share(head, (3, 4, 5, 8, 9)) < 0.2, name  # clothes and legs mostly outside
        assert share(torso, (3, 6, 7)) > 0.95, name  # upper clothes, arms
