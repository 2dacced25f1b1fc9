"""Every recipe pinned against its paper: one optimisation step on real DeepFashion pairs,
with the generator and discriminator losses recomputed by hand (on copies of the networks
taken before the step, called in the same order) from the paper's equations and weights;
which parameters each phase moves; optimiser settings and the phase schedule."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from posestudio.nets.blocks import warp
from posestudio.nets.losses import gram_matrix
from posestudio.training.config import TrainConfig
from tests.training.recipe_helpers import changed, check, mse, real_batch, recipe, snapshot
from tests.training.test_train_cli import deepfashion_folder


@pytest.fixture(scope="module")
def folder(samples_dir, tmp_path_factory):
    return deepfashion_folder(samples_dir, tmp_path_factory.mktemp("df"))


@pytest.fixture(scope="module")
def batch(folder):
    return real_batch(folder, "spt10")


@pytest.fixture(scope="module")
def scm_batch(folder):
    return real_batch(folder, "scm8")


# -- PoNA (paper 004): eq. 8-11 ---------------------------------------------------------------
@pytest.mark.parametrize("with_vgg", [False, True])
def test_pona_step_is_eq_8_to_11(batch, vgg_file, with_vgg):
    r = recipe("pona", vgg=vgg_file if with_vgg else None)
    assert r.weights == (5.0, 1.0, 1.0)  # eq. 8, DeepFashion (Sec. IV-A)
    g, d = copy.deepcopy(r.g).train(), copy.deepcopy(r.d).train()
    src, hs, ht, tgt = (batch[k] for k in ("source_image", "source_heatmaps", "target_heatmaps", "target_image"))
    torch.manual_seed(7)  # the same dropout masks as the step's (PoNA's blocks drop out)
    with torch.no_grad():
        fake = g(src, hs, ht)["image"]
        da, dp = d(src, fake, ht)
        cgan = 0.5 * (mse(da, 1) + mse(dp, 1))  # eq. 9, generator side: both D's say "real"
        l1 = (fake - tgt).abs().mean()  # eq. 10
        exp = {"cgan": cgan, "l1": l1}
        total = 5 * cgan + 1 * l1
        if with_vgg:
            v = r.perceptual.vgg
            exp["perceptual"] = (v(fake)["conv1_2"] - v(tgt)["conv1_2"]).abs().mean()  # eq. 11
            total = total + 1 * exp["perceptual"]
        exp["total"] = total
        ra, rp = d(torch.cat([src, src]), torch.cat([tgt, fake]), torch.cat([ht, ht]))
        exp["d"] = 0.5 * (mse(ra[:2], 1) + mse(ra[2:], 0) + mse(rp[:2], 1) + mse(rp[2:], 0))
    gb, db = snapshot(r.g), snapshot(r.d)
    torch.manual_seed(7)
    check(r.step("train", batch), exp)
    assert changed(gb, r.g) and changed(db, r.d)


def test_pona_market_weights():
    r = recipe("pona", loss_weights="market")
    assert r.weights == (5.0, 10.0, 10.0)


# -- paper 001 ---------------------------------------------------------------------------------
def test_structflow_flow_phase_moves_only_the_flow_generators(batch, vgg_file):
    r = recipe("structflow", vgg=vgg_file)
    g = copy.deepcopy(r.g).train()
    src, hs, ht, tgt = (batch[k] for k in ("source_image", "source_heatmaps", "target_heatmaps", "target_image"))
    from posestudio.nets.losses import affine_regularization_loss, sampling_correctness_loss

    torch.manual_seed(7)  # the same dropout masks as the step's (PoNA's blocks drop out)
    with torch.no_grad():
        out = g(src, hs, ht)
        vs, vt = r.vgg(src)["relu3_1"], r.vgg(tgt)["relu3_1"]
        flows = out["part_flows"].split(2, 1)
        sam = sum(sampling_correctness_loss(vs, vt, f) for f in flows)  # eq. 9, per part
        regu = sum(affine_regularization_loss(f) for f in flows)
    before = snapshot(r.g)
    torch.manual_seed(7)
    check(r.step("flow", batch), {"sam": sam, "regu": regu, "total": 5.0 * sam + 0.0025 * regu})
    moved = changed(before, r.g)
    assert moved and all(n.startswith("flow_generators.") for n in moved)


@pytest.mark.parametrize("with_vgg", [False, True])
def test_structflow_e2e_is_eq_10(batch, vgg_file, with_vgg):
    r = recipe("structflow", vgg=vgg_file if with_vgg else None)
    g, d = copy.deepcopy(r.g).train(), copy.deepcopy(r.d).train()
    src, hs, ht, tgt = (batch[k] for k in ("source_image", "source_heatmaps", "target_heatmaps", "target_image"))
    torch.manual_seed(7)  # the same dropout masks as the step's (PoNA's blocks drop out)
    with torch.no_grad():
        out = g(src, hs, ht)
        fake = out["image"]
        terms = r.flow_terms(out, src, tgt, ht)
        terms.pop("regu")
        terms["rec"] = (fake - tgt).abs().mean()  # eq. 11
        terms["adv"] = mse(d(torch.cat([fake, ht], 1)), 1)  # eq. 12, generator side
        if with_vgg:
            terms["per"] = r.perceptual(fake, tgt)
            vf, vt = r.vgg(fake), r.vgg(tgt)
            terms["sty"] = sum((gram_matrix(vf[n]) - gram_matrix(vt[n])).abs().mean()
                               for n in ("relu2_1", "relu3_1", "relu4_1"))  # fmt: skip
        paper = {"sam": 5.0, "rec": 5.0, "adv": 2.0, "per": 0.5, "sty": 500.0, "warp": 1.0}
        exp = {**terms, "total": sum(paper[k] * v for k, v in terms.items())}
        pred = d(torch.cat([torch.cat([tgt, fake]), torch.cat([ht, ht])], 1))
        exp["d"] = 0.5 * (mse(pred[:2], 1) + mse(pred[2:], 0))
    assert ("sam" in terms) == with_vgg and ("warp" in terms) != with_vgg
    gb, db = snapshot(r.g), snapshot(r.d)
    torch.manual_seed(7)
    check(r.step("e2e", batch), exp)
    assert len(changed(gb, r.g)) > len(changed(gb, r.g) & {n for n in gb if n.startswith("flow_generators")})
    assert changed(db, r.d)


def test_structflow_warp_l1_without_vgg_is_inside_the_target_part_box(batch):
    r = recipe("structflow")
    out = r.g(batch["source_image"], batch["source_heatmaps"], batch["target_heatmaps"])
    terms = r.flow_terms(out, batch["source_image"], batch["target_image"], batch["target_heatmaps"])
    from posestudio.nets.structflow import part_box_mask

    total = 0.0
    for part, f in zip(r.g.part_names, out["part_flows"].split(2, 1), strict=True):
        box = F.adaptive_avg_pool2d(part_box_mask(r.g.sub_pose(batch["target_heatmaps"], part), r.g.margin),
                                    f.shape[-2:])  # fmt: skip
        s = F.adaptive_avg_pool2d(batch["source_image"], f.shape[-2:])
        t = F.adaptive_avg_pool2d(batch["target_image"], f.shape[-2:])
        diff = (warp(s, f) - t).abs()
        total = total + (diff * box).sum() / (box.sum() * 3)
    assert abs(float(terms["warp"].detach()) - float(total.detach())) < 1e-5


# -- paper 003 ---------------------------------------------------------------------------------
def test_attnflow_flow_phase_moves_only_the_deformation_module(batch, vgg_file):
    from posestudio.nets.losses import affine_regularization_loss, sampling_correctness_loss

    r = recipe("attnflow", vgg=vgg_file)
    g = copy.deepcopy(r.g).train()
    src, hs, ht, tgt = (batch[k] for k in ("source_image", "source_heatmaps", "target_heatmaps", "target_image"))
    torch.manual_seed(7)  # the same dropout masks as the step's (PoNA's blocks drop out)
    with torch.no_grad():
        sc = g.deform(src, hs, ht)
        vs, vt = r.vgg(src), r.vgg(tgt)
        attn = sum((e["attention_warp"] - F.avg_pool2d(tgt, s)).abs().mean() for s, e in sc.items())
        flow = sum(sampling_correctness_loss(vs["relu3_1" if s <= 4 else "relu4_1"],
                                             vt["relu3_1" if s <= 4 else "relu4_1"], e["flow"])
                   for s, e in sc.items())  # fmt: skip
        regu = sum(affine_regularization_loss(e["flow"]) for e in sc.values())
    before = snapshot(r.g)
    torch.manual_seed(7)
    check(r.step("flow", batch), {"attn": attn, "flow": flow, "regu": regu,
                                  "total": 1.0 * attn + 5.0 * flow + 0.0025 * regu})  # fmt: skip
    deform = ("key_encoder", "query_encoder", "key_proj", "query_proj", "flow_estimator", "combination")
    moved = changed(before, r.g)
    assert moved and all(n.split(".")[0] in deform for n in moved)


def test_attnflow_flow_phase_without_vgg_is_eq_10_13_14_and_the_warp_l1(batch):
    """Without VGG-19 the sampling-correctness term is dropped (recorded as such) and the flow
    learns from the L1 of the flow-warped source instead; eq. 13-14's regulariser keeps its sign."""
    from posestudio.nets.losses import affine_regularization_loss
    from posestudio.training.recipes.flow import warp_l1

    r = recipe("attnflow", vgg=None)
    g = copy.deepcopy(r.g).train()
    src, hs, ht, tgt = (batch[k] for k in ("source_image", "source_heatmaps", "target_heatmaps", "target_image"))
    torch.manual_seed(7)
    with torch.no_grad():
        sc = g.deform(src, hs, ht)
        attn = sum((e["attention_warp"] - F.avg_pool2d(tgt, s)).abs().mean() for s, e in sc.items())
        warped = sum(warp_l1(src, tgt, e["flow"]) for e in sc.values())
        regu = sum(affine_regularization_loss(e["flow"]) for e in sc.values())
    assert float(warped) > 0.01
    torch.manual_seed(7)
    logged = r.step("flow", batch)
    check(logged, {"attn": attn, "warp": warped, "regu": regu, "total": 1.0 * attn + 1.0 * warped + 0.0025 * regu})
    assert "flow" not in logged
    assert logged["regu"] >= 0 and abs(logged["regu"] - float(regu)) <= 1e-3 * max(abs(float(regu)), 1e-12)


def test_attnflow_e2e_is_eq_19_with_the_face_term(batch, vgg_file):
    from posestudio.nets.spt_losses import face_crops

    r = recipe("attnflow", vgg=vgg_file)
    g, d = copy.deepcopy(r.g).train(), copy.deepcopy(r.d).train()
    src, hs, ht, tgt = (batch[k] for k in ("source_image", "source_heatmaps", "target_heatmaps", "target_image"))
    torch.manual_seed(7)  # the same dropout masks as the step's (PoNA's blocks drop out)
    with torch.no_grad():
        out = g(src, hs, ht, all_scales=True)
        fake = out["image"]
        terms = r.deform_terms(out["scales"], src, tgt)
        terms["adv"] = mse(d(fake), 1)  # eq. 18
        terms["perc"] = r.perceptual(fake, tgt)  # eq. 15
        fc, valid = face_crops(fake, ht, 64)
        tc, _ = face_crops(tgt, ht, 64)
        assert fc.shape[-1] == 64 and valid.sum() > 0
        terms["face"] = r.perceptual(fc * valid[:, None, None, None], tc * valid[:, None, None, None])  # eq. 16
        terms["style"] = r.style(fake, tgt)  # eq. 17
        paper = {"attn": 1.0, "flow": 5.0, "regu": 0.0025, "perc": 0.5, "face": 0.5, "style": 500.0, "adv": 2.0}
        exp = {**terms, "total": sum(paper[k] * v for k, v in terms.items())}  # eq. 19
        pred = d(torch.cat([tgt, fake]))
        exp["d"] = 0.5 * (mse(pred[:2], 1) + mse(pred[2:], 0))
    assert float(terms["face"]) > 0
    torch.manual_seed(7)
    check(r.step("e2e", batch), exp)


# -- paper 000 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("with_vgg", [False, True])
def test_scmnet_step_is_eq_9(scm_batch, vgg_file, with_vgg):
    from posestudio.nets import scmnet_losses as SL

    r = recipe("scmnet", vgg=vgg_file if with_vgg else None)
    g, ds, dp = (copy.deepcopy(m).train() for m in (r.g, r.d_style, r.d_pose))
    batch = scm_batch
    img, par, pose = batch["source_image"], batch["source_parsing"], batch["source_heatmaps"]
    bce = F.binary_cross_entropy_with_logits
    torch.manual_seed(7)  # the same dropout masks as the step's (PoNA's blocks drop out)
    with torch.no_grad():
        fake = g(img, par, pose)["image"]  # self-supervised: its own pose and style
        ls, lp = ds(fake), dp(torch.cat([fake, pose], 1))
        terms = {"adv": bce(ls, torch.ones_like(ls)) + bce(lp, torch.ones_like(lp)),  # eq. 4
                 "rec": (fake - img).abs().mean()}  # fmt: skip
        if with_vgg:
            ff, fr = r.features(fake), r.features(img)
            terms["perc"] = sum((ff[n] - fr[n]).abs().mean() for n in ("relu1_1", "relu2_1", "relu3_1", "relu4_1"))
            terms["style"] = sum((gram_matrix(ff[n]) - gram_matrix(fr[n])).abs().mean()
                                 for n in ("relu2_1", "relu3_1", "relu4_1"))  # fmt: skip
            terms["graph"] = SL.graph_loss(ff, fr, par)
        paper = {"adv": 5.0, "rec": 1.0, "perc": 1.0, "style": 150.0, "graph": 1.0}  # eq. 9, Sec. 4.1
        exp = {**terms, "total": sum(paper[k] * v for k, v in terms.items())}
        rs, rp = ds(img), dp(torch.cat([img, pose], 1))
        fs, fp = ds(fake), dp(torch.cat([fake, pose], 1))
        exp["d"] = (bce(rs, torch.ones_like(rs)) + bce(fs, torch.zeros_like(fs))
                    + bce(rp, torch.ones_like(rp)) + bce(fp, torch.zeros_like(fp)))  # fmt: skip
    torch.manual_seed(7)
    check(r.step("self", batch), exp)


def test_scmnet_face_step_colours_the_edges_from_the_reference(vgg_file):
    """Sec. 4.5: the edge map plays the pose (D_p sees fake + edges), the reference face and its
    8-region parsing give the style, the target is the face the edges outline (eq. 4, 5, 9)."""
    from posestudio.training.data import _collate
    from posestudio.training.face_datasets import SynthFaces

    r = recipe("scmnet-face", vgg=vgg_file)
    assert r.size(next(iter(r.generators)))[0] == 32
    faces = SynthFaces(length=2, size=32, seed=3)
    batch = _collate([faces[0], faces[1]])
    g, ds, dp = (copy.deepcopy(m).train() for m in (r.g, r.d_style, r.d_pose))
    edges, ref, ref_par, img = batch["edges"], batch["reference_image"], batch["reference_parsing"], batch["image"]
    assert not torch.equal(ref, img)  # the synthetic reference is the same face in another expression
    bce = F.binary_cross_entropy_with_logits
    torch.manual_seed(7)
    with torch.no_grad():
        fake = g(edges=edges, reference_image=ref, reference_parsing=ref_par)["image"]
        ls, lp = ds(fake), dp(torch.cat([fake, edges], 1))
        ff, fr = r.features(fake), r.features(img)
        terms = {"adv": bce(ls, torch.ones_like(ls)) + bce(lp, torch.ones_like(lp)),
                 "rec": (fake - img).abs().mean(),
                 "perc": sum((ff[n] - fr[n]).abs().mean() for n in ("relu1_1", "relu2_1", "relu3_1", "relu4_1")),
                 "style": sum((gram_matrix(ff[n]) - gram_matrix(fr[n])).abs().mean()
                              for n in ("relu2_1", "relu3_1", "relu4_1"))}  # fmt: skip
        from posestudio.nets import scmnet_losses as SL

        terms["graph"] = SL.graph_loss(ff, fr, ref_par)
        paper = {"adv": 5.0, "rec": 1.0, "perc": 1.0, "style": 150.0, "graph": 1.0}
        exp = {**terms, "total": sum(paper[k] * v for k, v in terms.items())}
        rs, rp = ds(img), dp(torch.cat([img, edges], 1))
        fs, fp = ds(fake), dp(torch.cat([fake, edges], 1))
        exp["d"] = (bce(rs, torch.ones_like(rs)) + bce(fs, torch.zeros_like(fs))
                    + bce(rp, torch.ones_like(rp)) + bce(fp, torch.zeros_like(fp)))  # fmt: skip
    torch.manual_seed(7)
    check(r.step("self", batch), exp)
    inputs, real, parsing, pose = r.unpack(batch)
    assert set(inputs) == {"edges", "reference_image", "reference_parsing"}
    assert torch.equal(real, img) and torch.equal(parsing, ref_par) and torch.equal(pose, edges)


# -- optimisers and schedules --------------------------------------------------------------------
def test_phase_schedule_from_the_defaults_and_from_phases():
    from posestudio.errors import InputError

    r = recipe("spt")  # 10 steps; SPT's default shares 0.1 / 0.3 / 0.3 / the rest
    assert r.phases() == [("regressor", 1), ("hs", 3), ("ha", 3), ("joint", 3)]
    assert [r.phase_at(s) for s in range(12)] == ["regressor"] + ["hs"] * 3 + ["ha"] * 3 + ["joint"] * 5
    # --phases: a phase not named gets no steps, one asking too many is cut at the run's end
    r = recipe("spt", phases={"hs": 4, "ha": 20})
    assert r.phases() == [("regressor", 0), ("hs", 4), ("ha", 6), ("joint", 0)]
    assert [r.phase_at(s) for s in (0, 3, 4, 9, 10)] == ["hs", "hs", "ha", "ha", "joint"]
    with pytest.raises(InputError) as err:
        recipe("spt", phases={"warmup": 3, "hs": 1}).phases()
    assert "'warmup'" in str(err.value) and "phases: regressor, hs, ha, joint" in str(err.value)


@pytest.mark.parametrize(
    "arch, lr, betas",
    [("structflow", 1e-3, (0.0, 0.99)),  # 001 Sec. Implementation Details
     ("spt", 2e-4, (0.5, 0.999)),  # 002 Sec. 4.1
     ("pona", 2e-4, (0.5, 0.999)), ("attnflow", 2e-4, (0.5, 0.999)), ("scmnet", 2e-4, (0.5, 0.999))],
)  # fmt: skip
def test_optimisers(arch, lr, betas):
    cfg = TrainConfig(arch=arch)
    assert cfg.lr == lr and cfg.betas == betas


@pytest.mark.parametrize(
    "arch, phases",
    [("structflow", [("flow", 20), ("e2e", 80)]), ("attnflow", [("flow", 20), ("e2e", 80)]),
     ("spt", [("regressor", 10), ("hs", 30), ("ha", 30), ("joint", 30)]), ("pona", [("train", 100)])],
)  # fmt: skip
def test_default_phase_schedules(arch, phases):
    from posestudio.training.recipes import recipe_class

    r = object.__new__(recipe_class(arch))
    r.cfg = TrainConfig(arch=arch, steps=100)
    assert r.phases() == phases
    starts = [0]
    for _, n in phases:
        starts.append(starts[-1] + n)
    for (name, _), a, b in zip(phases, starts, starts[1:], strict=False):
        assert r.phase_at(a) == name and r.phase_at(b - 1) == name
