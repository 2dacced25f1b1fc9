"""What the garment, attribute and face panels share: they say what they want
through signals and the window wires them (they never reach into the window).

``generate_requested(Request, context)``: run this request on the window's one
engine, on the panel's own preview channel (``channel``); the result comes back
through ``apply_result(result, context)`` and the engine's warnings and the
edit's errors through ``show_message`` — in the panel that asked.
``layer_made(layer)``: a layer the artist paints next (the window selects it)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QWidget

WARNING_STYLE = "color: #e08a1e;"  # the generator panel's warning colour


class EditPanel(QWidget):
    generate_requested = Signal(object, object)  # Request, context handed back to apply_result
    layer_made = Signal(object)
    channel = ""  # the engine's preview channel of this panel
    title = ""  # how the status bar names it

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.message = QLabel("")  # warnings and what stops an edit, in the panel itself
        self.message.setObjectName(f"{self.channel}_message")
        self.message.setWordWrap(True)

    def show_message(self, text: str, warning: bool = False) -> None:
        """A line in the panel: a warning (orange) or a note; empty clears it."""
        self.message.setText(text)
        self.message.setStyleSheet(WARNING_STYLE if warning and text else "")

    def show_result_notes(self, res) -> None:
        """The edit's errors (what could not be done) and the engine's warnings, or nothing."""
        notes = list(getattr(res, "errors", None) or []) + list(getattr(res, "warnings", None) or [])
        self.show_message("\n".join(notes), warning=bool(notes))

    def request(self, req, context=None, preview: bool = False):
        """Ask the window's engine to run ``req`` for this panel."""
        req.preview, req.channel = preview, self.channel
        self.generate_requested.emit(req, context)
        return req

    def apply_result(self, res, context) -> None:  # pragma: no cover - every panel has its own
        raise NotImplementedError
