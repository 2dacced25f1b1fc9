"""Hands and face survive every format, the timeline, mirror and project files.

``data/wholebody_2B.json`` is `posestudio detect` on the real photo 2_B.jpg (256x256)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posestudio.cli import main
from posestudio.core import wholebody
from posestudio.core.document import Document
from posestudio.core.formats import coco, openpose, read_poses, write_poses
from posestudio.core.formats.skeleton_image import hand_bone_colors, render
from posestudio.core.pose import interpolate
from posestudio.core.project import load_project, save_project
from posestudio.core.timeline import Timeline
from posestudio.errors import InputError

DATA = Path(__file__).parent / "data" / "wholebody_2B.json"


@pytest.fixture
def pose():
    return read_poses(DATA).people[0]


def test_detected_file_has_both_hands_and_a_face(pose):
    assert pose.hands.shape == (2, 21, 3) and (pose.hands[..., 2] > 0).all()
    assert pose.face.shape == (70, 3) and (pose.face[:, 2] > 0).all()
    # the person's right hand hangs from the right wrist, the left from the left
    assert np.linalg.norm(pose.hands[0, 0, :2] - pose.xy[4]) < np.linalg.norm(pose.hands[0, 0, :2] - pose.xy[7])


def test_openpose_json_round_trip_is_exact(pose, tmp_path):
    data = json.loads(DATA.read_text())
    assert openpose.to_json(openpose.from_json(data)) == data
    out = tmp_path / "p.json"
    write_poses(out, read_poses(DATA))
    assert json.loads(out.read_text()) == data
    assert read_poses(out).people[0] == pose


def test_pose_convert_keeps_hands_and_face(tmp_path):
    out = tmp_path / "c.json"
    assert main(["pose", "convert", str(DATA), str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(DATA.read_text())


def test_coco_wholebody_round_trip_keeps_hands_and_68_face_points(pose, tmp_path):
    out = tmp_path / "c.json"
    write_poses(out, read_poses(DATA), fmt="coco")
    ann = json.loads(out.read_text())["annotations"][0]
    assert len(ann["face_kpts"]) == 204 and len(ann["lefthand_kpts"]) == 63 and ann["righthand_kpts"]
    back = read_poses(out).people[0]
    np.testing.assert_allclose(back.hands[..., :2], pose.hands[..., :2], atol=1e-3)
    np.testing.assert_allclose(back.face[:68, :2], pose.face[:68, :2], atol=1e-3)
    assert not (back.face[68:, 2] > 0).any()  # COCO-WholeBody has no pupils
    assert coco.to_json(read_poses(out), name="c") == json.loads(out.read_text())


def test_bad_hand_lists_are_one_line(tmp_path):
    data = json.loads(DATA.read_text())
    data["people"][0]["hand_left_keypoints_2d"] = [1, 2, 3]
    with pytest.raises(InputError, match="hand_left_keypoints_2d must be a list of 63 numbers"):
        openpose.from_json(data, "x.json")


def test_mirror_swaps_the_hands_and_the_face_sides(pose):
    m = pose.mirrored(256)
    np.testing.assert_allclose(m.hands[0, :, 0], 255 - pose.hands[1, :, 0])
    np.testing.assert_allclose(m.hands[1, :, 1], pose.hands[0, :, 1])
    np.testing.assert_allclose(m.face[36, 0], 255 - pose.face[45, 0])  # eye corners swap
    np.testing.assert_allclose(m.face[68, 0], 255 - pose.face[69, 0])  # pupils swap
    assert m.mirrored(256) == pose and m != pose
    s = pose.swapped_sides()
    np.testing.assert_array_equal(s.hands[0], pose.hands[1])


def test_moving_the_arm_carries_the_hand(pose):
    moved = pose.rotate_limb(3, 0.5)  # the right elbow and what hangs from it
    off_before = pose.hands[0, :, :2] - pose.xy[4]
    off_after = moved.hands[0, :, :2] - moved.xy[4]
    np.testing.assert_allclose(np.linalg.norm(off_after, axis=1), np.linalg.norm(off_before, axis=1))
    np.testing.assert_array_equal(moved.hands[1], pose.hands[1])
    np.testing.assert_array_equal(moved.face, pose.face)
    dragged = pose.with_joint(0, pose.xy[0, 0] + 5, pose.xy[0, 1] - 3)  # the nose: the face comes along
    np.testing.assert_allclose(np.linalg.norm(dragged.face[:, :2] - dragged.xy[0], axis=1),
                               np.linalg.norm(pose.face[:, :2] - pose.xy[0], axis=1))
    assert np.linalg.norm(dragged.face[30, :2] - (pose.face[30, :2] + [5, -3])) < 2
    np.testing.assert_array_equal(dragged.hands, pose.hands)


def test_interpolation_hands_follow_their_wrist_and_face_its_head(pose):
    b = pose.rotate_limb(2, -0.8).transformed(np.array([[1, 0, 12], [0, 1, -4]]))
    mid = interpolate(pose, b, 0.5)
    for s, j in enumerate(wholebody.HAND_WRIST_JOINT):
        off = 0.5 * (pose.hands[s, :, :2] - pose.xy[j]) + 0.5 * (b.hands[s, :, :2] - b.xy[j])
        np.testing.assert_allclose(mid.hands[s, :, :2] - mid.xy[j], off, atol=1e-9)
    np.testing.assert_allclose(mid.face[:, :2] - mid.xy[0], pose.face[:, :2] - pose.xy[0], atol=1e-9)
    assert interpolate(pose, b, 0.0) == pose and interpolate(pose, b, 1.0) == b
    bare = b.body_only()
    assert interpolate(pose, bare, 0.25).hands is not None and interpolate(pose, bare, 0.75).hands is None


def test_keyframes_and_projects_keep_hands_and_face(pose, tmp_path):
    tl = Timeline({0: [pose], 10: [pose.mirrored(256)]})
    back = Timeline.from_json(json.loads(json.dumps(tl.to_json())))
    assert back.keyframes[0][0] == pose and back.keyframes[10][0] == pose.mirrored(256)
    assert back.pose_at(5)[0].hands is not None
    doc = Document.from_image(np.zeros((256, 256, 3), np.uint8), pose=pose)
    doc.keyframes[3] = [pose]
    loaded = load_project(save_project(doc, tmp_path / "a.psproj"))
    layers = [l for l in loaded.layers if l.kind == "pose"]
    assert all(np.allclose(l.poses[0].hands, pose.hands, atol=1e-4) for l in layers)
    assert all(np.allclose(l.poses[0].face, pose.face, atol=1e-4) for l in layers)
    assert loaded.keyframes[3][0].face is not None


def test_openpose_full_image_draws_finger_bones_and_white_face_dots(pose):
    full = render(pose, 1024, 1024, scale=(4, 4))  # the 256 px pose drawn at 4x: fingers get long
    body = render(pose.body_only(), 1024, 1024, scale=(4, 4))
    changed = np.abs(full.astype(int) - body.astype(int)).sum(-1) > 0
    ys, xs = np.round(4 * pose.face[:68, 1]).astype(int), np.round(4 * pose.face[:68, 0]).astype(int)
    assert (full[ys, xs] == 255).all(-1).mean() > 0.8  # white dots at the face points
    colors = {tuple(c) for c in full[changed].reshape(-1, 3)}
    assert sum(c in colors for c in hand_bone_colors()) >= 10  # many finger colours drawn
    hx, hy = np.round(4 * pose.hands[..., 0]).astype(int), np.round(4 * pose.hands[..., 1]).astype(int)
    assert changed[np.clip(hy, 0, 1023), np.clip(hx, 0, 1023)].mean() > 0.8


def test_a_wrist_drag_carries_the_hand_and_undo_puts_it_back(pose):
    from posestudio.core import edits
    from posestudio.core.layers import PoseLayer

    doc = Document(256, 256, [PoseLayer("Pose", [pose])])
    layer = doc.layers[0]
    old = pose.xy[[4]].copy()
    e = edits.MoveJoints(layer.id, 0, [4], old, old + [15, -20])
    doc.apply(e)
    moved = layer.poses[0]
    # the hand kept its shape, hangs from the new wrist and turned with the forearm
    np.testing.assert_allclose(np.linalg.norm(moved.hands[0, :, :2] - moved.xy[4], axis=1),
                               np.linalg.norm(pose.hands[0, :, :2] - pose.xy[4], axis=1))
    fore0, fore1 = pose.xy[4] - pose.xy[3], moved.xy[4] - moved.xy[3]
    turn = np.arctan2(fore1[1], fore1[0]) - np.arctan2(fore0[1], fore0[0])
    h0, h1 = pose.hands[0, 12, :2] - pose.xy[4], moved.hands[0, 12, :2] - moved.xy[4]
    assert np.isclose(np.arctan2(h1[1], h1[0]) - np.arctan2(h0[1], h0[0]), turn)
    np.testing.assert_array_equal(moved.hands[1], pose.hands[1])
    doc.revert(e)
    np.testing.assert_allclose(layer.poses[0].hands, pose.hands, atol=1e-9)
    assert layer.poses[0] == pose
