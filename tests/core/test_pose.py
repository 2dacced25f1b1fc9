import json

import numpy as np
import pytest

from posestudio.core import skeleton
from posestudio.core.formats import read_poses
from posestudio.core.pose import Pose, body_mask, default_pose, heatmaps, interpolate, limb_mask
from posestudio.errors import InputError


@pytest.fixture
def case0(parity_dir):
    src = read_poses(parity_dir / "case0" / "source_pose.json").first
    tgt = read_poses(parity_dir / "case0" / "target_pose.json").first
    return src, tgt


def test_heatmaps_reproduce_the_parity_file(case0, parity_dir):
    ref = np.load(parity_dir / "case0" / "heatmaps.npz")
    src, tgt = case0
    hs, ht = heatmaps(src, 256, 176), heatmaps(tgt, 256, 176)
    assert hs.dtype == np.float32 and hs.shape == (18, 256, 176)
    assert np.abs(hs - ref["source"]).max() <= 1e-6
    assert np.abs(ht - ref["target"]).max() <= 1e-6


def test_missing_joint_gives_zero_channel_and_peak_at_joint(case0):
    src, _ = case0
    assert not src.visible[9]
    h = heatmaps(src, 256, 176)
    assert h[9].max() == 0.0
    y, x = np.unravel_index(h[0].argmax(), h[0].shape)
    assert (x, y) == (int(src.xy[0, 0]), int(src.xy[0, 1]))


def test_mirror_twice_is_identity_and_swaps_sides(case0):
    src, _ = case0
    m = src.mirrored(176)
    assert m.mirrored(176) == src
    # left shoulder of the mirror is the flipped right shoulder
    assert m.xy[5, 0] == pytest.approx(175 - src.xy[2, 0]) and m.xy[5, 1] == src.xy[2, 1]
    assert m.visible[12] == src.visible[9]


def test_interpolation_keeps_bone_lengths():
    a = default_pose(176, 256)
    b = a.rotate_limb(3, np.deg2rad(120)).rotate_limb(9, np.deg2rad(-70)).rotate_limb(0, 0.4)
    b = b.transformed([[1, 0, 20], [0, 1, -8]])
    la = a.bone_lengths()
    for t in np.linspace(0, 1, 11):
        p = interpolate(a, b, t)
        np.testing.assert_allclose(p.bone_lengths(), la, atol=1e-9, equal_nan=True)
    lin = interpolate(a, b, 0.5, mode="linear")
    assert np.nanmin(lin.bone_lengths()[[4]]) < la[4] - 1  # straight blending shortens the forearm
    assert interpolate(a, b, 0.0) == a and interpolate(a, b, 1.0) == b


def test_interpolation_handles_joints_missing_on_one_side(case0):
    src, tgt = case0
    mid = interpolate(src, tgt, 0.25)
    assert mid.visible[2] == src.visible[2]
    for t in (0.25, 0.75):
        p = interpolate(src, tgt, t)
        assert np.isfinite(p.xy).all()


def test_rotate_limb_moves_the_chain_about_its_parent():
    p = default_pose(200, 400)
    q = p.rotate_limb(3, np.pi / 2)  # right elbow about the right shoulder
    assert np.allclose(q.xy[2], p.xy[2])
    np.testing.assert_allclose(q.bone_lengths(), p.bone_lengths(), equal_nan=True)
    assert not np.allclose(q.xy[4], p.xy[4])
    assert np.allclose(q.xy[7], p.xy[7])


def test_masks_cover_limbs_and_only_visible_ones(case0):
    src, _ = case0
    lm = limb_mask(src, 256, 176)
    bm = body_mask(src, 256, 176)
    assert lm.dtype == np.uint8 and set(np.unique(bm)) <= {0, 1}
    assert (bm >= lm).all() and bm.sum() > lm.sum()
    for a, b in src.limbs():
        mid = ((src.xy[a] + src.xy[b]) / 2).round().astype(int)
        assert lm[mid[1], mid[0]] == 1
    hidden = src.with_joint(4, *src.xy[4], visible=False)
    assert limb_mask(hidden, 256, 176).sum() < lm.sum()


def test_nan_and_wrong_shapes_are_rejected():
    xy = np.zeros((18, 2))
    xy[3] = np.nan
    with pytest.raises(InputError, match="r_elbow"):
        Pose(xy)
    with pytest.raises(InputError):
        Pose(np.zeros((17, 2)))
    # a NaN on a hidden joint is fine (it is not used)
    vis = np.ones(18, bool)
    vis[3] = False
    assert Pose(xy, vis).visible.sum() == 17


def test_affine_transform_and_json_round_trip(tmp_path):
    p = default_pose(100, 100)
    q = p.transformed([[2, 0, 1], [0, 2, 3]])
    np.testing.assert_allclose(q.xy, p.xy * 2 + [1, 3])
    assert skeleton.NUM_JOINTS == len(json.loads(json.dumps(p.to_array().tolist())))


def test_a_joint_hidden_in_one_keyframe_never_drifts_towards_the_origin():
    a = default_pose(176, 256)
    b = a.transformed([[1, 0, 10], [0, 1, 0]]).with_joint(4, 0.0, 0.0, visible=False)
    for t in (0.25, 0.5, 0.75):
        for mode in ("bones", "linear"):
            p = interpolate(a, b, t, mode=mode)
            assert np.linalg.norm(p.xy[4] - a.xy[4]) < 20, (t, mode)
    assert interpolate(a, b, 0.75).visible[4] == False  # noqa: E712
