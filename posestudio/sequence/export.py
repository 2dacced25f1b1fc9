"""Write a rendered sequence: PNG frames, GIF, APNG, animated WebP, MP4 (H.264),
and the skeleton sequence as OpenPose JSON or ControlNet skeleton images.

Animated pictures go through Pillow; MP4 through the ffmpeg binary that
``imageio-ffmpeg`` ships (raw RGB frames piped in, libx264, yuv420p). Frame
times are whole milliseconds (GIF: hundredths of a second), distributed so
the total length is right: frame ``i`` lasts ``round((i+1)*T) - round(i*T)``
with ``T = 1000/fps`` in the format's time unit.

``loop``: None plays once; 0 repeats forever; N > 0 is handed to the format
(GIF/WebP: repeat count, APNG: number of plays); MP4 has no loop flag, so
N > 0 writes the frames N times.

Pillow (GIF, APNG) and libwebp merge a frame identical to the one before it
into one longer frame, so a hold segment plays for the right time but reads
back as fewer frames; MP4 and PNG frames keep every frame.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core.formats import PoseSet, skeleton_image, write_poses
from posestudio.core.formats.atomic import atomic_path, atomic_write_stream
from posestudio.core.pose import Pose
from posestudio.errors import InputError
from posestudio.sequence.render import DEFAULT_TEMPLATE, frame_path, resize_frame, write_png

IMAGE_FORMATS = ("png", "gif", "apng", "webp", "mp4")
SKELETON_FORMATS = ("openpose", "controlnet")
FORMATS = IMAGE_FORMATS + SKELETON_FORMATS
_BY_SUFFIX = {".gif": "gif", ".apng": "apng", ".webp": "webp", ".mp4": "mp4", ".m4v": "mp4"}
OPENPOSE_TEMPLATE = "frame_{frame:05d}_keypoints.json"


def format_for_path(path: str | Path) -> str:
    """The format an output path implies: by suffix; a folder (no suffix) means PNG frames."""
    suffix = Path(path).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix in ("", ".png"):
        return "png"
    raise InputError(f"cannot tell the format from the suffix {suffix!r}; use --format "
                     f"({', '.join(FORMATS)})", path)


def durations_ms(n: int, fps: float, unit_ms: int = 1) -> list[int]:
    """Per-frame durations in ms (multiples of ``unit_ms``) whose running sum stays
    within half a unit of ``i * 1000 / fps``."""
    if fps <= 0:
        raise InputError(f"frames per second must be positive, got {fps}")
    step = 1000.0 / fps / unit_ms
    edges = [round(i * step) for i in range(n + 1)]
    return [max(1, edges[i + 1] - edges[i]) * unit_ms for i in range(n)]


def resized(images: Sequence[np.ndarray], size: tuple[int, int] | None) -> list[np.ndarray]:
    """Frames at ``size`` = (width, height) (area filter when shrinking), or unchanged."""
    if size is None:
        return [np.ascontiguousarray(im) for im in images]
    return [np.ascontiguousarray(resize_frame(im, size)) for im in images]


def _atomic_pillow(path: Path, images: list[np.ndarray], fmt: str, **params) -> Path:
    if not images:
        raise InputError("no frames to write", path)
    frames = [Image.fromarray(im) for im in images]
    atomic_write_stream(path, lambda fh: frames[0].save(fh, format=fmt, save_all=True,
                                                        append_images=frames[1:], **params))
    return path


def write_gif(path: str | Path, images: Sequence[np.ndarray], fps: float, loop: int | None = 0) -> Path:
    """Animated GIF (adaptive palette per frame, durations in 10 ms steps)."""
    params = {"duration": durations_ms(len(images), fps, 10), "optimize": False, "disposal": 1}
    if loop is not None:
        params["loop"] = int(loop)
    return _atomic_pillow(Path(path), list(images), "GIF", **params)


def write_apng(path: str | Path, images: Sequence[np.ndarray], fps: float, loop: int | None = 0) -> Path:
    """Animated PNG (lossless); ``loop`` is the number of plays (0 forever, None once)."""
    return _atomic_pillow(Path(path), list(images), "PNG", duration=durations_ms(len(images), fps),
                          loop=1 if loop is None else int(loop), default_image=False)


def write_webp(path: str | Path, images: Sequence[np.ndarray], fps: float, loop: int | None = 0,
               quality: int = 90, lossless: bool = False) -> Path:
    """Animated WebP; ``loop`` 0 repeats forever, None plays once."""
    return _atomic_pillow(Path(path), list(images), "WEBP", duration=durations_ms(len(images), fps),
                          loop=1 if loop is None else int(loop), quality=quality, lossless=lossless,
                          minimize_size=False, allow_mixed=False)


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        raise InputError("MP4 export needs the imageio-ffmpeg package (pip install imageio-ffmpeg)") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def write_mp4(path: str | Path, images: Sequence[np.ndarray], fps: float, loop: int | None = None,
              crf: int = 18) -> Path:
    """H.264 MP4 (yuv420p, odd sizes padded by one pixel) through the bundled ffmpeg."""
    path = Path(path)
    images = list(images)
    if not images:
        raise InputError("no frames to write", path)
    h, w = images[0].shape[:2]
    if any(im.shape[:2] != (h, w) for im in images):
        raise InputError("all frames of a video must have the same size", path)
    repeats = max(1, int(loop or 1))
    with atomic_path(path, ext=".mp4") as tmp:
        cmd = [ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", f"{float(fps):g}", "-i", "-", "-an",
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-preset", "medium", "-crf", str(crf),
               "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(tmp)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            try:
                for _ in range(repeats):
                    for im in images:
                        proc.stdin.write(np.ascontiguousarray(im[:, :, :3], dtype=np.uint8).tobytes())
                proc.stdin.close()
            except BrokenPipeError:  # ffmpeg quit early (its error is read below); closing may flush into it
                pass
            err = proc.stderr.read().decode("utf-8", "replace")
            rc = proc.wait()
            if rc != 0:
                raise InputError(f"ffmpeg failed ({' '.join(err.split())[:200] or f'exit {rc}'})", path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return path


def write_png_sequence(out_dir: str | Path, frames: Sequence[int], images: Sequence[np.ndarray],
                       template: str = DEFAULT_TEMPLATE) -> list[Path]:
    """One PNG per frame named by ``template`` (``{frame}`` = the frame number)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for f, im in zip(frames, images, strict=True):
        p = frame_path(out, f, template)
        write_png(p, im)
        paths.append(p)
    return paths


def export_images(path: str | Path, images: Sequence[np.ndarray], fmt: str | None = None, fps: float = 12.0,
                  loop: int | None = 0, size: tuple[int, int] | None = None, frames: Sequence[int] | None = None,
                  template: str = DEFAULT_TEMPLATE) -> list[Path]:
    """Write ``images`` (in playback order) as ``fmt`` (default: from the path). Returns the files."""
    fmt = fmt or format_for_path(path)
    if fmt not in IMAGE_FORMATS:
        raise InputError(f"unknown image sequence format {fmt!r}; formats: {', '.join(IMAGE_FORMATS)}", path)
    images = resized(images, size)
    if fmt == "png":
        return write_png_sequence(path, list(frames if frames is not None else range(len(images))), images, template)
    writer = {"gif": write_gif, "apng": write_apng, "webp": write_webp, "mp4": write_mp4}[fmt]
    return [writer(path, images, fps, loop)]


# -- the skeleton sequence ---------------------------------------------------------------
def _scaled(poses: list[Pose], sx: float, sy: float) -> list[Pose]:
    if sx == 1 and sy == 1:
        return [p.copy() for p in poses]
    return [p.transformed(np.array([[sx, 0, 0], [0, sy, 0]])) for p in poses]


def export_skeleton(out_dir: str | Path, timeline, width: int, height: int, fmt: str = "openpose",
                    frames: Sequence[int] | None = None, size: tuple[int, int] | None = None,
                    template: str | None = None) -> list[Path]:
    """Every frame's poses (all people) as one OpenPose JSON file (``openpose``) or
    one ControlNet skeleton image (``controlnet``) per frame in ``out_dir``.
    ``width``/``height`` is the canvas of the poses; ``size`` scales to another output size."""
    if fmt not in SKELETON_FORMATS:
        raise InputError(f"unknown skeleton format {fmt!r}; formats: {', '.join(SKELETON_FORMATS)}", out_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ow, oh = size or (width, height)
    sx, sy = ow / width, oh / height
    template = template or (OPENPOSE_TEMPLATE if fmt == "openpose" else DEFAULT_TEMPLATE)
    paths = []
    for f in (timeline.frames() if frames is None else frames):
        poses = _scaled(timeline.pose_at(f), sx, sy)
        p = frame_path(out, f, template)
        if fmt == "openpose":
            write_poses(p, PoseSet(poses, ow, oh), fmt="openpose")
        else:
            write_png(p, skeleton_image.render(poses, ow, oh))
        paths.append(p)
    return paths
