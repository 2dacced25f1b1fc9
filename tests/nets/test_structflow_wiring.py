"""Paper 001 (structure-aware part flow) pinned where it is wired: one forward pass of the
generator on a real DeepFashion pair, its intermediate tensors recorded by hooks and
checked against eq. 1-8 computed again by hand from the recorded pieces."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from posestudio.nets.blocks import warp
from posestudio.nets.registry import build
from posestudio.nets.structflow import PARTS, StructFlowLoss, part_box_mask
from tests.nets.training_helpers import wake_zero_parameters
from tests.nets.wiring_helpers import close, real_pair, recording

H, W = 32, 24


@pytest.fixture  # per test (one small forward each): mutation testing maps every test to what it runs
def run(samples_dir):
    torch.manual_seed(0)
    net = build("structflow", "tiny", height=H, width=W).eval()
    wake_zero_parameters(net)  # the flow heads start at zero: give the warps something to do
    batch = real_pair(samples_dir, H, W)
    names = [f"{m}.{p}" for m in ("flow_generators", "part_encoders", "pose_encoders", "hdc") for p in PARTS]
    names += ["global_pose_encoder", "fusion", "pyramid_nonlocal", "decoder", "to_rgb"]
    with torch.no_grad(), recording(net, *names) as seen:
        out = net(batch["source_image"], batch["source_heatmaps"], batch["target_heatmaps"])
    return net, batch, seen, out


def test_eq1_each_flow_generator_sees_its_source_then_target_sub_pose(run):
    net, batch, seen, _ = run
    for part, joints in PARTS.items():
        (ps, pt), (flow, vis) = seen[f"flow_generators.{part}"]
        assert close(ps, batch["source_heatmaps"][:, list(joints)])
        assert close(pt, batch["target_heatmaps"][:, list(joints)])
        assert flow.abs().max() > 1e-3 and 0 < vis.min() and vis.max() < 1


def test_part_image_is_the_source_inside_the_source_part_box(run):
    net, batch, seen, out = run
    for i, (part, joints) in enumerate(PARTS.items()):
        mask = part_box_mask(batch["source_heatmaps"][:, list(joints)], net.margin)
        assert 0 < mask.mean() < 1
        (img,), _ = seen[f"part_encoders.{part}"]
        assert close(img, batch["source_image"] * mask)
        assert close(out["part_masks"][:, i : i + 1], mask)


def test_eq2_3_visibility_picks_the_warped_source_over_the_target_pose_features(run):
    """F_swv = V * W(F_s, w) + (1 - V) * F_pose, where F_pose encodes the TARGET sub-pose."""
    net, batch, seen, _ = run
    for part, joints in PARTS.items():
        _, (flow, vis) = seen[f"flow_generators.{part}"]
        _, f_s = seen[f"part_encoders.{part}"]
        (pt,), f_pose = seen[f"pose_encoders.{part}"]
        assert close(pt, batch["target_heatmaps"][:, list(joints)])
        (f_swv,), _ = seen[f"hdc.{part}"]
        expected = vis * warp(f_s, flow) + (1 - vis) * f_pose
        assert close(f_swv, expected)
        assert not close(f_swv, (1 - vis) * warp(f_s, flow) + vis * f_pose)


def test_eq6_8_fusion_takes_the_refined_parts_and_the_global_pose_then_non_local_then_decoder(run):
    net, batch, seen, out = run
    (g_in,), g = seen["global_pose_encoder"]
    assert close(g_in, batch["target_heatmaps"])
    (fused_in,), fused = seen["fusion"]
    parts = [seen[f"hdc.{p}"][1] for p in PARTS]
    assert close(fused_in, torch.cat([*parts, g], 1))  # eq. 6
    (nl_in,), nl = seen["pyramid_nonlocal"]
    assert close(nl_in, fused)  # eq. 7
    (dec_in,), dec = seen["decoder"]
    assert close(dec_in, nl)
    assert close(seen["to_rgb"][0][0], dec) and close(out["image"], seen["to_rgb"][1])  # eq. 8


def test_display_flow_is_the_parts_weighted_by_their_target_boxes(run):
    net, batch, seen, out = run
    flows, vis, weights = [], [], []
    for part, joints in PARTS.items():
        _, (f, v) = seen[f"flow_generators.{part}"]
        flows.append(f)
        vis.append(v)
        weights.append(F.avg_pool2d(part_box_mask(batch["target_heatmaps"][:, list(joints)], net.margin), 4))
    wsum = sum(weights).clamp_min(1e-6)
    assert close(out["flow"], sum(f * w for f, w in zip(flows, weights, strict=True)) / wsum)
    assert close(out["visibility"], sum(v * w for v, w in zip(vis, weights, strict=True)) / wsum)
    assert close(out["part_flows"], torch.cat(flows, 1))
    assert close(out["part_visibility"], torch.cat(vis, 1))


def test_eq10_loss_weights_and_sum(run):
    """Eq. 10 with GFLA's lambdas (its pose_model.py: correct 5, rec 5, g 2, content 0.5,
    style 500): the paper prints none and builds on GFLA."""
    net, batch, _, out = run
    loss = StructFlowLoss()
    assert loss.weights == (5.0, 5.0, 2.0, 0.5, 500.0)
    d_fake = torch.linspace(-1, 2, 12).reshape(1, 1, 3, 4)
    total, parts = loss(out, batch["source_image"], batch["target_image"], d_fake)
    assert list(parts) == ["sam", "rec", "adv", "per", "sty"]
    assert close(parts["rec"], F.l1_loss(out["image"], batch["target_image"]))
    assert close(parts["adv"], ((d_fake - 1) ** 2).mean())  # LSGAN, generator wants "real"
    assert all(float(v) > 0 for v in parts.values())
    expected = sum(w * parts[k] for w, k in zip((5.0, 5.0, 2.0, 0.5, 500.0), parts, strict=True))
    assert close(total, expected, 1e-4)
