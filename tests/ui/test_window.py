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
    enter = QDragEnterEvent(pos.toPointF(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
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
