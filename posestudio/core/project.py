"""``.psproj`` project files: a zip with a versioned ``project.json`` and one
PNG per raster layer (float intermediates as ``.npy``).

Saving is atomic: the zip is written beside the target, flushed and fsynced,
then ``os.replace``d over it, so a crash mid-write leaves the old file whole.
Opening validates everything and turns any problem (truncated zip, a newer
format, a missing or mis-sized layer, a huge image) into one ``InputError``
line naming the file; it never writes to the file it reads.

Autosave: ``Autosave`` writes the document to ``paths.autosave_dir()`` with a
small sidecar naming the process and the original file; an entry whose process
is gone is what ``recoverable()`` offers at the next start.
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posestudio import __version__, paths
from posestudio.core import wholebody
from posestudio.core.document import Document
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
from posestudio.errors import InputError

FORMAT = "posestudio-project"
FORMAT_VERSION = 1
SUFFIX = ".psproj"
# Refuse to decode anything bigger: 16k x 16k is far past what the generators use
# and a decompression bomb must give a message, not eat the memory.
MAX_PIXELS = 16384 * 16384
MAX_UNPACKED_BYTES = 4 << 30


# -- images -------------------------------------------------------------------
def read_image(path: str | Path, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """A picture file as uint8 RGB (or RGBA when it has real transparency).

    PNG/JPEG/WebP/TIFF/BMP; 16-bit files are scaled to 8 bits (v / 257),
    grey becomes RGB, a fully opaque alpha channel is dropped. A file that is
    not an image, is truncated, or has more than ``max_pixels`` pixels raises
    ``InputError`` (checked from the header, before decoding)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    try:
        with Image.open(path) as im:
            w, h = im.size
    except Image.DecompressionBombError:
        raise InputError("image is too large (a decompression bomb or a huge picture)", path) from None
    except Exception as exc:  # PIL raises many types for a broken header
        raise InputError(f"not a readable image ({type(exc).__name__})", path) from None
    if w * h > max_pixels:
        raise InputError(f"image is too large ({w}x{h} pixels; at most {max_pixels} pixels)", path)
    buf = np.fromfile(str(path), dtype=np.uint8)
    arr = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
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
    return Pose(np.asarray(obj["xy"], dtype=np.float64), np.asarray(obj["visible"], dtype=bool),
                *wholebody.from_json(obj))


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


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, write) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, fsync it and
    ``os.replace`` it over ``path``. If anything fails the target is untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    # a save killed mid-write (power cut, SIGKILL) leaves its temporary file: tidy those up
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        pid = stale.name[len(path.name) + 2: -4]
        if pid.isdigit() and not _pid_alive(int(pid)):
            stale.unlink(missing_ok=True)


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

    atomic_write(path, write)
    return path


# -- open ---------------------------------------------------------------------------
def _read_member(z: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        return z.read(name)
    except KeyError:
        raise InputError(f"project is incomplete: {name} is missing", path) from None


def _decode_png(data: bytes, name: str, path: Path) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_PIXELS:
                raise InputError(f"layer {name} is too large ({im.width}x{im.height})", path)
            im.load()
            if im.mode in ("I;16", "I;16B", "I"):
                return np.asarray(im, dtype=np.uint16)
            if im.mode not in ("L", "RGB", "RGBA"):
                im = im.convert("RGBA" if "A" in im.mode else "RGB")
            return np.array(im)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"layer {name} is damaged ({type(exc).__name__})", path) from None


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
            raise InputError(f"layer {file} is damaged ({type(exc).__name__})", path) from None
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
    if not path.is_file():
        raise InputError("no such project file", path)
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InputError("not a PoseStudio project or the file is truncated (not a valid zip)", path) from None
    with z:
        if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED_BYTES:
            raise InputError("project unpacks to more than 4 GiB; refusing to open", path)
        try:
            manifest = json.loads(_read_member(z, "project.json", path).decode("utf-8"))
        except InputError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error) as exc:
            raise InputError(f"project.json is damaged ({type(exc).__name__})", path) from None
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
            layers = [_layer_from_entry(e, z, path, size) for e in manifest.get("layers", [])]
            keyframes = {int(k): [pose_from_json(p) for p in v] for k, v in manifest.get("keyframes", {}).items()}
            doc = Document(size[0], size[1], layers, keyframes, manifest.get("generator"), manifest.get("meta"))
        except InputError:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise InputError(f"project is truncated or damaged ({type(exc).__name__})", path) from None
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"project.json is inconsistent ({type(exc).__name__}: {exc})", path) from None
    doc.path = path
    return doc


# -- autosave and recovery --------------------------------------------------------------
@dataclass
class RecoveryEntry:
    """An autosave left by a session that did not close cleanly."""

    path: Path  # the autosaved .psproj
    info_path: Path
    source: str | None  # the file the user was editing, if it had been saved before
    saved_at: float
    pid: int

    def load(self) -> Document:
        doc = load_project(self.path)
        doc.path = Path(self.source) if self.source else None
        return doc

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.info_path.unlink(missing_ok=True)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        return f"{self.source or 'an unsaved project'} (autosaved {when})"


def _proc_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux: clock ticks since boot, from /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces: count fields after its closing parenthesis
    return stat.rsplit(")", 1)[-1].split()[19]


def _pid_alive(pid: int, started: str | None = None) -> bool:
    """Whether the session that wrote an autosave still runs; a pid reused by another
    process (after a crash and reboot) does not count when its start time differs."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if started is not None:
        now = _proc_start(pid)
        if now is not None and now != started:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


class Autosave:
    """This session's autosave slot in ``paths.autosave_dir()``.

    ``save(doc)`` writes ``<session>.psproj`` atomically and then a sidecar
    ``<session>.json`` (pid, original file, time); ``discard()`` removes both
    when the window closes normally, so only crashed sessions leave entries."""

    def __init__(self, directory: str | Path | None = None, session: str | None = None):
        self.directory = Path(directory) if directory else paths.autosave_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.session = session or f"{os.getpid()}-{int(time.time() * 1000)}-{uuid.uuid4().hex[:6]}"
        self.path = self.directory / f"autosave-{self.session}{SUFFIX}"
        self.info_path = self.directory / f"autosave-{self.session}.json"

    def save(self, doc: Document) -> Path:
        save_project(doc, self.path)
        info = {"pid": os.getpid(), "started": _proc_start(os.getpid()),
                "source": str(doc.path) if doc.path else None, "saved_at": time.time()}
        atomic_write(self.info_path, lambda f: f.write(json.dumps(info).encode()))
        return self.path

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.info_path.unlink(missing_ok=True)


def recoverable(directory: str | Path | None = None) -> list[RecoveryEntry]:
    """Autosaves whose session is no longer running, newest first."""
    directory = Path(directory) if directory else paths.autosave_dir()
    out = []
    for info_path in directory.glob("autosave-*.json"):
        try:
            info = json.loads(info_path.read_text())
            pid = int(info.get("pid", -1))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        proj = info_path.with_suffix(SUFFIX)
        if not proj.is_file() or _pid_alive(pid, info.get("started")):
            continue
        out.append(RecoveryEntry(proj, info_path, info.get("source"), float(info.get("saved_at", 0)), pid))
    return sorted(out, key=lambda e: -e.saved_at)
