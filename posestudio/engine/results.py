"""What the window and the CLI hand the engine (:class:`Request`) and get back (:class:`Result`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posestudio.core.pose import Pose

TASKS = ("pose", "garment", "face", "attribute", "parsing")


@dataclass
class Request:
    """One generation. Images are uint8 HxWx3 RGB of any size; poses are in the
    source image's pixels; parsing maps are int HxW in ``label_set``.

    ``preview=True`` puts the request on the live-preview channel named
    ``channel`` (one per panel: "generator", "garment" …): a newer preview
    cancels the older ones of the same channel that have not started yet
    (latest wins), and leaves other channels' previews alone."""

    task: str = "pose"
    model: str = "puppet"
    source_image: np.ndarray | None = None
    source_pose: Pose | None = None
    target_pose: Pose | None = None
    source_parsing: np.ndarray | None = None
    label_set: str = "spt10"
    target_parsing: np.ndarray | None = None
    reference_image: np.ndarray | None = None
    reference_parsing: np.ndarray | None = None
    reference_pose: Pose | None = None  # the reference person's pose, in the reference image's pixels
    edges: np.ndarray | None = None
    reference_edges: np.ndarray | None = None  # the reference face's own edge map (face task)
    reference_landmarks: np.ndarray | None = None  # its 68 landmarks (68, 2), when known (face task)
    region: str | None = None
    preview: bool = False
    # the person's soft matte in the source picture (HxW float in [0, 1], from detection): where
    # the person is, for generators that take it; None when no detection ran
    source_matte: np.ndarray | None = None
    channel: str = ""
    # the document's personal model (``posestudio personal``): ``auto`` may pick it for this request only,
    # and only when its card says it beats the engine on its held-out frames (engine.cards.personal_verdict)
    personal_model: str | None = None

    def validate(self) -> None:
        """Raise ValueError naming the first bad field."""
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; tasks: {', '.join(TASKS)}")
        img = self.source_image
        if img is None:
            raise ValueError("the request has no source image")
        img = np.asarray(img)
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise ValueError(f"the source image must be uint8 HxWx3 RGB, got {img.dtype} {img.shape}")
        for name in ("source_parsing", "target_parsing", "source_matte"):
            m = getattr(self, name)
            if m is not None and np.asarray(m).shape != img.shape[:2]:
                raise ValueError(f"{name} is {np.asarray(m).shape}, the source image {img.shape[:2]}")
        if self.task != "face" and (self.source_pose is None or self.target_pose is None):
            if self.task in ("pose", "parsing"):
                raise ValueError(f"task {self.task!r} needs a source pose and a target pose")

    @property
    def size(self) -> tuple[int, int]:
        return tuple(np.asarray(self.source_image).shape[:2])  # type: ignore[return-value]


@dataclass
class Result:
    """``image`` is uint8 HxWx3 at the source canvas size; ``layers`` holds named
    intermediates an artist may show (flow HxWx2, visibility HxW, parsing HxW …);
    ``raw`` the model's own output before paste-back (float32 (1,3,h,w) in [-1, 1])
    when a trained model made the image; ``errors`` the parts of the edit that
    could not be done (the image holds the rest)."""

    image: np.ndarray
    layers: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    model: str = "puppet"
    backend: str = "puppet"
    device: str = "cpu"
    warnings: list[str] = field(default_factory=list)
    raw: np.ndarray | None = None
    # what the artist asked that could not be done (a label nobody shows): the CLI exits 2 on it
    errors: list[str] = field(default_factory=list)
