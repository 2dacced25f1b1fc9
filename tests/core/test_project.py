import json
import os
import subprocess
import sys
import zipfile

import cv2
import numpy as np
import pytest
from PIL import Image

from posestudio.core import edits, project
from posestudio.core.document import Document
from posestudio.core.layers import EdgeLayer, IntermediateLayer, ParsingLayer, ResultLayer
from posestudio.core.project import Autosave, load_project, read_image, recoverable, save_project
from posestudio.errors import InputError


def full_doc(samples_dir) -> Document:
    img = read_image(samples_dir / "2_A.jpg")
    doc = Document.from_image(img, "2_A")
    parsing = np.array(Image.open(samples_dir / "2_A_parsing.png"))
    doc.layers.append(ParsingLayer("Parsing", parsing, label_set="spt10", opacity=0.5))
    doc.layers.append(EdgeLayer("Edges", (parsing == 1).astype(np.uint8) * 255, visible=False))
    rgba = np.dstack([img, np.full(img.shape[:2], 128, np.uint8)])
    doc.layers.append(ResultLayer("Result", rgba, model="puppet", seconds=0.25, locked=True))
    flow = np.random.default_rng(0).normal(size=(256, 256, 2)).astype(np.float32)
    doc.layers.append(IntermediateLayer("Flow", flow, role="flow"))
    layer = doc.pose_layer()
    doc.apply(edits.SetVisibility(layer.id, 0, [4, 17], False))
    doc.apply(edits.MoveJoints(layer.id, 0, [3], [[10.25, 20.5]], [[11.125, 22.75]]))
    doc.keyframes[0] = [p.copy() for p in layer.poses]
    doc.keyframes[24] = [layer.poses[0].mirrored(256)]
    doc.set_generator(model="puppet", live_preview=True)
    return doc


def assert_same(a: Document, b: Document):
    assert a.size == b.size and a.generator == b.generator
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert type(la) is type(lb) and la.id == lb.id and la.props() == lb.props()
        if hasattr(la, "data"):
            assert la.data.dtype == lb.data.dtype and np.array_equal(la.data, lb.data)
        if hasattr(la, "poses"):
            assert la.role == lb.role and len(la.poses) == len(lb.poses)
            for pa, pb in zip(la.poses, lb.poses, strict=True):
                assert np.array_equal(pa.visible, pb.visible) and np.allclose(pa.xy, pb.xy, atol=1e-3)
    assert a.keyframes.keys() == b.keyframes.keys()
    for k in a.keyframes:
        assert a.keyframes[k] == b.keyframes[k]


def test_round_trip_is_identical(samples_dir, tmp_path):
    doc = full_doc(samples_dir)
    path = save_project(doc, tmp_path / "a.psproj")
    back = load_project(path)
    assert_same(doc, back)
    pose = back.pose_layer().poses[0]
    assert not pose.visible[4] and not pose.visible[17]  # hidden joints survive
    assert back.layers.first("result").model == "puppet" and back.layers.first("parsing").label_set == "spt10"
    # saving the loaded doc again gives the same content
    again = load_project(save_project(back, tmp_path / "b.psproj"))
    assert_same(doc, again)
    assert not list(tmp_path.glob(".*tmp"))


def test_truncated_file_is_refused_with_one_line(samples_dir, tmp_path):
    path = save_project(full_doc(samples_dir), tmp_path / "a.psproj")
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 100):
        bad = tmp_path / f"cut{cut}.psproj"
        bad.write_bytes(data[:cut])
        with pytest.raises(InputError) as err:
            load_project(bad)
        msg = str(err.value)
        assert "\n" not in msg and str(bad) in msg
        assert bad.read_bytes() == data[:cut]  # never rewritten


def test_crash_mid_write_keeps_the_original(samples_dir, tmp_path, monkeypatch):
    doc = full_doc(samples_dir)
    path = save_project(doc, tmp_path / "a.psproj")
    original = path.read_bytes()
    doc.layers.first("parsing").data[:] = 9

    real = zipfile.ZipFile.writestr
    calls = {"n": 0}

    def dying_writestr(self, name, data, *a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        return real(self, name, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", dying_writestr)
    with pytest.raises(OSError):
        save_project(doc, path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert not list(tmp_path.glob(".*tmp"))
    assert_same(load_project(path), load_project(path))
    # a writer killed mid-save left its temporary file; the next save tidies it up
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".a.psproj.{int(dead.stdout)}.tmp"
    stale.write_bytes(original[:100])
    save_project(doc, path)
    assert not stale.exists() and load_project(path)


def test_newer_version_and_foreign_files_are_refused(tmp_path):
    doc = Document.from_image(np.zeros((16, 12, 3), np.uint8))
    path = save_project(doc, tmp_path / "a.psproj")
    with zipfile.ZipFile(path) as z:
        manifest = json.loads(z.read("project.json"))
        members = {n: z.read(n) for n in z.namelist()}
    manifest["version"] = project.FORMAT_VERSION + 1
    newer = tmp_path / "newer.psproj"
    with zipfile.ZipFile(newer, "w") as z:
        for n, d in members.items():
            z.writestr(n, json.dumps(manifest) if n == "project.json" else d)
    with pytest.raises(InputError, match="newer PoseStudio"):
        load_project(newer)
    junk = tmp_path / "junk.psproj"
    junk.write_text("hello")
    with pytest.raises(InputError, match="not a valid zip"):
        load_project(junk)
    other = tmp_path / "other.psproj"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("project.json", json.dumps({"format": "something-else"}))
    with pytest.raises(InputError, match="not a PoseStudio project"):
        load_project(other)
    manifest["version"] = 1
    manifest["layers"][0]["file"] = "layers/missing.png"
    broken = tmp_path / "broken.psproj"
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("project.json", json.dumps(manifest))
    with pytest.raises(InputError, match="missing"):
        load_project(broken)


def test_autosave_of_a_dead_session_is_recoverable(tmp_path, samples_dir):
    doc = full_doc(samples_dir)
    doc.path = tmp_path / "mine.psproj"
    live = Autosave(tmp_path / "auto")
    live.save(doc)
    assert recoverable(tmp_path / "auto") == []  # our own session is alive
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    info = json.loads(live.info_path.read_text())
    info["pid"] = pid
    live.info_path.write_text(json.dumps(info))
    found = recoverable(tmp_path / "auto")
    assert len(found) == 1 and found[0].source == str(doc.path)
    # a live pid that belongs to another process (pid reused) does not hide the autosave
    info["pid"], info["started"] = os.getppid(), "1"
    live.info_path.write_text(json.dumps(info))
    assert len(recoverable(tmp_path / "auto")) == (1 if sys.platform.startswith("linux") else 0)
    info["pid"] = pid
    live.info_path.write_text(json.dumps(info))
    found = recoverable(tmp_path / "auto")
    back = found[0].load()
    assert back.path == doc.path
    assert_same(doc, back)
    found[0].discard()
    assert recoverable(tmp_path / "auto") == [] and not live.path.exists()


def test_read_image_handles_16bit_alpha_grey_webp_and_bad_files(tmp_path):
    grad = (np.arange(40 * 30, dtype=np.uint32).reshape(40, 30) * 50).astype(np.uint16)
    cv2.imwrite(str(tmp_path / "g16.png"), grad)
    g = read_image(tmp_path / "g16.png")
    assert g.shape == (40, 30, 3) and g.dtype == np.uint8 and g[-1, -1, 0] == round(int(grad[-1, -1]) / 257)
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:5, :, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "a.png")
    a = read_image(tmp_path / "a.png")
    assert a.shape == (10, 12, 4) and (a[0, 0] == [255, 0, 0, 255]).all() and a[9, 0, 3] == 0
    rgb16 = np.zeros((8, 8, 3), np.uint16)
    rgb16[..., 2] = 65535  # BGR on disk -> red
    cv2.imwrite(str(tmp_path / "c16.png"), rgb16)
    assert (read_image(tmp_path / "c16.png")[0, 0] == [255, 0, 0]).all()
    Image.fromarray(rgba[..., :3]).save(tmp_path / "a.webp", lossless=True)
    assert read_image(tmp_path / "a.webp").shape == (10, 12, 3)
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(InputError):
        read_image(tmp_path / "bad.png")
    big = Image.new("L", (300, 300))
    big.save(tmp_path / "big.png")
    with pytest.raises(InputError, match="too large"):
        read_image(tmp_path / "big.png", max_pixels=10_000)
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "trunc.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError):
        read_image(tmp_path / "trunc.png")


def test_personal_model_setting_is_saved_with_the_document(samples_dir, tmp_path):
    """The document names its character's personal model (issue 19); None until set, kept by save/load,
    and a project saved before the setting existed opens with None."""
    img = read_image(samples_dir / "2_A.jpg")
    doc = Document.from_image(img)
    assert doc.generator["personal_model"] is None
    doc.set_generator(personal_model="personal-dancer")
    path = save_project(doc, tmp_path / "dancer.psproj")
    assert load_project(path).generator["personal_model"] == "personal-dancer"
    old = Document.from_image(img)
    old.generator.pop("personal_model")
    assert load_project(save_project(old, tmp_path / "old.psproj")).generator["personal_model"] is None
