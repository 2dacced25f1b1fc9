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
