import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest

from posestudio.ui.panels.layer_model import EYE, LOCK, NAME


def render(window) -> np.ndarray:
    scene = window.scene
    rect = scene.image_rect()
    img = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_RGBA8888)
    img.fill(QColor(0, 0, 0, 0))
    p = QPainter(img)
    scene.render(p, img.rect().toRectF(), rect)
    p.end()
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8).reshape(img.height(), img.width(), 4).copy()


def row_of_kind(model, kind: str) -> int:
    return next(r for r in range(model.rowCount()) if model.layer_at(r).kind == kind)


def click_cell(tree, row: int, col: int, modifier=Qt.KeyboardModifier.NoModifier):
    rect = tree.visualRect(tree.model().index(row, col))
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_eye_toggle_changes_rendered_canvas_and_stays_out_of_undo(window, qtbot):
    """Eye and lock clicks were undo steps: Ctrl+Z after a stroke undid an eye click first."""
    panel = window.layers_panel
    model, tree = panel.model, panel.tree
    row = row_of_kind(model, "image")
    layer = model.layer_at(row)
    before = render(window)
    steps = window.session.undo.count()
    click_cell(tree, row, EYE)
    assert not layer.visible
    hidden = render(window)
    assert np.abs(hidden.astype(int) - before.astype(int)).sum() > 1000
    click_cell(tree, row, LOCK)
    assert layer.locked
    assert window.session.undo.count() == steps and window.session.modified  # saved, but not undo steps
    click_cell(tree, row, EYE)
    click_cell(tree, row, LOCK)
    assert layer.visible and not layer.locked
    assert np.array_equal(render(window), before)


def test_solo_with_alt_click(window, qtbot):
    panel = window.layers_panel
    model, tree = panel.model, panel.tree
    row = row_of_kind(model, "image")
    click_cell(tree, row, EYE, Qt.KeyboardModifier.AltModifier)
    doc = window.session.doc
    assert [doc.layers.is_shown(l) for l in doc.layers] == [l.kind == "image" for l in doc.layers]
    assert window.scene.skeleton(doc.pose_layer().id).isVisible() is False
    click_cell(tree, row, EYE, Qt.KeyboardModifier.AltModifier)
    assert doc.layers.solo is None and window.scene.skeleton(doc.pose_layer().id).isVisible()


def test_lock_blocks_delete_and_posing(window, qtbot):
    panel = window.layers_panel
    model, tree = panel.model, panel.tree
    row = row_of_kind(model, "image")
    tree.setCurrentIndex(model.index(row, NAME))
    click_cell(tree, row, LOCK)
    layer = model.layer_at(row)
    assert layer.locked and not panel.delete_button.isEnabled()
    n = len(window.session.doc.layers)
    panel.delete_current()
    assert len(window.session.doc.layers) == n and "locked" in window.last_error
    click_cell(tree, row, LOCK)
    assert not layer.locked
    panel.delete_current()
    assert len(window.session.doc.layers) == n - 1
    window.session.undo.undo()
    assert len(window.session.doc.layers) == n


def test_rename_reorder_opacity_and_thumbnails(window, qtbot):
    panel = window.layers_panel
    model, tree = panel.model, panel.tree
    row = row_of_kind(model, "parsing")
    layer = model.layer_at(row)
    assert model.setData(model.index(row, NAME), "Garments")
    assert layer.name == "Garments" and window.session.undo.undoText() == "Rename layer"
    icon = model.data(model.index(row, NAME), Qt.ItemDataRole.DecorationRole)
    assert not icon.isNull()
    # drag-and-drop reorder through the model's mime round trip
    mime = model.mimeData([model.index(row, NAME)])
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, model.index(-1, -1)) is False
    assert model.layer_at(0) is layer
    assert window.scene.items_by_id[layer.id].zValue() > window.scene.items_by_id[
        window.session.doc.image_layer().id].zValue()
    window.session.undo.undo()
    assert model.layer_at(row) is layer
    tree.setCurrentIndex(model.index(row, NAME))
    panel.opacity.setValue(40)
    assert abs(layer.opacity - 0.4) < 1e-9
    # the current layer survives a model reset
    panel.up_button.click()
    assert panel.current_layer() is layer


def test_window_drop_of_broken_and_huge_files_gives_a_message(window, qtbot, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    doc = window.session.doc
    window.open_paths([str(bad)])
    assert window.session.doc is doc and "broken.png" in window.last_error
    import struct
    import zlib

    # a PNG header announcing 30000 x 30000 pixels (no pixel data): refused before decoding
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    (tmp_path / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                                        + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    window.open_paths([str(tmp_path / "huge.png")])
    assert window.session.doc is doc and "too large" in window.last_error
    odd = tmp_path / "notes.txt"
    odd.write_text("hi")
    window.open_paths([str(odd)])
    assert "cannot open .txt" in window.last_error


def test_open_16bit_alpha_image_and_pose_file(window, qtbot, tmp_path, samples_dir):
    import cv2

    img = np.zeros((120, 90, 4), np.uint16)
    img[..., 2] = 65535
    img[:60, :, 3] = 65535
    cv2.imwrite(str(tmp_path / "a16.png"), img)
    assert window.open_file(str(tmp_path / "a16.png"))
    layer = window.session.doc.image_layer()
    assert layer.data.shape == (120, 90, 4) and layer.data[0, 0].tolist() == [255, 0, 0, 255]
    assert layer.data[100, 0, 3] == 0
    # checkerboard shows through the transparent half
    rendered = render(window)
    assert rendered[100, 10, :3].tolist() != [255, 0, 0]
    # import the sample's pose CSV row into this document (scaled into a 90x120 canvas is not done for CSV)
    from posestudio.core.formats import PoseSet, write_poses
    from posestudio.core.pose import default_pose

    pose = default_pose(90, 120).with_joint(4, 10, 20, visible=False)
    write_poses(tmp_path / "p.json", PoseSet([pose], 90, 120))
    window.open_paths([str(tmp_path / "p.json")])
    got = window.session.pose_layer().poses[0]
    assert not got.visible[4] and np.allclose(got.xy[got.visible], pose.xy[pose.visible], atol=1e-3)


def test_export_openpose_and_skeleton_drop_hidden_joints(window, tmp_path):
    from PIL import Image

    from posestudio.core.formats import read_poses

    layer = window.session.pose_layer()
    window.select_joint(0, 4)
    window.actions["hide_joints"].trigger()
    window.session.export_openpose(tmp_path / "out.json")
    back = read_poses(tmp_path / "out.json").first
    assert not back.visible[4] and np.array_equal(back.visible, layer.poses[0].visible)
    window.session.export_skeleton_image(tmp_path / "sk.png")
    sk = np.array(Image.open(tmp_path / "sk.png"))
    assert sk.shape == (256, 256, 3) and sk.any()


def test_skeleton_export_is_atomic_and_follows_the_suffix(window, tmp_path, monkeypatch):
    from PIL import Image

    window.session.export_skeleton_image(tmp_path / "sk.jpg")
    assert Image.open(tmp_path / "sk.jpg").format == "JPEG"
    old = (tmp_path / "sk.jpg").read_bytes()

    def dying(self, fp, *a, **k):
        fp.write(b"half a picture")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", dying)
    with pytest.raises(OSError):
        window.session.export_skeleton_image(tmp_path / "sk.jpg")
    assert (tmp_path / "sk.jpg").read_bytes() == old  # before: the half-written file replaced it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sk.jpg"]


def test_view_zoom_and_pan(window, qtbot):
    view = window.view
    window.actions["zoom_100"].trigger()
    assert abs(view.zoom - 1.0) < 1e-9
    window.actions["zoom_in"].trigger()
    assert abs(view.zoom - 1.25) < 1e-9
    view.set_zoom(6.0)
    h0 = view.horizontalScrollBar().value()
    QTest.mousePress(view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(300, 300))
    QTest.mouseMove(view.viewport(), QPoint(250, 300))
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(250, 300))
    assert view.horizontalScrollBar().value() == h0 + 50
    window.actions["zoom_fit"].trigger()
    assert view.zoom < 6.0


def test_import_csv_row_matching_the_picture_and_a_parsing_map(window, samples_dir):
    from posestudio.core.formats import read_poses

    window.open_paths([str(samples_dir / "keypoints.csv")])  # 4 rows; the picture is 2_A
    got = window.session.pose_layer().poses[0]
    assert got == read_poses(samples_dir / "keypoints.csv", name="2_A.jpg").first
    n = len(window.session.doc.layers)
    assert window.session.import_parsing(samples_dir / "2_B_parsing.png")
    layer = window.session.doc.layers.first("parsing")
    assert len(window.session.doc.layers) == n + 1 and layer.label_set == "spt10"
    window.session.undo.undo()
    assert len(window.session.doc.layers) == n
    assert not window.session.import_parsing(samples_dir / "2_A.jpg")  # a photo is not a label map
    assert "2_A.jpg" in window.last_error


def test_paint_labels_is_one_undo_step_and_respects_lock(window, qtbot):
    from tests.ui.conftest import drag

    doc = window.session.doc
    parsing = doc.layers.first("parsing")
    window.layers_panel.tree.setCurrentIndex(window.layers_panel.model.index(
        window.layers_panel.model.row_of(parsing), NAME))
    parsing.visible = True
    before = parsing.data.copy()
    window.actions["paint_labels"].setChecked(True)
    window.brush_label.setCurrentIndex(5)  # skirt
    window.brush_size.setValue(3)
    from posestudio.ui.canvas.skeleton_items import to_scene

    a = window.view.mapFromScene(to_scene(30, 30))
    b = window.view.mapFromScene(to_scene(60, 40))
    drag(qtbot, window.view, a, b, steps=5)
    changed = parsing.data != before
    assert changed.sum() > 50 and (parsing.data[changed] == 5).all()
    assert parsing.data[30, 30] == 5 and parsing.data[40, 60] == 5
    assert window.session.undo.count() == 1 and window.session.undo.undoText() == "Paint labels"
    # the stroke was drawn by partial pixmap updates: the canvas equals a full redraw
    partial = render(window)
    window.scene.set_document(doc)
    assert np.array_equal(partial, render(window))
    window.session.undo.undo()
    assert np.array_equal(parsing.data, before)
    parsing.locked = True
    drag(qtbot, window.view, a, b, steps=2)
    assert np.array_equal(parsing.data, before) and "locked" in window.last_error
    window.actions["paint_labels"].setChecked(False)


def test_replace_picture_keeps_and_scales_poses(window, qtbot, tmp_path, samples_dir):
    import cv2

    from posestudio.core.project import read_image

    s = window.session
    window.generation.bridge.engine().force_sync(True)
    window.generate()
    assert s.doc.layers.first("result") is not None
    before = s.pose_layer().poses[0].copy()
    key0 = s.doc.keyframes[0][0].copy()
    parsing = s.doc.layers.first("parsing").data.copy()
    big = cv2.resize(read_image(samples_dir / "2_B.jpg"), (512, 384))
    cv2.imwrite(str(tmp_path / "big.png"), big[..., ::-1])
    assert s.replace_picture(tmp_path / "big.png")
    doc = s.doc
    assert doc.size == (512, 384) and doc.image_layer().data.shape == (384, 512, 3)
    after = s.pose_layer().poses[0]
    assert np.array_equal(after.visible, before.visible)
    vis = before.visible
    assert np.allclose(after.xy[vis], (before.xy[vis] + 0.5) * [2.0, 1.5] - 0.5)
    assert doc.layers.first("parsing").data.shape == (384, 512)
    assert doc.layers.first("result") is None  # stale results of the old picture are gone
    k = doc.keyframes[0][0]
    assert np.allclose(k.xy[key0.visible], (key0.xy[key0.visible] + 0.5) * [2.0, 1.5] - 0.5)
    assert window.scene.sceneRect().width() == 2 * 512
    window.session.undo.undo()
    assert doc.size == (256, 256) and s.pose_layer().poses[0] == before
    assert np.array_equal(doc.layers.first("parsing").data, parsing)
    assert doc.layers.first("result") is not None


def test_import_coco_people_scaled_to_the_canvas(window, tmp_path):
    import json

    from posestudio.core.formats import PoseSet, coco
    from posestudio.core.pose import default_pose

    a, b = default_pose(512, 512), default_pose(512, 512).transformed([[1, 0, 100], [0, 1, 0]])
    (tmp_path / "people.json").write_text(json.dumps(coco.to_json(PoseSet([a, b], 512, 512), "x")))
    window.open_paths([str(tmp_path / "people.json")])
    layer = window.session.pose_layer()
    assert len(layer.poses) == 2 and len(window.scene.skeleton(layer.id).joints) == 2
    # COCO has no neck: the reader derives it; the file's 512x512 canvas is scaled to 256x256
    nose = layer.poses[1].xy[0]
    assert np.allclose(nose, (b.xy[0] + 0.5) / 2 - 0.5, atol=1e-6)
    assert window.session.undo.undoText() == "Import people.json"


def test_fit_zoom_does_not_depend_on_the_scroll_bars(window):
    """A fit measured on the current viewport changed with the scroll bars it made appear;
    with resize re-fitting, the two could chase each other for ever (a hang seen in the suite)."""
    from PySide6.QtCore import QRectF
    from PySide6.QtWidgets import QApplication

    view = window.view
    view.setSceneRect(QRectF(-5000, -5000, 10000, 10000))  # something far off the picture: bars as needed
    zooms = []
    for policy in (Qt.ScrollBarPolicy.ScrollBarAlwaysOff, Qt.ScrollBarPolicy.ScrollBarAsNeeded):
        view.setHorizontalScrollBarPolicy(policy)
        view.setVerticalScrollBarPolicy(policy)
        QApplication.processEvents()
        view.fit()
        zooms.append(view.zoom)
    assert view.horizontalScrollBar().isVisible()
    assert zooms[0] == zooms[1]
    assert view.fitted
