"""File > Export Image (composite, result, OpenRaster), Export Layer and the rest of the
layer context menu (duplicate, merge down, delete, properties), Save As beside the photo."""

from __future__ import annotations

import numpy as np
from PIL import Image

from posestudio.core.formats import ora
from posestudio.ui.panels import layer_menu


def _row(model, kind):
    return next(r for r in range(model.rowCount()) if model.layer_at(r).kind == kind)


def test_file_menu_has_export_image_and_it_writes_composite_and_ora(window, tmp_path):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    assert window.actions["export_image"] in file_menu.actions()
    doc = window.session.doc
    assert window.export_image(str(tmp_path / "flat.png"), "composite")
    flat = np.asarray(Image.open(tmp_path / "flat.png"))
    photo = doc.layers.first("image").data
    assert flat.shape[:2] == photo.shape[:2]
    assert 0 < (np.abs(flat[:, :, :3].astype(int) - photo[:, :, :3]).sum(axis=2) > 30).mean() < 0.2
    assert window.export_image(str(tmp_path / "stack"), "layers")
    back = ora.read(tmp_path / "stack.ora")
    assert len(back.layers) == len(doc.layers) and back.width == doc.width
    assert not window.export_image(str(tmp_path / "r.png"), "result")  # nothing generated yet
    assert "Generate first" in window.last_error


def test_export_result_after_generate(window, qtbot, tmp_path):
    window.generate()
    qtbot.waitUntil(lambda: window.session.doc.layers.first("result") is not None, timeout=60000)
    assert window.export_image(str(tmp_path / "result.png"), "result")
    res = window.session.doc.layers.first("result").data
    assert np.array_equal(np.asarray(Image.open(tmp_path / "result.png"))[:, :, :3], res[:, :, :3])


def test_context_menu_duplicate_merge_export_delete_properties(window, tmp_path):
    panel, doc = window.layers_panel, window.session.doc
    names = [a.text() for a in panel.context_menu(doc.layers.first("parsing")).actions() if a.text()]
    assert names == ["Duplicate", "Merge Down", "Export Layer…", "Delete", "Properties…"]
    parsing = doc.layers.first("parsing")
    n = len(doc.layers)
    assert layer_menu.duplicate(panel, parsing)
    copy = doc.layers[doc.layers.index(parsing) + 1]
    assert len(doc.layers) == n + 1 and copy.name.endswith("copy") and copy.id != parsing.id
    assert np.array_equal(copy.data, parsing.data) and copy.data is not parsing.data
    copy.data[:20] = 3  # paint a band of label 3 into the copy, then merge it down
    assert layer_menu.merge_down(panel, copy)
    assert len(doc.layers) == n and (parsing.data[:20] == 3).all()
    window.session.undo.undo()
    assert len(doc.layers) == n + 1 and not (parsing.data[:20] == 3).all()
    # Export Layer… asks the window (here with a path, as the dialog would give)
    assert window.export_layer(copy, str(tmp_path / "labels.png"))
    assert np.asarray(Image.open(tmp_path / "labels.png")).shape == (doc.height, doc.width, 4)
    # merging a parsing map into the photo is refused with one line
    image = doc.layers.first("image")
    above_image = doc.layers[doc.layers.index(image) + 1]
    assert above_image.kind == "parsing" and not layer_menu.merge_down(panel, above_image)
    assert "cannot merge" in window.last_error
    menu = {a.text(): a for a in panel.context_menu(above_image).actions()}
    assert not menu["Merge Down"].isEnabled() and panel.context_menu(copy).actions()[1].isEnabled()
    dlg = layer_menu.properties(panel, copy, exec_=False)
    dlg.name.setText("Garments 2")
    dlg.opacity.setValue(30)
    dlg.locked.setChecked(True)
    steps = window.session.undo.index()
    dlg.apply(panel)
    assert copy.name == "Garments 2" and abs(copy.opacity - 0.3) < 1e-9 and copy.locked
    assert window.session.undo.index() == steps + 1  # name and opacity; the lock is not an undo step


def test_save_as_suggests_the_photo_name_beside_the_photo(window, samples_dir, tmp_path):
    import shutil

    photo = tmp_path / "shoot" / "anna.jpg"
    photo.parent.mkdir()
    shutil.copy(samples_dir / "2_A.jpg", photo)
    assert window.open_file(str(photo))
    assert window.session.suggested_project_path() == photo.with_suffix(".psproj")
