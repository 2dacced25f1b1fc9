"""Property tests over every reader: any input either loads or raises the one InputError whose
message names the file -- never another exception, within a memory and a time budget."""

from __future__ import annotations

import io
import json
import math
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from posestudio.core.formats import label_png, read_poses
from posestudio.core.project import load_project, read_image, save_project
from posestudio.engine.cards import ModelCard
from posestudio.errors import InputError

MEMORY_BUDGET = 256 << 20  # bytes Python and numpy may allocate for one small input
COUNTS: dict[str, int] = {}  # examples run per reader (printed by `make fuzz-soak`)

KEYS = ["people", "pose_keypoints_2d", "canvas_width", "canvas_height", "annotations", "keypoints", "images",
        "id", "image_id", "file_name", "width", "height", "format", "version", "layers", "kind", "file", "shape",
        "keyframes", "xy", "visible", "name", "arch", "task", "weights", "resolution", "config", "inputs",
        "outputs", "tasks", "generator", "meta", "role", "poses"]
numbers = (st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=True, allow_infinity=True)
           | st.sampled_from([0, 1, -1, 18, 54, 1e308, -1e308, 1e18, 2**31, 50000, 0.5]))
leaves = st.none() | st.booleans() | numbers | st.text(max_size=8) | st.sampled_from(KEYS)
json_values = st.recursive(leaves, lambda c: st.lists(c, max_size=6) | st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=4), c, max_size=6), max_leaves=40)


def loads_or_input_error(path: Path, read, name: str):
    """Call ``read(path)``; only success or an InputError naming ``path`` is allowed, in budget."""
    COUNTS[name] = COUNTS.get(name, 0) + 1
    tracemalloc.start()
    try:
        return read(path)
    except InputError as exc:
        assert str(path) in str(exc), f"the message does not name the file: {exc}"
        assert "\n" not in str(exc)
        return None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < MEMORY_BUDGET, f"{name}: {peak >> 20} MiB for a {path.stat().st_size}-byte input"


def _dump(value) -> str:
    return json.dumps(value, allow_nan=True)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# -- pictures ----------------------------------------------------------------------------
def _png(w: int, h: int, mode: str) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, (w, h), 3 if mode in ("L", "P", "I;16") else None).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (10, 20, 30)).save(buf, format="JPEG")
    return buf.getvalue()


valid_pictures = st.builds(_png, st.integers(1, 40), st.integers(1, 40), st.sampled_from(["L", "RGB", "RGBA",
                                                                                           "P", "I;16", "LA"])) \
    | st.builds(_jpeg, st.integers(1, 40), st.integers(1, 40))


@st.composite
def mutated(draw, base):
    """A valid file with bytes flipped, cut short or spliced: what a broken download looks like."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 6))):
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if data:
            data[i] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    tail = draw(st.binary(max_size=32))
    return bytes(data[:cut]) + tail if draw(st.booleans()) else bytes(data)


pictures = mutated(valid_pictures) | st.binary(max_size=200)


@given(data=pictures)
def test_read_image(work, data):
    p = work / "picture.png"
    p.write_bytes(data)
    arr = loads_or_input_error(p, read_image, "images")
    if arr is not None:
        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] in (3, 4)


@given(data=pictures, label_set=st.sampled_from(["spt10", "lip20", "atr18"]))
def test_read_label_map(work, data, label_set):
    p = work / "labels.png"
    p.write_bytes(data)
    m = loads_or_input_error(p, lambda q: label_png.read(q, label_set), "label maps")
    if m is not None:
        assert m.ndim == 2 and m.dtype == np.uint8


# -- poses -------------------------------------------------------------------------------
keypoint_lists = st.lists(numbers, min_size=0, max_size=80) | st.lists(numbers, min_size=54, max_size=54) \
    | st.lists(numbers, min_size=75, max_size=75)
openpose_docs = st.fixed_dictionaries({"people": st.lists(st.fixed_dictionaries(
    {"pose_keypoints_2d": keypoint_lists}), max_size=3)}, optional={"canvas_width": numbers,
                                                                   "canvas_height": numbers})
coco_docs = st.fixed_dictionaries({"annotations": st.lists(st.fixed_dictionaries(
    {"keypoints": st.lists(numbers, min_size=51, max_size=51) | keypoint_lists},
    optional={"image_id": numbers}), max_size=3)}, optional={"images": json_values})


@given(doc=openpose_docs | coco_docs | json_values)
def test_read_json_poses(work, doc):
    p = work / "pose.json"
    p.write_text(_dump(doc))
    ps = loads_or_input_error(p, read_poses, "OpenPose/COCO poses")
    if ps is not None:
        for pose in ps.people:
            assert np.isfinite(pose.xy).all()


def _csv_row(name: str, ys: list, xs: list) -> str:
    return f"{name}: {_dump(ys)}: {_dump(xs)}"


csv_texts = st.builds(lambda rows, junk: "name:keypoints_y:keypoints_x\n" + "\n".join(rows) + junk,
                      st.lists(st.builds(_csv_row, st.text(max_size=6), keypoint_lists,
                                         st.lists(numbers, min_size=18, max_size=18)), max_size=4),
                      st.text(max_size=20))


@given(text=csv_texts | st.text(max_size=200))
def test_read_csv_poses(work, text):
    p = work / "pose.csv"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    loads_or_input_error(p, read_poses, "CSV poses")


# -- projects ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good_project(work, samples_dir):
    from posestudio.core.document import Document

    doc = Document.from_image(read_image(samples_dir / "2_A.jpg")[:32, :24], "p")
    doc.keyframes[3] = [p.copy() for p in doc.pose_layer().poses]
    save_project(doc, work / "good.psproj")
    with zipfile.ZipFile(work / "good.psproj") as z:
        return {n: z.read(n) for n in z.namelist()}


def _replace_in(manifest, path: list, value):
    """``manifest`` with the value at ``path`` (keys/indices, as far as they reach) replaced."""
    node = manifest
    for key in path[:-1]:
        nxt = node.get(key) if isinstance(node, dict) else (node[key % len(node)] if isinstance(node, list)
                                                             and node and isinstance(key, int) else None)
        if not isinstance(nxt, (dict, list)):
            break
        node = nxt
    last = path[-1] if path else "layers"
    if isinstance(node, dict):
        node[last if isinstance(last, str) else str(last)] = value
    elif isinstance(node, list) and node:
        node[(last if isinstance(last, int) else 0) % len(node)] = value
    return manifest


@given(path=st.lists(st.sampled_from(KEYS) | st.integers(0, 3), min_size=1, max_size=4), value=json_values,
       drop=st.sets(st.sampled_from(["layers/", "project.json"]), max_size=1))
def test_load_project_with_a_changed_manifest(work, good_project, path, value, drop):
    manifest = _replace_in(json.loads(good_project["project.json"]), path, value)
    p = work / "fuzzed.psproj"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in good_project.items():
            if any(n.startswith(d) for d in drop):
                continue
            z.writestr(n, _dump(manifest) if n == "project.json" else data)
    loads_or_input_error(p, load_project, "projects")


@given(data=st.data())
def test_load_project_with_damaged_bytes(work, good_project, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in good_project.items():
            z.writestr(n, d)
    p = work / "damaged.psproj"
    p.write_bytes(data.draw(mutated(st.just(buf.getvalue()))))
    loads_or_input_error(p, load_project, "projects")


# -- model cards ---------------------------------------------------------------------------
card_docs = st.fixed_dictionaries({"name": st.sampled_from(["m", "../m", "/m", "a/b", "*", ""]) | st.text(max_size=8),
                                   "arch": leaves, "task": leaves},
                                  optional={"weights": st.sampled_from(["m.safetensors", "../x", "/etc/x", ".."])
                                            | leaves, "resolution": json_values, "config": json_values,
                                            "inputs": json_values, "outputs": json_values, "tasks": json_values})


@given(doc=card_docs | json_values)
def test_load_model_card(work, doc):
    p = work / "m.card.json"
    p.write_text(_dump(doc))
    card = loads_or_input_error(p, ModelCard.load, "model cards")
    if card is not None and card.weights_path is not None:
        assert card.weights_path.parent == p.parent  # never outside the card's folder


# -- command line arguments ----------------------------------------------------------------
size_texts = st.builds(lambda a, b, sep: f"{a}{sep}{b}", numbers, numbers, st.sampled_from(["x", "X", ":", ""])) \
    | st.text(max_size=12)


@given(text=size_texts)
def test_cli_sizes_and_ranges(text):
    from posestudio.commands import pose, render
    from posestudio.core.timeline import Timeline

    COUNTS["CLI arguments"] = COUNTS.get("CLI arguments", 0) + 1
    for parse in (render.parse_size, lambda t: pose._size(t, "WxH"),
                  lambda t: render.parse_range(t, (0, 10)), lambda t: setattr(Timeline(), "fps", float(t))):
        try:
            parse(text)
        except InputError as exc:
            assert "\n" not in str(exc)
        except ValueError as exc:  # float() of a non-number: argparse reports it before us
            assert "could not convert" in str(exc) or "invalid" in str(exc)


@given(fps=numbers)
def test_timeline_fps_is_finite_and_positive(fps):
    from posestudio.core.timeline import Timeline

    t = Timeline()
    try:
        t.fps = fps
    except (InputError, OverflowError):
        return
    assert math.isfinite(t.fps) and t.fps >= 0.01
