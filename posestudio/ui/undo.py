"""One QUndoStack over the document's reversible edit records (core.edits).

Each ``EditCommand`` wraps one record; a mouse drag is applied live while the
mouse moves and pushed as one command on release (``applied=True``: the first
redo is skipped because the document already shows it)."""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand, QUndoStack

from posestudio.core.document import Document
from posestudio.core.edits import Edit

UNDO_LIMIT = 500  # steps kept; the issue asks for at least 100


class EditCommand(QUndoCommand):
    def __init__(self, doc: Document, edit: Edit, applied: bool = False):
        super().__init__(edit.text)
        self.doc, self.edit, self._skip = doc, edit, applied

    def redo(self) -> None:
        if self._skip:
            self._skip = False
            return
        self.doc.apply(self.edit)

    def undo(self) -> None:
        self.doc.revert(self.edit)


def make_stack(parent=None) -> QUndoStack:
    stack = QUndoStack(parent)
    stack.setUndoLimit(UNDO_LIMIT)
    return stack
