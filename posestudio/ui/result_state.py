"""What the window says about the generated result: stale once the pose differs from
the pose it was made from (the Result row says "out of date"), and, per timeline
frame, the results generated there, so scrubbing and playback show a frame's own
picture where one exists (a cache in memory, never saved)."""

from __future__ import annotations

import numpy as np

from posestudio.core.layers import Event, ResultLayer
from posestudio.core.pose import Pose
from posestudio.ui.playhead import same_poses

STALE_NOTE = "out of date"
MAX_FRAMES = 240  # cached pictures kept (a 512x512 RGB frame is 0.75 MB)


def result_layer(doc) -> ResultLayer | None:
    """The pose generator's result (the editing panels' results have names of their own)."""
    from posestudio.ui.result_layers import GENERATOR_RESULT, named_result

    return named_result(doc, GENERATOR_RESULT)


def set_stale(layer: ResultLayer, stale: bool) -> None:
    """Mark the result layer; the layer list shows it (a change event, not saved content)."""
    if bool(getattr(layer, "stale", False)) != stale:
        layer.stale = stale
        layer.events.emit(Event("changed", layer, prop="stale", old=not stale, new=stale))


def is_stale(layer) -> bool:
    return bool(getattr(layer, "stale", False))


class FrameResults:
    """Results by timeline frame, each with the pose it was generated from."""

    def __init__(self):
        self.by_frame: dict[int, tuple[list[Pose], np.ndarray, str]] = {}
        self.made_from: list[Pose] | None = None  # the pose of the result on the canvas
        self.doc_id: int | None = None

    def reset(self, doc) -> None:
        self.by_frame.clear()
        self.made_from = None
        self.doc_id = id(doc)

    def stored(self, frame: int, poses: list[Pose], image: np.ndarray, model: str) -> None:
        self.made_from = [p.copy() for p in poses]
        self.by_frame[int(frame)] = (self.made_from, np.asarray(image).copy(), model)
        while len(self.by_frame) > MAX_FRAMES:
            self.by_frame.pop(next(iter(self.by_frame)))

    def for_frame(self, frame: int, poses: list[Pose]):
        """(image, model) generated at ``frame`` from these very poses, else None."""
        hit = self.by_frame.get(int(frame))
        if hit is not None and same_poses(hit[0], poses):
            return hit[1], hit[2]
        return None

    def update(self, doc, frame: int) -> bool:
        """Show the cached picture of ``frame`` if there is one, and mark the result stale
        when it was made from another pose. Returns whether the result is current."""
        layer, target = result_layer(doc), doc.pose_layer()
        if layer is None or target is None:
            return True
        hit = self.for_frame(frame, target.poses)
        if hit is not None:
            image, model = hit
            if layer.data.shape == image.shape and not np.array_equal(layer.data, image):
                layer.data = image.copy()
                layer.model = model
                layer.data_changed(bbox=None)
            self.made_from = [p.copy() for p in target.poses]
        current = self.made_from is not None and same_poses(self.made_from, target.poses)
        set_stale(layer, not current)
        return current
