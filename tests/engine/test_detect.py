"""Detection with the bundled models, run for real on the real sample photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posestudio.cli import main
from posestudio.core import skeleton
from posestudio.core.face_edges import draw_face_edges, mediapipe_to_ibug68
from posestudio.core.formats import read_poses
from posestudio.engine import detect
from posestudio.engine.detect import COCO18_FROM_BLAZEPOSE, blazepose_to_coco18, detect_people, face_edges
from posestudio.errors import InputError
from posestudio.training.metrics.pckh import pckh_counts

MESH = Path(__file__).resolve().parents[1] / "core" / "data" / "facemesh_3A.npy"
PHOTOS = ("2_A", "2_B", "3_A", "3_B")


@pytest.fixture(scope="module", autouse=True)
def _models():
    if not detect.installed():
        pytest.fail(f"detection models missing in {detect.models_dir()}: run `make install`")


def photo(samples_dir, name):
    return np.array(Image.open(samples_dir / f"{name}.jpg").convert("RGB"))


def test_blazepose_maps_to_coco18_with_the_neck_between_the_shoulders():
    pts = np.stack([np.linspace(20, 180, 33), np.linspace(20, 80, 33)], 1)
    vis = np.full(33, 0.9)
    vis[27] = 0.1  # left ankle not seen
    pts[28] = (300, 50)  # right ankle outside the image
    pose, conf = blazepose_to_coco18(pts, vis, 200, 100)
    J = skeleton.JOINT_INDEX
    assert np.allclose(pose.xy[J["neck"]], (pts[11] + pts[12]) / 2)
    assert np.allclose(pose.xy[J["r_shoulder"]], pts[12])  # BlazePose 12 = right shoulder
    assert np.allclose(pose.xy[J["l_ear"]], pts[7])
    assert not pose.visible[J["l_ankle"]] and not pose.visible[J["r_ankle"]]
    assert conf[J["r_ankle"]] == 0 and conf[J["l_ankle"]] == pytest.approx(0.1)
    assert pose.visible.sum() == 16 and len(COCO18_FROM_BLAZEPOSE) == 18


def test_detected_face_edges_use_the_synthetic_faces_rule():
    mesh = np.load(MESH).astype(np.float64)  # MediaPipe Face Mesh of a real face (3_A.jpg)
    e = face_edges(mesh, 400, 400)
    np.testing.assert_array_equal(e, draw_face_edges(mediapipe_to_ibug68(mesh), 400, 400))
    assert e.dtype == np.uint8 and set(np.unique(e)) == {0, 255}


@pytest.mark.parametrize("name", PHOTOS)
def test_one_person_with_a_matte_that_covers_the_parsed_person(samples_dir, name):
    img = photo(samples_dir, name)
    people = detect_people(img, hands=False, face=False)
    assert len(people) == 1
    p = people[0]
    person = np.array(Image.open(samples_dir / f"{name}_parsing.png")) != 0
    m = p.matte > 0.5
    assert (m & person).sum() / (m | person).sum() >= 0.9
    assert p.matte.shape == img.shape[:2] and 0 <= p.matte.min() and p.matte.max() <= 1
    ref = read_poses(samples_dir / "keypoints.csv", name=f"{name}.jpg").people[0]
    right, counted = pckh_counts(p.pose, ref)
    assert right >= 0.8 * counted
    assert p.confidence.shape == (18,) and np.all(p.confidence[p.pose.visible] >= 0.5)


def test_hands_and_face_of_a_frontal_photo(samples_dir):
    img = photo(samples_dir, "2_B")
    (p,) = detect_people(img)
    J = skeleton.JOINT_INDEX
    for side, wrist in ((0, "r_wrist"), (1, "l_wrist")):
        hand = p.hands[side]
        assert hand is not None and hand.shape == (21, 2) and p.hand_confidence[side] >= 0.5
        # the hand model's wrist lands on the body's wrist, the fingers reach away from it
        assert np.linalg.norm(hand[0] - p.pose.xy[J[wrist]]) < 10
        assert np.linalg.norm(hand[12] - hand[0]) > 10
    assert p.face is not None and p.face.shape == (70, 2) and p.face_confidence >= 0.5
    nose, r_eye, l_eye = (p.pose.xy[J[k]] for k in ("nose", "r_eye", "l_eye"))
    assert np.linalg.norm(p.face[30] - nose) < 8  # iBUG 30: the nose tip
    for pupil, eye, contour in ((p.face[68], r_eye, p.face[36:42]), (p.face[69], l_eye, p.face[42:48])):
        assert np.linalg.norm(pupil - eye) < 5
        assert contour[:, 0].min() <= pupil[0] <= contour[:, 0].max()


@pytest.mark.slow
def test_body_pckh_on_the_real_pairs_reaches_0_9(shared_dir):
    root = shared_dir / "samples" / "realpairs"
    names = [ln.split(":")[0] for ln in (root / "annotations.csv").read_text().splitlines()[1:] if ln]
    right = counted = 0
    for name in names:
        ref = read_poses(root / "annotations.csv", name=name).people[0]
        people = detect_people(np.array(Image.open(root / "images" / name).convert("RGB")), hands=False, face=False)
        a, b = pckh_counts(people[0].pose, ref) if people else (0, int(ref.visible.sum()))
        right, counted = right + a, counted + b
    assert counted > 2000 and right / counted >= 0.9


def test_nobody_in_a_blank_or_tiny_picture():
    assert detect_people(np.full((300, 200, 3), 128, np.uint8)) == []
    with pytest.raises(InputError, match="too small"):
        detect_people(np.zeros((8, 8, 3), np.uint8))


def test_gray_16bit_and_alpha_photos_give_the_same_person(samples_dir):
    rgb = photo(samples_dir, "3_A")
    ref = detect_people(rgb, hands=False, face=False)[0].pose
    gray = np.asarray(Image.fromarray(rgb).convert("L"))
    deep = (rgb.astype(np.uint16) * 257)
    alpha = Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), "RGBA")
    for img in (gray, deep, alpha, Image.fromarray(gray.astype(np.uint16) * 257)):
        (p,) = detect_people(img, hands=False, face=False)
        both = p.pose.visible & ref.visible
        assert both.sum() >= 12 and np.abs(p.pose.xy[both] - ref.xy[both]).max() < 15


def test_cli_writes_pose_matte_and_face_edges(samples_dir, tmp_path, capsys):
    out, matte, edges = tmp_path / "p.json", tmp_path / "m.png", tmp_path / "e.png"
    src = samples_dir / "2_B.jpg"
    assert main(["detect", str(src), "--out", str(out), "--matte", str(matte), "--face-edges", str(edges)]) == 0
    ps = read_poses(out)
    assert len(ps.people) == 1 and ps.people[0].visible.sum() >= 12
    m = np.array(Image.open(matte))
    assert m.shape == (256, 256) and m.dtype == np.uint8 and 0.15 < (m > 127).mean() < 0.6
    e = np.array(Image.open(edges))
    assert e.shape == (256, 256) and set(np.unique(e)) == {0, 255}


def test_cli_never_replaces_its_input_or_a_file_it_did_not_write(samples_dir, tmp_path, capsys):
    src = tmp_path / "photo.jpg"
    src.write_bytes((samples_dir / "2_B.jpg").read_bytes())
    before = src.read_bytes()
    assert main(["detect", str(src), "--out", str(src), "--body-only"]) == 2  # the photo itself
    assert main(["detect", str(src), "--out", str(tmp_path / "p.json"), "--matte", str(src), "--body-only"]) == 2
    assert src.read_bytes() == before
    other = tmp_path / "notes.json"
    other.write_text("the artist's own file")
    assert main(["detect", str(src), "--out", str(other), "--body-only"]) == 2
    assert other.read_text() == "the artist's own file"
    assert "--force" in capsys.readouterr().err
    out = tmp_path / "p.json"
    assert main(["detect", str(src), "--out", str(out), "--body-only"]) == 0
    assert main(["detect", str(src), "--out", str(out), "--body-only"]) == 0  # its own earlier output
    assert main(["detect", str(src), "--out", str(other), "--body-only", "--force"]) == 0
    assert read_poses(other).people


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 300), (128, 128, 128)).save(blank)
    notimg = tmp_path / "x.png"
    notimg.write_text("not a picture")
    for f, words in ((blank, "no person found"), (notimg, "not a readable image"), (tmp_path / "none.png", "no such file")):
        assert main(["detect", str(f), "--out", str(tmp_path / "p.json")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0] and str(f) in err[0], err
    assert not (tmp_path / "p.json").exists()


def test_installing_from_a_wheel_ships_the_licence(tmp_path):
    import zipfile

    wheel = tmp_path / "mediapipe-0.10.14-cp311-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for f, where in detect.models.MODELS.items():
            z.write(detect.models_dir() / f, where + f)
        z.writestr("mediapipe-0.10.14.dist-info/LICENSE", "Apache License 2.0 text")
    folder = detect.install_models(tmp_path / "models", wheel=wheel)
    assert detect.installed(folder)
    assert (folder / detect.models.LICENCE).read_text() == "Apache License 2.0 text"
    assert "Apache License 2.0" in (folder / "NOTICE.txt").read_text()


def test_huge_and_panorama_photos_find_the_same_person(samples_dir):
    import cv2

    rgb = photo(samples_dir, "2_B")
    ref = detect_people(rgb)[0]
    big = cv2.resize(rgb, (4096, 4096), interpolation=cv2.INTER_CUBIC)  # shrunk for the models, scaled back
    (p,) = detect_people(big)
    k = 4096 / 256
    both = p.pose.visible & ref.pose.visible
    assert both.sum() >= 12 and np.abs((p.pose.xy[both] + 0.5) / k - 0.5 - ref.pose.xy[both]).max() < 3
    assert p.matte.shape == (4096, 4096) and p.face is not None
    wide = np.zeros((256, 2000, 3), np.uint8)  # a strip: the person is 1/8 of it
    wide[:, 800:1056] = rgb
    (q,) = detect_people(wide, hands=False, face=False)
    assert np.abs(q.pose.xy[0] - (ref.pose.xy[0] + [800, 0])).max() < 5


def test_a_drawn_figure_is_a_sensible_answer():
    from posestudio.engine.bench import synthetic_figure

    img, pose, _ = synthetic_figure(512, 352)  # a flat textured mannequin on a gradient
    people = detect_people(img, hands=False, face=False)
    assert len(people) <= 1
    for p in people:  # if the mannequin counts as a person, the matte lies on it
        from posestudio.core.pose import body_mask

        body = body_mask(pose, 512, 352) > 0
        assert (p.matte[body] > 0.5).mean() > 0.5


def test_three_people_side_by_side_are_three_people(samples_dir):
    a, b = photo(samples_dir, "2_B"), photo(samples_dir, "3_A")
    crowd = np.hstack([a[:, 40:216], b[:, 40:216], a[:, 40:216]])  # the centre 176 columns of each
    people = detect_people(crowd, hands=False, face=False)
    assert len(people) == 3
    necks = sorted(p.pose.xy[1, 0] for p in people)
    alone = [detect_people(x[:, 40:216], hands=False, face=False)[0].pose.xy[1, 0] for x in (a, b, a)]
    # within half a head (the side view 3_A's shoulders shift ~10 px with its neighbours)
    np.testing.assert_allclose(necks, np.array(alone) + [0, 176, 352], atol=12)
    # each matte covers its own third
    for p in people:
        third = int(p.pose.xy[1, 0] // 176)
        inside = p.matte[:, 176 * third:176 * (third + 1)].sum()
        assert inside > 0.9 * p.matte.sum()


def test_cli_reads_gray_16_bit_and_alpha_files(samples_dir, tmp_path, capsys):
    rgb = photo(samples_dir, "3_A")
    files = {
        "gray.jpg": Image.fromarray(rgb).convert("L"),
        "deep.png": Image.fromarray((np.asarray(Image.fromarray(rgb).convert("L")).astype(np.uint16) * 257)),
        "alpha.png": Image.fromarray(np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), "RGBA"),
    }
    for name, im in files.items():
        im.save(tmp_path / name)
        out = tmp_path / f"{name}.json"
        assert main(["detect", str(tmp_path / name), "--out", str(out), "--body-only"]) == 0, name
        assert read_poses(out).people[0].visible.sum() >= 12
