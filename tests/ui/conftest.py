"""UI test fixtures: an offscreen main window on the shipped sample project."""

from __future__ import annotations

from pathlib import Path

import pytest

import posestudio.ui  # noqa: F401  (applies the PySide6 6.12.0 workaround before any Qt call)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "resources" / "samples" / "deepfashion_2A.psproj"


@pytest.fixture
def sample_project() -> Path:
    assert SAMPLE.is_file(), "run resources/samples/make_sample.py"
    return SAMPLE


@pytest.fixture
def window(qtbot, sample_project):
    from posestudio.ui.main_window import MainWindow

    w = MainWindow()
    w.ask_to_save = lambda: True  # never block on a dialog
    qtbot.addWidget(w)
    w.resize(1100, 760)
    w.show()
    qtbot.waitExposed(w)
    assert w.open_file(str(sample_project)), w.last_error
    w.view.fit()
    qtbot.wait(10)
    yield w
    w.generation.shutdown()


def joint_point(window, joint: int, person: int = 0):
    """Viewport position of a joint of the target pose layer."""
    layer = window.session.pose_layer()
    item = window.scene.joint_item(layer.id, person, joint)
    return window.view.mapFromScene(item.scenePos())


def drag(qtbot, view, start, end, steps: int = 6, modifier=None):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    mod = modifier or Qt.KeyboardModifier.NoModifier
    vp = view.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, mod, start)
    for i in range(1, steps + 1):
        p = QPoint(start.x() + (end.x() - start.x()) * i // steps, start.y() + (end.y() - start.y()) * i // steps)
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, mod, end)


@pytest.fixture
def editing_window(window):
    """The window with its editing tools (timeline, render dialog …) installed, as after its first show."""
    from posestudio.ui.editing_tools import install_editing_tools

    install_editing_tools(window)
    yield window
    window.editing.shutdown()
