"""OpenRaster export: zip layout Krita/GIMP expect, stack.xml, merged image, round trip."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pytest
from PIL import Image

from posestudio.core.document import Document
from posestudio.core.formats import ora, read_poses
from posestudio.core.layers import EdgeLayer, ParsingLayer
from posestudio.errors import InputError


@pytest.fixture
def doc(samples_dir):
    img = np.array(Image.open(samples_dir / "2_A.jpg").convert("RGB"))
    pose = read_poses(samples_dir / "keypoints.csv", name="2_A.jpg").people[0]
    d = Document.from_image(img, name="Photo 2_A", pose=pose)
    parsing = np.array(Image.open(samples_dir / "2_A_parsing.png"))
    d.layers.insert(1, ParsingLayer("Garments", parsing, label_set="spt10", opacity=0.4))
    edges = np.zeros((256, 256), np.uint8)
    edges[40:60, 100:160] = 255
    d.layers.append(EdgeLayer("Face edges", edges, visible=False))
    return d


def test_zip_layout_and_stack(doc, tmp_path):
    path = ora.write_document(tmp_path / "pose.ora", doc)
    raw = path.read_bytes()
    # mimetype is the first member, stored, with no extra field: the magic sits at byte 38
    assert raw[30:38] == b"mimetype" and raw[38:54] == b"image/openraster"
    with zipfile.ZipFile(path) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"image/openraster"
        names = z.namelist()
        assert "stack.xml" in names and "mergedimage.png" in names and "Thumbnails/thumbnail.png" in names
        root = ET.fromstring(z.read("stack.xml"))
        assert (root.get("w"), root.get("h")) == ("256", "256")
        entries = [(e.get("name"), float(e.get("opacity")), e.get("visibility")) for e in root.iter("layer")]
        # top-most first; every visible layer listed with its opacity
        want = [(l.name, l.opacity, "visible" if l.visible else "hidden") for l in reversed(list(doc.layers))]
        assert entries == want
        assert ("Garments", 0.4, "visible") in entries and ("Face edges", 1.0, "hidden") in entries
        for e in root.iter("layer"):
            with Image.open(z.open(e.get("src"))) as im:
                assert im.mode == "RGBA" and im.size == (256, 256)
        with Image.open(z.open("Thumbnails/thumbnail.png")) as th:
            assert max(th.size) <= 256
        with Image.open(z.open("mergedimage.png")) as m:
            merged = np.array(m)
    # merged = photo under the 40% garment colours and the visible pose; hidden layers do not show
    photo = doc.layers[0].data
    assert merged.shape == (256, 256, 4) and (merged[:, :, 3] == 255).all()
    assert np.abs(merged[:, :, :3].astype(int) - photo).mean() > 2
    layers = ora.layers_from_document(doc)
    np.testing.assert_array_equal(merged, ora.composite([l for l in layers if l.visible], 256, 256))
    layers[-1].visible = True  # showing the edge layer would paint its white lines
    shown = ora.composite(layers, 256, 256)
    assert (shown[45, 120, :3] == 255).all() and not (merged[40:60, 100:160, :3] == 255).all(axis=2).all()


def test_round_trip(doc, tmp_path):
    layers = ora.layers_from_document(doc)
    back = ora.read(ora.write(tmp_path / "a.ora", layers, doc.width, doc.height))
    assert (back.width, back.height) == (256, 256)
    assert [(l.name, l.opacity, l.visible) for l in back.layers] == [(l.name, l.opacity, l.visible) for l in layers]
    for a, b in zip(layers, back.layers, strict=True):
        np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(back.merged, ora.composite(layers, 256, 256))
    assert back.layers[0].image[:, :, :3].tolist() == doc.layers[0].data.tolist()


def test_composite_is_src_over():
    red = np.zeros((2, 2, 4), np.uint8)
    red[..., 0], red[..., 3] = 255, 255
    blue = np.zeros((2, 2, 4), np.uint8)
    blue[..., 2], blue[..., 3] = 255, 128
    out = ora.composite([ora.OraLayer("r", red), ora.OraLayer("b", blue, opacity=0.5)], 2, 2)
    a = 128 / 255 * 0.5
    np.testing.assert_allclose(out[0, 0], [255 * (1 - a), 0, 255 * a, 255], atol=1)


def test_bad_files(tmp_path):
    bad = tmp_path / "x.ora"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="x.ora: not an OpenRaster"):
        ora.read(bad)
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("stack.xml", "<image/>")
    with pytest.raises(InputError, match="mimetype"):
        ora.read(bad)
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("mimetype", "image/openraster")
        z.writestr("stack.xml", '<image w="4" h="4"><stack><layer src="data/gone.png"/></stack></image>')
    with pytest.raises(InputError, match="data/gone.png is missing"):
        ora.read(bad)
