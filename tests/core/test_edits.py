import numpy as np
import pytest

from posestudio.core import edits, skeleton
from posestudio.core.document import Document
from posestudio.core.layers import ParsingLayer, PoseLayer
from posestudio.core.pose import default_pose


@pytest.fixture
def doc():
    d = Document.from_image(np.full((64, 48, 3), 200, np.uint8))
    d.layers.append(ParsingLayer("Parsing", np.zeros((64, 48), np.uint8)))
    return d


def test_move_joints_redo_undo(doc):
    layer = doc.pose_layer()
    before = layer.poses[0].copy()
    old = before.xy[[3, 4]]
    e = edits.MoveJoints(layer.id, 0, [3, 4], old, old + 5)
    doc.apply(e)
    assert np.allclose(layer.poses[0].xy[[3, 4]], old + 5)
    assert np.allclose(layer.poses[0].xy[0], before.xy[0])
    doc.revert(e)
    assert layer.poses[0] == before


def test_hide_joint_drops_limbs_and_restore_is_lossless(doc):
    layer = doc.pose_layer()
    before = layer.poses[0].copy()
    e = edits.SetVisibility(layer.id, 0, [skeleton.JOINT_INDEX["r_elbow"]], False)
    doc.apply(e)
    assert "Hide r elbow" in e.text
    assert (2, 3) not in layer.poses[0].limbs() and (3, 4) not in layer.poses[0].limbs()
    doc.apply(edits.SetVisibility(layer.id, 0, [3], True))
    assert layer.poses[0] == before  # position kept while hidden
    doc.apply(e)
    doc.revert(e)
    assert layer.poses[0].visible[3]


def test_mirror_as_set_poses_swaps_sides(doc):
    layer = doc.pose_layer()
    p = layer.poses[0]
    e = edits.SetPoses.for_person(layer, 0, p.mirrored(doc.width), "Mirror")
    doc.apply(e)
    m = layer.poses[0]
    r, l = skeleton.JOINT_INDEX["r_wrist"], skeleton.JOINT_INDEX["l_wrist"]
    assert np.allclose(m.xy[r], [doc.width - 1 - p.xy[l][0], p.xy[l][1]])
    doc.revert(e)
    assert layer.poses[0] == p


def test_paint_stores_only_the_stroke_and_undoes(doc):
    parsing = doc.layers.first("parsing")
    parsing.data[10:20, 10:20] = 3
    before = parsing.data.copy()
    mask = np.zeros((64, 48), bool)
    mask[15:25, 5:12] = True
    e = edits.Paint.stroke(parsing, mask, 7)
    assert e.bbox == (15, 5, 25, 12) and e.mask.shape == (10, 7) and e.old.size == 70
    events = []
    doc.layers.events.connect(events.append)
    doc.apply(e)
    assert (parsing.data[mask] == 7).all() and (parsing.data[~mask] == before[~mask]).all()
    assert events[-1].type == "data" and events[-1].info["bbox"] == (15, 5, 25, 12)
    doc.revert(e)
    assert np.array_equal(parsing.data, before)
    assert edits.Paint.stroke(parsing, np.zeros((64, 48), bool), 1) is None
    parsing.locked = True
    with pytest.raises(edits.LockedLayerError):
        doc.apply(e)


def test_layer_props_add_remove_move_and_compound(doc):
    img = doc.image_layer()
    e = edits.LayerProps.make(img, opacity=0.3, visible=False)
    doc.apply(e)
    assert img.opacity == pytest.approx(0.3) and not img.visible
    doc.revert(e)
    assert img.opacity == 1.0 and img.visible
    extra = PoseLayer("Second", [default_pose(48, 64)])
    c = edits.Compound([edits.AddLayer(extra, 1), edits.MoveLayer(extra.id, 3)], "Add and move")
    doc.apply(c)
    assert doc.layers[3] is extra and doc.pose_layer() is extra
    doc.revert(c)
    assert extra not in list(doc.layers)
    # a move is undone by id even when a layer was inserted below meanwhile
    top = doc.layers[len(doc.layers) - 1]
    m = edits.MoveLayer(top.id, 0)
    doc.apply(m)
    doc.layers.insert(0, PoseLayer("preview", []))
    doc.revert(m)
    assert doc.layers[len(doc.layers) - 1] is top
    locked = doc.layers[0]
    locked.locked = True
    with pytest.raises(edits.LockedLayerError):
        doc.apply(edits.RemoveLayer(locked, 0))
    assert doc.layers[0] is locked


def test_resize_canvas(doc):
    seen = []
    doc.events.connect(seen.append)
    e = edits.ResizeCanvas(doc.size, (96, 128))
    doc.apply(e)
    assert doc.size == (96, 128) and seen[-1].type == "size"
    doc.revert(e)
    assert doc.size == (48, 64)


def test_keyframes(doc):
    seen = []
    doc.events.connect(seen.append)
    p = doc.pose_layer().poses
    e = edits.SetKeyframe(12, None, p)
    doc.apply(e)
    assert 12 in doc.keyframes and seen[-1].info["frame"] == 12
    doc.revert(e)
    assert 12 not in doc.keyframes
