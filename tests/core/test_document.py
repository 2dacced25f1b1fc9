import numpy as np

from posestudio.core.document import Document
from posestudio.core.pose import default_pose


def test_from_image_places_default_pose_fitted_to_image():
    img = np.zeros((256, 176, 3), np.uint8)
    doc = Document.from_image(img)
    assert doc.size == (176, 256)
    assert [l.kind for l in doc.layers] == ["image", "pose", "pose"]
    assert doc.source_pose() == doc.pose_layer().poses[0] and doc.layers[1].locked
    pose = doc.pose_layer().poses[0]
    assert pose == default_pose(176, 256)
    x0, y0, x1, y1 = pose.bbox()
    assert 0 <= x0 < x1 <= 176 and 0 <= y0 < y1 <= 256


def test_generator_settings_emit():
    doc = Document(10, 10)
    seen = []
    doc.events.connect(seen.append)
    doc.set_generator(model="puppet", live_preview=True)
    assert doc.generator["live_preview"] and seen[-1].type == "generator"


def test_snapshot_is_independent():
    from posestudio.core import edits

    doc = Document.from_image(np.zeros((20, 10, 3), np.uint8))
    snap = doc.snapshot()
    layer = doc.pose_layer()
    doc.apply(edits.MoveJoints(layer.id, 0, [0], layer.poses[0].xy[[0]], [[1.0, 2.0]]))
    doc.image_layer().data[:] = 9
    assert snap.pose_layer().poses[0].xy[0].tolist() != [1.0, 2.0]
    assert snap.image_layer().data.max() == 0 and snap.pose_layer().id == layer.id
    seen = []
    snap.layers.events.connect(seen.append)
    doc.image_layer().opacity = 0.5
    assert seen == [] and snap.image_layer().opacity == 1.0
