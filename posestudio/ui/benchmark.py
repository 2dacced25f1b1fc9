"""App timings for docs/PERFORMANCE.md ("App" section).

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m posestudio.ui.benchmark [--json OUT.json]
    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python -m posestudio.ui.benchmark   # a real X server

1. launch: wall time from spawning ``python -m posestudio SAMPLE`` to the
   first event-loop turn after the window is shown (median of 3), and whether
   torch was imported by then;
2. drag: time per canvas update while dragging a joint: one mouse-move event
   through the view (pose math, document event, item moves) and then the event
   loop until idle, which paints the dirty region (what a user sees), over 200
   moves, with live preview off and on; plus the worst case of forcing a
   repaint of the whole viewport after each move.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from posestudio import paths

SAMPLE = paths.resources_dir() / "samples" / "deepfashion_2A.psproj"


def launch_times(runs: int = 3) -> dict:
    out, torch_seen = [], []
    env = dict(os.environ, POSESTUDIO_LAUNCH_TIMING="exit")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-m", "posestudio", str(SAMPLE)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, env=env)
        for line in p.stdout:
            if line.startswith("window visible"):
                out.append(time.perf_counter() - t0)
                torch_seen.append("torch imported: True" in line)
                break
        p.wait(60)
    return {"qt_platform": env.get("QT_QPA_PLATFORM") or "xcb/wayland (display)",
            "launch_to_visible_s_median": round(statistics.median(out), 3), "launch_runs_s": [round(x, 3) for x in out],
            "torch_imported_at_startup": any(torch_seen)}


def drag_times(moves: int = 200) -> dict:
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from posestudio.ui.app import _qapp
    from posestudio.ui.main_window import MainWindow

    app = _qapp(True)
    w = MainWindow()
    w.resize(1400, 860)
    w.show()
    w.open_file(str(SAMPLE))
    w.view.fit()
    app.processEvents()
    results = {}
    for live in (False, True):
        w.generator_panel.live.setChecked(live)
        app.processEvents()
        layer = w.session.pose_layer()
        item = w.scene.joint_item(layer.id, 0, 4)
        start = w.view.mapFromScene(item.scenePos())
        vp = w.view.viewport()
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        times, full = [], []
        for i in range(moves):
            p = start + QPoint(int(40 * ((i % 20) / 20.0)), int(-30 * ((i % 20) / 20.0)))
            t0 = time.perf_counter()
            QTest.mouseMove(vp, p)
            app.processEvents()  # paints the dirty region; previews land here too
            times.append((time.perf_counter() - t0) * 1000)
            if i % 4 == 0:
                t0 = time.perf_counter()
                QTest.mouseMove(vp, p + QPoint(1, 1))
                vp.repaint()
                full.append((time.perf_counter() - t0) * 1000)
                app.processEvents()
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
        times.sort()
        key = "live_preview_on" if live else "live_preview_off"
        results[key] = {"median_ms": round(statistics.median(times), 2),
                        "p95_ms": round(times[int(0.95 * len(times))], 2), "max_ms": round(times[-1], 2),
                        "full_viewport_repaint_median_ms": round(statistics.median(full), 2)}
    w.generator_panel.live.setChecked(False)
    deadline = time.time() + 30
    while w.generation.bridge.pending and time.time() < deadline:
        app.processEvents()
    w.ask_to_save = lambda: True
    w.close()
    QApplication.processEvents()
    return {"drag_update": results, "viewport": [w.view.viewport().width(), w.view.viewport().height()],
            "zoom": round(w.view.zoom, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)
    res = {**launch_times(), **drag_times()}
    text = json.dumps(res, indent=1)
    print(text)
    if args.json:
        from posestudio.core.formats.atomic import atomic_write_bytes

        atomic_write_bytes(args.json, text.encode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
