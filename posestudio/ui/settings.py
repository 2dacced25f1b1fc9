"""QSettings that never touch the user's real settings in tests: always an INI
file in ``paths.config_dir()`` (moved by POSESTUDIO_HOME)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from posestudio import paths

ORGANISATION = "PoseStudio"
APPLICATION = "PoseStudio"

DEFAULTS = {"engine/device": "auto", "engine/backend": "auto", "engine/models_dir": ""}


def settings() -> QSettings:
    return QSettings(str(paths.config_dir() / "posestudio.ini"), QSettings.Format.IniFormat)


def value(key: str, default=None):
    v = settings().value(key, DEFAULTS.get(key, default))
    return default if v is None else v


def set_value(key: str, v) -> None:
    s = settings()
    s.setValue(key, v)
    s.sync()
