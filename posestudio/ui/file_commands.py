"""The window's file commands (open, new from image, sample, save, import, replace picture),
crash recovery, the unsaved-changes question and drops on the window: a mixin of
:class:`~posestudio.ui.main_window.MainWindow`, which owns ``session``, ``headless`` and
``ask_to_save``. The document itself is ``session.py``'s."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from posestudio import paths

SAMPLE = "deepfashion_2A.psproj"
OPEN_FILTER = "All supported (*.psproj *.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.json *.csv);;" \
              "Projects (*.psproj);;Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff);;Poses (*.json *.csv)"


class FileCommands:
    def open_paths(self, paths_: list[str]) -> None:
        for p in paths_:
            if Path(p).suffix.lower() in (".psproj", ".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff") \
                    and not self.ask_to_save():
                return
            self.session.open_path(p)

    def open_file(self, path: str) -> bool:
        return self.session.open_path(path)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", "", OPEN_FILTER)
        if path:
            self.open_paths([path])

    def new_from_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "New from image", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)")
        if path:
            self.open_paths([path])

    def open_sample(self) -> None:
        if self.ask_to_save():
            self.session.open_path(paths.resources_dir() / "samples" / SAMPLE)

    def save(self) -> bool:
        if self.session.doc.path is None or self.session.doc.path.parent == paths.resources_dir() / "samples":
            return self.save_as()
        return self.session.save()

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project", str(self.session.suggested_project_path()),
                                              "Projects (*.psproj)")
        return bool(path) and self.session.save(path)

    def import_pose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import pose", "", "Poses (*.json *.csv)")
        if path:
            self.session.open_path(path)

    def replace_picture(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Replace picture", "",
                                              "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)")
        if path:
            self.session.replace_picture(path)

    def import_parsing(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import parsing map", "", "Label maps (*.png)")
        if path:
            self.session.import_parsing(path)

    def _choose_row(self, names: list[str]) -> str | None:
        from PySide6.QtWidgets import QInputDialog

        if self.headless:
            print(f"posestudio: note: the pose file has {len(names)} rows; using the first, {names[0]!r}",
                  file=sys.stderr)
            return names[0]
        name, ok = QInputDialog.getItem(self, "Import pose", "This file has several rows; import:", names, 0, False)
        return name if ok else None

    # -- recovery and closing ----------------------------------------------------------------------------
    def offer_recovery(self, ask=None) -> bool:
        """After a crash: offer the newest autosave. ``ask(text) -> bool`` defaults to a dialog.
        Stale, too old or damaged autosaves are removed with one status line each, never offered."""
        problems: list[str] = []
        entries = self.session.recoverable(problems)
        for line in problems:
            self.statusBar().showMessage(f"Autosave: {line}", 10000)
            print(f"posestudio: autosave: {line}", file=sys.stderr)
        if not entries:
            return False
        entry = entries[0]
        if ask is None:
            def ask(text):
                return QMessageBox.question(self, "Recover", text) == QMessageBox.StandardButton.Yes
        if ask(f"PoseStudio did not close normally. Recover {entry.describe()}?"):
            return self.session.recover(entry)
        entry.discard()
        return False

    def _ask_to_save(self) -> bool:
        """True when it is fine to drop the current document."""
        if not self.session.modified:
            return True
        r = QMessageBox.question(self, "Unsaved changes", "Save the changes to this project first?",
                                 QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                                 | QMessageBox.StandardButton.Cancel)
        if r == QMessageBox.StandardButton.Save:
            return self.save()
        return r == QMessageBox.StandardButton.Discard

    # -- drops on the window (outside the canvas) ------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths_ = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths_:
            event.acceptProposedAction()
            self.open_paths(paths_)
