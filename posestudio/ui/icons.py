"""Icons from ``resources/icons/*.svg`` (cached). A missing file gives an empty icon, never an error."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from posestudio import paths


@cache
def icon(name: str) -> QIcon:
    path = paths.resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()
