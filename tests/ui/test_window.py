from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from posestudio import paths
from posestudio.ui import actions, settings


def test_clean_state_drives_modified_mark_and_close_prompt(window, qtbot):
    asked = []
    window.ask_to_save = lambda: asked.append(1) or False  # user presses Cancel
    window.actions["mirror_pose"].trigger()
    assert window.isWindowModified()
    window.close()
    assert asked and window.isVisible()  # close refused
    window.session.undo.undo()
    assert not window.isWindowModified()
    window.ask_to_save = window._ask_to_save  # the real one: clean, so no dialog
    assert window.close() and not window.isVisible()


def test_settings_live_in_posestudio_home_and_keep_layout(window, home_dir):
    s = settings.settings()
    assert s.fileName() == str(paths.config_dir() / "posestudio.ini")
    assert str(home_dir) in s.fileName()
    window.docks["library"].hide()
    window.ask_to_save = lambda: True
    window.close()
    assert settings.settings().value("window/state") is not None
    from posestudio.ui.main_window import MainWindow

    again = MainWindow()
    again.ask_to_save = lambda: True
    qtbot_widgets = [again]
    assert again.docks["library"].isHidden()
    for w in qtbot_widgets:
        w.close()


def test_every_action_has_a_tooltip_and_common_ones_have_shortcuts(window):
    for spec in actions.SPECS:
        assert window.actions[spec.name].toolTip(), spec.name
    for name in ("open", "save", "undo", "redo", "select_all", "zoom_fit", "generate", "hide_joints", "mirror_pose"):
        assert not window.actions[name].shortcut().isEmpty(), name
    assert window.actions["generate"].shortcut().toString() == "Ctrl+Return"


def test_dropping_files_on_the_canvas_opens_them(window, qtbot, samples_dir):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(samples_dir / "3_A.jpg"))])
    vp = window.view.viewport()
    pos = QPoint(50, 50)
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    ev = QDropEvent(pos.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, ev)
    doc = window.session.doc
    assert doc.image_layer().name == "3_A" and doc.size == (256, 256)
    assert doc.pose_layer().poses[0].visible.all()  # default pose fitted to the picture


def test_preferences_are_stored(window):
    from posestudio.ui.preferences import PreferencesDialog

    dlg = PreferencesDialog(window)
    dlg.device.setCurrentIndex(dlg.device.findData("cpu"))
    dlg.store()
    assert settings.value("engine/device") == "cpu"
    dlg.device.setCurrentIndex(dlg.device.findData("auto"))
    dlg.store()


def test_commands_without_a_pose_layer_give_messages_not_crashes(window, tmp_path):
    import pytest

    from posestudio.errors import InputError

    doc = window.session.doc
    layer = doc.pose_layer()
    window.layers_panel.tree.setCurrentIndex(window.layers_panel.model.index(
        window.layers_panel.model.row_of(layer), 2))
    window.layers_panel.delete_current()
    assert doc.pose_layer() is None
    for name in ("mirror_pose", "hide_joints", "restore_joints", "select_all", "add_person", "rotate_left",
                 "set_keyframe", "generate"):
        window.actions[name].trigger()
    with pytest.raises(InputError):
        window.session.export_openpose(tmp_path / "x.json")
    window.session.undo.undo()
    assert doc.pose_layer() is layer


def test_wheel_zooms_about_the_mouse(window, qtbot):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    view = window.view
    view.set_zoom(4.0)
    view.centerOn(128, 128)  # room to scroll in every direction
    z0 = view.zoom
    c = view.viewport().rect().center()
    pos = QPointF(c.x() + 50, c.y() + 40)
    scene_before = view.mapToScene(pos.toPoint())
    ev = QWheelEvent(pos, view.viewport().mapToGlobal(pos), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), ev)
    assert abs(view.zoom - z0 * 1.25) < 1e-9
    after = view.mapToScene(pos.toPoint())
    assert abs(after.x() - scene_before.x()) < 2 / view.zoom + 1 and abs(after.y() - scene_before.y()) < 2 / view.zoom + 1


def test_sample_project_opens_from_the_menu(window):
    window.open_file(str(paths.resources_dir() / "samples" / "deepfashion_2A.psproj"))
    window.actions["mirror_pose"].trigger()
    window.session.undo.setClean()
    window.actions["open_sample"].trigger()
    doc = window.session.doc
    assert doc.path.name == "deepfashion_2A.psproj" and doc.image_layer().name.startswith("2_A")
    assert sorted(doc.keyframes) == [0, 24] and doc.source_pose() is not None


def test_pose_library_is_stored_in_the_config_folder(window):
    from posestudio.ui.panels.pose_library import PoseLibrary, library_path

    window.save_to_library("kept")
    assert library_path().parent == paths.config_dir() and library_path().is_file()
    assert "kept" in PoseLibrary().poses  # a fresh library reads it back


def test_history_dock_jumps_back(window):
    history = window.docks["history"].widget()
    for _ in range(3):
        window.actions["rotate_left"].trigger()
    assert history.model().rowCount() == 4  # "Opened" + 3 steps
    history.setCurrentIndex(history.model().index(1, 0))
    assert window.session.undo.index() == 1
