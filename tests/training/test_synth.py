"""Procedural mannequins and faces: keypoints on the drawn limbs, parsing = drawn regions,
determinism, real-pose retargeting, the benchmark."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posestudio.core import labels
from posestudio.training.synth import MannequinGenerator, figure_from_pose, load_real_poses, render
from posestudio.training.synth.appearance import random_appearance
from posestudio.training.synth.drawer import (
    HAIR,
    L_ARM,
    L_LEG,
    PANTS,
    R_ARM,
    R_LEG,
    SKIRT,
    UPPER,
)  # fmt: skip
from posestudio.training.synth.faces import EDGE_RUNS, FaceGenerator, edge_map
from posestudio.training.synth.poses import build
from posestudio.training.synth.textures import TextureSpec, render_background

H, W = 256, 176
# joint -> parsing labels allowed at it: the limb's skin or the garment over it
ON_LIMB = {3: (R_ARM, UPPER), 6: (L_ARM, UPPER), 9: (R_LEG, PANTS, SKIRT), 12: (L_LEG, PANTS, SKIRT)}


@pytest.fixture(scope="module")
def real_poses(samples_dir):
    return load_real_poses(samples_dir / "keypoints.csv")


def _label_at(parsing, pose, j):
    x, y = np.round(pose.xy[j]).astype(int)
    return int(parsing[y, x])


def _standing(app, view="front", yaw=0.0):
    angles = {"yaw": yaw, "lean": 0.0, "tilt": 0.0, "r_upper": -0.3, "r_fore": -0.2, "l_upper": 0.3,
              "l_fore": 0.2, "r_thigh": -0.08, "r_shin": -0.05, "l_thigh": 0.08, "l_shin": 0.05}  # fmt: skip
    return build(app, angles, (W / 2, 60), 62.0, view)


def test_elbows_and_knees_lie_on_their_limbs(real_poses):
    gen = MannequinGenerator(H, W, seed=3, real_poses=real_poses)
    bad = total = 0
    for i in range(80):
        s = gen.sample(i, i % 3)
        for j, allowed in ON_LIMB.items():
            if s.pose.visible[j]:
                total += 1
                bad += _label_at(s.parsing, s.pose, j) not in allowed
    assert total > 200
    # a few far-side joints may hide behind a near limb or long hair: that is depth order
    assert bad / total < 0.03, (bad, total)


@pytest.mark.parametrize("view", ["front", "back"])
def test_standing_figure_limb_labels_follow_the_persons_side(view):
    rng = np.random.default_rng(0)
    for _ in range(6):
        app = dataclasses.replace(
            random_appearance(rng), sleeves="none", bottom_kind="shorts", bottom_len=0.3
        )
        fig = _standing(app, view)
        r = render(app, fig, H, W, render_background(rng, H, W))
        for j, allowed in ON_LIMB.items():
            assert _label_at(r.parsing, r.pose, j) == allowed[0], (view, j)
        # person's right is on screen left in the front view, on screen right in the back view
        right_x = np.nonzero(r.parsing == R_ARM)[1].mean()
        left_x = np.nonzero(r.parsing == L_ARM)[1].mean()
        assert (right_x < left_x) == (view == "front")


def test_back_view_has_no_face_and_hair_covers_the_head():
    rng = np.random.default_rng(1)
    app = random_appearance(rng)
    r = render(app, _standing(app, "back"), H, W, render_background(rng, H, W))
    assert not r.pose.visible[[0, 14, 15]].any()  # nose and eyes hidden
    hc = np.round(r.figure.head_center).astype(int)
    assert r.parsing[hc[1], hc[0]] == HAIR
    assert r.pose.xy[2, 0] > r.pose.xy[5, 0]  # right shoulder on screen right


def test_background_pixels_are_the_background_and_garments_carry_their_colour():
    rng = np.random.default_rng(2)
    for k in range(8):
        app = random_appearance(rng)
        app = dataclasses.replace(
            app,
            top=TextureSpec("solid", (200, 30, 40), (0, 0, 0)),
            bottom=TextureSpec("solid", (20, 60, 190), (0, 0, 0)),
        )
        bg = render_background(rng, H, W)
        fig = MannequinGenerator(H, W, seed=k).figure(app, "full", 0, k)
        flat = render(app, fig, H, W, bg, shading=False)
        shaded = render(app, fig, H, W, bg)
        np.testing.assert_array_equal(flat.parsing, shaded.parsing)
        for r in (flat, shaded):
            bgm = r.parsing == 0
            assert bgm.any()
            np.testing.assert_array_equal(r.image[bgm], bg[bgm])
        top = flat.parsing == UPPER
        assert top.sum() > 500
        np.testing.assert_array_equal(flat.image[top], np.broadcast_to([200, 30, 40], (top.sum(), 3)))
        low = np.isin(flat.parsing, (PANTS, SKIRT))
        np.testing.assert_array_equal(flat.image[low], np.broadcast_to([20, 60, 190], (low.sum(), 3)))
        # shading only darkens: shaded = colour * f with f in [0.69, 1]
        f = shaded.image[top].astype(float) / np.array([200, 30, 40])
        assert f.min() > 0.68 and f.max() <= 1.0 + 1e-9
        assert np.ptp(f[:, 0] - f[:, 2]) < 0.06  # same factor on every channel (up to rounding)


def test_textured_garment_pixels_come_from_its_two_colours():
    rng = np.random.default_rng(4)
    c1, c2 = np.array([230.0, 220, 40]), np.array([30.0, 40, 160])
    app = dataclasses.replace(random_appearance(rng), top=TextureSpec("stripes", tuple(c1.astype(int)),
                              tuple(c2.astype(int)), 12.0, 0.0))  # fmt: skip
    fig = _standing(app)
    r = render(app, fig, H, W, render_background(rng, H, W), shading=False)
    px = r.image[r.parsing == UPPER].astype(float)
    # every pixel lies on the segment c1 -> c2 (bilinear warping mixes the two)
    t = np.clip((px - c1) @ (c2 - c1) / ((c2 - c1) @ (c2 - c1)), 0, 1)
    dist = np.linalg.norm(px - (c1 + t[:, None] * (c2 - c1)), axis=1)
    assert dist.max() < 3.0
    assert (t < 0.1).mean() > 0.2 and (t > 0.9).mean() > 0.2  # both colours present: stripes


def test_same_seed_same_pixels_other_seed_other_pixels():
    a = MannequinGenerator(H, W, seed=7).sample(5, 2)
    b = MannequinGenerator(H, W, seed=7).sample(5, 2)
    c = MannequinGenerator(H, W, seed=8).sample(5, 2)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.parsing, b.parsing)
    assert a.pose == b.pose
    assert not np.array_equal(a.image, c.image)
    f1, f2 = FaceGenerator(64, seed=1).sample(3), FaceGenerator(64, seed=1).sample(3)
    np.testing.assert_array_equal(f1.image, f2.image)
    np.testing.assert_array_equal(f1.edges, f2.edges)


def test_pairs_share_the_character_and_differ_in_pose():
    gen = MannequinGenerator(H, W, seed=0)
    for i in range(5):
        s, t = gen.pair(i)
        assert s.appearance == t.appearance
        assert not np.allclose(s.figure.xy, t.figure.xy)
        both = (s.parsing == 0) & (t.parsing == 0)
        np.testing.assert_array_equal(s.image[both], t.image[both])  # same background


def test_parsing8_is_the_converted_spt10_map():
    s = MannequinGenerator(H, W, seed=0).sample(1)
    np.testing.assert_array_equal(s.parsing8, labels.convert(s.parsing, "spt10", "scm8"))
    assert set(np.unique(s.parsing8)) <= set(range(8))


def test_real_poses_are_retargeted_with_their_view(real_poses, samples_dir):
    from posestudio.core.formats import csv_keypoints

    rows = csv_keypoints.read_all(samples_dir / "keypoints.csv")
    rng = np.random.default_rng(0)
    app = random_appearance(rng)
    for name, view in (("2_A.jpg", "back"), ("2_B.jpg", "front"), ("3_B.jpg", "back")):
        fig = figure_from_pose(app, rows[name], rng, jitter=0.0)
        assert fig.view == view, name
        real = rows[name].xy - np.array([40.0, 0])  # 256x256 -> 256x176 centre crop
        assert np.allclose(fig.xy[1], real[1], atol=1e-6)  # neck kept exactly
        vis = rows[name].visible
        for j in (2, 5):  # shoulders: right side on the right screen side again
            assert np.hypot(*(fig.xy[j] - real[j])) < 14, (name, j)
        for j, parent in ((3, 2), (4, 3), (6, 5), (7, 6)):  # arm joints whose bone was annotated
            if vis[j] and vis[parent]:
                assert np.hypot(*(fig.xy[j] - real[j])) < 30, (name, j)


def test_faces_landmarks_edges_and_parsing():
    gen = FaceGenerator(128, seed=0)
    for i in range(4):
        f = gen.sample(i)
        assert f.landmarks.shape == (68, 2)
        assert set(np.unique(f.edges)) == {0, 255}
        np.testing.assert_array_equal(f.edges, edge_map(f.landmarks, 128, 128))
        for j in (30, 33, 51, 57):  # nose and lips sit on the face
            x, y = np.round(f.landmarks[j]).astype(int)
            assert f.parsing[y, x] == 2
        # every landmark run is drawn: an edge pixel lies within 1.5 px of each landmark
        ys, xs = np.nonzero(f.edges)
        pts = np.stack([xs, ys], 1)
        for a, b, _ in EDGE_RUNS:
            for p in f.landmarks[a:b]:
                assert np.min(np.hypot(*(pts - p).T)) < 1.5
        # iBUG orientation: jaw 0 on the image left, 16 on the right, chin (8) lowest
        assert f.landmarks[0, 0] < f.landmarks[16, 0]
        assert f.landmarks[8, 1] == f.landmarks[:17, 1].max()
        assert f.landmarks[36, 0] < f.landmarks[45, 0]


def test_benchmark_runs():
    from posestudio.training.synth.bench import benchmark

    out = benchmark(n=8)
    assert out["mannequins_per_s"] > 0 and out["faces_per_s"] > 0


def test_screen_sides_option_labels_back_view_arms_by_screen_side():
    rng = np.random.default_rng(5)
    app = dataclasses.replace(random_appearance(rng), sleeves="none")
    fig = _standing(app, "back")
    bg = render_background(rng, H, W)
    person = render(app, fig, H, W, bg)
    screen = render(app, fig, H, W, bg, sides="screen")
    assert _label_at(person.parsing, person.pose, 3) == R_ARM  # right elbow, on screen right
    assert _label_at(screen.parsing, screen.pose, 3) == L_ARM  # LIP-parser convention
    np.testing.assert_array_equal(labels.get("spt10").swap_table()[person.parsing], screen.parsing)


def test_renderer_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from posestudio.training.synth import MannequinGenerator\n"
        "from posestudio.training.synth.faces import FaceGenerator\n"
        "MannequinGenerator(64, 44).sample(0); FaceGenerator(32).sample(0)\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_lip_map_keeps_the_shoes_and_converts_back_exactly():
    gen = MannequinGenerator(H, W, seed=2)
    seen_shoes = False
    for i in range(6):
        s = gen.sample(i)
        lip = s.parsing_lip
        np.testing.assert_array_equal(labels.convert(lip, "lip20", "spt10"), s.parsing)
        eight = labels.convert(lip, "lip20", "scm8")
        shoes = eight == labels.get("scm8").index("shoes")
        np.testing.assert_array_equal(shoes, s.shoes)
        assert np.isin(s.parsing[shoes], (L_LEG, R_LEG)).all()
        seen_shoes |= bool(shoes.any())
    assert seen_shoes


def test_degenerate_real_poses_still_give_a_figure():
    from posestudio.core.pose import Pose

    rng = np.random.default_rng(0)
    app = random_appearance(rng)
    cases = [
        Pose.empty(),
        Pose(np.full((18, 2), 100.0)),  # every joint on one point
        Pose(rng.uniform(0, 256, (18, 2))),  # noise
        Pose(np.zeros((18, 2)), np.isin(np.arange(18), [0, 14, 15])),  # only a face
    ]
    for pose in cases:
        fig = figure_from_pose(app, pose, rng)
        assert np.isfinite(fig.xy).all() and fig.unit > 10
        r = render(app, fig, H, W, render_background(rng, H, W))
        assert r.parsing.shape == (H, W)


def test_backgrounds_can_be_restricted_to_plain():
    gen = MannequinGenerator(64, 44, seed=0, backgrounds=("plain",))
    for i in range(8):
        s = gen.sample(i)
        bg = s.image[s.parsing == 0]
        assert (bg == bg[0]).all()  # one colour
