"""prepare.py: identity at the model's size, crops elsewhere, feathered paste-back."""

from __future__ import annotations

import numpy as np

from posestudio.core.pose import default_pose
from posestudio.engine import Request, prepare

SPECS = {
    "source_image": {"channels": 3, "kind": "image"},
    "source_heatmaps": {"channels": 18, "kind": "heatmaps"},
    "target_heatmaps": {"channels": 18, "kind": "heatmaps"},
    "source_parsing": {"channels": 10, "kind": "parsing", "label_set": "spt10"},
}


def _request(h, w):
    rng = np.random.default_rng(0)
    p = default_pose(w, h)
    par = np.zeros((h, w), np.uint8)
    par[h // 4 : h // 2, w // 3 : 2 * w // 3] = 3
    return Request(
        source_image=rng.integers(0, 255, (h, w, 3), dtype=np.uint8), source_pose=p,
        target_pose=p.rotate_limb(3, 0.5), source_parsing=par,
    )  # fmt: skip


def test_identity_when_the_canvas_has_the_models_size():
    req = _request(256, 176)
    frame = prepare.frame_for((256, 176), (256, 176), [req.source_pose, req.target_pose])
    assert frame.identity
    x = prepare.prepare_inputs(SPECS, req, frame)
    assert np.allclose(x["source_image"][0].transpose(1, 2, 0), req.source_image / 255.0 * 2 - 1, atol=1e-6)
    assert x["source_heatmaps"].shape == (1, 18, 256, 176)
    assert np.array_equal(x["source_parsing"][0].argmax(0), req.source_parsing)
    out = prepare.paste_back(prepare.tensor_image(x["source_image"]), frame, req.source_image)
    assert np.array_equal(out, req.source_image)


def test_a_big_canvas_is_cropped_around_the_person_and_pasted_back():
    req = _request(900, 1400)  # wide canvas, figure in the middle
    frame = prepare.frame_for((256, 176), (900, 1400), [req.source_pose, req.target_pose])
    assert not frame.identity
    x = prepare.prepare_inputs(SPECS, req, frame)
    assert x["source_image"].shape == (1, 3, 256, 176)
    # the neck heatmap peaks where the neck maps to
    nx, ny = frame.pose(req.source_pose).xy[1]
    hm = x["source_heatmaps"][0, 1]
    py, px = np.unravel_index(hm.argmax(), hm.shape)
    assert abs(px - nx) <= 1 and abs(py - ny) <= 1
    # every visible joint of both poses lies inside the crop
    for p in (req.source_pose, req.target_pose):
        q = frame.pose(p).xy[p.visible]
        assert (q >= 0).all() and (q[:, 0] < 176).all() and (q[:, 1] < 256).all()
    gen = np.zeros((256, 176, 3), np.uint8)
    out = prepare.paste_back(gen, frame, req.source_image)
    assert out.shape == (900, 1400, 3)
    cx, cy = np.round(req.source_pose.xy[1]).astype(int)
    assert out[cy, cx].max() == 0  # generated inside
    assert np.array_equal(out[:, :50], req.source_image[:, :50])  # untouched far outside
    alpha = prepare.feather_mask(frame)
    assert 0 < alpha[alpha > 0].min() < 1  # a feathered edge, not a hard one


def test_a_deepfashion_canvas_keeps_its_scale_and_full_height(pair):
    """256x256 DeepFashion images hold a 176-wide person strip: the crop is that strip, unscaled."""
    _, sp, _, tp, _ = pair("2_A", "2_B")
    frame = prepare.frame_for((256, 176), (256, 256), [sp, tp])
    assert np.allclose(frame.matrix[:, :2], np.eye(2)) and frame.matrix[1, 2] == 0
    assert 20 <= -frame.matrix[0, 2] <= 60
