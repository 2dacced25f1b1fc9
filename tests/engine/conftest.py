"""Fixtures for the engine tests: the real DeepFashion pairs."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from posestudio.core.formats import read_poses


@pytest.fixture(scope="session")
def pair(samples_dir):
    """(name) -> (source RGB, source pose, target RGB, target pose, source parsing)."""

    def load(a: str, b: str):
        csv = samples_dir / "keypoints.csv"
        src = np.array(Image.open(samples_dir / f"{a}.jpg").convert("RGB"))
        tgt = np.array(Image.open(samples_dir / f"{b}.jpg").convert("RGB"))
        sp = read_poses(csv, name=f"{a}.jpg").people[0]
        tp = read_poses(csv, name=f"{b}.jpg").people[0]
        par = np.array(Image.open(samples_dir / f"{a}_parsing.png"))
        return src, sp, tgt, tp, par

    return load
