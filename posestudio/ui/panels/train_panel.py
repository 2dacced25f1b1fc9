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

from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from posestudio.errors import InputError
from posestudio.ui import train_run
from posestudio.ui.panels.edit_panel import WARNING_STYLE
from posestudio.ui.panels.train_curves import TrainCurves
from posestudio.ui.panels.train_views import FramesView, SampleView, ScoreView

MODELS = {"refine": "Personal refiner (light)", "scmnet": "SCM-Net, self-supervised"}
VIDEO_FILTER = "Videos (*.mp4 *.mov *.m4v *.avi *.mkv *.webm *.gif)"
POLL_MS = 200
PHASES = {"prepare": "Preparing", "train": "Training", "score": "Scoring", "done": "Done", "failed": "Failed",
          "cancelled": "Cancelled"}


def eta_text(seconds) -> str:
    if not isinstance(seconds, (int, float)) or seconds < 0:
        return "ETA –"
    s = int(round(seconds))
    return f"ETA {s // 3600} h {s % 3600 // 60:02d} min" if s >= 3600 else \
        f"ETA {s // 60} min {s % 60:02d} s" if s >= 60 else f"ETA {s} s"


class TrainPanel(QWidget):
    open_frame = Signal(object, int)  # Material, frame index: show it on the canvas
    save_pose = Signal(object, int)  # Material, frame index: the canvas pose goes back into material.json
    use_model = Signal(str)  # the installed personal model's name, for this document
    running_changed = Signal(bool)

    def __init__(self, gpu: bool | None = None, parent=None):
        super().__init__(parent)
        self.job: train_run.TrainJob | None = None
        self.curves_reader: train_run.CurveReader | None = None
        self.progress: dict = {}
        self.reviewing: int | None = None
        self.material: train_run.Material | None = None
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.source = QLineEdit()
        self.source.setPlaceholderText("a folder of pictures or a video")
        self.source.setToolTip("The character's own material: a turnaround sheet, photos, a short video")
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        self.folder_button = QPushButton("Folder…")
        self.folder_button.clicked.connect(self.choose_folder)
        self.video_button = QPushButton("Video…")
        self.video_button.clicked.connect(self.choose_video)
        row.addWidget(self.folder_button)
        row.addWidget(self.video_button)
        form.addRow("Material", row)
        self.model = QComboBox()
        for key, title in MODELS.items():
            self.model.addItem(title, key)
        self.model.setToolTip("The refiner learns to correct the weight-free engine's output (fast); SCM-Net "
                              "learns the character from single pictures, with no pairs (slower)")
        form.addRow("Model", self.model)
        self.device = QComboBox()
        self.device.addItem("Auto", "auto")
        self.device.addItem("CPU", "cpu")
        if train_run.gpu_present() if gpu is None else gpu:
            self.device.addItem("GPU", "cuda")
        self.device.setToolTip("Auto: the GPU when there is one, else the CPU")
        form.addRow("Device", self.device)
        self.minutes = QSpinBox()
        self.minutes.setRange(1, 24 * 60)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.minutes.setToolTip("Training time budget (preparation and scoring come on top)")
        form.addRow("Time budget", self.minutes)
        self.run_folder = QLineEdit()
        self.run_folder.setPlaceholderText("where the run keeps its frames, curves and model")
        self.run_folder.editingFinished.connect(self.load_run)
        rrow = QHBoxLayout()
        rrow.addWidget(self.run_folder, 1)
        self.run_button = QPushButton("…")
        self.run_button.clicked.connect(self.choose_run)
        rrow.addWidget(self.run_button)
        form.addRow("Run folder", rrow)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.prepare_button = QPushButton("Prepare")
        self.prepare_button.setToolTip("Find the person and the pose in every frame; list what is kept and left out")
        self.review_button = QPushButton("Review poses")
        self.review_button.setToolTip("Open the selected frame on the canvas to correct its pose")
        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after saving; Resume continues from there")
        self.resume_button = QPushButton("Resume")
        for b in (self.prepare_button, self.review_button, self.start_button, self.cancel_button, self.resume_button):
            buttons.addWidget(b)
        lay.addLayout(buttons)
        self.prepare_button.clicked.connect(self.prepare)
        self.review_button.clicked.connect(self.review_selected)
        self.start_button.clicked.connect(lambda: self.start())
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.phase = QLabel("Idle")
        self.phase.setObjectName("train_phase")
        lay.addWidget(self.phase)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat("%p%")
        lay.addWidget(self.bar)
        self.message = QLabel("")
        self.message.setObjectName("train_message")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.tabs = QTabWidget()
        self.frames = FramesView()
        self.frames.open_requested.connect(self.review)
        self.save_pose_button = QPushButton("Save pose to material")
        self.save_pose_button.setToolTip("Write the canvas pose back as this frame's pose (used by the next start)")
        self.save_pose_button.setEnabled(False)
        self.save_pose_button.clicked.connect(self._save_pose)
        self.frames.layout().addWidget(self.save_pose_button)
        self.tabs.addTab(self.frames, "Frames")
        curves_tab = QWidget()
        cl = QVBoxLayout(curves_tab)
        cl.setContentsMargins(0, 0, 0, 0)
        self.curves = TrainCurves()
        self.sample = SampleView()
        cl.addWidget(self.curves, 3)
        cl.addWidget(self.sample, 2)
        self.tabs.addTab(curves_tab, "Curves")
        self.score = ScoreView()
        self.score.use_requested.connect(lambda: self.use_model.emit(self.model_name()))
        self.tabs.addTab(self.score, "Score")
        lay.addWidget(self.tabs, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._update_buttons()

    # -- choices ---------------------------------------------------------------------------------
    def set_source(self, path: str | Path) -> None:
        """Use ``path`` as material; an empty run folder gets ``<name>_personal`` beside it."""
        path = Path(path)
        self.source.setText(str(path))
        if not self.run_folder.text().strip():
            self.run_folder.setText(str(path.parent / f"{path.stem or path.name}_personal"))
            self.load_run()

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Material: a folder of pictures")
        if path:
            self.set_source(path)

    def choose_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Material: a video", "", VIDEO_FILTER)
        if path:
            self.set_source(path)

    def choose_run(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Run folder")
        if path:
            self.run_folder.setText(path)
            self.load_run()

    def run_path(self) -> Path | None:
        text = self.run_folder.text().strip()
        return Path(text).expanduser() if text else None

    def model_name(self) -> str:
        """The name the run installs its model under (passed as ``--name``): the run folder's."""
        run = self.run_path()
        return run.name if run is not None else "personal"

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
        for w in (self.prepare_button, self.start_button, self.source, self.folder_button, self.video_button,
                  self.model, self.device, self.minutes, self.run_folder, self.run_button):
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
        score = train_run.read_json(run / "score.json")
        if score:
            self.score.show_score(score)
        self._update_buttons()

    def _show_material(self, material: train_run.Material) -> None:
        self.material = material
        self.frames.show_material(material)

    # -- jobs ------------------------------------------------------------------------------------
    def _command(self, prepare_only: bool = False, resume: bool = False) -> list[str] | None:
        source, run = self.source.text().strip(), self.run_path()
        if not source and not (resume and run is not None):
            self.show_message("Choose the material first: a folder of pictures or a video", warning=True)
            return None
        if run is None:
            self.show_message("Choose a run folder first", warning=True)
            return None
        if not source and self.material is not None:
            source = self.material.raw.get("source", "")
        return train_run.personal_command(source, run, model=self.model.currentData(), minutes=self.minutes.value(),
                                          device=self.device.currentData(), resume=resume, prepare_only=prepare_only,
                                          name=self.model_name())

    def _launch(self, cmd: list[str], prepare_only: bool) -> bool:
        try:
            self.job = train_run.TrainJob(cmd, self.run_path(), prepare_only=prepare_only)
        except OSError as exc:
            self.show_message(f"{self.run_path()}: could not start training ({exc.strerror or exc})", warning=True)
            return False
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
        self.tabs.setCurrentIndex(1)
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
            self.show_message(self.frames.summary.text())
            self.tabs.setCurrentIndex(0)
            return
        score = train_run.read_json(job.run / "score.json")
        if score is None:
            self.show_message("The run ended without a score (score.json is missing)", warning=True)
            return
        self.score.show_score(score)
        engine = score.get("engine") or {}
        if isinstance(engine.get("ssim"), (int, float)) and isinstance(engine.get("psnr"), (int, float)):
            self.curves.show_engine(engine["ssim"], engine["psnr"])
        self.tabs.setCurrentIndex(2)

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
