"""Render a timeline into pictures: every frame through ``Engine.render_batch``.

Each frame is one pose-transfer request (task ``pose``): the document's
source picture and source pose, and as target the timeline's pose at that
frame (the first person; the generators transfer one person). Frames go in
batches of ``batch`` requests; each finished frame is written to ``out_dir``
as soon as its batch returns, so a cancelled render keeps every frame it
finished. Setting ``cancel`` stops before the next frame, i.e. within the
current batch. Torch is imported only when a trained model runs (the engine
imports it lazily); the puppet warp path stays torch-free.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.core.pose import Pose
from posestudio.core.timeline import Timeline
from posestudio.engine.results import Request
from posestudio.errors import InputError

DEFAULT_TEMPLATE = "frame_{frame:05d}.png"


@dataclass
class SequenceInputs:
    """What every frame's request shares: the source picture (uint8 HxWx3), its pose,
    the model (card name, ``puppet`` or ``auto``) and optionally the source parsing map."""

    source_image: np.ndarray
    source_pose: Pose
    model: str = "puppet"
    source_parsing: np.ndarray | None = None
    label_set: str = "spt10"
    personal_model: str | None = None  # the document's personal model (auto may pick it; engine.runner)

    @classmethod
    def from_document(cls, doc, model: str | None = None) -> SequenceInputs:
        """The source picture (bottom image layer), the source pose (the document's
        source pose layer) and the model named in the document's generator settings."""
        img_layer = doc.image_layer()
        if img_layer is None:
            raise InputError("the document has no picture to animate", getattr(doc, "path", None))
        src_pose = doc.source_pose()
        if src_pose is None:
            raise InputError("the document has no source pose layer (the pose of the person in the picture)",
                             getattr(doc, "path", None))
        image = np.asarray(img_layer.data)[:, :, :3]
        parsing = next((l for l in doc.layers.of_kind("parsing")), None)
        return cls(np.ascontiguousarray(image), src_pose, model or doc.generator.get("model") or "puppet",
                   None if parsing is None else parsing.data, getattr(parsing, "label_set", "spt10"),
                   doc.generator.get("personal_model"))

    def request(self, target: Pose) -> Request:
        return Request(task="pose", model=self.model, source_image=self.source_image, source_pose=self.source_pose,
                       target_pose=target, source_parsing=self.source_parsing, label_set=self.label_set,
                       personal_model=self.personal_model)


@dataclass
class RenderedSequence:
    """Frames finished (in render order), their pictures (when kept) and files (when written)."""

    frames: list[int] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)
    paths: list[Path] = field(default_factory=list)
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)
    model: str = ""  # what made the frames (from the engine's results)
    backend: str = ""
    device: str = ""
    seconds: float = 0.0  # wall time of the render, writing included

    def image(self, frame: int) -> np.ndarray:
        return self.images[self.frames.index(frame)]


def frame_path(out_dir: str | Path, frame: int, template: str = DEFAULT_TEMPLATE) -> Path:
    """``out_dir / template.format(frame=frame)``; the template must mention ``{frame}``."""
    if "{frame" not in template:
        raise InputError(f"the file name template {template!r} has no {{frame}} field")
    try:
        name = template.format(frame=frame)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(f"bad file name template {template!r} ({exc})") from None
    return Path(out_dir) / name


def write_png(path: Path, image: np.ndarray) -> None:
    """Write a frame atomically, so an interrupted render never leaves half a PNG."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", compress_level=3)
    atomic_write_bytes(path, buf.getvalue())


def resize_frame(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` at ``size`` = (width, height): area filter when shrinking, cubic when growing."""
    w, h = size
    if w <= 0 or h <= 0:
        raise InputError(f"output size must be positive, got {w}x{h}")
    if (image.shape[1], image.shape[0]) == (w, h):
        return image
    shrink = w < image.shape[1] or h < image.shape[0]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def render_sequence(
    doc_or_inputs,
    timeline: Timeline,
    engine,
    frames: Iterable[int] | None = None,
    batch: int = 8,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    out_dir: str | Path | None = None,
    template: str = DEFAULT_TEMPLATE,
    keep_images: bool | None = None,
    model: str | None = None,
    size: tuple[int, int] | None = None,
) -> RenderedSequence:
    """Render ``frames`` (default: the timeline's range) of ``timeline``.

    ``doc_or_inputs`` is a ``Document`` or :class:`SequenceInputs`; ``engine`` an
    :class:`posestudio.engine.Engine`. ``progress(done, total)`` is called after
    every frame; when ``cancel`` is set the render stops before the next frame
    and returns what it finished (``cancelled=True``). With ``out_dir`` each
    frame is written there as ``template`` (``{frame}`` = the frame number).
    ``keep_images`` (default: True without ``out_dir``) keeps the pictures in memory.
    ``size`` = (width, height) resizes every frame before it is kept or written."""
    inputs = doc_or_inputs if isinstance(doc_or_inputs, SequenceInputs) else \
        SequenceInputs.from_document(doc_or_inputs, model)
    if model is not None:
        inputs.model = model
    frames = list(timeline.frames() if frames is None else frames)
    if not timeline.keyframes:
        raise InputError("the timeline has no keyframes")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    keep = (out_dir is None) if keep_images is None else keep_images
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        frame_path(out, 0, template)  # check the template before rendering anything
        # the folder is made with the first frame, so a failed start leaves nothing behind
    total = len(frames)
    res = RenderedSequence()
    t0 = time.perf_counter()
    for start in range(0, total, batch):
        if cancel is not None and cancel.is_set():
            break
        chunk = frames[start:start + batch]
        requests = []
        for f in chunk:
            people = timeline.pose_at(f)
            if not people:
                raise InputError(f"frame {f} has no pose to render")
            requests.append(inputs.request(people[0]))

        def step(done: int, _n: int, offset=start) -> None:
            if progress is not None:
                progress(offset + done, total)

        results = engine.render_batch(requests, progress=step, cancel=cancel)
        for f, r in zip(chunk, results, strict=False):  # fewer results when cancelled
            image = r.image if size is None else resize_frame(r.image, size)
            res.frames.append(f)
            if keep:
                res.images.append(image)
            if out is not None:
                p = frame_path(out, f, template)
                write_png(p, image)
                res.paths.append(p)
            res.warnings.extend(w for w in r.warnings if w not in res.warnings)
            res.model, res.backend, res.device = r.model, r.backend, r.device
        if len(results) < len(chunk):
            break
    res.cancelled = len(res.frames) < total
    res.seconds = time.perf_counter() - t0
    return res
