"""Fixtures: the app's real MainWindow on the sample project, with the editing tools installed."""

from __future__ import annotations

import pytest


@pytest.fixture
def ewindow(window):
    from posestudio.ui.editing_tools import install_editing_tools

    install_editing_tools(window)
    window.session.doc.layers.first("parsing").visible = True  # the sample keeps it hidden
    yield window
    window.editing.shutdown()


def image_point(window, x: float, y: float):
    """Viewport position of image point (x, y)."""
    from posestudio.ui.canvas.skeleton_items import to_scene

    return window.view.mapFromScene(to_scene(x, y))
