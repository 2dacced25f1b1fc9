"""The artist's material as pictures: a folder of images or a video file, sampled evenly.

A folder gives its image files in name order; a video its frames, decoded by the ffmpeg
that ``imageio-ffmpeg`` carries. At most ``max_frames`` are kept, evenly spaced. A file
of a folder that cannot be read is listed (``Skipped``), not fatal; a video that cannot
be decoded at all is one ``InputError`` line naming it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posestudio.core import limits
from posestudio.errors import InputError

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_EXTS = (".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".gif", ".mpg", ".mpeg")
MAX_FRAMES = 200


@dataclass
class Picture:
    label: str  # what the artist knows it as: a file name, or "frame 17" of the video
    index: int  # position in the source (frame number, or index in the sorted folder)
    image: np.ndarray | None  # uint8 HxWx3, None when unreadable
    problem: str = ""  # why it could not be read


def evenly(n: int, keep: int) -> list[int]:
    """``keep`` indices of ``range(n)`` spread evenly (all of them when ``n <= keep``)."""
    if n <= keep:
        return list(range(n))
    return sorted({min(n - 1, int(math.floor((k + 0.5) * n / keep))) for k in range(keep)})


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_EXTS


def describe_source(path: str | Path) -> str:
    p = Path(path)
    if p.is_dir():
        return "folder"
    if p.is_file() and is_video(p):
        return "video"
    if not p.exists():
        raise InputError("no such folder or video file", p)
    raise InputError(f"is neither a folder of images nor a video file ({', '.join(VIDEO_EXTS)})", p)


def pictures(path: str | Path, max_frames: int = MAX_FRAMES) -> Iterator[Picture]:
    """The source's pictures, at most ``max_frames``, evenly spaced."""
    kind = describe_source(path)
    yield from (_folder(Path(path), max_frames) if kind == "folder" else _video(Path(path), max_frames))


def _folder(folder: Path, max_frames: int) -> Iterator[Picture]:
    from posestudio.core.project import read_image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and not p.stem.endswith("_parsing"))
    if not files:
        raise InputError(f"no images in the folder ({', '.join(IMAGE_EXTS)})", folder)
    limits.check("frames", len(files), f"the folder holds {len(files):,} images", folder)
    for i in evenly(len(files), max_frames):
        try:
            img = read_image(files[i])
        except InputError as exc:
            yield Picture(files[i].name, i, None, exc.problem)
            continue
        yield Picture(files[i].name, i, np.ascontiguousarray(img[:, :, :3]))


def _ffmpeg_problem(exc: BaseException) -> str:
    """The line of an ffmpeg failure that says what is wrong with the file."""
    keys = ("invalid data", "moov atom", "no such file", "does not contain", "error opening", "could not")
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for ln in lines:
        if any(k in ln.lower() for k in keys):
            return ln.split("] ", 1)[-1][:160]
    return "not a video PoseStudio can decode, or the file is damaged"


def _video(path: Path, max_frames: int) -> Iterator[Picture]:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise InputError("reading a video needs the imageio-ffmpeg package", path) from None
    limits.regular_file(path, "video")
    try:
        n, _secs = imageio_ffmpeg.count_frames_and_secs(str(path))
    except (RuntimeError, OSError) as exc:
        raise InputError(f"cannot read the video: {_ffmpeg_problem(exc)}", path) from None
    if n < 1:
        raise InputError("the video has no frames", path)
    limits.check("frames", n, f"the video has {n:,} frames", path)
    keep = set(evenly(n, max_frames))
    try:
        gen = imageio_ffmpeg.read_frames(str(path))
        meta = next(gen)
        w, h = (int(v) for v in meta["size"])
        limits.check_image_size(w, h, path, "video frame")
        got = 0
        for i, raw in enumerate(gen):
            if i in keep:
                img = np.frombuffer(raw, np.uint8)
                if img.size != w * h * 3:
                    yield Picture(f"frame {i}", i, None, "the frame is cut short")
                    continue
                got += 1
                yield Picture(f"frame {i}", i, img.reshape(h, w, 3).copy())
        gen.close()
    except (RuntimeError, OSError, StopIteration) as exc:
        raise InputError(f"cannot read the video: {_ffmpeg_problem(exc)}", path) from None
    if not got:
        raise InputError("no frame of the video could be decoded", path)
