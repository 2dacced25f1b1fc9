"""The open document, its undo stack, file handling and autosave.

The window composes widgets; this object owns what they edit. Every change goes
through ``push(edit)`` onto the one QUndoStack, whose clean state is the
"modified" mark. Opening never blocks on a bad file: problems are ``InputError``
lines sent to ``error``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from posestudio.core import edits, project
from posestudio.core.document import Document
from posestudio.core.edits import Edit, LockedLayerError
from posestudio.core.layers import Layer, PoseLayer
from posestudio.core.pose import Pose
from posestudio.errors import InputError
from posestudio.ui.undo import EditCommand, make_stack

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
POSE_SUFFIXES = {".json", ".csv"}
MAX_FILE_BYTES = 512 << 20  # anything bigger is not a picture or a pose an artist meant to open


def autosave_interval_ms() -> int:
    """Every minute; POSESTUDIO_AUTOSAVE_SECONDS shortens it (tests, the crash test)."""
    try:
        return max(100, int(float(os.environ.get("POSESTUDIO_AUTOSAVE_SECONDS", "60")) * 1000))
    except ValueError:
        return 60_000


class Session(QObject):
    document_replaced = Signal(object)  # Document
    modified_changed = Signal(bool)
    error = Signal(str)
    message = Signal(str)
    autosaved = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.undo = make_stack(self)
        self.undo.cleanChanged.connect(self._clean_changed)
        self.doc: Document = Document.from_image(np.full((512, 384, 3), 255, np.uint8), "Blank")
        self.autosave = project.Autosave()
        self._autosaved_index = 0
        self._timer = QTimer(self)
        self._timer.setInterval(autosave_interval_ms())
        self._timer.timeout.connect(self.autosave_now)
        self._timer.start()

    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # -- edits ---------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo.isClean()

    def push(self, edit: Edit, applied: bool = False) -> bool:
        """Put ``edit`` on the undo stack (applying it unless ``applied``). A locked
        layer refuses content edits with a message; returns whether it was pushed."""
        layer_id = getattr(edit, "layer_id", None)
        if layer_id is not None and not applied and not isinstance(edit, edits.LayerProps):
            try:
                if self.doc.layers.by_id(layer_id).locked:
                    self.error.emit(f"layer {self.doc.layers.by_id(layer_id).name!r} is locked; unlock it to edit")
                    return False
            except KeyError:
                return False
        try:
            self.undo.push(EditCommand(self.doc, edit, applied))
        except LockedLayerError as exc:
            self.error.emit(str(exc))
            return False
        return True

    def pose_layer(self) -> PoseLayer | None:
        return self.doc.pose_layer()

    # -- documents -------------------------------------------------------------------------
    def set_document(self, doc: Document, modified: bool = False) -> None:
        self.doc = doc
        self.undo.clear()
        self._autosaved_index = 0
        self.document_replaced.emit(doc)
        if modified:
            # a recovered document differs from its file: an empty macro makes the stack dirty
            self.undo.push(EditCommand(doc, edits.Compound([], "Recovered from autosave")))
        self.modified_changed.emit(self.modified)

    def open_path(self, path: str | Path) -> bool:
        """Open a project or an image as the document, or import a pose file into it."""
        path = Path(path)
        try:
            if not path.exists():
                raise InputError("no such file", path)
            if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
                raise InputError(f"file is too large ({path.stat().st_size >> 20} MiB)", path)
            suffix = path.suffix.lower()
            if suffix == project.SUFFIX:
                self.set_document(project.load_project(path))
            elif suffix in IMAGE_SUFFIXES:
                img = project.read_image(path)
                self.set_document(Document.from_image(img, path.stem))
            elif suffix in POSE_SUFFIXES:
                self.import_poses(path)
            else:
                raise InputError(f"cannot open {suffix or 'files without an extension'}: use a project (.psproj), "
                                 "an image (PNG, JPEG, WebP) or a pose file (.json, .csv)", path)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        except (OSError, MemoryError) as exc:
            self.error.emit(f"{path}: {exc}")
            return False
        self.message.emit(f"Opened {path.name}")
        return True

    def save(self, path: str | Path | None = None) -> bool:
        path = Path(path) if path else self.doc.path
        if path is None:
            return False
        if path.suffix.lower() != project.SUFFIX:
            path = path.with_suffix(project.SUFFIX)
        try:
            project.save_project(self.doc, path)
        except OSError as exc:
            self.error.emit(f"{path}: could not save ({exc.strerror or exc}); the previous file is unchanged")
            return False
        self.doc.path = path
        self.undo.setClean()
        self.message.emit(f"Saved {path.name}")
        return True

    # -- poses in and out ----------------------------------------------------------------------
    def import_poses(self, path: str | Path) -> None:
        from posestudio.core import formats

        poses = formats.read_poses(path)
        if not poses.people:
            raise InputError("no person in this pose file", path)
        people = poses.people
        if poses.width and poses.height and (poses.width, poses.height) != self.doc.size:
            sx, sy = self.doc.width / poses.width, self.doc.height / poses.height
            people = [p.transformed([[sx, 0, 0], [0, sy, 0]]) for p in people]
        layer = self.pose_layer()
        self.push(edits.SetPoses(layer.id, layer.poses, people, f"Import {Path(path).name}"))

    def export_openpose(self, path: str | Path) -> None:
        from posestudio.core import formats

        formats.write_poses(path, formats.PoseSet(list(self.pose_layer().poses), self.doc.width, self.doc.height),
                            fmt="openpose")

    def export_skeleton_image(self, path: str | Path) -> None:
        from PIL import Image

        from posestudio.core.formats import skeleton_image

        img = skeleton_image.render(list(self.pose_layer().poses), self.doc.width, self.doc.height)
        Image.fromarray(img).save(path)

    # -- autosave ------------------------------------------------------------------------------
    def autosave_now(self) -> None:
        if self.undo.index() == self._autosaved_index:
            return
        try:
            self.autosave.save(self.doc)
        except OSError as exc:
            self.message.emit(f"Autosave failed: {exc}")
            return
        self._autosaved_index = self.undo.index()
        self.autosaved.emit(str(self.autosave.path))

    def recoverable(self) -> list[project.RecoveryEntry]:
        return project.recoverable(self.autosave.directory)

    def recover(self, entry: project.RecoveryEntry) -> bool:
        try:
            doc = entry.load()
        except InputError as exc:
            self.error.emit(f"could not recover: {exc}")
            return False
        entry.discard()
        self.set_document(doc, modified=True)
        self.message.emit("Recovered the autosaved document")
        return True

    def close(self) -> None:
        """Normal exit: this session's autosave is no longer needed."""
        self._timer.stop()
        self.autosave.discard()


def layer_title(layer: Layer) -> str:
    return f"{layer.name} ({layer.kind})"


def pose_or_default(pose: Pose | None, doc: Document) -> Pose:
    from posestudio.core.pose import default_pose

    return pose if pose is not None else default_pose(doc.width, doc.height)
