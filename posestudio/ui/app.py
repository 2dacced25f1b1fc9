"""Start the window: ``posestudio [FILE]``, or ``posestudio --screenshot OUT.png
[FILE]`` to render it offscreen to a PNG (with a generated result) and exit.

Start-up imports nothing heavy: the engine (and torch, only if a torch model is
used) loads after the window is visible."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

T0 = time.perf_counter()


def _no_display() -> bool:
    return sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM") \
        and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")


def _qapp(offscreen: bool):
    if offscreen and _no_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from posestudio.ui import settings

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(settings.ORGANISATION)
    app.setApplicationName(settings.APPLICATION)
    app.setApplicationDisplayName("PoseStudio")
    style = Path(__file__).resolve().parents[2] / "resources" / "style.qss"
    if style.is_file():
        app.setStyleSheet(style.read_text())
    return app


def _models_dir_from_settings() -> None:
    from posestudio.ui import settings

    folder = str(settings.value("engine/models_dir", "") or "")
    if folder and not os.environ.get("POSESTUDIO_MODELS_DIR"):
        os.environ["POSESTUDIO_MODELS_DIR"] = folder


def create_window(project: str | None = None, headless: bool = False):
    from posestudio.ui.main_window import MainWindow

    _models_dir_from_settings()
    window = MainWindow()
    window.headless = headless
    if project:
        window.open_file(project)
    return window


def take_screenshot(window, out: str, generate: bool = True, size=(1400, 860)) -> int:
    """Show ``window`` offscreen, generate synchronously, and save a PNG of it."""
    from PySide6.QtWidgets import QApplication

    window.resize(*size)
    window.show()
    QApplication.processEvents()
    window.view.fit()
    if generate:
        try:
            window.refresh_models()
            window.generation.bridge.engine().force_sync(True)
            window.generate()
        except Exception as exc:  # no engine: the screenshot still shows the canvas
            print(f"posestudio: generation skipped: {exc}", file=sys.stderr)
    for _ in range(5):
        QApplication.processEvents()
    window.view.fit()
    QApplication.processEvents()
    ok = _save_pixmap(window.grab(), out)
    window.ask_to_save = lambda: True  # a screenshot never asks to save
    window.close()
    if not ok:
        print(f"posestudio: error: {out}: could not write the PNG", file=sys.stderr)
        return 2
    return 0


def main(project: str | None = None, screenshot: str | None = None) -> int:
    shot = screenshot
    if shot is None and _no_display():
        print("posestudio: error: no display to open the window on (set DISPLAY, or render offscreen with "
              "--screenshot OUT.png)", file=sys.stderr)
        return 2
    app = _qapp(offscreen=shot is not None)
    window = create_window(project, headless=shot is not None)
    if project and window.last_error:
        print(f"posestudio: error: {window.last_error}", file=sys.stderr)
        if shot is not None:  # a headless run cannot show what went wrong: say it and fail
            window.ask_to_save = lambda: True
            window.close()
            return 2
    if shot is not None:
        return take_screenshot(window, shot)
    window.show()
    from PySide6.QtCore import QTimer

    timing = os.environ.get("POSESTUDIO_LAUNCH_TIMING")
    if timing:
        # first turn of the event loop after show(): the window is on screen
        def report():
            print(f"window visible after {time.perf_counter() - T0:.3f} s in-process; torch imported: "
                  f"{'torch' in sys.modules}", flush=True)
            if timing == "exit":
                window.ask_to_save = lambda: True
                window.close()
                app.quit()

        QTimer.singleShot(0, report)
    QTimer.singleShot(0, window.offer_recovery)
    QTimer.singleShot(50, window.refresh_models)
    return int(app.exec())


def _save_pixmap(pixmap, out) -> bool:
    """Write a QPixmap as PNG atomically; False when Qt cannot encode it or the file cannot be written."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from posestudio.core.formats.atomic import atomic_write_bytes

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not pixmap.save(buf, "PNG"):
        return False
    try:
        atomic_write_bytes(out, bytes(data.data()))
    except OSError:
        return False
    return True
