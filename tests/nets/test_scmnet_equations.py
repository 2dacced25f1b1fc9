"""SCM-Net equations checked in isolation (Wang et al., CVPR 2022)."""

from __future__ import annotations

import pytest
import torch

from posestudio.nets import registry, scmnet, scmnet_losses
from tests.nets.test_spt_data import real_sample, scm8


def test_cmm_rows_sum_to_one():
    """Eq. 1: each target position's weights over the style positions form a distribution."""
    g = torch.Generator().manual_seed(0)
    fp, fs = torch.randn(2, 16, 8, 6, generator=g), torch.randn(2, 16, 8, 6, generator=g)
    corr = scmnet.correlation_field(fp, fs, temperature=0.1)
    assert corr.shape == (2, 48, 48)
    assert torch.allclose(corr.sum(-1), torch.ones(2, 48), atol=1e-5)
    assert (corr >= 0).all()


def test_cmm_centred_cosine_is_bounded_and_shift_invariant():
    """Eq. 2: cosine of per-position centred vectors: in [-1, 1], 1 on the diagonal of a
    self-correlation, and unchanged when a constant is added to a position's vector."""
    g = torch.Generator().manual_seed(1)
    f = torch.randn(1, 12, 5, 4, generator=g)
    s = scmnet.centred_cosine(f, f)
    assert s.abs().max() <= 1 + 1e-5
    assert torch.allclose(torch.diagonal(s[0]), torch.ones(20), atol=1e-5)
    shifted = f + torch.randn(1, 1, 5, 4, generator=g)  # per-position offset
    assert torch.allclose(scmnet.centred_cosine(shifted, f), s, atol=1e-5)


def test_cmm_self_correlation_rearranges_to_itself_when_sharp():
    """Eq. 3: a feature map correlated with itself is rearranged to itself when the
    softmax temperature is sharp; a soft temperature blurs it."""
    g = torch.Generator().manual_seed(2)
    f = torch.randn(2, 32, 8, 6, generator=g)
    sharp = scmnet.rearrange(f, scmnet.correlation_field(f, f, temperature=1e-3))
    assert torch.allclose(sharp, f, atol=1e-4)
    soft = scmnet.rearrange(f, scmnet.correlation_field(f, f, temperature=10.0))
    assert not torch.allclose(soft, f, atol=1e-2)


def test_cmm_moves_features_to_where_the_pose_matches():
    """Eq. 3 on a permutation: pose features = style features with positions permuted ->
    the rearranged style features follow the permutation."""
    g = torch.Generator().manual_seed(3)
    fs = torch.randn(1, 24, 6, 5, generator=g)
    perm = torch.randperm(30, generator=g)
    fp = fs.flatten(2)[..., perm].reshape(fs.shape)
    out = scmnet.rearrange(fs, scmnet.correlation_field(fp, fs, temperature=1e-3))
    assert torch.allclose(out, fp, atol=1e-4)


def test_swap_region_changes_only_that_slice():
    model = registry.build("scmnet", "tiny", height=32, width=32)
    c = model.style_ch
    g = torch.Generator().manual_seed(4)
    a, b = torch.randn(1, 8 * c, 4, 4, generator=g), torch.randn(1, 8 * c, 4, 4, generator=g)
    for region in (0, 3, 7):
        out = model.swap_region(a, b, region)
        sl = slice(region * c, (region + 1) * c)
        assert torch.equal(out[:, sl], b[:, sl])
        keep = torch.ones(8 * c, dtype=torch.bool)
        keep[sl] = False
        assert torch.equal(out[:, keep], a[:, keep])
    with pytest.raises(ValueError):
        model.swap_region(a, b, 8)


def test_style_code_of_a_region_ignores_pixels_outside_it(samples_dir):
    """DSE: region r's style slice only sees the pixels of region r (masked input to the
    shared encoder): repainting everything else leaves it unchanged, and changes others."""
    torch.manual_seed(0)
    model = registry.build("scmnet", "tiny").eval()
    s = real_sample(samples_dir, "2_A")
    par = scm8(s["labels"])
    with torch.no_grad():
        codes = model.style_codes(s["image"], par)
        upper = 3
        repainted = torch.where(par[:, upper : upper + 1].bool(), s["image"], -s["image"])
        codes2 = model.style_codes(repainted, par)
    c = model.style_ch
    sl = slice(upper * c, (upper + 1) * c)
    assert torch.allclose(codes[:, sl], codes2[:, sl])
    assert not torch.allclose(codes[:, 2 * c : 3 * c], codes2[:, 2 * c : 3 * c])  # face changed


def test_bsr_graph_symmetric_with_unit_diagonal(samples_dir):
    """Eqs. 5-8 body graph: edges symmetric with unit diagonal, also for absent regions."""
    torch.manual_seed(0)
    s = real_sample(samples_dir, "3_A")
    par = scm8(s["labels"])
    assert par[:, 7].sum() == 0  # shoes absent: an empty region
    feat = torch.randn(1, 16, 32, 22)
    nodes, edges = scmnet_losses.body_graph(feat, par)
    assert nodes.shape == (1, 8, 16) and edges.shape == (1, 8, 8)
    assert torch.allclose(edges, edges.transpose(1, 2), atol=1e-6)
    assert torch.allclose(torch.diagonal(edges[0]), torch.ones(8))
    assert edges.abs().max() <= 1 + 1e-5
    assert torch.count_nonzero(edges[0, 7, :7]) == 0


def test_bsr_loss_zero_for_same_image_and_positive_otherwise(samples_dir):
    from posestudio.nets.losses import VGG19Features

    torch.manual_seed(0)
    vgg = VGG19Features(layers=scmnet_losses.GRAPH_LAYERS)
    s = real_sample(samples_dir, "2_B")
    par = scm8(s["labels"])
    f = vgg(s["image"])
    assert scmnet_losses.graph_loss(f, f, par) == 0
    other = vgg(s["image"].flip(-1))
    assert scmnet_losses.graph_loss(other, f, par) > 0


def test_loss_weights_are_the_papers():
    assert scmnet_losses.WEIGHTS == {"adv": 5.0, "rec": 1.0, "perc": 1.0, "style": 150.0, "graph": 1.0}
