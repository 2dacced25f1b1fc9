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


def describe(exc: BaseException) -> str:
    """What went wrong in the user's words, for an InputError line: never a Python
    exception's class name (``UnidentifiedImageError``, ``BadZipFile`` …)."""
    import json
    import zipfile
    import zlib

    name = type(exc).__name__
    if name == "UnidentifiedImageError":
        return "not a picture format PoseStudio reads, or the file is damaged"
    if isinstance(exc, zipfile.BadZipFile):
        return "not a complete zip archive"
    if isinstance(exc, (EOFError, zlib.error)) or "truncated" in str(exc).lower():
        return "the file ends early (cut short while copying or saving?)"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, KeyError):
        return f"the entry {exc.args[0]!r} is missing" if exc.args else "an entry is missing"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = " ".join(str(exc).split())
    return text if text else "the content is damaged"
