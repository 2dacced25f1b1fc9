"""PoNA matches the authors' generator: their key layout loads into our module and
reproduces the published test vectors (../shared/parity/pona)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from posestudio.core.pose import Pose, heatmaps
from posestudio.nets.official import load_pona_checkpoint
from posestudio.nets.registry import build


def _pose(path) -> Pose:
    # the case files are OpenPose JSON with one person, [x, y, c] x 18
    kp = np.asarray(json.loads(path.read_text())["people"][0]["pose_keypoints_2d"], dtype=np.float64).reshape(
        18, 3
    )
    return Pose(kp[:, :2], kp[:, 2] > 0)


@pytest.fixture(scope="module")
def pona16(parity_dir):
    cfg, sd = load_pona_checkpoint(parity_dir / "netG_pona_ngf16_random.pth")
    model = build("pona", preset=None, **cfg)
    model.load_state_dict(sd, strict=True)
    return cfg, model.eval()


def test_config_inferred_from_shapes(pona16):
    cfg, model = pona16
    assert cfg["ngf"] == 16 and cfg["n_blocks"] == 3 and cfg["norm"] == "instance"
    assert model.num_parameters() == 2_172_620  # the README's 2.17 M, 111 tensors


def test_case0_heatmaps_match_the_published_ones(parity_dir):
    case = parity_dir / "case0"
    ref = np.load(case / "heatmaps.npz")
    np.testing.assert_allclose(heatmaps(_pose(case / "source_pose.json"), 256, 176), ref["source"], atol=1e-6)
    np.testing.assert_allclose(heatmaps(_pose(case / "target_pose.json"), 256, 176), ref["target"], atol=1e-6)


@pytest.mark.parametrize("case", ["case0", "case1", "case2"])
def test_reproduces_expected_output(pona16, parity_dir, case):
    _, model = pona16
    d = parity_dir / case
    rgb = np.asarray(Image.open(d / "source.png").convert("RGB"), dtype=np.float32)
    x = torch.from_numpy(rgb / 255 * 2 - 1).permute(2, 0, 1)[None]
    hs = torch.from_numpy(heatmaps(_pose(d / "source_pose.json"), 256, 176))[None]
    ht = torch.from_numpy(heatmaps(_pose(d / "target_pose.json"), 256, 176))[None]
    with torch.no_grad():
        out = model(source_image=x, source_heatmaps=hs, target_heatmaps=ht)
    assert list(out)[0] == "image"
    y = out["image"].numpy()
    expected = np.load(d / "expected.npy")
    assert y.shape == expected.shape == (1, 3, 256, 176)
    assert np.abs(y - expected).max() < 1e-4
    png = np.asarray(Image.open(d / "expected.png").convert("RGB"), dtype=np.int16)
    ours = np.round((y[0].transpose(1, 2, 0) + 1) / 2 * 255).astype(np.int16)
    assert np.abs(ours - png).max() <= 1
