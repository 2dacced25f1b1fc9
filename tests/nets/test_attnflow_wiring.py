"""Paper 003 (attention + flow) pinned where it is wired: one forward pass on a real
DeepFashion pair, the intermediate tensors recorded by hooks and checked against eq. 1-9
computed again by hand (einsum, not the project's helpers)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from posestudio.nets import spt_parts
from posestudio.nets.attnflow import AttnFlowLoss
from posestudio.nets.blocks import warp
from posestudio.nets.registry import build
from tests.nets.training_helpers import wake_zero_parameters
from tests.nets.wiring_helpers import close, real_pair, recording

H, W = 32, 32


def attend(x: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
    """Eq. 3 by hand: o_j = sum_i C_ji x_i on x's grid."""
    b, c, h, w = x.shape
    return torch.einsum("bji,bci->bcj", corr, x.flatten(2)).reshape(b, c, h, w)


@pytest.fixture  # per test (one small forward each): mutation testing maps every test to what it runs
def run(samples_dir):
    torch.manual_seed(0)
    net = build("attnflow", "tiny", height=H, width=W).eval()
    wake_zero_parameters(net)
    batch = real_pair(samples_dir, H, W)
    names = ["key_encoder", "query_encoder", "flow_estimator", "reference_encoder", "target_encoder"]
    for s in net.scales:
        names += [f"key_proj.{s}", f"query_proj.{s}", f"combination.{s}", f"refine.{s}"]
    names += [f"ups.{i}" for i in range(len(net.ups))] + ["final_up", "to_rgb"]
    with torch.no_grad(), recording(net, *names) as seen:
        out = net(batch["source_image"], batch["source_heatmaps"], batch["target_heatmaps"], all_scales=True)
    return net, batch, seen, out


def test_eq1_keys_from_the_source_image_queries_from_the_target_pose(run):
    net, batch, seen, _ = run
    assert close(seen["key_encoder"][0][0], batch["source_image"])
    assert close(seen["query_encoder"][0][0], batch["target_heatmaps"])
    for s in net.scales:
        k = net.level_of[s]
        assert close(seen[f"key_proj.{s}"][0][0], seen["key_encoder"][1][k])
        assert close(seen[f"query_proj.{s}"][0][0], seen["query_encoder"][1][k])


def test_eq2_correlation_is_softmax_of_100_times_cosine_over_source_positions(run):
    net, _, seen, out = run
    assert net.alpha == 100.0
    for s in net.scales:
        k = F.normalize(seen[f"key_proj.{s}"][1].flatten(2), dim=1)  # unit vectors per position
        q = F.normalize(seen[f"query_proj.{s}"][1].flatten(2), dim=1)
        expected = torch.softmax(100.0 * torch.einsum("bcj,bci->bji", q, k), dim=-1)
        corr = out["scales"][s]["correlation"]
        assert close(corr, expected)
        assert float(corr.amax()) > 0.5  # sharp: alpha matters at this size


def test_eq4_flow_estimator_sees_target_pose_source_pose_and_source_image(run):
    net, batch, seen, out = run
    st, sr, xr = seen["flow_estimator"][0]
    assert close(st, batch["target_heatmaps"]) and close(sr, batch["source_heatmaps"])
    assert close(xr, batch["source_image"])
    for s in net.scales:
        assert close(out["scales"][s]["flow"], seen["flow_estimator"][1][s])
        assert out["scales"][s]["flow"].abs().max() > 1e-3


def test_eq6_combination_map_sees_the_attention_warp_and_the_flow_warp(run):
    net, batch, seen, out = run
    for s in net.scales:
        e = out["scales"][s]
        small = F.avg_pool2d(batch["source_image"], s)
        a_in, f_in = seen[f"combination.{s}"][0]
        assert close(a_in, attend(small, e["correlation"]))  # eq. 3 on the downsized source
        assert close(f_in, warp(small, e["flow"]))  # eq. 5
        assert not close(f_in, small)  # the flow does move it
        assert close(e["combination"], seen[f"combination.{s}"][1])
        assert close(e["attention_warp"], a_in) and close(e["flow_warp"], f_in)


def test_eq8_9_synthesis_adds_the_combined_warps_to_the_target_features(run):
    """f_o = f_t + m W_a(f_r, C) + (1 - m) W_f(f_r, w) at every warped scale."""
    net, batch, seen, out = run
    assert close(seen["reference_encoder"][0][0], batch["source_image"])
    assert close(seen["target_encoder"][0][0], batch["target_heatmaps"])
    f_r, f_t = seen["reference_encoder"][1], seen["target_encoder"][1]
    for s in net.scales:
        k, e = net.level_of[s], out["scales"][s]
        m = e["combination"]
        expected = f_t[k] + m * attend(f_r[k], e["correlation"]) + (1 - m) * warp(f_r[k], e["flow"])
        assert close(seen[f"refine.{s}"][0][0], expected)
        swapped = f_t[k] + (1 - m) * attend(f_r[k], e["correlation"]) + m * warp(f_r[k], e["flow"])
        assert not close(seen[f"refine.{s}"][0][0], swapped)


def test_eq7_decoder_adds_each_level_to_the_upsampled_coarser_one(run):
    """Coarse to fine: y = f_o at 1/8; then y = up(y) + f_o at 1/4; then up(y) + f_t at 1/2."""
    net, batch, seen, out = run
    assert net.scales == (8, 4) and len(net.ups) == 2
    assert close(seen["ups.0"][0][0], seen["refine.8"][1])
    assert close(seen["ups.1"][0][0], seen["ups.0"][1] + seen["refine.4"][1])
    assert close(seen["final_up"][0][0], seen["ups.1"][1] + seen["target_encoder"][1][0])
    assert close(seen["to_rgb"][0][0], seen["final_up"][1]) and close(out["image"], seen["to_rgb"][1])


def test_eq19_loss_weights_flow_term_and_face_term(run):
    """Eq. 19 with GFLA's lambdas (GFLA pose_model.py: correct 5.0, regularization 0.0025,
    content 0.5, style 500, g 2); the face term (eq. 16) is the perceptual loss on 64x64
    crops of the face placed by the target pose's head joints, zero without a visible face."""
    net, batch, _, out = run
    loss = AttnFlowLoss()
    assert loss.weights == {"attn": 1.0, "flow": 5.0, "regu": 0.0025, "perc": 0.5, "face": 0.5,
                            "style": 500.0, "adv": 2.0}  # fmt: skip
    d_fake = torch.linspace(-1, 2, 12).reshape(1, 1, 3, 4)
    src, tgt = batch["source_image"], batch["target_image"]
    ht = batch["target_heatmaps"]
    total, parts = loss(out, src, tgt, d_fake, ht)
    attn = sum(F.l1_loss(out["scales"][s]["attention_warp"], F.avg_pool2d(tgt, s)) for s in net.scales)
    assert close(parts["attn"], attn)  # eq. 10
    # C_face by hand: the square around the visible head joints (nose, eyes, ears), half-side
    # 1.6 x their spread from the centre, resampled to 64x64
    xy, vis = spt_parts.heatmap_keypoints(ht)
    head = [0, 14, 15, 16, 17]
    hxy = xy[0, head][vis[0, head] > 0]
    assert len(hxy) >= 2
    c = hxy.mean(0)
    half = max(1.6 * float((hxy - c).abs().max()), 0.08 * max(ht.shape[-2:]))
    h, w = tgt.shape[-2:]
    ys = c[1] + half * ((torch.arange(64) + 0.5) / 64 * 2 - 1)
    xs = c[0] + half * ((torch.arange(64) + 0.5) / 64 * 2 - 1)
    gy, gx = torch.meshgrid((2 * ys + 1) / h - 1, (2 * xs + 1) / w - 1, indexing="ij")
    grid = torch.stack([gx, gy], -1)[None]

    def crop(x):
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    face = loss.perceptual(crop(out["image"]), crop(tgt))
    assert float(parts["face"]) > 0 and close(parts["face"], face, 1e-4)  # eq. 16
    assert close(parts["adv"], ((d_fake - 1) ** 2).mean())
    assert close(total, sum(loss.weights[k] * v for k, v in parts.items()), 1e-4)
    no_head = ht.clone()
    no_head[:, head] = 0  # no visible head joint: no face to compare
    _, no_face = loss(out, src, tgt, d_fake, no_head)
    assert float(no_face["face"]) == 0.0
