"""The one module that knows where PoseStudio keeps user files.

Every folder can be moved by an environment variable; ``POSESTUDIO_HOME`` moves
them all under one root (tests use it so they never touch real user folders).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "PoseStudio"

_OVERRIDES = {
    "config": "POSESTUDIO_CONFIG_DIR",
    "data": "POSESTUDIO_DATA_DIR",
    "models": "POSESTUDIO_MODELS_DIR",
    "cache": "POSESTUDIO_CACHE_DIR",
    "autosave": "POSESTUDIO_AUTOSAVE_DIR",
}


def _home() -> Path | None:
    home = os.environ.get("POSESTUDIO_HOME")
    return Path(home).expanduser() if home else None


def _resolve(kind: str, default: Path) -> Path:
    override = os.environ.get(_OVERRIDES[kind])
    if override:
        path = Path(override).expanduser()
    elif (home := _home()) is not None:
        path = home / kind
    else:
        path = default
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Settings (preferences, pose library)."""
    return _resolve("config", Path(platformdirs.user_config_dir(APP)))


def data_dir() -> Path:
    """User data root."""
    return _resolve("data", Path(platformdirs.user_data_dir(APP)))


def models_dir() -> Path:
    """Models the user imported or trained (cards + safetensors)."""
    override = os.environ.get(_OVERRIDES["models"])
    if override or _home() is not None:
        return _resolve("models", Path())
    return _resolve("models", data_dir() / "models")


def cache_dir() -> Path:
    """Exported ONNX files and other things that can be rebuilt."""
    return _resolve("cache", Path(platformdirs.user_cache_dir(APP)))


def autosave_dir() -> Path:
    """Autosaved projects for crash recovery."""
    override = os.environ.get(_OVERRIDES["autosave"])
    if override or _home() is not None:
        return _resolve("autosave", Path())
    return _resolve("autosave", data_dir() / "autosave")


def repo_root() -> Path:
    """The source checkout (or installed package parent)."""
    return Path(__file__).resolve().parent.parent


def shipped_models_dir() -> Path:
    """Model cards and default weights that ship with the app (``POSESTUDIO_SHIPPED_MODELS``
    points elsewhere: tests that must not depend on the shipped weights use an empty folder)."""
    override = os.environ.get("POSESTUDIO_SHIPPED_MODELS")
    return Path(override).expanduser() if override else repo_root() / "models"


def resources_dir() -> Path:
    return repo_root() / "resources"
