"""The Train dock: train a personal model on one character's own pictures or video.

The artist picks the material (a folder of images or a video), the model, the
device and a time budget; Prepare lists the frames kept and left out (and why),
Review poses opens a frame on the canvas to correct its pose, Start runs
``posestudio personal`` as a separate process (``train_run.TrainJob``) and the
dock follows its run folder on a timer: phase, step, progress with ETA, the
live loss and validation curves, the newest sample grid, and at the end the
held-out score table. Cancel writes ``RUN/STOP`` (the child saves and exits 3);
Resume continues. Errors from the child are one line in the dock's message line.

The panel only emits intents (``open_frame``, ``save_pose``, ``use_model``);
``ui/training_dock.py`` wires them to the window's document.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from posestudio.errors import InputError
from posestudio.ui import train_run
from posestudio.ui.panels.edit_panel import WARNING_STYLE
from posestudio.ui.panels.train_curves import TrainCurves
from posestudio.ui.panels.train_setup import TrainSetup
from posestudio.ui.panels.train_views import FramesView, SampleView, ScoreView, WrapLabel

POLL_MS = 200
PHASES = {"prepare": "Preparing", "train": "Training", "score": "Scoring", "done": "Done", "failed": "Failed",
          "cancelled": "Cancelled"}
SETUP, FRAMES, CURVES, SAMPLE, SCORE = range(5)  # the tabs


def eta_text(seconds) -> str:
    if not isinstance(seconds, (int, float)) or seconds < 0:
        return "ETA –"
    s = int(round(seconds))
    return f"ETA {s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else \
        f"ETA {s // 60} min {s % 60:02d} s" if s >= 60 else f"ETA {s} s"


class TrainPanel(QWidget):
    """The buttons, the run's phase and progress and its one message line stay on top (the
    dock shares a short tab group at 1280x800); the choices and the results are tabs."""

    open_frame = Signal(object, int)  # Material, frame index: show it on the canvas
    save_pose = Signal(object, int)  # Material, frame index: the canvas pose goes back into material.json
    use_model = Signal(str)  # the installed personal model's name, for this document
    running_changed = Signal(bool)

    def __init__(self, gpu: bool | None = None, restore: bool = False, parent=None):
        super().__init__(parent)
        self.job: train_run.TrainJob | train_run.AttachedRun | None = None
        self.curves_reader: train_run.CurveReader | None = None
        self.progress: dict = {}
        self.reviewing: int | None = None
        self.material: train_run.Material | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        buttons = QGridLayout()
        self.prepare_button = QPushButton("Prepare")
        self.prepare_button.setToolTip("Find the person and the pose in every frame; list what is kept and left out")
        self.review_button = QPushButton("Review poses")
        self.review_button.setToolTip("Open the selected frame on the canvas to correct its pose")
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train in a separate process; the window stays free")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after saving; Resume continues from there")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue a cancelled run from its last saved step")
        # two rows: one row of five made the dock (and the right column) wider than the generator docks
        for i, b in enumerate((self.prepare_button, self.review_button, self.start_button, self.cancel_button,
                               self.resume_button)):
            buttons.addWidget(b, i // 3, i % 3)
        lay.addLayout(buttons)
        self.prepare_button.clicked.connect(self.prepare)
        self.review_button.clicked.connect(self.review_selected)
        self.start_button.clicked.connect(lambda: self.start())
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        status = QHBoxLayout()
        self.phase = QLabel("Idle")
        self.phase.setObjectName("train_phase")
        status.addWidget(self.phase)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        status.addWidget(self.bar, 1)
        lay.addLayout(status)
        self.message = WrapLabel("")
        self.message.setObjectName("train_message")
        lay.addWidget(self.message)
        self.setup = TrainSetup(gpu)
        self.setup.run_changed.connect(self.load_run)
        self.frames = FramesView()
        self.frames.open_requested.connect(self.review)
        self.save_pose_button = QPushButton("Save pose to material")
        self.save_pose_button.setToolTip("Write the canvas pose back as this frame's pose (used by the next start)")
        self.save_pose_button.setEnabled(False)
        self.save_pose_button.clicked.connect(self._save_pose)
        self.frames.layout().addWidget(self.save_pose_button)
        self.curves = TrainCurves()
        self.sample = SampleView()
        self.score = ScoreView()
        self.score.use_requested.connect(lambda: self.use_model.emit(self.setup.model_name()))
        self.tabs = QTabWidget()
        for widget, title in ((self.setup, "Setup"), (self.frames, "Frames"), (self.curves, "Curves"),
                              (self.sample, "Sample"), (self.score, "Score")):
            self.tabs.addTab(widget, title)
        lay.addWidget(self.tabs, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._update_buttons()
        if restore and self.setup.restore():
            self.load_run()

    # -- choices ---------------------------------------------------------------------------------
    def set_source(self, path) -> None:
        self.setup.set_source(path)

    def run_path(self):
        return self.setup.run_path()

    # -- messages --------------------------------------------------------------------------------
    def show_message(self, text: str, warning: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(WARNING_STYLE if warning and text else "")

    @property
    def running(self) -> bool:
        return self.job is not None

    def _update_buttons(self) -> None:
        busy = self.running
        progress = train_run.read_json(self.run_path() / "progress.json") if self.run_path() else None
        resumable = bool(progress) and progress.get("phase") in ("cancelled", "failed", "train")
        self.setup.set_editable(not busy)
        for w in (self.prepare_button, self.start_button):
            w.setEnabled(not busy)
        self.review_button.setEnabled(not busy and self.material is not None and bool(self.material.frames))
        self.cancel_button.setEnabled(busy and not self.job.prepare_only)
        self.resume_button.setEnabled(not busy and resumable)
        self.save_pose_button.setEnabled(not busy and self.reviewing is not None)

    # -- the run folder --------------------------------------------------------------------------
    def load_run(self) -> None:
        """Show what an existing run folder holds: its material, its progress, its score."""
        run = self.run_path()
        if run is None or self.running:
            return
        self.material = None
        if (run / "material.json").is_file():
            try:
                self._show_material(train_run.read_material(run))
            except InputError as exc:
                self.show_message(str(exc), warning=True)
        progress = train_run.read_json(run / "progress.json")
        if progress:
            self._show_progress(progress)
        self.curves.clear()
        self.curves_reader = train_run.CurveReader(run / "curves.jsonl")
        self.curves.add(self.curves_reader.read_new())
        self.score.clear_score()
        score = train_run.read_json(run / "score.json")
        if score:
            self.score.show_score(score)
        pid = self.setup.remembered_pid() if run == self.setup.remembered_run() else None
        if train_run.AttachedRun.going_on(run, pid):  # kept training when a window closed: follow it
            self.job = train_run.AttachedRun(run, pid)
            self.timer.start()
            self.show_message("Following a run that goes on in the background (Cancel stops it)")
            self.tabs.setCurrentIndex(CURVES)
            self.running_changed.emit(True)
        self._update_buttons()

    def _show_material(self, material: train_run.Material) -> None:
        self.material = material
        self.frames.show_material(material)

    # -- jobs ------------------------------------------------------------------------------------
    def _command(self, prepare_only: bool = False, resume: bool = False) -> list[str] | None:
        source, run = self.setup.source.text().strip(), self.run_path()
        if not source and not (resume and run is not None):
            self.show_message("Choose the material first: a folder of pictures or a video", warning=True)
            return None
        if run is None:
            self.show_message("Choose a run folder first", warning=True)
            return None
        if not source and self.material is not None:
            source = self.material.raw.get("source", "")
        return self.setup.command(source, prepare_only=prepare_only, resume=resume)

    def _launch(self, cmd: list[str], prepare_only: bool) -> bool:
        try:
            self.job = train_run.TrainJob(cmd, self.run_path(), prepare_only=prepare_only)
        except OSError as exc:
            self.show_message(f"{self.run_path()}: could not start training ({exc.strerror or exc})", warning=True)
            return False
        self.setup.remember(self.job.pid)
        self.curves_reader = train_run.CurveReader(self.run_path() / "curves.jsonl")
        self.progress = {}
        self.timer.start()
        self._update_buttons()
        self.running_changed.emit(True)
        return True

    def prepare(self) -> bool:
        """Run ``--prepare-only``: the frames kept and left out appear in the Frames tab."""
        cmd = self._command(prepare_only=True)
        if cmd is None:
            return False
        self.show_message("Preparing the material…")
        self.phase.setText("Preparing")
        self.bar.setRange(0, 0)
        return self._launch(cmd, prepare_only=True)

    def start(self, resume: bool = False) -> bool:
        """Start (or, with ``resume``, continue) training in a separate process."""
        cmd = self._command(resume=resume)
        if cmd is None:
            return False
        if not resume:
            self.curves.clear()
            self.sample.clear_sample()
            self.score.clear_score()
        self.reviewing = None
        self.show_message("Resuming…" if resume else "Starting…")
        if not self._launch(cmd, prepare_only=False):
            return False
        if resume:  # the curve so far, then only what the resumed run adds
            self.curves.clear()
            self.curves.add(self.curves_reader.read_new())
        self.tabs.setCurrentIndex(CURVES)
        return True

    def cancel(self) -> None:
        """Ask the run to save and stop (``RUN/STOP``); it exits 3 and Resume continues."""
        if self.job is not None:
            self.job.stop()
            self.show_message("Cancelling: the run saves, then stops…")

    def poll(self) -> None:
        """Follow the run folder and the child: progress, new curve points, the sample, the end."""
        job = self.job
        if job is None:
            self.timer.stop()
            return
        code = job.poll()  # before reading the files: what an ended child wrote is all there
        progress = train_run.read_json(job.run / "progress.json")
        if progress and progress != self.progress and not job.prepare_only:
            self._show_progress(progress)
        if self.curves_reader is not None and not job.prepare_only:
            self.curves.add(self.curves_reader.read_new())
        if code is not None:
            self._finished(job, code)

    def _show_progress(self, p: dict) -> None:
        self.progress = p
        phase, step, steps = p.get("phase", ""), p.get("step"), p.get("steps")
        text = PHASES.get(phase, phase.capitalize() or "Running")
        if isinstance(step, (int, float)) and isinstance(steps, (int, float)) and steps > 0:
            text += f" · step {int(step)}/{int(steps)}"
            self.bar.setRange(0, int(steps))
            self.bar.setValue(int(min(step, steps)))
            self.bar.setFormat(f"%p% · {eta_text(p.get('eta_s'))}" if phase in ("train", "score") else "%p%")
        if p.get("device"):
            text += f" · {p['device']}"
        self.phase.setText(text)
        if p.get("message") and self.running:
            self.show_message(" ".join(str(p["message"]).split()))
        if p.get("sample") and self.run_path() is not None:
            self.sample.show_file(self.run_path() / p["sample"])

    def _finished(self, job: train_run.TrainJob, code: int) -> None:
        self.timer.stop()
        self.job = None
        self.setup.remember()  # no process to follow any more
        error = job.error_line()
        job.cleanup()
        if job.prepare_only:
            self.bar.setRange(0, 1)
            self.bar.setValue(1 if code == 0 else 0)
        if code == train_run.EXIT_DONE:
            self._done(job)
        elif code == train_run.EXIT_CANCELLED:
            step, steps = self.progress.get("step", "?"), self.progress.get("steps", "?")
            self.phase.setText(f"Cancelled · step {step}/{steps}")
            self.show_message(f"Cancelled at step {step} of {steps}, saved: Resume continues from there")
        else:
            self.phase.setText("Failed" if code != train_run.EXIT_BAD_INPUT else "Stopped: bad input")
            self.show_message(error or f"training stopped unexpectedly (exit code {code})", warning=True)
        self._update_buttons()
        self.running_changed.emit(False)

    def _done(self, job: train_run.TrainJob) -> None:
        if job.prepare_only:
            try:
                self._show_material(train_run.read_material(job.run))
            except InputError as exc:
                self.phase.setText("Failed")
                self.show_message(str(exc), warning=True)
                return
            self.phase.setText("Prepared")
            self.show_message("Check the poses: double-click a frame (or Review poses) to correct one on the "
                              "canvas; then Start")
            self.tabs.setCurrentIndex(FRAMES)
            return
        score = train_run.read_json(job.run / "score.json")
        if score is None:
            self.show_message("The run ended without a score (score.json is missing)", warning=True)
            return
        self.score.show_score(score)
        engine = score.get("engine") or {}
        if isinstance(engine.get("ssim"), (int, float)) and isinstance(engine.get("psnr"), (int, float)):
            self.curves.show_engine(engine["ssim"], engine["psnr"])
        self.tabs.setCurrentIndex(SCORE)

    # -- reviewing poses -------------------------------------------------------------------------
    def review_selected(self) -> None:
        index = self.frames.selected()
        if index is not None:
            self.review(index)

    def review(self, index: int) -> None:
        if self.material is None or self.running:
            return
        self.reviewing = index
        self.open_frame.emit(self.material, index)
        self._update_buttons()

    def _save_pose(self) -> None:
        if self.material is not None and self.reviewing is not None:
            self.save_pose.emit(self.material, self.reviewing)
