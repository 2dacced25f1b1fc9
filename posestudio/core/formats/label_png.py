"""Label maps as 8-bit index PNGs with the label set's palette embedded.

Read: palette ('P') or greyscale ('L') PNGs whose pixel values are label ids;
an RGB image is accepted only when every colour is in the set's palette. Write:
'P' mode with the palette (opens coloured in any viewer, values stay ids), and
optionally an RGB colour preview.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from posestudio.core import labels, limits
from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.errors import InputError, describe


def read(path: str | Path, label_set: str = "spt10") -> np.ndarray:
    """(H, W) uint8 label ids, checked against ``label_set``."""
    path = Path(path)
    ls = labels.get(label_set)
    data = limits.read_image_bytes(path, "label map")
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            mode = im.mode
            arr = np.array(im)
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputError(f"not a readable image: {describe(exc)}", path) from None
    if mode in ("P", "L"):
        out = arr
    elif mode in ("I;16", "I"):
        out = arr
    elif mode in ("RGB", "RGBA"):
        out = _from_colours(arr[..., :3], ls, path)
    else:
        raise InputError(f"label maps must be 8-bit index or greyscale PNGs, got mode {mode}", path)
    if out.size and int(out.max()) >= len(ls):
        raise InputError(f"label value {int(out.max())} is outside {ls.title} (0..{len(ls) - 1})", path)
    return out.astype(np.uint8)


def _from_colours(rgb: np.ndarray, ls: labels.LabelSet, path) -> np.ndarray:
    pal = ls.palette_array().astype(np.int32)
    code = (rgb.astype(np.int32) << np.array([16, 8, 0])).sum(-1)
    pcode = (pal << np.array([16, 8, 0])).sum(-1)
    out = np.full(code.shape, -1, dtype=np.int64)
    for i, c in enumerate(pcode):
        out[code == c] = i
    if (out < 0).any():
        raise InputError(f"colour image has colours that are not in the {ls.title} palette", path)
    return out


def encode(label_map: np.ndarray, label_set: str = "spt10") -> bytes:
    ls = labels.get(label_set)
    arr = np.asarray(label_map)
    if arr.ndim != 2:
        raise InputError(f"a label map must be 2-D, got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() >= len(ls)):
        raise InputError(f"label values must lie in 0..{len(ls) - 1} for {ls.title}")
    im = Image.fromarray(arr.astype(np.uint8), mode="P")
    pal = ls.palette_array().reshape(-1).tolist()
    im.putpalette(pal + [0] * (768 - len(pal)))
    buf = io.BytesIO()
    im.save(buf, format="PNG", pnginfo=_info(ls))
    return buf.getvalue()


def _info(ls: labels.LabelSet):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("posestudio:label_set", ls.name)
    return info


def write(path: str | Path, label_map: np.ndarray, label_set: str = "spt10", preview: str | Path | None = None):
    atomic_write_bytes(path, encode(label_map, label_set))
    if preview is not None:
        buf = io.BytesIO()
        Image.fromarray(labels.colorize(label_map, label_set)).save(buf, format="PNG")
        atomic_write_bytes(preview, buf.getvalue())


def label_set_of(path: str | Path) -> str | None:
    """The label set recorded in a PNG we wrote, if any."""
    try:
        limits.regular_file(path, "label map")  # a FIFO would block Image.open
        with Image.open(path) as im:
            return im.info.get("posestudio:label_set")
    except (OSError, UnidentifiedImageError, InputError, Image.DecompressionBombError, ValueError, SyntaxError):
        return None
