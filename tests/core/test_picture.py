"""Pictures out of a document (result, composite, one layer, OpenRaster) and the file
mode of atomically written files, on the shipped sample project (the real 2_A photo)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from posestudio.core.formats import ora, picture
from posestudio.core.formats.atomic import UMASK, atomic_write_bytes
from posestudio.core.layers import ResultLayer
from posestudio.core.project import load_project
from posestudio.errors import InputError

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "deepfashion_2A.psproj"


@pytest.fixture
def doc():
    return load_project(SAMPLE)


def test_composite_is_the_photo_with_the_visible_skeleton_over_it(doc, tmp_path):
    photo = doc.layers.first("image").data
    out = picture.export_image(doc, tmp_path / "c.png", "composite")
    back = np.asarray(Image.open(out))
    assert back.shape[:2] == photo.shape[:2]
    rgb = back[:, :, :3].astype(int)
    skeleton = (np.abs(rgb - photo[:, :, :3].astype(int)).sum(axis=2) > 30)
    assert 0.002 < skeleton.mean() < 0.2  # the skeleton's limbs, not the (hidden) parsing map
    for layer in doc.layers.of_kind("pose"):
        layer.visible = False
    plain = np.asarray(Image.open(picture.export_image(doc, tmp_path / "p.png", "composite")))
    assert np.array_equal(plain[:, :, :3], photo[:, :, :3])


def test_result_export_needs_a_result_and_writes_its_pixels(doc, tmp_path):
    with pytest.raises(InputError, match="Generate first"):
        picture.export_image(doc, tmp_path / "r.png", "result")
    photo = doc.layers.first("image").data
    made = np.ascontiguousarray(photo[:, ::-1, :3])
    doc.layers.append(ResultLayer("Result", made, model="puppet"))
    back = np.asarray(Image.open(picture.export_image(doc, tmp_path / "r.png", "result")))
    assert np.array_equal(back, made)
    jpg = np.asarray(Image.open(picture.export_image(doc, tmp_path / "r.jpg", "result"))).astype(int)
    assert np.abs(jpg - made).mean() < 4


def test_openraster_has_every_layer_and_bad_suffix_is_one_line(doc, tmp_path):
    out = picture.export_image(doc, tmp_path / "all", "layers")
    assert out.suffix == ".ora"
    back = ora.read(out)
    names = [layer.name for layer in back.layers]
    assert names == [layer.name for layer in doc.layers if ora.layer_picture(layer, doc.width, doc.height)
                     is not None]
    with pytest.raises(InputError, match=r"\.xyz"):
        picture.export_image(doc, tmp_path / "c.xyz", "composite")
    parsing = doc.layers.first("parsing")
    pic = np.asarray(Image.open(picture.export_layer(doc, parsing, tmp_path / "parsing.png")))
    assert pic.shape[2] == 4 and np.array_equal(pic[:, :, 3] > 0, parsing.data > 0)


def test_atomic_files_get_the_ordinary_mode_not_0600(tmp_path):
    """Exported JSON came out 0600 (the temporary file's mode) while other files were 0644."""
    p = tmp_path / "pose.json"
    atomic_write_bytes(p, b"{}")
    assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~UMASK
    os.chmod(p, 0o640)
    atomic_write_bytes(p, b"[]")
    assert stat.S_IMODE(p.stat().st_mode) == 0o640 and p.read_bytes() == b"[]"
