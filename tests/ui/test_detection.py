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
