"""Identity and locality on real photos (engine/photo_checks), the runner's guarantees with the
shipped pose refiner, and `eval --realpairs` reproducing the real-pair measure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posestudio import paths
from posestudio.engine import prepare
from posestudio.engine.photo_checks import (
    changed_outside,
    engine_generate,
    forearm_bend,
    identity_check,
    locality_check,
)
from posestudio.engine.results import Request
from posestudio.engine.runner import Runner

SHIPPED = paths.repo_root() / "models"


@pytest.fixture(scope="module")
def realpairs_dir(shared_dir):
    return shared_dir / "samples" / "realpairs"


@pytest.fixture(scope="module")
def photos(realpairs_dir):
    """The first three real source photos with a visible forearm, with their poses."""
    from posestudio.training import realpairs

    poses, pairs = realpairs.load(realpairs_dir)
    out: list = []
    for s, _ in pairs:
        img = realpairs._image(realpairs_dir, s)
        if all(s != n for n, _, _ in out) and forearm_bend(poses[s], *img.shape[:2]) is not None:
            out.append((s, img, poses[s]))
        if len(out) == 3:
            break
    return [(img, p) for _, img, p in out]


@pytest.fixture
def shipped(monkeypatch):
    monkeypatch.setenv("POSESTUDIO_SHIPPED_MODELS", str(SHIPPED))


def test_the_weight_free_engine_passes_identity_on_real_photos(photos):
    res = identity_check(engine_generate("puppet"), photos)
    assert res == {"max_diff": 0, "photos": 3, "pass": True}


def test_the_checks_catch_a_model_that_repaints_the_photo(photos):
    """A model that answers correctly but brightens everything by 20 fails both checks."""
    puppet = engine_generate("puppet")

    def brighter(img, sp, tp):
        return np.clip(puppet(img, sp, tp).astype(int) + 20, 0, 255).astype(np.uint8)

    ident = identity_check(brighter, photos)
    loc = locality_check(brighter, photos)
    assert not ident["pass"] and ident["max_diff"] == 20
    assert not loc["pass"] and loc["mean"] > 0.3
    assert locality_check(puppet, photos)["mean"] < loc["mean"]


def test_forearm_bend_moves_only_the_wrist_and_allows_around_the_forearm(photos):
    img, pose = photos[0]
    bend = forearm_bend(pose, *img.shape[:2])
    moved = np.flatnonzero(np.abs(bend.target.xy - pose.xy).sum(1) > 0)
    assert len(moved) == 1 and moved[0] in (4, 7)
    elbow = pose.xy[moved[0] - 1]
    assert np.hypot(*(bend.target.xy[moved[0]] - elbow)) == pytest.approx(np.hypot(*(pose.xy[moved[0]] - elbow)), abs=1)
    ex, ey = np.rint(elbow).astype(int)
    assert bend.allowed[ey, ex] and 0.01 < bend.allowed.mean() < 0.2
    assert changed_outside(img, img, bend.allowed) == 0.0


def test_shipped_refiner_returns_the_photo_for_the_same_pose(photos, shipped):
    """Before the runner guaranteed it, refine-pose-synth changed such photos by up to 228/255."""
    runner = Runner(device="cpu")
    for img, pose in photos:
        req = Request(task="pose", model="refine-pose-synth", source_image=img, source_pose=pose,
                      target_pose=pose.copy())  # fmt: skip
        res = runner.run(req)
        assert res.model == "refine-pose-synth"
        assert np.array_equal(res.image, img)


def test_shipped_refiner_is_confined_to_what_the_engine_changed(photos, shipped):
    """Where the engine left the photo alone (beyond the grown mask), the refined answer is the
    engine's pixel for pixel; before, the refiner repainted ~7 % of the photo outside the arm."""
    runner = Runner(device="cpu")
    for img, pose in photos:
        bend = forearm_bend(pose, *img.shape[:2])
        req = Request(task="pose", model="refine-pose-synth", source_image=img, source_pose=pose,
                      target_pose=bend.target)  # fmt: skip
        refined = runner.run(req).image
        engine = runner.engine_answer(req).image
        changed = (np.abs(engine.astype(int) - img.astype(int)) > prepare.CHANGED_LEVEL).any(-1)
        import cv2

        far = cv2.dilate(changed.astype(np.uint8), np.ones((11, 11), np.uint8)) == 0
        assert far.mean() > 0.5
        assert np.array_equal(refined[far], engine[far])
        assert not np.array_equal(refined, engine)  # the refiner did correct something near the change


def test_confine_keeps_only_the_grown_change():
    src = np.full((40, 40, 3), 100, np.uint8)
    eng = src.copy()
    eng[10:14, 10:14] = 200
    refined = np.full_like(src, 30)
    out = prepare.confine_to_changes(refined, eng, src, grow=2)
    assert np.array_equal(out[10:14, 10:14], refined[10:14, 10:14])
    assert np.array_equal(out[30:, 30:], src[30:, 30:])
    assert np.array_equal(prepare.confine_to_changes(refined, src, src), src)


def test_eval_realpairs_matches_the_measure_and_records_it_in_a_card(realpairs_dir, tmp_path, capsys):
    """`eval --realpairs` on 4 pairs: the engine's SSIM/PSNR equal skimage's on the centre
    columns of the same outputs; --record writes the block auto reads into the card."""
    from PIL import Image
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from posestudio.cli import main
    from posestudio.training import realpairs

    out = tmp_path / "rp.json"
    assert main(["eval", "puppet", "--realpairs", "--data", str(realpairs_dir), "--pairs", "4", "--photos", "2",
                 "--json", str(out)]) == 0  # fmt: skip
    res = json.loads(out.read_text())
    poses, pairs = realpairs.load(realpairs_dir)
    gen = engine_generate("puppet")
    ss, ps = [], []
    for s, t in pairs[:4]:
        src = np.asarray(Image.open(realpairs_dir / "images" / s).convert("RGB"))
        tgt = np.asarray(Image.open(realpairs_dir / "images" / t).convert("RGB"))[:, 40:216]
        im = gen(src, poses[s], poses[t])[:, 40:216]
        ss.append(structural_similarity(im, tgt, data_range=255, channel_axis=2))
        ps.append(peak_signal_noise_ratio(tgt, im, data_range=255))
    row = res["rows"]["puppet"]
    assert row["ssim"] == pytest.approx(np.mean(ss), abs=1e-4) and row["psnr"] == pytest.approx(np.mean(ps), abs=1e-3)
    assert row["identity"]["pass"] and row["locality"]["photos"] == 2
    assert "| puppet |" in capsys.readouterr().out


def test_eval_realpairs_on_a_folder_that_is_not_one_is_one_line_and_exit_2(tmp_path, capsys):
    from posestudio.cli import main

    (tmp_path / "images").mkdir()
    assert main(["eval", "puppet", "--realpairs", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path) in err and "real-pairs" in err
