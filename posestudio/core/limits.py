"""The one limit policy: how big an input may be before we refuse it, checked before allocating.

Every reader asks this module instead of carrying its own number. Each limit has a
default sized for a 2-core, 8-24 GiB machine (so that a refused input never costs more
than a few hundred MiB) and an environment variable that raises it. A refusal is one
``InputError`` line naming the file, the limit and how to raise it.

Photos larger than the engine's working size are not refused: ``engine_scale`` says
by how much to shrink them, and the caller tells the user.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from posestudio.errors import InputError, describe


@dataclass(frozen=True)
class Limit:
    env: str
    default: float
    what: str  # "pixels per image" ...


LIMITS = {
    # 150 MP: a 12000x12000 photo still decodes (432 MiB as RGB), a 50000x50000 bomb does not
    "pixels": Limit("POSESTUDIO_MAX_PIXELS", 150_000_000, "pixels per image"),
    # the generators and the puppet warp work on at most this many pixels; bigger photos are shrunk
    "engine_pixels": Limit("POSESTUDIO_ENGINE_MAX_PIXELS", 4096 * 3072, "pixels the engine works on"),
    "side": Limit("POSESTUDIO_MAX_SIDE", 32768, "pixels per image side"),
    "file_bytes": Limit("POSESTUDIO_MAX_FILE_BYTES", 512 << 20, "bytes per file"),
    # JSON/CSV become Python objects (~10x their size): a smaller budget than binary files
    "text_bytes": Limit("POSESTUDIO_MAX_TEXT_BYTES", 32 << 20, "bytes per text file (JSON, CSV)"),
    "project_bytes": Limit("POSESTUDIO_MAX_PROJECT_BYTES", 1 << 30, "bytes per unpacked project"),
    "project_members": Limit("POSESTUDIO_MAX_PROJECT_FILES", 10_000, "files per project"),
    "frames": Limit("POSESTUDIO_MAX_FRAMES", 20_000, "frames per render or timeline"),
    "outputs": Limit("POSESTUDIO_MAX_OUTPUT_FILES", 20_000, "output files per command"),
    "coordinate": Limit("POSESTUDIO_MAX_COORDINATE", 1_000_000, "pixels of coordinate magnitude"),
}


def limit(name: str) -> int:
    """The limit's value: its environment variable when set (a positive number), else the default."""
    lim = LIMITS[name]
    raw = os.environ.get(lim.env)
    if raw is None or raw.strip() == "":
        return int(lim.default)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value != value or value == float("inf"):
        raise InputError(f"{lim.env}={raw!r} must be a positive number ({lim.what})")
    return int(value)


def refuse(name: str, value, subject: str, path: str | Path | None = None) -> InputError:
    """The InputError for ``subject`` (e.g. "image is 50000x50000") being over limit ``name``."""
    lim = LIMITS[name]
    return InputError(f"{subject}, over the limit of {limit(name):,} {lim.what} (raise it with {lim.env}=N)",
                      path)


def check(name: str, value: float, subject: str, path: str | Path | None = None) -> None:
    """Raise the refusal when ``value`` is over limit ``name``."""
    if not value <= limit(name):  # NaN is over every limit
        raise refuse(name, value, subject, path)


# -- files ---------------------------------------------------------------------------------
def regular_file(path: str | Path, what: str = "file") -> os.stat_result:
    """``stat`` of ``path`` when it is a regular file (or a link to one). A FIFO, device,
    socket or folder is refused without opening it (opening a FIFO would wait forever)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except NotADirectoryError:
        raise InputError("no such file (a part of the path is not a folder)", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {describe(exc)}", path) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"is a folder, not a {what}", path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"is not a regular file (a device, FIFO or socket), not a {what}", path)
    return st


def read_bytes(path: str | Path, name: str = "file_bytes", what: str = "file") -> bytes:
    """The bytes of a regular file, refused past limit ``name`` -- also when the size on
    disk lies (``/proc`` files say 0): at most limit + 1 bytes are ever read."""
    path = Path(path)
    st = regular_file(path, what)
    cap = limit(name)
    if st.st_size > cap:
        raise refuse(name, st.st_size, f"{what} is {st.st_size:,} bytes", path)
    try:
        with open(path, "rb") as f:
            # the size on disk first (one allocation of the right size), then small chunks for a
            # file that says less than it holds; never a buffer of the whole limit up front
            buf = bytearray(f.read(st.st_size + 1))
            while len(buf) <= cap:
                chunk = f.read(min(1 << 20, cap + 1 - len(buf)))
                if not chunk:
                    break
                buf += chunk
            data = bytes(buf)
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        raise InputError(f"cannot be read: {describe(exc)}", path) from None
    if len(data) > cap:
        raise refuse(name, len(data), f"{what} is over {cap:,} bytes", path)
    return data


def read_text(path: str | Path, what: str = "text file") -> str:
    """A UTF-8 text file (BOM tolerated), bounded by the text limit."""
    data = read_bytes(path, "text_bytes", what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not a text file ({exc.reason} at byte {exc.start})", path) from None


# -- images ---------------------------------------------------------------------------------
def check_image_size(width: int, height: int, path: str | Path | None = None, what: str = "image") -> None:
    """Refuse a picture (or canvas) whose size is past the pixel limits, before anything is allocated."""
    if width <= 0 or height <= 0:
        raise InputError(f"{what} has an empty size ({width}x{height})", path)
    side = max(width, height)
    check("side", side, f"{what} is too large ({width}x{height})", path)
    check("pixels", width * height, f"{what} is too large ({width}x{height}, {width * height:,} pixels)", path)


def image_header_size(data: bytes, path: str | Path | None, what: str = "image") -> tuple[int, int]:
    """(width, height) from a picture's header, refused past the pixel limits before decoding."""
    import io

    try:
        with Image.open(io.BytesIO(data)) as im:
            w, h = im.size
    except Image.DecompressionBombError as exc:  # PIL's own check (at twice our limit) came first
        import re

        m = re.search(r"\((\d+) pixels\)", str(exc))
        count = f"{int(m.group(1)):,} pixels" if m else "a decompression bomb"
        raise refuse("pixels", 0, f"{what} is too large ({count})", path) from None
    except Exception as exc:  # PIL raises many types for a broken header
        raise InputError(f"not a readable image: {describe(exc)}", path) from None
    check_image_size(w, h, path, what)
    return w, h


def read_image_bytes(path: str | Path, what: str = "image") -> bytes:
    """A picture file's bytes once its header passed the limits (nothing decoded yet)."""
    data = read_bytes(path, "file_bytes", what)
    image_header_size(data, path, what)
    return data


def engine_scale(width: int, height: int) -> float:
    """1.0, or the factor (< 1) that shrinks a photo to the engine's working size."""
    cap = limit("engine_pixels")
    if width * height <= cap:
        return 1.0
    return (cap / float(width * height)) ** 0.5


def check_coordinates(values, path: str | Path | None = None, what: str = "pose") -> None:
    """Finite coordinates of a sane magnitude (1e308 overflows every drawing call)."""
    import numpy as np

    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return
    if not np.isfinite(arr).all():
        raise InputError(f"{what} has NaN or infinite coordinates", path)
    big = float(np.abs(arr).max())
    check("coordinate", big, f"{what} has a coordinate of {big:.3g}", path)


def check_zip(z, path: str | Path) -> None:
    """Refuse an archive before extracting: too many members, too many unpacked bytes,
    encrypted members or compression methods we cannot read."""
    import zipfile

    infos = z.infolist()
    check("project_members", len(infos), f"archive has {len(infos):,} files", path)
    total = sum(i.file_size for i in infos)
    check("project_bytes", total, f"archive unpacks to {total:,} bytes", path)
    for i in infos:
        if i.flag_bits & 0x1:
            raise InputError(f"archive member {i.filename} is encrypted", path)
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise InputError(f"archive member {i.filename} uses an unsupported compression "
                             f"(method {i.compress_type})", path)


def check_frames(count: float, subject: str = "render", path: str | Path | None = None) -> None:
    check("frames", count, f"{subject} has {count:,} frames" if count == count else f"{subject} frame count",
          path)


# PIL's own decompression-bomb check for every Image.open in the program (it errors at twice this;
# our readers refuse at the limit itself, from the header, before decoding)
try:
    Image.MAX_IMAGE_PIXELS = limit("pixels")
except InputError:  # a bad POSESTUDIO_MAX_PIXELS is reported when a reader asks for it
    pass
