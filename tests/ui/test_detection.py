"""Opening a photo finds the person in the background and fits both poses (one undo step)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from posestudio.core.formats import read_poses
from posestudio.core.pose import default_pose
from posestudio.engine import detect
from posestudio.training.metrics.pckh import pckh_counts
from posestudio.ui.detection import matte_layer, source_layer


@pytest.fixture(autouse=True)
def _models():
    if not detect.installed():
        pytest.fail(f"detection models missing in {detect.models_dir()}: run `make install`")


def open_and_wait(qtbot, window, path):
    with qtbot.waitSignal(window.detection.done, timeout=60000) as blocker:
        assert window.open_file(str(path)), window.last_error
        assert window.detection.running  # in the background: the window is free meanwhile
        assert window.detection.progress.isVisible()
    return blocker.args[0]


def test_opening_a_photo_fits_source_pose_pose_and_matte_in_one_undo_step(qtbot, window, samples_dir):
    assert open_and_wait(qtbot, window, samples_dir / "2_B.jpg") == 1
    doc = window.session.doc
    ref = read_poses(samples_dir / "keypoints.csv", name="2_B.jpg").people[0]
    pose, src = doc.pose_layer().poses[0], source_layer(doc).poses[0]
    right, counted = pckh_counts(pose, ref)
    assert right >= 0.8 * counted
    assert src == pose and pose.hands is not None and pose.face is not None
    matte = matte_layer(doc)
    person = np.array(Image.open(samples_dir / "2_B_parsing.png")) != 0
    m = matte.data > 127
    assert (m & person).sum() / (m | person).sum() >= 0.9
    assert not window.detection.progress.isVisible() and "Fitted the pose" in window.detection.last_message
    assert window.session.undo.count() == 1  # one step
    window.session.undo.undo()
    assert matte_layer(doc) is None and doc.pose_layer().poses[0] == default_pose(256, 256)
    window.session.undo.redo()
    # Pose > Set as Source Pose keeps a hand-made change; Pose > Detect puts the fit back
    moved = doc.pose_layer().poses[0].with_joint(4, 10, 10)
    doc.pose_layer().set_pose(0, moved)
    window.actions["set_source_pose"].trigger()
    assert source_layer(doc).poses[0] == moved
    with qtbot.waitSignal(window.detection.done, timeout=60000):
        window.actions["detect_pose"].trigger()
    assert source_layer(doc).poses[0] == pose and len([l for l in doc.layers if l.kind == "intermediate"]) == 1
    # the generator receives the matte
    req = window.generation.request(preview=True)
    assert req.source_matte.shape == (256, 256) and req.source_matte.max() <= 1.0
    np.testing.assert_allclose(req.source_matte, matte_layer(doc).data / 255.0, atol=1e-6)


def test_a_photo_without_a_person_keeps_the_template_and_says_so(qtbot, window, tmp_path):
    blank = tmp_path / "wall.png"
    Image.new("RGB", (300, 400), (200, 190, 180)).save(blank)
    assert open_and_wait(qtbot, window, blank) == 0
    assert "No person found" in window.detection.last_message
    assert window.session.doc.pose_layer().poses[0] == default_pose(300, 400)
    assert window.session.undo.count() == 0 and matte_layer(window.session.doc) is None


def test_hand_and_face_points_show_when_zoomed_in_and_drag_as_one_undo_step(qtbot, window, samples_dir):
    from PySide6.QtCore import QPointF

    from tests.ui.conftest import drag

    open_and_wait(qtbot, window, samples_dir / "2_B.jpg")
    doc, view = window.session.doc, window.view
    sk = window.scene.skeleton(doc.pose_layer().id)
    right_hand, _, face = sk.extras[0]
    view.fit()
    qtbot.wait(10)
    assert not right_hand.shown() and not face.shown()  # a 256 px photo fitted: hands are tiny
    # selecting the wrist shows its hand at any zoom
    window.scene.joint_item(doc.pose_layer().id, 0, 4).setSelected(True)
    assert right_hand.shown() and not sk.extras[0][1].shown()
    window.scene.clearSelection()
    before = doc.pose_layer().poses[0]
    tip = before.hands[0, 8, :2]  # the index finger tip
    view.set_zoom(12.0)
    view.centerOn(QPointF(*(tip + 0.5)))
    qtbot.wait(10)
    assert right_hand.shown() and face.shown() is bool(np.ptp(before.face[:, :2], 0).max() * 12 >= 60)
    start = view.mapFromScene(QPointF(*(tip + 0.5)))
    end = start + type(start)(24, -12)
    undo_before = window.session.undo.count()
    drag(qtbot, view, start, end)
    after = doc.pose_layer().poses[0]
    np.testing.assert_allclose(after.hands[0, 8, :2] - tip, (2.0, -1.0), atol=0.2)  # 24, -12 screen px at 12x
    moved = np.any(after.hands[..., :2] != before.hands[..., :2], axis=-1)
    assert moved.sum() == 1 and np.array_equal(after.xy, before.xy)
    assert window.session.undo.count() == undo_before + 1
    window.session.undo.undo()
    assert doc.pose_layer().poses[0] == before
