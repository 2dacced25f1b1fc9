"""Sequence render through the engine: keyframe frames, cancel, files on disk."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core.timeline import Timeline
from posestudio.engine import Request
from posestudio.sequence import SequenceInputs, render_sequence
from tests.sequence.conftest import LAST


def test_keyframe_frames_equal_single_frame_renders(doc, timeline, engine, keyposes, source_image):
    seen = []
    res = render_sequence(doc, timeline, engine, batch=8, progress=lambda d, t: seen.append((d, t)))
    assert res.frames == list(range(LAST + 1)) and not res.cancelled
    assert seen[-1] == (24, 24) and [d for d, _ in seen] == list(range(1, 25))
    sp, tp = keyposes
    for frame, pose in ((0, sp), (LAST, tp)):
        single = engine.run(Request(task="pose", model="puppet", source_image=source_image, source_pose=sp,
                                    target_pose=pose))
        np.testing.assert_array_equal(res.image(frame), single.image)
    # in-between frames move: the middle differs from both ends
    mid = res.image(12).astype(int)
    assert np.abs(mid - res.image(0)).mean() > 1 and np.abs(mid - res.image(LAST)).mean() > 1


def test_cancel_from_progress_keeps_finished_frames(doc, timeline, engine, tmp_path):
    cancel = threading.Event()

    def progress(done, total):
        if done == 10:
            cancel.set()

    res = render_sequence(doc, timeline, engine, batch=8, progress=progress, cancel=cancel, out_dir=tmp_path)
    assert res.cancelled and res.frames == list(range(10))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(10)]
    for p in res.paths:  # every kept file is a whole PNG
        with Image.open(p) as im:
            assert im.size == (256, 256)
            im.load()


def test_written_frames_match_and_template_and_size(small_doc, engine, tmp_path):
    tl = Timeline.from_document(small_doc)
    res = render_sequence(small_doc, tl, engine, frames=[0, 5, LAST], out_dir=tmp_path, keep_images=True,
                          template="walk_{frame:03d}.png", size=(64, 96))
    assert [p.name for p in res.paths] == ["walk_000.png", "walk_005.png", "walk_023.png"]
    for p, im in zip(res.paths, res.images, strict=True):
        assert im.shape == (96, 64, 3)
        np.testing.assert_array_equal(np.array(Image.open(p)), im)


def test_inputs_and_model_from_document(doc):
    doc.set_generator(model="some-model")
    inp = SequenceInputs.from_document(doc)
    assert inp.model == "some-model" and inp.source_image.shape == (256, 256, 3)
    assert inp.source_pose == doc.source_pose()
    assert SequenceInputs.from_document(doc, model="puppet").model == "puppet"


FORBIDDEN = ("torch", "PySide6", "pyqtgraph", "shiboken6", "posestudio.ui", "posestudio.nets", "posestudio.training")


def test_sequence_package_imports_only_core_and_engine():
    """The layer rule for posestudio.sequence (no Qt, no ui, no torch of its own), checked on the source."""
    root = Path(__file__).resolve().parents[2] / "posestudio"
    files = [*sorted((root / "sequence").glob("*.py")), root / "commands" / "render.py"]
    bad = []
    for f in files:
        for node in ast.walk(ast.parse(f.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            bad += [f"{f.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN or n.startswith(FORBIDDEN)]
    assert len(files) >= 4 and not bad, bad


def test_puppet_sequence_render_stays_torch_and_qt_free(samples_dir):
    code = f"""
import sys
import numpy as np
from PIL import Image
from posestudio.core.formats import read_poses
from posestudio.core.timeline import Timeline
from posestudio.engine import Engine
from posestudio.sequence import SequenceInputs, render_sequence
import posestudio.commands.render, posestudio.sequence.project
d = {str(samples_dir)!r}
sp = read_poses(d + "/keypoints.csv", name="2_A.jpg").first
tp = read_poses(d + "/keypoints.csv", name="2_B.jpg").first
img = np.array(Image.open(d + "/2_A.jpg").convert("RGB"))
eng = Engine(); eng.force_sync(True)
res = render_sequence(SequenceInputs(img, sp), Timeline({{0: [sp], 4: [tp]}}), eng, frames=[0, 2])
assert len(res.images) == 2, res
bad = [m for m in {FORBIDDEN!r} if m in sys.modules]
print(bad); sys.exit(1 if bad else 0)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_threaded_engine_as_the_window_uses_it(small_doc):
    """Without force_sync the batches run on the engine's worker thread (progress comes from there)."""
    from posestudio.engine import Engine

    threads = set()
    tl = Timeline.from_document(small_doc)
    with Engine(device="cpu") as eng:
        res = render_sequence(small_doc, tl, eng, frames=[0, 1, 2], batch=2,
                              progress=lambda d, t: threads.add(threading.current_thread().name))
    assert res.frames == [0, 1, 2] and threads == {"posestudio-engine"}
