"""``.psproj`` project files: a zip with a versioned ``project.json`` and one
PNG per raster layer (float intermediates as ``.npy``).

Saving is atomic (``core/formats/atomic.py``): the zip is written beside the target, fsynced,
then ``os.replace``d over it, so a crash mid-write leaves the old file whole.
Opening validates everything and turns any problem (truncated zip, a newer
format, a missing or mis-sized layer, a huge image) into one ``InputError``
line naming the file; it never writes to the file it reads.

Autosave and recovery: ``core/autosave.py``.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posestudio import __version__
from posestudio.core import limits, wholebody
from posestudio.core.document import Document
from posestudio.core.formats.atomic import atomic_write_stream
from posestudio.core.layers import (
    EdgeLayer,
    ImageLayer,
    IntermediateLayer,
    Layer,
    ParsingLayer,
    PoseLayer,
    RasterLayer,
    ResultLayer,
)
from posestudio.core.pose import Pose
from posestudio.errors import InputError, describe

FORMAT = "posestudio-project"
FORMAT_VERSION = 1
SUFFIX = ".psproj"


# -- images -------------------------------------------------------------------
def read_image(path: str | Path, max_pixels: int | None = None) -> np.ndarray:
    """A picture file as uint8 RGB (or RGBA when it has real transparency).

    PNG/JPEG/WebP/TIFF/BMP; 16-bit files are scaled to 8 bits (v / 257),
    grey becomes RGB, a fully opaque alpha channel is dropped. A file that is
    not an image, is truncated, or is past the size limits (``core.limits``: pixels,
    bytes per file; checked from the header, before decoding) raises ``InputError``."""
    path = Path(path)
    data = limits.read_bytes(path, "file_bytes", "image")
    w, h = limits.image_header_size(data, path)
    if max_pixels is not None and w * h > max_pixels:
        raise InputError(f"image is too large ({w}x{h} pixels; at most {max_pixels:,} pixels here)", path)
    arr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise InputError("image data is damaged or truncated", path)
    return to_rgb8(arr, bgr=True)


def to_rgb8(arr: np.ndarray, bgr: bool = False) -> np.ndarray:
    """Any decoded image array (uint8/uint16/float, 1/2/3/4 channels) as uint8 RGB or RGBA."""
    if arr.dtype == np.uint16:
        arr = ((arr.astype(np.uint32) + 128) // 257).astype(np.uint8)
    elif arr.dtype != np.uint8:
        a = arr.astype(np.float64)
        a = a * 255.0 if np.nanmax(a) <= 1.0 else a
        arr = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    c = arr.shape[2]
    if c == 1:
        return np.repeat(arr, 3, axis=2)
    if c == 2:  # grey + alpha
        rgb = np.repeat(arr[:, :, :1], 3, axis=2)
        return np.concatenate([rgb, arr[:, :, 1:]], axis=2) if arr[:, :, 1].min() < 255 else rgb
    rgb = arr[:, :, 2::-1] if bgr else arr[:, :, :3]
    if c >= 4 and arr[:, :, 3].min() < 255:
        return np.ascontiguousarray(np.concatenate([rgb, arr[:, :, 3:4]], axis=2))
    return np.ascontiguousarray(rgb)


def _png_bytes(arr: np.ndarray) -> bytes:
    if arr.ndim == 2 and arr.dtype == np.uint16:
        im = Image.fromarray(arr.astype(np.uint16), mode="I;16")
    else:
        im = Image.fromarray(arr)
    out = io.BytesIO()
    im.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _npy_bytes(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, arr, allow_pickle=False)
    return out.getvalue()


# -- poses as JSON -----------------------------------------------------------------
def pose_to_json(pose: Pose) -> dict:
    """Hidden joints keep their position so hiding then restoring is lossless."""
    return {"xy": [[round(float(x), 4), round(float(y), 4)] for x, y in pose.xy],
            "visible": [bool(v) for v in pose.visible], **wholebody.to_json(pose.hands, pose.face)}


def pose_from_json(obj) -> Pose:
    xy = np.asarray(obj["xy"], dtype=np.float64)
    limits.check_coordinates(xy, None, "a pose in the project")
    return Pose(xy, np.asarray(obj["visible"], dtype=bool), *wholebody.from_json(obj))


# -- save ------------------------------------------------------------------------------
def _layer_entry(layer: Layer, files: dict[str, bytes]) -> dict:
    entry = {"id": layer.id, "kind": layer.kind, **layer.props()}
    if isinstance(layer, PoseLayer):
        entry["poses"] = [pose_to_json(p) for p in layer.poses]
        entry["role"] = layer.role
        return entry
    assert isinstance(layer, RasterLayer)
    if isinstance(layer, IntermediateLayer):
        entry["role"] = layer.role
    if isinstance(layer, ParsingLayer):
        entry["label_set"] = layer.label_set
    if isinstance(layer, ResultLayer):
        entry.update(model=layer.model, seconds=layer.seconds)
    data = layer.data
    if data.dtype in (np.uint8, np.uint16) and (data.ndim == 2 or data.shape[2] in (3, 4)):
        name = f"layers/{layer.id}.png"
        files[name] = _png_bytes(data)
    else:
        name = f"layers/{layer.id}.npy"
        files[name] = _npy_bytes(data)
    entry["file"] = name
    entry["shape"] = list(data.shape)
    entry["dtype"] = str(data.dtype)
    return entry


def project_json(doc: Document, files: dict[str, bytes]) -> dict:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "app_version": __version__,
        "width": doc.width,
        "height": doc.height,
        "layers": [_layer_entry(layer, files) for layer in doc.layers],
        "keyframes": {str(k): [pose_to_json(p) for p in v] for k, v in sorted(doc.keyframes.items())},
        "generator": doc.generator,
        "meta": doc.meta,
    }


def save_project(doc: Document, path: str | Path) -> Path:
    """Write ``doc`` to ``path`` (a ``.psproj``) atomically. Returns the path."""
    path = Path(path)
    files: dict[str, bytes] = {}
    manifest = project_json(doc, files)

    def write(f):
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("project.json", json.dumps(manifest, indent=1))
            for name, data in files.items():
                # PNGs are already compressed
                z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith(".png") else None)

    atomic_write_stream(path, write)
    return path


# -- open ---------------------------------------------------------------------------
def _read_member(z: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        return z.read(name)
    except KeyError:
        raise InputError(f"project is incomplete: {name} is missing", path) from None


def _decode_png(data: bytes, name: str, path: Path) -> np.ndarray:
    limits.image_header_size(data, path, f"layer {name}")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I"):
                return np.asarray(im, dtype=np.uint16)
            if im.mode not in ("L", "RGB", "RGBA"):
                im = im.convert("RGBA" if "A" in im.mode else "RGB")
            return np.array(im)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"layer {name} is damaged: {describe(exc)}", path) from None


def _layer_from_entry(entry: dict, z: zipfile.ZipFile, path: Path, size: tuple[int, int]) -> Layer:
    kind = entry.get("kind")
    common = {"visible": bool(entry.get("visible", True)), "opacity": float(entry.get("opacity", 1.0)),
              "locked": bool(entry.get("locked", False)), "layer_id": str(entry["id"])}
    name = str(entry.get("name", kind))
    if kind == "pose":
        return PoseLayer(name, [pose_from_json(p) for p in entry.get("poses", [])],
                         role=str(entry.get("role", "target")), **common)
    file = entry.get("file")
    if not isinstance(file, str):
        raise InputError(f"layer {name!r} names no file", path)
    raw = _read_member(z, file, path)
    if file.endswith(".npy"):
        try:
            data = np.load(io.BytesIO(raw), allow_pickle=False)
        except Exception as exc:
            raise InputError(f"layer {file} is damaged: {describe(exc)}", path) from None
    else:
        data = _decode_png(raw, file, path)
    if list(data.shape) != list(entry.get("shape", data.shape)):
        raise InputError(f"layer {file} has shape {list(data.shape)}, expected {entry['shape']}", path)
    if (data.shape[1], data.shape[0]) != size:
        raise InputError(f"layer {file} is {data.shape[1]}x{data.shape[0]}, the canvas is {size[0]}x{size[1]}",
                         path)
    if kind == "image":
        return ImageLayer(name, data, **common)
    if kind == "result":
        return ResultLayer(name, data, model=str(entry.get("model", "")), seconds=float(entry.get("seconds", 0)),
                           **common)
    if kind == "parsing":
        return ParsingLayer(name, data, label_set=str(entry.get("label_set", "spt10")), **common)
    if kind == "edge":
        return EdgeLayer(name, data, **common)
    if kind == "intermediate":
        return IntermediateLayer(name, data, role=str(entry.get("role", "")), **common)
    raise InputError(f"unknown layer kind {kind!r}", path)


def load_project(path: str | Path) -> Document:
    """Open a ``.psproj``. Any problem is one ``InputError`` line naming the file."""
    path = Path(path)
    limits.regular_file(path, "project file")
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError("not a PoseStudio project or the file is truncated (not a valid zip)", path) from None
    with z:
        limits.check_zip(z, path)
        try:
            manifest = json.loads(_read_member(z, "project.json", path).decode("utf-8"))
        except InputError:
            raise
        except RecursionError:
            raise InputError("project.json is nested too deeply to read", path) from None
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError,
                RuntimeError) as exc:
            raise InputError(f"project.json is damaged: {describe(exc)}", path) from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise InputError("not a PoseStudio project (project.json has no posestudio-project format tag)", path)
        version = manifest.get("version")
        if not isinstance(version, int) or version < 1:
            raise InputError(f"project has an invalid format version {version!r}", path)
        if version > FORMAT_VERSION:
            raise InputError(f"project was saved by a newer PoseStudio (format {version}; this version "
                             f"{__version__} reads up to {FORMAT_VERSION}); update PoseStudio to open it", path)
        try:
            size = (int(manifest["width"]), int(manifest["height"]))
            limits.check_image_size(size[0], size[1], path, "project canvas")
            frames = [int(k) for k in manifest.get("keyframes", {})]
            if frames:
                limits.check_frames(max(abs(f) for f in frames) + 1, "the timeline", path)
            layers = [_layer_from_entry(e, z, path, size) for e in manifest.get("layers", [])]
            keyframes = {int(k): [pose_from_json(p) for p in v] for k, v in manifest.get("keyframes", {}).items()}
            doc = Document(size[0], size[1], layers, keyframes, manifest.get("generator"), manifest.get("meta"))
        except InputError as exc:
            if exc.path is None:
                raise InputError(exc.problem, path) from None
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError, OSError) as exc:
            raise InputError(f"project is truncated or damaged: {describe(exc)}", path) from None
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            raise InputError(f"project.json is inconsistent : {describe(exc)}", path) from None
    doc.path = path
    return doc


def __getattr__(name: str):
    """Autosave and recovery live in core/autosave.py; their names stay importable from here."""
    if name in ("Autosave", "RecoveryEntry", "recoverable", "MAX_AUTOSAVE_AGE"):
        from posestudio.core import autosave

        return getattr(autosave, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
