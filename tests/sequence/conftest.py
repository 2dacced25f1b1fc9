"""A keyframed 24-frame project from the real DeepFashion pair 2_A -> 2_B."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from posestudio.core.document import Document
from posestudio.core.formats import read_poses
from posestudio.core.timeline import Timeline
from posestudio.engine import Engine

LAST = 23  # keyframes at 0 and 23: 24 frames


@pytest.fixture(scope="session")
def keyposes(samples_dir):
    csv = samples_dir / "keypoints.csv"
    return read_poses(csv, name="2_A.jpg").people[0], read_poses(csv, name="2_B.jpg").people[0]


@pytest.fixture(scope="session")
def source_image(samples_dir):
    return np.array(Image.open(samples_dir / "2_A.jpg").convert("RGB"))


def make_doc(image, sp, tp, scale: float = 1.0) -> Document:
    if scale != 1.0:
        h, w = image.shape[:2]
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        m = np.array([[scale, 0, 0], [0, scale, 0]])
        sp, tp = sp.transformed(m), tp.transformed(m)
    doc = Document.from_image(image, pose=sp)
    doc.keyframes = {0: [sp], LAST: [tp]}
    return doc


@pytest.fixture
def doc(source_image, keyposes):
    """256x256 document: source 2_A with its pose; keyframes 2_A (frame 0) and 2_B (frame 23)."""
    return make_doc(source_image, *keyposes)


@pytest.fixture
def small_doc(source_image, keyposes):
    """The same at 128x128 (poses scaled), for export tests."""
    return make_doc(source_image, *keyposes, scale=0.5)


@pytest.fixture
def timeline(doc):
    return Timeline.from_document(doc)


@pytest.fixture(scope="session")
def engine():
    eng = Engine(device="cpu", backend="auto")
    eng.force_sync(True)
    yield eng
    eng.shutdown()
