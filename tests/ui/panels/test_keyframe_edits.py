"""core.keyframe_edits: the timeline records the dock pushes (pure data, no Qt needed)."""

from __future__ import annotations

import numpy as np
import pytest

from posestudio.core import keyframe_edits as kf
from posestudio.core import project
from posestudio.core.document import Document
from posestudio.core.layers import ImageLayer
from posestudio.core.pose import default_pose
from posestudio.core.timeline import Timeline


def _doc():
    doc = Document(200, 300)
    a = default_pose(200, 300)
    b = a.copy()
    b.xy[4] += (30, -40)
    doc.keyframes = {0: [a], 10: [b]}
    return doc, a, b


def test_move_keyframe_over_another_and_back_with_modes():
    doc, a, b = _doc()
    doc.apply(kf.SetSegmentMode.make(doc, 0, "ease"))
    doc.keyframes[20] = [a.copy()]
    edit = kf.MoveKeyframe.make(doc, 0, 20)  # replaces the key at 20
    doc.apply(edit)
    assert sorted(doc.keyframes) == [10, 20] and Timeline.from_document(doc).mode_at(20) == "ease"
    assert Timeline.from_document(doc).mode_at(0) == "bones"
    doc.revert(edit)
    assert sorted(doc.keyframes) == [0, 10, 20] and Timeline.from_document(doc).mode_at(0) == "ease"
    assert np.allclose(doc.keyframes[0][0].xy, a.xy)
    with pytest.raises(KeyError):
        kf.MoveKeyframe.make(doc, 5, 6)


def test_segment_mode_settings_and_delete_round_trip_through_a_project(tmp_path):
    doc, a, b = _doc()
    doc.apply(kf.SetSegmentMode.make(doc, 0, "hold"))
    doc.apply(kf.SetTimelineSettings.make(doc, fps=24.0, loop="pingpong"))
    tl = Timeline.from_document(doc)
    assert tl.mode_at(0) == "hold" and tl.fps == 24 and tl.loop == "pingpong"
    assert np.allclose(tl.pose_at(5)[0].xy, a.xy)
    doc.layers.append(ImageLayer(
"img", np.zeros((300, 200, 3), np.uint8)))
    path = tmp_path / "t.psproj"
    project.save_project(doc, path)
    back = Timeline.from_document(project.load_project(path))
    assert back.mode_at(0) == "hold" and back.fps == 24 and back.loop == "pingpong"
    rec = kf.delete_keyframe(doc, 10)
    doc.apply(rec)
    assert sorted(doc.keyframes) == [0]
    doc.revert(rec)
    assert np.allclose(doc.keyframes[10][0].xy, b.xy)
    with pytest.raises(ValueError):
        kf.SetSegmentMode(0, None, "cubic")
