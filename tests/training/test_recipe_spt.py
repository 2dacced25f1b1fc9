"""SPT's recipe pinned against the paper: the progressive 128 -> 256 schedule (Sec. 4.1) at
tiny sizes (32 -> 64: the phase table, the per-phase resizing) and Algorithm 1's steps on a
real DeepFashion batch recomputed from the equations. test_recipe_spt_run.py runs the
schedule through the training loop."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from posestudio.errors import InputError
from posestudio.nets import spt_losses
from posestudio.training import ddp
from posestudio.training.config import TrainConfig
from posestudio.training.recipes import Amp, make_recipe
from posestudio.training.recipes.base import freeze
from posestudio.training.recipes.spt_trainer import parse
from tests.training.recipe_helpers import changed, check, mse, real_batch, recipe, snapshot
from tests.training.test_train_cli import deepfashion_folder


def spt_recipe(**kw):
    cfg = TrainConfig(arch="spt", preset="tiny", size=(64, 64), ndf=8, **kw)
    info = ddp.DistInfo()
    return make_recipe(cfg, torch.device("cpu"), info, Amp(False, torch.device("cpu"), info))


def test_phase_table_gives_each_phase_its_size():
    r = spt_recipe(steps=100, progressive=True)
    assert r.size_schedule() == [("regressor", 10, (64, 64)), ("hs", 20, (32, 32)), ("ha", 20, (32, 32)),
                                 ("joint", 20, (32, 32)), ("ha-full", 30, (64, 64))]  # fmt: skip
    assert (r.hs.height, r.hs.width) == (32, 32)  # H_S only ever runs at half size: its card says so
    assert (r.ha.height, r.ha.width) == (64, 64)
    assert r.phase_at(69) == "joint" and r.phase_at(70) == "ha-full"
    assert any("ha-full 30 steps at 64x64" in n for n in r.notes)
    plain = spt_recipe(steps=100)
    assert [s for _, _, s in plain.size_schedule()] == [(64, 64)] * 4
    assert plain.phases() == [("regressor", 10), ("hs", 30), ("ha", 30), ("joint", 30)]


def test_progressive_is_the_paper_presets_default_and_spt_only():
    assert TrainConfig(arch="spt", preset="paper").progressive is True
    assert TrainConfig(arch="spt", preset="paper", progressive=False).progressive is False
    assert TrainConfig(arch="spt").progressive is False
    assert TrainConfig(arch="pona", preset="paper").progressive is False
    with pytest.raises(InputError, match="only spt"):
        TrainConfig(arch="pona", progressive=True)


def test_resize_keeps_parsing_one_hot_and_averages_images():
    r = spt_recipe(steps=10, progressive=True)
    g = torch.Generator().manual_seed(0)
    lab = torch.randint(0, 10, (1, 64, 48), generator=g)
    pose = torch.tensor([[[10.0, 20.0, 1.0], [40.0, 60.0, 0.0]]])
    batch = {"source_pose": pose,  # first: the size is read off the first image-like tensor
             "source_parsing": torch.nn.functional.one_hot(lab, 10).permute(0, 3, 1, 2).float(),
             "source_labels": lab, "source_mask": (torch.rand(1, 1, 64, 48, generator=g) > 0.5).float(),
             "source_image": torch.rand(1, 3, 64, 48, generator=g), "id": ["x"]}  # fmt: skip
    out = r.resize(batch, (32, 24))
    assert out["source_parsing"].shape == (1, 10, 32, 24)
    assert torch.equal(out["source_parsing"].sum(1), torch.ones(1, 32, 24))
    assert torch.equal(out["source_parsing"], batch["source_parsing"][..., ::2, ::2])  # nearest: no blend
    assert out["source_labels"].dtype == lab.dtype and torch.equal(out["source_labels"], lab[:, ::2, ::2])
    assert torch.equal(out["source_pose"], torch.tensor([[[5.0, 10.0, 1.0], [20.0, 30.0, 0.0]]]))
    assert set(out["source_mask"].unique().tolist()) <= {0.0, 1.0}
    assert torch.allclose(out["source_image"], torch.nn.functional.avg_pool2d(batch["source_image"], 2))
    assert out["id"] == ["x"]


# -- Algorithm 1's steps on a real DeepFashion batch, recomputed from the paper ---------------
@pytest.fixture(scope="module")
def spt_batch(samples_dir, tmp_path_factory):
    return real_batch(deepfashion_folder(samples_dir, tmp_path_factory.mktemp("df")), "spt10")


def bce(logits, real: bool):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, 1.0 if real else 0.0))


def test_regressor_phase_is_mse_to_the_pooled_heatmaps_then_frozen(spt_batch):
    r = recipe("spt", phases={"regressor": 1})
    p = copy.deepcopy(r.regressor).train()
    with torch.no_grad():
        pred = p(spt_batch["source_image"])
        exp = mse(pred, F.adaptive_avg_pool2d(spt_batch["source_heatmaps"], pred.shape[-2:]))
    before = snapshot(r.regressor)
    check(r.step("regressor", spt_batch), {"pose_mse": exp, "total": exp, "px": 32})
    assert changed(before, r.regressor) == set(before)
    r.step("hs", spt_batch)
    assert not any(q.requires_grad for q in r.regressor.parameters()) and not r.regressor.training


def test_progressive_regressor_learns_both_sizes(spt_batch):
    """The regressor of a progressive run judges images at both sizes later: its loss is the
    mean of the heatmap MSE at the full size and at half size."""
    r = recipe("spt", progressive=True)
    p = copy.deepcopy(r.regressor).train()
    small = r.resize(spt_batch, (16, 16))
    with torch.no_grad():

        def term(img, hm):
            pred = p(img)
            return mse(pred, F.adaptive_avg_pool2d(hm, pred.shape[-2:]))

        full = term(spt_batch["source_image"], spt_batch["source_heatmaps"])
        half = term(small["source_image"], small["source_heatmaps"])
    assert abs(float(full) - float(half)) > 1e-4  # the two sizes tell apart
    check(r.step("regressor", spt_batch), {"pose_mse": 0.5 * (full + half), "px": 32}, tol=1e-5)


def test_hs_step_is_eq_4(spt_batch):
    """Line 2: L_S = L_adv + lambda_ce L_ce (eq. 2-4) against the target parsing; D_S on
    (real target parsing, detached H_S output)."""
    r = recipe("spt")
    hs, ds = copy.deepcopy(r.hs).train(), copy.deepcopy(r.d_s).train()
    b = spt_batch
    with torch.no_grad():
        logits = hs.logits(b["source_parsing"], b["source_heatmaps"], b["source_mask"], b["target_heatmaps"],
                           b["target_mask"])  # fmt: skip
        probs = torch.softmax(logits, 1)
        # eq. 2: cross-entropy per pixel, weighted by (1 + target body mask)
        ce = (-(b["target_parsing"] * torch.log_softmax(logits, 1)).sum(1, keepdim=True) * (1 + b["target_mask"])).mean()
        adv = bce(ds(probs), True)  # eq. 3, generator side
        exp = {"ce": ce, "adv": adv, "total": 1.0 * adv + 1.0 * ce,
               "d_s": bce(ds(b["target_parsing"]), True) + bce(ds(probs), False)}  # fmt: skip
    hb, hab, db = snapshot(r.hs), snapshot(r.ha), snapshot(r.d_s)
    check(r.step("hs", b), exp)
    assert changed(hb, r.hs) and changed(db, r.d_s) and not changed(hab, r.ha)


@pytest.mark.parametrize("joint", [False, True])
def test_ha_step_is_eq_10_with_the_cycle_back(spt_batch, vgg_file, joint):
    """Lines 3/4: S~_pt = H_S(S_ps, p_s, p_t), I~_pt = H_A(I_ps, S_ps, p_s, S~_pt, p_t), the cycle
    back to p_s, and L_A = adv (eq. 5) + 700 pose (eq. 6) + 0.03 content (eq. 7) + 1 style
    (eq. 8) + 1 face (eq. 9); line 4 adds H_S's adversarial term and trains H_S and D_S."""
    r = recipe("spt", vgg=vgg_file)
    assert r.trainer.weights == {"ce": 1.0, "pose": 700.0, "cont": 0.03, "sty": 1.0, "face": 1.0, "adv": 1.0}
    freeze(r.regressor)
    nets = {k: copy.deepcopy(getattr(r, k)) for k in ("hs", "ha", "d_s", "d_a", "d_f", "regressor")}
    hs, ha, d_s, d_a, d_f, reg = (nets[k] for k in ("hs", "ha", "d_s", "d_a", "d_f", "regressor"))
    hs.train(joint), ha.train()
    b = spt_batch
    img_s, par_s, hm_s, m_s, hm_t, m_t = (b[k] for k in ("source_image", "source_parsing", "source_heatmaps",
                                                         "source_mask", "target_heatmaps", "target_mask"))  # fmt: skip
    feat = r.features
    with torch.no_grad():
        par_t = hs(par_s, hm_s, m_s, hm_t, m_t)["parsing"]
        par_b = hs(par_t, hm_t, m_t, hm_s, m_s)["parsing"]
        img_t = ha(img_s, par_s, hm_s, par_t, hm_t)["image"]
        img_b = ha(img_t, par_t, hm_t, par_b, hm_s)["image"]

        def pose_term(img, hm):
            pred = reg(img)
            return mse(pred, F.adaptive_avg_pool2d(hm, pred.shape[-2:]))

        adv = bce(d_a(img_t), True) + bce(d_a(img_b), True)
        pose = pose_term(img_t, hm_t) + pose_term(img_b, hm_s)
        cont = mse(feat(img_b)["conv2_1"], feat(img_s)["conv2_1"])
        sty = spt_losses.semantic_style_loss(feat, img_s, img_t, img_b, par_s, par_t, par_b)
        ct, vt = spt_losses.face_crops(img_t, hm_t, 16)
        cb, vb = spt_losses.face_crops(img_b, hm_s, 16)
        cs, vs = spt_losses.face_crops(img_s, hm_s, 16)
        assert vt.sum() > 0

        def wbce(logits, real, valid):
            return spt_losses.weighted_bce(logits, real, valid)

        face = wbce(d_f(ct), True, vt) + wbce(d_f(cb), True, vb)
        total = adv + 700 * pose + 0.03 * cont + 1 * sty + 1 * face
        if joint:
            total = total + bce(d_s(par_t), True)
        da = bce(d_a(img_s), True) + bce(d_a(img_t), False) + bce(d_a(img_s), True) + bce(d_a(img_b), False)
        df = 2 * wbce(d_f(cs), True, vs) + wbce(d_f(ct), False, vt) + wbce(d_f(cb), False, vb)
    assert float(cont) > 0 and float(sty) > 0
    exp = {"adv": adv, "pose": pose, "cont": cont, "sty": sty, "face": face, "total": total, "d_a": da, "d_f": df}
    before = {k: snapshot(getattr(r, k)) for k in ("hs", "ha", "d_s", "d_a", "d_f")}
    logs = r.step("joint" if joint else "ha", b)
    check(logs, exp, tol=5e-4)
    # eq. 10's sum to float precision: a wrong operation on the small content term shows here
    assert abs(logs["total"] - float(total)) <= 2e-5 * abs(float(total))
    moved = {k: bool(changed(v, getattr(r, k))) for k, v in before.items()}
    assert moved == {"hs": joint, "ha": True, "d_s": joint, "d_a": True, "d_f": True}
    # line 3 steps H_A's own optimiser, line 4 the joint one (Adam's moments carry per phase)
    opt = r.trainer.opt
    assert bool(opt["hs_joint"].state) == joint and bool(opt["ha"].state) != joint
    assert bool(opt["d_all"].state) == joint and bool(opt["d_af"].state) != joint
    # both discriminators descend their own losses (D_A: eq. 5, D_F: eq. 9)
    with torch.no_grad():
        da_after = bce(r.d_a(img_s), True) * 2 + bce(r.d_a(img_t), False) + bce(r.d_a(img_b), False)
        df_after = 2 * wbce(r.d_f(cs), True, vs) + wbce(r.d_f(ct), False, vt) + wbce(r.d_f(cb), False, vb)
    assert float(da_after) < float(da) and float(df_after) < float(df)
    if joint:  # line 4 trains D_S on (real source parsing, detached S~_pt) too
        with torch.no_grad():
            ds_before = bce(d_s(par_s), True) + bce(d_s(par_t), False)
            ds_after = bce(r.d_s(par_s), True) + bce(r.d_s(par_t), False)
        assert float(ds_after) < float(ds_before)


def test_ha_full_runs_h_s_at_half_size_and_h_a_at_full_size(spt_batch):
    """After the size change (progressive, Sec. 4.1): H_S, trained at half size, runs at half
    size on the resized inputs and its parsing is upsampled; H_A trains at the full size. (The
    half-size phases are run in test_recipe_spt_run.py: a 16 px batch is below the
    discriminators' smallest input.)"""
    r = recipe("spt", progressive=True)  # 32x32, half 16x16
    seen = {"hs": [], "ha": []}
    hooks = [r.hs.register_forward_pre_hook(lambda m, a: seen["hs"].append(tuple(a[0].shape[-2:]))),
             r.ha.register_forward_pre_hook(lambda m, a: seen["ha"].append(tuple(a[0].shape[-2:])))]  # fmt: skip
    try:
        logs = r.step("ha-full", spt_batch)
        assert logs["px"] == 32
        assert seen == {"hs": [(16, 16)] * 2, "ha": [(32, 32)] * 2}  # S~_pt and the cycle's S~_ps
    finally:
        for h in hooks:
            h.remove()
    b = spt_batch
    with torch.no_grad():
        small = [r.resize(b, (16, 16))[k] for k in ("source_parsing", "source_heatmaps", "source_mask",
                                                    "target_heatmaps", "target_mask")]  # fmt: skip
        exp = F.interpolate(r.hs(*small)["parsing"], size=(32, 32), mode="bilinear", align_corners=False)
        got = parse(r.hs, b["source_parsing"], b["source_heatmaps"], b["source_mask"], b["target_heatmaps"],
                    b["target_mask"], (16, 16))  # fmt: skip
    assert torch.allclose(got, exp)
