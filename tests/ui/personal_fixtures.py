"""The Train dock tests' child process and material: most dock tests run
tests/ui/personal_double.py, a stand-in for ``posestudio personal`` that follows its
run-folder contract with controllable timing (mid-run curves, cancel at a given step);
tests/ui/test_train_real.py drives the real command end to end."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posestudio.ui import train_run

DOUBLE = Path(__file__).with_name("personal_double.py")
REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def personal(monkeypatch):
    """The dock runs the stand-in child, 40 steps of 0.05 s; the dock's remembered run
    (settings) is forgotten after the test, so no later window follows a test's run."""
    monkeypatch.setattr(train_run, "PERSONAL_PROGRAM", [sys.executable, str(DOUBLE)])
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("POSESTUDIO_DOUBLE_STEP_S", "0.05")
    yield
    from posestudio.ui import settings

    s = settings.settings()
    s.remove("train")
    s.sync()


@pytest.fixture
def material(tmp_path, samples_dir) -> Path:
    """The four real DeepFashion photos, and one picture too small to use."""
    folder = tmp_path / "character"
    folder.mkdir()
    for p in sorted(samples_dir.glob("*.jpg")):
        shutil.copy(p, folder / p.name)
    Image.fromarray(np.full((40, 30, 3), 200, np.uint8)).save(folder / "tiny.png")
    return folder
