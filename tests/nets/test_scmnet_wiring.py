"""Paper 000 (SCM-Net) pinned where it is wired: DSE, CMM (eq. 1-3) and the generator's
input recorded by hooks on a real DeepFashion photo and recomputed by hand; the BSR body
graph (Fig. 5, eq. 8) computed node by node and edge by edge with plain loops."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from posestudio.nets import scmnet_losses
from posestudio.nets.registry import build
from posestudio.nets.scmnet import N_REGIONS
from tests.nets.test_spt_data import real_sample, scm8
from tests.nets.wiring_helpers import close, real_pair, recording

H, W = 64, 48


@pytest.fixture(scope="module")
def person(samples_dir):
    batch = real_pair(samples_dir, H, W)
    lab = real_sample(samples_dir, "2_A")["labels"]
    lab = cv2.resize(lab.astype(np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
    batch["source_parsing"] = scm8(lab).float()
    return batch


def hand_correlation(f_p: torch.Tensor, f_s: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. 1-2: softmax over style positions of the cosine of the centred vectors / T."""
    p = f_p.flatten(2)
    s = f_s.flatten(2)
    p = p - p.mean(1, keepdim=True)
    s = s - s.mean(1, keepdim=True)
    cos = torch.einsum("bci,bcj->bij", p, s) / (p.norm(dim=1)[:, :, None] * s.norm(dim=1)[:, None, :])
    return torch.softmax(cos / temperature, dim=-1)


@pytest.mark.parametrize("temperature", [0.01, 0.1])
def test_dse_cmm_and_generator_input(person, temperature):
    torch.manual_seed(0)
    net = build("scmnet", "tiny", height=H, width=W, temperature=temperature).eval()
    assert build("scmnet", "tiny", height=H, width=W).temperature == 0.01  # the documented default
    img, par = person["source_image"], person["source_parsing"]
    with torch.no_grad(), recording(net, "style_enc", "pose_enc", "ccf", "g_in") as seen:
        out = net(img, par, person["target_heatmaps"])
    # DSE: one shared encoder over the 8 masked regions, codes concatenated region by region
    (regions,), feats = seen["style_enc"]
    for r in range(N_REGIONS):
        assert close(regions[r], img[0] * par[0, r])
    (codes,), f_s = seen["ccf"]
    c = net.style_ch
    for r in range(N_REGIONS):
        assert close(codes[0, r * c : (r + 1) * c], feats[-1][r])
    (pose_in,), pose_feats = seen["pose_enc"]
    assert close(pose_in, person["target_heatmaps"])
    corr = hand_correlation(pose_feats[-1], f_s, temperature)
    f_star = torch.einsum("bij,bcj->bci", corr, f_s.flatten(2)).reshape(f_s.shape)  # eq. 3
    assert close(seen["g_in"][0][0], f_star, 1e-4)
    h, w = f_s.shape[-2:]
    assert close(out["correlation"], corr.amax(-1).reshape(1, 1, h, w), 1e-4)


def test_bsr_graph_nodes_are_region_means_and_edges_their_cosines(person):
    g = torch.Generator().manual_seed(0)
    feat = torch.rand(1, 5, 16, 12, generator=g) - 0.3
    parsing = F.interpolate(person["source_parsing"], size=(16, 12), mode="nearest")
    present = [r for r in range(N_REGIONS) if parsing[0, r].sum() > 0]
    assert len(present) >= 4
    nodes, edges = scmnet_losses.body_graph(feat, parsing)
    for r in present:
        m = parsing[0, r]
        node = (feat[0] * m).sum((1, 2)) / m.sum()
        assert close(nodes[0, r], node)
    for r in present:
        for q in present:
            want = 1.0 if r == q else float(F.cosine_similarity(nodes[0, r], nodes[0, q], dim=0))
            assert abs(float(edges[0, r, q]) - want) < 1e-5
    off = [(r, q) for r in present for q in present if r != q]
    assert any(abs(float(edges[0, r, q])) < 0.999 for r, q in off)
    # a region absent from S: zero node, zero edges to the others, and still a unit diagonal
    gone = present[0]
    parsing[:, gone] = 0
    nodes, edges = scmnet_losses.body_graph(feat, parsing)
    assert float(nodes[0, gone].abs().max()) == 0.0
    others = [q for q in range(N_REGIONS) if q != gone]
    assert float(edges[0, gone, others].abs().max()) == 0.0 and float(edges[0, gone, gone]) == 1.0


def test_bsr_loss_is_l1_of_edges_plus_l1_of_nodes(person):
    g = torch.Generator().manual_seed(1)
    ff = {"relu4_1": torch.rand(1, 4, 8, 6, generator=g)}
    fr = {"relu4_1": torch.rand(1, 4, 8, 6, generator=g)}
    par = person["source_parsing"]
    nf, ef = scmnet_losses.body_graph(ff["relu4_1"], par)
    nr, er = scmnet_losses.body_graph(fr["relu4_1"], par)
    loss = scmnet_losses.graph_loss(ff, fr, par)
    assert close(loss, (ef - er).abs().mean() + (nf - nr).abs().mean())
    assert scmnet_losses.GRAPH_LAYERS == ("relu4_1",)
