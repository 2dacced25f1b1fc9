import numpy as np
import pytest

from posestudio.core.layers import ImageLayer, LayerList, ParsingLayer, PoseLayer
from posestudio.core.pose import default_pose


def _layers():
    img = ImageLayer("img", np.zeros((8, 6, 3), np.uint8))
    pose = PoseLayer("pose", [default_pose(6, 8)])
    parsing = ParsingLayer("parsing", np.zeros((8, 6), np.int64))
    return img, pose, parsing


def test_list_emits_insert_remove_move_and_forwards_layer_events():
    events = []
    img, pose, parsing = _layers()
    ll = LayerList([img, pose])
    ll.events.connect(events.append)
    ll.insert(1, parsing)
    assert [l.name for l in ll] == ["img", "parsing", "pose"]
    ll.move(0, 2)
    assert [l.name for l in ll] == ["parsing", "pose", "img"]
    img.opacity = 0.5
    img.opacity = 0.5  # no change, no event
    ll.remove(pose)
    img.visible = False
    assert [(e.type, e.layer.name) for e in events] == [
        ("inserted", "parsing"), ("moved", "img"), ("changed", "img"), ("removed", "pose"), ("changed", "img")]
    assert events[2].prop == "opacity" and events[2].old == 1.0 and events[2].new == 0.5
    pose.name = "detached"  # removed layers no longer forward
    assert len(events) == 5


def test_solo_shows_one_layer_and_toggles_off():
    img, pose, parsing = _layers()
    ll = LayerList([img, pose, parsing])
    parsing.visible = False
    assert [ll.is_shown(l) for l in ll] == [True, True, False]
    ll.set_solo(parsing)
    assert [ll.is_shown(l) for l in ll] == [False, False, True]
    ll.set_solo(parsing)
    assert ll.solo is None and [ll.is_shown(l) for l in ll] == [True, True, False]


def test_layer_validation():
    with pytest.raises(ValueError):
        ImageLayer("bad", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        ParsingLayer("bad", np.zeros((4, 4), np.float32))
    ll = LayerList()
    img, _, _ = _layers()
    ll.append(img)
    with pytest.raises(ValueError):
        ll.append(img)
    assert img.opacity == 1.0
    img.opacity = 3
    assert img.opacity == 1.0
