"""One self-supervised SCM-Net step reaches every parameter; the face variant trains too."""

from __future__ import annotations

import torch

from posestudio.nets import registry, scmnet, scmnet_losses
from posestudio.training.recipes.scmnet import SCMNetTrainer
from tests.nets.test_spt_data import synthetic_pair
from tests.nets.test_spt_training import _assert_all_grads

H, W = 64, 48


def test_scmnet_self_supervised_step():
    torch.manual_seed(0)
    gen = registry.build("scmnet", "tiny", height=H, width=W)
    t = SCMNetTrainer(
        gen, scmnet.style_discriminator(ch=8), scmnet.pose_discriminator(ch=8), scmnet_losses.vgg_features()
    )
    b = synthetic_pair(H, W)
    before = [p.detach().clone() for p in gen.parameters()]
    out = t.step(b["source_image"], b["source_scm8"], b["source_heatmaps"])
    assert set(out) == {"adv", "rec", "perc", "style", "graph", "total", "d"}
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    expect = sum(scmnet_losses.WEIGHTS[k] * out[k] for k in scmnet_losses.WEIGHTS)
    assert abs(expect - out["total"]) < 1e-3 * max(1.0, abs(expect))
    _assert_all_grads(gen, t.d_style, t.d_pose)
    assert any(not torch.equal(a, p) for a, p in zip(before, gen.parameters(), strict=False))


def test_scmnet_face_step():
    torch.manual_seed(0)
    gen = registry.build("scmnet-face", "tiny", height=H, width=W)
    t = SCMNetTrainer(
        gen,
        scmnet.style_discriminator(ch=8),
        scmnet.pose_discriminator(1, ch=8),
        scmnet_losses.vgg_features(),
    )
    b = synthetic_pair(H, W)
    edges = (b["source_heatmaps"].amax(1, keepdim=True) > 0.5).float()
    out = t.step(b["source_image"], b["source_scm8"], edges)
    assert torch.isfinite(torch.tensor(out["total"]))
    _assert_all_grads(gen)
