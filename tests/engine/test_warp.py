"""The weight-free warp on real photos: identity, locality, the matte, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posestudio.core.pose import Pose
from posestudio.engine.puppet import prepare_source, puppet_warp, warp_prepared
from posestudio.engine.warp.matte import joints_off_matte

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "samples" / "realpairs"


def _real_photos(n: int):
    """The first ``n`` realpairs source photos with a visible forearm: (image, pose, elbow, wrist)."""
    if not (REAL / "annotations.csv").exists():
        pytest.skip("../shared/samples/realpairs is not here")
    ann = {}
    for line in (REAL / "annotations.csv").read_text().splitlines()[1:]:
        name, ys, xs = line.split(":")
        ann[name.strip()] = (json.loads(ys), json.loads(xs))
    out, seen = [], set()
    for line in (REAL / "pairs.csv").read_text().splitlines()[1:]:
        s = line.split(",")[0]
        if s in seen:
            continue
        seen.add(s)
        ys, xs = ann[s]
        arm = next(((e, w) for e, w in ((3, 4), (6, 7)) if min(ys[e], ys[w], xs[e], xs[w]) >= 0), None)
        if arm is None:
            continue
        pose = Pose(
            np.array([xs, ys], float).T, np.array([x != -1 and y != -1 for x, y in zip(xs, ys, strict=True)])
        )
        out.append((np.array(Image.open(REAL / "images" / s).convert("RGB")), pose, *arm))
        if len(out) == n:
            break
    return out


def _iou(m, truth):
    return (m & truth).sum() / (m | truth).sum()


def _capsule(h, w, a, b, rad):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    p = np.stack([xx, yy], -1)
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    t = np.clip(((p - a) @ (b - a)) / max(float((b - a) @ (b - a)), 1e-6), 0, 1)
    return np.linalg.norm(p - (a + t[..., None] * (b - a)), axis=-1) <= rad


def test_identical_poses_return_the_photo_and_parsing_bit_for_bit(pair):
    """Same pose in, same photo and same parsing out (the carried parsing used to swap arm labels)."""
    for a in ("2_A", "3_A"):
        src, sp, _, _, par = pair(a, a.replace("A", "B"))
        for parsing in (par, None):
            w = puppet_warp(src, sp, sp.copy(), parsing)
            assert np.array_equal(w.image, src)
            if parsing is not None:
                assert w.parsing is not None and np.array_equal(w.parsing, par)
            x, y = np.round(sp.xy[1]).astype(int)  # the body is still shown: its layers say so
            assert w.visibility[y, x] > 0.5 and w.parts[y, x] >= 0
    for img, pose, _, _ in _real_photos(4):
        assert np.array_equal(puppet_warp(img, pose, pose.copy()).image, img)


def _bend(img, pose, e, w):
    """Bend the forearm 35 degrees about its elbow as realcheck does: (changed, ok) where
    ``changed`` is pixels that moved by > 12 and ``ok`` the capsules around old and new forearm."""
    h, wd = img.shape[:2]
    c, s = np.cos(np.deg2rad(35)), np.sin(np.deg2rad(35))
    d = pose.xy[w] - pose.xy[e]
    new = pose.xy[e] + [d[0] * c - d[1] * s, d[0] * s + d[1] * c]
    out = puppet_warp(img, pose, pose.with_joint(w, *new)).image
    rad = max(0.35 * float(np.hypot(*d)), 0.06 * h)
    ok = _capsule(h, wd, pose.xy[e], pose.xy[w] + 0.45 * d, rad)
    ok |= _capsule(h, wd, pose.xy[e], new + 0.45 * (new - pose.xy[e]), rad)
    return np.abs(out.astype(int) - img).max(-1) > 12, ok


def test_bending_a_forearm_changes_nothing_far_from_it():
    """35 degrees about the elbow, as realcheck does it: <= 0.5 % of the pixels outside
    capsules around the old and new forearm and hand change (mean), <= 2 % on any photo."""
    shares = []
    for img, pose, e, w in _real_photos(6):
        changed, ok = _bend(img, pose, e, w)
        shares.append(float((changed & ~ok).mean()))
        # and the forearm did move: its new place changed
        assert changed[ok].mean() > 0.01
    assert np.mean(shares) <= 0.005 and max(shares) <= 0.02, shares


def test_a_hand_the_frame_cut_off_is_not_stretched_past_the_frame():
    """Realcheck's 7th photo (side view, hand cut by the bottom edge): the moved hand used to
    drag its last row of pixels out into streaks (2.1 % of the photo outside the capsules)."""
    img, pose, e, w = _real_photos(7)[6]
    assert pose.xy[w][1] > 0.85 * img.shape[0]  # the hand does reach the bottom edge
    changed, ok = _bend(img, pose, e, w)
    assert (changed & ~ok).mean() <= 0.01
    assert changed[ok].mean() > 0.01


def test_the_trunk_a_moved_forearm_uncovers_is_body_not_backdrop():
    """Where an arm lay over the trunk in the source and has moved away, the target shows
    the body rebuilt from the trunk around it, not the clean backdrop (realcheck's photos
    4-7 showed up to 1700 backdrop pixels there, 2.6 % of the photo)."""
    from posestudio.engine.warp.render import _trunk_hull
    from posestudio.engine.warp.rig import _P

    arm = [_P[n] for n in ("r_upper_arm", "r_forearm", "l_upper_arm", "l_forearm")]
    for img, pose, e, w in _real_photos(8):
        c, s = np.cos(np.deg2rad(35)), np.sin(np.deg2rad(35))
        d = pose.xy[w] - pose.xy[e]
        out = puppet_warp(
            img, pose, pose.with_joint(w, *(pose.xy[e] + [d[0] * c - d[1] * s, d[0] * s + d[1] * c]))
        )
        backdrop = (
            _trunk_hull(out.parts) & (out.visibility < 0.5) & np.isin(prepare_source(img, pose).owner, arm)
        )
        assert backdrop.mean() <= 0.005, backdrop.sum()


def test_the_matte_finds_the_person_better_than_the_capsules(pair, samples_dir):
    """Without a parsing map, the GrabCut matte overlaps the parsed person better than
    the fixed capsule body did (the parsing map of the real photo is the truth)."""
    from posestudio.engine.warp.matte import grabcut_matte
    from posestudio.engine.warp.parts import _skeleton_body

    for a in ("2_A", "3_A"):
        src, sp, _, _, par = pair(a, a.replace("A", "B"))
        truth = par > 0
        matte = grabcut_matte(src, sp) > 0.5
        assert _iou(matte, truth) > _iou(_skeleton_body(sp, *src.shape[:2]) > 0, truth)
        assert _iou(matte, truth) > 0.7  # 2_A, 3_A: about 0.75 each (capsules: 0.68, 0.74)


def test_without_parsing_the_engine_takes_the_detectors_matte(pair):
    """With no parsing map and no given matte, the engine's matte is the bundled detector's
    segmentation of the person under the skeleton (it lifts realcheck on the real pairs:
    docs/PUPPET.md); with detection switched off it falls back to GrabCut."""
    from posestudio.engine import detect
    from posestudio.engine.warp.matte import grabcut_matte, person_matte

    assert detect.installed(), "detection models missing: run `make install`"
    for a in ("2_A", "3_A"):
        src, sp, _, _, par = pair(a, a.replace("A", "B"))
        truth = par > 0
        auto = person_matte(src, sp) > 0.5
        assert _iou(auto, truth) > 0.9  # 2_A 0.95, 3_A 0.94
        assert not np.array_equal(person_matte(src, sp), grabcut_matte(src, sp))
        assert np.array_equal(person_matte(src, sp, detect=False), grabcut_matte(src, sp))
    # a skeleton standing where nobody is: the detector's person does not count, GrabCut decides
    src, sp, _, _, _ = pair("2_A", "2_B")
    off = Pose(sp.xy * 0.2, sp.visible)
    assert np.array_equal(person_matte(src, off), grabcut_matte(src, off))


def test_a_given_matte_is_used_as_uint8_or_float(pair):
    src, sp, _, tp, par = pair("2_A", "2_B")
    m8 = ((par > 0) * 255).astype(np.uint8)
    a = puppet_warp(src, sp, tp, source_matte=m8).image
    b = puppet_warp(src, sp, tp, source_matte=(par > 0).astype(np.float32)).image
    assert np.array_equal(a, b)
    assert not np.array_equal(a, puppet_warp(src, sp, tp).image)  # GrabCut finds a different matte


def test_prepared_source_is_cached_and_warps_like_puppet_warp(pair):
    src, sp, _, tp, _ = pair("2_A", "2_B")
    p1 = prepare_source(src, sp)
    assert prepare_source(src.copy(), sp.copy()) is p1
    assert np.array_equal(warp_prepared(p1, tp).image, puppet_warp(src, sp, tp).image)
    moved = sp.copy()
    moved.xy[4] += 3
    assert prepare_source(src, moved) is not p1


def test_a_skeleton_off_the_person_warns_instead_of_failing(pair):
    src, sp, _, tp, _ = pair("2_A", "2_B")
    off = Pose(sp.xy * 0.3 + [170, 170], sp.visible)  # squeezed into the empty corner
    w = puppet_warp(src, off, Pose(tp.xy * 0.3 + [170, 170], tp.visible))
    assert w.image.shape == src.shape
    prep = prepare_source(src, off)
    n_off, n = joints_off_matte(off, prep.matte)
    if n_off > n / 2:
        assert any("does not fit the person" in m for m in w.warnings)
    # the right skeleton fits
    assert not any("does not fit" in m for m in puppet_warp(src, sp, tp).warnings)


@pytest.mark.parametrize("shape", [(1, 1), (2, 3), (5000, 40)])
def test_tiny_and_very_thin_images(shape):
    h, w = shape
    img = np.full((h, w, 3), 128, np.uint8)
    p = Pose(np.random.default_rng(0).uniform(0, 1, (18, 2)) * [w, h])
    q = Pose(p.xy + 1.0)
    out = puppet_warp(img, p, q)
    assert out.image.shape == img.shape and np.isfinite(out.flow).all()


def test_a_fully_transparent_png_warps_without_failing(tmp_path, pair):
    """A transparent PNG decodes to one flat colour: the warp returns something sane."""
    from posestudio.core.pose import default_pose

    Image.new("RGBA", (64, 96), (0, 0, 0, 0)).save(tmp_path / "t.png")
    img = np.array(Image.open(tmp_path / "t.png").convert("RGB"))
    p = default_pose(64, 96)
    out = puppet_warp(img, p, p.rotate_limb(3, 0.5))
    assert out.image.shape == img.shape and (out.image == 0).all()


def test_very_large_images_warp_on_a_downscaled_copy_and_say_so(monkeypatch):
    import posestudio.engine.warp as warp
    from posestudio.core.pose import default_pose

    monkeypatch.setattr(warp, "MAX_SIDE", 128)  # what happens above 4096 px, at a test's size
    img = np.zeros((300, 200, 3), np.uint8)
    img[60:250, 70:130] = (200, 40, 40)
    p = default_pose(200, 300)
    out = puppet_warp(img, p, p.rotate_limb(6, 0.7))
    assert out.image.shape == img.shape and out.flow.shape == (300, 200, 2)
    assert any("downscaled" in m or "scaled back up" in m for m in out.warnings)


def test_legs_the_frame_cut_off_continue_as_legs_of_their_garment():
    """A close-up (light blue jeans cut at the thighs) posed as a full figure: the target's
    shins are blue like the jeans, not the grey backdrop, and the gap between the knees is backdrop."""
    if not (REAL / "pairs.csv").exists():
        pytest.skip("../shared/samples/realpairs is not here")
    ann = {}
    for line in (REAL / "annotations.csv").read_text().splitlines()[1:]:
        name, ys, xs = line.split(":")
        ann[name.strip()] = Pose(np.array([json.loads(xs), json.loads(ys)], float).T,
                                 np.array(json.loads(xs)) != -1)  # fmt: skip
    s, t = (REAL / "pairs.csv").read_text().splitlines()[1:][40].split(",")
    src = np.array(Image.open(REAL / "images" / s).convert("RGB"))
    sp, tp = ann[s], ann[t]
    assert not sp.visible[[9, 10, 12, 13]].any() and tp.visible[[9, 10, 12, 13]].all()
    out = puppet_warp(src, sp, tp).image.astype(int)
    blue = lambda px: px[..., 2] - px[..., 0]  # noqa: E731 - jeans ~ +15..40, the backdrop ~ 0
    assert abs(blue(src[:8, :8].astype(int)).mean()) < 4
    for knee, ankle in ((9, 10), (12, 13)):
        shin = _capsule(*out.shape[:2], tp.xy[knee], tp.xy[ankle], 3)
        assert blue(out[shin]).mean() > 4  # bluer than the backdrop (|blue| < 4)
    between = np.round((tp.xy[9] + tp.xy[12]) / 2).astype(int)  # between the knees: backdrop in the target
    assert abs(blue(out[between[1], between[0]])) < 6
