"""The render dialog: export the timeline as PNG frames, GIF, APNG, WebP or
MP4 through ``sequence.render_sequence`` in a worker thread, with a progress
bar, or its poses as OpenPose JSON / ControlNet skeleton frames (no model
needed). Cancel stops within the current batch; the frames finished so far stay
on disk (every frame is written as PNG as soon as its batch returns, into the
output folder, or ``<name>_frames`` beside an animation file).

The dialog keeps its width whatever the status says (the buttons never move
under the pointer), the output's extension follows the format, the folder is
remembered between renders, and an existing output is replaced only after asking."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
)

from posestudio.core.timeline import Timeline
from posestudio.errors import InputError
from posestudio.ui import settings

FORMAT_TITLES = {"png": "PNG frames (folder)", "gif": "GIF", "apng": "APNG", "webp": "WebP", "mp4": "MP4 (H.264)",
                 "openpose": "OpenPose JSON per frame (folder)", "controlnet": "ControlNet skeleton frames (folder)"}
SUFFIX = {"gif": ".gif", "apng": ".png", "webp": ".webp", "mp4": ".mp4"}
FOLDER_FORMATS = ("png", "openpose", "controlnet")
SKELETON_FORMATS = ("openpose", "controlnet")


@dataclass
class SkeletonRun:
    """What a skeleton export did (the fields the dialog shows, as a render result has them)."""

    frames: list[int]
    seconds: float
    cancelled: bool = False


def output_path(text: str, fmt: str) -> Path:
    """The output for ``fmt``: a folder (no suffix) for frame formats, else the format's suffix."""
    out = Path(text).expanduser()
    if fmt in FOLDER_FORMATS:
        return out.with_suffix("") if out.suffix.lower() in {*SUFFIX.values(), ".gif"} else out
    return out.with_suffix(SUFFIX[fmt])


def existing_output(path: Path, fmt: str) -> bool:
    """Whether rendering to ``path`` would replace files already there."""
    if fmt in FOLDER_FORMATS:
        return path.is_dir() and any(path.glob("frame_*")) or path.is_file()
    return path.exists()


class RenderDialog(QDialog):
    """``finished_render(RenderedSequence)`` on the GUI thread when the worker is done."""

    progressed = Signal(int, int)
    finished_render = Signal(object)
    failed = Signal(str)

    def __init__(self, window, engine_source, parent=None):
        super().__init__(parent or window)
        self.setWindowTitle("Render sequence")
        self.window = window
        self.engine_source = engine_source  # callable -> Engine
        self.cancel_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.result = None
        self.batch = 4
        doc = window.session.doc
        tl = Timeline.from_document(doc)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.confirm_overwrite = self._ask_overwrite  # replaced in tests
        folder = str(settings.value("render/folder", "") or "")
        if not folder or not Path(folder).is_dir():
            folder = str(window.session.home_folder())
        self.path = QLineEdit(str(Path(folder) / f"{window.session.document_stem()}_render"))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form.addRow("Output", row)
        self.format = QComboBox()
        for k, v in FORMAT_TITLES.items():
            self.format.addItem(v, k)
        form.addRow("Format", self.format)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.fps = QDoubleSpinBox()
        self.fps.setRange(1, 240)
        self.fps.setValue(tl.fps)
        form.addRow("Frames per second", self.fps)
        a, b = tl.frame_range() if tl.keyframes else (0, 0)
        self.start, self.end = QSpinBox(), QSpinBox()
        for s, v in ((self.start, a), (self.end, b)):
            s.setRange(0, 100000)
            s.setValue(v)
        rrow = QHBoxLayout()
        rrow.addWidget(self.start)
        rrow.addWidget(QLabel("to"))
        rrow.addWidget(self.end)
        form.addRow("Frames", rrow)
        self.width_, self.height_ = QSpinBox(), QSpinBox()
        for s, v in ((self.width_, doc.width), (self.height_, doc.height)):
            s.setRange(8, 8192)
            s.setValue(v)
        srow = QHBoxLayout()
        srow.addWidget(self.width_)
        srow.addWidget(QLabel("×"))
        srow.addWidget(self.height_)
        form.addRow("Size", srow)
        self.loop = QComboBox()
        self.loop.addItem("repeat forever", 0)
        self.loop.addItem("play once", None)
        self.loop.addItem("ping-pong, forever", "pingpong")
        form.addRow("Loop", self.loop)
        lay.addLayout(form)
        self.bar = QProgressBar()
        self.bar.setRange(0, max(1, b - a + 1))
        self.bar.setValue(0)
        lay.addWidget(self.bar)
        self.status = QLabel("")
        self.status.setWordWrap(True)  # a long path wraps instead of widening the dialog
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumHeight(2 * self.status.fontMetrics().height() + 4)
        lay.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.render_button = self.buttons.addButton("Render", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.render_button.clicked.connect(self.start_render)
        self.cancel_button.clicked.connect(self.cancel)
        lay.addWidget(self.buttons)
        self.progressed.connect(self._progress)
        self.finished_render.connect(self._done)
        self.failed.connect(self._failed)
        self.setFixedWidth(max(520, self.sizeHint().width()))

    def _format_changed(self, _i: int) -> None:
        self.path.setText(str(output_path(self.path.text(), self.format.currentData())))

    def _ask_overwrite(self, path: Path) -> bool:
        what = "folder already holds frames" if path.is_dir() else "file already exists"
        r = QMessageBox.question(self, "Replace?", f"{path}: this {what}. Replace it?",
                                 QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                 QMessageBox.StandardButton.No)
        return r == QMessageBox.StandardButton.Yes

    def _browse(self) -> None:
        fmt = self.format.currentData()
        start = str(output_path(self.path.text(), fmt))
        if fmt in FOLDER_FORMATS:
            path = QFileDialog.getExistingDirectory(self, "Frames folder", str(Path(start).parent))
        else:
            path, _ = QFileDialog.getSaveFileName(self, "Render to", start)
        if path:
            self.path.setText(path)

    # -- options -------------------------------------------------------------------------------
    def options(self) -> dict:
        fmt = self.format.currentData()
        out = output_path(self.path.text(), fmt)
        frames_dir = out if fmt in FOLDER_FORMATS else out.with_name(out.stem + "_frames")
        doc = self.window.session.doc
        size = (self.width_.value(), self.height_.value())
        return {"format": fmt, "path": out, "frames_dir": frames_dir, "fps": self.fps.value(),
                "frames": list(range(self.start.value(), self.end.value() + 1)),
                "size": None if size == doc.size else size, "loop": self.loop.currentData()}

    # -- running -------------------------------------------------------------------------------
    def start_render(self) -> None:
        from posestudio.sequence import SequenceInputs

        if self.thread is not None and self.thread.is_alive():
            return
        opts = self.options()
        doc = self.window.session.doc
        try:
            if not opts["frames"]:
                raise InputError("the frame range is empty")
            tl = Timeline.from_document(doc)
            if not tl.keyframes:
                raise InputError("the timeline has no keyframes: add one in the Timeline dock")
            inputs = SequenceInputs.from_document(doc.snapshot())
        except InputError as exc:
            self.window.show_error(str(exc))
            return
        if existing_output(opts["path"], opts["format"]) and not self.confirm_overwrite(opts["path"]):
            self.status.setText("Not rendered: choose another output or allow replacing it")
            return
        settings.set_value("render/folder", str(opts["path"].parent))
        self.path.setText(str(opts["path"]))
        if opts["format"] in SKELETON_FORMATS:
            tl = Timeline.from_document(doc)  # poses only: no model, no worker needed
            self.thread = threading.Thread(target=self._skeleton_work, args=(tl, doc.width, doc.height, opts),
                                           daemon=True, name="posestudio-render")
            self.render_button.setEnabled(False)
            self.thread.start()
            return
        engine = self.engine_source()
        self.cancel_event.clear()
        self.bar.setRange(0, len(opts["frames"]))
        self.bar.setValue(0)
        self.render_button.setEnabled(False)
        self.status.setText("Rendering…")
        self.thread = threading.Thread(target=self._work, args=(inputs, tl, engine, opts), daemon=True,
                                       name="posestudio-render")
        self.thread.start()

    def _work(self, inputs, tl, engine, opts) -> None:
        from posestudio.sequence import export_images, render_sequence

        try:
            res = render_sequence(inputs, tl, engine, frames=opts["frames"], batch=self.batch,
                                  progress=lambda d, t: self.progressed.emit(d, t), cancel=self.cancel_event,
                                  out_dir=opts["frames_dir"], keep_images=opts["format"] != "png",
                                  size=opts["size"])
            if opts["format"] != "png" and res.frames and not res.cancelled:
                images = list(res.images)
                loop = opts["loop"]
                if loop == "pingpong":
                    images, loop = images + images[-2:0:-1], 0
                export_images(opts["path"], images, opts["format"], fps=opts["fps"], loop=loop)
        except Exception as exc:  # noqa: BLE001 - shown to the user as one line
            self.failed.emit(" ".join(str(exc).split()) or type(exc).__name__)
            return
        self.finished_render.emit(res)

    def _skeleton_work(self, tl, width: int, height: int, opts) -> None:
        from posestudio.sequence import export_skeleton

        t0 = time.perf_counter()
        try:
            paths = export_skeleton(opts["path"], tl, width, height, opts["format"], opts["frames"], opts["size"])
        except (InputError, OSError, ValueError) as exc:
            self.failed.emit(" ".join(str(exc).split()))
            return
        self.finished_render.emit(SkeletonRun(opts["frames"][:len(paths)], time.perf_counter() - t0))

    def cancel(self) -> None:
        """Stop within the current batch (finished frames stay on disk); closes when idle."""
        if self.thread is not None and self.thread.is_alive():
            self.cancel_event.set()
            self.status.setText("Cancelling: finishing the current frame…")
        else:
            self.reject()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setMaximum(total)
        self.bar.setValue(done)
        self.status.setText(f"Frame {done} of {total}")

    def _done(self, res) -> None:
        self.result = res
        self.render_button.setEnabled(True)
        opts = self.options()
        if res.cancelled:
            self.status.setText(f"Cancelled: {len(res.frames)} frames kept in {opts['frames_dir']}")
        else:  # the file the artist asked for (or the folder of frames)
            self.bar.setValue(self.bar.maximum())
            self.status.setText(f"Done: {opts['path']} ({len(res.frames)} frames in {res.seconds:.1f} s)")
        self.cancel_button.setText("Close")
        self.window.statusBar().showMessage(self.status.text(), 8000)

    def _failed(self, message: str) -> None:
        self.render_button.setEnabled(True)
        self.status.setText(f"Failed: {message}")
        self.window.show_error(f"render failed: {message}")

    def wait(self, timeout: float = 60) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def closeEvent(self, ev) -> None:  # noqa: N802
        self.cancel_event.set()
        super().closeEvent(ev)
