"""SCM-Net runs on the real samples' parsing maps converted from SPT-10 to the 8 regions."""

from __future__ import annotations

import numpy as np
import torch

from posestudio.core import labels
from posestudio.nets import registry, scmnet
from tests.nets.test_spt_data import pose_tensors, real_sample, scm8

H, W = 256, 176


def test_spt10_to_scm8_merges_as_documented(samples_dir):
    lab = real_sample(samples_dir, "2_B")["labels"]
    m = labels.convert(lab, "spt10", "scm8")
    assert np.array_equal(m[lab == 4], np.full((lab == 4).sum(), 4))  # pants -> lower clothes
    assert set(np.unique(m[(lab == 6) | (lab == 7)])) == {5}  # both arms -> arms
    assert set(np.unique(m[lab == 1])) == {2} and set(np.unique(m[lab == 2])) == {1}  # face / hair order


def test_scmnet_pose_transfer_and_attribute_edit_on_real_samples(samples_dir):
    torch.manual_seed(0)
    model = registry.build("scmnet", "tiny").eval()
    a, b = real_sample(samples_dir, "2_A"), real_sample(samples_dir, "3_A")
    pa, pb = scm8(a["labels"]), scm8(b["labels"])
    target, _ = pose_tensors(real_sample(samples_dir, "2_B")["pose"], H, W)
    with torch.no_grad():
        out = model(source_image=a["image"], source_parsing=pa, target_heatmaps=target)
        assert out["image"].shape == (1, 3, H, W) and out["image"].abs().max() <= 1
        corr = out["correlation"]
        assert corr.shape == (1, 1, H // 8, W // 8)
        assert (corr > 0).all() and (corr <= 1).all()
        # attribute editing: take the upper clothes of 3_A
        sa, sb = model.style_codes(a["image"], pa), model.style_codes(b["image"], pb)
        assert sa.shape == (1, 8 * model.style_ch, H // 8, W // 8)
        edited = model.generate_from_style(model.swap_region(sa, sb, 3), target)["image"]
        assert not torch.allclose(edited, out["image"])
        one_call = scmnet.AttributeEditor(model, (3,))(a["image"], pa, b["image"], pb, target)["image"]
        assert torch.allclose(one_call, edited, atol=1e-6)


def test_scmnet_face_runs_with_edges_and_face8(samples_dir):
    torch.manual_seed(0)
    model = registry.build("scmnet-face", "tiny", height=64, width=64, label_set="face8").eval()
    assert model.inputs["reference_parsing"].label_set == "face8"
    assert model.inputs["edges"].channels == 1
    with torch.no_grad():
        out = model(**model.example_inputs())
    assert out["image"].shape == (1, 3, 64, 64)
