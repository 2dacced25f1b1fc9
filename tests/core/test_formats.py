"""Round trips of every pose format on the real samples, and the label-map PNG."""

import json

import numpy as np
import pytest
from PIL import Image

from posestudio.core import labels
from posestudio.core.formats import PoseSet, coco, csv_keypoints, label_png, openpose, read_poses, write_poses
from posestudio.core.formats.skeleton_image import render
from posestudio.errors import InputError

NAMES = ["2_A.jpg", "2_B.jpg", "3_A.jpg", "3_B.jpg"]


@pytest.fixture
def csv_rows(samples_dir):
    return csv_keypoints.read_all(samples_dir / "keypoints.csv")


def test_csv_reads_all_real_rows_with_missing_joints(csv_rows, samples_dir):
    assert sorted(csv_rows) == sorted(NAMES)
    p = csv_rows["2_A.jpg"]
    # 2_A: y row [46, 85, ...], x row [91, 127, ...]; r-knee missing
    assert tuple(p.xy[0]) == (91, 46) and tuple(p.xy[1]) == (127, 85)
    assert not p.visible[9] and not p.visible[14] and p.visible[15]
    text = (samples_dir / "keypoints.csv").read_text()
    assert text.splitlines()[0] == csv_keypoints.HEADER


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("fmt,ext", [("openpose", ".json"), ("coco", ".json"), ("csv", ".csv")])
def test_round_trip_every_format(csv_rows, tmp_path, name, fmt, ext):
    pose = csv_rows[name]
    ps = PoseSet([pose], 256, 256)
    out = tmp_path / f"p{ext}"
    write_poses(out, ps, fmt=fmt, name=name)
    back = read_poses(out, name=name if fmt != "openpose" else None)
    if fmt == "coco":
        # COCO has no neck: it comes back as the shoulder midpoint, every other joint exactly
        got = back.people[0]
        assert got.visible[1] == (pose.visible[2] and pose.visible[5])
        np.testing.assert_allclose(got.xy[1], (pose.xy[2] + pose.xy[5]) / 2)
        pose = pose.with_joint(1, *got.xy[1], visible=got.visible[1])
    assert back.people[0] == pose
    if fmt != "csv":
        assert (back.width, back.height) == (256, 256)


def test_openpose_output_is_valid_coco18(csv_rows, tmp_path):
    write_poses(tmp_path / "a.json", PoseSet([csv_rows["3_B.jpg"], csv_rows["2_A.jpg"]], 256, 256))
    data = json.loads((tmp_path / "a.json").read_text())
    assert data["canvas_width"] == 256 and len(data["people"]) == 2
    kp = np.array(data["people"][0]["pose_keypoints_2d"]).reshape(18, 3)
    assert kp[0].tolist() == [0, 0, 0]  # 3_B's nose is missing
    assert kp[1].tolist() == [129, 90, 1]


def test_body25_is_converted(tmp_path):
    body25 = np.zeros((25, 3))
    body25[:, 0] = np.arange(25) * 10
    body25[:, 1] = 5
    body25[:, 2] = 0.9
    (tmp_path / "b25.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": body25.ravel().tolist()}]}))
    p = read_poses(tmp_path / "b25.json").first
    assert p.xy[8, 0] == 90  # COCO-18 r_hip is BODY_25 joint 9 (8 is MidHip)
    assert p.xy[17, 0] == 180 and p.visible.all()


def test_coco_neck_is_the_shoulder_midpoint(csv_rows):
    data = coco.to_json(PoseSet([csv_rows["2_A.jpg"]]))
    kp = np.array(data["annotations"][0]["keypoints"]).reshape(17, 3)
    assert kp[5, :2].tolist() == [91, 84] and kp[6, :2].tolist() == [164, 87]  # l/r shoulder
    back = coco.from_json(data)
    assert back.first.xy[1].tolist() == [(91 + 164) / 2, (84 + 87) / 2]


@pytest.mark.parametrize(
    "content,problem",
    [
        ("{not json", "invalid JSON"),
        ('{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}', "expected 54"),
        ('{"people": [{"pose_keypoints_2d": [' + ",".join(["NaN"] * 54) + "]}]}", "NaN"),
        ('{"foo": 1}', "neither OpenPose"),
        ('{"keypoints": [1, 2]}', "51"),
    ],
)
def test_bad_pose_files_name_the_file_and_problem(tmp_path, content, problem):
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(InputError) as err:
        read_poses(f)
    assert str(f) in str(err.value) and problem in str(err.value) and "\n" not in str(err.value)


def test_bad_csv_rows(tmp_path, samples_dir):
    f = tmp_path / "k.csv"
    f.write_text("name:keypoints_y:keypoints_x\na.jpg: [1, 2]: [3, 4]\n")
    with pytest.raises(InputError, match="18 keypoints"):
        read_poses(f)
    with pytest.raises(InputError, match="no row named"):
        read_poses(samples_dir / "keypoints.csv", name="nope.jpg")
    with pytest.raises(InputError, match="pick one"):
        read_poses(samples_dir / "keypoints.csv")


@pytest.mark.parametrize("stem", ["2_A", "2_B", "3_A", "3_B"])
def test_label_png_round_trip_on_real_parsing(samples_dir, tmp_path, stem):
    src = label_png.read(samples_dir / f"{stem}_parsing.png", "spt10")
    assert src.shape == (256, 256) and src.max() <= 9
    label_png.write(tmp_path / "l.png", src, "spt10", preview=tmp_path / "prev.png")
    assert np.array_equal(label_png.read(tmp_path / "l.png", "spt10"), src)
    with Image.open(tmp_path / "l.png") as im:
        assert im.mode == "P"
    assert label_png.label_set_of(tmp_path / "l.png") == "spt10"
    prev = np.array(Image.open(tmp_path / "prev.png"))
    assert np.array_equal(prev, labels.colorize(src, "spt10"))
    # the colour preview reads back as labels too
    assert np.array_equal(label_png.read(tmp_path / "prev.png", "spt10"), src)


def test_label_png_rejects_out_of_range_and_garbage(tmp_path):
    Image.fromarray(np.full((4, 4), 12, np.uint8), mode="L").save(tmp_path / "x.png")
    with pytest.raises(InputError, match="outside"):
        label_png.read(tmp_path / "x.png", "spt10")
    (tmp_path / "y.png").write_bytes(b"not a png at all")
    with pytest.raises(InputError, match="not a readable image"):
        label_png.read(tmp_path / "y.png")


def test_skeleton_image_uses_openpose_colours_and_fixed_width(csv_rows):
    pose = csv_rows["2_B.jpg"]
    small = render(pose, 256, 256, stick_width=4)
    big = render(pose, 512, 512, stick_width=4, scale=(2, 2))
    assert small.shape == (256, 256, 3) and small[0, 0].tolist() == [0, 0, 0]
    x, y = pose.xy[0].round().astype(int)
    assert small[y, x].tolist() == [255, 0, 0]  # nose joint is OpenPose red
    # limb width is in output pixels: the doubled canvas does not double the stroke width
    mid = ((pose.xy[1] + pose.xy[8]) / 2).round().astype(int)  # neck -> r_hip limb
    row_small = (small[mid[1], :, :].sum(1) > 0).sum()
    row_big = (big[mid[1] * 2, :, :].sum(1) > 0).sum()
    assert row_big < 1.6 * row_small


def test_openpose_module_direct():
    ps = openpose.from_json({"people": [], "canvas_width": 10, "canvas_height": 20})
    assert ps.people == [] and (ps.width, ps.height) == (10, 20)


def test_csv_writes_valid_numbers_near_whole_values(tmp_path):
    from posestudio.core.pose import default_pose

    p = default_pose(100, 100)
    p.xy[0] = (89.0004, -0.0001)
    p.xy[1] = (12.5, 7.25)
    csv_keypoints.write(tmp_path / "k.csv", {"a.jpg": p})
    back = csv_keypoints.read_all(tmp_path / "k.csv")["a.jpg"]
    assert back.xy[0].tolist() == [89, 0] and back.xy[1].tolist() == [12.5, 7.25]
