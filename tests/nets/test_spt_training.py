"""One step of each SPT training mode (Algorithm 1) reaches every trainable parameter."""

from __future__ import annotations

import pytest
import torch

from posestudio.nets import registry, spt, spt_losses
from posestudio.nets.regressor import PoseRegressor, regressor_loss
from posestudio.training.recipes.base import freeze
from posestudio.training.recipes.spt_trainer import SPTTrainer
from tests.nets.test_spt_data import synthetic_pair

H, W = 64, 48


def _trainer():
    torch.manual_seed(0)
    return SPTTrainer(
        hs=registry.build("spt-parsing", "tiny", height=H, width=W),
        ha=registry.build("spt-appearance", "tiny", height=H, width=W),
        d_s=spt.parsing_discriminator(ch=8),
        d_a=spt.image_discriminator(ch=8),
        d_f=spt.image_discriminator(ch=8, n_layers=2),
        regressor=freeze(PoseRegressor(ch=8, n_res=1)),
        features=spt_losses.vgg_features(),
        face_size=16,
    )


def _assert_all_grads(*modules):
    for m in modules:
        for name, p in m.named_parameters():
            if not p.requires_grad:
                continue
            assert p.grad is not None, f"{type(m).__name__}.{name} got no gradient"
            assert torch.isfinite(p.grad).all(), name
            assert p.grad.abs().sum() > 0, f"{type(m).__name__}.{name} got a zero gradient"


def test_spt_supervised_hs_step():
    """Line 2: H_S on a searched pair, L_S^total = L_adv + lambda_ce L_ce (eq. 4)."""
    t = _trainer()
    b = synthetic_pair(H, W)
    before = [p.detach().clone() for p in t.hs.parameters()]
    out = t.step(
        "hs",
        {
            k: b[k]
            for k in (
                "source_parsing",
                "source_heatmaps",
                "source_mask",
                "target_parsing",
                "target_heatmaps",
                "target_mask",
            )
        },
    )
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    _assert_all_grads(t.hs, t.d_s)
    assert any(not torch.equal(a, p) for a, p in zip(before, t.hs.parameters(), strict=False))


@pytest.mark.parametrize("stage", ["ha", "joint"])
def test_spt_unpaired_cycle_ha_step(stage):
    """Lines 3/4: the unpaired cycle I_ps -> I~_pt -> I~_ps with eqs. 5-10; in 'ha' H_S is
    fixed (no gradient), in 'joint' it trains as well."""
    t = _trainer()
    b = synthetic_pair(H, W)
    batch = {
        k: b[k]
        for k in (
            "source_image",
            "source_parsing",
            "source_heatmaps",
            "source_mask",
            "target_heatmaps",
            "target_mask",
        )
    }
    out = t.step(stage, batch)
    assert set(out) >= {"adv", "pose", "cont", "sty", "face", "total"}
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    assert out["face"] > 0  # the default pose shows its head: faces were judged
    _assert_all_grads(t.ha, t.d_a, t.d_f)
    if stage == "ha":
        assert all(p.grad is None for p in t.hs.parameters())
        assert all(p.grad is None for p in t.regressor.parameters())
    else:
        _assert_all_grads(t.hs, t.d_s)


def test_unknown_stage_is_an_error():
    with pytest.raises(ValueError, match="stage"):
        _trainer().step("pretrain", {})


def test_regressor_learns_heatmaps():
    """The pose regressor of eq. 6 fits a pose in a few steps (so it can be pre-trained)."""
    torch.manual_seed(0)
    b = synthetic_pair(H, W, batch=1)
    img = b["source_image"]
    reg = PoseRegressor(ch=8, n_res=1)
    opt = torch.optim.Adam(reg.parameters(), lr=1e-2)
    first = None
    for _ in range(30):
        loss = regressor_loss(reg, img, b["source_heatmaps"])
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
