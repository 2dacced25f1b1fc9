"""The open document, its undo stack, file handling and autosave.

The window composes widgets; this object owns what they edit. Every change goes
through ``push(edit)`` onto the one QUndoStack, whose clean state is the
"modified" mark. Opening never blocks on a bad file: problems are ``InputError``
lines sent to ``error``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from posestudio import paths
from posestudio.core import edits, project
from posestudio.core.document import Document
from posestudio.core.edits import Edit, LockedLayerError
from posestudio.core.layers import PoseLayer
from posestudio.core.pose import Pose
from posestudio.errors import InputError
from posestudio.ui.session_io import SessionIOMixin, scale_pose
from posestudio.ui.undo import EditCommand, make_stack

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
POSE_SUFFIXES = {".json", ".csv"}
MAX_FILE_BYTES = 512 << 20  # anything bigger is not a picture or a pose an artist meant to open
# The editor keeps the picture, its on-screen copy and thumbnails in memory: 80 megapixels
# (e.g. 10000 x 8000) stays well inside a desktop's memory and opens in seconds.
MAX_EDITOR_PIXELS = 80_000_000


def autosave_interval_ms() -> int:
    """Every minute; POSESTUDIO_AUTOSAVE_SECONDS shortens it (tests, the crash test)."""
    try:
        return max(100, int(float(os.environ.get("POSESTUDIO_AUTOSAVE_SECONDS", "60")) * 1000))
    except ValueError:
        return 60_000


class Session(SessionIOMixin, QObject):
    document_replaced = Signal(object)  # Document
    modified_changed = Signal(bool)
    error = Signal(str)
    message = Signal(str)
    autosaved = Signal(str)
    image_opened = Signal()  # a photo became the document: the window runs detection on it
    _autosave_done = Signal(object, object)  # error or None, state saved; emitted from the saving thread

    def __init__(self, parent=None):
        super().__init__(parent)
        self.undo = make_stack(self)
        self.undo.cleanChanged.connect(self._clean_changed)
        self.doc: Document = Document.from_image(np.full((512, 384, 3), 255, np.uint8), "Blank")
        self.picture_path: Path | None = None
        self.autosave = project.Autosave()
        # changes that are not undo steps (generated results): they make the document
        # modified and due for autosave, but never clear the redo history
        self._extra = 0  # since the last save
        self._extra_total = 0  # ever (autosave compares it)
        self._autosaved_index = (0, 0)
        self._timer = QTimer(self)
        self._timer.setInterval(autosave_interval_ms())
        self._timer.timeout.connect(self.autosave_now)
        self._saver = None  # one background thread for autosaves, made on first use
        self._saving = False
        self._autosave_done.connect(self._autosave_finished)
        self._timer.start()
        # ``follow_up(edit) -> Edit | None`` runs once an edit is applied; what it returns
        # joins the same undo step (the playhead's auto-key)
        self.follow_up = None

    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(self.modified)

    def mark_dirty(self) -> None:
        """Content changed outside the undo stack (a generated result)."""
        self._extra += 1
        self._extra_total += 1
        self.modified_changed.emit(True)

    def _state(self) -> tuple[int, int]:
        return self.undo.index(), self._extra_total

    # -- edits ---------------------------------------------------------------------------
    @property
    def modified(self) -> bool:
        return not self.undo.isClean() or self._extra > 0

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
            if self.follow_up is not None:
                if not applied:
                    self.doc.apply(edit)
                    applied = True
                extra = self.follow_up(edit)
                if extra is not None:
                    self.doc.apply(extra)
                    edit = edits.Compound([edit, extra], edit.text)
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
        self.picture_path = None  # the photo a new document was made from (Save As puts it beside)
        self.undo.clear()
        # a recovered document differs from its file
        self._extra = 1 if modified else 0
        self._autosaved_index = self._state()
        self.document_replaced.emit(doc)
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
                img = project.read_image(path, max_pixels=MAX_EDITOR_PIXELS)
                self.set_document(Document.from_image(img, path.stem))
                self.picture_path = path.resolve()
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
        if path.suffix.lower() in IMAGE_SUFFIXES:
            self.image_opened.emit()
        return True

    def home_folder(self) -> Path:
        """Where dialogs start: the project's folder, else the opened photo's, else the working folder."""
        if self.doc.path is not None and self.doc.path.parent != paths.resources_dir() / "samples":
            return self.doc.path.parent
        if self.picture_path is not None:
            return self.picture_path.parent
        return Path.cwd()

    def document_stem(self) -> str:
        """A file name stem for the document: the project's or the photo's name."""
        for p in (self.doc.path, self.picture_path):
            if p is not None:
                return p.stem
        return "untitled"

    def suggested_project_path(self) -> Path:
        """Save As suggests ``<photo>.psproj`` beside the photo (or the project's own path)."""
        if self.doc.path is not None and self.doc.path.parent != paths.resources_dir() / "samples":
            return self.doc.path
        return self.home_folder() / f"{self.document_stem()}{project.SUFFIX}"

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
        self._extra = 0
        if not self._saving:  # the saved file holds this work now; an autosave of it must not outlive it
            self.autosave.discard()
            self._autosaved_index = self._state()
        self.modified_changed.emit(False)
        self.message.emit(f"Saved {path.name}")
        return True

    def replace_picture(self, path: str | Path) -> bool:
        """Put a new picture under the same poses: poses, keyframes and label maps are
        scaled to the new size instead of being reset (results of the old picture are
        removed). One undo step."""
        import cv2

        from posestudio.core.layers import EdgeLayer, ParsingLayer, PoseLayer, RasterLayer

        path = Path(path)
        try:
            img = project.read_image(path, max_pixels=MAX_EDITOR_PIXELS)
        except InputError as exc:
            self.error.emit(str(exc))
            return False
        doc = self.doc
        image = doc.image_layer()
        (w, h), (w2, h2) = doc.size, (img.shape[1], img.shape[0])
        sx, sy = w2 / w, h2 / h

        def scale(p: Pose) -> Pose:
            return scale_pose(p, sx, sy)

        parts: list = []
        if (w, h) != (w2, h2):
            parts.append(edits.ResizeCanvas((w, h), (w2, h2)))
            for layer in list(doc.layers):
                if isinstance(layer, PoseLayer):
                    parts.append(edits.SetPoses(layer.id, layer.poses, [scale(p) for p in layer.poses]))
                elif isinstance(layer, (ParsingLayer, EdgeLayer)):
                    new = cv2.resize(layer.data, (w2, h2), interpolation=cv2.INTER_NEAREST)
                    parts.append(edits.ReplaceData(layer.id, layer.data.copy(), new))
                elif isinstance(layer, RasterLayer) and layer is not image:
                    parts.append(edits.RemoveLayer(layer, doc.layers.index(layer)))
            for frame, poses in doc.keyframes.items():
                parts.append(edits.SetKeyframe(frame, poses, [scale(p) for p in poses]))
        else:
            for layer in list(doc.layers):
                if layer.kind in ("result", "intermediate"):
                    parts.append(edits.RemoveLayer(layer, doc.layers.index(layer)))
        if image is None:
            from posestudio.core.layers import ImageLayer

            parts.append(edits.AddLayer(ImageLayer(path.stem, img), 0))
        else:
            parts.append(edits.ReplaceData(image.id, image.data.copy(), img))
            parts.append(edits.LayerProps.make(image, name=path.stem))
        # removals first from the top so recorded indexes stay right on undo
        removals = sorted((e for e in parts if isinstance(e, edits.RemoveLayer)), key=lambda e: -e.index)
        rest = [e for e in parts if not isinstance(e, edits.RemoveLayer)]
        if any(l.locked for l in doc.layers if l.kind in ("result", "intermediate")):
            self.error.emit("unlock the result layers first: a new picture makes them stale")
            return False
        ok = self.push(edits.Compound([*removals, *rest], f"Replace picture with {path.name}"))
        if ok:
            self.message.emit(f"Replaced the picture; poses kept{'' if (w, h) == (w2, h2) else ' and scaled'}")
        return ok

    # -- autosave ------------------------------------------------------------------------------
    def autosave_now(self, wait: bool = False) -> None:
        """Autosave if anything changed since the last one. The document is copied here
        (a memory copy) and written by a background thread, so the window never waits
        for PNG compression; ``wait`` blocks until written (tests, closing)."""
        if self._state() == self._autosaved_index or self._saving:
            return
        from concurrent.futures import ThreadPoolExecutor

        if self._saver is None:
            self._saver = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posestudio-autosave")
        taken = time.time()
        snapshot, index = self.doc.snapshot(), self._state()
        self._saving = True

        def write():
            try:
                self.autosave.save(snapshot, taken_at=taken)
            except OSError as exc:
                self._autosave_done.emit(exc, index)
                return
            self._autosave_done.emit(None, index)

        fut = self._saver.submit(write)
        if wait:
            fut.result()

    def _autosave_finished(self, error, index) -> None:
        self._saving = False
        if error is not None:
            self.message.emit(f"Autosave failed: {error}")
            return
        self._autosaved_index = index
        self.autosaved.emit(str(self.autosave.path))

    def recoverable(self, problems: list[str] | None = None) -> list[project.RecoveryEntry]:
        return project.recoverable(self.autosave.directory, problems)

    def recover(self, entry: project.RecoveryEntry) -> bool:
        try:
            doc = entry.load()
        except InputError as exc:
            entry.discard()  # damaged: offering it again at every start would only fail again
            self.error.emit(f"could not recover: {exc}; the autosave was removed")
            return False
        entry.discard()
        self.set_document(doc, modified=True)
        self.message.emit("Recovered the autosaved document")
        return True

    def close(self) -> None:
        """Normal exit: this session's autosave is no longer needed."""
        self._timer.stop()
        if self._saver is not None:
            self._saver.shutdown(wait=True)  # a late write must not recreate the files below
            self._saver = None
        self.autosave.discard()

