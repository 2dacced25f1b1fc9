"""Attention + flow (paper 003): one check per equation that can be checked in
isolation, the EMA helper, the whole forward pass and one training step."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from posestudio.nets.attnflow import (
    AttnFlowLoss,
    CombinationMap,
    FlowEstimator,
    HistoricalAverage,
    attention_warp,
    combine,
    correlation,
)
from posestudio.nets.blocks import warp
from posestudio.nets.discriminators import PatchDiscriminator
from posestudio.nets.losses import affine_regularization_loss, attention_loss, sampling_correctness_loss
from posestudio.nets.registry import build
from tests.nets.training_helpers import assert_every_parameter_trained, wake_zero_parameters


def test_eq2_correlation_rows_are_softmax_over_source_positions():
    k, q = torch.randn(2, 8, 4, 3), torch.randn(2, 8, 5, 2)  # source 12 positions, target 10
    c = correlation(k, q, alpha=100.0)
    assert c.shape == (2, 10, 12)
    assert torch.allclose(c.sum(-1), torch.ones(2, 10), atol=1e-5)  # over i (sources), for each target j
    assert (c >= 0).all()


def test_eq2_alpha_sets_the_sharpness():
    k, q = torch.randn(1, 8, 4, 4), torch.randn(1, 8, 4, 4)
    assert correlation(k, q, 100.0).amax(-1).mean() > correlation(k, q, 1.0).amax(-1).mean()
    # alpha * cosine similarity: matches the formula computed by hand for one entry
    kn, qn = F.normalize(k, dim=1).flatten(2), F.normalize(q, dim=1).flatten(2)
    logits = 3.0 * (qn[0, :, 5:6] * kn[0]).sum(0)
    assert torch.allclose(correlation(k, q, 3.0)[0, 5], torch.softmax(logits, 0), atol=1e-6)


def test_eq3_attention_warp_is_the_weighted_sum():
    x = torch.randn(1, 3, 2, 3)
    perm = torch.tensor([5, 4, 3, 2, 1, 0])
    c = torch.eye(6)[perm][None]  # target j reads source perm[j]
    out = attention_warp(x, c)
    assert torch.allclose(out.flatten(2), x.flatten(2)[:, :, perm])
    uniform = torch.full((1, 6, 6), 1 / 6)
    assert torch.allclose(attention_warp(x, uniform), x.mean((2, 3), keepdim=True).expand_as(x), atol=1e-6)


def test_eq4_flow_estimator_gives_one_identity_flow_per_scale():
    f = FlowEstimator(ngf=4, levels=3, scales=(8, 4))
    flows = f(torch.rand(1, 18, 32, 32), torch.rand(1, 18, 32, 32), torch.rand(1, 3, 32, 32))
    assert {s: tuple(v.shape) for s, v in flows.items()} == {8: (1, 2, 4, 4), 4: (1, 2, 8, 8)}
    assert all(torch.count_nonzero(v) == 0 for v in flows.values())


def test_eq5_zero_flow_warps_to_identity():
    x = torch.randn(1, 4, 6, 5)
    assert torch.allclose(warp(x, torch.zeros(1, 2, 6, 5)), x, atol=1e-6)


def test_eq6_combination_map_is_in_0_1():
    m = CombinationMap(8, 2)
    wake_zero_parameters(m)
    out = m(torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8))
    assert out.shape == (2, 1, 8, 8) and (out > 0).all() and (out < 1).all()


def test_eq8_combination_selects_attention_or_flow():
    a, f = torch.randn(1, 4, 3, 3), torch.randn(1, 4, 3, 3)
    m = torch.zeros(1, 1, 3, 3)
    m[..., 0] = 1
    out = combine(m, a, f)
    assert torch.equal(out[..., 0], a[..., 0]) and torch.equal(out[..., 1:], f[..., 1:])


def test_eq10_attention_loss_is_l1():
    a, b = torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.5)
    assert attention_loss(a, b).item() == 0.5


def test_eq11_12_sampling_correctness_minimum_for_the_right_flow():
    torch.manual_seed(0)
    src = torch.randn(1, 16, 8, 8)
    tgt = torch.roll(src, shifts=2, dims=-1)  # target x reads source x - 2
    flow = torch.zeros(1, 2, 8, 8)
    flow[:, 0] = -2.0
    right = sampling_correctness_loss(src, tgt, flow)
    wrong = sampling_correctness_loss(src, tgt, torch.zeros(1, 2, 8, 8))
    assert wrong > right
    # inside the map the warped feature equals the best match: exp(-1) there
    assert math.isclose(
        sampling_correctness_loss(src, src, torch.zeros(1, 2, 8, 8)).item(), math.exp(-1), rel_tol=1e-5
    )


def test_eq13_14_affine_flow_has_zero_regularisation_loss():
    h, w = 9, 7
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij"
    )
    a = torch.tensor([[1.1, 0.3], [-0.2, 0.9]], dtype=torch.float64)
    sx = a[0, 0] * xx + a[0, 1] * yy + 4.0
    sy = a[1, 0] * xx + a[1, 1] * yy - 3.0
    affine = torch.stack((sx - xx, sy - yy))[None]
    assert affine_regularization_loss(affine).item() < 1e-8
    assert affine_regularization_loss(affine.float()).item() < 1e-4
    assert affine_regularization_loss(torch.zeros(1, 2, h, w)).item() < 1e-8
    bumpy = affine.clone()
    bumpy[0, 0, 4, 3] += 2.0
    assert affine_regularization_loss(bumpy).item() > 1e-3


def test_historical_average():
    net = torch.nn.Linear(2, 1)
    torch.nn.init.zeros_(net.weight)
    ema = HistoricalAverage(net, decay=0.9)
    torch.nn.init.ones_(net.weight)
    ema.update(net)
    assert torch.allclose(ema.model.weight, torch.full((1, 2), 0.1))
    ema.update(net)
    assert torch.allclose(ema.model.weight, torch.full((1, 2), 0.19))
    assert not any(p.requires_grad for p in ema.model.parameters())


def test_forward_outputs_and_all_scales():
    model = build("attnflow", "tiny").eval()
    wake_zero_parameters(model)
    x = model.example_inputs(2)
    with torch.no_grad():
        out = model(**x, all_scales=True)
    assert list(out)[: len(model.outputs)] == list(model.outputs) and model.outputs[0] == "image"
    assert out["image"].shape == (2, 3, 32, 32) and out["image"].abs().max() <= 1
    assert out["flow"].shape == (2, 2, 8, 8) and out["combination"].shape == (2, 1, 8, 8)
    assert set(out["scales"]) == {8, 4}
    assert out["scales"][8]["correlation"].shape == (2, 16, 16)


def test_eq19_loss_parts_and_one_training_step():
    torch.manual_seed(0)
    g = build("attnflow", "tiny")
    wake_zero_parameters(g)
    d = PatchDiscriminator(3, ndf=8, n_layers=2)
    x = g.example_inputs(2)
    target = torch.rand(2, 3, 32, 32) * 2 - 1
    out = g(**x, all_scales=True)
    crit = AttnFlowLoss()
    loss, parts = crit(out, x["source_image"], target, d(out["image"]), x["target_heatmaps"])
    assert set(parts) == {"attn", "flow", "regu", "perc", "face", "style", "adv"}
    assert parts["face"] > 0
    loss.backward()
    assert_every_parameter_trained(g)
