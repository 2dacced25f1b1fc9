"""The detection models: MediaPipe's BlazePose, face and hand ``.tflite`` files.

They come from the MediaPipe 0.10.14 wheel on the package registry (its last
release that carries the models inside, Apache-2.0). ``install_models`` fetches
that wheel with pip (no dependencies, nothing installed into Python), copies the
model files and MediaPipe's licence into one folder and drops the wheel; the
Makefile's install step calls it (``posestudio detect --install-models``), so a
fresh ``make run`` / ``make test`` ends with detection working. The models run in
LiteRT (``ai-edge-litert``, :mod:`posestudio.engine.detect.runtime`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from posestudio import paths
from posestudio.errors import InputError

WHEEL = "mediapipe==0.10.14"
MODELS = {  # file -> where it lies in the wheel
    "pose_detection.tflite": "mediapipe/modules/pose_detection/",
    "pose_landmark_full.tflite": "mediapipe/modules/pose_landmark/",
    "face_detection_short_range.tflite": "mediapipe/modules/face_detection/",
    "face_landmark.tflite": "mediapipe/modules/face_landmark/",
    "iris_landmark.tflite": "mediapipe/modules/iris_landmark/",
    "palm_detection_full.tflite": "mediapipe/modules/palm_detection/",
    "hand_landmark_full.tflite": "mediapipe/modules/hand_landmark/",
}
LICENCE = "LICENSE-mediapipe.txt"
NOTICE = (
    "These model files come unchanged from the MediaPipe 0.10.14 wheel (https://pypi.org/project/"
    "mediapipe/0.10.14/), Copyright Google LLC, licensed under the Apache License 2.0 "
    f"(full text in {LICENCE}).\n"
)
INSTALL_HINT = "detection models are not installed: run `posestudio detect --install-models` (or make install)"


def models_dir() -> Path:
    """Where the models are read from and installed to: ``$POSESTUDIO_DETECT_MODELS``, else
    ``models/detect`` in a source checkout, else the user data folder."""
    override = os.environ.get("POSESTUDIO_DETECT_MODELS")
    if override:
        return Path(override).expanduser()
    root = paths.repo_root()
    if (root / "pyproject.toml").is_file():
        return root / "models" / "detect"
    return paths.data_dir() / "detect"


def installed(folder: Path | None = None) -> bool:
    folder = folder or models_dir()
    return all((folder / f).is_file() for f in MODELS)


def model_path(name: str) -> Path:
    """The path of one model file; InputError (one line, how to install) when missing."""
    f = models_dir() / name
    if not f.is_file():
        raise InputError(INSTALL_HINT)
    return f


def extract(wheel: Path, folder: Path) -> None:
    """Copy the model files and the licence out of a MediaPipe wheel into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        licence = next((n for n in names if n.endswith(".dist-info/LICENSE")), None)
        for f, where in MODELS.items():
            if where + f not in names:
                raise InputError(f"{where + f} is not in the wheel", wheel)
            tmp = folder / (f + ".part")
            tmp.write_bytes(z.read(where + f))
            tmp.replace(folder / f)
        if licence:
            (folder / LICENCE).write_bytes(z.read(licence))
    (folder / "NOTICE.txt").write_text(NOTICE)


def install_models(folder: Path | None = None, wheel: Path | None = None) -> Path:
    """Fetch the MediaPipe wheel with pip (or use ``wheel``) and extract the models."""
    folder = folder or models_dir()
    if wheel is not None:
        extract(Path(wheel), folder)
        return folder
    with tempfile.TemporaryDirectory(prefix="posestudio-mediapipe-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "-d", tmp, WHEEL]
        done = subprocess.run(cmd, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("mediapipe-*.whl"))
        if done.returncode != 0 or not wheels:
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise InputError(f"could not download {WHEEL} from the package registry ({last})")
        extract(wheels[0], folder)
    return folder


def copy_licence(folder: Path, dest: Path) -> None:
    """Ship the licence notice beside anything that bundles the models."""
    for f in (LICENCE, "NOTICE.txt"):
        if (folder / f).is_file():
            shutil.copy2(folder / f, dest / f)
