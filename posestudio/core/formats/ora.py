"""OpenRaster (``.ora``) layered export and import, as Krita, GIMP and MyPaint read it.

An ``.ora`` file is a zip whose first member is ``mimetype`` (stored, not
compressed, content ``image/openraster``), then ``stack.xml`` (the layer
stack, top-most layer first), one PNG per layer under ``data/``,
``mergedimage.png`` (the visible layers composited at full size) and
``Thumbnails/thumbnail.png`` (at most 256x256).

``layers_from_document(doc)`` turns a document's layers into RGBA pictures:
image/result layers as they are, parsing maps in their label set's palette
(background transparent), face edge maps as white lines, pose layers as the
OpenPose skeleton on transparency; intermediate layers (flow, visibility)
are not pictures and are left out.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core import limits
from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.errors import InputError, describe

MIMETYPE = "image/openraster"
THUMBNAIL_MAX = 256


@dataclass
class OraLayer:
    """One layer: ``image`` uint8 H x W x 4 RGBA (straight alpha) placed at (x, y)."""

    name: str
    image: np.ndarray
    opacity: float = 1.0
    visible: bool = True
    x: int = 0
    y: int = 0


@dataclass
class OraImage:
    width: int
    height: int
    layers: list[OraLayer]  # bottom first, like LayerList
    merged: np.ndarray | None = None  # H x W x 4


def _rgba(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype != np.uint8:
        raise ValueError(f"OpenRaster layers are uint8, got {arr.dtype}")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.shape[2] == 3:
        arr = np.concatenate([arr, np.full(arr.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(arr)


def composite(layers: list[OraLayer], width: int, height: int) -> np.ndarray:
    """Visible layers (bottom first) composited with Porter-Duff src-over and layer
    opacity onto transparency: the ``mergedimage.png`` (H x W x 4 uint8)."""
    acc_c = np.zeros((height, width, 3), np.float64)  # premultiplied colour
    acc_a = np.zeros((height, width, 1), np.float64)
    for layer in layers:
        if not layer.visible or layer.opacity <= 0:
            continue
        img = _rgba(layer.image).astype(np.float64) / 255.0
        h, w = img.shape[:2]
        x0, y0 = max(layer.x, 0), max(layer.y, 0)
        x1, y1 = min(layer.x + w, width), min(layer.y + h, height)
        if x1 <= x0 or y1 <= y0:
            continue
        part = img[y0 - layer.y:y1 - layer.y, x0 - layer.x:x1 - layer.x]
        a = part[:, :, 3:] * layer.opacity
        acc_c[y0:y1, x0:x1] = part[:, :, :3] * a + acc_c[y0:y1, x0:x1] * (1 - a)
        acc_a[y0:y1, x0:x1] = a + acc_a[y0:y1, x0:x1] * (1 - a)
    colour = np.divide(acc_c, acc_a, out=np.zeros_like(acc_c), where=acc_a > 0)
    out = np.concatenate([colour, acc_a], axis=2)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _thumbnail(merged: np.ndarray) -> np.ndarray:
    im = Image.fromarray(merged)
    im.thumbnail((THUMBNAIL_MAX, THUMBNAIL_MAX), Image.Resampling.LANCZOS)
    return np.asarray(im)


def to_bytes(layers: list[OraLayer], width: int, height: int) -> bytes:
    """The ``.ora`` zip for ``layers`` (bottom first) on a ``width`` x ``height`` canvas."""
    if width <= 0 or height <= 0:
        raise ValueError(f"canvas size must be positive, got {width}x{height}")
    root = ET.Element("image", {"version": "0.0.3", "w": str(width), "h": str(height)})
    stack = ET.SubElement(root, "stack")
    files: list[tuple[str, bytes]] = []
    for i, layer in reversed(list(enumerate(layers))):  # stack.xml lists the top-most layer first
        src = f"data/layer{i:03d}.png"
        files.append((src, _png(_rgba(layer.image))))
        ET.SubElement(stack, "layer", {
            "name": layer.name, "src": src, "x": str(int(layer.x)), "y": str(int(layer.y)),
            "opacity": f"{float(np.clip(layer.opacity, 0, 1)):.4f}",
            "visibility": "visible" if layer.visible else "hidden", "composite-op": "svg:src-over",
        })  # fmt: skip
    merged = composite(layers, width, height)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE.encode("ascii"), compress_type=zipfile.ZIP_STORED)
        z.writestr("stack.xml", ET.tostring(root, encoding="utf-8", xml_declaration=True),
                   compress_type=zipfile.ZIP_DEFLATED)
        for name, data in files:
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        z.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
        z.writestr("Thumbnails/thumbnail.png", _png(_thumbnail(merged)), compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


def write(path: str | Path, layers: list[OraLayer], width: int, height: int) -> Path:
    """Write an ``.ora`` file atomically (a crash leaves the old file whole)."""
    path = Path(path)
    atomic_write_bytes(path, to_bytes(layers, width, height))
    return path


def _read_png(z: zipfile.ZipFile, name: str, path: Path) -> np.ndarray:
    try:
        data = z.read(name)
    except KeyError:
        raise InputError(f"OpenRaster file is incomplete: {name} is missing", path) from None
    limits.image_header_size(data, path, name)
    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.array(im.convert("RGBA"))
    except InputError:
        raise
    except Exception as exc:  # PIL raises many types for a broken PNG
        raise InputError(f"{name} is damaged: {describe(exc)}", path) from None


def read(path: str | Path) -> OraImage:
    """Read an ``.ora`` file: canvas size, layers (bottom first, RGBA) and the merged image.
    Any problem is one ``InputError`` line naming the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise InputError("not an OpenRaster file (not a valid zip)", path) from None
    with z:
        limits.check_zip(z, path)
        names = z.namelist()
        if not names or names[0] != "mimetype" or z.read("mimetype").strip() != MIMETYPE.encode():
            raise InputError("not an OpenRaster file (no 'image/openraster' mimetype first)", path)
        try:
            root = ET.fromstring(z.read("stack.xml"))
            width, height = int(root.get("w", "0")), int(root.get("h", "0"))
        except KeyError:
            raise InputError("OpenRaster file has no stack.xml", path) from None
        except (ET.ParseError, ValueError) as exc:
            raise InputError(f"stack.xml is damaged ({exc})", path) from None
        if width <= 0 or height <= 0:
            raise InputError(f"stack.xml gives an invalid canvas size {width}x{height}", path)
        limits.check_image_size(width, height, path, "the OpenRaster canvas")
        layers = []
        for el in root.iter("layer"):  # nested stacks are flattened in document order
            src = el.get("src")
            if not src:
                raise InputError(f"layer {el.get('name')!r} names no file", path)
            try:
                opacity = float(el.get("opacity", "1"))
                x, y = int(float(el.get("x", "0"))), int(float(el.get("y", "0")))
            except ValueError:
                raise InputError(f"layer {el.get('name')!r} has a bad opacity or position", path) from None
            layers.append(OraLayer(el.get("name", src), _read_png(z, src, path), opacity,
                                   el.get("visibility", "visible") != "hidden", x, y))
        merged = _read_png(z, "mergedimage.png", path) if "mergedimage.png" in names else None
    return OraImage(width, height, layers[::-1], merged)


# -- documents -------------------------------------------------------------------------
def layer_picture(layer, width: int, height: int) -> np.ndarray | None:
    """The RGBA picture of one document layer, or None for layers that are not pictures."""
    kind = getattr(layer, "kind", "")
    if kind in ("image", "result"):
        return _rgba(layer.data)
    if kind == "parsing":
        from posestudio.core import labels

        rgb = labels.colorize(layer.data, layer.label_set)
        alpha = np.where(layer.data > 0, 255, 0).astype(np.uint8)[:, :, None]
        return np.concatenate([rgb, alpha], axis=2)
    if kind == "edge":
        e = np.asarray(layer.data, np.uint8)
        return np.dstack([np.full_like(e, 255)] * 3 + [e])
    if kind == "pose":
        from posestudio.core.formats import skeleton_image

        rgb = skeleton_image.render(list(layer.poses), width, height)
        alpha = np.where(rgb.any(axis=2), 255, 0).astype(np.uint8)[:, :, None]
        return np.concatenate([rgb, alpha], axis=2)
    return None


def layers_from_document(doc) -> list[OraLayer]:
    """A document's picture layers (bottom first) with their names, opacity and visibility."""
    out = []
    for layer in doc.layers:
        pic = layer_picture(layer, doc.width, doc.height)
        if pic is not None:
            out.append(OraLayer(layer.name, pic, float(layer.opacity), bool(layer.visible)))
    return out


def write_document(path: str | Path, doc) -> Path:
    """Export a document's layers as an ``.ora`` file."""
    return write(path, layers_from_document(doc), doc.width, doc.height)
