"""Errors shared by every layer.

``InputError`` is a problem with something the user gave us (a file, a value).
Its message is one line that names the file and the problem; the CLI prints it
and exits with code 2, the window shows it in a message box. Nothing else.
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """Bad user input. ``str(err)`` is a one-line message naming the file."""

    def __init__(self, problem: str, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)
