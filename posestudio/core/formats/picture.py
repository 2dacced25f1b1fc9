"""Pictures out of a document: the generated result, the composite of the visible
layers, one layer, or every layer as OpenRaster (``ora.py``).

The file format follows the suffix (PNG, JPEG, WebP, TIFF, BMP, or ``.ora``);
formats without transparency get the picture flattened onto white. Files are
written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core.formats import ora
from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.errors import InputError

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP", ".tif": "TIFF", ".tiff": "TIFF",
           ".bmp": "BMP"}
OPAQUE = {"JPEG", "BMP"}
KINDS = ("result", "composite", "layers")


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"cannot write a picture with the suffix {path.suffix or '(none)'!r}; use one of "
                         f"{', '.join(sorted(FORMATS))}", path)
    return fmt


def write_picture(path: str | Path, rgba: np.ndarray) -> Path:
    """Write an RGB(A) uint8 picture in the format its suffix names (atomically)."""
    path = Path(path)
    fmt = _format(path)
    arr = ora._rgba(np.asarray(rgba))
    if fmt in OPAQUE:  # no alpha channel in the format: over white, as an editor shows it
        a = arr[:, :, 3:].astype(np.float32) / 255.0
        arr = np.rint(arr[:, :, :3] * a + 255.0 * (1 - a)).astype(np.uint8)
    elif (arr[:, :, 3] == 255).all():
        arr = arr[:, :, :3]
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(arr)).save(buf, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    atomic_write_bytes(path, buf.getvalue())
    return path


def result_layer(doc):
    """The generated result the artist sees: the top-most visible result layer, else the top-most one."""
    results = doc.layers.of_kind("result")
    if not results:
        raise InputError("there is no generated result to export yet: Generate first")
    shown = [layer for layer in results if layer.visible]
    return (shown or results)[-1]


def composite(doc) -> np.ndarray:
    """The visible layers composited as the canvas shows them (H x W x 4)."""
    return ora.composite(ora.layers_from_document(doc), doc.width, doc.height)


def layer_image(doc, layer) -> np.ndarray:
    """One layer as an RGBA picture (the skeleton of a pose layer, a label map in its palette)."""
    pic = ora.layer_picture(layer, doc.width, doc.height)
    if pic is None:
        raise InputError(f"layer {layer.name!r} is not a picture (a {layer.kind} layer)")
    return pic


def export_image(doc, path: str | Path, kind: str = "composite") -> Path:
    """``result``: the generated picture; ``composite``: the visible layers flattened;
    ``layers``: an OpenRaster file with every layer (the suffix must be ``.ora``)."""
    path = Path(path)
    if kind == "layers" or path.suffix.lower() == ".ora":
        if path.suffix.lower() != ".ora":
            path = path.with_suffix(".ora")
        return ora.write_document(path, doc)
    if kind == "result":
        return write_picture(path, result_layer(doc).data)
    if kind == "composite":
        return write_picture(path, composite(doc))
    raise ValueError(f"unknown export {kind!r}; one of {', '.join(KINDS)}")


def export_layer(doc, layer, path: str | Path) -> Path:
    """One layer as a picture file (``.ora``: that layer alone as OpenRaster)."""
    path = Path(path)
    pic = layer_image(doc, layer)
    if path.suffix.lower() == ".ora":
        return ora.write(path, [ora.OraLayer(layer.name, pic, float(layer.opacity), True)], doc.width, doc.height)
    return write_picture(path, pic)
