"""Metrics against reference computations: skimage SSIM, the PSNR formula, FID closed forms,
IS extremes, PCKh on hand-made keypoints, LPIPS and the FID Inception's layout."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image
from skimage.metrics import structural_similarity

from posestudio.core.pose import Pose, body_mask
from posestudio.errors import InputError
from posestudio.training.metrics import get_metric, list_metrics
from posestudio.training.metrics.fid import fid_from_features, frechet_distance
from posestudio.training.metrics.inception_score import inception_score_from_probs
from posestudio.training.metrics.pckh import pckh


def _sk(gen, ref, data_range):
    return structural_similarity(gen, ref, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 channel_axis=2, data_range=data_range)  # fmt: skip


@pytest.fixture(scope="module")
def spt_strip(samples_dir):
    a = np.asarray(Image.open(samples_dir / "reference_outputs" / "spt_2_A_to_2_B.png").convert("RGB"))
    return a[:, :256], a[:, 256:512], a[:, 512:768]  # source, ground truth, SPT output


def test_ssim_matches_skimage_both_variants(spt_strip):
    src, gt, out = spt_strip
    rng = np.random.default_rng(0)
    small = [
        (rng.integers(0, 256, (24, 20, 3), dtype=np.uint8), rng.integers(0, 256, (24, 20, 3), dtype=np.uint8))
    ]
    for gen, ref in [(out, gt), (src, gt), *small]:
        assert get_metric("ssim")(gen, ref) == pytest.approx(_sk(gen, ref, 255), abs=1e-7)
        rng_g = float(gen.max()) - float(gen.min())
        assert get_metric("ssim-gfla")(gen, ref) == pytest.approx(_sk(ref, gen, rng_g), abs=1e-7)
    assert get_metric("ssim")(gt, gt) == pytest.approx(1.0)
    # the authors' output beats the untouched source, as the sample README says
    assert get_metric("ssim")(out, gt) > get_metric("ssim")(src, gt) + 0.03


def test_psnr_by_formula():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 10  # MSE = 100 / 48
    assert get_metric("psnr")(b, a) == pytest.approx(10 * math.log10(255**2 / (100 / 48)))
    assert get_metric("psnr")(a, a) == math.inf


def test_masked_metrics_multiply_both_images_by_the_mask(spt_strip):
    src, gt, out = spt_strip
    pose = Pose(
        np.array([[128, 40], [128, 85]] + [[128 + 10 * (i % 5), 100 + 8 * i] for i in range(16)], float)
    )
    m = body_mask(pose, 256, 256)
    want = _sk((out * m[..., None]).astype(np.float64), (gt * m[..., None]).astype(np.float64), 255)
    assert get_metric("mask-ssim")(out, gt, pose=pose) == pytest.approx(want, abs=1e-7)
    mse = np.mean((out * m[..., None] - gt * m[..., None].astype(float)) ** 2)
    assert get_metric("mask-psnr")(out, gt, mask=m) == pytest.approx(10 * math.log10(255**2 / mse))
    ones = np.ones((256, 256))
    assert get_metric("mask-ssim")(out, gt, mask=ones) == pytest.approx(get_metric("ssim")(out, gt))
    with pytest.raises(InputError):
        get_metric("mask-ssim")(out, gt)


@pytest.mark.parametrize("use_scipy", [True, False])
def test_fid_closed_forms(use_scipy):
    rng = np.random.default_rng(0)
    f = rng.normal(size=(50, 6))
    assert abs(fid_from_features(f, f.copy(), use_scipy=use_scipy)) < 1e-6
    # 1-D Gaussians: FID = (m1 - m2)^2 + v1 + v2 - 2 sqrt(v1 v2)
    x = np.array([-1.0, 1.0])[:, None]
    f1, f2 = 3 + 2 * x, -1 + 5 * x  # means 3, -1; variances (N-1 normalised) 8, 50
    assert fid_from_features(f1, f2, use_scipy=use_scipy) == pytest.approx(16 + 8 + 50 - 2 * math.sqrt(400))
    # both square-root paths agree on a general case
    s1 = np.cov(rng.normal(size=(40, 5)), rowvar=False)
    s2 = np.cov(rng.normal(size=(40, 5)) @ rng.normal(size=(5, 5)), rowvar=False)
    a = frechet_distance(np.zeros(5), s1, np.ones(5), s2, use_scipy=use_scipy)
    b = frechet_distance(np.zeros(5), s1, np.ones(5), s2, use_scipy=not use_scipy)
    assert a == pytest.approx(b, rel=1e-6)


def test_inception_score_extremes():
    same = np.tile(np.full(10, 0.1), (20, 1))
    assert inception_score_from_probs(same, splits=2)[0] == pytest.approx(1.0)
    onehot = np.eye(20)
    mean, std = inception_score_from_probs(onehot, splits=2)
    assert mean == pytest.approx(10.0) and std == pytest.approx(0.0)


def test_pckh_on_hand_made_keypoints():
    ref = Pose(np.zeros((18, 2)), np.zeros(18, bool))
    ref.xy[[0, 14, 15, 16, 17, 1]] = [[50, 20], [46, 16], [54, 16], [40, 18], [60, 18], [50, 40]]
    ref.visible[[0, 1, 14, 15, 16, 17, 2, 3]] = True
    ref.xy[2], ref.xy[3] = (30, 45), (25, 70)  # head box 20 wide, 24 tall -> tolerances 10, 12
    pred = ref.copy()
    pred.xy[2] += (9.9, 0)  # inside
    pred.xy[3] += (0, 12.0)  # on the limit: not correct (strict <)
    pred.visible[17] = False  # missing prediction counts as wrong
    assert pckh([pred], [ref]) == pytest.approx(6 / 8)
    no_head = Pose(ref.xy.copy(), np.isin(np.arange(18), [0, 2, 3]))
    assert pckh([pred, pred], [ref, no_head]) == pytest.approx(6 / 8)  # skipped image
    assert get_metric("pckh")([ref], [ref]) == 1.0


def test_lpips_needs_weights_and_computes_eq1(tmp_path):
    from safetensors.torch import save_file

    from posestudio.training.metrics.lpips import LPIPSNet

    with pytest.raises(InputError, match="--lpips-weights"):
        get_metric("lpips")
    torch.manual_seed(0)
    net = LPIPSNet()
    for lin in net.lins:
        torch.nn.init.uniform_(lin.weight, 0, 0.2)
    # the lpips package's layout: backbone as net.sliceK.N.*, linear layers as linK.model.1.weight
    slices = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}
    state = {}
    for k, v in net.state_dict().items():
        if k.startswith("features."):
            idx, kind = k.split(".")[1:]
            state[f"net.slice{slices[int(idx)]}.{idx}.{kind}"] = v.clone()
        elif k.startswith("lins."):
            state[f"lin{k.split('.')[1]}.model.1.weight"] = v.clone()
    save_file(state, str(tmp_path / "lpips_alex.safetensors"))
    metric = get_metric("lpips", weights=tmp_path / "lpips_alex.safetensors")
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (64, 64, 3)).astype(np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
    assert metric(a, a) == pytest.approx(0.0, abs=1e-9)
    # eq. 1 by hand
    ta = torch.from_numpy(a.transpose(2, 0, 1)[None].astype(np.float32)) / 127.5 - 1
    tb = torch.from_numpy(b.transpose(2, 0, 1)[None].astype(np.float32)) / 127.5 - 1
    want = 0.0
    with torch.no_grad():
        for w, fa, fb in zip(net.lins, net.taps(ta), net.taps(tb), strict=True):
            na = fa / fa.norm(dim=1, keepdim=True).add(1e-10)
            nb = fb / fb.norm(dim=1, keepdim=True).add(1e-10)
            want += float(((na - nb) ** 2 * w.weight.view(1, -1, 1, 1)).sum(1).mean())
    assert metric(a, b) == pytest.approx(want, rel=1e-5)
    assert metric(a, b) > 0
    torch.save({k: v for k, v in state.items() if not k.startswith("lin")}, tmp_path / "backbone_only.pth")
    with pytest.raises(InputError, match="missing"):
        get_metric("lpips", weights=tmp_path / "backbone_only.pth")


def test_fid_inception_has_the_pytorch_fid_layout(tmp_path):
    from posestudio.training.metrics.inception import FIDInception, load_inception

    net = FIDInception()
    # torchvision's Inception3 without aux logits has 23,834,568 parameters; 1008 classes add 8 x 2049
    assert sum(p.numel() for p in net.parameters()) == 23_834_568 + 8 * 2049
    sd = net.state_dict()
    assert tuple(sd["Conv2d_1a_3x3.conv.weight"].shape) == (32, 3, 3, 3)
    assert tuple(sd["Mixed_7c.branch_pool.conv.weight"].shape) == (192, 2048, 1, 1)
    assert tuple(sd["Mixed_6e.branch7x7dbl_5.bn.running_var"].shape) == (192,)
    assert tuple(sd["fc.weight"].shape) == (1008, 2048)
    torch.save(
        {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}, tmp_path / "pt_inception.pth"
    )
    loaded = load_inception(tmp_path / "pt_inception.pth")
    pool, logits = loaded(torch.rand(1, 3, 80, 80))
    assert pool.shape == (1, 2048) and logits.shape == (1, 1008)
    torch.save({"fc.weight": sd["fc.weight"]}, tmp_path / "wrong.pth")
    with pytest.raises(InputError, match="not a pytorch-fid Inception"):
        load_inception(tmp_path / "wrong.pth")
    with pytest.raises(InputError, match="--inception-weights"):
        get_metric("fid")([np.zeros((8, 8, 3), np.uint8)] * 2, [np.zeros((8, 8, 3), np.uint8)] * 2)


def test_registry():
    assert set(list_metrics()) >= {
        "ssim",
        "ssim-gfla",
        "psnr",
        "mask-ssim",
        "mask-psnr",
        "lpips",
        "fid",
        "is",
        "pckh",
    }
    with pytest.raises(InputError, match="unknown metric"):
        get_metric("bleu")


def test_fid_and_is_run_the_network_on_images(tmp_path):
    from posestudio.training.metrics.inception import FIDInception

    torch.manual_seed(0)
    net = FIDInception()
    path = tmp_path / "pt_inception-2015-12-05-test.pth"
    torch.save(net.state_dict(), path)
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 256, (40, 32, 3), dtype=np.uint8) for _ in range(4)]
    fid = get_metric("fid", inception_weights=path)
    feats = fid.features(imgs)
    assert feats.shape == (4, 2048) and np.isfinite(feats).all()
    with torch.no_grad():  # same as running the module by hand on [0, 1] images
        want = net.eval()(torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float() / 255)[0]
    np.testing.assert_allclose(feats, want.double().numpy(), rtol=1e-4, atol=1e-5)
    mean, std = get_metric("is", inception_weights=path, splits=2)(imgs)
    assert 1.0 - 1e-9 <= mean <= 2.0 + 1e-9  # between 1 and the split size


def test_plain_ssim_is_skimages_default_the_real_pair_check_uses(spt_strip):
    """realcheck.py calls structural_similarity(a, b, data_range=255, channel_axis=2): 7x7 uniform, sample cov."""
    src, gt, out = spt_strip
    rng = np.random.default_rng(1)
    small = (rng.integers(0, 256, (20, 17, 3), dtype=np.uint8), rng.integers(0, 256, (20, 17, 3), dtype=np.uint8))
    for gen, ref in [(out[:, 40:216], gt[:, 40:216]), (src, gt), small]:
        want = structural_similarity(gen, ref, data_range=255, channel_axis=2)
        assert get_metric("ssim-plain")(gen, ref) == pytest.approx(want, abs=1e-7)
    assert get_metric("ssim-plain")(out, gt) != pytest.approx(get_metric("ssim")(out, gt), abs=1e-4)
