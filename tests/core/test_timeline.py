"""Timeline: exact keyframes, per-segment modes, people in one keyframe, keyframe
operations, loop orders and the versioned JSON, on the real 2_A / 2_B poses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posestudio.core.document import Document
from posestudio.core.formats import read_poses
from posestudio.core.pose import default_pose
from posestudio.core.timeline import Timeline, frame_at_tick, frame_sequence, interpolate_turn, smoothstep
from posestudio.errors import InputError


@pytest.fixture(scope="module")
def poses(samples_dir):
    csv = samples_dir / "keypoints.csv"
    return read_poses(csv, name="2_A.jpg").people[0], read_poses(csv, name="2_B.jpg").people[0]


@pytest.fixture
def tl(poses):
    a, b = poses
    return Timeline({0: [a], 12: [b], 20: [a]}, fps=24)


def test_keyframes_exact_and_holds_outside(tl, poses):
    a, b = poses
    assert tl.pose_at(0) == [a] and tl.pose_at(12) == [b] and tl.pose_at(20) == [a]
    np.testing.assert_array_equal(tl.pose_at(12)[0].xy, b.xy)
    assert tl.pose_at(-5) == [a] and tl.pose_at(100) == [a]
    assert tl.frame_range() == (0, 20) and len(tl.frames()) == 21
    assert tl.pose_at(0)[0] is not tl.keyframes[0][0]  # copies: editing a frame never edits the key


def test_segment_modes(tl, poses):
    a, b = poses  # 2_A is a back view, 2_B a front view: the segment is a turn
    assert tl.pose_at(6)[0] == interpolate_turn(a, b, 0.5, mode="bones")
    tl.set_interpolation(0, "linear")
    assert tl.pose_at(3)[0] == interpolate_turn(a, b, 0.25, mode="linear")
    tl.set_interpolation(0, "hold")
    assert tl.pose_at(11) == [a] and tl.pose_at(12) == [b]
    tl.set_interpolation(0, "ease")
    assert tl.pose_at(3)[0] == interpolate_turn(a, b, smoothstep(0.25), mode="bones")
    assert tl.pose_at(3)[0] != interpolate_turn(a, b, 0.25, mode="bones")
    assert tl.pose_at(6)[0] == interpolate_turn(a, b, 0.5, mode="bones")  # smoothstep(1/2) = 1/2
    assert tl.mode_at(12) == "bones"  # the next segment keeps the default
    with pytest.raises(InputError, match="interpolation mode"):
        tl.set_interpolation(0, "cubic")


def test_bones_mode_keeps_limb_lengths_linear_does_not(poses):
    a, b = poses
    b = b.swapped_sides()  # facing as a does: a segment without a turn
    tl = Timeline({0: [a], 10: [b]})
    la, lb = a.bone_lengths(), b.bone_lengths()
    mid = tl.pose_at(5)[0].bone_lengths()
    ok = np.isfinite(la) & np.isfinite(lb) & np.isfinite(mid)
    np.testing.assert_allclose(mid[ok], (la[ok] + lb[ok]) / 2, rtol=1e-9)
    tl.set_interpolation(0, "linear")
    lin = tl.pose_at(5)[0].bone_lengths()
    assert np.nanmin(lin[ok] - (la[ok] + lb[ok]) / 2) < -0.5  # a straight blend shortens some limb


def test_person_in_one_keyframe_holds(poses):
    a, b = poses
    other = default_pose(256, 256)
    tl = Timeline({0: [a, other], 10: [b]})
    mid = tl.pose_at(4)
    assert len(mid) == 2 and mid[1] == other and mid[0] == interpolate_turn(a, b, 0.4)
    assert tl.pose_at(10) == [b]
    tl2 = Timeline({0: [a], 10: [b, other]})
    assert tl2.pose_at(3)[1] == other


def test_keyframe_operations(tl, poses):
    a, b = poses
    tl.set_interpolation(12, "hold")
    tl.move_keyframe(12, 15)
    assert 12 not in tl.keyframes and tl.pose_at(15) == [b] and tl.mode_at(15) == "hold"
    with pytest.raises(ValueError, match="already has"):
        tl.move_keyframe(15, 20)
    tl.copy_keyframe(15, 30)
    assert tl.pose_at(30) == [b] and tl.frame_range() == (0, 30)
    tl.mirror_keyframe(30, 256)
    assert tl.pose_at(30) == [b.mirrored(256)] and tl.pose_at(15) == [b]
    tl.mirror_keyframe(30, 256, dst=40)
    assert tl.pose_at(40) == [b]  # mirrored twice
    assert tl.delete_keyframe(15) == [b] and 15 not in tl.interpolation
    with pytest.raises(KeyError):
        tl.delete_keyframe(15)
    assert (tl.previous_key(30), tl.next_key(30), tl.next_key(40), tl.previous_key(0)) == (20, 40, None, None)
    assert Timeline().pose_at(3) == [] and Timeline().frame_range() == (0, 0)


def test_loop_orders():
    assert frame_sequence(2, 5, "once", cycles=3) == [2, 3, 4, 5]
    assert frame_sequence(2, 5, "loop", cycles=2) == [2, 3, 4, 5, 2, 3, 4, 5]
    assert frame_sequence(0, 3, "pingpong") == [0, 1, 2, 3, 2, 1]
    assert [frame_at_tick(t, 0, 3, "pingpong") for t in range(8)] == [0, 1, 2, 3, 2, 1, 0, 1]
    assert [frame_at_tick(t, 5, 7, "loop") for t in range(5)] == [5, 6, 7, 5, 6]
    assert frame_at_tick(10, 5, 7, "once") == 7 and frame_at_tick(4, 3, 3, "pingpong") == 3
    with pytest.raises(ValueError):
        frame_sequence(5, 2)


def test_json_round_trip_exact(tl, poses):
    tl.set_interpolation(12, "ease")
    tl.loop, tl.start, tl.end = "pingpong", 2, 18
    text = json.dumps(tl.to_json())
    back = Timeline.from_json(json.loads(text))
    assert back.to_json() == tl.to_json()
    for f in tl.frames_with_keys():
        np.testing.assert_array_equal(back.keyframes[f][0].xy, tl.keyframes[f][0].xy)
    assert [back.pose_at(f) for f in back.frames()] == [tl.pose_at(f) for f in tl.frames()]
    assert back.playback()[:3] == [2, 3, 4] and back.frame_range() == (2, 18)


def test_json_errors_name_the_problem(tl):
    obj = tl.to_json()
    with pytest.raises(InputError, match="newer"):
        Timeline.from_json({**obj, "version": 99}, path="p.psproj")
    with pytest.raises(InputError, match="p.psproj: .*loop mode"):
        Timeline.from_json({**obj, "loop": "bounce"}, path="p.psproj")
    with pytest.raises(InputError, match="frames per second"):
        Timeline.from_json({**obj, "fps": -1})
    with pytest.raises(InputError, match="inconsistent"):
        Timeline.from_json({**obj, "keyframes": {"x": []}})


def test_from_document(poses):
    a, b = poses
    doc = Document(256, 256, keyframes={0: [a], 8: [b]})
    doc.meta["timeline"] = Timeline(fps=30, interpolation={0: "linear"}).settings_json()
    tl = Timeline.from_document(doc)
    assert tl.fps == 30 and tl.pose_at(8) == [b] and tl.pose_at(4)[0] == interpolate_turn(a, b, 0.5, "linear")
    assert Timeline.from_document(Document(10, 10)).keyframes == {}


# -- a person turning round between keys (the shipped sample: back view at 0, front view at 24) --
def _sample_keys():
    from pathlib import Path

    from posestudio.core.project import load_project

    doc = load_project(Path(__file__).resolve().parents[2] / "resources" / "samples" / "deepfashion_2A.psproj")
    return Timeline.from_document(doc)


def test_turn_between_keys_is_detected_but_not_an_in_plane_rotation():
    from posestudio.core.timeline import turned

    tl = _sample_keys()
    back, front = tl.keyframes[0][0], tl.keyframes[24][0]
    assert turned(back, front) and turned(front, back)
    assert not turned(back, back.copy())
    upside_down = back.transformed([[-1, 0, 255], [0, -1, 255]])  # rotated 180 degrees in the picture
    assert not turned(back, upside_down)


def test_turning_sample_keeps_a_body_every_frame():
    """Bones mode turned every bone 180 degrees: the shoulders folded onto each other mid-way."""
    tl = _sample_keys()
    width_a = abs(tl.keyframes[0][0].xy[2, 0] - tl.keyframes[0][0].xy[5, 0])
    for frame in range(0, 25):
        pose = tl.pose_at(frame)[0]
        shoulders = abs(pose.xy[2, 0] - pose.xy[5, 0])
        hips = abs(pose.xy[8, 0] - pose.xy[11, 0])
        neck_to_hips = pose.xy[[8, 11], 1].mean() - pose.xy[1, 1]
        assert shoulders > 0.6 * width_a, frame
        assert hips > 0.3 * width_a and neck_to_hips > 80, frame
    assert np.allclose(tl.pose_at(24)[0].xy, tl.keyframes[24][0].xy)
