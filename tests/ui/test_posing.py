import math

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from posestudio.core import skeleton
from tests.ui.conftest import drag, joint_point

R_ELBOW, R_WRIST, R_SHOULDER = (skeleton.JOINT_INDEX[n] for n in ("r_elbow", "r_wrist", "r_shoulder"))


def test_drag_joint_moves_it_and_one_undo_restores(window, qtbot):
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    start = joint_point(window, R_WRIST)
    end = start + QPoint(40, -25)
    drag(qtbot, window.view, start, end)
    after = layer.poses[0]
    z = window.view.zoom
    assert np.allclose(after.xy[R_WRIST] - before.xy[R_WRIST], [40 / z, -25 / z], atol=1.0 / z + 1e-6)
    others = [j for j in range(18) if j != R_WRIST]
    assert np.allclose(after.xy[others], before.xy[others])
    assert window.session.undo.count() == 1 and window.isWindowModified()
    assert window.session.undo.undoText() == "Move r wrist"
    window.session.undo.undo()
    assert layer.poses[0] == before and not window.isWindowModified()
    window.session.undo.redo()
    assert np.allclose(layer.poses[0].xy[R_WRIST], after.xy[R_WRIST])


def test_bone_drag_rotates_chain_and_keeps_lengths(window, qtbot):
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    a, b = window.view.mapFromScene(window.scene.joint_item(layer.id, 0, R_SHOULDER).scenePos()), \
        joint_point(window, R_ELBOW)
    mid = (a + b) / 2
    drag(qtbot, window.view, mid, mid + QPoint(30, 0))
    after = layer.poses[0]
    assert not np.allclose(after.xy[R_ELBOW], before.xy[R_ELBOW])
    assert np.allclose(after.xy[R_SHOULDER], before.xy[R_SHOULDER])
    lb, la = before.bone_lengths(), after.bone_lengths()
    assert np.allclose(la[[R_ELBOW, R_WRIST]], lb[[R_ELBOW, R_WRIST]], atol=1e-6)
    assert window.session.undo.count() == 1 and window.session.undo.undoText() == "Rotate limb"


def test_bone_lock_keeps_length_on_joint_drag(window, qtbot):
    window.actions["bone_lock"].setChecked(True)
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    p = joint_point(window, R_ELBOW)
    drag(qtbot, window.view, p, p + QPoint(-50, 10))
    after = layer.poses[0]
    assert not np.allclose(after.xy[R_ELBOW], before.xy[R_ELBOW])
    assert math.isclose(after.bone_lengths()[R_ELBOW], before.bone_lengths()[R_ELBOW], rel_tol=1e-9)
    assert math.isclose(after.bone_lengths()[R_WRIST], before.bone_lengths()[R_WRIST], rel_tol=1e-9)


def test_rubber_band_and_shift_select_then_move_together(window, qtbot):
    view = window.view
    p1, p2 = joint_point(window, R_ELBOW), joint_point(window, R_WRIST)
    # rubber band around the elbow only
    corner = p1 - QPoint(8, 8)
    drag(qtbot, view, corner, p1 + QPoint(8, 8), steps=3)
    assert [j.joint for j in window.scene.selected_joints()] == [R_ELBOW]
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier, p2)
    assert sorted(j.joint for j in window.scene.selected_joints()) == [R_ELBOW, R_WRIST]
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    drag(qtbot, view, p2, p2 + QPoint(20, 20))
    moved = np.flatnonzero(np.any(layer.poses[0].xy != before.xy, axis=1))
    assert sorted(moved) == [R_ELBOW, R_WRIST]
    window.actions["select_all"].trigger()
    assert len(window.scene.selected_joints()) == sum(it.isVisible() for it in
                                                      window.scene.skeleton(layer.id).joint_items())


def test_joint_outside_the_image_stays_selectable(window, qtbot):
    layer = window.session.pose_layer()
    window.joint_panel.show_joint(0, R_WRIST)
    window.joint_panel.x.setValue(-30.0)
    assert layer.poses[0].xy[R_WRIST][0] == -30.0
    window.view.set_zoom(1.0)
    window.view.centerOn(0, 0)
    qtbot.wait(10)
    p = joint_point(window, R_WRIST)
    assert window.view.viewport().rect().contains(p)
    window.scene.clearSelection()
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
    assert [j.joint for j in window.scene.selected_joints()] == [R_WRIST]
    assert window.joint_panel.info.text() == "outside the image"


def test_joint_keeps_screen_size_at_any_zoom(window):
    item = window.scene.joint_item(window.session.pose_layer().id, 0, R_WRIST)
    sizes = []
    for z in (0.5, 4.0):
        window.view.set_zoom(z)
        sizes.append(item.deviceTransform(window.view.viewportTransform()).mapRect(item.boundingRect()).width())
    # the item ignores transformations: its on-screen box does not grow with zoom
    assert abs(sizes[0] - sizes[1]) <= 0.5 and sizes[0] < 20
    bone = window.scene.skeleton(window.session.pose_layer().id).bones[0][0]
    assert bone.pen().isCosmetic()


def test_hide_and_restore_joint_and_hidden_survives_save_load(window, qtbot, tmp_path):
    layer = window.session.pose_layer()
    window.select_joint(0, R_WRIST)
    window.actions["hide_joints"].trigger()
    assert not layer.poses[0].visible[R_WRIST]
    bone = window.scene.skeleton(layer.id).bones[0][skeleton.LIMBS.index((3, 4))]
    assert not bone.isVisible()  # the hidden joint drops its limb
    path = tmp_path / "hidden.psproj"
    assert window.session.save(path)
    assert not window.isWindowModified()
    assert window.open_file(str(path))
    back = window.session.pose_layer().poses[0]
    assert not back.visible[R_WRIST]
    window.select_joint(0, R_WRIST)
    window.actions["restore_joints"].trigger()
    assert window.session.pose_layer().poses[0].visible[R_WRIST]


def test_restore_places_never_placed_joints_beside_their_parent(window):
    layer = window.session.pose_layer()
    knee = skeleton.JOINT_INDEX["r_knee"]
    assert not layer.poses[0].visible[knee] and not layer.poses[0].xy[knee].any()  # missing in 2_B
    window.scene.clearSelection()
    window.actions["restore_joints"].trigger()
    pose = layer.poses[0]
    hip = skeleton.JOINT_INDEX["r_hip"]
    assert pose.visible.all()
    assert pose.xy[knee][1] > pose.xy[hip][1]  # below the hip, not at the corner
    window.session.undo.undo()
    assert not layer.poses[0].visible[knee]


def test_mirror_swaps_left_and_right_joints_about_the_body_axis(window):
    """Mirror Pose pivoted on the bounding box: with one arm stretched out the body jumped sideways."""
    from posestudio.core.edits import SetPoses

    layer = window.session.pose_layer()
    stretched = layer.poses[0].copy()
    rw = skeleton.JOINT_INDEX["r_wrist"]
    stretched.xy[rw] = (stretched.xy[rw][0] - 60, stretched.xy[rw][1] - 80)  # one arm out to the side
    window.session.push(SetPoses(layer.id, layer.poses, [stretched]))
    before = layer.poses[0].copy()
    window.actions["mirror_pose"].trigger()
    after = layer.poses[0]
    for r, l in skeleton.LR_PAIRS:
        assert after.visible[r] == before.visible[l]
        if before.visible[l]:
            assert after.xy[r][1] == before.xy[l][1]  # same height, mirrored horizontally
    neck, rh, lh = (skeleton.JOINT_INDEX[n] for n in ("neck", "r_hip", "l_hip"))
    mid = lambda p: (p.xy[rh][0] + p.xy[lh][0]) / 2  # noqa: E731
    axis = lambda p: (p.xy[neck][0] + mid(p)) / 2  # noqa: E731
    assert np.isclose(axis(after), axis(before), atol=1e-6)  # the body stays where it stood
    box = before.bbox()
    assert abs(axis(before) - (box[0] + box[2]) / 2) > 10  # (the box centre is elsewhere)
    # left shoulder is now where the right one was, mirrored about the axis
    ls, rs = skeleton.JOINT_INDEX["l_shoulder"], skeleton.JOINT_INDEX["r_shoulder"]
    axis2 = before.xy[neck][0] + mid(before)
    assert np.isclose(after.xy[ls][0], axis2 - before.xy[rs][0])
    window.session.undo.undo()
    assert layer.poses[0] == before


def test_mirror_canvas_swaps_parsing_labels_and_pixels(window):
    doc = window.session.doc
    parsing = doc.layers.first("parsing")
    img = doc.image_layer().data.copy()
    before = parsing.data.copy()
    window.actions["mirror_canvas"].trigger()
    assert np.array_equal(doc.image_layer().data, img[:, ::-1])
    # SPT-10: 6 left arm <-> 7 right arm
    assert ((parsing.data == 6) == (before[:, ::-1] == 7)).all()
    window.session.undo.undo()
    assert np.array_equal(parsing.data, before)


def test_people_numeric_and_library(window, qtbot):
    layer = window.session.pose_layer()
    window.actions["add_person"].trigger()
    assert len(layer.poses) == 2 and len(window.scene.skeleton(layer.id).joints) == 2
    window.select_joint(1, 0)
    window.joint_panel.y.setValue(12.5)
    assert layer.poses[1].xy[0][1] == 12.5
    window.actions["remove_person"].trigger()
    assert len(layer.poses) == 1
    window.save_to_library("standing")
    assert "standing" in window.library_panel.library.poses
    assert {"T-pose", "Arms raised"} <= set(window.library_panel.library.poses)  # built-ins on first use
    orig = layer.poses[0].copy()
    window.apply_library_pose(window.library_panel.library.poses["T-pose"], mirrored=False)
    assert np.allclose(layer.poses[0].xy[1], orig.xy[1])  # placed at this person's neck
    window.apply_library_pose(window.library_panel.library.poses["standing"], mirrored=True)
    got = layer.poses[0]
    for r, l in skeleton.LR_PAIRS:
        assert got.visible[r] == orig.visible[l]
        if orig.visible[l]:
            assert np.isclose(got.xy[r][1], orig.xy[l][1], atol=1e-6)
    window.apply_library_pose(window.library_panel.library.poses["standing"], mirrored=False)
    got = layer.poses[0]  # the same pose again, standing where the mirrored one stood
    assert np.allclose((got.xy - got.xy[1])[orig.visible], (orig.xy - orig.xy[1])[orig.visible], atol=1e-6)


def test_hundred_undo_steps(window):
    layer = window.session.pose_layer()
    start = layer.poses[0].copy()
    for i in range(120):
        window.actions["rotate_right" if i % 2 else "scale_up"].trigger()
    assert window.session.undo.count() == 120
    for _ in range(120):
        window.session.undo.undo()
    assert np.allclose(layer.poses[0].xy, start.xy) and not window.isWindowModified()


def test_ctrl_drag_rotates_selection_about_its_centre(window, qtbot):
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    window.actions["select_all"].trigger()
    p = joint_point(window, R_WRIST)
    drag(qtbot, window.view, p, p + QPoint(0, 40), modifier=Qt.KeyboardModifier.ControlModifier)
    after = layer.poses[0]
    vis = before.visible
    # a rigid rotation: every distance between visible joints is kept, the centre stays
    d0 = np.linalg.norm(before.xy[vis][:, None] - before.xy[vis][None], axis=2)
    d1 = np.linalg.norm(after.xy[vis][:, None] - after.xy[vis][None], axis=2)
    assert np.allclose(d0, d1, atol=1e-6)
    assert np.allclose(after.xy[vis].mean(0), before.xy[vis].mean(0), atol=1e-6)
    assert not np.allclose(after.xy[vis], before.xy[vis])
    assert window.session.undo.undoText() == "Rotate joints"


def test_space_drag_pans(window, qtbot):
    view = window.view
    view.set_zoom(6.0)
    view.setFocus()
    v0 = view.verticalScrollBar().value()
    QTest.keyPress(view, Qt.Key.Key_Space)
    p = QPoint(300, 300)
    drag(qtbot, view, p, p + QPoint(0, -40), steps=2)
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert view.verticalScrollBar().value() == v0 + 40
    assert window.session.undo.count() == 0  # panning edits nothing


def test_arrow_keys_nudge_selected_joints(window, qtbot):
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    window.select_joint(0, R_WRIST)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Right)
    QTest.keyClick(window.view, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert np.allclose(layer.poses[0].xy[R_WRIST], before.xy[R_WRIST] + [1, -10])
    assert window.session.undo.count() == 2
    window.session.undo.undo()
    window.session.undo.undo()
    assert layer.poses[0] == before


def test_pivot_marker_shows_the_selection_centre(window):
    from posestudio.ui.canvas.skeleton_items import from_scene

    assert not window.scene.pivot.isVisible()
    window.actions["select_all"].trigger()
    pose = window.session.pose_layer().poses[0]
    assert window.scene.pivot.isVisible()
    assert np.allclose(from_scene(window.scene.pivot.pos()), pose.xy[pose.visible].mean(0))
    window.actions["deselect"].trigger()
    assert not window.scene.pivot.isVisible()


def test_joint_far_outside_the_image_can_be_scrolled_to(window, qtbot):
    layer = window.session.pose_layer()
    window.joint_panel.show_joint(0, R_WRIST)
    window.joint_panel.x.setValue(-900.0)  # the picture is 256 wide
    window.view.set_zoom(2.0)
    window.select_joint(0, R_WRIST)  # scrolls to it
    qtbot.wait(10)
    p = joint_point(window, R_WRIST)
    assert window.view.viewport().rect().contains(p)
    window.scene.clearSelection()
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
    assert [j.joint for j in window.scene.selected_joints()] == [R_WRIST]
    assert layer.poses[0].xy[R_WRIST][0] == -900.0
